//! Command line and layered configuration: flags > environment > TOML file >
//! defaults.
//!
//! A TOML config file uses the long flag names as keys, with `_` for `-`
//! (`read_only = true`, `toolsets = ["hooks"]`, `listen = "0.0.0.0:8080"`).
//! Values from the file are applied only to options that were given neither
//! as a flag nor through the environment.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{
    ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};
use connector_confirm::{ConfirmMode, Tier};

/// Options every connector binary shares.
#[derive(Debug, Clone, Args)]
pub struct KitArgs {
    /// TOML config file; keys are the long option names with `_` for `-`.
    #[arg(long, env = "MCP_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Transport to serve MCP on.
    #[arg(long, env = "MCP_TRANSPORT", value_enum, default_value_t = Transport::Stdio, global = true, help_heading = "Transport")]
    pub transport: Transport,
    /// Address for `--transport http`. Binding to anything but loopback needs inbound auth.
    #[arg(
        long,
        env = "MCP_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true,
        help_heading = "Transport"
    )]
    pub listen: SocketAddr,
    /// Canonical public URL of this server (e.g. https://mcp.example.com), used as the OAuth
    /// audience and in protected-resource metadata. Default: http://<listen>.
    #[arg(
        long,
        env = "MCP_PUBLIC_URL",
        global = true,
        help_heading = "Transport"
    )]
    pub public_url: Option<String>,
    /// Host header values accepted on HTTP (DNS-rebinding defence). Default: loopback names
    /// plus the host of --public-url.
    #[arg(
        long,
        env = "MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        global = true,
        help_heading = "Transport"
    )]
    pub allowed_hosts: Vec<String>,
    /// Origin header values accepted on HTTP (browsers); requests without Origin always pass.
    #[arg(
        long,
        env = "MCP_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true,
        help_heading = "Transport"
    )]
    pub allowed_origins: Vec<String>,
    /// Largest HTTP request body accepted, in bytes.
    #[arg(
        long,
        env = "MCP_MAX_BODY_BYTES",
        default_value_t = 1_048_576,
        global = true,
        help_heading = "Transport"
    )]
    pub max_body_bytes: usize,
    /// Seconds an HTTP request may take before it is answered 408/504.
    #[arg(
        long,
        env = "MCP_REQUEST_TIMEOUT_SECS",
        default_value_t = 120,
        global = true,
        help_heading = "Transport"
    )]
    pub request_timeout_secs: u64,

    /// Inbound HTTP authentication: none (loopback only), tokens, or oauth.
    #[arg(long, env = "MCP_AUTH", value_enum, default_value_t = AuthMode::None, global = true, help_heading = "Inbound auth (HTTP)")]
    pub auth: AuthMode,
    /// TOML file of static bearer tokens: [[token]] sha256 = "<hex>", principal = "...", scopes = [...].
    /// Make hashes with the `hash-token` subcommand.
    #[arg(
        long,
        env = "MCP_AUTH_TOKENS_FILE",
        global = true,
        value_name = "FILE",
        help_heading = "Inbound auth (HTTP)"
    )]
    pub auth_tokens_file: Option<PathBuf>,
    /// OAuth issuer (authorization server) whose JWTs are accepted.
    #[arg(
        long,
        env = "MCP_OAUTH_ISSUER",
        global = true,
        help_heading = "Inbound auth (HTTP)"
    )]
    pub oauth_issuer: Option<String>,
    /// JWKS URL of the issuer. Default: discovered from the issuer's metadata.
    #[arg(
        long,
        env = "MCP_OAUTH_JWKS_URL",
        global = true,
        help_heading = "Inbound auth (HTTP)"
    )]
    pub oauth_jwks_url: Option<String>,
    /// Scopes every request needs (403 insufficient_scope otherwise).
    #[arg(
        long,
        env = "MCP_REQUIRED_SCOPES",
        value_delimiter = ',',
        global = true,
        help_heading = "Inbound auth (HTTP)"
    )]
    pub required_scopes: Vec<String>,
    /// Scopes a caller needs to write (writes are refused otherwise; reads stay open).
    #[arg(
        long,
        env = "MCP_WRITE_SCOPES",
        value_delimiter = ',',
        global = true,
        help_heading = "Inbound auth (HTTP)"
    )]
    pub write_scopes: Vec<String>,
    /// Requests per second per caller on HTTP (429 + Retry-After above it).
    #[arg(
        long,
        env = "MCP_RATE_LIMIT",
        default_value_t = 50,
        global = true,
        help_heading = "Inbound auth (HTTP)"
    )]
    pub rate_limit: u32,

    /// Toolsets to enable (default: all of the connector's toolsets).
    #[arg(
        long,
        env = "MCP_TOOLSETS",
        value_delimiter = ',',
        global = true,
        help_heading = "Policy"
    )]
    pub toolsets: Vec<String>,
    /// Extra tools to enable by name, even outside the enabled toolsets or above --max-tier.
    #[arg(
        long,
        env = "MCP_TOOLS",
        value_delimiter = ',',
        global = true,
        help_heading = "Policy"
    )]
    pub tools: Vec<String>,
    /// Tools to hide by name.
    #[arg(
        long,
        env = "MCP_EXCLUDE_TOOLS",
        value_delimiter = ',',
        global = true,
        help_heading = "Policy"
    )]
    pub exclude_tools: Vec<String>,
    /// Hide and refuse every write tool.
    #[arg(long, env = "MCP_READ_ONLY", action = ArgAction::SetTrue, global = true, help_heading = "Policy")]
    pub read_only: bool,
    /// Highest risk tier enabled: 1 public read, 2 internal read, 3 confirmed write, 4 high-impact write.
    #[arg(
        long,
        env = "MCP_MAX_TIER",
        default_value = "3",
        global = true,
        help_heading = "Policy"
    )]
    pub max_tier: Tier,
    /// How writes are confirmed: auto (elicitation if the client supports it, else a
    /// single-use token), elicit, token, host (trust the client's prompt), off.
    #[arg(
        long,
        env = "MCP_CONFIRM",
        default_value = "auto",
        global = true,
        help_heading = "Policy"
    )]
    pub confirm: ConfirmMode,
    /// Seconds a confirmation token (or elicitation) stays valid.
    #[arg(long, env = "MCP_CONFIRM_TTL_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3600), global = true, help_heading = "Policy")]
    pub confirm_ttl_secs: u64,
    /// File holding the key (≥ 32 bytes) that seals confirmation tokens. Replicas must share
    /// it. Default: a random key per process.
    #[arg(
        long,
        env = "MCP_CONFIRM_KEY_FILE",
        global = true,
        value_name = "FILE",
        help_heading = "Policy"
    )]
    pub confirm_key_file: Option<PathBuf>,

    /// Where write claims, results and shared limits are kept: sqlite:PATH (survives restarts;
    /// processes on one host may share it), redis://HOST:PORT/DB or rediss://… (several
    /// replicas; password in the URL or MCP_STATE_PASSWORD[_FILE]), or memory (this process
    /// only; refused with --confirm-key-file). Default: sqlite:<state dir>/<connector>.sqlite3.
    #[arg(
        long,
        env = "MCP_STATE",
        global = true,
        value_name = "URL",
        help_heading = "State"
    )]
    pub state: Option<String>,
    /// Upstream request rate per scope, overriding the connector's default: SCOPE=N/s or
    /// SCOPE=N/min, where SCOPE is a scope name or prefix (`zapier:hook`, `jira:`); comma
    /// separated. A burst of N is allowed. With a Redis --state the rate holds for all
    /// replicas together.
    #[arg(
        long,
        env = "MCP_UPSTREAM_RATE",
        value_delimiter = ',',
        value_parser = parse_upstream_rate,
        global = true,
        value_name = "SCOPE=RATE",
        help_heading = "State"
    )]
    pub upstream_rate: Vec<UpstreamRate>,
    /// Directory of the default SQLite state file. Default: $XDG_STATE_HOME/mcp-connectors,
    /// else ~/.local/state/mcp-connectors.
    #[arg(
        long,
        env = "MCP_STATE_DIR",
        global = true,
        value_name = "DIR",
        help_heading = "State"
    )]
    pub state_dir: Option<PathBuf>,

    /// Append the hash-chained audit log (JSON lines) to this file. Default: stderr.
    #[arg(
        long,
        env = "MCP_AUDIT_LOG",
        global = true,
        value_name = "PATH",
        help_heading = "Operations"
    )]
    pub audit_log: Option<PathBuf>,
    /// Log format on stderr (level from RUST_LOG, default info; rmcp's per-session lines at warn).
    #[arg(long, env = "MCP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true, help_heading = "Operations")]
    pub log_format: LogFormat,
}

