//! The connectors under test: one table entry each.
//!
//! To add a connector (or `mcp-suite`), add one [`Target`] to [`TARGETS`]: its
//! binary, the mocks it needs, the arguments that point it at them, a
//! representative read tool with arguments, and the direct upstream request
//! that tool makes (or, if it makes none, the one its write path makes).

use std::path::Path;

use serde_json::{Value, json};

/// A mock binary started on `127.0.0.1:0`; it prints its base URL first.
#[derive(Debug, Clone, Copy)]
pub struct MockSpec {
    pub binary: &'static str,
    pub args: &'static [&'static str],
}

/// A plain HTTP request to a mock, sent with the connectors' own reqwest
/// client settings (`connector_kit::connector::base_http_client`).
#[derive(Debug, Clone)]
pub struct Direct {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Option<Value>,
}

/// One connector under test.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Short name used in the tables.
    pub name: &'static str,
    /// The release binary (a sibling of the bench executable).
    pub binary: &'static str,
    /// Mocks to start, in order; their URLs are passed to `args` and `direct`.
    pub mocks: &'static [MockSpec],
    /// Connector arguments pointing it at the mocks. `dir` is a scratch
    /// directory for files such as a hooks file. Transport flags are added
    /// by the runner.
    pub args: fn(mocks: &[String], dir: &Path) -> anyhow::Result<Vec<String>>,
    /// A representative read tool and its arguments.
    pub read_tool: &'static str,
    pub read_args: fn() -> Value,
    /// Whether `read_tool` calls the upstream (the mock). When false, the
    /// MCP figure is pure server overhead.
    pub read_reaches_upstream: bool,
    /// The direct upstream request compared against.
    pub direct: fn(mocks: &[String]) -> Direct,
    /// One sentence saying what is compared, printed under the table.
    pub compared: &'static str,
}

/// Every connector benchmarked. Append new ones here.
pub const TARGETS: &[Target] = &[ZAPIER];

const ZAPIER: Target = Target {
    name: "zapier",
    binary: "zapier-mcp",
    // No per-hook rate limit in the mock, so the direct-call loop is never 429'd.
    mocks: &[MockSpec {
        binary: "mock-zapier",
        args: &["--listen", "127.0.0.1:0", "--rate-per-second", "0"],
    }],
    args: zapier_args,
    read_tool: "list_hooks",
    read_args: || json!({}),
    read_reaches_upstream: false,
    direct: |mocks| Direct {
        method: reqwest::Method::POST,
        url: format!("{}/hooks/catch/123456/b3nch/", mocks[0]),
        body: Some(json!({"summary": "db-1 is down", "severity": "critical"})),
    },
    compared: "zapier has no read tool that calls Zapier: `list_hooks` is answered from memory, so its \
               MCP latency is pure server overhead (JSON-RPC, validation, policy, serialisation). It is \
               compared with the one upstream call zapier-mcp makes, a direct `POST /hooks/catch/...` to \
               mock-zapier (what `trigger_hook` sends after confirmation).",
};

fn zapier_args(mocks: &[String], dir: &Path) -> anyhow::Result<Vec<String>> {
    let hooks = dir.join("hooks.toml");
    std::fs::write(
        &hooks,
        format!(
            r#"
[[hook]]
name = "page-oncall"
description = "Pages the on-call engineer with a summary and a severity"
url = "{url}/hooks/catch/123456/pg0nc4ll/"
effect = "send"
[hook.schema]
type = "object"
required = ["summary", "severity"]
additionalProperties = false
properties.summary = {{ type = "string", minLength = 1, maxLength = 200 }}
properties.severity = {{ enum = ["low", "high", "critical"] }}
properties.service = {{ type = "string", maxLength = 100 }}

[[hook]]
name = "log-event"
description = "Appends a row to the incident log spreadsheet"
url = "{url}/hooks/catch/123456/l0gev3nt/"
effect = "create"
"#,
            url = mocks[0]
        ),
    )?;
    Ok(vec!["--hooks".into(), hooks.to_string_lossy().into_owned()])
}
