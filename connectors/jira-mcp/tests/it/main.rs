//! `jira-mcp` end to end: an rmcp client drives the real binary over stdio
//! and streamable HTTP, against `mock-jira` on 127.0.0.1, as Jira Cloud
//! (REST v3, ADF) and as Jira Data Center (REST v2, wiki markup).

mod comments;
mod confirm;
mod issues;
mod projects;
mod tools;

use connector_testkit::{Client, ClientOptions, Era, HttpServer};
use mock_jira::{Deployment, MockJira};
use mock_kit::{MockKit, Served};

pub const BIN: &str = env!("CARGO_BIN_EXE_jira-mcp");

/// A mock Jira of one flavour.
#[allow(missing_debug_implementations)]
pub struct World {
    pub mock: Served,
    pub kit: MockKit,
    pub jira: MockJira,
    pub deployment: Deployment,
}

impl World {
    pub async fn new(deployment: Deployment) -> World {
        let (mock, kit, jira) = mock_jira::spawn_with_handles(mock_jira::Options {
            deployment,
            ..Default::default()
        })
        .await
        .unwrap();
        World {
            mock,
            kit,
            jira,
            deployment,
        }
    }

    pub async fn cloud() -> World {
        World::new(Deployment::Cloud).await
    }

    pub async fn dc() -> World {
        World::new(Deployment::DataCenter).await
    }

    /// Both flavours, for tests that must hold in each.
    pub async fn both() -> [World; 2] {
        [World::cloud().await, World::dc().await]
    }

    pub fn is_cloud(&self) -> bool {
        self.deployment == Deployment::Cloud
    }

    /// The environment an operator would set.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("JIRA_BASE_URL", self.mock.url().to_owned())];
        if self.is_cloud() {
            env.push(("JIRA_DEPLOYMENT", "cloud".into()));
            env.push(("JIRA_EMAIL", mock_jira::DEFAULT_EMAIL.into()));
            env.push(("JIRA_API_TOKEN", mock_jira::DEFAULT_API_TOKEN.into()));
        } else {
            env.push(("JIRA_DEPLOYMENT", "datacenter".into()));
            env.push(("JIRA_PERSONAL_TOKEN", mock_jira::DEFAULT_PAT.into()));
        }
        env
    }

    /// A stdio client (legacy era) with extra flags.
    pub async fn stdio(&self, extra: &[&str]) -> Client {
        self.stdio_with(extra, legacy()).await
    }

    pub async fn stdio_with(&self, extra: &[&str], opts: ClientOptions) -> Client {
        let env = self.env();
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

    /// Requests that would change Jira (anything but GET, and not searches).
    pub fn writes(&self) -> Vec<String> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/search"))
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
