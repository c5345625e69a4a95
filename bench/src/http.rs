//! Hand-written MCP `tools/call` over stateless streamable HTTP, and the
//! direct upstream request, both through the connectors' own reqwest client
//! settings.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::procs::PROTOCOL_VERSION;
use crate::targets::Direct;

/// The client under every connector's upstream client: same timeouts,
/// redirect policy, pool settings and user agent.
pub fn client() -> reqwest::Client {
    connector_kit::connector::base_http_client()
}

/// An MCP endpoint (`…/mcp`) called with plain JSON-RPC POSTs.
#[derive(Debug, Clone)]
pub struct McpHttp {
    pub client: reqwest::Client,
    pub url: String,
}

impl McpHttp {
    /// One JSON-RPC request; returns the `result`.
    pub async fn request(&self, id: u64, method: &str, params: Value) -> anyhow::Result<Value> {
        Ok(self.request_sized(id, method, params).await?.1)
    }

    /// One JSON-RPC request; returns the JSON answer's length in bytes and
    /// the `result`.
    pub async fn request_sized(
        &self,
        id: u64,
        method: &str,
        params: Value,
    ) -> anyhow::Result<(usize, Value)> {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let resp = self
            .client
            .post(&self.url)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .header("MCP-Protocol-Version", PROTOCOL_VERSION)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {method}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method}: HTTP {status}: {}", clip(&text));
        }
        // JSON response mode; accept a single SSE `data:` event as well.
        let json_text = if text.trim_start().starts_with('{') {
            text.as_str()
        } else {
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .find(|l| l.starts_with('{'))
                .unwrap_or("")
        };
        let v: Value = serde_json::from_str(json_text)
            .with_context(|| format!("{method}: unreadable answer: {}", clip(&text)))?;
        if let Some(err) = v.get("error") {
            bail!("{method}: {err}");
        }
        Ok((json_text.trim().len(), v["result"].clone()))
    }

    /// `tools/call`, timed; fails on an `isError` result.
    pub async fn call(&self, id: u64, tool: &str, args: &Value) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let r = self
            .request(id, "tools/call", json!({"name": tool, "arguments": args}))
            .await?;
        let elapsed = start.elapsed();
        if r["isError"].as_bool() == Some(true) {
            bail!("{tool} returned a tool error: {}", clip(&r.to_string()));
        }
        Ok(elapsed)
    }
}

/// Sends the direct upstream request once, timed; fails on a non-2xx answer.
pub async fn direct(client: &reqwest::Client, d: &Direct) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut req = client.request(d.method.clone(), &d.url);
    for (name, value) in &d.headers {
        req = req.header(*name, value);
    }
    if let Some(body) = &d.body {
        req = req.json(body);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let _ = resp.bytes().await?;
    let elapsed = start.elapsed();
    if !status.is_success() {
        bail!("direct {} {}: HTTP {status}", d.method, d.url);
    }
    Ok(elapsed)
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}
