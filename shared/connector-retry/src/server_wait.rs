//! Reading "how long should I wait" out of upstream response headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDateTime, Utc};
use http::{HeaderMap, StatusCode, header::RETRY_AFTER};

/// Headers that count the requests left in the current rate-limit window.
const REMAINING_HEADERS: [&str; 3] = [
    "x-ratelimit-remaining",
    "ratelimit-remaining",
    "x-hubspot-ratelimit-remaining",
];

/// Numeric `X-RateLimit-Reset` values at or above this are Unix epoch seconds (any date after
/// 2001-09-09); smaller values are seconds from now, as some APIs send.
const EPOCH_SECONDS_THRESHOLD: u64 = 1_000_000_000;
/// Numeric values at or above this are Unix epoch milliseconds.
const EPOCH_MILLIS_THRESHOLD: u64 = 1_000_000_000_000;

/// How long the upstream asked us to wait before trying again, if it said so.
///
/// Sources, in order of precedence:
///
/// 1. `Retry-After` as delta-seconds (`"0"` means "retry now") or as an HTTP-date.
/// 2. `X-RateLimit-Reset` as Unix epoch seconds (GitHub), epoch milliseconds, small delta seconds,
///    or an ISO 8601 timestamp (Jira, e.g. `2024-06-27T11:56Z`).
/// 3. `RateLimit-Reset` (IETF draft) as delta seconds.
///
/// Reset headers only say when the *window* resets. Many upstreams (GitHub) send them on every
/// response, so they are ignored when a remaining-quota header (`X-RateLimit-Remaining`,
/// `RateLimit-Remaining`, `X-HubSpot-RateLimit-Remaining`) says requests are still left: a 503
/// with 4,000 requests remaining is not a reason to wait until the top of the hour.
///
/// `X-HubSpot-RateLimit-Interval-Milliseconds` is the length of HubSpot's window, not a reset
/// time, and is deliberately not read. Times in the past are clamped to zero; unparseable values
/// are ignored.
pub fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) =
        header_str(headers, RETRY_AFTER.as_str()).and_then(|v| parse_retry_after(v, now))
    {
        return Some(wait);
    }
    if quota_left(headers) {
        return None;
    }
    if let Some(wait) = header_str(headers, "x-ratelimit-reset").and_then(|v| parse_reset(v, now)) {
        return Some(wait);
    }
    header_str(headers, "ratelimit-reset").and_then(parse_delta_seconds)
}

/// Whether a response is the upstream refusing the request because of a rate limit.
///
/// True for `429 Too Many Requests`, and for the two ways GitHub signals limits with `403`:
/// the primary limit (`X-RateLimit-Remaining: 0`) and secondary limits (`Retry-After` present).
/// A plain `403` is a permission problem and returns false.
pub fn is_rate_limited(status: StatusCode, headers: &HeaderMap) -> bool {
    match status {
        StatusCode::TOO_MANY_REQUESTS => true,
        StatusCode::FORBIDDEN => {
            headers.contains_key(RETRY_AFTER)
                || header_str(headers, "x-ratelimit-remaining").is_some_and(|v| v == "0")
        }
        _ => false,
    }
}

/// Whether any remaining-quota header reports zero requests left in the current window.
pub fn quota_exhausted(headers: &HeaderMap) -> bool {
    REMAINING_HEADERS
        .iter()
        .filter_map(|name| header_str(headers, name))
        .filter_map(|v| v.parse::<f64>().ok())
        .any(|remaining| remaining <= 0.0)
}

/// Whether a remaining-quota header explicitly says requests are still left.
fn quota_left(headers: &HeaderMap) -> bool {
    REMAINING_HEADERS
        .iter()
        .filter_map(|name| header_str(headers, name))
        .filter_map(|v| v.parse::<f64>().ok())
        .any(|remaining| remaining > 0.0)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    parse_delta_seconds(value).or_else(|| {
        let at = httpdate::parse_http_date(value).ok()?;
        Some(until(at, now))
    })
}

/// Delta seconds: a non-negative integer per RFC 9110, tolerating fractions and negatives
/// (clamped to zero) because real servers send them.
fn parse_delta_seconds(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let secs = value.parse::<f64>().ok().filter(|s| s.is_finite())?;
    Duration::try_from_secs_f64(secs.max(0.0)).ok()
}

fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(number) = value.parse::<u64>() {
        let wait = if number >= EPOCH_MILLIS_THRESHOLD {
            until(UNIX_EPOCH + Duration::from_millis(number), now)
        } else if number >= EPOCH_SECONDS_THRESHOLD {
            until(UNIX_EPOCH + Duration::from_secs(number), now)
        } else {
            Duration::from_secs(number)
        };
        return Some(wait);
    }
    parse_iso8601(value).map(|at| until(at.into(), now))
}

/// ISO 8601 timestamps as upstreams send them: full RFC 3339, or Jira's minute precision
/// (`2024-06-27T11:56Z`).
fn parse_iso8601(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M%:z") {
        return Some(at.with_timezone(&Utc));
    }
    let naive = value
        .strip_suffix('Z')
        .or_else(|| value.strip_suffix('z'))?;
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok())
        .map(|at| at.and_utc())
}

