//! Test helpers (dev-only): start connectors as real processes, connect an
//! rmcp client over stdio or streamable HTTP in either protocol era, call
//! tools, and mint JWTs from a tiny local OAuth issuer.
//!
//! ```ignore
//! let mock = mock_zapier::spawn(Default::default()).await?;
//! let client = Client::stdio(env!("CARGO_BIN_EXE_zapier-mcp"), &["--hooks", path], Era::Legacy).await?;
//! let tools = client.list_all_tools().await?;
//! let result = client.call("list_hooks", json!({})).await?;
//! ```

mod client;
mod issuer;
mod process;

pub use client::{Client, ClientOptions, Elicit, Era, ToolResult};
pub use issuer::TestIssuer;
pub use process::HttpServer;

/// A tools/list normalised for snapshots: sorted by name, stable JSON.
pub fn tools_snapshot(tools: &[rmcp::model::Tool]) -> serde_json::Value {
    let mut tools: Vec<serde_json::Value> = tools
        .iter()
        .map(|t| serde_json::to_value(t).unwrap_or_default())
        .collect();
    tools.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    serde_json::Value::Array(tools)
}
