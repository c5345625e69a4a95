//! `jira-mcp`: Jira Cloud and Data Center from an MCP client.
//! Run `jira-mcp --help` for every option.

fn main() -> std::process::ExitCode {
    connector_kit::main::<jira_mcp::Jira>()
}
