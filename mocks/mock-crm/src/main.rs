//! `mock-crm`: serves the HubSpot CRM mock until Ctrl-C or SIGTERM.
//!
//! The first line of stdout is the base URL (e.g. `http://127.0.0.1:40123`); logs go to
//! stderr (`RUST_LOG` filters them, default `info`).

use std::net::SocketAddr;

use clap::Parser;
use mock_crm::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PER_TEN_SECONDS,
    DEFAULT_REFRESH_TOKEN, DEFAULT_SEARCH_PER_SECOND, Options,
};

/// Mock of HubSpot's CRM API (objects, search, associations, pipelines, properties), with
/// fault injection.
#[derive(Debug, Parser)]
#[command(name = "mock-crm", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_CRM_LISTEN", default_value = mock_kit::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Static bearer token the API accepts.
    #[arg(long, env = "MOCK_CRM_ACCESS_TOKEN", default_value = DEFAULT_ACCESS_TOKEN)]
    access_token: String,
    /// OAuth client id.
    #[arg(long, env = "MOCK_CRM_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// OAuth client secret.
    #[arg(long, env = "MOCK_CRM_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// OAuth refresh token accepted by `POST /oauth/v1/token`.
    #[arg(long, env = "MOCK_CRM_REFRESH_TOKEN", default_value = DEFAULT_REFRESH_TOKEN)]
    refresh_token: String,
    /// Search requests per second before 429.
    #[arg(long, env = "MOCK_CRM_SEARCH_PER_SECOND", default_value_t = DEFAULT_SEARCH_PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..))]
    search_per_second: u32,
    /// API requests per rolling ten seconds before 429.
    #[arg(long, env = "MOCK_CRM_PER_TEN_SECONDS", default_value_t = DEFAULT_PER_TEN_SECONDS,
          value_parser = clap::value_parser!(u32).range(1..))]
    per_ten_seconds: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    mock_kit::init_logging();
    let (app, _kit, _state) = mock_crm::app(Options {
        access_token: args.access_token,
        client_id: args.client_id,
        client_secret: args.client_secret,
        refresh_token: args.refresh_token,
        search_per_second: args.search_per_second,
        per_ten_seconds: args.per_ten_seconds,
    });
    mock_kit::print_url_and_serve(app, args.listen).await?;
    Ok(())
}
