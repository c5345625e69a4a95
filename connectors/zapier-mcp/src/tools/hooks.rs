//! Toolset `hooks`: see the configured hooks and trigger one.

use connector_kit::confirm::{Gate, WriteOutcome, WritePlan, principal_of};
use connector_kit::respond::{structured, tool_error};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResponse;
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Zapier;
use connector_kit::UpstreamError;
use connector_kit::confirm::WriteFailure;
use connector_kit::state::StateError;

use crate::receipts::{Delivery, DeliveryStatus, KeyClaim};

/// Arguments of `trigger_hook`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerArgs {
    /// Name of a configured hook, as listed by `list_hooks`.
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub hook: String,
    /// The JSON object to send; it must match the hook's payload schema.
    pub payload: Map<String, Value>,
    /// Optional key of yours (e.g. an incident id): a second trigger of the
    /// same hook with the same key is not delivered again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub idempotency_key: Option<String>,
    /// The token from the preview. Pass it only after the user approved the
    /// preview, with all other arguments unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// One hook, as the model sees it (never its URL).
#[derive(Debug, Serialize, JsonSchema)]
pub struct HookInfo {
    /// Name to pass to `trigger_hook`.
    pub name: String,
    /// What the hook's Zap does.
    pub description: String,
    /// Effect of triggering it: create, update, send or destructive.
    pub effect: String,
    /// Risk tier (3 confirmed write, 4 high impact).
    pub tier: u8,
    /// Whether this server may trigger it (write scope and tier).
    pub triggerable: bool,
    /// JSON Schema the payload must match.
    pub payload_schema: Value,
}

/// The answer of `list_hooks`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HookList {
    /// Configured hooks, by name.
    pub hooks: Vec<HookInfo>,
}

/// The receipt returned by an executed trigger.
pub type TriggerOutcome = WriteOutcome<Delivery>;

#[tool_router(router = hooks_tools, vis = "pub(crate)")]
impl Zapier {
    /// Use this first to see which Zapier hooks can be triggered, what each
    /// does and the payload each expects.
    #[tool(name = "list_hooks", title = "List Zapier hooks")]
    async fn list_hooks(&self) -> Json<HookList> {
        let guard = self.kit.guard.config();
        let hooks = self
            .hooks
            .iter()
            .map(|h| HookInfo {
                name: h.name.clone(),
                description: h.description.clone(),
                effect: h.effect.to_string(),
                tier: h.tier().number(),
                triggerable: !guard.read_only
                    && (h.tier() <= guard.max_tier
                        || guard.explicit_tools.contains("trigger_hook"))
                    && guard.write_scope.as_ref().is_none_or(|s| s.allows(&h.name)),
                payload_schema: h.schema.clone(),
            })
            .collect();
        Json(HookList { hooks })
    }

    /// Use this to send a payload to a configured Zapier hook (which starts
    /// its Zap). The first call returns a preview and a confirmation token and
    /// sends nothing; after the user approves, call again with the same
    /// arguments plus `confirmation_token`. Success means Zapier *received*
    /// the payload, not that the Zap has run.
    #[tool(name = "trigger_hook", title = "Trigger a Zapier hook", output_schema = schema_for_output::<TriggerOutcome>())]
    async fn trigger_hook(
        &self,
        Parameters(args): Parameters<TriggerArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(hook) = self.hooks.iter().find(|h| h.name == args.hook) else {
            let names: Vec<&str> = self.hooks.iter().map(|h| h.name.as_str()).collect();
            return Ok(tool_error(format!(
                "`hook`: no hook named {:?}; configured hooks: {}",
                args.hook,
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            ))
            .into());
        };
        let payload = Value::Object(args.payload.clone());
        let size = payload.to_string().len();
        if size > self.options.max_payload_bytes {
            return Ok(tool_error(format!(
                "`payload`: {size} bytes of JSON is over the {} byte limit; send less data",
                self.options.max_payload_bytes
            ))
            .into());
        }
        let problems: Vec<String> = hook
            .validator
            .iter_errors(&payload)
            .take(8)
            .map(|e| {
                let at = e.instance_path().to_string();
                let field = if at.is_empty() {
                    "payload".to_owned()
                } else {
                    format!("payload{}", at.replace('/', "."))
                };
                format!("`{field}`: {e}")
            })
            .collect();
        if !problems.is_empty() {
            return Ok(tool_error(format!(
                "The payload does not match the schema of hook \"{}\": {}. Nothing was sent.",
                hook.name,
                problems.join("; ")
            ))
            .into());
        }
        if let Some(key) = &args.idempotency_key {
            match self.receipts.by_key(&hook.name, key).await {
                Ok(KeyClaim::Taken(earlier)) => return Ok(already_sent(&hook.name, key, earlier)),
                Ok(KeyClaim::Free | KeyClaim::Claimed) => {}
                Err(e) => {
                    return Ok(tool_error(format!(
                        "Nothing was sent: whether idempotency_key {key:?} was already used cannot be checked ({e}). Retry when the state store is back."
                    ))
                    .into());
                }
            }
        }

        let plan = WritePlan::new(
            "zapier",
            "trigger_hook",
            hook.effect,
            format!("hook \"{}\"", hook.name),
            format!(
                "Send a {size}-byte payload to Zapier hook \"{}\" ({})",
                hook.name, hook.description
            ),
        )
        .scope(hook.name.clone())
        .change("payload", None, Some(payload.clone()));
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };

        let principal = principal_of(&ctx).subject;
        let via = confirmed.via().to_owned();
        let receipt_id = format!("dlv_{}", &confirmed.idempotency_key()[..16]);
        let key = args.idempotency_key.as_deref();
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                // Claimed before the send, atomically across replicas: of two triggers with
                // one key, exactly one is sent.
                if let Some(key) = key {
                    match self.receipts.claim_key(&hook.name, key, &receipt_id).await {
                        Ok(KeyClaim::Taken(earlier)) => return Err(Trigger::Duplicate(earlier)),
                        Ok(KeyClaim::Free | KeyClaim::Claimed) => {}
                        Err(e) => return Err(Trigger::State(e)),
                    }
                }
                let sent = self.client.trigger(c, hook, &payload).await;
                if let (Err(e), Some(key)) = (&sent, key)
                    && e.nothing_written()
                    && let Err(err) = self.receipts.release_key(&hook.name, key).await
                {
                    tracing::warn!(error = %err, "could not free an idempotency key after a failed delivery");
                }
                sent.map_err(Trigger::Upstream)
            })
            .await;
        let mut delivery = Delivery {
            id: receipt_id,
            hook: hook.name.clone(),
            status: DeliveryStatus::Received,
            zapier_id: None,
            request_id: None,
            attempt: None,
            sent_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            principal,
            confirmed_via: via,
            idempotency_key: args.idempotency_key.clone(),
            payload,
            error: None,
        };
        match result {
            Ok(answer) => {
                delivery.zapier_id = answer.id;
                delivery.request_id = answer.request_id;
                delivery.attempt = answer.attempt;
                self.keep(&delivery).await;
                let text = format!(
                    "Zapier received the payload for hook \"{}\" (receipt {}, Zapier id {}). \
                     This means it was received and queued, not that the Zap has finished.",
                    delivery.hook,
                    delivery.id,
                    delivery.zapier_id.as_deref().unwrap_or("n/a")
                );
                Ok(structured(
                    &text,
                    &WriteOutcome::executed(delivery, text.clone()),
                ))
            }
            Err(Trigger::Duplicate(earlier)) => {
                Ok(already_sent(&hook.name, key.unwrap_or_default(), earlier))
            }
            Err(Trigger::State(e)) => Ok(tool_error(format!(
                "Nothing was sent: the idempotency key could not be recorded ({e}). Retry when the state store is back."
            ))
            .into()),
            Err(Trigger::Upstream(err)) => {
                delivery.status = if err.nothing_written() {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Unknown
                };
                delivery.error = Some(err.to_string());
                self.keep(&delivery).await;
                Ok(err.to_tool_result().into())
            }
        }
    }
}

impl Zapier {
    /// Records a receipt. The delivery already happened (or failed), so a store that fails
    /// now loses only the receipt: say so loudly, never fail the answer.
    async fn keep(&self, delivery: &Delivery) {
        if let Err(e) = self.receipts.record(delivery).await {
            tracing::error!(error = %e, receipt = %delivery.id, "a delivery receipt could not be recorded");
        }
    }
}

/// Why a confirmed trigger did not deliver.
#[derive(Debug)]
enum Trigger {
    /// Another trigger already holds the idempotency key (its receipt, once recorded).
    Duplicate(Option<Box<Delivery>>),
    /// The key could not be claimed.
    State(StateError),
    /// Zapier refused it, or the answer was lost.
    Upstream(UpstreamError),
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Duplicate(_) => f.write_str("not sent: the idempotency key was already used"),
            Trigger::State(e) => write!(f, "not sent: {e}"),
            Trigger::Upstream(e) => e.fmt(f),
        }
    }
}

impl WriteFailure for Trigger {
    fn nothing_written(&self) -> bool {
        match self {
            Trigger::Duplicate(_) | Trigger::State(_) => true,
            Trigger::Upstream(e) => e.nothing_written(),
        }
    }
}

/// The answer to a trigger whose idempotency key an earlier delivery holds.
fn already_sent(hook: &str, key: &str, earlier: Option<Box<Delivery>>) -> CallToolResponse {
    match earlier {
        Some(earlier) => {
            let text = format!(
                "Not sent again: hook \"{hook}\" was already triggered with idempotency_key {key:?} (receipt {}, {:?}).",
                earlier.id, earlier.status
            );
            let mut outcome = WriteOutcome::executed(*earlier, text.clone());
            outcome.status = connector_kit::confirm::WriteStatus::AlreadyExecuted;
            structured(&text, &outcome)
        }
        None => tool_error(format!(
            "Not sent: another trigger of hook \"{hook}\" with idempotency_key {key:?} is being delivered right now; list_deliveries shows its receipt once it is done."
        ))
        .into(),
    }
}
