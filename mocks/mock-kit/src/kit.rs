//! The shared request log and fault queue.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::fault::Fault;

/// How many requests the log keeps; the oldest are forgotten first. Keeps a long-running mock
/// (docker-compose, demo mode) from growing without bound.
pub const MAX_RECORDED_REQUESTS: usize = 10_000;

/// One request that reached the mock (admin requests are never recorded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Arrival order, starting at 1 after each reset.
    pub seq: u64,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path without the query string.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Request headers (lower-case names); credentials are replaced by `"[redacted]"`.
    pub headers: BTreeMap<String, String>,
    /// The body: JSON when it parses, else the text, `null` when empty.
    pub body: serde_json::Value,
    /// The status the mock answered; 0 when the connection was dropped.
    pub status: u16,
    /// The injected fault, if any (see [`Fault::label`]).
    pub fault: Option<String>,
    /// When the request arrived.
    pub at: DateTime<Utc>,
}

type ResetHook = Box<dyn Fn() + Send + Sync>;

/// Request log and fault queue shared by a mock's router, its admin API and its tests.
///
/// Cheap to clone: all clones share the same state.
#[derive(Clone, Default)]
pub struct MockKit {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    reset_hooks: Mutex<Vec<ResetHook>>,
}

#[derive(Default)]
struct State {
    last_seq: u64,
    log: VecDeque<RecordedRequest>,
    faults: VecDeque<Fault>,
}

impl fmt::Debug for MockKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.lock();
        f.debug_struct("MockKit")
            .field("recorded", &state.log.len())
            .field("faults", &state.faults)
            .field("reset_hooks", &self.inner.reset_hooks.lock().len())
            .finish()
    }
}

impl MockKit {
    /// An empty log and fault queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every recorded request, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let mut requests: Vec<_> = self.inner.state.lock().log.iter().cloned().collect();
        requests.sort_by_key(|r| r.seq);
        requests
    }

    /// Recorded requests whose path starts with `prefix`, in arrival order.
    pub fn requests_with_prefix(&self, prefix: &str) -> Vec<RecordedRequest> {
        let mut requests = self.requests();
        requests.retain(|r| r.path.starts_with(prefix));
        requests
    }

    /// Queues a fault behind the ones already queued. `times: 0` is treated as 1.
    pub fn push_fault(&self, mut fault: Fault) {
        fault.times = fault.times.max(1);
        self.inner.state.lock().faults.push_back(fault);
    }

    /// Faults still queued, with their remaining `times`.
    pub fn faults(&self) -> Vec<Fault> {
        self.inner.state.lock().faults.iter().cloned().collect()
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.inner.state.lock().faults.clear();
    }

    /// Registers a hook that [`MockKit::reset`] runs, so a mock can clear its own state too.
    ///
    /// Hooks must not call back into `on_reset`.
    pub fn on_reset(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.inner.reset_hooks.lock().push(Box::new(hook));
    }

    /// Clears the log and the fault queue (sequence numbers restart at 1), then runs the
    /// reset hooks.
    pub fn reset(&self) {
        {
            let mut state = self.inner.state.lock();
            state.log.clear();
            state.faults.clear();
            state.last_seq = 0;
        }
        for hook in self.inner.reset_hooks.lock().iter() {
            hook();
        }
    }

    /// Next arrival sequence number.
    pub(crate) fn next_seq(&self) -> u64 {
        let mut state = self.inner.state.lock();
        state.last_seq += 1;
        state.last_seq
    }

    /// Takes one use of the first queued fault matching the request.
    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut state = self.inner.state.lock();
        let index = state.faults.iter().position(|f| f.matches(method, path))?;
        let fault = &mut state.faults[index];
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            state.faults.remove(index)
        } else {
            Some(fault.clone())
        }
    }

    /// Appends a finished request to the log.
    pub(crate) fn record(&self, request: RecordedRequest) {
        let mut state = self.inner.state.lock();
        if state.log.len() >= MAX_RECORDED_REQUESTS {
            state.log.pop_front();
        }
        state.log.push_back(request);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn faults_are_consumed_in_order_and_by_times() {
        let kit = MockKit::new();
        kit.push_fault(Fault::status(500).path_prefix("/a").times(2));
        kit.push_fault(Fault::status(503));
        assert_eq!(kit.take_fault("GET", "/b").unwrap().label(), "status 503");
        assert_eq!(kit.take_fault("GET", "/a/1").unwrap().label(), "status 500");
        assert_eq!(kit.faults().len(), 1);
        assert_eq!(kit.take_fault("GET", "/a/2").unwrap().label(), "status 500");
        assert!(kit.take_fault("GET", "/a/3").is_none());
        assert!(kit.faults().is_empty());
    }

    #[test]
    fn zero_times_means_once() {
        let kit = MockKit::new();
        kit.push_fault(Fault::reset().times(0));
        assert!(kit.take_fault("GET", "/").is_some());
        assert!(kit.take_fault("GET", "/").is_none());
    }

    #[test]
    fn reset_clears_everything_and_runs_hooks() {
        let kit = MockKit::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        kit.on_reset(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        kit.push_fault(Fault::reset());
        assert_eq!(kit.next_seq(), 1);
        kit.reset();
        assert!(kit.faults().is_empty());
        assert_eq!(kit.next_seq(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
