//! Upstream failures in words a user can act on.
//!
//! Connector clients turn every failed call into an [`UpstreamError`]; tools
//! turn it into an `isError` result with [`UpstreamError::to_tool_result`].
//! Messages never contain credentials or secret URLs: they name the service,
//! the status, the upstream's own explanation, and what to do next.

use std::time::Duration;

use connector_confirm::WriteFailure;
use connector_retry::RetryReport;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::json;

/// A failed upstream call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream answered with an error status.
    #[error("{}", status_message(service, *status, message, *retry_after, hint.as_deref()))]
    Status {
        /// Service name for messages ("Zapier", "Jira").
        service: &'static str,
        /// HTTP status.
        status: u16,
        /// The upstream's own explanation, trimmed.
        message: String,
        /// When the user may retry, if the upstream said.
        retry_after: Option<Duration>,
        /// What to check (credential or permission), from the connector.
        hint: Option<String>,
    },
    /// The request failed on the way.
    #[error("{}", transport_message(service, *sent, detail))]
    Transport {
        /// Service name.
        service: &'static str,
        /// True if the request may have reached the upstream.
        sent: bool,
        /// What went wrong (no URL: URLs may be secret).
        detail: String,
    },
    /// The upstream answered something we could not read.
    #[error("{service} answered in an unexpected format: {detail}")]
    Decode {
        /// Service name.
        service: &'static str,
        /// Parser message.
        detail: String,
    },
}

impl UpstreamError {
    /// Reads an error response: status, `Retry-After` (or the retry crate's
    /// report), and the upstream's message from common JSON error shapes.
    pub async fn from_response(service: &'static str, resp: reqwest::Response) -> Self {
        Self::from_response_with_body(service, resp).await.0
    }

    /// Like [`UpstreamError::from_response`], also returning the raw body so
    /// a connector can read vendor-specific detail (field errors, codes).
    pub async fn from_response_with_body(
        service: &'static str,
        resp: reqwest::Response,
    ) -> (Self, String) {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let report = resp.extensions().get::<RetryReport>().cloned();
        let body = resp.text().await.unwrap_or_default();
        let err = Self::from_status(service, status, &headers, report.as_ref(), &body);
        (err, body)
    }

    /// An error answer already read: status, headers, the retry layer's report (its
    /// `retry_after` wins over the headers') and the body. For clients that are not
    /// `reqwest_middleware` (octocrab over tower).
    pub fn from_status(
        service: &'static str,
        status: u16,
        headers: &http::HeaderMap,
        report: Option<&RetryReport>,
        body: &str,
    ) -> Self {
        let retry_after = report
            .and_then(|r| r.retry_after)
            .or_else(|| connector_retry::server_wait(headers, std::time::SystemTime::now()));
        UpstreamError::Status {
            service,
            status,
            message: extract_message(body),
            retry_after,
            hint: None,
        }
    }

