//! What `main` does: parse, configure, build the connector, then serve, list
//! tools or run `doctor`.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use connector_auth::inbound::{
    InboundAuth, InboundMode, OAuthResourceServer, ResourceMetadata, StaticToken, hash_token,
};
use connector_confirm::{AuditSink, Guard, GuardConfig};
use connector_ratelimit::UpstreamLimiter;
use connector_retry::RetryPolicy;
use connector_state::{Kind, Location, State};
use rmcp::ServiceExt;

use crate::audit::ChainedAudit;
use crate::cli::{AuthMode, Cli, Command, KitArgs, LogFormat, Transport};
use crate::connector::{Check, Connector, Kit};
use crate::http::{HttpOptions, app, mount};
use crate::metrics::Metrics;
use crate::policy::{ToolPolicy, apply};
use crate::server::McpServer;
use crate::tools::{print_tools, tool_rows};

/// Runs a connector binary: the whole of its `main`.
pub fn main<C: Connector>() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::<C::Options>::parse_layered(C::BINARY, C::ABOUT, args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_tracing(cli.kit.log_format);
    // Only the HTTP server benefits from worker threads. stdio serves one
    // client, and the one-shot commands do little async work: a current-thread
    // runtime starts faster and keeps two idle worker threads (and their
    // stacks and allocator arenas) out of the process.
    let serves_http =
        matches!(cli.command, None | Some(Command::Serve)) && cli.kit.transport == Transport::Http;
    let mut builder = if serves_http {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::<C>(cli)) {
        Ok(code) => code,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Without `RUST_LOG`: `info`, except rmcp's session lifecycle lines
/// ("Service initialized", "input stream terminated", "serve finished"),
/// which stateless HTTP writes three of for every request.
pub const DEFAULT_LOG_FILTER: &str = "info,rmcp::service=warn";

/// Sets up `tracing` to stderr (stdout belongs to stdio MCP). Level from
/// `RUST_LOG` (default [`DEFAULT_LOG_FILTER`]).
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

async fn run<C: Connector>(cli: Cli<C::Options>) -> anyhow::Result<ExitCode> {
    let command = cli.command.clone().unwrap_or(Command::Serve);
    match &command {
        Command::HashToken => {
            let mut token = String::new();
            std::io::stdin()
                .read_to_string(&mut token)
                .context("reading the token from stdin")?;
            let token = token.trim();
            if token.is_empty() {
                bail!(
                    "pipe the token on stdin, e.g. `printf %s \"$TOKEN\" | {} hash-token`",
                    C::BINARY
                );
            }
            #[allow(clippy::print_stdout)]
            {
                println!("{}", hash_token(token));
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::VerifyAudit { path } => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            return match crate::audit::verify(&text) {
                Ok(n) => {
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{}: {n} records, chain intact", path.display());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => bail!("{}: {e}", path.display()),
            };
        }
        _ => {}
    }

    let audit: Arc<dyn AuditSink> = match &cli.kit.audit_log {
        Some(path) => Arc::new(
            ChainedAudit::append(path)
                .with_context(|| format!("opening audit log {}", path.display()))?,
        ),
        None => Arc::new(ChainedAudit::stderr()),
    };
    let state = match command {
        // Listing tools records nothing: it needs no state file.
        Command::Tools { .. } => State::memory(C::NAME),
        _ => open_state(&cli.kit, C::NAME).await?,
    };
    let built = build::<C>(&cli.kit, cli.connector.clone(), audit, &state).await?;
    match command {
        Command::Tools { json } => {
            print_tools(
                C::NAME,
                &tool_rows(&built.server.tools(), &built.server.selection().enabled),
                json,
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => doctor::<C>(&cli.kit, &built, &state).await,
        Command::Serve => {
            match cli.kit.transport {
                Transport::Stdio => serve_stdio(built.server).await?,
                Transport::Http => {
                    let listener = tokio::net::TcpListener::bind(cli.kit.listen)
                        .await
                        .with_context(|| format!("cannot listen on {}", cli.kit.listen))?;
                    let addr = listener.local_addr()?;
                    let base = base_url(&cli.kit, addr);
                    let auth = inbound_auth(&cli.kit, &base, &["/mcp"]).await?;
                    auth.check_bind(addr).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let mut opts = http_options(&cli.kit);
                    opts.state = Some(state.clone());
                    let app = app(
                        vec![mount(built.server, "/mcp", built.metrics, &opts)],
                        &auth,
                        &opts,
                    );
                    // The first stdout line is the endpoint (as for the mocks), so
                    // scripts and tests can start on port 0.
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{base}/mcp");
                    }
                    tracing::info!(connector = C::NAME, url = %format!("{base}/mcp"), auth = auth.mode_kind(), "serving MCP over streamable HTTP");
                    crate::http::serve(listener, app, shutdown_signal()).await?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::HashToken | Command::VerifyAudit { .. } => unreachable!("handled above"),
    }
}

/// A connector built from configuration, ready to be served.
#[derive(Debug)]
pub struct Built<C: Connector> {
    /// The MCP server.
    pub server: McpServer<C>,
    /// Its metrics.
    pub metrics: Arc<Metrics>,
}

/// Builds the kit services and the connector from the shared options. `state` is the
/// process's store; the connector gets its own namespace in it.
pub async fn build<C: Connector>(
    kit_args: &KitArgs,
    options: C::Options,
    audit: Arc<dyn AuditSink>,
    state: &State,
) -> anyhow::Result<Built<C>> {
    let policy = ToolPolicy {
        toolsets: kit_args.toolsets.clone(),
        tools: kit_args.tools.clone(),
        exclude_tools: kit_args.exclude_tools.clone(),
        read_only: kit_args.read_only,
        max_tier: Some(kit_args.max_tier),
    };
    let (router, selection) = apply(C::router(), C::tool_specs(), &policy)?;

    let mut guard_cfg = GuardConfig::new(C::NAME);
    guard_cfg.read_only = kit_args.read_only;
    guard_cfg.max_tier = kit_args.max_tier;
    guard_cfg.explicit_tools = selection.explicit.clone();
    guard_cfg.mode = kit_args.confirm;
    guard_cfg.token_ttl = Duration::from_secs(kit_args.confirm_ttl_secs);
    guard_cfg.write_scope = C::write_scope(&options);
    guard_cfg.principal_write_scopes = kit_args.write_scopes.clone();
    // A claimed write runs inside one request at most, so a claim older than the request
    // timeout (plus a margin) was abandoned by a process that stopped.
    guard_cfg.claim_lease = Duration::from_secs(kit_args.request_timeout_secs.saturating_add(2));
    guard_cfg.abort_after_upstream_commit =
        std::env::var("MCP_TEST_FAULT").is_ok_and(|v| v == "abort-after-upstream-commit");
    let key = signing_key(kit_args)?;
    let state = state.scoped(C::NAME);
    let guard = Guard::new(guard_cfg, &key, state.clone(), audit.clone())
        .map_err(|e| anyhow::anyhow!("confirmation key: {e}"))?;
    let kit = Kit {
        guard,
        // A fleet-wide store (Redis) holds the upstream buckets and pauses, so replicas
        // together keep one quota; SQLite and memory pace per process (a round trip to the
        // file for every upstream request would cost more than it shares on one host).
        limiter: limiter(kit_args, &state),
        retry: RetryPolicy::default(),
        audit,
        enabled_tools: selection.enabled.clone().into(),
    };
    let connector = C::connect(options, kit).await?;
    let metrics = Arc::new(Metrics::default());
    let server = McpServer::new(connector, router, selection, metrics.clone())?;
    Ok(Built { server, metrics })
}

/// Opens the state store of `--state` (default `sqlite:<state dir>/<default_name>.sqlite3`).
///
/// `memory` with `--confirm-key-file` is refused: a token sealed with a shared, lasting key
/// must not outlive the store that remembers it was used. A Redis server that does not answer
/// at start-up is not fatal: the process starts not ready, refuses writes, and recovers when
/// the server is back.
pub async fn open_state(kit: &KitArgs, default_name: &str) -> anyhow::Result<State> {
    let location = match &kit.state {
        Some(url) => Location::parse(url).map_err(|e| anyhow::anyhow!("--state: {e}"))?,
        None => Location::default_for(default_name, kit.state_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    if location == Location::Memory && kit.confirm_key_file.is_some() {
        bail!(
            "--state memory cannot be used with --confirm-key-file: confirmation tokens sealed with a \
             lasting key would outlive the memory that records which ones were used, so a restarted \
             or second process would accept a used token again. Use the default sqlite state, \
             --state redis://… for several replicas, or drop --confirm-key-file"
        );
    }
    let password = state_password()?;
    let backend = connector_state::open(&location, password.as_ref())
        .map_err(|e| anyhow::anyhow!("{}: {}", location.describe(), e.message))?;
    let state = State::new(backend, default_name);
    if state.kind() == Kind::Redis {
        match tokio::time::timeout(Duration::from_secs(3), state.ping()).await {
            Ok(Ok(took)) => {
                tracing::info!(state = %state.describe(), took_ms = took.as_millis() as u64, "state store reachable")
            }
            Ok(Err(e)) => {
                tracing::warn!(state = %state.describe(), error = %e, "state store unreachable at start: writes are refused and /readyz is not ready until it answers")
            }
            Err(_) => {
                tracing::warn!(state = %state.describe(), "state store did not answer at start: writes are refused and /readyz is not ready until it answers")
            }
        }
    } else {
        tracing::debug!(state = %state.describe(), "state store opened");
    }
    Ok(state)
}

/// `MCP_STATE_PASSWORD`, or the first line of the file `MCP_STATE_PASSWORD_FILE` names.
fn state_password() -> anyhow::Result<Option<secrecy::SecretString>> {
    if let Some(pw) = std::env::var("MCP_STATE_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return Ok(Some(pw.into()));
    }
    let Some(path) = std::env::var_os("MCP_STATE_PASSWORD_FILE").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading MCP_STATE_PASSWORD_FILE {}",
            std::path::Path::new(&path).display()
        )
    })?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned().into()))
}

/// The upstream limiter: the default quota, the operator's `--upstream-rate` overrides, and,
/// with a fleet-wide store (Redis), buckets and pauses shared by every replica. SQLite and
/// memory pace per process (a round trip to the file for every upstream request would cost
/// more than it shares on one host).
fn limiter(kit_args: &KitArgs, state: &State) -> UpstreamLimiter {
    let mut limiter = UpstreamLimiter::new(default_quota());
    for rate in &kit_args.upstream_rate {
        limiter = limiter.with_override(&rate.scope, rate.quota());
    }
    if state.kind().fleet_wide() {
        limiter = limiter.shared(state.clone());
    }
    limiter
}

fn default_quota() -> governor::Quota {
    governor::Quota::per_second(std::num::NonZeroU32::new(25).expect("25 > 0"))
}

fn signing_key(kit: &KitArgs) -> anyhow::Result<Vec<u8>> {
    match &kit.confirm_key_file {
        Some(path) => {
            let key = std::fs::read(path)
                .with_context(|| format!("reading confirmation key {}", path.display()))?;
            let key: Vec<u8> = key.trim_ascii().to_vec();
            if key.len() < 32 {
                bail!(
                    "confirmation key {} is {} bytes; it needs at least 32",
                    path.display(),
                    key.len()
                );
            }
            Ok(key)
        }
        None => {
            if kit.transport == Transport::Http {
                tracing::info!(
                    "no --confirm-key-file: confirmation tokens are valid in this process only"
                );
            }
            let mut key = vec![0u8; 32];
            rand::fill(&mut key[..]);
            Ok(key)
        }
    }
}

/// HTTP options from the shared flags.
pub fn http_options(kit: &KitArgs) -> HttpOptions {
    let mut allowed_hosts = kit.allowed_hosts.clone();
    if let Some(host) = kit
        .public_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        allowed_hosts.push(host);
    }
    if !kit.listen.ip().is_loopback() && !kit.listen.ip().is_unspecified() {
        allowed_hosts.push(kit.listen.ip().to_string());
    }
    HttpOptions {
        listen: kit.listen,
        allowed_hosts,
        allowed_origins: kit.allowed_origins.clone(),
        max_body_bytes: kit.max_body_bytes,
        request_timeout: Duration::from_secs(kit.request_timeout_secs),
        rate_limit: kit.rate_limit,
        state: None,
    }
}

/// Inbound auth from the shared flags. `mcp_paths` are the endpoints served.
/// The canonical base URL: `--public-url`, else `http://<bound address>`.
pub fn base_url(kit: &KitArgs, bound: std::net::SocketAddr) -> String {
    kit.public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"))
        .trim_end_matches('/')
        .to_owned()
}

/// Inbound auth from the shared flags. `base` is the canonical base URL,
/// `mcp_paths` the endpoints served (the first is the OAuth audience).
pub async fn inbound_auth(
    kit: &KitArgs,
    base: &str,
    mcp_paths: &[&str],
) -> anyhow::Result<InboundAuth> {
    let resource = format!("{base}{}", mcp_paths.first().copied().unwrap_or("/mcp"));
    let mode = match kit.auth {
        AuthMode::None => InboundMode::None,
        AuthMode::Tokens => {
            let path = kit
                .auth_tokens_file
                .as_ref()
                .context("--auth tokens needs --auth-tokens-file")?;
            #[derive(serde::Deserialize)]
            struct File {
                #[serde(default)]
                token: Vec<StaticToken>,
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file: File =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            if file.token.is_empty() {
                bail!("{} defines no [[token]] entries", path.display());
            }
            for t in &file.token {
                t.validate()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
            InboundMode::StaticTokens(file.token)
        }
        AuthMode::Oauth => {
            let issuer = kit
                .oauth_issuer
                .clone()
                .context("--auth oauth needs --oauth-issuer")?;
            let mut server = OAuthResourceServer::new(issuer, resource.clone());
            if let Some(jwks) = &kit.oauth_jwks_url {
                server.jwks_uri = Some(url::Url::parse(jwks).context("--oauth-jwks-url")?);
            }
            InboundMode::OAuth(server)
        }
    };
    let metadata = ResourceMetadata {
        resource,
        authorization_servers: Vec::new(),
        scopes_supported: kit
            .required_scopes
            .iter()
            .chain(&kit.write_scopes)
            .cloned()
            .collect(),
        resource_name: None,
    };
    Ok(InboundAuth::new(
        mode,
        metadata,
        kit.required_scopes.clone(),
        crate::connector::base_http_client(),
    ))
}

async fn serve_stdio<C: Connector>(server: McpServer<C>) -> anyhow::Result<()> {
    tracing::info!(connector = C::NAME, "serving MCP over stdio");
    // Pipes (how MCP clients launch stdio servers) are driven by the IO
    // reactor; a terminal or file falls back to tokio's blocking stdio, which
    // hands every read and write to a blocking-pool thread.
    let running = server
        .serve(rmcp::transport::stdio_pipes())
        .await
        .context("starting the stdio transport")?;
    let ct = running.cancellation_token();
    tokio::select! {
        r = running.waiting() => { r.context("stdio transport")?; }
        _ = shutdown_signal() => { ct.cancel(); }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// The `doctor` line for the state store: backend, reachability, latency.
pub async fn state_check(state: &State) -> Check {
    match tokio::time::timeout(Duration::from_secs(3), state.ping()).await {
        Ok(Ok(took)) => Check::pass(
            "state store",
            format!(
                "{} reachable in {:.1} ms ({})",
                state.describe(),
                took.as_secs_f64() * 1000.0,
                match state.kind() {
                    Kind::Memory => "this process only: exactly-once does not survive a restart",
                    Kind::Sqlite => "survives restarts; shared by processes on this host only",
                    Kind::Redis => "shared by every replica",
                }
            ),
        ),
        Ok(Err(e)) => Check::fail(
            "state store",
            format!("{e}; writes are refused until it answers"),
        ),
        Err(_) => Check::fail(
            "state store",
            format!(
                "{} did not answer within 3 s; writes are refused until it answers",
                state.describe()
            ),
        ),
    }
}

async fn doctor<C: Connector>(
    kit: &KitArgs,
    built: &Built<C>,
    state: &State,
) -> anyhow::Result<ExitCode> {
    let mut checks = vec![Check::pass(
        "configuration",
        format!(
            "{} tools enabled; confirm={}, max tier {}, read-only {}",
            built.server.tools().len(),
            kit.confirm.as_str(),
            kit.max_tier,
            kit.read_only
        ),
    )];
    if kit.transport == Transport::Http {
        match inbound_auth(kit, &base_url(kit, kit.listen), &["/mcp"]).await {
            Ok(auth) => match auth.check_bind(kit.listen) {
                Ok(()) => checks.push(Check::pass(
                    "inbound auth",
                    format!("{} on {}", auth.mode_kind(), kit.listen),
                )),
                Err(e) => checks.push(Check::fail("inbound auth", e.to_string())),
            },
            Err(e) => checks.push(Check::fail("inbound auth", format!("{e:#}"))),
        }
    }
    checks.push(state_check(state).await);
    checks.push(match built.server.check_schemas() {
        Ok(n) => Check::pass("tool schemas", format!("{n} input schemas compile")),
        Err(e) => Check::fail("tool schemas", e),
    });
    checks.extend(built.server.connector().doctor().await);
    let ok = checks.iter().all(|c| c.ok);
    #[allow(clippy::print_stdout)]
    for c in &checks {
        println!(
            "{} {:<24} {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
