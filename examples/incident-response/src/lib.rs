//! `incident-response`: the incident workflow as a small program on the
//! project's public crates, with a transactional safeguard across services.
//!
//! ```sh
//! cargo run -p incident-response                                # asks y/N before every write
//! cargo run -p incident-response -- --yes                       # approves every write
//! cargo run -p incident-response -- --yes --inject-fault zapier # the page fails: watch the rollback
//! cargo run -p incident-response -- --config suite.toml         # real systems (mcp-suite's config file)
//! ```
//!
//! It starts every mock upstream in-process on 127.0.0.1 (or, with
//! `--config`, takes the upstreams from an `mcp-suite` config file), hosts
//! the connectors with `mcp_suite::local`, and drives them through real rmcp
//! clients over streamable HTTP: find the failed GitHub Actions run, read the
//! failing job's log tail, search ServiceNow known issues, then create a
//! ServiceNow incident, a Jira bug, and page the on-call through Zapier.
//!
//! Every write is previewed by its connector (the token confirmation flow:
//! nothing is written until the same call comes back with the token) and
//! approved by a human ([`approve`]). The completed writes go into a saga
//! log ([`saga`]); if a later write fails or is declined, the earlier ones
//! are compensated newest first — the Jira bug gets a comment and is closed,
//! the incident gets a work note and is resolved — each compensation a
//! confirmed write too. Exit code: 0 completed, 2 rolled back, 3 rolled back
//! with a compensation declined or failed, 1 error before any write.

pub mod approve;
pub mod saga;
pub mod workflow;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use connector_kit::audit::ChainedAudit;
use connector_kit::confirm::AuditSink;
use mcp_suite::cli::SuiteArgs;
use mcp_suite::local::{LocalSuite, Mocks, PAGE_HOOK_PATH, loopback};
use mock_kit::Fault;

use crate::approve::{Approve, ApproveAll, Terminal};
use crate::workflow::{Endpoints, Outcome, Params};

/// The connectors the workflow uses.
pub const CONNECTORS: [&str; 4] = ["github", "servicenow", "jira", "zapier"];

/// How many upstream failures an injected fault queues: more than any
/// connector's retry policy attempts, so the retry gives up.
pub const FAULT_TIMES: u32 = 10;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "incident-response",
    version,
    about = "The incident workflow over MCP: every write previewed and approved, earlier writes compensated if a later one fails",
    after_help = "Exit status: 0 completed, 2 rolled back (or stopped before any write), 3 rolled back with a compensation left undone, 1 error before any write."
)]
pub struct Cli {
    /// Approve every write, compensations included, without asking (non-interactive).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Make one write fail upstream (mocks only): queue HTTP 503s in that mock through
    /// mock-kit's admin API, more than the connector retries. `zapier`: the page fails
    /// (the bug and the incident are compensated); `jira`: the bug fails.
    #[arg(long, value_enum, value_name = "SERVICE")]
    pub inject_fault: Option<FaultTarget>,
    /// Run against the systems in an mcp-suite config file (its [github], [servicenow],
    /// [jira] and [zapier] tables) instead of the built-in mocks.
    #[arg(long, env = "INCIDENT_RESPONSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// GitHub repository whose newest failed Actions run starts the workflow.
    #[arg(long, default_value = "acme/api", value_name = "OWNER/NAME")]
    pub repo: String,
    /// Words to search ServiceNow's knowledge base for.
    #[arg(long, default_value = mcp_suite::incident::KNOWLEDGE_QUERY, value_name = "TEXT")]
    pub knowledge_query: String,
    /// Jira project of the bug.
    #[arg(long, default_value = mcp_suite::incident::PROJECT, value_name = "KEY")]
    pub jira_project: String,
    /// zapier-mcp hook that pages the on-call.
    #[arg(long, default_value = mcp_suite::local::PAGE_HOOK, value_name = "NAME")]
    pub hook: String,
    /// Keep the hash-chained audit log of every write here (default: a temporary file).
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

impl Cli {
    /// The workflow's parameters.
    pub fn params(&self) -> anyhow::Result<Params> {
        let Some((owner, repo)) = self
            .repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
        else {
            anyhow::bail!(
                "--repo must be OWNER/NAME, e.g. acme/api (got {:?})",
                self.repo
            );
        };
        Ok(Params {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            knowledge_query: self.knowledge_query.clone(),
            project: self.jira_project.clone(),
            hook: self.hook.clone(),
        })
    }
}

/// Which mock an injected fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultTarget {
    /// Mock Zapier's `page-oncall` hook: the page fails.
    Zapier,
    /// Mock Jira's issue API: the bug fails.
    Jira,
}

