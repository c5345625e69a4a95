//! `servicenow-mcp`: ServiceNow incidents, knowledge, changes and problems from an MCP client.
//! Run `servicenow-mcp --help` for every option.

fn main() -> std::process::ExitCode {
    connector_kit::main::<servicenow_mcp::ServiceNow>()
}
