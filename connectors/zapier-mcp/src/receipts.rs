//! Delivery receipts this server recorded: what was sent, when, by whom, and
//! what Zapier answered. Kept in memory, newest first, bounded.

use std::collections::VecDeque;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// What is known about a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Zapier answered success: the payload was received (the Zap runs later).
    Received,
    /// The connection was lost after sending: Zapier may or may not have it.
    Unknown,
    /// Zapier refused it or could not be reached; nothing was delivered.
    Failed,
}

/// One delivery receipt.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Delivery {
    /// Receipt id (`dlv_…`), for `get_delivery` and `fetch`.
    pub id: String,
    /// Hook name.
    pub hook: String,
    /// Outcome.
    pub status: DeliveryStatus,
    /// Zapier's id of the received request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zapier_id: Option<String>,
    /// Zapier's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Zapier's attempt id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
    /// Who triggered it.
    pub principal: String,
    /// How the write was confirmed (`token`, `elicit`, `host`, `off`).
    pub confirmed_via: String,
    /// The caller's idempotency key, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The payload sent.
    pub payload: Value,
    /// What went wrong, for failed and unknown deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The receipt book.
#[derive(Debug)]
pub struct Receipts {
    kept: usize,
    items: parking_lot::Mutex<VecDeque<Delivery>>,
}

impl Receipts {
    /// Keeps at most `kept` receipts.
    pub fn new(kept: usize) -> Self {
        Receipts {
            kept: kept.max(1),
            items: parking_lot::Mutex::new(VecDeque::new()),
        }
    }

    /// Records a receipt (newest first).
    pub fn record(&self, d: Delivery) {
        let mut items = self.items.lock();
        items.push_front(d);
        items.truncate(self.kept);
    }

    /// A receipt by id.
    pub fn get(&self, id: &str) -> Option<Delivery> {
        self.items.lock().iter().find(|d| d.id == id).cloned()
    }

    /// A delivered (or possibly delivered) receipt for `hook` with the caller's `key`.
    pub fn by_key(&self, hook: &str, key: &str) -> Option<Delivery> {
        self.items
            .lock()
            .iter()
            .find(|d| {
                d.hook == hook
                    && d.idempotency_key.as_deref() == Some(key)
                    && d.status != DeliveryStatus::Failed
            })
            .cloned()
    }

    /// Receipts matching `filter`, newest first, from `offset`, at most `limit`;
    /// also returns whether more follow.
    pub fn page(
        &self,
        filter: impl Fn(&Delivery) -> bool,
        offset: usize,
        limit: usize,
    ) -> (Vec<Delivery>, bool) {
        let items = self.items.lock();
        let mut matching = items.iter().filter(|d| filter(d)).skip(offset);
        let page: Vec<Delivery> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        (page, more)
    }
}
