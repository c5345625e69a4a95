//! The result envelope of write tools, so every answer of a write tool — a
//! preview, a refusal, a replay or the executed result — fits one output
//! schema.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Where a write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    /// Nothing written yet: show the preview to the user; call again with the token if they approve.
    ConfirmationRequired,
    /// The write ran; `result` holds what the upstream returned.
    Executed,
    /// Policy refused the write; `reason` says why.
    Refused,
    /// The user declined.
    Denied,
    /// This confirmation was already used; `recorded_result` is the earlier outcome.
    AlreadyExecuted,
    /// The upstream failed; `message` says what to do.
    UpstreamError,
}

/// The structured content of every write tool's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WriteOutcome<T: JsonSchema> {
    /// Where the write stands.
    pub status: WriteStatus,
    /// The upstream's result, when executed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// What will be written (confirmation_required): system, tool, target,
    /// effect, tier, summary and the exact field changes (before → after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Value>,
    /// Single-use token to pass back after the user approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
    /// When the token expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Why a write was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable explanation (upstream errors, notes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The earlier outcome of a reused confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_result: Option<Value>,
    /// Upstream HTTP status, for upstream errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Seconds to wait before retrying, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl<T: JsonSchema> WriteOutcome<T> {
    /// An executed write.
    pub fn executed(result: T, message: impl Into<String>) -> Self {
        WriteOutcome {
            status: WriteStatus::Executed,
            result: Some(result),
            preview: None,
            confirmation_token: None,
            expires_at: None,
            reason: None,
            message: Some(message.into()),
            recorded_result: None,
            http_status: None,
            retry_after_seconds: None,
        }
    }
}
