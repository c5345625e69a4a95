//! `crm-mcp` end to end: an rmcp client drives the real binary over stdio
//! and streamable HTTP, against `mock-crm` on 127.0.0.1, with the
//! date-versioned (`--api-version 2026-03`) and the classic (`v3`) paths.

mod reads;
mod tools;
mod writes;

use connector_testkit::{Client, ClientOptions, Era};
use mock_crm::MockCrm;
use mock_kit::{MockKit, Served};

pub const BIN: &str = env!("CARGO_BIN_EXE_crm-mcp");

/// The two path styles.
pub const VERSIONS: [&str; 2] = ["2026-03", "v3"];

/// A mock HubSpot.
#[allow(missing_debug_implementations)]
pub struct World {
    pub mock: Served,
    pub kit: MockKit,
    pub crm: MockCrm,
}

impl World {
    pub async fn new() -> World {
        let (mock, kit, crm) = mock_crm::spawn_with_handles(mock_crm::Options::default())
            .await
            .unwrap();
        World { mock, kit, crm }
    }

    /// The environment an operator would set.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HUBSPOT_BASE_URL", self.mock.url().to_owned()),
            (
                "HUBSPOT_ACCESS_TOKEN",
                mock_crm::DEFAULT_ACCESS_TOKEN.into(),
            ),
        ]
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

    /// Paths of the API requests the mock received.
    pub fn paths(&self) -> Vec<String> {
        self.kit.requests().into_iter().map(|r| r.path).collect()
    }

    /// Requests that would change the CRM (anything but GET, searches and batch reads).
    pub fn writes(&self) -> Vec<String> {
        self.kit
            .requests()
            .into_iter()
            .filter(|r| {
                r.method != "GET"
                    && !r.path.ends_with("/search")
                    && !r.path.ends_with("/batch/read")
                    && !r.path.starts_with("/__admin")
            })
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
