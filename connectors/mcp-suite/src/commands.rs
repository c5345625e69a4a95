//! The subcommands over all connectors: `serve`, `tools`, `doctor`, plus
//! `hash-token`, `verify-audit` and `healthcheck`.
#![allow(clippy::print_stdout)]

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use connector_kit::Check;
use connector_kit::audit::ChainedAudit;
use connector_kit::cli::KitArgs;
use connector_kit::confirm::AuditSink;
use connector_kit::run::{base_url, http_options, inbound_auth, open_state, state_check};
use connector_kit::state::State;
use connector_kit::tools::{ToolRow, print_tools};

use crate::cli::{SuiteCli, SuiteCommand};
use crate::config::{Enabled, build_all, select};
use crate::registry::{Ready, hosted};

/// Runs the parsed command line.
pub async fn run(cli: SuiteCli) -> anyhow::Result<ExitCode> {
    let command = cli.command.clone().unwrap_or(SuiteCommand::Serve);
    match command {
        SuiteCommand::HashToken => hash_token(),
        SuiteCommand::VerifyAudit { path } => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let n = connector_kit::audit::verify(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            println!("{}: {n} records, chain intact", path.display());
            Ok(ExitCode::SUCCESS)
        }
        SuiteCommand::Healthcheck { url } => healthcheck(&url).await,
        SuiteCommand::Demo { no_serve } => crate::demo::run(cli.kit, no_serve).await,
        SuiteCommand::Serve => serve(&cli).await,
        SuiteCommand::Tools { json } => tools(&cli, json).await,
        SuiteCommand::Doctor => doctor(&cli).await,
    }
}

/// The audit sink from `--audit-log` (default stderr), shared by every connector.
pub fn audit_sink(kit: &KitArgs) -> anyhow::Result<Arc<dyn AuditSink>> {
    Ok(match &kit.audit_log {
        Some(path) => Arc::new(
            ChainedAudit::append(path)
                .with_context(|| format!("opening audit log {}", path.display()))?,
        ),
        None => Arc::new(ChainedAudit::stderr()),
    })
}

/// The endpoint path of a connector.
pub fn endpoint_path(name: &str) -> String {
    format!("/{name}/mcp")
}

