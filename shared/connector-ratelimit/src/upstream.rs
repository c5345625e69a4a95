//! Outbound limits: token buckets per upstream scope, and scope-wide pauses.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use connector_retry::{is_rate_limited, quota_exhausted, server_wait};
use connector_state::State;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{HeaderMap, StatusCode};
use parking_lot::Mutex;

/// The scope used when a request names none.
pub const DEFAULT_SCOPE: &str = "default";

/// How long a scope pauses when the upstream signals a limit without saying for how long.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// The least time between two content-creating writes: GitHub asks integrations to "wait at
/// least one second between each POST, PATCH, PUT or DELETE request" and to create no more than
/// 80 pieces of content a minute. One request a second with no burst satisfies both.
pub const CONTENT_CREATION_INTERVAL: Duration = Duration::from_secs(1);

/// The most content-creating requests GitHub accepts in a minute before its secondary limit.
pub const CONTENT_CREATION_PER_MINUTE: u32 = 80;

/// The quota for a content-creating write scope: one request every
/// [`CONTENT_CREATION_INTERVAL`], no burst (so at most 60 a minute, under
/// [`CONTENT_CREATION_PER_MINUTE`]).
pub fn content_creation_quota() -> Quota {
    Quota::with_period(CONTENT_CREATION_INTERVAL).expect("a one-second period is not zero")
}

/// Every this many acquisitions, idle buckets and expired pauses are dropped, so scopes that embed
/// identifiers (one per issue, per hook) do not accumulate.
const HOUSEKEEPING_INTERVAL: u64 = 1024;

/// Names the upstream rate-limit scope a request counts against, e.g. `"hubspot:search"` or
/// `"zapier:hook:alerts"`. Insert it as a request extension
/// (`reqwest_middleware::RequestBuilder::with_extension`); requests without one use
/// [`DEFAULT_SCOPE`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope(pub String);

impl Scope {
    /// A scope with the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }
}

/// Client-side limits for calls to one upstream, keyed by scope.
///
/// - Every distinct scope string has its own token bucket. Its quota comes from the longest
///   prefix configured with [`with_quota`](Self::with_quota), else the default quota.
/// - [`pause`](Self::pause) stops a whole scope, for every clone and caller, until the upstream's
///   window resets; [`observe`](Self::observe) does so from response headers.
///
/// Cloning is cheap and clones share all state. Configure quotas before sharing: `with_quota`
/// returns a limiter with fresh buckets.
///
/// With [`shared`](Self::shared) (a fleet-wide state store), the buckets and pauses live in the
/// store, so every replica together keeps one quota per scope; if the store fails, each
/// process falls back to its own bucket (reads carry on) and says so in the log.
#[derive(Clone)]
pub struct UpstreamLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    /// Longest prefix first; the default rule (empty prefix) matches everything and comes last.
    rules: Vec<Rule>,
    /// Scope → the instant its pause ends.
    pauses: Mutex<HashMap<String, Instant>>,
    acquisitions: AtomicU64,
    /// Buckets and pauses shared through the state store.
    shared: Option<State>,
    /// Prefixes the operator set (`--upstream-rate`): a connector's `with_quota` never
    /// replaces them.
    pinned: Vec<String>,
}

struct Rule {
    prefix: String,
    quota: Quota,
    buckets: DefaultKeyedRateLimiter<String>,
}

impl UpstreamLimiter {
    /// A limiter giving every scope `default_quota`.
    pub fn new(default_quota: Quota) -> Self {
        Self::from_rules(
            vec![(String::new(), default_quota)],
            HashMap::new(),
            None,
            Vec::new(),
        )
    }

    /// Like [`with_quota`](Self::with_quota), but the operator's choice: later `with_quota`
    /// calls for the same prefix (a connector's defaults) leave it alone.
    #[must_use]
    pub fn with_override(self, scope_prefix: &str, quota: Quota) -> Self {
        let mut limiter = self.replace(scope_prefix, quota);
        let inner = Arc::get_mut(&mut limiter.inner).expect("a fresh limiter is not shared");
        inner.pinned.push(scope_prefix.to_owned());
        limiter
    }

