//! `cargo run -p incident-response [-- --yes] [--inject-fault zapier]`: the
//! incident workflow against the built-in mocks (see the crate docs).

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = incident_response::Cli::parse();
    mcp_suite::demo::init_quiet_tracing(connector_kit::cli::LogFormat::Text);
    incident_response::run(cli).await
}
