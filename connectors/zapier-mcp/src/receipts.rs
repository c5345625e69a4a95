//! Delivery receipts: what was sent, when, by whom, and what Zapier answered. Kept in the
//! state store (`--state`), newest first, bounded, so every replica and a restarted server
//! show the same receipts; and the callers' `idempotency_key` claims, taken atomically before
//! a payload is sent.

use std::time::Duration;

use connector_kit::state::{State, StateError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What is known about a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    /// Receipt id (`dlv_…`), for `get_delivery` and `fetch`.
    pub id: String,
    /// Hook name.
    pub hook: String,
    /// Outcome.
    pub status: DeliveryStatus,
    /// Zapier's id of the received request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zapier_id: Option<String>,
    /// Zapier's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Zapier's attempt id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
    /// Who triggered it.
    pub principal: String,
    /// How the write was confirmed (`token`, `elicit`, `host`, `off`).
    pub confirmed_via: String,
    /// The caller's idempotency key, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The payload sent.
    pub payload: Value,
    /// What went wrong, for failed and unknown deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How long receipts and idempotency-key claims are kept.
pub const RECEIPT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// What [`Receipts::by_key`] and [`Receipts::claim_key`] found.
#[derive(Debug)]
pub enum KeyClaim {
    /// Nobody holds the key ([`Receipts::by_key`] only).
    Free,
    /// The key is now held by this delivery.
    Claimed,
    /// An earlier delivery holds it: its receipt, or `None` while it is still being sent.
    Taken(Option<Box<Delivery>>),
}

/// The receipt book, in the state store.
#[derive(Debug, Clone)]
pub struct Receipts {
    state: State,
    kept: usize,
}

const LIST: &str = "receipts";

impl Receipts {
    /// Keeps at most `kept` receipts in `state`.
    pub fn new(state: State, kept: usize) -> Self {
        Receipts {
            state,
            kept: kept.max(1),
        }
    }

    /// Records a receipt (newest first).
    pub async fn record(&self, d: &Delivery) -> Result<(), StateError> {
        let value = serde_json::to_value(d).unwrap_or(Value::Null);
        self.state
            .put(&format!("receipt:{}", d.id), &value, RECEIPT_TTL)
            .await?;
        self.state.push(LIST, &value, self.kept, RECEIPT_TTL).await
    }

    /// A receipt by id.
    pub async fn get(&self, id: &str) -> Result<Option<Delivery>, StateError> {
        Ok(self
            .state
            .get(&format!("receipt:{id}"))
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    /// Who holds the caller's `key` for `hook`: [`KeyClaim::Free`] or [`KeyClaim::Taken`]
    /// (with `None` while the holder is being sent).
    pub async fn by_key(&self, hook: &str, key: &str) -> Result<KeyClaim, StateError> {
        match self.state.get(&key_record(hook, key)).await? {
            None => Ok(KeyClaim::Free),
            Some(claim) => Ok(KeyClaim::Taken(self.holder(&claim).await?.map(Box::new))),
        }
    }

    /// Claims `key` for `hook` for the delivery `receipt_id`, atomically across replicas:
    /// of two concurrent triggers with one key, exactly one is sent.
    pub async fn claim_key(
        &self,
        hook: &str,
        key: &str,
        receipt_id: &str,
    ) -> Result<KeyClaim, StateError> {
        let claim = json!({ "receipt": receipt_id });
        match self
            .state
            .put_if_absent(&key_record(hook, key), &claim, RECEIPT_TTL)
            .await?
        {
            None => Ok(KeyClaim::Claimed),
            Some(earlier) => Ok(KeyClaim::Taken(self.holder(&earlier).await?.map(Box::new))),
        }
    }

    /// Frees `key` after a delivery that certainly sent nothing.
    pub async fn release_key(&self, hook: &str, key: &str) -> Result<(), StateError> {
        self.state.delete(&key_record(hook, key)).await
    }

    async fn holder(&self, claim: &Value) -> Result<Option<Delivery>, StateError> {
        match claim.get("receipt").and_then(Value::as_str) {
            Some(id) => self.get(id).await,
            None => Ok(None),
        }
    }

    /// Receipts matching `filter`, newest first, from `offset`, at most `limit`;
    /// also returns whether more follow.
    pub async fn page(
        &self,
        filter: impl Fn(&Delivery) -> bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Delivery>, bool), StateError> {
        let all = self.state.range(LIST, 0, self.kept).await?;
        let mut matching = all
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Delivery>(v).ok())
            .filter(|d| filter(d))
            .skip(offset);
        let page: Vec<Delivery> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        Ok((page, more))
    }
}

fn key_record(hook: &str, key: &str) -> String {
    // The hook name is [A-Za-z0-9_-]; the key is free text, so it goes last.
    format!("idempotency:{hook}:{key}")
}