    /// Keeps buckets and pauses in `state`, shared by every process using it (GCRA in the
    /// store). Only worth it for a fleet-wide store: every request costs one round trip.
    #[must_use]
    pub fn shared(self, state: State) -> Self {
        let rules = self.rules();
        let pauses = self.inner.pauses.lock().clone();
        Self::from_rules(rules, pauses, Some(state), self.inner.pinned.clone())
    }

    fn rules(&self) -> Vec<(String, Quota)> {
        self.inner
            .rules
            .iter()
            .map(|rule| (rule.prefix.clone(), rule.quota))
            .collect()
    }

    /// Gives scopes starting with `scope_prefix` their own `quota` (per scope, not shared by all
    /// scopes under the prefix). Setting the same prefix again replaces its quota.
    #[must_use]
    pub fn with_quota(self, scope_prefix: &str, quota: Quota) -> Self {
        if self.inner.pinned.iter().any(|p| p == scope_prefix) {
            return self;
        }
        self.replace(scope_prefix, quota)
    }

    fn replace(&self, scope_prefix: &str, quota: Quota) -> Self {
        let mut rules = self.rules();
        rules.retain(|(prefix, _)| prefix != scope_prefix);
        rules.push((scope_prefix.to_owned(), quota));
        let pauses = self.inner.pauses.lock().clone();
        Self::from_rules(
            rules,
            pauses,
            self.inner.shared.clone(),
            self.inner.pinned.clone(),
        )
    }