    /// Classifies a transport failure from a tower stack by walking the error's source chain:
    /// the retry layer giving up, the rate limiter holding the request back (never sent), or a
    /// reqwest error (connect: never sent). Anything else may have been sent.
    pub fn from_error_chain(
        service: &'static str,
        error: &(dyn std::error::Error + 'static),
    ) -> Self {
        let mut current = Some(error);
        let (sent, detail) = loop {
            let Some(error) = current else {
                break (true, "the request failed".to_owned());
            };
            if let Some(r) = error.downcast_ref::<connector_retry::RetryExhausted>() {
                break (true, format!("gave up after {} attempts", r.attempts));
            }
            if let Some(r) = error.downcast_ref::<connector_ratelimit::RateLimited>() {
                break (false, rate_limited_detail(r));
            }
            if let Some(e) = error.downcast_ref::<reqwest::Error>() {
                break reqwest_detail(e);
            }
            current = error.source();
        };
        UpstreamError::Transport {
            service,
            sent,
            detail,
        }
    }

    /// Replaces the upstream message (when a connector reads a richer one).
    pub fn with_message(mut self, text: impl Into<String>) -> Self {
        if let UpstreamError::Status { message, .. } = &mut self {
            *message = text.into();
        }
        self
    }

    /// Classifies a transport error from the middleware stack.
    pub fn from_transport(service: &'static str, err: &reqwest_middleware::Error) -> Self {
        let (sent, detail) = match err {
            reqwest_middleware::Error::Reqwest(e) => reqwest_detail(e),
            // The retry layer gave up; whether the last attempt left is
            // unknown here, so assume it may have (the safe answer for writes).
            // (Its message is not repeated: it may quote a URL, and URLs can be secrets.)
            reqwest_middleware::Error::Middleware(e) => {
                match e.downcast_ref::<connector_retry::RetryExhausted>() {
                    Some(r) => (true, format!("gave up after {} attempts", r.attempts)),
                    None => match e.downcast_ref::<connector_ratelimit::RateLimited>() {
                        // Held back by our own limiter: the request never left.
                        Some(r) => (false, rate_limited_detail(r)),
                        None => (true, "the request failed".to_owned()),
                    },
                }
            }
        };
        UpstreamError::Transport {
            service,
            sent,
            detail,
        }
    }

    /// Adds a hint for 401/403 answers (which credential or permission).
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let UpstreamError::Status { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }

    /// The HTTP status, if the upstream answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error as a tool result (`isError: true`) with structured detail.
    pub fn to_tool_result(&self) -> CallToolResult {
        let mut r = CallToolResult::error(vec![ContentBlock::text(self.to_string())]);
        let mut detail = json!({"status": "upstream_error", "message": self.to_string()});
        if let UpstreamError::Status {
            status,
            retry_after,
            ..
        } = self
        {
            detail["http_status"] = json!(status);
            if let Some(d) = retry_after {
                detail["retry_after_seconds"] = json!(d.as_secs().max(1));
            }
        }
        r.structured_content = Some(detail);
        r
    }
}

impl WriteFailure for UpstreamError {
    fn nothing_written(&self) -> bool {
        match self {
            // A 4xx (and 429) is a refusal; 503 means "not processed".
            UpstreamError::Status { status, .. } => (400..500).contains(status) || *status == 503,
            UpstreamError::Transport { sent, .. } => !sent,
            UpstreamError::Decode { .. } => false,
        }
    }
}

/// Whether a reqwest failure may have reached the upstream, and what happened.
fn reqwest_detail(e: &reqwest::Error) -> (bool, String) {
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "the connection failed"
    };
    (!e.is_connect() && !e.is_builder(), what.to_owned())
}

fn rate_limited_detail(r: &connector_ratelimit::RateLimited) -> String {
    match r.retry_after {
        Some(d) => format!("rate limit paused; retry after {} s", d.as_secs().max(1)),
        None => "rate limit paused".to_owned(),
    }
}

fn status_message(
    service: &str,
    status: u16,
    message: &str,
    retry_after: Option<Duration>,
    hint: Option<&str>,
) -> String {
    let upstream = if message.is_empty() {
        String::new()
    } else {
        format!(" {service} said: \"{message}\".")
    };
    let when = retry_after
        .map(|d| format!(" Retry after {} s.", d.as_secs().max(1)))
        .unwrap_or_default();
    let hint = hint.map(|h| format!(" {h}")).unwrap_or_default();
    match status {
        400 | 422 => format!(
            "{service} rejected the request as invalid ({status}).{upstream}{hint} Fix the arguments and try again."
        ),
        401 => format!(
            "{service} rejected the credentials (401).{upstream}{hint} Check that the configured credential is valid and not expired."
        ),
        403 => format!(
            "{service} refused: the configured account lacks permission (403).{upstream}{hint}"
        ),
        404 => format!(
            "{service} has no such record or endpoint (404).{upstream}{hint} Check the id or name."
        ),
        409 => format!(
            "{service} reported a conflict (409).{upstream} Read the record again and retry with current values."
        ),
        410 => format!(
            "{service} says this endpoint or record is gone (410).{upstream}{hint} The API may have been retired: this connector or its configuration needs an update."
        ),
        413 => {
            format!("{service} refused the request as too large (413).{upstream} Send less data.")
        }
        429 => format!(
            "{service} is rate-limiting this connector (429).{upstream}{when} Nothing was done.{hint}"
        ),
        500..=599 => format!(
            "{service} had a server error ({status}).{upstream}{when} Try again later.{hint}"
        ),
        _ => format!("{service} answered {status}.{upstream}{when}{hint}"),
    }
}

fn transport_message(service: &str, sent: bool, detail: &str) -> String {
    if sent {
        format!(
            "The request to {service} failed after it was sent ({detail}); it may or may not have been applied. It was not retried, so nothing was done twice."
        )
    } else {
        format!(
            "Could not reach {service} ({detail}); nothing was sent. Check the network and the configured base URL."
        )
    }
}

