//! `mcp-suite`: one process hosting every enabled connector over streamable
//! HTTP, each at `/<name>/mcp`, behind one inbound-auth layer, one audit sink
//! and one `/metrics`, `/healthz`, `/readyz`; plus `mcp-suite demo`, which runs
//! every connector against its local mock and takes a guided tour.
//!
//! Module map:
//!
//! | module | what it holds |
//! |---|---|
//! | [`registry`] | the list of hosted connector types — **adding a connector is one line there** |
//! | [`cli`] | the suite's command line and the layered config file |
//! | [`config`] | per-connector TOML sections turned into each connector's own options |
//! | [`commands`] | `serve`, `tools`, `doctor`, `healthcheck` over all connectors |
//! | [`demo`] | the guided tour over a real MCP client |
//! | [`local`] | every mock in-process on 127.0.0.1 and the suite hosting connectors pointed at them (used by `demo` and `examples/incident-response`) |
//! | [`incident`] | the incident workflow's shared facts (repository, queries, summaries) and log helpers |
//!
//! Everything a connector does is unchanged from its single binary: the suite
//! calls the same `connector_kit::run::build` and mounts the result with the
//! kit's `http::mount` / `http::app`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod incident;
pub mod local;
pub mod registry;

use std::process::ExitCode;

/// The whole of the binary's `main`.
pub fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().collect()) {
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
    if matches!(cli.command, Some(cli::SuiteCommand::Demo { .. })) {
        // The demo talks to a person on stdout; keep stderr to warnings.
        demo::init_quiet_tracing(cli.kit.log_format);
    } else {
        connector_kit::run::init_tracing(cli.kit.log_format);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
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
