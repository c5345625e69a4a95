//! `--state redis://…` / `rediss://…`: one Redis shared by every replica. Each primitive is a
//! single command or a Lua script, so it is atomic on the server: no read-then-write races
//! between replicas. Rate buckets use the server's clock (`TIME`), so replicas with skewed
//! clocks still share one quota. The connection manager reconnects by itself; commands time out
//! after [`RESPONSE_TIMEOUT`] so an unreachable server fails a call instead of hanging it.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, Script};
use secrecy::{ExposeSecret, SecretString};

use crate::backend::{Backend, Kind};
use crate::{StateError, millis};

/// How long one command may take.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

const SET_IF_ABSENT: &str = r"
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
";

const SWAP_IF: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'del' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1
";

const RAISE: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
";

/// GCRA on the server's clock. KEYS[1] bucket (theoretical arrival time, µs), KEYS[2] pause
/// (µs since the epoch). ARGV[1] interval µs, ARGV[2] burst. Returns 0 (token taken) or the
/// wait in µs.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if pause > now then return pause - now end
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
if now < tat - tolerance then return tat - tolerance - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
";

/// The Redis store.
#[derive(Clone)]
pub struct RedisBackend {
    described: String,
    conn: ConnectionManager,
    set_if_absent: Script,
    swap_if: Script,
    raise: Script,
    gcra: Script,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("at", &self.described)
            .finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> StateError {
    StateError::new("redis", e.to_string())
}

fn ttl_ms(ttl: Duration) -> u64 {
    millis(ttl).max(1)
}

impl RedisBackend {
    /// Connects lazily to `url` (`redis://[user[:password]@]host[:port][/db]` or `rediss://…`);
    /// `password`, when given, replaces one in the URL. The first command connects, so a server
    /// that is down at start-up makes the process not ready instead of stopping it.
    pub fn open(url: &str, password: Option<&SecretString>) -> Result<Self, StateError> {
        let mut info = url
            .into_connection_info()
            .map_err(|e| err(format!("--state is not a Redis URL ({:?})", e.kind())))?;
        if let Some(pw) = password {
            let settings = info
                .redis_settings()
                .clone()
                .set_password(pw.expose_secret());
            info = info.set_redis_settings(settings);
        }
        let described = redact(url);
        let client = redis::Client::open(info).map_err(err)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = client.get_connection_manager_lazy(config).map_err(err)?;
        Ok(RedisBackend {
            described,
            conn,
            set_if_absent: Script::new(SET_IF_ABSENT),
            swap_if: Script::new(SWAP_IF),
            raise: Script::new(RAISE),
            gcra: Script::new(GCRA),
        })
    }
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "redis (unparsable URL)".into(),
    }
}

#[async_trait]
impl Backend for RedisBackend {
    fn kind(&self) -> Kind {
        Kind::Redis
    }

    fn describe(&self) -> String {
        self.described.clone()
    }

    async fn ping(&self) -> Result<(), StateError> {
        let mut c = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StateError> {
        let mut c = self.conn.clone();
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut c)
            .await
            .map_err(err)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StateError> {
        let mut c = self.conn.clone();
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async::<()>(&mut c)
            .await
            .map_err(err)
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StateError> {
        let mut c = self.conn.clone();
        self.set_if_absent
            .key(key)
            .arg(value)
            .arg(ttl_ms(ttl))
            .invoke_async(&mut c)
            .await
            .map_err(err)
    }

    async fn swap_if(
        &self,
        key: &str,
        expected: &str,
        new: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let mut c = self.conn.clone();
        let swapped: i64 = self
            .swap_if
            .key(key)
            .arg(expected)
            .arg(if new.is_some() { "set" } else { "del" })
            .arg(new.unwrap_or(""))
            .arg(ttl_ms(ttl))
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        Ok(swapped == 1)
    }

    async fn delete(&self, key: &str) -> Result<(), StateError> {
        let mut c = self.conn.clone();
        redis::cmd("DEL")
            .arg(key)
            .query_async::<()>(&mut c)
            .await
            .map_err(err)
    }

    async fn push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StateError> {
        let mut c = self.conn.clone();
        redis::pipe()
            .atomic()
            .cmd("LPUSH")
            .arg(list)
            .arg(value)
            .ignore()
            .cmd("LTRIM")
            .arg(list)
            .arg(0)
            .arg(max_len.saturating_sub(1))
            .ignore()
            .cmd("PEXPIRE")
            .arg(list)
            .arg(ttl_ms(ttl))
            .ignore()
            .query_async::<()>(&mut c)
            .await
            .map_err(err)
    }

    async fn range(
        &self,
        list: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<String>, StateError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut c = self.conn.clone();
        redis::cmd("LRANGE")
            .arg(list)
            .arg(offset)
            .arg(offset.saturating_add(limit - 1))
            .query_async(&mut c)
            .await
            .map_err(err)
    }

    async fn raise(&self, key: &str, value: u64, ttl: Duration) -> Result<(), StateError> {
        let mut c = self.conn.clone();
        self.raise
            .key(key)
            .arg(value)
            .arg(ttl_ms(ttl))
            .invoke_async::<i64>(&mut c)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn gcra(
        &self,
        bucket: &str,
        pause: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Option<Duration>, StateError> {
        let mut c = self.conn.clone();
        let interval_us = u64::try_from(interval.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let wait_us: u64 = self
            .gcra
            .key(bucket)
            .key(pause)
            .arg(interval_us)
            .arg(burst.max(1))
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_urls_carry_no_password() {
        assert_eq!(
            redact("redis://user:hunter2@cache:6379/0"),
            "redis://user:***@cache:6379/0"
        );
        assert_eq!(redact("rediss://cache:6380"), "rediss://cache:6380");
    }
}
