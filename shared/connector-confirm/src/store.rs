//! The idempotency store: a confirmation's nonce is the key of exactly one
//! upstream write.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

/// What [`IdempotencyStore::begin`] found for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// The key is new and is now held by the caller: write, then `finish`.
    Started,
    /// Another call holds the key right now.
    InFlight,
    /// The write already ran; here is its recorded result.
    Done(Value),
}

/// Records which writes ran. In-memory by default; a shared store (Redis)
/// lets several replicas share the guarantee.
#[async_trait]
pub trait IdempotencyStore: Send + Sync + std::fmt::Debug {
    /// Claims `key` for `ttl`, or reports what happened to it.
    async fn begin(&self, key: &str, ttl: Duration) -> Begin;
    /// Records the result of the write that held `key`.
    async fn finish(&self, key: &str, result: Value, ttl: Duration);
    /// Releases `key` after a failure that certainly wrote nothing, so the
    /// same confirmation may be retried.
    async fn release(&self, key: &str);
}

#[derive(Debug)]
enum Slot {
    InFlight(Instant),
    Done(Value, Instant),
}

/// Process-local store. Entries expire after their TTL; expired entries are
/// swept on insert so memory stays bounded by the write rate.
#[derive(Debug, Default)]
pub struct MemoryStore {
    slots: parking_lot::Mutex<HashMap<String, Slot>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn sweep(map: &mut HashMap<String, Slot>, now: Instant) {
        map.retain(|_, s| match s {
            Slot::InFlight(until) | Slot::Done(_, until) => *until > now,
        });
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin(&self, key: &str, ttl: Duration) -> Begin {
        let now = Instant::now();
        let mut map = self.slots.lock();
        match map.get(key) {
            Some(Slot::InFlight(until)) if *until > now => return Begin::InFlight,
            Some(Slot::Done(v, until)) if *until > now => return Begin::Done(v.clone()),
            _ => {}
        }
        if map.len() > 1024 {
            Self::sweep(&mut map, now);
        }
        map.insert(key.to_owned(), Slot::InFlight(now + ttl));
        Begin::Started
    }

    async fn finish(&self, key: &str, result: Value, ttl: Duration) {
        self.slots
            .lock()
            .insert(key.to_owned(), Slot::Done(result, Instant::now() + ttl));
    }

    async fn release(&self, key: &str) {
        let mut map = self.slots.lock();
        if matches!(map.get(key), Some(Slot::InFlight(_))) {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_key_runs_once() {
        let s = MemoryStore::new();
        let ttl = Duration::from_secs(60);
        assert_eq!(s.begin("k", ttl).await, Begin::Started);
        assert_eq!(s.begin("k", ttl).await, Begin::InFlight);
        s.finish("k", json!({"id": 1}), ttl).await;
        assert_eq!(s.begin("k", ttl).await, Begin::Done(json!({"id": 1})));
    }

    #[tokio::test]
    async fn release_allows_retry_but_not_after_finish() {
        let s = MemoryStore::new();
        let ttl = Duration::from_secs(60);
        s.begin("a", ttl).await;
        s.release("a").await;
        assert_eq!(s.begin("a", ttl).await, Begin::Started);
        s.finish("a", json!(1), ttl).await;
        s.release("a").await;
        assert_eq!(s.begin("a", ttl).await, Begin::Done(json!(1)));
    }

    #[tokio::test]
    async fn entries_expire() {
        let s = MemoryStore::new();
        s.begin("x", Duration::from_millis(1)).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(s.begin("x", Duration::from_secs(1)).await, Begin::Started);
    }
}