    fn from_rules(
        mut rules: Vec<(String, Quota)>,
        pauses: HashMap<String, Instant>,
        shared: Option<State>,
        pinned: Vec<String>,
    ) -> Self {
        rules.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        let rules = rules
            .into_iter()
            .map(|(prefix, quota)| Rule {
                prefix,
                quota,
                buckets: RateLimiter::keyed(quota),
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                rules,
                pauses: Mutex::new(pauses),
                acquisitions: AtomicU64::new(0),
                shared,
                pinned,
            }),
        }
    }

    /// Paces scopes starting with `scope_prefix` as content-creating writes
    /// ([`content_creation_quota`]): writes wait for each other instead of tripping the
    /// upstream's secondary limit. Like [`with_quota`](Self::with_quota), returns a limiter with
    /// fresh buckets.
    #[must_use]
    pub fn with_content_pacing(self, scope_prefix: &str) -> Self {
        self.with_quota(scope_prefix, content_creation_quota())
    }

    /// Takes a token for `scope` if one is available now, without waiting; otherwise says how
    /// long until one would be (the rest of a pause, or the bucket's next token).
    pub fn try_acquire(&self, scope: &str) -> Result<(), Duration> {
        if let Some(wait) = self.paused_for(scope) {
            return Err(wait);
        }
        let rule = self.inner.rule_for(scope);
        rule.buckets
            .check_key(&scope.to_owned())
            .map_err(|not_until| not_until.wait_time_from(rule.buckets.clock().now()))?;
        self.inner.housekeeping();
        Ok(())
    }

    /// The quota that applies to `scope`.
    pub fn quota_for(&self, scope: &str) -> Quota {
        self.inner.rule_for(scope).quota
    }

    /// Waits until a request on `scope` may be sent: first out any pause on the scope, then for a
    /// token from the scope's bucket.
    pub async fn acquire(&self, scope: &str) {
        self.wait_out_pause(scope).await;
        if let Some(state) = &self.inner.shared
            && self.acquire_shared(state, scope).await
        {
            self.inner.housekeeping();
            return;
        }
        self.inner
            .rule_for(scope)
            .buckets
            .until_key_ready(&scope.to_owned())
            .await;
        // The upstream may have paused the scope while we queued for a token.
        self.wait_out_pause(scope).await;
        self.inner.housekeeping();
    }

    /// Takes a token from the shared bucket, waiting as long as the store says. False when
    /// the store failed (the caller falls back to the local bucket).
    async fn acquire_shared(&self, state: &State, scope: &str) -> bool {
        let quota = self.inner.rule_for(scope).quota;
        let (interval, burst) = (quota.replenish_interval(), quota.burst_size().get());
        loop {
            match state.take_token(scope, interval, burst).await {
                Ok(None) => return true,
                Ok(Some(wait)) => {
                    // A long wait is a pause set by another replica: mirror it locally, so
                    // callers that will not wait that long are told when to retry.
                    if wait > DEFAULT_PAUSE {
                        self.pause_local(scope, wait);
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    let count = self.inner.acquisitions.load(Ordering::Relaxed);
                    if count.is_multiple_of(HOUSEKEEPING_INTERVAL) {
                        tracing::warn!(error = %e, "shared rate limits unavailable; this process paces the upstream on its own until the state store is back");
                    }
                    return false;
                }
            }
        }
    }

    async fn wait_out_pause(&self, scope: &str) {
        while let Some(wait) = self.paused_for(scope) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Makes everyone using `scope` wait until `wait` from now. A later pause that ends sooner
    /// never shortens an earlier one.
    pub fn pause(&self, scope: &str, wait: Duration) {
        self.pause_local(scope, wait);
        if let Some(state) = self.inner.shared.clone()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let scope = scope.to_owned();
            let until = SystemTime::now()
                .checked_add(wait)
                .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(365 * 24 * 3600));
            runtime.spawn(async move {
                if let Err(e) = state.pause(&scope, until).await {
                    tracing::warn!(error = %e, "could not share an upstream pause with the other replicas");
                }
            });
        }
    }

    fn pause_local(&self, scope: &str, wait: Duration) {
        let now = Instant::now();
        // `Instant` cannot represent arbitrarily far futures; a year is forever here.
        let until = now
            .checked_add(wait)
            .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
            .unwrap_or(now);
        let mut pauses = self.inner.pauses.lock();
        pauses.retain(|_, end| *end > now);
        let end = pauses.entry(scope.to_owned()).or_insert(until);
        if until > *end {
            *end = until;
        }
        tracing::debug!(scope, wait_ms = millis(wait), "upstream scope paused");
    }

    /// How much longer `scope` is paused, if it is.
    pub fn paused_for(&self, scope: &str) -> Option<Duration> {
        let end = *self.inner.pauses.lock().get(scope)?;
        end.checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
    }

    /// Pauses `scope` when a response shows its limit is reached: a 429 (or GitHub's rate-limit
    /// 403s), or a remaining-quota header at zero. The pause lasts as long as the upstream says
    /// ([`connector_retry::server_wait`]), else [`DEFAULT_PAUSE`].
    pub fn observe(&self, scope: &str, status: StatusCode, headers: &HeaderMap) {
        if is_rate_limited(status, headers) || quota_exhausted(headers) {
            let wait = server_wait(headers, SystemTime::now()).unwrap_or(DEFAULT_PAUSE);
            self.pause(scope, wait);
        }
    }
}

impl Inner {
    fn rule_for(&self, scope: &str) -> &Rule {
        self.rules
            .iter()
            .find(|rule| scope.starts_with(&rule.prefix))
            .expect("the default rule's empty prefix matches every scope")
    }

    fn housekeeping(&self) {
        let count = self.acquisitions.fetch_add(1, Ordering::Relaxed) + 1;
        if !count.is_multiple_of(HOUSEKEEPING_INTERVAL) {
            return;
        }
        for rule in &self.rules {
            rule.buckets.retain_recent();
        }
        let now = Instant::now();
        self.pauses.lock().retain(|_, end| *end > now);
    }
}

