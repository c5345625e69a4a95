//! Audit events: one for every step a write goes through.
//!
//! This crate emits events; where they go (a hash-chained JSON-lines file,
//! stderr, a collector) is the sink's business (see `connector-kit`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// The step of a write an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStep {
    /// A preview was shown (token issued or elicitation sent).
    Previewed,
    /// A human (or the configured policy) confirmed.
    Confirmed,
    /// A human declined or cancelled.
    Denied,
    /// The guard refused (read-only, tier, scope, bad or replayed token).
    Refused,
    /// The upstream write succeeded.
    Executed,
    /// The upstream write failed (the detail says whether it may have happened).
    Failed,
    /// A repeated commit was answered from the idempotency record.
    Replayed,
}

/// One audit record. Secrets never enter it: plans carry hook names, not
/// URLs; the sink redacts marked fields again before writing.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The step.
    pub step: AuditStep,
    /// Upstream system (`zapier`, `jira`…).
    pub system: String,
    /// Tool name.
    pub tool: String,
    /// Who asked (principal subject).
    pub principal: String,
    /// What was written to.
    pub target: String,
    /// The plan's one-line summary.
    pub summary: String,
    /// The idempotency key of the write, once there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// How confirmation was obtained (`token`, `elicit`, `host`, `off`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Step-specific detail (reason, result ids, error text).
    #[serde(skip_serializing_if = "Value::is_null")]
    pub detail: Value,
}

/// Where audit events go. Implementations must not block for long; they are
/// called on the request path.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Records one event. Failures are the sink's to report (to stderr);
    /// they must not fail the tool call.
    fn record(&self, event: AuditEvent);
}

/// A sink that keeps events in memory (tests, and the `demo` tour).
#[derive(Debug, Default)]
pub struct MemoryAudit {
    events: parking_lot::Mutex<Vec<AuditEvent>>,
}

impl MemoryAudit {
    /// A copy of all events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().clone()
    }
}

impl AuditSink for MemoryAudit {
    fn record(&self, event: AuditEvent) {
        self.events.lock().push(event);
    }
}
