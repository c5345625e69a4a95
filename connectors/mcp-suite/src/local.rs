//! Every mock in-process on 127.0.0.1, and the suite hosting connectors
//! pointed at them, on a loopback port: what `mcp-suite demo` and
//! `examples/incident-response` both run on.
//!
//! ```no_run
//! # async fn example(kit: connector_kit::cli::KitArgs) -> anyhow::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let mocks = mcp_suite::local::Mocks::start(dir.path()).await?;
//! let audit = std::sync::Arc::new(connector_kit::audit::ChainedAudit::stderr());
//! let suite = mcp_suite::local::LocalSuite::start(kit, mocks.config(), audit).await?;
//! let jira_url = suite.endpoint("jira"); // http://127.0.0.1:<port>/jira/mcp
//! suite.shutdown().await?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use connector_kit::cli::{AuthMode, KitArgs, Transport};
use connector_kit::confirm::{AuditSink, ConfirmMode};
use mock_crm::MockCrm;
use mock_github::MockGitHub;
use mock_jira::MockJira;
use mock_kit::{MockKit, Served};
use mock_servicenow::MockServiceNow;
use mock_zapier::MockZapier;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::{ConfigFile, SuiteArgs};
use crate::commands::bind;
use crate::config::{build_all, select};
use crate::registry::hosted;

/// The Zapier hook that pages the on-call (see [`hooks_file`]).
pub const PAGE_HOOK: &str = "page-oncall";
/// The account and hook id of [`PAGE_HOOK`] on the mock (`/hooks/catch/<account>/<hook>/`).
pub const PAGE_HOOK_PATH: &str = "/hooks/catch/123456/pg0nc4ll/";

/// One mock served on 127.0.0.1: its address, its request log and fault
/// queue, and its state handle for in-process assertions.
#[derive(Debug)]
pub struct Mock<S> {
    /// The running server.
    pub served: Served,
    /// Request log and fault queue (also reachable over `/__admin`).
    pub kit: MockKit,
    /// The mock's state.
    pub state: S,
}

impl<S> Mock<S> {
    /// The mock's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        self.served.url()
    }
}

impl<S> From<(Served, MockKit, S)> for Mock<S> {
    fn from((served, kit, state): (Served, MockKit, S)) -> Self {
        Mock { served, kit, state }
    }
}

/// Every mock upstream, seeded, each on its own 127.0.0.1 port.
pub struct Mocks {
    /// Mock GitHub (`acme/api` with failed Actions runs and their logs).
    pub github: Mock<MockGitHub>,
    /// Mock ServiceNow (incidents, knowledge articles, users, groups).
    pub servicenow: Mock<MockServiceNow>,
    /// Mock Jira, Cloud flavour (projects OPS, WEB, DATA).
    pub jira: Mock<MockJira>,
    /// Mock Zapier catch hooks.
    pub zapier: Mock<MockZapier>,
    /// Mock HubSpot CRM (Acme Corp and others).
    pub crm: Mock<MockCrm>,
    hooks: PathBuf,
}

impl std::fmt::Debug for Mocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.urls()).finish()
    }
}

impl Mocks {
    /// Starts every mock on 127.0.0.1:0 and writes zapier-mcp's hooks file
    /// (pointing at mock Zapier) into `dir`, which must outlive the suite's start.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let github = mock_github::spawn_with_handles(mock_github::Options::default())
            .await
            .context("starting mock GitHub")?;
        let servicenow = mock_servicenow::spawn_with_handles(mock_servicenow::Options::default())
            .await
            .context("starting mock ServiceNow")?;
        let jira = mock_jira::spawn_with_handles(mock_jira::Options::default())
            .await
            .context("starting mock Jira")?;
        let zapier = mock_zapier::spawn_with_handles(mock_zapier::Options::default())
            .await
            .context("starting mock Zapier")?;
        let crm = mock_crm::spawn_with_handles(mock_crm::Options::default())
            .await
            .context("starting mock CRM")?;
        let zapier = Mock::from(zapier);
        let hooks = dir.join("hooks.toml");
        std::fs::write(&hooks, hooks_file(zapier.url()))
            .with_context(|| format!("writing {}", hooks.display()))?;
        Ok(Mocks {
            github: github.into(),
            servicenow: servicenow.into(),
            jira: jira.into(),
            zapier,
            crm: crm.into(),
            hooks,
        })
    }

    /// `(connector, mock base URL)` in the incident workflow's order.
    pub fn urls(&self) -> [(&'static str, &str); 5] {
        [
            ("github", self.github.url()),
            ("servicenow", self.servicenow.url()),
            ("jira", self.jira.url()),
            ("zapier", self.zapier.url()),
            ("crm", self.crm.url()),
        ]
    }

    /// The suite's config: one `[<connector>]` table per connector, pointing
    /// it at its mock with the mock's credentials.
    pub fn config(&self) -> toml::Table {
        let jira = self.jira.state.options();
        let servicenow = self.servicenow.state.options();
        let hooks = self.hooks.to_string_lossy();
        let sections: [(&str, Vec<(&str, &str)>); 5] = [
            (
                "github",
                vec![
                    ("api_url", self.github.url()),
                    ("token", mock_github::DEFAULT_TOKEN),
                ],
            ),
            (
                "servicenow",
                vec![
                    ("instance_url", self.servicenow.url()),
                    ("username", servicenow.username.as_str()),
                    ("password", servicenow.password.as_str()),
                ],
            ),
            (
                "jira",
                vec![
                    ("base_url", self.jira.url()),
                    // Cloud: no serverInfo probe at start-up, REST v3 with ADF.
                    ("deployment", "cloud"),
                    ("email", jira.email.as_str()),
                    ("api_token", jira.api_token.as_str()),
                ],
            ),
            ("zapier", vec![("hooks", hooks.as_ref())]),
            (
                "crm",
                vec![
                    ("base_url", self.crm.url()),
                    (
                        "access_token",
                        self.crm.state.options().access_token.as_str(),
                    ),
                ],
            ),
        ];
        let mut table = toml::Table::new();
        for (name, keys) in sections {
            let section: toml::Table = keys
                .into_iter()
                .map(|(k, v)| (k.to_owned(), toml::Value::String(v.to_owned())))
                .collect();
            table.insert(name.to_owned(), toml::Value::Table(section));
        }
        table
    }

    /// Stops every mock.
    pub async fn shutdown(self) {
        self.github.served.shutdown().await;
        self.servicenow.served.shutdown().await;
        self.jira.served.shutdown().await;
        self.zapier.served.shutdown().await;
        self.crm.served.shutdown().await;
    }
}

