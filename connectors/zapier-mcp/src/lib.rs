//! `zapier-mcp`: trigger configured Zapier "Catch Hook" webhooks from an MCP
//! client, with a human confirmation before anything is sent.
//!
//! Module map (the template every connector follows):
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`] | the connector's options and the hooks file (hook URLs are secrets) |
//! | [`client`] | the upstream call: `POST` to a catch hook |
//! | [`model`] | Zapier's wire types |
//! | [`receipts`] | delivery receipts and idempotency-key claims, in the state store |
//! | [`tools`] | the tools, one file per toolset, and their specs |
//!
//! Everything else — transports, auth, retry, rate limits, confirmation,
//! audit, policy — comes from `connector-kit` and the shared crates.

pub mod client;
pub mod config;
pub mod model;
pub mod receipts;
pub mod tools;

use std::sync::Arc;

use connector_kit::confirm::WriteScope;
use connector_kit::{Check, Connector, Kit, ToolSpec};
use rmcp::handler::server::router::tool::ToolRouter;

use crate::client::ZapierClient;
use crate::config::{Hook, Options, load_hooks};
use crate::receipts::Receipts;

/// The Zapier connector.
#[derive(Debug)]
pub struct Zapier {
    kit: Kit,
    options: Options,
    hooks: Arc<Vec<Hook>>,
    client: ZapierClient,
    receipts: Receipts,
}

impl Connector for Zapier {
    const NAME: &'static str = "zapier";
    const BINARY: &'static str = "zapier-mcp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const ABOUT: &'static str = "MCP server that triggers configured Zapier catch hooks, with human confirmation before each delivery";
    const INSTRUCTIONS: &'static str = "Triggers Zapier catch hooks that the operator configured by name. \
        Call list_hooks to see the hooks and their payload schemas. trigger_hook sends nothing on the first call: \
        it returns a preview and a confirmation token; show the preview to the user and call again with the token \
        only if they approve. A successful trigger means Zapier received the payload, not that the Zap finished. \
        list_deliveries and get_delivery show what was sent.";

    type Options = Options;

    fn tool_specs() -> &'static [ToolSpec] {
        tools::SPECS
    }

    fn router() -> ToolRouter<Self> {
        Self::hooks_tools() + Self::deliveries_tools() + Self::search_tools()
    }

    fn write_scope(options: &Options) -> Option<WriteScope> {
        (!options.write_hooks.is_empty())
            .then(|| WriteScope::new("--write-hooks", options.write_hooks.clone()))
    }

    async fn connect(options: Options, kit: Kit) -> anyhow::Result<Self> {
        let hooks = match &options.hooks {
            Some(path) => load_hooks(path)?,
            None => {
                tracing::warn!(
                    "no hooks file (--hooks / ZAPIER_HOOKS_FILE): no hook can be triggered"
                );
                Vec::new()
            }
        };
        tracing::info!(hooks = hooks.len(), "hooks loaded");
        Ok(Zapier {
            client: ZapierClient::new(&kit),
            receipts: Receipts::new(kit.guard.state().clone(), options.receipts_kept),
            hooks: Arc::new(hooks),
            options,
            kit,
        })
    }

    async fn doctor(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        if self.hooks.is_empty() {
            checks.push(Check::fail(
                "hooks",
                "no hooks configured: set --hooks or ZAPIER_HOOKS_FILE to a hooks file",
            ));
        }
        for h in self.hooks.iter() {
            // Only reachability: a POST would deliver a payload.
            use secrecy::ExposeSecret;
            let url = url::Url::parse(h.url.expose_secret()).ok();
            let host = url
                .as_ref()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            let port = url
                .as_ref()
                .and_then(|u| u.port_or_known_default())
                .unwrap_or(443);
            let reachable = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                tokio::net::TcpStream::connect((host.as_str(), port)),
            )
            .await;
            checks.push(match reachable {
                Ok(Ok(_)) => Check::pass(
                    format!("hook {}", h.name),
                    format!("{host} reachable; effect {}, tier {}", h.effect, h.tier()),
                ),
                Ok(Err(e)) => Check::fail(
                    format!("hook {}", h.name),
                    format!("cannot connect to {host}: {e}"),
                ),
                Err(_) => Check::fail(
                    format!("hook {}", h.name),
                    format!("connecting to {host} timed out"),
                ),
            });
        }
        checks
    }
}
