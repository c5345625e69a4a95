//! The primitives a backend implements. Values are strings (JSON, or decimal numbers); every key
//! has a time to live. Each primitive is atomic on its own, across every process using the
//! store; [`crate::State`] builds the typed operations from them.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::{StateError, micros_since_epoch};

/// Which backend a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Process-local (`--state memory`).
    Memory,
    /// Embedded SQLite file: survives restarts; processes on one host may share it.
    Sqlite,
    /// Redis: shared by every replica.
    Redis,
}

impl Kind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Memory => "memory",
            Kind::Sqlite => "sqlite",
            Kind::Redis => "redis",
        }
    }

    /// True when the store outlives the process.
    pub fn durable(self) -> bool {
        !matches!(self, Kind::Memory)
    }

    /// True when replicas on other hosts share it (rate buckets and pauses go there too).
    pub fn fleet_wide(self) -> bool {
        matches!(self, Kind::Redis)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A store. Implementations: [`crate::memory`], [`crate::sqlite`], [`crate::redis`].
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Which backend this is.
    fn kind(&self) -> Kind;
    /// Where it is, for logs and `doctor`; never a password.
    fn describe(&self) -> String;
    /// Checks the store answers.
    async fn ping(&self) -> Result<(), StateError>;
    /// The live value of `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StateError>;
    /// Sets `key` for `ttl`.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StateError>;
    /// Sets `key` for `ttl` unless it holds a live value; returns that value if so.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StateError>;
    /// Replaces `key`'s value by `new` (or deletes it, for `None`) only if it is `expected`.
    async fn swap_if(
        &self,
        key: &str,
        expected: &str,
        new: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StateError>;
    /// Deletes `key`.
    async fn delete(&self, key: &str) -> Result<(), StateError>;
    /// Pushes `value` at the front of `list`, keeps `max_len` items, expires the list `ttl`
    /// after the last push.
    async fn push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StateError>;
    /// Items of `list`, newest first.
    async fn range(
        &self,
        list: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<String>, StateError>;

    /// Raises the number in `key` to `value` (microseconds since the epoch) if it is lower or
    /// absent, for `ttl`.
    async fn raise(&self, key: &str, value: u64, ttl: Duration) -> Result<(), StateError> {
        for _ in 0..16 {
            match self.set_if_absent(key, &value.to_string(), ttl).await? {
                None => return Ok(()),
                Some(current) => {
                    if current.parse::<u64>().is_ok_and(|c| c >= value) {
                        return Ok(());
                    }
                    if self
                        .swap_if(key, &current, Some(&value.to_string()), ttl)
                        .await?
                    {
                        return Ok(());
                    }
                }
            }
        }
        Err(StateError::new(
            self.kind().as_str(),
            "too much contention on a pause record",
        ))
    }

    /// GCRA over the theoretical arrival time in `bucket` (microseconds since the epoch), held
    /// back while `pause` (microseconds since the epoch) lies in the future. `None`: a token was
    /// taken; `Some(wait)`: none is available for `wait`.
    async fn gcra(
        &self,
        bucket: &str,
        pause: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Option<Duration>, StateError> {
        let interval_us = u64::try_from(interval.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        for _ in 0..32 {
            let now = micros_since_epoch(SystemTime::now());
            if let Some(until) = self.get(pause).await?.and_then(|v| v.parse::<u64>().ok())
                && until > now
            {
                return Ok(Some(Duration::from_micros(until - now)));
            }
            let current = self.get(bucket).await?;
            let tat = current
                .as_deref()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(now)
                .max(now);
            let new_tat = match gcra_step(now, tat, interval_us, burst) {
                GcraStep::Take { new_tat } => new_tat,
                GcraStep::Wait(wait) => return Ok(Some(wait)),
            };
            let ttl = Duration::from_micros(new_tat - now) + Duration::from_secs(1);
            let stored = match &current {
                None => self
                    .set_if_absent(bucket, &new_tat.to_string(), ttl)
                    .await?
                    .is_none(),
                Some(raw) => {
                    self.swap_if(bucket, raw, Some(&new_tat.to_string()), ttl)
                        .await?
                }
            };
            if stored {
                return Ok(None);
            }
        }
        Err(StateError::new(
            self.kind().as_str(),
            "too much contention on a rate bucket",
        ))
    }
}

/// One GCRA decision.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GcraStep {
    /// Take a token; the bucket's arrival time becomes `new_tat`.
    Take { new_tat: u64 },
    /// No token for this long.
    Wait(Duration),
}

/// GCRA with emission interval `interval_us` and tolerance for `burst` requests at once:
/// a request at `now` is allowed when `now ≥ tat − interval × (burst − 1)`.
pub(crate) fn gcra_step(now: u64, tat: u64, interval_us: u64, burst: u32) -> GcraStep {
    let tat = tat.max(now);
    let tolerance = interval_us.saturating_mul(u64::from(burst.max(1)) - 1);
    let allowed_at = tat.saturating_sub(tolerance);
    if now < allowed_at {
        GcraStep::Wait(Duration::from_micros(allowed_at - now))
    } else {
        GcraStep::Take {
            new_tat: tat.saturating_add(interval_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_a_burst_then_one_per_interval() {
        let (interval, burst) = (100_000, 3);
        let mut tat = 0;
        let now = 1_000_000;
        for _ in 0..3 {
            match gcra_step(now, tat, interval, burst) {
                GcraStep::Take { new_tat } => tat = new_tat,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            gcra_step(now, tat, interval, burst),
            GcraStep::Wait(Duration::from_micros(100_000))
        );
        assert!(matches!(
            gcra_step(now + 100_000, tat, interval, burst),
            GcraStep::Take { .. }
        ));
    }
}
