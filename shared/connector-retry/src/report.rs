//! What the retry adapters tell callers when they stop retrying.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// Attached to the final response's extensions when retrying was involved.
///
/// `gave_up: true` means the response is a retryable failure (429, 503, …) that the policy stopped
/// retrying; `retry_after` then says when the upstream will accept requests again, if it said so.
/// `gave_up: false` means earlier attempts failed and this one succeeded or failed for good.
///
/// ```
/// # fn f(response: reqwest::Response) {
/// use connector_retry::RetryReport;
/// if let Some(report) = response.extensions().get::<RetryReport>() {
///     if report.gave_up {
///         // e.g. "the upstream is rate limiting; retry after 30 s"
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    /// Attempts made, including the first.
    pub attempts: u32,
    /// When the upstream said it will accept requests again.
    pub retry_after: Option<Duration>,
    /// Whether the policy stopped on a retryable failure.
    pub gave_up: bool,
}

/// Transport failures (connect errors, dropped connections) used up the retry budget.
///
/// The retry adapters return it only for failures that were safe to repeat, so the request may be
/// sent again later; the message says when. Failures that were *not* safe to repeat (a POST whose
/// connection dropped after sending) are passed through unchanged instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RetryExhausted {
    /// Attempts made, including the first.
    pub attempts: u32,
    /// When the upstream said it will accept requests again, if known.
    pub retry_after: Option<Duration>,
    /// The last failure, with any URL removed (query strings can hold secrets).
    pub last_error: String,
}

impl fmt::Display for RetryExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "the upstream could not be reached after {} attempt{plural} ({})",
            self.attempts, self.last_error
        )?;
        match self.retry_after {
            Some(wait) => write!(f, "; retry after {} s", ceil_seconds(wait)),
            None => f.write_str("; the request is safe to retry in a little while"),
        }
    }
}

/// Whole seconds, rounded up, as `Retry-After` and user messages want them.
pub fn ceil_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// `error: source: source…`, the way a person wants to read it in one line.
pub(crate) fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source in their own message.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_message_says_when_to_retry() {
        let with_wait = RetryExhausted {
            attempts: 4,
            retry_after: Some(Duration::from_millis(2500)),
            last_error: "tcp connect error: Connection refused".into(),
        };
        assert_eq!(
            with_wait.to_string(),
            "the upstream could not be reached after 4 attempts \
             (tcp connect error: Connection refused); retry after 3 s"
        );
        let without = RetryExhausted {
            attempts: 1,
            retry_after: None,
            last_error: "timed out".into(),
        };
        assert_eq!(
            without.to_string(),
            "the upstream could not be reached after 1 attempt (timed out); \
             the request is safe to retry in a little while"
        );
    }

    #[test]
    fn ceil_seconds_rounds_up() {
        assert_eq!(ceil_seconds(Duration::ZERO), 0);
        assert_eq!(ceil_seconds(Duration::from_millis(1)), 1);
        assert_eq!(ceil_seconds(Duration::from_secs(2)), 2);
        assert_eq!(ceil_seconds(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn error_chain_joins_sources_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("error sending request")]
        struct Outer(#[source] std::io::Error);
        #[derive(Debug, thiserror::Error)]
        #[error("client error: connection refused")]
        struct Repeats(#[source] std::io::Error);

        let refused =
            || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(
            error_chain(&Outer(refused())),
            "error sending request: connection refused"
        );
        assert_eq!(
            error_chain(&Repeats(refused())),
            "client error: connection refused"
        );
    }
}
