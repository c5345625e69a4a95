//! The state layer replicas share (`--state`): everything that would otherwise make one process
//! answer differently from another, or from itself after a restart.
//!
//! | module | what it holds |
//! |---|---|
//! | [`location`] | `--state` URLs (`sqlite:PATH`, `redis://…`, `rediss://…`, `memory`) and the default path |
//! | [`backend`] | the [`Backend`] trait: a few atomic primitives over strings with TTLs |
//! | [`memory`], [`sqlite`], [`redis`] | the three backends |
//!
//! Connectors and the shared crates use the [`State`] handle: one namespace (the connector's
//! name) over one backend, with the typed operations built from the primitives: write claims
//! ([`State::claim`] → [`State::finish`] / [`State::release`]), JSON records, bounded lists,
//! GCRA rate buckets and scope pauses.
//!
//! This crate knows nothing about confirmations, tools or HTTP: it stores what it is given.
//! Every operation returns [`StateError`] when the store cannot be reached or written; callers
//! decide what fails closed (writes) and what carries on (reads).

pub mod backend;
pub mod location;
pub mod memory;
pub mod redis;
pub mod sqlite;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::backend::{Backend, Kind};
pub use crate::location::{Location, default_state_dir, open};

/// The store could not be reached, or refused an operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the state store ({backend}) is unreachable or failing: {message}")]
pub struct StateError {
    /// `memory`, `sqlite` or `redis`.
    pub backend: &'static str,
    /// What went wrong (never a password or URL).
    pub message: String,
}

impl StateError {
    /// An error of `backend`.
    pub fn new(backend: &'static str, message: impl Into<String>) -> Self {
        StateError {
            backend,
            message: message.into(),
        }
    }
}

/// What [`State::claim`] found for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key was free and is now held by the caller: do the work, then
    /// [`State::finish`] (or [`State::release`] if nothing happened).
    Started,
    /// Another call holds the key. `stale` is true when its lease has run out: the holder
    /// stopped (a crash, a killed process) before it recorded a result.
    InFlight {
        /// The holder's lease has expired.
        stale: bool,
    },
    /// The work already ran; here is its recorded result.
    Done(Value),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
enum ClaimRecord {
    InFlight { lease_until_ms: u64 },
    Done { result: Value },
}

/// One namespace (a connector) over a shared [`Backend`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct State {
    backend: Arc<dyn Backend>,
    ns: Arc<str>,
}

impl State {
    /// `namespace` keeps one connector's keys apart from another's in a shared store.
    pub fn new(backend: Arc<dyn Backend>, namespace: &str) -> Self {
        State {
            backend,
            ns: namespace.into(),
        }
    }

    /// A process-local store, for tests and `--state memory`.
    pub fn memory(namespace: &str) -> Self {
        Self::new(Arc::new(memory::MemoryBackend::default()), namespace)
    }

    /// The same backend under another namespace.
    pub fn scoped(&self, namespace: &str) -> Self {
        Self::new(self.backend.clone(), namespace)
    }

    /// Which backend this is.
    pub fn kind(&self) -> Kind {
        self.backend.kind()
    }

    /// Where it is, for logs and `doctor` (no password).
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// The backend, for sharing with another component.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Checks the store answers; returns how long it took.
    pub async fn ping(&self) -> Result<Duration, StateError> {
        let started = Instant::now();
        self.backend.ping().await?;
        Ok(started.elapsed())
    }

    fn key(&self, kind: &str, key: &str) -> String {
        format!("mcp:{}:{kind}:{key}", self.ns)
    }

