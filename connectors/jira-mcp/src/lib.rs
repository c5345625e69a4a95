//! `jira-mcp`: Jira Cloud and Data Center from an MCP client (in progress).

pub mod adf;
