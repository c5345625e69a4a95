//! The guard: policy checks, confirmation by the best means the client has,
//! and the [`Confirmed`] value every upstream write requires.

use std::sync::Arc;
use std::time::Duration;

use connector_auth::inbound::Principal;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ElicitRequest, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationSchema, InputRequest, InputRequests,
    InputRequiredResult,
};
use rmcp::model::{RequestStateCodec, RequestStateError, SealOptions};
use rmcp::service::{RequestContext, RoleServer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{AuditEvent, AuditSink, AuditStep};
use crate::digest::canonical_digest;
use crate::{Tier, WritePlan};
use connector_state::{Claim, State, StateError};

/// The argument name write tools use for the sealed confirmation token.
pub const TOKEN_ARG: &str = "confirmation_token";

/// How a write gets its human confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmMode {
    /// Elicitation when the client declares it, otherwise the token flow.
    #[default]
    Auto,
    /// Always elicitation; refuse writes from clients that cannot show it.
    Elicit,
    /// Always the two-call token flow (works with every client and stateless HTTP).
    Token,
    /// Trust the client's own approval prompt (driven by annotations).
    Host,
    /// No confirmation (unattended automation only). Still audited.
    Off,
}

impl std::str::FromStr for ConfirmMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "elicit" => Ok(Self::Elicit),
            "token" => Ok(Self::Token),
            "host" => Ok(Self::Host),
            "off" => Ok(Self::Off),
            other => Err(format!(
                "confirm mode must be auto, elicit, token, host or off, not {other:?}"
            )),
        }
    }
}

impl ConfirmMode {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Elicit => "elicit",
            Self::Token => "token",
            Self::Host => "host",
            Self::Off => "off",
        }
    }
}

/// An allow-list of write-scope keys (`OPS`, `acme/api`, `acme/*`, `incident`).
/// Matching is case-insensitive; a trailing `*` matches any suffix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteScope {
    /// The flag that configures it, for messages (`--write-projects`).
    pub flag: String,
    patterns: Vec<String>,
}

impl WriteScope {
    /// A scope from patterns.
    pub fn new(
        flag: impl Into<String>,
        patterns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        WriteScope {
            flag: flag.into(),
            patterns: patterns
                .into_iter()
                .map(|p| p.into().trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// True if `key` is inside the scope.
    pub fn allows(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        self.patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => *p == key,
        })
    }

    /// The configured patterns.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// Deployment policy for writes.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Upstream system name, for audit records and messages.
    pub system: String,
    /// Refuse every write.
    pub read_only: bool,
    /// Highest tier allowed.
    pub max_tier: Tier,
    /// Tools the operator enabled by name (`--tools`), allowed above `max_tier`.
    pub explicit_tools: std::collections::BTreeSet<String>,
    /// How confirmation is obtained.
    pub mode: ConfirmMode,
    /// Write-scope allow-list; `None` allows every target.
    pub write_scope: Option<WriteScope>,
    /// Scopes a principal must hold to write (HTTP with tokens/OAuth).
    pub principal_write_scopes: Vec<String>,
    /// How long a confirmation token stays valid.
    pub token_ttl: Duration,
    /// How long a write's result is kept for replays.
    pub record_ttl: Duration,
    /// How long a claimed write may run before its claim counts as abandoned (the process
    /// stopped between claiming and recording). Longer than any tool call may take.
    pub claim_lease: Duration,
    /// Test-only fault: abort the process after the upstream committed a write and before its
    /// result is recorded (set by the kit from `MCP_TEST_FAULT=abort-after-upstream-commit`).
    #[doc(hidden)]
    pub abort_after_upstream_commit: bool,
}

impl GuardConfig {
    /// Safe defaults: writes allowed up to tier 3, `auto` confirmation,
    /// tokens valid 5 minutes, results kept 24 hours.
    pub fn new(system: impl Into<String>) -> Self {
        GuardConfig {
            system: system.into(),
            read_only: false,
            max_tier: Tier::Write,
            explicit_tools: Default::default(),
            mode: ConfirmMode::Auto,
            write_scope: None,
            principal_write_scopes: Vec::new(),
            token_ttl: Duration::from_secs(300),
            record_ttl: Duration::from_secs(24 * 3600),
            claim_lease: Duration::from_secs(150),
            abort_after_upstream_commit: false,
        }
    }
}

/// Proof that a write was confirmed and that its idempotency key is held.
///
/// Only [`Guard::confirm`] builds one, and upstream write functions take it
/// by reference, so a write that skipped confirmation does not compile:
///
/// ```compile_fail
/// let c = connector_confirm::Confirmed { key: String::new() };
/// ```
#[derive(Debug)]
pub struct Confirmed {
    key: String,
    via: &'static str,
    principal: String,
    plan: WritePlan,
}

impl Confirmed {
    /// The idempotency key of this write (also usable as a correlation marker
    /// upstream, e.g. a label or `correlation_id`).
    pub fn idempotency_key(&self) -> &str {
        &self.key
    }
    /// The plan that was confirmed.
    pub fn plan(&self) -> &WritePlan {
        &self.plan
    }
    /// How the confirmation was obtained.
    pub fn via(&self) -> &'static str {
        self.via
    }
}

