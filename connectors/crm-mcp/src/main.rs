//! `crm-mcp`: a CRM (HubSpot) from an MCP client.
//! Run `crm-mcp --help` for every option.

fn main() -> std::process::ExitCode {
    connector_kit::main::<crm_mcp::Crm>()
}