fn until(at: SystemTime, now: SystemTime) -> Duration {
    at.duration_since(now).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// Header name/value pairs for a test case.
    type Pairs = &'static [(&'static str, &'static str)];

    /// 2024-06-27T11:56:00Z
    const NOW_EPOCH: u64 = 1_719_489_360;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_EPOCH)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn server_wait_table() {
        let secs = Duration::from_secs;
        let cases: &[(&str, Pairs, Option<Duration>)] = &[
            ("no headers", &[], None),
            (
                "retry-after seconds",
                &[("retry-after", "7")],
                Some(secs(7)),
            ),
            (
                "retry-after zero",
                &[("retry-after", "0")],
                Some(Duration::ZERO),
            ),
            (
                "retry-after padded",
                &[("retry-after", " 3 ")],
                Some(secs(3)),
            ),
            (
                "retry-after fraction",
                &[("retry-after", "1.5")],
                Some(Duration::from_millis(1500)),
            ),
            (
                "retry-after negative",
                &[("retry-after", "-4")],
                Some(Duration::ZERO),
            ),
            (
                "retry-after http-date",
                &[("retry-after", "Thu, 27 Jun 2024 11:56:30 GMT")],
                Some(secs(30)),
            ),
            (
                "retry-after http-date in the past",
                &[("retry-after", "Thu, 27 Jun 2024 11:00:00 GMT")],
                Some(Duration::ZERO),
            ),
            ("retry-after garbage", &[("retry-after", "soon")], None),
            (
                "github epoch reset with nothing remaining",
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1719489420"),
                ],
                Some(secs(60)),
            ),
            (
                "epoch reset without remaining header",
                &[("x-ratelimit-reset", "1719489370")],
                Some(secs(10)),
            ),
            (
                "epoch reset in the past",
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1719480000"),
                ],
                Some(Duration::ZERO),
            ),
            (
                "epoch milliseconds reset",
                &[("x-ratelimit-reset", "1719489362000")],
                Some(secs(2)),
            ),
            (
                "small numeric reset is delta",
                &[("x-ratelimit-reset", "12")],
                Some(secs(12)),
            ),
            (
                "reset ignored while quota is left",
                &[
                    ("x-ratelimit-remaining", "4999"),
                    ("x-ratelimit-reset", "1719489420"),
                ],
                None,
            ),
            (
                "jira iso 8601 minute precision",
                &[("X-RateLimit-Reset", "2024-06-27T11:58Z")],
                Some(secs(120)),
            ),
            (
                "iso 8601 with seconds and offset",
                &[("x-ratelimit-reset", "2024-06-27T13:57:00+02:00")],
                Some(secs(60)),
            ),
            (
                "iso 8601 minute precision with offset",
                &[("x-ratelimit-reset", "2024-06-27T12:57+01:00")],
                Some(secs(60)),
            ),
            (
                "iso 8601 fractional seconds",
                &[("x-ratelimit-reset", "2024-06-27T11:56:05.500Z")],
                Some(Duration::from_millis(5500)),
            ),
            (
                "ietf ratelimit-reset delta",
                &[("ratelimit-reset", "9")],
                Some(secs(9)),
            ),
            (
                "retry-after wins over reset",
                &[("retry-after", "2"), ("x-ratelimit-reset", "1719489420")],
                Some(secs(2)),
            ),
            (
                "hubspot interval is not a reset",
                &[
                    ("x-hubspot-ratelimit-interval-milliseconds", "10000"),
                    ("x-hubspot-ratelimit-remaining", "0"),
                ],
                None,
            ),
        ];
        for (name, pairs, expected) in cases {
            assert_eq!(
                server_wait(&headers(pairs), now()),
                *expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn rate_limited_classification() {
        let cases: &[(u16, Pairs, bool)] = &[
            (429, &[], true),
            (403, &[("x-ratelimit-remaining", "0")], true),
            (403, &[("retry-after", "60")], true),
            (403, &[], false),
            (403, &[("x-ratelimit-remaining", "12")], false),
            (503, &[("retry-after", "5")], false),
            (200, &[("x-ratelimit-remaining", "0")], false),
        ];
        for (status, pairs, expected) in cases {
            let status = StatusCode::from_u16(*status).unwrap();
            assert_eq!(
                is_rate_limited(status, &headers(pairs)),
                *expected,
                "{status} {pairs:?}"
            );
        }
    }

    #[test]
    fn quota_exhausted_reads_all_remaining_headers() {
        assert!(quota_exhausted(&headers(&[("x-ratelimit-remaining", "0")])));
        assert!(quota_exhausted(&headers(&[("RateLimit-Remaining", "0")])));
        assert!(quota_exhausted(&headers(&[(
            "X-HubSpot-RateLimit-Remaining",
            "0"
        )])));
        assert!(!quota_exhausted(&headers(&[(
            "x-ratelimit-remaining",
            "3"
        )])));
        assert!(!quota_exhausted(&headers(&[])));
    }
}
