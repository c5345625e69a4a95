//! `zapier-mcp`: trigger configured Zapier catch hooks from an MCP client.
//! Run `zapier-mcp --help` for every option.

fn main() -> std::process::ExitCode {
    connector_kit::main::<zapier_mcp::Zapier>()
}
