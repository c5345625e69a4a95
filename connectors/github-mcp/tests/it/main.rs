//! `github-mcp` end to end: an rmcp client drives the real binary over stdio
//! against `mock-github` on 127.0.0.1 (as github.com and as GHES `/api/v3`).

mod actions;
mod auth;
mod flows;
mod limits;
mod lockdown;
mod pulls;
mod tools;
mod writes;

use connector_testkit::{Client, ClientOptions, Era, ToolResult};
use mock_github::MockGitHub;
use mock_kit::{Fault, MockKit, RecordedRequest, Served};

pub const BIN: &str = env!("CARGO_BIN_EXE_github-mcp");

/// A mock GitHub.
#[allow(missing_debug_implementations)]
pub struct World {
    pub mock: Served,
    pub kit: MockKit,
    pub gh: MockGitHub,
    /// `""` for github.com, `"/api/v3"` for GHES.
    pub prefix: &'static str,
}

impl World {
    pub async fn new() -> World {
        World::with_prefix("").await
    }

    pub async fn ghes() -> World {
        World::with_prefix("/api/v3").await
    }

    async fn with_prefix(prefix: &'static str) -> World {
        World::with_options(prefix, mock_github::Options::default()).await
    }

    /// A mock with its own options (e.g. more users' tokens).
    pub async fn with_options(prefix: &'static str, options: mock_github::Options) -> World {
        let (mock, kit, gh) = mock_github::spawn_with_handles(options).await.unwrap();
        World {
            mock,
            kit,
            gh,
            prefix,
        }
    }

    /// The environment an operator would set.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "GITHUB_API_URL",
                format!("{}{}", self.mock.url().trim_end_matches('/'), self.prefix),
            ),
            ("GITHUB_TOKEN", mock_github::DEFAULT_TOKEN.into()),
        ]
    }

    /// A stdio client with extra flags.
    pub async fn stdio(&self, extra: &[&str]) -> Client {
        self.stdio_with(extra, legacy()).await
    }

    pub async fn stdio_with(&self, extra: &[&str], opts: ClientOptions) -> Client {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Client::stdio(BIN, extra, &env, opts).await.unwrap()
    }

    /// Requests to paths starting with `prefix` (admin routes left out).
    pub fn requests_to(&self, prefix: &str) -> Vec<String> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The next `method` request to a path starting with `path_prefix` is
    /// applied, then its answer is lost (the connection drops).
    pub fn lose_answer(&self, method: &str, path_prefix: &str) {
        self.kit.push_fault(
            Fault::commit_then_drop()
                .method(method)
                .path_prefix(path_prefix),
        );
    }

    /// Requests with `method` whose path passes `path`, oldest first.
    pub fn sent(&self, method: &str, path: impl Fn(&str) -> bool) -> Vec<RecordedRequest> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| r.method == method && path(&r.path))
            .collect()
    }

    /// Requests that would change GitHub (anything but GET).
    pub fn writes(&self) -> Vec<String> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.starts_with("/__admin"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

pub fn legacy() -> ClientOptions {
    ClientOptions {
        era: Era::Legacy,
        ..Default::default()
    }
}

pub fn modern() -> ClientOptions {
    ClientOptions {
        era: Era::Modern,
        ..Default::default()
    }
}

/// A write whose answer was lost (a fault after GitHub applied it) came
/// back executed, found on GitHub instead of sent again.
pub fn assert_recovered(done: &ToolResult) {
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(
        done.structured["result"]["recovered"], true,
        "{}",
        done.text
    );
}

/// Invalid arguments are refused naming `field` (as a tool error, or by the
/// client's schema check).
pub fn assert_names_field(r: anyhow::Result<ToolResult>, field: &str) {
    match r {
        Ok(r) => assert!(r.is_error && r.text.contains(field), "{}", r.text),
        Err(e) => assert!(e.to_string().contains(field), "{e}"),
    }
}

/// Calls `tool` and asserts it answered without a tool error.
pub async fn call_ok(client: &Client, tool: &str, args: serde_json::Value) -> ToolResult {
    let r = client.call(tool, args).await.unwrap();
    assert!(!r.is_error, "{tool}: {}", r.text);
    r
}

/// Calls a write tool without a token and asserts it answered with a
/// preview to confirm.
pub async fn call_preview(client: &Client, tool: &str, args: serde_json::Value) -> ToolResult {
    let r = client.call(tool, args).await.unwrap();
    assert_eq!(
        r.structured["status"], "confirmation_required",
        "{tool}: {}",
        r.text
    );
    r
}

/// What a finished command printed: its stdout, then its stderr.
pub fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
