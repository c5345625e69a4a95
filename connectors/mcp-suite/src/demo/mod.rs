//! `mcp-suite demo`: every mock in-process on 127.0.0.1, every connector
//! pointed at its mock, the suite served on `--listen` (default
//! 127.0.0.1:8931), then a guided tour of the incident workflow through a
//! real MCP client over streamable HTTP. No credentials, no network beyond
//! 127.0.0.1.
//!
//! The tour follows the seed workflow, one [`Part`] per connector, in order:
//! GitHub (find the failed Actions run, read its job log) → ServiceNow
//! (search known issues, create an incident) → Jira (search the open issues,
//! file a bug) → Zapier (page the on-call) → CRM (who is affected: the
//! account, its contacts, the open deals at risk). The GitHub part leaves the
//! failed run and its error in [`Tour::facts`] for the parts that follow.
#![allow(clippy::print_stdout)]

mod crm;
mod github;
mod jira;
mod servicenow;
mod zapier;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use connector_kit::audit::ChainedAudit;
use connector_kit::cli::{KitArgs, LogFormat};
use connector_kit::confirm::AuditSink;
use connector_testkit::{Client, ClientOptions, ToolResult};
use serde_json::Value;

use crate::cli::{ConfigFile, SuiteArgs};
use crate::local::{LocalSuite, Mocks, loopback};
use crate::registry::BoxFuture;

/// The MCP Inspector release the printed command pins.
pub const INSPECTOR: &str = "@modelcontextprotocol/inspector@2.12.0";

/// One connector's share of the demo: its steps of the tour (its mock and
/// the config pointing the connector at it are [`Mocks`]').
pub trait Part: Send + Sync {
    /// The connector's name (its registry name and TOML table).
    fn connector(&self) -> &'static str;
    /// This connector's steps of the tour, through `client` (connected to
    /// the connector's endpoint on the suite).
    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The parts in tour order, each looking at its mock's state.
fn parts(mocks: &Mocks) -> Vec<Box<dyn Part>> {
    vec![
        // ── Parts in the order of the incident workflow: ──
        Box::new(github::Demo), // find the failed Actions run, read its job log
        Box::new(servicenow::Demo::new(&mocks.servicenow.state)), // search known issues, open the incident
        Box::new(jira::Demo::new(&mocks.jira.state)), // search open issues, file the bug
        Box::new(zapier::Demo::new(&mocks.zapier.state)), // page the on-call
        Box::new(crm::Demo),                          // who is affected: the account at risk
    ]
}

/// The tour's state: step numbering and facts later steps reuse (e.g. the
/// incident number a page mentions).
#[derive(Debug, Default)]
pub struct Tour {
    step: usize,
    /// Facts earlier parts found, by name (`failed_run`, `ci_error`, `incident`, `jira_bug`…).
    pub facts: serde_json::Map<String, Value>,
}

impl Tour {
    /// Starts step N: `[N] connector · title`.
    pub fn step(&mut self, connector: &str, title: &str) {
        self.step += 1;
        println!("\n[{}] {connector} · {title}", self.step);
    }

    /// An indented line under the current step.
    pub fn say(&self, text: impl AsRef<str>) {
        for line in text.as_ref().lines() {
            println!("    {line}");
        }
    }

    /// `label: <short JSON>` (cut at ~140 characters).
    pub fn json(&self, label: &str, value: &Value) {
        self.say(format!("{label}: {}", excerpt(value, 140)));
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }
}

/// Compact JSON cut at `max` characters.
pub fn excerpt(value: &Value, max: usize) -> String {
    let s = value.to_string();
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Fails the tour on a tool error, with the tool's own words.
pub fn ok(tool: &str, r: ToolResult) -> anyhow::Result<ToolResult> {
    if r.is_error {
        anyhow::bail!("{tool} failed: {}", r.text);
    }
    Ok(r)
}

/// Sets up tracing for the demo: warnings only unless `RUST_LOG` says more.
pub fn init_quiet_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the demo.
pub async fn run(kit: KitArgs, no_serve: bool) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("mcp-suite-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    println!("mcp-suite demo: every connector against a local mock on 127.0.0.1");
    println!("(no credentials; nothing leaves this machine)\n");

    let mocks = Mocks::start(dir.path()).await?;
    let parts = parts(&mocks);
    for (name, url) in mocks.urls() {
        println!("  mock {name:<12} {url}");
    }

    // The demo's deployment: loopback only, the two-call token
    // confirmation (works with every client), audit to a file.
    let audit_path = dir.path().join("audit.jsonl");
    let kit = loopback(kit, &audit_path);
    let audit: Arc<dyn AuditSink> =
        Arc::new(ChainedAudit::append(&audit_path).context("opening the demo audit log")?);

    let file = ConfigFile {
        path: None,
        table: mocks.config(),
    };
    let suite = SuiteArgs {
        connectors: parts.iter().map(|p| p.connector().to_owned()).collect(),
        strict: true,
    };
    let server = LocalSuite::start_from(kit, &file, &suite, audit).await?;
    let endpoints = server.endpoints.clone();
    let base = server.base.clone();
    for (name, url) in &endpoints {
        println!("  endpoint {name:<10} {url}");
    }

    println!("\nThe incident workflow, through a real MCP client over streamable HTTP:");
    let mut tour = Tour::default();
    let result = take_tour(&parts, &endpoints, &mut tour).await;
    if let Err(e) = result {
        let _ = server.shutdown().await;
        return Err(e.context("the demo tour failed"));
    }
    let records = std::fs::read_to_string(&audit_path)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    println!(
        "\nTour complete: {} steps. The audit log recorded {records} events (preview, confirm, execute), hash-chained.",
        tour.steps()
    );

    if no_serve {
        server.shutdown().await?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("\nStill serving (Ctrl-C to stop):");
    for (name, url) in &endpoints {
        println!("  {name:<11} {url}");
    }
    println!("  {:<11} {base}/healthz   {base}/metrics", "health");
    if let Some((_, first)) = endpoints.first() {
        println!("\nTry it with the MCP Inspector (Node 22+):");
        println!("  npx {INSPECTOR} --cli {first} --method tools/list");
    }
    connector_kit::run::shutdown_signal().await;
    server.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

async fn take_tour(
    parts: &[Box<dyn Part>],
    endpoints: &[(&'static str, String)],
    tour: &mut Tour,
) -> anyhow::Result<()> {
    for part in parts {
        let url = endpoints
            .iter()
            .find(|(name, _)| *name == part.connector())
            .map(|(_, url)| url.clone())
            .with_context(|| format!("{} is not served", part.connector()))?;
        let client = Client::http(&url, None, ClientOptions::default())
            .await
            .with_context(|| format!("connecting to {url}"))?;
        part.tour(tour, &client).await?;
        client.close().await?;
    }
    Ok(())
}