/// Pulls a human message out of common error bodies (`message`, `error`,
/// `error.message`, `errorMessages`, `errors[].message`), trimmed to 500
/// characters; plain text bodies are used as they are.
pub fn extract_message(body: &str) -> String {
    let body = body.trim();
    let msg = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => {
            let pick = |v: &serde_json::Value| -> Option<String> {
                if let Some(s) = v.get("message").and_then(|m| m.as_str()) {
                    return Some(s.to_owned());
                }
                if let Some(e) = v.get("error") {
                    if let Some(s) = e.as_str() {
                        return Some(s.to_owned());
                    }
                    if let Some(s) = e.get("message").and_then(|m| m.as_str()) {
                        let detail = e
                            .get("detail")
                            .and_then(|d| d.as_str())
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default();
                        return Some(format!("{s}{detail}"));
                    }
                }
                if let Some(list) = v.get("errorMessages").and_then(|m| m.as_array()) {
                    let parts: Vec<&str> = list.iter().filter_map(|x| x.as_str()).collect();
                    if !parts.is_empty() {
                        return Some(parts.join("; "));
                    }
                }
                if let Some(list) = v.get("errors").and_then(|m| m.as_array()) {
                    let parts: Vec<String> = list
                        .iter()
                        .filter_map(|x| {
                            x.get("message").and_then(|m| m.as_str()).map(str::to_owned)
                        })
                        .collect();
                    if !parts.is_empty() {
                        return Some(parts.join("; "));
                    }
                }
                None
            };
            pick(&v).unwrap_or_default()
        }
        Err(_) if body.starts_with('<') => String::new(), // an HTML error page says nothing useful
        Err(_) => body.to_owned(),
    };
    let msg = crate::text::sanitize(&msg);
    if msg.chars().count() > 500 {
        format!("{}…", msg.chars().take(500).collect::<String>())
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_service_and_next_step() {
        let e = UpstreamError::Status {
            service: "Zapier",
            status: 429,
            message: "slow down".into(),
            retry_after: Some(Duration::from_secs(3)),
            hint: None,
        };
        let s = e.to_string();
        assert!(
            s.contains("Zapier")
                && s.contains("429")
                && s.contains("Retry after 3 s")
                && s.contains("slow down"),
            "{s}"
        );
        assert!(e.nothing_written());
        let e = UpstreamError::Status {
            service: "Jira",
            status: 502,
            message: String::new(),
            retry_after: None,
            hint: None,
        };
        assert!(!e.nothing_written());
    }

    #[test]
    fn extracts_common_shapes() {
        assert_eq!(extract_message(r#"{"message":"bad"}"#), "bad");
        assert_eq!(
            extract_message(r#"{"error":{"message":"ACL","detail":"no role"}}"#),
            "ACL (no role)"
        );
        assert_eq!(
            extract_message(r#"{"errorMessages":["a","b"],"errors":{}}"#),
            "a; b"
        );
        assert_eq!(extract_message("<html>oops</html>"), "");
        assert_eq!(extract_message("plain"), "plain");
    }

    #[test]
    fn error_chains_are_classified() {
        #[derive(Debug, thiserror::Error)]
        #[error("service error")]
        struct Wrapper(#[source] Box<dyn std::error::Error + Send + Sync>);

        let held = Wrapper(Box::new(connector_ratelimit::RateLimited {
            scope: "github:x:write".into(),
            retry_after: Some(Duration::from_secs(7)),
        }));
        let e = UpstreamError::from_error_chain("GitHub", &held);
        assert!(e.nothing_written(), "{e}");
        assert!(e.to_string().contains("retry after 7 s"), "{e}");

        let gave_up = Wrapper(Box::new(connector_retry::RetryExhausted {
            attempts: 3,
            retry_after: None,
            last_error: "reset".into(),
        }));
        let e = UpstreamError::from_error_chain("GitHub", &gave_up);
        assert!(
            !e.nothing_written() && e.to_string().contains("3 attempts"),
            "{e}"
        );

        let other = Wrapper(Box::new(std::io::Error::other("x")));
        assert!(!UpstreamError::from_error_chain("GitHub", &other).nothing_written());
    }

    #[test]
    fn transport_errors_say_whether_sent() {
        let e = UpstreamError::Transport {
            service: "Zapier",
            sent: true,
            detail: "connection closed".into(),
        };
        assert!(e.to_string().contains("may or may not"));
        assert!(!e.nothing_written());
    }
}
