//! The suite's command line: the kit's shared options (same flags, env vars
//! and top-level TOML keys as every single connector binary), the suite's own
//! options, and its subcommands.
//!
//! Layering is the kit's: flags > environment > config file > defaults. The
//! config file's top-level keys are the kit's; each `[<connector>]` table
//! holds that connector's own keys (see [`crate::config`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use connector_kit::cli::{KitArgs, toml_to_args};

/// Where the suite listens unless `--listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8931";

const ABOUT: &str =
    "Every MCP connector in one process, each at /<name>/mcp, plus a self-contained demo";

const LONG_ABOUT: &str = "Every MCP connector in one process, each at /<name>/mcp, plus a self-contained demo.

Configuration: one TOML file (--config / MCP_CONFIG). Top-level keys are the shared options below \
(listen, auth, read_only, ...). Each connector has a table with its own keys, the long flag names of \
its single binary with `_` for `-` (e.g. [zapier] hooks = \"hooks.toml\"), plus toolsets, tools, \
exclude_tools, read_only and max_tier for that connector only. Relative paths in the file are \
resolved against the file's directory. Connector environment variables (e.g. ZAPIER_HOOKS_FILE) \
work as for the single binaries and beat the file.

A connector whose configuration is missing or invalid is reported on stderr (and by `doctor`) and \
skipped; --strict makes that fatal.

Try it: mcp-suite demo";

/// The parsed command line.
#[derive(Debug, Parser)]
#[command(name = "mcp-suite", bin_name = "mcp-suite", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct SuiteCli {
    /// Shared options (same as every connector binary).
    #[command(flatten)]
    pub kit: KitArgs,
    /// Suite options.
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<SuiteCommand>,
    /// The config file, once read.
    #[arg(skip)]
    pub file: ConfigFile,
}

/// Options of the suite itself.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Suite")]
pub struct SuiteArgs {
    /// Connectors to enable, e.g. `zapier,jira`. Default: every connector that has a table in
    /// the config file or one of its environment variables set.
    #[arg(
        long,
        env = "MCP_CONNECTORS",
        value_delimiter = ',',
        global = true,
        value_name = "NAMES"
    )]
    pub connectors: Vec<String>,
    /// Fail instead of skipping a connector whose configuration is missing or invalid.
    #[arg(long, env = "MCP_STRICT", action = ArgAction::SetTrue, global = true)]
    pub strict: bool,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum SuiteCommand {
    /// Serve every enabled connector over streamable HTTP at /<name>/mcp (the default).
    Serve,
    /// Print every enabled connector's tools with effect, tier, annotations and context cost.
    Tools {
        /// Print one JSON array (each tool with a `connector` field) instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Check every connector's configuration, credentials and upstream reachability.
    Doctor,
    /// Start every mock on 127.0.0.1, point every connector at it, serve the suite and take a
    /// guided tour of the incident workflow through a real MCP client. No credentials needed.
    Demo {
        /// Exit after the tour instead of serving until Ctrl-C.
        #[arg(long)]
        no_serve: bool,
    },
    /// Print the SHA-256 hash of a bearer token read from stdin (for --auth-tokens-file).
    HashToken,
    /// Verify the hash chain of an audit log file.
    VerifyAudit {
        /// The audit log to check.
        path: PathBuf,
    },
    /// Exit 0 if an HTTP GET of URL answers 2xx (container health checks without curl).
    Healthcheck {
        /// The URL to probe.
        #[arg(default_value = "http://127.0.0.1:8931/healthz")]
        url: String,
    },
}

/// The config file's path and its tables (top-level keys already applied).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    /// Its contents.
    pub table: toml::Table,
}

impl ConfigFile {
    /// The directory relative paths in the file are resolved against.
    pub fn dir(&self) -> Option<&Path> {
        self.path
            .as_deref()
            .map(|p| p.parent().unwrap_or(Path::new(".")))
    }
}

/// The suite's clap command: the kit's options with the suite's defaults
/// (HTTP only, listening on [`DEFAULT_LISTEN`]).
pub fn command() -> clap::Command {
    SuiteCli::command()
        .mut_arg("listen", |a| a.default_value(DEFAULT_LISTEN))
        .mut_arg("transport", |a| a.default_value("http").hide(true))
        .after_long_help(connector_tables_help())
}

