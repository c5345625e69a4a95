//! Injected faults: what they match and what they do.

use std::collections::BTreeMap;

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// One queued fault.
///
/// A fault matches a request when its `method` (case-insensitive) and `path_prefix` match; a
/// missing matcher matches everything. Faults are tried in the order they were queued, the
/// first match is applied and its `times` counter decremented; it leaves the queue at zero.
///
/// JSON form (the admin API), with the action's fields inline:
///
/// ```json
/// {"method": "POST", "path_prefix": "/hooks/", "times": 2,
///  "action": "status", "status": 503, "retry_after": "1"}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path prefix to match; `None` matches any path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// How many matching requests this fault applies to (at least 1; 0 is treated as 1).
    #[serde(default = "default_times")]
    pub times: u32,
    /// What happens to a matching request.
    #[serde(flatten)]
    pub action: FaultAction,
    /// Latency added before the action runs, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
}

fn default_times() -> u32 {
    1
}

/// What a fault does to the request it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer `status` without running the handler.
    Status {
        /// The status code to answer.
        status: u16,
        /// Value of a `Retry-After` header, if any (seconds or an HTTP date).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        /// Extra response headers.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// JSON response body; a small generic JSON error when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<serde_json::Value>,
    },
    /// Drop the connection (TCP reset) before the handler runs: nothing is written.
    Reset,
    /// Run the real handler (the write happens and is recorded), then drop the connection
    /// without sending a single response byte: the write is committed but its answer is lost.
    CommitThenDrop,
    /// Only add `delay_ms` of latency, then handle the request normally.
    Delay,
}

impl Fault {
    /// A fault with the given action that matches every request once.
    pub fn new(action: FaultAction) -> Self {
        Self {
            method: None,
            path_prefix: None,
            times: 1,
            action,
            delay_ms: 0,
        }
    }

    /// Answer `status` (no `Retry-After`, default body).
    pub fn status(status: u16) -> Self {
        Self::new(FaultAction::Status {
            status,
            retry_after: None,
            headers: BTreeMap::new(),
            body: None,
        })
    }

    /// Drop the connection before the handler runs.
    pub fn reset() -> Self {
        Self::new(FaultAction::Reset)
    }

    /// Run the handler, then drop the connection without answering.
    pub fn commit_then_drop() -> Self {
        Self::new(FaultAction::CommitThenDrop)
    }

    /// Add `delay_ms` of latency, then answer normally.
    pub fn delay(delay_ms: u64) -> Self {
        Self {
            delay_ms,
            ..Self::new(FaultAction::Delay)
        }
    }

    /// Only match this HTTP method.
    #[must_use]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only match paths starting with `prefix`.
    #[must_use]
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Apply to the next `times` matching requests.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Add latency before the action.
    #[must_use]
    pub fn with_delay_ms(mut self, delay_ms: u64) -> Self {
        self.delay_ms = delay_ms;
        self
    }

    /// Set `Retry-After` on a [`FaultAction::Status`] fault (ignored for other actions).
    #[must_use]
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        if let FaultAction::Status { retry_after, .. } = &mut self.action {
            *retry_after = Some(value.into());
        }
        self
    }

    /// Set the JSON body of a [`FaultAction::Status`] fault (ignored for other actions).
    #[must_use]
    pub fn body(mut self, value: serde_json::Value) -> Self {
        if let FaultAction::Status { body, .. } = &mut self.action {
            *body = Some(value);
        }
        self
    }

    /// Add a response header to a [`FaultAction::Status`] fault (ignored for other actions).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let FaultAction::Status { headers, .. } = &mut self.action {
            headers.insert(name.into(), value.into());
        }
        self
    }

    /// Checks what serde cannot: a valid status code and header names/values.
    pub fn validate(&self) -> Result<(), String> {
        if let FaultAction::Status {
            status,
            retry_after,
            headers,
            ..
        } = &self.action
        {
            StatusCode::from_u16(*status).map_err(|_| format!("invalid status code {status}"))?;
            if let Some(value) = retry_after {
                http::HeaderValue::from_str(value)
                    .map_err(|_| format!("invalid retry_after value {value:?}"))?;
            }
            for (name, value) in headers {
                http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("invalid header name {name:?}"))?;
                http::HeaderValue::from_str(value)
                    .map_err(|_| format!("invalid value for header {name:?}"))?;
            }
        }
        Ok(())
    }

    /// Whether this fault applies to a request.
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = self
            .path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix));
        method_ok && path_ok
    }

    /// Short description stored in [`crate::RecordedRequest::fault`].
    pub fn label(&self) -> String {
        let action = match &self.action {
            FaultAction::Status { status, .. } => format!("status {status}"),
            FaultAction::Reset => "reset".to_owned(),
            FaultAction::CommitThenDrop => "commit_then_drop".to_owned(),
            FaultAction::Delay => "delay".to_owned(),
        };
        if self.delay_ms > 0 {
            format!("{action} (+{}ms)", self.delay_ms)
        } else {
            action
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_form_has_inline_action_fields_and_defaults() {
        let fault: Fault = serde_json::from_value(json!({
            "path_prefix": "/hooks/",
            "action": "status",
            "status": 429,
            "retry_after": "2"
        }))
        .unwrap();
        assert_eq!(
            fault,
            Fault::status(429).path_prefix("/hooks/").retry_after("2")
        );
        assert_eq!(fault.times, 1);

        let drop: Fault =
            serde_json::from_value(json!({"action": "commit_then_drop", "times": 3})).unwrap();
        assert_eq!(drop, Fault::commit_then_drop().times(3));

        let round_trip: Fault =
            serde_json::from_value(serde_json::to_value(Fault::delay(250)).unwrap()).unwrap();
        assert_eq!(round_trip, Fault::delay(250));
    }

    #[test]
    fn matching_is_by_method_and_path_prefix() {
        let fault = Fault::reset().method("post").path_prefix("/a/");
        assert!(fault.matches("POST", "/a/b"));
        assert!(!fault.matches("GET", "/a/b"));
        assert!(!fault.matches("POST", "/b"));
        assert!(Fault::reset().matches("DELETE", "/anything"));
    }

    #[test]
    fn validation_rejects_bad_status_and_headers() {
        assert!(Fault::status(503).validate().is_ok());
        assert!(Fault::status(42).validate().is_err());
        assert!(
            Fault::status(503)
                .header("bad name", "x")
                .validate()
                .is_err()
        );
        assert!(Fault::status(503).retry_after("1\n").validate().is_err());
    }

    #[test]
    fn labels_describe_the_action() {
        assert_eq!(Fault::status(503).label(), "status 503");
        assert_eq!(Fault::reset().with_delay_ms(5).label(), "reset (+5ms)");
        assert_eq!(Fault::commit_then_drop().label(), "commit_then_drop");
    }
}
