//! The retry policy: a plain value that turns "what happened" into "what to do next".

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};
use rand::Rng;

use crate::server_wait::{is_rate_limited, server_wait};

/// Marks a non-idempotent request (POST, PATCH) as safe to send more than once.
///
/// Insert it as a request extension — `reqwest_middleware::RequestBuilder::with_extension` or
/// `http::Request::extensions_mut` — when the upstream deduplicates by this key (or the write is
/// otherwise harmless to repeat). The retry adapters only read its presence; passing the key to
/// the upstream (e.g. an `Idempotency-Key` header) is the caller's job, because every API spells
/// it differently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(pub String);

/// What happened to one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The connection could not be established: the request never left, so any method may be
    /// sent again.
    NotSent,
    /// The request was (or may have been) sent and then the exchange failed (timeout, dropped
    /// connection, truncated response). The upstream may have processed it.
    Ambiguous,
    /// The upstream answered.
    Response {
        /// Response status.
        status: StatusCode,
        /// Response headers, read for `Retry-After` and rate-limit hints.
        headers: &'a HeaderMap,
    },
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Hand the outcome to the caller as it is: a success, a final error status, or a failure
    /// that is not safe to repeat (e.g. a POST whose connection dropped).
    Accept,
    /// Send the request again after waiting `after`.
    Retry {
        /// How long to wait before the next attempt.
        after: Duration,
    },
    /// The failure was retryable but the attempt or time budget is spent.
    GiveUp {
        /// When the upstream said it will accept requests again, if it said so.
        retry_after: Option<Duration>,
    },
}

/// Method-aware retry policy with exponential backoff, full jitter and a total deadline.
///
/// | outcome | retried for |
/// |---|---|
/// | connect error ([`Outcome::NotSent`]) | every method |
/// | 429, GitHub's rate-limit 403s, 503 | every method (the upstream refused the request) |
/// | 500, 502, 504, dropped connection / timeout ([`Outcome::Ambiguous`]) | idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) and requests carrying an [`IdempotencyKey`] |
/// | anything else | never |
///
/// The wait before a retry is the server's (see [`server_wait`](crate::server_wait)) when it
/// gave one, otherwise [`backoff`](Self::backoff). The policy gives up when `max_attempts` have
/// been made, when the wait would run past `deadline`, or when the server asks for a wait
/// longer than `max_delay` — a caller blocked that long is better told "retry after N s".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first. `0` is treated as `1`.
    pub max_attempts: u32,
    /// Backoff scale: the first retry waits up to this long.
    pub base_delay: Duration,
    /// The longest single wait, for backoff and for server-requested waits alike.
    pub max_delay: Duration,
    /// Total time budget measured from the first attempt; no retry is scheduled past it.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: one attempt, failures passed through.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the total number of attempts, including the first.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the backoff scale.
    #[must_use]
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the longest single wait.
    #[must_use]
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Sets the total time budget.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Decides what to do after `attempt` attempts (1-based) made over `elapsed` since the first.
    ///
    /// `idempotency_key` says whether the request carries an [`IdempotencyKey`].
    pub fn decide(
        &self,
        method: &Method,
        idempotency_key: bool,
        outcome: Outcome<'_>,
        attempt: u32,
        elapsed: Duration,
    ) -> Decision {
        let replay_safe = idempotency_key || is_idempotent(method);
        let (retryable, wait_hint) = match outcome {
            Outcome::NotSent => (true, None),
            Outcome::Ambiguous => (replay_safe, None),
            Outcome::Response { status, headers } => {
                let retryable = match classify(status, headers) {
                    StatusClass::Refused => true,
                    StatusClass::Failed => replay_safe,
                    StatusClass::Final => false,
                };
                // Only read headers for responses we act on; `server_wait` parses dates.
                let hint = if retryable {
                    server_wait(headers, SystemTime::now())
                } else {
                    None
                };
                (retryable, hint)
            }
        };
        if !retryable {
            return Decision::Accept;
        }

        let give_up = Decision::GiveUp {
            retry_after: wait_hint,
        };
        if attempt >= self.max_attempts.max(1) {
            return give_up;
        }
        let wait = match wait_hint {
            Some(server) if server > self.max_delay => return give_up,
            Some(server) => server,
            None => self.backoff(attempt),
        };
        if elapsed.saturating_add(wait) > self.deadline {
            return give_up;
        }
        Decision::Retry { after: wait }
    }

    /// A random wait in `[0, min(max_delay, base_delay * 2^(attempt-1))]` ("full jitter"), for the
    /// retry after `attempt` attempts (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let cap = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=cap_nanos))
    }
}

/// Whether repeating the request has the same effect as sending it once (RFC 9110 §9.2.2).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

enum StatusClass {
    /// The upstream refused the request without processing it: safe to repeat for any method.
    Refused,
    /// The upstream (or a gateway) failed; the request may have been processed.
    Failed,
    /// A real answer: success, redirect or client error.
    Final,
}

