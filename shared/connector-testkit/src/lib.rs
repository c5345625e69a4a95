//! Test helpers (dev-only): start connectors as real processes, connect an
//! rmcp client over stdio or streamable HTTP in either protocol era, call
//! tools, and mint JWTs from a tiny local OAuth issuer. Also runs real backing services on
//! free 127.0.0.1 ports in temp dirs: [`RedisServer`] and [`Nginx`] (a test fails, naming
//! the Debian package to install, when the binary is missing).
//!
//! ```ignore
//! let mock = mock_zapier::spawn(Default::default()).await?;
//! let client = Client::stdio(env!("CARGO_BIN_EXE_zapier-mcp"), &["--hooks", path], Era::Legacy).await?;
//! let tools = client.list_all_tools().await?;
//! let result = client.call("list_hooks", json!({})).await?;
//! ```

mod client;
mod external;
mod issuer;
mod nginx;
mod process;
mod redis;

pub use client::{Client, ClientOptions, Elicit, Era, ToolResult};
pub use external::free_port;
pub use issuer::TestIssuer;
pub use nginx::Nginx;
pub use process::HttpServer;
pub use redis::RedisServer;

/// Asserts what every connector promises about each tool in a `tools/list`:
/// a title, a description that starts with "Use this", all four annotation
/// hints set explicitly, an output schema, and a name clients accept.
pub fn assert_tools_well_formed(tools: &[rmcp::model::Tool]) {
    assert!(!tools.is_empty(), "tools/list is empty");
    for t in tools {
        let name = t.name.as_ref();
        assert!(
            !name.is_empty()
                && name.len() <= 128
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            "{name}: not a valid tool name"
        );
        assert!(
            t.title.as_deref().is_some_and(|s| !s.is_empty()),
            "{name} has no title"
        );
        assert!(
            t.description
                .as_deref()
                .is_some_and(|d| d.starts_with("Use this")),
            "{name}: the description must start with when to use it (\"Use this…\")"
        );
        let a = t
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no annotations"));
        assert!(
            a.read_only_hint.is_some()
                && a.destructive_hint.is_some()
                && a.idempotent_hint.is_some()
                && a.open_world_hint.is_some(),
            "{name}: every annotation hint must be set explicitly: {a:?}"
        );
        assert!(t.output_schema.is_some(), "{name} has no output schema");
    }
}

/// A tools/list normalised for snapshots: sorted by name, stable JSON.
pub fn tools_snapshot(tools: &[rmcp::model::Tool]) -> serde_json::Value {
    let mut tools: Vec<serde_json::Value> = tools
        .iter()
        .map(|t| serde_json::to_value(t).unwrap_or_default())
        .collect();
    tools.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    serde_json::Value::Array(tools)
}