impl fmt::Debug for UpstreamLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quotas: Vec<_> = self
            .inner
            .rules
            .iter()
            .map(|rule| (rule.prefix.as_str(), rule.quota))
            .collect();
        f.debug_struct("UpstreamLimiter")
            .field("quotas", &quotas)
            .field("paused_scopes", &self.inner.pauses.lock().len())
            .finish()
    }
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use http::HeaderValue;

    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// Header name/value pairs for a test case.
    type Pairs = &'static [(&'static str, &'static str)];

    fn generous() -> Quota {
        Quota::per_second(NonZeroU32::new(1000).unwrap())
    }

    /// One request, then one more every `period`.
    fn one_per(period: Duration) -> Quota {
        Quota::with_period(period).unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| ((*name).try_into().unwrap(), HeaderValue::from_static(value)))
            .collect()
    }

    #[tokio::test]
    async fn pause_is_shared_across_clones_and_callers() {
        let limiter = UpstreamLimiter::new(generous());
        let other_handle = limiter.clone();
        other_handle.pause("jira:search", MS(200));

        assert!(limiter.paused_for("jira:search").is_some());
        assert!(limiter.paused_for("jira:issue").is_none());

        let started = Instant::now();
        let waiters = (0..3).map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire("jira:search").await })
        });
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert!(started.elapsed() >= MS(190), "{:?}", started.elapsed());

        let started = Instant::now();
        limiter.acquire("jira:issue").await;
        assert!(started.elapsed() < MS(100));
    }

    #[test]
    fn a_shorter_pause_never_shortens_a_longer_one() {
        let limiter = UpstreamLimiter::new(generous());
        limiter.pause("s", Duration::from_secs(30));
        limiter.pause("s", MS(10));
        assert!(limiter.paused_for("s").unwrap() > Duration::from_secs(29));

        limiter.pause("s", Duration::from_secs(60));
        assert!(limiter.paused_for("s").unwrap() > Duration::from_secs(59));
    }

    #[test]
    fn pauses_expire() {
        let limiter = UpstreamLimiter::new(generous());
        limiter.pause("s", Duration::ZERO);
        assert_eq!(limiter.paused_for("s"), None);
        limiter.pause("s", Duration::MAX);
        assert!(limiter.paused_for("s").is_some());
    }

    #[test]
    fn observe_pauses_on_limit_signals_only() {
        let secs = Duration::from_secs;
        let cases: &[(&str, u16, Pairs, Option<Duration>)] = &[
            (
                "429 with retry-after",
                429,
                &[("retry-after", "20")],
                Some(secs(20)),
            ),
            ("429 without a wait", 429, &[], Some(DEFAULT_PAUSE)),
            (
                "github primary 403",
                403,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "40")],
                Some(secs(40)),
            ),
            (
                "github secondary 403",
                403,
                &[("retry-after", "60")],
                Some(secs(60)),
            ),
            (
                "remaining zero on success",
                200,
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "30")],
                Some(secs(30)),
            ),
            (
                "hubspot remaining zero",
                200,
                &[("x-hubspot-ratelimit-remaining", "0")],
                Some(DEFAULT_PAUSE),
            ),
            (
                "quota left",
                200,
                &[("x-ratelimit-remaining", "17"), ("x-ratelimit-reset", "40")],
                None,
            ),
            ("plain 403", 403, &[], None),
            (
                "503 is not a rate limit",
                503,
                &[("retry-after", "5")],
                None,
            ),
        ];
        for (name, status, pairs, expected) in cases {
            let limiter = UpstreamLimiter::new(generous());
            limiter.observe(
                "scope",
                StatusCode::from_u16(*status).unwrap(),
                &headers(pairs),
            );
            let paused = limiter.paused_for("scope");
            match expected {
                None => assert_eq!(paused, None, "{name}"),
                Some(wait) => {
                    let paused = paused.unwrap_or_else(|| panic!("{name}: not paused"));
                    assert!(
                        paused <= *wait && *wait - paused < secs(1),
                        "{name}: {paused:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_operator_override_survives_the_connectors_defaults() {
        let operator = one_per(MS(100));
        let limiter = UpstreamLimiter::new(generous())
            .with_override("zapier:hook", operator)
            .with_quota("zapier:hook", one_per(MS(500)))
            .with_quota("zapier:account", one_per(MS(700)));
        assert_eq!(limiter.quota_for("zapier:hook:alerts"), operator);
        assert_eq!(limiter.quota_for("zapier:account:1"), one_per(MS(700)));
    }

    #[test]
    fn longest_prefix_chooses_the_quota() {
        let search = one_per(MS(100));
        let crm = one_per(MS(200));
        let limiter = UpstreamLimiter::new(generous())
            .with_quota("hubspot:search", search)
            .with_quota("hubspot", crm);

        assert_eq!(limiter.quota_for("hubspot:search:contacts"), search);
        assert_eq!(limiter.quota_for("hubspot:crm:deals"), crm);
        assert_eq!(limiter.quota_for("jira:search"), generous());

        let replaced = one_per(MS(300));
        let limiter = limiter.with_quota("hubspot", replaced);
        assert_eq!(limiter.quota_for("hubspot:crm:deals"), replaced);
        assert_eq!(limiter.quota_for("hubspot:search"), search);
    }

    #[tokio::test]
    async fn each_scope_has_its_own_bucket() {
        let limiter =
            UpstreamLimiter::new(generous()).with_quota("hubspot:search", one_per(MS(250)));

        let started = Instant::now();
        limiter.acquire("hubspot:search:contacts").await;
        limiter.acquire("hubspot:search:deals").await;
        limiter.acquire("hubspot:crm").await;
        limiter.acquire("hubspot:crm").await;
        assert!(
            started.elapsed() < MS(100),
            "distinct scopes must not wait on each other"
        );

        limiter.acquire("hubspot:search:contacts").await;
        assert!(started.elapsed() >= MS(200), "{:?}", started.elapsed());
    }

    #[test]
    fn content_creation_quota_keeps_to_githubs_guidance() {
        let quota = content_creation_quota();
        assert_eq!(quota.burst_size().get(), 1);
        assert!(quota.replenish_interval() >= CONTENT_CREATION_INTERVAL);
        // A full bucket plus one token per interval over a minute.
        let most_per_minute = quota.burst_size().get() - 1
            + u32::try_from(60_000 / quota.replenish_interval().as_millis()).unwrap();
        assert!(
            most_per_minute <= CONTENT_CREATION_PER_MINUTE,
            "{most_per_minute}"
        );
    }

    #[test]
    fn content_pacing_holds_the_second_write_back_and_only_writes() {
        let limiter = UpstreamLimiter::new(generous()).with_content_pacing("github:h:write");
        assert_eq!(limiter.try_acquire("github:h:write"), Ok(()));
        let wait = limiter.try_acquire("github:h:write").unwrap_err();
        assert!(
            !wait.is_zero() && wait <= CONTENT_CREATION_INTERVAL,
            "{wait:?}"
        );
        // Reads and other hosts keep their own, generous buckets.
        for _ in 0..10 {
            assert_eq!(limiter.try_acquire("github:h:read"), Ok(()));
        }
        assert_eq!(limiter.try_acquire("github:other:write"), Ok(()));
    }

    #[test]
    fn try_acquire_reports_a_pause() {
        let limiter = UpstreamLimiter::new(generous());
        limiter.pause("s", Duration::from_secs(30));
        let wait = limiter.try_acquire("s").unwrap_err();
        assert!(wait > Duration::from_secs(29), "{wait:?}");
    }

    #[test]
    fn debug_shows_configuration_not_internals() {
        let limiter = UpstreamLimiter::new(generous()).with_quota("zapier:hook", one_per(MS(100)));
        let debug = format!("{limiter:?}");
        assert!(
            debug.contains("zapier:hook") && debug.contains("paused_scopes: 0"),
            "{debug}"
        );
    }
}
