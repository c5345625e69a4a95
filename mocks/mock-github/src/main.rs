//! `mock-github`: serves the GitHub mock until Ctrl-C or SIGTERM.
//!
//! The first line of stdout is the base URL (e.g. `http://127.0.0.1:40123`); logs go to
//! stderr (`RUST_LOG` filters them, default `info`).

use std::net::SocketAddr;

use clap::Parser;
use mock_github::{
    DEFAULT_INSTALLATION_TOKEN_TTL, DEFAULT_LOGIN, DEFAULT_RATE_LIMIT_PER_HOUR, DEFAULT_SCOPES,
    DEFAULT_SEARCH_PER_MINUTE, DEFAULT_SECONDARY_PER_MINUTE, DEFAULT_TOKEN, Options,
};

/// Mock of the GitHub REST API (and GHES under /api/v3), with fault injection.
#[derive(Debug, Parser)]
#[command(name = "mock-github", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_GITHUB_LISTEN", default_value = mock_kit::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The personal access token accepted as `Bearer` or `token`.
    #[arg(long, env = "MOCK_GITHUB_TOKEN", default_value = DEFAULT_TOKEN)]
    token: String,
    /// The seeded user the token acts as (alice, bob, carol or dave).
    #[arg(long, env = "MOCK_GITHUB_LOGIN", default_value = DEFAULT_LOGIN)]
    login: String,
    /// The `X-OAuth-Scopes` header sent on answers.
    #[arg(long, env = "MOCK_GITHUB_SCOPES", default_value = DEFAULT_SCOPES)]
    scopes: String,
    /// Core requests per token per hour.
    #[arg(long, env = "MOCK_GITHUB_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT_PER_HOUR)]
    rate_limit: u32,
    /// Search requests per token per minute.
    #[arg(long, env = "MOCK_GITHUB_SEARCH_PER_MINUTE", default_value_t = DEFAULT_SEARCH_PER_MINUTE)]
    search_per_minute: u32,
    /// Content-creating requests per token per minute before the secondary limit (0: off).
    #[arg(long, env = "MOCK_GITHUB_SECONDARY_PER_MINUTE", default_value_t = DEFAULT_SECONDARY_PER_MINUTE)]
    secondary_per_minute: u32,
    /// Seconds a minted GitHub App installation token stays valid (GitHub: 3600).
    #[arg(long, env = "MOCK_GITHUB_INSTALLATION_TOKEN_TTL_SECS", default_value_t = DEFAULT_INSTALLATION_TOKEN_TTL.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    installation_token_ttl_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    mock_kit::init_logging();
    let (app, _kit, _state) = mock_github::app(Options {
        token: args.token,
        login: args.login,
        scopes: args.scopes,
        rate_limit_per_hour: args.rate_limit,
        search_per_minute: args.search_per_minute,
        secondary_per_minute: args.secondary_per_minute,
        installation_token_ttl: std::time::Duration::from_secs(args.installation_token_ttl_secs),
        ..Options::default()
    });
    mock_kit::print_url_and_serve(app, args.listen).await?;
    Ok(())
}
