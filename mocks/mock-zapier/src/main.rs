//! `mock-zapier`: serves the Zapier Catch Hook mock until Ctrl-C or SIGTERM.
//!
//! The first line of stdout is the base URL (e.g. `http://127.0.0.1:40123`); logs go to
//! stderr (`RUST_LOG` filters them, default `info`).

use std::net::SocketAddr;

use clap::Parser;
use mock_zapier::{DEFAULT_RATE_PER_SECOND, Options};

/// Mock of Zapier's Catch Hook webhooks, with fault injection.
#[derive(Debug, Parser)]
#[command(name = "mock-zapier", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_ZAPIER_LISTEN", default_value = mock_kit::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Requests each hook accepts per second before answering 429 (0: no limit).
    #[arg(long, env = "MOCK_ZAPIER_RATE_PER_SECOND", default_value_t = DEFAULT_RATE_PER_SECOND)]
    rate_per_second: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    mock_kit::init_logging();
    let (app, _kit, _state) = mock_zapier::app(Options {
        rate_per_second: args.rate_per_second,
    });
    mock_kit::print_url_and_serve(app, args.listen).await?;
    Ok(())
}