/// `--help` text listing every hosted connector's table keys.
fn connector_tables_help() -> String {
    let mut out = String::from("Connector tables in the config file:\n");
    for h in crate::registry::hosted() {
        out.push_str(&format!("\n  [{}]  ({} flags)\n", h.name(), h.binary()));
        for a in h.command().get_arguments() {
            let Some(long) = a.get_long() else { continue };
            let env = a
                .get_env()
                .map(|e| format!(" (env {})", e.to_string_lossy()))
                .unwrap_or_default();
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            out.push_str(&format!("    {:<20} {help}{env}\n", long.replace('-', "_")));
        }
    }
    out
}

/// Parses `args` (program name first), applying the config file.
pub fn parse(args: Vec<OsString>) -> Result<SuiteCli, clap::Error> {
    let matches = command().try_get_matches_from(args.clone())?;
    let Some(path) = matches.get_one::<PathBuf>("config").cloned() else {
        return finish(&matches, ConfigFile::default());
    };
    let fail = |kind, msg: String| command().error(kind, msg);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        fail(
            clap::error::ErrorKind::Io,
            format!("cannot read config file {}: {e}", path.display()),
        )
    })?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| {
        fail(
            clap::error::ErrorKind::InvalidValue,
            format!("config file {}: {e}", path.display()),
        )
    })?;
    let file = ConfigFile {
        path: Some(path.clone()),
        table: toml::Table::new(),
    };
    if let Some(dir) = file.dir() {
        crate::config::resolve_paths(&command(), &mut table, dir);
    }
    let extra = toml_to_args(&command(), &matches, &table, None).map_err(|msg| {
        fail(
            clap::error::ErrorKind::InvalidValue,
            format!("config file {}: {msg}", path.display()),
        )
    })?;
    let mut layered = Vec::with_capacity(args.len() + extra.len());
    let mut it = args.into_iter();
    layered.extend(it.next());
    layered.extend(extra);
    layered.extend(it);
    let matches = command().try_get_matches_from(layered)?;
    finish(&matches, ConfigFile { table, ..file })
}

fn finish(matches: &clap::ArgMatches, file: ConfigFile) -> Result<SuiteCli, clap::Error> {
    let mut cli = SuiteCli::from_arg_matches(matches)?;
    if cli.kit.transport != connector_kit::cli::Transport::Http {
        return Err(command().error(
            clap::error::ErrorKind::InvalidValue,
            "mcp-suite serves streamable HTTP only; for stdio run a single connector binary (e.g. zapier-mcp)",
        ));
    }
    cli.file = file;
    Ok(cli)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<SuiteCli, clap::Error> {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn defaults_are_http_on_the_suite_port() {
        let cli = parse_strs(&["mcp-suite"]).unwrap();
        assert_eq!(cli.kit.listen.to_string(), DEFAULT_LISTEN);
        assert!(cli.command.is_none());
        command().debug_assert();
    }

    #[test]
    fn config_file_sets_top_level_keys_and_keeps_sections() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("suite.toml");
        std::fs::write(
            &p,
            "read_only = true\nauth_tokens_file = \"tokens.toml\"\nconnectors = [\"zapier\"]\n[zapier]\nhooks = \"hooks.toml\"\n",
        )
        .unwrap();
        let cli = parse_strs(&["mcp-suite", "--config", p.to_str().unwrap(), "tools"]).unwrap();
        assert!(cli.kit.read_only);
        assert_eq!(cli.suite.connectors, vec!["zapier"]);
        assert_eq!(
            cli.kit.auth_tokens_file.as_deref(),
            Some(dir.path().join("tokens.toml").as_path())
        );
        assert!(cli.file.table.contains_key("zapier"));
    }

    #[test]
    fn unknown_top_level_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("suite.toml");
        std::fs::write(&p, "raed_only = true\n").unwrap();
        let e = parse_strs(&["mcp-suite", "--config", p.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("raed_only"), "{e}");
    }

    #[test]
    fn stdio_is_refused() {
        let e = parse_strs(&["mcp-suite", "--transport", "stdio"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("HTTP only"), "{e}");
    }
}
