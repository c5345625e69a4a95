//! In-memory state: deliveries, disabled hooks and per-hook rate windows.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::Options;

/// How many deliveries are kept; the oldest are forgotten first.
pub const MAX_DELIVERIES: usize = 10_000;

/// Width of the rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// One payload the mock accepted, as a Zap trigger would see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The `id` answered to the sender.
    pub id: String,
    /// The `request_id` answered to the sender.
    pub request_id: String,
    /// The `attempt` answered to the sender.
    pub attempt: String,
    /// Account id from the hook URL.
    pub account: String,
    /// Hook id from the hook URL.
    pub hook: String,
    /// The payload: the JSON body, or the form/query fields as a flat object.
    pub body: Value,
    /// When the mock accepted it.
    pub received_at: DateTime<Utc>,
    /// Whether it came through the `/silent/` URL.
    pub silent: bool,
}

/// Why a delivery was refused before its body was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The hook was turned off through the admin API.
    Disabled,
    /// The hook already took `rate_per_second` requests in the last second.
    RateLimited,
}

/// Handle on the mock's state, shared by its routes, its admin API and tests.
///
/// Cheap to clone: all clones share the same state.
#[derive(Debug, Clone)]
pub struct MockZapier {
    options: Options,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    deliveries: VecDeque<Delivery>,
    disabled: HashSet<HookKey>,
    windows: HashMap<HookKey, VecDeque<Instant>>,
}

type HookKey = (String, String);

fn key(account: &str, hook: &str) -> HookKey {
    (account.to_owned(), hook.to_owned())
}

impl MockZapier {
    /// Empty state with these options.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            inner: Arc::default(),
        }
    }

    /// The options the mock runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every accepted delivery, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.iter().cloned().collect()
    }

    /// The deliveries to one hook, oldest first.
    pub fn deliveries_for(&self, account: &str, hook: &str) -> Vec<Delivery> {
        self.inner
            .lock()
            .deliveries
            .iter()
            .filter(|d| d.account == account && d.hook == hook)
            .cloned()
            .collect()
    }

    /// Turns a hook off: deliveries to it get `410 Gone` until it is enabled again.
    pub fn disable_hook(&self, account: &str, hook: &str) {
        self.inner.lock().disabled.insert(key(account, hook));
    }

    /// Turns a hook back on.
    pub fn enable_hook(&self, account: &str, hook: &str) {
        self.inner.lock().disabled.remove(&key(account, hook));
    }

    /// Whether a hook is turned off.
    pub fn is_disabled(&self, account: &str, hook: &str) -> bool {
        self.inner.lock().disabled.contains(&key(account, hook))
    }

    /// The turned-off hooks as `account/hook`, sorted.
    pub fn disabled_hooks(&self) -> Vec<String> {
        let mut hooks: Vec<String> = self
            .inner
            .lock()
            .disabled
            .iter()
            .map(|(account, hook)| format!("{account}/{hook}"))
            .collect();
        hooks.sort();
        hooks
    }

    /// Forgets deliveries, disabled hooks and rate windows.
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        inner.deliveries.clear();
        inner.disabled.clear();
        inner.windows.clear();
    }

    /// Checks the hook is on and within its rate, and if so counts this request against it.
    pub(crate) fn admit(&self, account: &str, hook: &str, now: Instant) -> Result<(), Refusal> {
        let mut inner = self.inner.lock();
        let key = key(account, hook);
        if inner.disabled.contains(&key) {
            return Err(Refusal::Disabled);
        }
        let limit = self.options.rate_per_second;
        if limit == 0 {
            return Ok(());
        }
        let window = inner.windows.entry(key).or_default();
        while window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= RATE_WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return Err(Refusal::RateLimited);
        }
        window.push_back(now);
        Ok(())
    }

    /// Stores an accepted payload and returns the delivery.
    pub(crate) fn store(&self, account: &str, hook: &str, body: Value, silent: bool) -> Delivery {
        let delivery = Delivery {
            id: Uuid::new_v4().to_string(),
            request_id: short_id(),
            attempt: Uuid::new_v4().to_string(),
            account: account.to_owned(),
            hook: hook.to_owned(),
            body,
            received_at: Utc::now(),
            silent,
        };
        let mut inner = self.inner.lock();
        if inner.deliveries.len() >= MAX_DELIVERIES {
            inner.deliveries.pop_front();
        }
        inner.deliveries.push_back(delivery.clone());
        delivery
    }
}

/// A short random id in the style of Zapier's `request_id` (16 hex digits).
fn short_id() -> String {
    let mut id = Uuid::new_v4().simple().to_string();
    id.truncate(16);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_slides() {
        let state = MockZapier::new(Options { rate_per_second: 2 });
        let start = Instant::now();
        assert_eq!(state.admit("1", "a", start), Ok(()));
        assert_eq!(state.admit("1", "a", start), Ok(()));
        assert_eq!(state.admit("1", "a", start), Err(Refusal::RateLimited));
        assert_eq!(state.admit("1", "b", start), Ok(()), "limits are per hook");
        let later = start + RATE_WINDOW;
        assert_eq!(state.admit("1", "a", later), Ok(()));
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let state = MockZapier::new(Options { rate_per_second: 0 });
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(state.admit("1", "a", now), Ok(()));
        }
    }

    #[test]
    fn disabled_hooks_are_refused_until_enabled_or_reset() {
        let state = MockZapier::new(Options::default());
        state.disable_hook("1", "a");
        assert_eq!(
            state.admit("1", "a", Instant::now()),
            Err(Refusal::Disabled)
        );
        assert_eq!(state.disabled_hooks(), ["1/a"]);
        state.enable_hook("1", "a");
        assert!(!state.is_disabled("1", "a"));
        state.disable_hook("1", "a");
        state.store("1", "a", Value::Null, false);
        state.reset();
        assert!(!state.is_disabled("1", "a"));
        assert!(state.deliveries().is_empty());
    }

    #[test]
    fn deliveries_get_ids_in_zapier_style() {
        let state = MockZapier::new(Options::default());
        let delivery = state.store("123", "abc", serde_json::json!({"x": 1}), false);
        assert!(Uuid::parse_str(&delivery.id).is_ok());
        assert!(Uuid::parse_str(&delivery.attempt).is_ok());
        assert_eq!(delivery.request_id.len(), 16);
        assert_eq!(state.deliveries_for("123", "abc"), vec![delivery]);
        assert!(state.deliveries_for("123", "other").is_empty());
    }
}
