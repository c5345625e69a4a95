//! `servicenow-mcp` end to end: an rmcp client drives the real binary over
//! stdio and streamable HTTP, against `mock-servicenow` on 127.0.0.1.

mod confirm;
mod reads;
mod tools;

use connector_testkit::{Client, ClientOptions, Era, HttpServer};
use mock_kit::{MockKit, Served};
use mock_servicenow::MockServiceNow;

pub const BIN: &str = env!("CARGO_BIN_EXE_servicenow-mcp");

/// A mock instance.
#[allow(missing_debug_implementations)]
pub struct World {
    pub mock: Served,
    pub kit: MockKit,
    pub sn: MockServiceNow,
}

impl World {
    pub async fn new() -> World {
        let (mock, kit, sn) =
            mock_servicenow::spawn_with_handles(mock_servicenow::Options::default())
                .await
                .unwrap();
        World { mock, kit, sn }
    }

    /// The environment an operator would set (basic auth as admin).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SERVICENOW_INSTANCE_URL", self.mock.url().to_owned()),
            (
                "SERVICENOW_USERNAME",
                mock_servicenow::DEFAULT_USERNAME.into(),
            ),
            (
                "SERVICENOW_PASSWORD",
                mock_servicenow::DEFAULT_PASSWORD.into(),
            ),
        ]
    }

    /// A stdio client (legacy era) with extra flags.
    pub async fn stdio(&self, extra: &[&str]) -> Client {
        self.stdio_env(extra, self.env(), legacy()).await
    }

    pub async fn stdio_with(&self, extra: &[&str], opts: ClientOptions) -> Client {
        self.stdio_env(extra, self.env(), opts).await
    }

    pub async fn stdio_env(
        &self,
        extra: &[&str],
        env: Vec<(&'static str, String)>,
        opts: ClientOptions,
    ) -> Client {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Client::stdio(BIN, extra, &env, opts).await.unwrap()
    }

    /// The connector as an HTTP server with extra flags.
    pub async fn http_server(&self, extra: &[&str]) -> HttpServer {
        let mut args = vec!["--transport", "http", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        HttpServer::start(BIN, &args, &env).await.unwrap()
    }

    /// Requests that would change the instance (anything but GET and the token endpoint).
    pub fn writes(&self) -> Vec<String> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.starts_with("/oauth_token.do"))
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
