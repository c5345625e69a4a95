//! `--state memory`: process-local, gone at exit. Only when asked for.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::StateError;
use crate::backend::{Backend, Kind};

/// Sweep expired entries every this many writes.
const SWEEP_EVERY: u64 = 1024;

/// A process-local store with TTLs.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    values: HashMap<String, (String, Instant)>,
    lists: HashMap<String, (VecDeque<String>, Instant)>,
    writes: u64,
}

impl Inner {
    fn live(&self, key: &str, now: Instant) -> Option<&String> {
        self.values
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(v, _)| v)
    }

    fn wrote(&mut self, now: Instant) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.values.retain(|_, (_, until)| *until > now);
            self.lists.retain(|_, (_, until)| *until > now);
        }
    }
}

fn deadline(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

#[async_trait]
impl Backend for MemoryBackend {
    fn kind(&self) -> Kind {
        Kind::Memory
    }

    fn describe(&self) -> String {
        "memory (this process only; lost at exit)".into()
    }

    async fn ping(&self) -> Result<(), StateError> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StateError> {
        Ok(self.inner.lock().live(key, Instant::now()).cloned())
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StateError> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        inner
            .values
            .insert(key.to_owned(), (value.to_owned(), deadline(now, ttl)));
        inner.wrote(now);
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StateError> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        if let Some(existing) = inner.live(key, now) {
            return Ok(Some(existing.clone()));
        }
        inner
            .values
            .insert(key.to_owned(), (value.to_owned(), deadline(now, ttl)));
        inner.wrote(now);
        Ok(None)
    }

    async fn swap_if(
        &self,
        key: &str,
        expected: &str,
        new: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        if inner.live(key, now).map(String::as_str) != Some(expected) {
            return Ok(false);
        }
        match new {
            Some(v) => {
                inner
                    .values
                    .insert(key.to_owned(), (v.to_owned(), deadline(now, ttl)));
            }
            None => {
                inner.values.remove(key);
            }
        }
        inner.wrote(now);
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), StateError> {
        self.inner.lock().values.remove(key);
        Ok(())
    }

    async fn push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StateError> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        let entry = inner
            .lists
            .entry(list.to_owned())
            .or_insert_with(|| (VecDeque::new(), now));
        if entry.1 <= now {
            entry.0.clear();
        }
        entry.0.push_front(value.to_owned());
        entry.0.truncate(max_len);
        entry.1 = deadline(now, ttl);
        inner.wrote(now);
        Ok(())
    }

    async fn range(
        &self,
        list: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<String>, StateError> {
        let now = Instant::now();
        let inner = self.inner.lock();
        Ok(inner
            .lists
            .get(list)
            .filter(|(_, until)| *until > now)
            .map(|(items, _)| items.iter().skip(offset).take(limit).cloned().collect())
            .unwrap_or_default())
    }
}