/// zapier-mcp's hooks file for mock Zapier at `base`: `page-oncall`
/// (validated payload) and `notify-channel`.
pub fn hooks_file(base: &str) -> String {
    format!(
        r#"# Written by mcp-suite: hooks pointing at the in-process mock Zapier.
[[hook]]
name = "{PAGE_HOOK}"
description = "Pages the on-call engineer through PagerDuty"
url = "{base}{PAGE_HOOK_PATH}"
effect = "send"
[hook.schema]
type = "object"
required = ["summary", "severity", "service"]
additionalProperties = false
properties.summary = {{ type = "string", minLength = 1, maxLength = 200 }}
properties.severity = {{ enum = ["low", "high", "critical"] }}
properties.service = {{ type = "string", minLength = 1, maxLength = 64 }}

[[hook]]
name = "notify-channel"
description = "Posts a message to the #incidents Slack channel"
url = "{base}/hooks/catch/123456/n0t1fy/"
effect = "send"
[hook.schema]
type = "object"
required = ["text"]
properties.text = {{ type = "string", minLength = 1, maxLength = 2000 }}
"#
    )
}

/// The kit options of a local, single-user deployment: streamable HTTP on
/// `kit.listen`, no inbound auth (so loopback only), the two-call token
/// confirmation (works with every client) and the audit log at `audit_log`.
pub fn loopback(mut kit: KitArgs, audit_log: &Path) -> KitArgs {
    kit.transport = Transport::Http;
    kit.auth = AuthMode::None;
    kit.public_url = None;
    kit.confirm = ConfirmMode::Token;
    kit.audit_log = Some(audit_log.to_owned());
    kit
}

/// The suite serving connectors in this process, on `kit.listen`.
#[derive(Debug)]
pub struct LocalSuite {
    /// Canonical base URL, e.g. `http://127.0.0.1:40125`.
    pub base: String,
    /// `(connector, endpoint URL)`, in mount order.
    pub endpoints: Vec<(&'static str, String)>,
    stop: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
}

impl LocalSuite {
    /// Builds every connector that has a table in `config` (each strictly:
    /// a connector that cannot start is an error), mounts them at
    /// `/<name>/mcp` and serves them until [`LocalSuite::shutdown`].
    pub async fn start(
        kit: KitArgs,
        config: toml::Table,
        audit: Arc<dyn AuditSink>,
    ) -> anyhow::Result<Self> {
        let registry = hosted();
        let connectors = registry
            .iter()
            .filter(|h| config.contains_key(h.name()))
            .map(|h| h.name().to_owned())
            .collect();
        let file = ConfigFile {
            path: None,
            table: config,
        };
        let suite = SuiteArgs {
            connectors,
            strict: true,
        };
        Self::start_from(kit, &file, &suite, audit).await
    }

    /// Like [`LocalSuite::start`], with the connectors `suite` selects from a
    /// config file (relative paths resolved against its directory).
    pub async fn start_from(
        kit: KitArgs,
        file: &ConfigFile,
        suite: &SuiteArgs,
        audit: Arc<dyn AuditSink>,
    ) -> anyhow::Result<Self> {
        let registry = hosted();
        let selection = select(&registry, suite, file, false)?;
        // The mocks start empty every time, so by default the local suite keeps its state in
        // memory too (nothing is left behind in the user's state directory).
        let state = match kit.state {
            Some(_) => connector_kit::run::open_state(&kit, "mcp-suite").await?,
            None => connector_kit::state::State::memory("mcp-suite"),
        };
        let enabled = build_all(selection, &kit, file, audit, &state, suite.strict).await?;
        let bound = bind(&kit, enabled.ready, &state).await?;
        let stop = CancellationToken::new();
        let server = tokio::spawn(connector_kit::http::serve(
            bound.listener,
            bound.app,
            stop.clone().cancelled_owned(),
        ));
        Ok(LocalSuite {
            base: bound.base,
            endpoints: bound.endpoints,
            stop,
            server,
        })
    }

    /// The endpoint URL of `connector`, if it is served.
    pub fn endpoint(&self, connector: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|(name, _)| *name == connector)
            .map(|(_, url)| url.as_str())
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.server.await.context("server task")??;
        Ok(())
    }
}
