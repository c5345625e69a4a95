//! `mock-jira`: serves the Jira mock until Ctrl-C or SIGTERM.
//!
//! The first line of stdout is the base URL (e.g. `http://127.0.0.1:40123`); logs go to
//! stderr (`RUST_LOG` filters them, default `info`).

use std::net::SocketAddr;

use clap::Parser;
use mock_jira::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN, DEFAULT_PAT, Deployment, Options,
};

/// Mock of Jira Cloud (REST v3) and Jira Data Center (REST v2), with fault injection.
#[derive(Debug, Parser)]
#[command(name = "mock-jira", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_JIRA_LISTEN", default_value = mock_kit::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// What serverInfo reports: `cloud` or `datacenter`.
    #[arg(long, env = "MOCK_JIRA_DEPLOYMENT", default_value = "cloud")]
    deployment: Deployment,
    /// API requests accepted per second before answering 429 (0: no limit).
    #[arg(long, env = "MOCK_JIRA_RATE_PER_SECOND", default_value_t = 0)]
    rate_per_second: u32,
    /// E-mail for Basic auth on the Cloud paths.
    #[arg(long, env = "MOCK_JIRA_EMAIL", default_value = DEFAULT_EMAIL)]
    email: String,
    /// API token for Basic auth on the Cloud paths.
    #[arg(long, env = "MOCK_JIRA_API_TOKEN", default_value = DEFAULT_API_TOKEN)]
    api_token: String,
    /// Bearer (OAuth) token accepted on the Cloud paths.
    #[arg(long, env = "MOCK_JIRA_OAUTH_TOKEN", default_value = DEFAULT_OAUTH_TOKEN)]
    oauth_token: String,
    /// Bearer personal access token accepted on the Data Center paths.
    #[arg(long, env = "MOCK_JIRA_PAT", default_value = DEFAULT_PAT)]
    pat: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    mock_kit::init_logging();
    let (app, _kit, _state) = mock_jira::app(Options {
        deployment: args.deployment,
        rate_per_second: args.rate_per_second,
        email: args.email,
        api_token: args.api_token,
        oauth_token: args.oauth_token,
        pat: args.pat,
    });
    mock_kit::print_url_and_serve(app, args.listen).await?;
    Ok(())
}