/// What [`Guard::confirm`] decided.
#[derive(Debug)]
pub enum Gate {
    /// Go ahead and write.
    Proceed(Confirmed),
    /// Answer the call with this (a preview, an elicitation, a refusal).
    Respond(CallToolResponse),
}

/// Why a write failed, as far as the write's effect is concerned.
pub trait WriteFailure: std::fmt::Display {
    /// True when the upstream certainly did not apply the write (refused
    /// with a 4xx, or the request never left). False when it may have.
    fn nothing_written(&self) -> bool;
}

/// Input of the MRTR round trip, put into the request extensions by the kit.
#[derive(Debug, Clone, Default)]
pub struct RoundTrip {
    /// `requestState` echoed by the client.
    pub request_state: Option<String>,
    /// `inputResponses` from the client.
    pub input_responses: Option<rmcp::model::InputResponses>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Seal {
    v: u8,
    tool: String,
    digest: String,
    nonce: String,
    target: String,
}

/// The answer a human gives in a legacy elicitation form.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// Approve this write?
    pub approve: bool,
}
rmcp::elicit_safe!(Approval);

/// The guard. Cheap to clone.
#[derive(Clone)]
pub struct Guard {
    cfg: Arc<GuardConfig>,
    codec: Arc<RequestStateCodec>,
    state: State,
    audit: Arc<dyn AuditSink>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A guard. `signing_key` (≥ 32 bytes) seals confirmations; replicas that
    /// share load must share it, and `state` (where claims and results are
    /// recorded) with it.
    pub fn new(
        cfg: GuardConfig,
        signing_key: &[u8],
        state: State,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Self, RequestStateError> {
        Ok(Guard {
            cfg: Arc::new(cfg),
            codec: Arc::new(RequestStateCodec::try_new(signing_key.to_vec())?),
            state,
            audit,
        })
    }

    /// The state store claims and results are recorded in.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The policy in force.
    pub fn config(&self) -> &GuardConfig {
        &self.cfg
    }

    /// The audit sink (connectors may record their own events).
    pub fn audit(&self) -> &Arc<dyn AuditSink> {
        &self.audit
    }

    /// Checks policy and obtains confirmation for `plan`.
    ///
    /// `args` are the tool's arguments; a `confirmation_token` field in them
    /// is the token and is left out of the digest.
    pub async fn confirm(
        &self,
        ctx: &RequestContext<RoleServer>,
        args: &impl Serialize,
        plan: WritePlan,
    ) -> Gate {
        let principal = principal_of(ctx);
        let mut args = serde_json::to_value(args).unwrap_or(Value::Null);
        let token = match args.as_object_mut().and_then(|o| o.remove(TOKEN_ARG)) {
            Some(Value::String(t)) if !t.is_empty() => Some(t),
            _ => None,
        };
        let digest = canonical_digest(&args);

        if let Some(reason) = self.policy_refusal(&plan, &principal) {
            return self.refuse(&plan, &principal, &reason, None);
        }

        match self.cfg.mode {
            ConfirmMode::Off => return self.claim(plan, &principal, new_nonce(), "off").await,
            ConfirmMode::Host => return self.claim(plan, &principal, new_nonce(), "host").await,
            _ => {}
        }
        if let Some(token) = token {
            if self.cfg.mode == ConfirmMode::Elicit {
                return self.refuse(&plan, &principal, "this server confirms writes by elicitation only (--confirm elicit); confirmation tokens are not accepted", None);
            }
            return self.redeem(plan, &principal, &digest, &token).await;
        }

        let round_trip = ctx
            .extensions
            .get::<RoundTrip>()
            .cloned()
            .unwrap_or_default();
        let can_elicit = ctx
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        let modern = ctx.protocol_version().is_some_and(|v| !v.has_initialize());
        let use_elicit = match self.cfg.mode {
            ConfirmMode::Elicit => true,
            ConfirmMode::Auto => can_elicit || round_trip.request_state.is_some(),
            _ => false,
        };
        if !use_elicit {
            return self.issue_token(&plan, &principal, digest);
        }
        if round_trip.request_state.is_some() {
            return self
                .resume_elicitation(plan, &principal, &digest, round_trip)
                .await;
        }
        if !can_elicit {
            return self.refuse(&plan, &principal, "this server requires confirmation by elicitation (--confirm elicit) and this client does not support it; ask the operator for --confirm auto or token", None);
        }
        if modern {
            return self.start_elicitation(&plan, &principal, digest);
        }
        self.legacy_elicitation(ctx, plan, &principal).await
    }

    /// Runs the confirmed write, records its result under the idempotency
    /// key and audits it. Certain failures release the key (the same
    /// confirmation may be retried); uncertain ones keep it, so the write can
    /// never run twice.
    pub async fn execute<T, E, F>(&self, confirmed: Confirmed, write: F) -> Result<T, E>
    where
        T: Serialize,
        E: WriteFailure,
        F: AsyncFnOnce(&Confirmed) -> Result<T, E>,
    {
        let result = write(&confirmed).await;
        if self.cfg.abort_after_upstream_commit && result.is_ok() {
            tracing::error!(
                "MCP_TEST_FAULT: aborting after the upstream committed, before the result is recorded"
            );
            std::process::abort();
        }
        let Confirmed {
            key,
            via,
            principal,
            plan,
        } = confirmed;
        match &result {
            Ok(v) => {
                let recorded = serde_json::to_value(v).unwrap_or(Value::Null);
                self.record(&key, &recorded).await;
                self.emit(
                    AuditStep::Executed,
                    &plan,
                    &principal,
                    Some(&key),
                    Some(via),
                    recorded,
                );
            }
            Err(e) if e.nothing_written() => {
                if let Err(err) = self.state.release(&key).await {
                    // The claim stays until its lease runs out; then a retry is answered as
                    // interrupted, never sent twice.
                    tracing::warn!(error = %err, "could not release the claim of a write that wrote nothing");
                }
                self.emit(
                    AuditStep::Failed,
                    &plan,
                    &principal,
                    Some(&key),
                    Some(via),
                    json!({"error": e.to_string(), "may_have_written": false}),
                );
            }
            Err(e) => {
                let recorded = json!({"outcome": "unknown", "error": e.to_string()});
                self.record(&key, &recorded).await;
                self.emit(
                    AuditStep::Failed,
                    &plan,
                    &principal,
                    Some(&key),
                    Some(via),
                    json!({"error": e.to_string(), "may_have_written": true}),
                );
            }
        }
        result
    }

    /// Records a write's result under its key. The upstream already acted, so a store that
    /// fails now cannot undo anything: retry a few times, then say so loudly. The claim stays
    /// in flight, so the same confirmation is never sent again.
    async fn record(&self, key: &str, recorded: &Value) {
        let mut delay = Duration::from_millis(50);
        for attempt in 1..=4 {
            match self.state.finish(key, recorded, self.cfg.record_ttl).await {
                Ok(()) => return,
                Err(e) if attempt == 4 => {
                    tracing::error!(error = %e, key, "the result of an executed write could not be recorded; a replay of its confirmation will be answered as interrupted, never sent again");
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay *= 4;
                }
            }
        }
    }

    fn policy_refusal(&self, plan: &WritePlan, principal: &Principal) -> Option<String> {
        if self.cfg.read_only {
            return Some("this server runs read-only (--read-only); no writes are allowed".into());
        }
        if plan.tier > self.cfg.max_tier && !self.cfg.explicit_tools.contains(&plan.tool) {
            return Some(format!(
                "this write is tier {} and the server allows at most tier {} (--max-tier)",
                plan.tier, self.cfg.max_tier
            ));
        }
        if let (Some(scope), Some(key)) = (&self.cfg.write_scope, &plan.scope)
            && !scope.allows(key)
        {
            return Some(format!(
                "{key} is outside the write scope ({} {}); reads are still allowed",
                scope.flag,
                scope.patterns().join(",")
            ));
        }
        let missing: Vec<&str> = self
            .cfg
            .principal_write_scopes
            .iter()
            .filter(|s| !principal.has_scope(s))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Some(format!(
                "your credentials lack the scope needed to write: {}",
                missing.join(" ")
            ));
        }
        None
    }