/// Where the workflow runs: the suite in this process, hosting the
/// connectors, and (by default) the mocks they point at.
#[derive(Debug)]
pub struct Env {
    suite: LocalSuite,
    /// The mocks, unless the upstreams came from `--config`.
    pub mocks: Option<Mocks>,
    /// The audit log every write is recorded in.
    pub audit_log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Env {
    /// Every mock on 127.0.0.1:0 and the connectors pointed at them.
    pub async fn with_mocks(audit_log: Option<&Path>) -> anyhow::Result<Self> {
        let dir = temp_dir()?;
        let mocks = Mocks::start(dir.path()).await?;
        let mut config = mocks.config();
        config.retain(|name, _| CONNECTORS.contains(&name));
        let (kit, audit, audit_log, _) = kit(&dir, audit_log, None)?;
        let suite = LocalSuite::start(kit, config, audit).await?;
        Ok(Env {
            suite,
            mocks: Some(mocks),
            audit_log,
            _dir: dir,
        })
    }

    /// The connectors configured by an mcp-suite config file (real upstreams).
    pub async fn with_config(path: &Path, audit_log: Option<&Path>) -> anyhow::Result<Self> {
        let dir = temp_dir()?;
        let (kit, audit, audit_log, file) = kit(&dir, audit_log, Some(path))?;
        let suite = SuiteArgs {
            connectors: CONNECTORS.iter().map(|c| (*c).to_owned()).collect(),
            strict: true,
        };
        let suite = LocalSuite::start_from(kit, &file, &suite, audit).await?;
        Ok(Env {
            suite,
            mocks: None,
            audit_log,
            _dir: dir,
        })
    }

    /// The connectors' MCP endpoints.
    pub fn endpoints(&self) -> anyhow::Result<Endpoints> {
        let url = |name: &str| {
            self.suite
                .endpoint(name)
                .map(str::to_owned)
                .with_context(|| format!("{name} is not served"))
        };
        Ok(Endpoints {
            github: url("github")?,
            servicenow: url("servicenow")?,
            jira: url("jira")?,
            zapier: url("zapier")?,
        })
    }

    /// Queues [`FAULT_TIMES`] HTTP 503 answers for `target`'s write in its
    /// mock, through mock-kit's admin API (`POST /__admin/faults`). Returns
    /// what was queued, in words.
    pub async fn inject_fault(&self, target: FaultTarget) -> anyhow::Result<String> {
        let Some(mocks) = &self.mocks else {
            anyhow::bail!("--inject-fault works on the built-in mocks only (not with --config)");
        };
        let (base, path) = match target {
            FaultTarget::Zapier => (mocks.zapier.url(), PAGE_HOOK_PATH),
            FaultTarget::Jira => (mocks.jira.url(), "/rest/api/3/issue"),
        };
        let fault = Fault::status(503)
            .method("POST")
            .path_prefix(path)
            .times(FAULT_TIMES);
        let response = reqwest::Client::new()
            .post(format!("{base}{}/faults", mock_kit::ADMIN_PREFIX))
            .json(&fault)
            .send()
            .await
            .context("queueing the fault")?;
        if !response.status().is_success() {
            anyhow::bail!("the mock refused the fault: {}", response.status());
        }
        Ok(format!(
            "queued {FAULT_TIMES} × HTTP 503 for POST {path}* in mock {target:?} ({base}{}/faults)",
            mock_kit::ADMIN_PREFIX
        ))
    }

    /// How many requests to `target`'s write path the mock answered with an
    /// injected fault (from its request log, `GET /__admin/requests`).
    pub async fn faulted_requests(&self, target: FaultTarget) -> anyhow::Result<usize> {
        let Some(mocks) = &self.mocks else {
            return Ok(0);
        };
        let (base, path) = match target {
            FaultTarget::Zapier => (mocks.zapier.url(), PAGE_HOOK_PATH),
            FaultTarget::Jira => (mocks.jira.url(), "/rest/api/3/issue"),
        };
        let log: serde_json::Value = reqwest::Client::new()
            .get(format!(
                "{base}{}/requests?path_prefix={path}",
                mock_kit::ADMIN_PREFIX
            ))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["fault"].is_string())
            .count())
    }

    /// Stops the suite, then the mocks.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.suite.shutdown().await?;
        if let Some(mocks) = self.mocks {
            mocks.shutdown().await;
        }
        Ok(())
    }
}

fn temp_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("incident-response-")
        .tempdir()
        .context("creating a temporary directory")
}

type KitParts = (
    connector_kit::cli::KitArgs,
    Arc<dyn AuditSink>,
    PathBuf,
    mcp_suite::cli::ConfigFile,
);