/// One `--upstream-rate` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRate {
    /// Scope name or prefix.
    pub scope: String,
    /// Requests per period (also the burst).
    pub count: std::num::NonZeroU32,
    /// The period.
    pub per: std::time::Duration,
}

impl UpstreamRate {
    /// As a governor quota: `count` per `per`, with a burst of `count`.
    pub fn quota(&self) -> governor::Quota {
        governor::Quota::with_period(self.per / self.count.get())
            .unwrap_or_else(|| governor::Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

fn parse_upstream_rate(s: &str) -> Result<UpstreamRate, String> {
    let bad = || format!("{s:?}: expected SCOPE=N/s or SCOPE=N/min, e.g. zapier:hook=10/s");
    let (scope, rate) = s.split_once('=').ok_or_else(bad)?;
    let (count, per) = rate.trim().split_once('/').ok_or_else(bad)?;
    let count: std::num::NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
    let per = match per.trim() {
        "s" | "sec" | "second" => std::time::Duration::from_secs(1),
        "m" | "min" | "minute" => std::time::Duration::from_secs(60),
        _ => return Err(bad()),
    };
    let scope = scope.trim();
    if scope.is_empty() {
        return Err(bad());
    }
    Ok(UpstreamRate {
        scope: scope.to_owned(),
        count,
        per,
    })
}

/// MCP transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// JSON-RPC over stdin/stdout (desktop clients start the binary).
    Stdio,
    /// Stateless streamable HTTP at /mcp.
    Http,
}

/// Inbound HTTP authentication modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// No authentication; only allowed on a loopback address.
    None,
    /// Static bearer tokens, stored as SHA-256 hashes.
    Tokens,
    /// OAuth 2.1 resource server: JWTs from --oauth-issuer.
    Oauth,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve MCP (the default when no subcommand is given).
    Serve,
    /// Print the enabled tools with effect, tier, annotations and context cost.
    Tools {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check configuration, credentials and upstream reachability.
    Doctor,
    /// Print the SHA-256 hash of a bearer token read from stdin (for --auth-tokens-file).
    HashToken,
    /// Verify the hash chain of an audit log file.
    VerifyAudit {
        /// The audit log to check.
        path: PathBuf,
    },
}

/// The parsed command line of a connector binary.
#[derive(Debug, Parser)]
pub struct Cli<O: Args> {
    /// Shared options.
    #[command(flatten)]
    pub kit: KitArgs,
    /// Connector options.
    #[command(flatten)]
    pub connector: O,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl<O: Args> Cli<O> {
    /// Parses `args` (program name first), applying the TOML config file.
    pub fn parse_layered(
        name: &'static str,
        about: &'static str,
        args: Vec<OsString>,
    ) -> Result<Self, clap::Error> {
        let cmd = || {
            Self::command()
                .name(name)
                .bin_name(name)
                .about(about)
                .version(env!("CARGO_PKG_VERSION"))
        };
        let matches = cmd().try_get_matches_from(args.clone())?;
        let Some(path) = matches.get_one::<PathBuf>("config").cloned() else {
            return Self::from_arg_matches(&matches);
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            cmd().error(
                clap::error::ErrorKind::Io,
                format!("cannot read config file {}: {e}", path.display()),
            )
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            cmd().error(
                clap::error::ErrorKind::InvalidValue,
                format!("config file {}: {e}", path.display()),
            )
        })?;
        let extra = toml_to_args(&cmd(), &matches, &table, None).map_err(|msg| {
            cmd().error(
                clap::error::ErrorKind::InvalidValue,
                format!("config file {}: {msg}", path.display()),
            )
        })?;
        let mut layered = Vec::with_capacity(args.len() + extra.len());
        let mut it = args.into_iter();
        layered.extend(it.next());
        layered.extend(extra);
        layered.extend(it);
        let matches = cmd().try_get_matches_from(layered)?;
        Self::from_arg_matches(&matches)
    }
}

/// Turns TOML keys into command-line arguments for every option not already
/// set by a flag or the environment. `section` limits the keys to one table
/// (the suite's per-connector sections); nested tables are otherwise refused.
pub fn toml_to_args(
    cmd: &clap::Command,
    matches: &ArgMatches,
    table: &toml::Table,
    section: Option<&str>,
) -> Result<Vec<OsString>, String> {
    let table = match section {
        Some(s) => match table.get(s) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(format!("`{s}` must be a table")),
            None => return Ok(Vec::new()),
        },
        None => table,
    };
    let mut out = Vec::new();
    for (key, value) in table {
        if key == "config" {
            continue;
        }
        let id = key.replace('-', "_");
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id().as_str() == id) else {
            if matches!(value, toml::Value::Table(_)) {
                continue; // another section (e.g. the suite's per-connector tables)
            }
            let known: Vec<String> = cmd
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| l.replace('-', "_")))
                .collect();
            return Err(format!(
                "unknown key `{key}`; known keys: {}",
                known.join(", ")
            ));
        };
        let source = matches.value_source(&id);
        if matches!(
            source,
            Some(ValueSource::CommandLine) | Some(ValueSource::EnvVariable)
        ) {
            continue;
        }
        let long = format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str()));
        match value {
            toml::Value::Boolean(true) => out.push(long.into()),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                let parts: Result<Vec<String>, String> =
                    items.iter().map(|v| scalar(key, v)).collect();
                let parts = parts?;
                if !parts.is_empty() {
                    out.push(long.into());
                    out.push(parts.join(",").into());
                }
            }
            v => {
                out.push(long.into());
                out.push(scalar(key, v)?.into());
            }
        }
    }
    Ok(out)
}

