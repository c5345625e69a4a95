//! `mock-servicenow`: serves the ServiceNow Table API mock until Ctrl-C or SIGTERM.
//!
//! The first line of stdout is the base URL (e.g. `http://127.0.0.1:40123`); logs go to
//! stderr (`RUST_LOG` filters them, default `info`).

use std::net::SocketAddr;

use clap::Parser;
use mock_servicenow::{
    DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD,
    DEFAULT_TOKEN_TTL_SECS, DEFAULT_USERNAME, Options,
};

/// Mock of the ServiceNow Table API, with fault injection.
#[derive(Debug, Parser)]
#[command(name = "mock-servicenow", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_SERVICENOW_LISTEN", default_value = mock_kit::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// API requests accepted per second before answering 429 (0: no limit).
    #[arg(long, env = "MOCK_SERVICENOW_RATE_PER_SECOND", default_value_t = 0)]
    rate_per_second: u32,
    /// User name of the administrator.
    #[arg(long, env = "MOCK_SERVICENOW_USERNAME", default_value = DEFAULT_USERNAME)]
    username: String,
    /// Password shared by every seeded user.
    #[arg(long, env = "MOCK_SERVICENOW_PASSWORD", default_value = DEFAULT_PASSWORD)]
    password: String,
    /// OAuth client id accepted by /oauth_token.do.
    #[arg(long, env = "MOCK_SERVICENOW_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// OAuth client secret accepted by /oauth_token.do.
    #[arg(long, env = "MOCK_SERVICENOW_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// Accepted x-sn-apikey header value.
    #[arg(long, env = "MOCK_SERVICENOW_API_KEY", default_value = DEFAULT_API_KEY)]
    api_key: String,
    /// Lifetime of OAuth access tokens in seconds.
    #[arg(long, env = "MOCK_SERVICENOW_TOKEN_TTL_SECS", default_value_t = DEFAULT_TOKEN_TTL_SECS)]
    token_ttl_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    mock_kit::init_logging();
    let (app, _kit, _state) = mock_servicenow::app(Options {
        rate_per_second: args.rate_per_second,
        username: args.username,
        password: args.password,
        client_id: args.client_id,
        client_secret: args.client_secret,
        api_key: args.api_key,
        token_ttl_secs: args.token_ttl_secs,
    });
    mock_kit::print_url_and_serve(app, args.listen).await?;
    Ok(())
}