/// A bound listener with the suite's app, ready to serve.
#[derive(Debug)]
pub struct Bound {
    /// The listener.
    pub listener: tokio::net::TcpListener,
    /// The axum app (every mount, health, metrics, RFC 9728 metadata).
    pub app: axum::Router,
    /// Canonical base URL.
    pub base: String,
    /// `(connector, endpoint URL)`, in mount order.
    pub endpoints: Vec<(&'static str, String)>,
    /// Inbound auth mode (`none`, `tokens`, `oauth`).
    pub auth_mode: &'static str,
}

/// Binds `--listen` and mounts every ready connector at `/<name>/mcp` behind
/// one inbound-auth layer whose metadata covers every path.
pub async fn bind(
    kit: &KitArgs,
    ready: Vec<Box<dyn Ready>>,
    state: &State,
) -> anyhow::Result<Bound> {
    if ready.is_empty() {
        bail!(
            "no connector to serve: configure at least one (a [zapier] table in --config, or its \
             environment variables such as ZAPIER_HOOKS_FILE), or try `mcp-suite demo`"
        );
    }
    let listener = tokio::net::TcpListener::bind(kit.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (port in use? pick another with --listen, e.g. 127.0.0.1:0)",
                kit.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let base = base_url(kit, addr);
    let paths: Vec<String> = ready.iter().map(|r| endpoint_path(r.name())).collect();
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let auth = inbound_auth(kit, &base, &path_refs).await?;
    auth.check_bind(addr).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut opts = http_options(kit);
    opts.state = Some(state.clone());
    let mut endpoints = Vec::new();
    let mut mounts = Vec::new();
    for (r, path) in ready.into_iter().zip(&paths) {
        endpoints.push((r.name(), format!("{base}{path}")));
        mounts.push(r.mount(path, &opts));
    }
    let app = connector_kit::http::app(mounts, &auth, &opts);
    Ok(Bound {
        listener,
        app,
        base,
        endpoints,
        auth_mode: auth.mode_kind(),
    })
}

async fn build_selected(
    cli: &SuiteCli,
    all_if_none: bool,
    state: &State,
) -> anyhow::Result<Enabled> {
    let hosted = hosted();
    let selection = select(&hosted, &cli.suite, &cli.file, all_if_none)?;
    let audit = audit_sink(&cli.kit)?;
    build_all(
        selection,
        &cli.kit,
        &cli.file,
        audit,
        state,
        cli.suite.strict,
    )
    .await
}

async fn serve(cli: &SuiteCli) -> anyhow::Result<ExitCode> {
    let state = open_state(&cli.kit, "mcp-suite").await?;
    let enabled = build_selected(cli, false, &state).await?;
    let bound = bind(&cli.kit, enabled.ready, &state).await?;
    // One endpoint URL per line, the first line first (as the single binaries
    // print their /mcp URL), so scripts and tests can start on port 0.
    for (name, url) in &bound.endpoints {
        println!("{url}");
        tracing::info!(connector = name, %url, auth = bound.auth_mode, "serving MCP over streamable HTTP");
    }
    connector_kit::http::serve(
        bound.listener,
        bound.app,
        connector_kit::run::shutdown_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct SuiteToolRow<'a> {
    connector: &'static str,
    endpoint: String,
    #[serde(flatten)]
    row: &'a ToolRow,
}

async fn tools(cli: &SuiteCli, json: bool) -> anyhow::Result<ExitCode> {
    // Listing tools records nothing: it needs no state file.
    let enabled = build_selected(cli, true, &State::memory("mcp-suite")).await?;
    let per: Vec<(&'static str, Vec<ToolRow>)> = enabled
        .ready
        .iter()
        .map(|r| (r.name(), r.tool_rows()))
        .collect();
    if json {
        let rows: Vec<SuiteToolRow<'_>> = per
            .iter()
            .flat_map(|(name, rows)| {
                rows.iter().map(|row| SuiteToolRow {
                    connector: name,
                    endpoint: endpoint_path(name),
                    row,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for (i, (name, rows)) in per.iter().enumerate() {
            if i > 0 {
                println!();
            }
            println!("== {name} ({}) ==", endpoint_path(name));
            print_tools(name, rows, false);
        }
        for (name, reason) in &enabled.skipped {
            println!("\n== {name}: skipped: {reason}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn doctor(cli: &SuiteCli) -> anyhow::Result<ExitCode> {
    let kit = &cli.kit;
    let hosted = hosted();
    let selection = select(&hosted, &cli.suite, &cli.file, false)?;
    let selected: Vec<&'static str> = selection.enabled.iter().map(|h| h.name()).collect();
    let audit = audit_sink(kit)?;
    let state = open_state(kit, "mcp-suite").await?;
    let enabled = build_all(selection, kit, &cli.file, audit, &state, false).await?;

    let mut ok = true;
    let mut report = |section: &str, checks: &[Check]| {
        println!("{section}");
        for c in checks {
            ok &= c.ok;
            println!(
                "  {} {:<24} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.name,
                c.detail
            );
        }
    };

    let mut suite_checks = vec![Check::pass(
        "configuration",
        format!(
            "config {}; confirm={}, max tier {}, read-only {}",
            cli.file
                .path
                .as_ref()
                .map_or("(none)".to_owned(), |p| p.display().to_string()),
            kit.confirm.as_str(),
            kit.max_tier,
            kit.read_only
        ),
    )];
    suite_checks.push(state_check(&state).await);
    let paths: Vec<String> = enabled
        .ready
        .iter()
        .map(|r| endpoint_path(r.name()))
        .collect();
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    match inbound_auth(kit, &base_url(kit, kit.listen), &path_refs).await {
        Ok(auth) => suite_checks.push(match auth.check_bind(kit.listen) {
            Ok(()) => Check::pass(
                "inbound auth",
                format!("{} on {}", auth.mode_kind(), kit.listen),
            ),
            Err(e) => Check::fail("inbound auth", e.to_string()),
        }),
        Err(e) => suite_checks.push(Check::fail("inbound auth", format!("{e:#}"))),
    }
    if enabled.ready.is_empty() {
        suite_checks.push(Check::fail(
            "connectors",
            "none enabled: add a [<connector>] table to --config (see `mcp-suite --help`)",
        ));
    }
    report("suite", &suite_checks);

    for r in &enabled.ready {
        let rows = r.tool_rows();
        let mut checks = vec![Check::pass(
            "configuration",
            format!(
                "{} tools enabled at {}",
                rows.len(),
                endpoint_path(r.name())
            ),
        )];
        checks.extend(r.doctor().await);
        report(r.name(), &checks);
    }
    for (name, reason) in &enabled.skipped {
        report(name, &[Check::fail("configuration", reason.clone())]);
    }
    for h in &hosted {
        if !selected.contains(&h.name()) {
            println!(
                "{}\n  --   {:<24} add a [{}] table to --config to enable it",
                h.name(),
                "not configured",
                h.name()
            );
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn hash_token() -> anyhow::Result<ExitCode> {
    let mut token = String::new();
    std::io::stdin()
        .read_to_string(&mut token)
        .context("reading the token from stdin")?;
    let token = token.trim();
    if token.is_empty() {
        bail!("pipe the token on stdin, e.g. `printf %s \"$TOKEN\" | mcp-suite hash-token`");
    }
    println!("{}", connector_auth::inbound::hash_token(token));
    Ok(ExitCode::SUCCESS)
}

async fn healthcheck(url: &str) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    if !response.status().is_success() {
        bail!("GET {url}: {}", response.status());
    }
    Ok(ExitCode::SUCCESS)
}