fn scalar(key: &str, v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!(
            "`{key}` must be a string, number, boolean or a list of those"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Args)]
    struct Opts {
        /// Hooks file.
        #[arg(long, env = "TEST_KIT_HOOKS")]
        hooks: Option<PathBuf>,
    }

    fn parse(args: &[&str]) -> Result<Cli<Opts>, clap::Error> {
        Cli::<Opts>::parse_layered("t", "test", args.iter().map(OsString::from).collect())
    }

    fn with_config(body: &str, extra: &[&str]) -> Result<Cli<Opts>, clap::Error> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, body).unwrap();
        let mut args = vec!["t", "--config", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        parse(&args)
    }

    #[test]
    fn defaults() {
        let c = parse(&["t"]).unwrap();
        assert_eq!(c.kit.transport, Transport::Stdio);
        assert_eq!(c.kit.max_tier, Tier::Write);
        assert!(c.command.is_none());
    }

    #[test]
    fn file_fills_unset_options() {
        let c = with_config(
            "read_only = true\ntoolsets = [\"a\", \"b\"]\nmax_tier = 4\nhooks = \"h.toml\"\n",
            &[],
        )
        .unwrap();
        assert!(c.kit.read_only);
        assert_eq!(c.kit.toolsets, vec!["a", "b"]);
        assert_eq!(c.kit.max_tier, Tier::HighImpact);
        assert_eq!(
            c.connector.hooks.as_deref(),
            Some(std::path::Path::new("h.toml"))
        );
    }

    #[test]
    fn flags_beat_file() {
        let c = with_config(
            "max_tier = 4\ntransport = \"http\"\n",
            &["--max-tier", "2", "tools"],
        )
        .unwrap();
        assert_eq!(c.kit.max_tier, Tier::InternalRead);
        assert_eq!(c.kit.transport, Transport::Http);
        assert!(matches!(c.command, Some(Command::Tools { json: false })));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = with_config("raed_only = true\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("raed_only"), "{e}");
    }

    #[test]
    fn bad_values_are_clear() {
        let e = with_config("max_tier = 9\n", &[]).unwrap_err().to_string();
        assert!(e.contains("tier"), "{e}");
    }

    #[test]
    fn upstream_rates_parse_and_name_the_format() {
        let r = parse_upstream_rate("zapier:hook=10/s").unwrap();
        assert_eq!((r.scope.as_str(), r.count.get()), ("zapier:hook", 10));
        assert_eq!(r.quota().burst_size().get(), 10);
        assert_eq!(
            r.quota().replenish_interval(),
            std::time::Duration::from_millis(100)
        );
        let m = parse_upstream_rate("jira:=120/min").unwrap();
        assert_eq!(
            m.quota().replenish_interval(),
            std::time::Duration::from_millis(500)
        );
        for bad in ["zapier", "x=0/s", "x=5/h", "=5/s"] {
            assert!(
                parse_upstream_rate(bad).unwrap_err().contains("SCOPE=N/s"),
                "{bad}"
            );
        }
    }
}