fn classify(status: StatusCode, headers: &HeaderMap) -> StatusClass {
    if is_rate_limited(status, headers) || status == StatusCode::SERVICE_UNAVAILABLE {
        return StatusClass::Refused;
    }
    match status {
        StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::GATEWAY_TIMEOUT => StatusClass::Failed,
        _ => StatusClass::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const S: fn(u64) -> Duration = Duration::from_secs;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn response(status: u16, headers: &HeaderMap) -> Outcome<'_> {
        Outcome::Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
        }
    }

    /// Retryable decisions carry a random backoff; compare only the kind.
    fn kind(decision: Decision) -> &'static str {
        match decision {
            Decision::Accept => "accept",
            Decision::Retry { .. } => "retry",
            Decision::GiveUp { .. } => "give up",
        }
    }

    #[test]
    fn which_outcomes_are_retried_per_method() {
        let none = HeaderMap::new();
        let github_primary = headers(&[("x-ratelimit-remaining", "0")]);
        let github_secondary = headers(&[("retry-after", "1")]);
        let policy = RetryPolicy::default();
        let cases: &[(Method, bool, Outcome<'_>, &str)] = &[
            (Method::GET, false, response(200, &none), "accept"),
            (Method::POST, false, response(201, &none), "accept"),
            (Method::GET, false, response(404, &none), "accept"),
            (Method::GET, false, response(403, &none), "accept"),
            (Method::GET, false, response(400, &none), "accept"),
            (Method::GET, false, response(501, &none), "accept"),
            (Method::GET, false, response(429, &none), "retry"),
            (Method::POST, false, response(429, &none), "retry"),
            (Method::PATCH, false, response(503, &none), "retry"),
            (Method::POST, false, response(503, &none), "retry"),
            (Method::POST, false, response(403, &github_primary), "retry"),
            (
                Method::POST,
                false,
                response(403, &github_secondary),
                "retry",
            ),
            (Method::GET, false, response(500, &none), "retry"),
            (Method::PUT, false, response(502, &none), "retry"),
            (Method::DELETE, false, response(504, &none), "retry"),
            (Method::POST, false, response(500, &none), "accept"),
            (Method::POST, false, response(502, &none), "accept"),
            (Method::PATCH, false, response(504, &none), "accept"),
            (Method::POST, true, response(502, &none), "retry"),
            (Method::PATCH, true, response(500, &none), "retry"),
            (Method::POST, false, Outcome::NotSent, "retry"),
            (Method::GET, false, Outcome::NotSent, "retry"),
            (Method::GET, false, Outcome::Ambiguous, "retry"),
            (Method::HEAD, false, Outcome::Ambiguous, "retry"),
            (Method::POST, false, Outcome::Ambiguous, "accept"),
            (Method::PATCH, false, Outcome::Ambiguous, "accept"),
            (Method::POST, true, Outcome::Ambiguous, "retry"),
        ];
        for (method, key, outcome, expected) in cases {
            let decision = policy.decide(method, *key, *outcome, 1, Duration::ZERO);
            assert_eq!(kind(decision), *expected, "{method} key={key} {outcome:?}");
        }
    }

    #[test]
    fn server_wait_is_used_as_is() {
        let policy = RetryPolicy::default();
        let h = headers(&[("retry-after", "3")]);
        let decision = policy.decide(&Method::POST, false, response(429, &h), 1, Duration::ZERO);
        assert_eq!(decision, Decision::Retry { after: S(3) });
    }

    #[test]
    fn retry_after_zero_retries_immediately() {
        let policy = RetryPolicy::default();
        let h = headers(&[("retry-after", "0")]);
        let decision = policy.decide(&Method::GET, false, response(503, &h), 1, Duration::ZERO);
        assert_eq!(
            decision,
            Decision::Retry {
                after: Duration::ZERO
            }
        );
    }

    #[test]
    fn retry_after_http_date_is_honoured() {
        let policy = RetryPolicy::default();
        let at = SystemTime::now() + S(5);
        let h = headers(&[("retry-after", &httpdate::fmt_http_date(at))]);
        let Decision::Retry { after } =
            policy.decide(&Method::GET, false, response(429, &h), 1, Duration::ZERO)
        else {
            panic!("expected a retry");
        };
        // HTTP dates have one-second resolution.
        assert!(after <= S(5) && after >= S(3), "{after:?}");
    }

    #[test]
    fn gives_up_after_max_attempts_and_reports_server_wait() {
        let policy = RetryPolicy::default().with_max_attempts(3);
        let h = headers(&[("retry-after", "2")]);
        assert_eq!(
            kind(policy.decide(&Method::GET, false, response(429, &h), 2, S(1))),
            "retry"
        );
        assert_eq!(
            policy.decide(&Method::GET, false, response(429, &h), 3, S(1)),
            Decision::GiveUp {
                retry_after: Some(S(2))
            }
        );
        let none = HeaderMap::new();
        assert_eq!(
            policy.decide(&Method::GET, false, response(502, &none), 3, S(1)),
            Decision::GiveUp { retry_after: None }
        );
        assert_eq!(
            policy.decide(&Method::GET, false, Outcome::NotSent, 3, S(1)),
            Decision::GiveUp { retry_after: None }
        );
    }

    #[test]
    fn zero_max_attempts_means_one() {
        let policy = RetryPolicy::default().with_max_attempts(0);
        let decision = policy.decide(&Method::GET, false, Outcome::NotSent, 1, Duration::ZERO);
        assert_eq!(decision, Decision::GiveUp { retry_after: None });
        assert_eq!(
            kind(RetryPolicy::never().decide(
                &Method::GET,
                false,
                Outcome::NotSent,
                1,
                Duration::ZERO
            )),
            "give up"
        );
    }

    #[test]
    fn deadline_cuts_off_retries() {
        let policy = RetryPolicy::default().with_deadline(S(10));
        let h = headers(&[("retry-after", "4")]);
        // 5 s spent + 4 s wait fits in 10 s; 7 s + 4 s does not.
        assert_eq!(
            policy.decide(&Method::GET, false, response(429, &h), 1, S(5)),
            Decision::Retry { after: S(4) }
        );
        assert_eq!(
            policy.decide(&Method::GET, false, response(429, &h), 1, S(7)),
            Decision::GiveUp {
                retry_after: Some(S(4))
            }
        );
        // Backoff waits count too: with the whole budget spent, nothing more is scheduled.
        let none = HeaderMap::new();
        let spent = policy.decide(&Method::GET, false, response(503, &none), 1, S(10));
        assert_eq!(kind(spent), "give up");
    }

    #[test]
    fn long_server_wait_gives_up_at_once_and_reports_it() {
        let policy = RetryPolicy::default();
        // Longer than the deadline.
        let h = headers(&[("retry-after", "120")]);
        assert_eq!(
            policy.decide(&Method::GET, false, response(429, &h), 1, Duration::ZERO),
            Decision::GiveUp {
                retry_after: Some(S(120))
            }
        );
        // Within the deadline but longer than a single wait may be.
        let h = headers(&[("retry-after", "15")]);
        assert_eq!(
            policy.decide(&Method::GET, false, response(429, &h), 1, Duration::ZERO),
            Decision::GiveUp {
                retry_after: Some(S(15))
            }
        );
    }

    #[test]
    fn iso_8601_reset_drives_the_wait() {
        let policy = RetryPolicy::default();
        let reset = chrono::Utc::now() + chrono::Duration::seconds(4);
        let h = headers(&[("x-ratelimit-reset", &reset.to_rfc3339())]);
        let Decision::Retry { after } =
            policy.decide(&Method::GET, false, response(429, &h), 1, Duration::ZERO)
        else {
            panic!("expected a retry");
        };
        assert!(after <= S(4) && after >= S(3), "{after:?}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_base_delay(MS(100))
            .with_max_delay(MS(350));
        for _ in 0..200 {
            assert!(policy.backoff(1) <= MS(100));
            assert!(policy.backoff(2) <= MS(200));
            assert!(policy.backoff(3) <= MS(350));
            assert!(policy.backoff(40) <= MS(350));
        }
        // Full jitter spreads waits over the whole range rather than clustering at the cap.
        let waits: Vec<_> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().any(|w| *w < MS(175)) && waits.iter().any(|w| *w > MS(175)));
    }

    proptest! {
        #[test]
        fn backoff_stays_within_full_jitter_bounds(
            attempt in 0u32..100,
            base_ms in 0u64..5_000,
            max_ms in 0u64..60_000,
        ) {
            let policy = RetryPolicy::default()
                .with_base_delay(MS(base_ms))
                .with_max_delay(MS(max_ms));
            let exponent = attempt.saturating_sub(1).min(63);
            let uncapped = u128::from(base_ms) << exponent;
            let cap = MS(max_ms).min(MS(u64::try_from(uncapped).unwrap_or(u64::MAX)));
            prop_assert!(policy.backoff(attempt) <= cap);
        }

        #[test]
        fn retries_never_run_past_the_deadline(
            attempt in 1u32..10,
            elapsed_ms in 0u64..40_000,
            status in prop::sample::select(vec![429u16, 500, 502, 503, 504]),
        ) {
            let policy = RetryPolicy::default();
            let none = HeaderMap::new();
            let elapsed = MS(elapsed_ms);
            if let Decision::Retry { after } =
                policy.decide(&Method::GET, false, response(status, &none), attempt, elapsed)
            {
                prop_assert!(attempt < policy.max_attempts);
                prop_assert!(after <= policy.max_delay);
                prop_assert!(elapsed + after <= policy.deadline);
            }
        }
    }
}
