//! Confirm-before-write: the heart of write safety in every connector.
//!
//! A write tool goes through four steps, each audited:
//!
//! 1. It builds a [`WritePlan`]: target, exact field changes (before → after
//!    for updates), a one-line summary, its [`Effect`] and [`Tier`].
//! 2. [`Guard::confirm`] checks policy (read-only, `--max-tier`, the write
//!    scope, the principal's write scopes) and obtains a human confirmation
//!    by the best means the client has ([`ConfirmMode`]): MCP elicitation
//!    (MRTR `input_required` for 2026 clients, `elicitation/create` for
//!    legacy sessions), or the sealed single-use token flow that works with
//!    every client and over stateless HTTP. A bare `confirm: true` argument
//!    is never accepted.
//! 3. Only then does it hold a [`Confirmed`], which upstream write functions
//!    require by reference — skipping confirmation is a compile error.
//! 4. [`Guard::execute`] runs the write once: the confirmation's nonce is the
//!    idempotency key, so a repeated commit answers from the record instead
//!    of writing again.
//!
//! ```ignore
//! let plan = WritePlan::new("zapier", "trigger_hook", Effect::Send, "hook \"page-oncall\"", "Page the on-call engineer")
//!     .scope("page-oncall");
//! let confirmed = match guard.confirm(&ctx, &args, plan).await {
//!     Gate::Proceed(c) => c,
//!     Gate::Respond(answer) => return Ok(answer), // preview, elicitation or refusal
//! };
//! let receipt = guard.execute(confirmed, async |c| client.trigger(c, &hook, &payload).await).await;
//! ```

mod audit;
mod digest;
mod effect;
mod guard;
mod outcome;
mod plan;

pub use audit::{AuditEvent, AuditSink, AuditStep, MemoryAudit};
pub use connector_state::State;
pub use digest::canonical_digest;
pub use effect::{Effect, Tier};
pub use guard::{
    Approval, ConfirmMode, Confirmed, Gate, Guard, GuardConfig, RoundTrip, TOKEN_ARG, WriteFailure,
    WriteScope, principal_of,
};
pub use outcome::{WriteOutcome, WriteStatus};
pub use plan::{FieldChange, WritePlan};