    /// Seals a fresh nonce over tool, argument digest and target, bound to
    /// the caller; used as confirmation token and as MRTR request state.
    fn seal(
        &self,
        plan: &WritePlan,
        principal: &Principal,
        digest: String,
    ) -> Result<String, Box<Gate>> {
        let seal = Seal {
            v: 1,
            tool: plan.tool.clone(),
            digest,
            nonce: new_nonce(),
            target: plan.target.clone(),
        };
        let ad = associated_data(&principal.subject, &plan.tool);
        let options = SealOptions::new()
            .ttl(self.cfg.token_ttl)
            .associated_data(&ad);
        self.codec.seal_json_with(&seal, &options).map_err(|e| {
            Box::new(self.refuse(
                plan,
                principal,
                &format!("could not seal a confirmation: {e}"),
                None,
            ))
        })
    }

    fn issue_token(&self, plan: &WritePlan, principal: &Principal, digest: String) -> Gate {
        let token = match self.seal(plan, principal, digest) {
            Ok(t) => t,
            Err(refusal) => return *refusal,
        };
        let expires = chrono::Utc::now() + self.cfg.token_ttl;
        self.emit(
            AuditStep::Previewed,
            plan,
            &principal.subject,
            None,
            Some("token"),
            json!({"expires_at": expires}),
        );
        let text = format!(
            "CONFIRMATION REQUIRED — nothing has been written yet.\n\n{}\n\nShow this preview to the user. \
             Only if they approve, call `{}` again with exactly the same arguments plus \
             \"{TOKEN_ARG}\": \"{token}\". The token is single-use and expires at {}.",
            plan.preview_text(),
            plan.tool,
            expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let structured = json!({
            "status": "confirmation_required",
            "preview": plan,
            TOKEN_ARG: token,
            "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(structured);
        Gate::Respond(result.into())
    }

    /// Opens a sealed token or request state and checks it is for this tool,
    /// these exact arguments and this caller.
    fn open(
        &self,
        plan: &WritePlan,
        principal: &Principal,
        digest: &str,
        sealed: &str,
        what: &str,
    ) -> Result<Seal, Box<Gate>> {
        let ad = associated_data(&principal.subject, &plan.tool);
        let seal: Seal = self.codec.open_json_with(sealed, &ad).map_err(|e| {
            let reason = match e {
                RequestStateError::Expired => format!(
                    "the {what} has expired; call again without confirmation_token to get a fresh preview"
                ),
                _ => format!(
                    "the {what} is not valid for this tool and caller (it was issued to someone else, for another tool, or altered); call again without confirmation_token to get a fresh preview"
                ),
            };
            Box::new(self.refuse(plan, principal, &reason, None))
        })?;
        if seal.tool != plan.tool || seal.digest != digest {
            return Err(Box::new(self.refuse(plan, principal, "the arguments differ from the ones that were previewed; nothing was written. Call again without confirmation_token to preview the new arguments", None)));
        }
        Ok(seal)
    }

    async fn redeem(
        &self,
        plan: WritePlan,
        principal: &Principal,
        digest: &str,
        token: &str,
    ) -> Gate {
        let seal = match self.open(&plan, principal, digest, token, "confirmation token") {
            Ok(seal) => seal,
            Err(refusal) => return *refusal,
        };
        self.claim(plan, principal, seal.nonce, "token").await
    }

    fn start_elicitation(&self, plan: &WritePlan, principal: &Principal, digest: String) -> Gate {
        let state = match self.seal(plan, principal, digest) {
            Ok(s) => s,
            Err(refusal) => return *refusal,
        };
        self.emit(
            AuditStep::Previewed,
            plan,
            &principal.subject,
            None,
            Some("elicit"),
            Value::Null,
        );
        Gate::Respond(InputRequiredResult::new(Some(approval_request(plan)), Some(state)).into())
    }

    async fn resume_elicitation(
        &self,
        plan: WritePlan,
        principal: &Principal,
        digest: &str,
        rt: RoundTrip,
    ) -> Gate {
        let state = rt.request_state.unwrap_or_default();
        let seal = match self.open(&plan, principal, digest, &state, "confirmation request") {
            Ok(seal) => seal,
            Err(refusal) => return *refusal,
        };
        let answer = rt
            .input_responses
            .as_ref()
            .and_then(|r| r.get("confirm"))
            .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok());
        match answer {
            None => {
                // The client retried without an answer: ask again, same state.
                Gate::Respond(
                    InputRequiredResult::new(Some(approval_request(&plan)), Some(state)).into(),
                )
            }
            Some(r) if r.action == ElicitationAction::Accept && approved(r.content.as_ref()) => {
                self.claim(plan, principal, seal.nonce, "elicit").await
            }
            Some(_) => self.deny(&plan, principal),
        }
    }

    async fn legacy_elicitation(
        &self,
        ctx: &RequestContext<RoleServer>,
        plan: WritePlan,
        principal: &Principal,
    ) -> Gate {
        self.emit(
            AuditStep::Previewed,
            &plan,
            &principal.subject,
            None,
            Some("elicit"),
            Value::Null,
        );
        let message = format!("Approve this write?\n\n{}", plan.preview_text());
        match ctx.peer.elicit::<Approval>(message).await {
            Ok(Some(Approval { approve: true })) => {
                self.claim(plan, principal, new_nonce(), "elicit").await
            }
            Ok(_)
            | Err(rmcp::service::ElicitationError::UserDeclined)
            | Err(rmcp::service::ElicitationError::UserCancelled) => self.deny(&plan, principal),
            Err(e) => self.refuse(
                &plan,
                principal,
                &format!("could not ask the user for confirmation: {e}"),
                None,
            ),
        }
    }

    /// Claims the idempotency key: a confirmation runs at most one write.
    async fn claim(
        &self,
        plan: WritePlan,
        principal: &Principal,
        nonce: String,
        via: &'static str,
    ) -> Gate {
        let claimed = self
            .state
            .claim(&nonce, self.cfg.claim_lease, self.cfg.record_ttl)
            .await;
        match claimed {
            Err(e) => self.unavailable(&plan, principal, &e),
            Ok(Claim::Started) => {
                self.emit(AuditStep::Confirmed, &plan, &principal.subject, Some(&nonce), Some(via), Value::Null);
                Gate::Proceed(Confirmed { key: nonce, via, principal: principal.subject.clone(), plan })
            }
            Ok(Claim::InFlight { stale: false }) => self.refuse(&plan, principal, &format!(
                "this confirmation is being executed by another call right now; nothing more was written. Call again in {} s to learn its outcome",
                self.cfg.claim_lease.as_secs().max(1)
            ), Some(&nonce)),
            Ok(Claim::InFlight { stale: true }) => self.interrupted(&plan, principal, &nonce, via).await,
            Ok(Claim::Done(recorded)) => {
                self.emit(AuditStep::Replayed, &plan, &principal.subject, Some(&nonce), Some(via), recorded.clone());
                let text = format!(
                    "Refused: this confirmation was already used, so nothing was written again. The recorded result of the earlier write is: {recorded}"
                );
                let mut r = CallToolResult::error(vec![ContentBlock::text(text)]);
                r.structured_content = Some(json!({"status": "already_executed", "recorded_result": recorded}));
                Gate::Respond(r.into())
            }
        }
    }

    /// A claim whose holder stopped (a crash or kill) after claiming and before recording a
    /// result: the write may have reached the upstream. It is never sent again; the first
    /// caller to find it takes it over and records the outcome as unknown, with what to check.
    async fn interrupted(
        &self,
        plan: &WritePlan,
        principal: &Principal,
        nonce: &str,
        via: &'static str,
    ) -> Gate {
        match self
            .state
            .take_over(nonce, self.cfg.claim_lease, self.cfg.record_ttl)
            .await
        {
            Err(e) => return self.unavailable(plan, principal, &e),
            Ok(false) => {
                return self.refuse(plan, principal, "this confirmation is being resolved by another call right now; nothing more was written", Some(nonce));
            }
            Ok(true) => {}
        }
        let check = format!(
            "Check {} in {} before writing again; a record this server created carries the correlation marker {nonce:?}.",
            plan.target, plan.system
        );
        let recorded = json!({
            "outcome": "unknown",
            "error": "the server stopped after this write was sent and before its result was recorded",
            "check": check,
        });
        self.record(nonce, &recorded).await;
        self.emit(
            AuditStep::Failed,
            plan,
            &principal.subject,
            Some(nonce),
            Some(via),
            json!({"error": "interrupted before the result was recorded", "may_have_written": true}),
        );
        let text = format!(
            "Not sent again: an earlier attempt of this confirmed write ({}) was interrupted after it was sent and before its result was recorded, so it may or may not have reached {}. {check}",
            plan.summary, plan.system
        );
        let mut r = CallToolResult::error(vec![ContentBlock::text(text)]);
        r.structured_content = Some(json!({"status": "unknown", "recorded_result": recorded}));
        Gate::Respond(r.into())
    }

    /// The state store failed: nothing is written (fail closed).
    fn unavailable(&self, plan: &WritePlan, principal: &Principal, e: &StateError) -> Gate {
        tracing::warn!(error = %e, tool = %plan.tool, "write refused: the state store is unavailable");
        self.refuse(
            plan,
            principal,
            "the state store is unreachable; nothing was written; retry when it is back",
            None,
        )
    }

    fn deny(&self, plan: &WritePlan, principal: &Principal) -> Gate {
        self.emit(
            AuditStep::Denied,
            plan,
            &principal.subject,
            None,
            Some("elicit"),
            Value::Null,
        );
        let mut r = CallToolResult::error(vec![ContentBlock::text(format!(
            "The user did not approve: {}. Nothing was written.",
            plan.summary
        ))]);
        r.structured_content = Some(json!({"status": "denied"}));
        Gate::Respond(r.into())
    }

    fn refuse(
        &self,
        plan: &WritePlan,
        principal: &Principal,
        reason: &str,
        key: Option<&str>,
    ) -> Gate {
        self.emit(
            AuditStep::Refused,
            plan,
            &principal.subject,
            key,
            None,
            json!({"reason": reason}),
        );
        let mut r = CallToolResult::error(vec![ContentBlock::text(format!("Refused: {reason}."))]);
        r.structured_content = Some(json!({"status": "refused", "reason": reason}));
        Gate::Respond(r.into())
    }

    fn emit(
        &self,
        step: AuditStep,
        plan: &WritePlan,
        principal: &str,
        key: Option<&str>,
        via: Option<&str>,
        detail: Value,
    ) {
        self.audit.record(AuditEvent {
            at: chrono::Utc::now(),
            step,
            system: plan.system.clone(),
            tool: plan.tool.clone(),
            principal: principal.to_owned(),
            target: plan.target.clone(),
            summary: plan.summary.clone(),
            key: key.map(str::to_owned),
            via: via.map(str::to_owned),
            detail,
        });
    }
}

/// The caller of this request: what the kit's auth layer put in the
/// extensions, or the local user for stdio.
pub fn principal_of(ctx: &RequestContext<RoleServer>) -> Principal {
    if let Some(p) = ctx.extensions.get::<Principal>() {
        return p.clone();
    }
    if let Some(parts) = ctx.extensions.get::<http::request::Parts>() {
        return parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(Principal::anonymous);
    }
    Principal::local()
}

fn approval_request(plan: &WritePlan) -> InputRequests {
    let schema = ElicitationSchema::builder()
        .required_bool("approve")
        .build()
        .expect("a one-boolean schema is valid");
    let mut reqs = InputRequests::new();
    reqs.insert(
        "confirm".into(),
        InputRequest::Elicitation(ElicitRequest::new(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message: format!("Approve this write?\n\n{}", plan.preview_text()),
                requested_schema: schema,
            },
        )),
    );
    reqs
}

fn approved(content: Option<&Value>) -> bool {
    content
        .and_then(|c| c.get("approve"))
        .and_then(Value::as_bool)
        == Some(true)
}

fn associated_data(principal: &str, tool: &str) -> Vec<u8> {
    format!("connector-confirm/v1\x1f{principal}\x1f{tool}").into_bytes()
}

fn new_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_scope_patterns() {
        let s = WriteScope::new("--write-repos", ["acme/api", "tools/*"]);
        assert!(s.allows("acme/api"));
        assert!(s.allows("ACME/API"));
        assert!(s.allows("tools/anything"));
        assert!(!s.allows("acme/web"));
        assert!(!s.allows("toolsx"));
    }

    #[test]
    fn confirm_modes_parse() {
        assert_eq!("Token".parse::<ConfirmMode>().unwrap(), ConfirmMode::Token);
        assert!("yes".parse::<ConfirmMode>().unwrap_err().contains("auto"));
    }

    #[test]
    fn associated_data_binds_principal_and_tool() {
        assert_ne!(associated_data("alice", "t"), associated_data("bob", "t"));
        assert_ne!(associated_data("alice", "t"), associated_data("alice", "u"));
        // The separator keeps "a"+"bc" and "ab"+"c" apart.
        assert_ne!(associated_data("a", "bc"), associated_data("ab", "c"));
    }
}
