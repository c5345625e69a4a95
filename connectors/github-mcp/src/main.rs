//! `github-mcp`: GitHub and GitHub Enterprise Server from an MCP client.
//! Run `github-mcp --help` for every option.

fn main() -> std::process::ExitCode {
    connector_kit::main::<github_mcp::GitHub>()
}
