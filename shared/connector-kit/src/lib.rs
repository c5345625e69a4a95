//! The server kit: everything a connector needs besides its own upstream
//! calls. A connector's `main.rs` is one line:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     connector_kit::main::<zapier_mcp::Zapier>()
//! }
//! ```
//!
//! | module | what it does |
//! |---|---|
//! | [`cli`] | flags > env > TOML > defaults; `serve`, `tools`, `doctor`, `hash-token`, `verify-audit` |
//! | [`connector`] | the [`Connector`] trait and the [`Kit`] services handed to it |
//! | [`policy`] | [`ToolSpec`]s, toolsets, read-only, tiers, annotations from effects |
//! | [`server`] | the rmcp `ServerHandler`: argument validation, identity, MRTR state, metrics |
//! | [`http`] | stateless streamable HTTP with auth, limits, health, metrics, RFC 9728 |
//! | [`audit`] | the hash-chained JSON-lines audit sink |
//! | [`upstream`] | [`UpstreamError`]: upstream failures in words a user can act on |
//! | [`respond`] | tool answers: structured + text, `isError` texts, offset cursors |
//! | [`search`] | the `search` / `fetch` answer shapes ChatGPT expects |
//! | [`text`] | untrusted-text hygiene and budgets |

pub mod audit;
pub mod cli;
pub mod connector;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod respond;
pub mod run;
pub mod search;
pub mod server;
pub mod text;
pub mod tools;
pub mod upstream;

pub use connector::{Check, Connector, Kit, TowerParts};
pub use connector_auth::upstream::UpstreamCredential;
pub use connector_ratelimit::Scope;
pub use policy::ToolSpec;
pub use run::main;
pub use server::McpServer;
pub use upstream::UpstreamError;

/// Re-exports connectors need, so their `Cargo.toml` stays short.
pub use connector_confirm as confirm;
/// The rate-limit crate (its tower layer, scopes, content pacing).
pub use connector_ratelimit as ratelimit;
/// The retry crate (its tower layer, reports).
pub use connector_retry as retry;
pub use connector_state as state;