    /// Claims `key` for one piece of work. The claim lasts `ttl`; while in flight, it counts as
    /// abandoned once `lease` has passed without [`finish`](Self::finish).
    pub async fn claim(
        &self,
        key: &str,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, StateError> {
        let record = ClaimRecord::InFlight {
            lease_until_ms: now_ms().saturating_add(millis(lease)),
        };
        let existing = self
            .backend
            .set_if_absent(&self.key("claim", key), &encode(&record), ttl)
            .await?;
        Ok(match existing {
            None => Claim::Started,
            Some(raw) => decode_claim(self.backend.kind(), &raw)?,
        })
    }

    /// Takes over an abandoned claim (its lease ran out) for another `lease`. True if this
    /// caller now holds it; false if someone else took it or it is no longer abandoned.
    pub async fn take_over(
        &self,
        key: &str,
        lease: Duration,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let k = self.key("claim", key);
        let Some(raw) = self.backend.get(&k).await? else {
            return Ok(false);
        };
        if decode_claim(self.backend.kind(), &raw)? != (Claim::InFlight { stale: true }) {
            return Ok(false);
        }
        let renewed = ClaimRecord::InFlight {
            lease_until_ms: now_ms().saturating_add(millis(lease)),
        };
        self.backend
            .swap_if(&k, &raw, Some(&encode(&renewed)), ttl)
            .await
    }

    /// Records the result of the claimed work, kept for `ttl`.
    pub async fn finish(&self, key: &str, result: &Value, ttl: Duration) -> Result<(), StateError> {
        let record = ClaimRecord::Done {
            result: result.clone(),
        };
        self.backend
            .set(&self.key("claim", key), &encode(&record), ttl)
            .await
    }

    /// Releases a claim whose work certainly did nothing, so the key may be claimed again. A
    /// finished claim is never released.
    pub async fn release(&self, key: &str) -> Result<(), StateError> {
        let k = self.key("claim", key);
        let Some(raw) = self.backend.get(&k).await? else {
            return Ok(());
        };
        if matches!(
            decode_claim(self.backend.kind(), &raw)?,
            Claim::InFlight { .. }
        ) {
            self.backend.swap_if(&k, &raw, None, Duration::ZERO).await?;
        }
        Ok(())
    }

    /// A JSON record stored with [`put`](Self::put).
    pub async fn get(&self, key: &str) -> Result<Option<Value>, StateError> {
        match self.backend.get(&self.key("rec", key)).await? {
            None => Ok(None),
            Some(raw) => decode(self.backend.kind(), &raw).map(Some),
        }
    }

    /// Stores a JSON record for `ttl`.
    pub async fn put(&self, key: &str, value: &Value, ttl: Duration) -> Result<(), StateError> {
        self.backend
            .set(&self.key("rec", key), &value.to_string(), ttl)
            .await
    }

    /// Stores `value` unless a record exists; returns the existing one if so. Atomic across
    /// processes: of two concurrent callers, exactly one gets `None`.
    pub async fn put_if_absent(
        &self,
        key: &str,
        value: &Value,
        ttl: Duration,
    ) -> Result<Option<Value>, StateError> {
        match self
            .backend
            .set_if_absent(&self.key("rec", key), &value.to_string(), ttl)
            .await?
        {
            None => Ok(None),
            Some(raw) => decode(self.backend.kind(), &raw).map(Some),
        }
    }

    /// Replaces a record by `new` only if it still is `expected` (as read by [`get`](Self::get)):
    /// a state transition (pending → approved) that two replicas cannot both make.
    pub async fn replace_if(
        &self,
        key: &str,
        expected: &Value,
        new: &Value,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        self.backend
            .swap_if(
                &self.key("rec", key),
                &expected.to_string(),
                Some(&new.to_string()),
                ttl,
            )
            .await
    }

    /// Deletes a record.
    pub async fn delete(&self, key: &str) -> Result<(), StateError> {
        self.backend.delete(&self.key("rec", key)).await
    }

    /// Adds `value` at the front of a list kept to `max_len` items (oldest dropped) and `ttl`
    /// since the last push.
    pub async fn push(
        &self,
        list: &str,
        value: &Value,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StateError> {
        self.backend
            .push(
                &self.key("list", list),
                &value.to_string(),
                max_len.max(1),
                ttl,
            )
            .await
    }

    /// Items of a list, newest first, from `offset`, at most `limit`.
    pub async fn range(
        &self,
        list: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Value>, StateError> {
        let kind = self.backend.kind();
        self.backend
            .range(&self.key("list", list), offset, limit)
            .await?
            .iter()
            .map(|raw| decode(kind, raw))
            .collect()
    }

    /// Takes one token from the GCRA bucket of `scope` (one token every `interval`, up to
    /// `burst` at once), unless the scope is paused. `None`: go; `Some(wait)`: try again after
    /// `wait`. The bucket is shared by every process on the same store.
    pub async fn take_token(
        &self,
        scope: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Option<Duration>, StateError> {
        self.backend
            .gcra(
                &self.key("rate", scope),
                &self.key("pause", scope),
                interval,
                burst.max(1),
            )
            .await
    }

    /// Pauses `scope` for everyone until `until`; a pause never shortens a longer one.
    pub async fn pause(&self, scope: &str, until: SystemTime) -> Result<(), StateError> {
        let until_us = micros_since_epoch(until);
        let ttl = until
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .saturating_add(Duration::from_secs(1));
        self.backend
            .raise(&self.key("pause", scope), until_us, ttl)
            .await
    }

    /// When the pause on `scope` ends, if it is paused.
    pub async fn paused_until(&self, scope: &str) -> Result<Option<SystemTime>, StateError> {
        let Some(raw) = self.backend.get(&self.key("pause", scope)).await? else {
            return Ok(None);
        };
        let us: u64 = raw.parse().map_err(|_| {
            StateError::new(
                self.backend.kind().as_str(),
                "a pause record is not a number",
            )
        })?;
        let until = UNIX_EPOCH + Duration::from_micros(us);
        Ok((until > SystemTime::now()).then_some(until))
    }
}

fn encode(record: &ClaimRecord) -> String {
    serde_json::to_string(record).expect("claim records serialize")
}

fn decode(kind: Kind, raw: &str) -> Result<Value, StateError> {
    serde_json::from_str(raw)
        .map_err(|e| StateError::new(kind.as_str(), format!("a stored record is not JSON: {e}")))
}

fn decode_claim(kind: Kind, raw: &str) -> Result<Claim, StateError> {
    let record: ClaimRecord = serde_json::from_str(raw)
        .map_err(|e| StateError::new(kind.as_str(), format!("a stored claim is damaged: {e}")))?;
    Ok(match record {
        ClaimRecord::InFlight { lease_until_ms } => Claim::InFlight {
            stale: lease_until_ms <= now_ms(),
        },
        ClaimRecord::Done { result } => Claim::Done(result),
    })
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn now_ms() -> u64 {
    millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

pub(crate) fn micros_since_epoch(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
pub(crate) mod conformance;