/// The kit options of the in-process suite: loopback, no inbound auth, the
/// token confirmation flow, the audit log at `audit_log` (or in `dir`);
/// with `config`, the kit keys and connector tables of that mcp-suite file.
fn kit(
    dir: &tempfile::TempDir,
    audit_log: Option<&Path>,
    config: Option<&Path>,
) -> anyhow::Result<KitParts> {
    let mut argv: Vec<std::ffi::OsString> = vec!["mcp-suite".into()];
    if let Some(path) = config {
        argv.extend(["--config".into(), path.into()]);
    }
    argv.extend(["--listen".into(), "127.0.0.1:0".into()]);
    let cli =
        mcp_suite::cli::parse(argv).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
    let path = audit_log.map_or_else(|| dir.path().join("audit.jsonl"), Path::to_owned);
    let audit: Arc<dyn AuditSink> = Arc::new(
        ChainedAudit::append(&path)
            .with_context(|| format!("opening the audit log {}", path.display()))?,
    );
    Ok((loopback(cli.kit, &path), audit, path, cli.file))
}

/// The whole program after parsing: sets up, runs, reports.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub async fn run(cli: Cli) -> ExitCode {
    match run_inner(&cli, &mut std::io::stdout()).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_inner(cli: &Cli, out: &mut (dyn Write + Send)) -> anyhow::Result<u8> {
    let params = cli.params()?;
    if cli.config.is_some() && cli.inject_fault.is_some() {
        anyhow::bail!("--inject-fault works on the built-in mocks only (not with --config)");
    }
    let env = match &cli.config {
        Some(path) => Env::with_config(path, cli.audit_log.as_deref()).await?,
        None => Env::with_mocks(cli.audit_log.as_deref()).await?,
    };
    writeln!(out, "incident-response: the incident workflow over MCP")?;
    match &env.mocks {
        Some(mocks) => {
            writeln!(
                out,
                "(built-in mocks on 127.0.0.1; nothing leaves this machine)"
            )?;
            for (name, url) in mocks.urls() {
                if CONNECTORS.contains(&name) {
                    writeln!(out, "  mock     {name:<11} {url}")?;
                }
            }
        }
        None => writeln!(
            out,
            "(upstreams from {})",
            cli.config.as_deref().unwrap_or(Path::new("?")).display()
        )?,
    }
    let endpoints = env.endpoints()?;
    for (name, url) in [
        ("github", &endpoints.github),
        ("servicenow", &endpoints.servicenow),
        ("jira", &endpoints.jira),
        ("zapier", &endpoints.zapier),
    ] {
        writeln!(out, "  endpoint {name:<11} {url}")?;
    }
    if let Some(target) = cli.inject_fault {
        writeln!(out, "  fault    {}", env.inject_fault(target).await?)?;
    }
    writeln!(
        out,
        "Every write is previewed first; {}",
        if cli.yes {
            "--yes approves each one."
        } else {
            "you approve each one (y/N)."
        }
    )?;

    let mut approver: Box<dyn Approve> = if cli.yes {
        Box::new(ApproveAll)
    } else {
        Box::new(Terminal)
    };
    let outcome = workflow::run(&endpoints, &params, approver.as_mut(), out).await;
    if let (Some(target), true) = (cli.inject_fault, env.mocks.is_some()) {
        let n = env.faulted_requests(target).await?;
        writeln!(
            out,
            "\nmock {target:?} answered {n} request(s) with the injected 503 before the connector gave up"
        )?;
    }
    let records = std::fs::read_to_string(&env.audit_log)
        .ok()
        .and_then(|t| connector_kit::audit::verify(&t).ok());
    let outcome = outcome?;
    writeln!(out)?;
    match &outcome {
        Outcome::Completed { done } => writeln!(
            out,
            "Completed: {} writes ({}).",
            done.len(),
            done.iter()
                .map(saga::Done::describe)
                .collect::<Vec<_>>()
                .join(", ")
        )?,
        Outcome::RolledBack {
            reason,
            done,
            compensated,
            left,
        } => {
            if done.is_empty() {
                writeln!(
                    out,
                    "Stopped before any write: {reason}. Nothing was written."
                )?;
                return finish(env, out, cli, records, outcome.exit_code()).await;
            }
            writeln!(out, "Rolled back: {reason}.")?;
            writeln!(
                out,
                "  {} write(s) had completed, {} compensation(s) went through, {} left undone.",
                done.len(),
                compensated.len(),
                left.len()
            )?;
            for l in left {
                writeln!(out, "  left undone: {l}")?;
            }
        }
    }
    finish(env, out, cli, records, outcome.exit_code()).await
}

async fn finish(
    env: Env,
    out: &mut (dyn Write + Send),
    cli: &Cli,
    records: Option<u64>,
    code: u8,
) -> anyhow::Result<u8> {
    if let Some(n) = records {
        writeln!(
            out,
            "Audit log: {n} events, hash chain intact ({}).",
            if cli.audit_log.is_some() {
                env.audit_log.display().to_string()
            } else {
                "temporary; keep it with --audit-log PATH".to_owned()
            }
        )?;
    }
    env.shutdown().await?;
    Ok(code)
}
