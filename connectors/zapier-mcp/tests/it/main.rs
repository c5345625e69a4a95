//! `zapier-mcp` end to end: an rmcp client drives the real binary over stdio
//! and streamable HTTP, against `mock-zapier` on 127.0.0.1.

mod auth;
mod confirm;
mod docs;
mod faults;
mod fleet;
mod robustness;
mod tools;

use connector_testkit::{Client, ClientOptions, Era, HttpServer};
use mock_kit::{MockKit, Served};
use mock_zapier::MockZapier;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_zapier-mcp");

/// A mock Zapier and a hooks file pointing at it.
#[allow(missing_debug_implementations)]
pub struct World {
    pub mock: Served,
    pub kit: MockKit,
    pub zapier: MockZapier,
    pub dir: tempfile::TempDir,
    pub hooks: String,
}

impl World {
    pub async fn new() -> World {
        let (mock, kit, zapier) = mock_zapier::spawn_with_handles(mock_zapier::Options::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks.toml");
        std::fs::write(
            &hooks,
            format!(
                r#"
[[hook]]
name = "page-oncall"
description = "Pages the on-call engineer"
url = "{url}/hooks/catch/123456/pg0nc4ll/"
effect = "send"
[hook.schema]
type = "object"
required = ["summary", "severity"]
additionalProperties = false
properties.summary = {{ type = "string", minLength = 1, maxLength = 200 }}
properties.severity = {{ enum = ["low", "high", "critical"] }}

[[hook]]
name = "log-event"
description = "Appends a row to the incident log sheet"
url_env = "TEST_LOG_EVENT_URL"
effect = "create"

[[hook]]
name = "wipe-cache"
description = "Purges the CDN cache"
url = "{url}/hooks/catch/123456/w1pe/"
effect = "destructive"
"#,
                url = mock.url()
            ),
        )
        .unwrap();
        World {
            hooks: hooks.to_str().unwrap().to_owned(),
            mock,
            kit,
            zapier,
            dir,
        }
    }

    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![(
            "TEST_LOG_EVENT_URL",
            format!("{}/hooks/catch/123456/l0g/", self.mock.url()),
        )]
    }

    /// A stdio client with extra flags.
    pub async fn stdio(&self, extra: &[&str], opts: ClientOptions) -> Client {
        let mut args = vec!["--hooks", &self.hooks];
        args.extend_from_slice(extra);
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Client::stdio(BIN, &args, &env, opts).await.unwrap()
    }

    /// The connector as an HTTP server with extra flags.
    pub async fn http_server(&self, extra: &[&str]) -> HttpServer {
        let mut args = vec![
            "--hooks",
            &self.hooks,
            "--transport",
            "http",
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        HttpServer::start(BIN, &args, &env).await.unwrap()
    }

    pub fn delivered(&self) -> usize {
        self.zapier.deliveries().len()
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

pub fn page_args() -> Value {
    json!({"hook": "page-oncall", "payload": {"summary": "db-1 is down", "severity": "critical"}})
}
