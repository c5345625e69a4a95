//! The connectors under test: one table entry each.
//!
//! To add a connector (or another `mcp-suite` mount), add one [`Target`] to
//! [`TARGETS`]: its binary, the mocks it needs, the arguments that point it at
//! them, a representative read tool with arguments, and the direct upstream
//! request that tool makes (or, if it makes none, the one its write path
//! makes), with the same headers.

use std::path::Path;

use base64::Engine as _;
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
    /// Extra headers the connector sends (`Accept`, `Authorization`).
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl Direct {
    /// The path and query, for the tables.
    pub fn path(&self) -> &str {
        self.url
            .split_once("://")
            .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
            .unwrap_or(self.url.as_str())
    }
}

/// How the connector is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A single connector binary: stdio by default, `--transport http` for HTTP.
    Single,
    /// `mcp-suite`: HTTP only (`serve`), the read tool at `/<mount>/mcp`.
    Suite { mount: &'static str },
}

/// One connector under test.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Short name used in the tables.
    pub name: &'static str,
    /// The release binary (a sibling of the bench executable).
    pub binary: &'static str,
    pub kind: Kind,
    /// Mocks to start, in order; their URLs are passed to `args` and `direct`.
    pub mocks: &'static [MockSpec],
    /// Connector arguments pointing it at the mocks. `dir` is a scratch
    /// directory for files such as a hooks file. Transport flags are added
    /// by the runner.
    pub args: fn(mocks: &[String], dir: &Path) -> anyhow::Result<Vec<String>>,
    /// A representative read tool and its arguments.
    pub read_tool: &'static str,
    pub read_args: fn() -> Value,
    /// The kit's upstream quota (calls/s) on the read tool's rate-limit scope,
    /// or `None` when the read tool makes no upstream call. When set, the
    /// sequential per-call loops are paced below it (so no call waits on the
    /// limiter and the latency is the connector's own), with fewer calls, and
    /// throughput through the connector cannot exceed it.
    pub upstream_quota: Option<f64>,
    /// The direct upstream request compared against.
    pub direct: fn(mocks: &[String]) -> Direct,
    /// One sentence saying what is compared, printed under the table.
    pub compared: &'static str,
}

impl Target {
    /// Whether `read_tool` calls the upstream (the mock).
    pub fn read_reaches_upstream(&self) -> bool {
        self.upstream_quota.is_some()
    }

    /// Whether the connector speaks stdio (the suite is HTTP only).
    pub fn has_stdio(&self) -> bool {
        self.kind == Kind::Single
    }
}

/// Every connector benchmarked. Append new ones here.
pub const TARGETS: &[Target] = &[ZAPIER, JIRA, SERVICENOW, CRM, GITHUB, SUITE];

/// The kit's default upstream quota per scope (`connector_kit::run`).
const KIT_DEFAULT_QUOTA: f64 = 25.0;

const MOCK_ZAPIER: MockSpec = MockSpec {
    binary: "mock-zapier",
    // No per-hook rate limit in the mock, so the direct-call loop is never 429'd.
    args: &["--listen", "127.0.0.1:0", "--rate-per-second", "0"],
};

const MOCK_JIRA: MockSpec = MockSpec {
    binary: "mock-jira",
    // 0 = no rate limit (the default, stated for clarity).
    args: &[
        "--listen",
        "127.0.0.1:0",
        "--deployment",
        "cloud",
        "--rate-per-second",
        "0",
    ],
};

const ZAPIER: Target = Target {
    name: "zapier",
    binary: "zapier-mcp",
    kind: Kind::Single,
    mocks: &[MOCK_ZAPIER],
    args: zapier_args,
    read_tool: "list_hooks",
    read_args: || json!({}),
    upstream_quota: None,
    direct: zapier_direct,
    compared: "zapier has no read tool that calls Zapier: `list_hooks` is answered from memory, so its \
               MCP latency is pure server overhead (JSON-RPC, validation, policy, serialisation). It is \
               compared with the one upstream call zapier-mcp makes, a direct `POST /hooks/catch/...` to \
               mock-zapier (what `trigger_hook` sends after confirmation).",
};

fn zapier_direct(mocks: &[String]) -> Direct {
    Direct {
        method: reqwest::Method::POST,
        url: format!("{}/hooks/catch/123456/b3nch/", mocks[0]),
        headers: Vec::new(),
        body: Some(json!({"summary": "db-1 is down", "severity": "critical"})),
    }
}

fn zapier_args(mocks: &[String], dir: &Path) -> anyhow::Result<Vec<String>> {
    let hooks = write_hooks(&mocks[0], dir)?;
    Ok(vec!["--hooks".into(), hooks])
}

fn write_hooks(zapier: &str, dir: &Path) -> anyhow::Result<String> {
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
            url = zapier
        ),
    )?;
    Ok(hooks.to_string_lossy().into_owned())
}

// ---- jira -------------------------------------------------------------------

const JIRA_EMAIL: &str = "mock@example.com";
const JIRA_TOKEN: &str = "mock-token";

const JIRA: Target = Target {
    name: "jira",
    binary: "jira-mcp",
    kind: Kind::Single,
    mocks: &[MOCK_JIRA],
    args: |mocks, _| {
        Ok([
            "--base-url",
            &mocks[0],
            "--deployment",
            "cloud",
            "--email",
            JIRA_EMAIL,
            "--api-token",
            JIRA_TOKEN,
        ]
        .map(String::from)
        .to_vec())
    },
    read_tool: "get_issue",
    read_args: || json!({"key": "OPS-1"}),
    upstream_quota: Some(KIT_DEFAULT_QUOTA),
    direct: jira_direct,
    compared: "jira `get_issue` makes one upstream request, `GET /rest/api/3/issue/OPS-1?fields=…&expand=transitions` \
               with Basic auth (scope `jira:<host>:read`, kit default quota 25/s); the direct row sends \
               the same request with the same `Accept` and `Authorization` headers.",
};

/// `get_issue`'s request: `JiraClient::issue` with `detail_fields(&[])` and transitions.
fn jira_direct(mocks: &[String]) -> Direct {
    let fields = [
        "summary",
        "status",
        "issuetype",
        "priority",
        "assignee",
        "project",
        "labels",
        "created",
        "updated",
        "description",
        "resolution",
        "reporter",
        "components",
        "issuelinks",
        "comment",
    ]
    .join(",");
    Direct {
        method: reqwest::Method::GET,
        url: with_query(
            &format!("{}/rest/api/3/issue/OPS-1", mocks[0]),
            &[("fields", &fields), ("expand", "transitions")],
        ),
        headers: vec![
            ("Accept", "application/json".into()),
            ("Authorization", basic(JIRA_EMAIL, JIRA_TOKEN)),
        ],
        body: None,
    }
}

// ---- servicenow -------------------------------------------------------------

const SN_USER: &str = "admin";
const SN_PASSWORD: &str = "mock-password";

const SERVICENOW: Target = Target {
    name: "servicenow",
    binary: "servicenow-mcp",
    kind: Kind::Single,
    mocks: &[MockSpec {
        binary: "mock-servicenow",
        args: &["--listen", "127.0.0.1:0", "--rate-per-second", "0"],
    }],
    args: |mocks, _| {
        Ok([
            "--instance-url",
            &mocks[0],
            "--username",
            SN_USER,
            "--password",
            SN_PASSWORD,
        ]
        .map(String::from)
        .to_vec())
    },
    read_tool: "search_incidents",
    read_args: || json!({"limit": 20}),
    upstream_quota: Some(KIT_DEFAULT_QUOTA),
    direct: servicenow_direct,
    compared: "servicenow `search_incidents` makes one Table API request, `GET /api/now/table/incident?sysparm_fields=…\
               &sysparm_display_value=all&sysparm_exclude_reference_link=true&sysparm_limit=20&sysparm_offset=0\
               &sysparm_query=ORDERBYDESCopened_at^ORDERBYDESCnumber` with Basic auth (scope \
               `servicenow:<host>:read`, kit default quota 25/s); the direct row sends the same request and headers.",
};

/// `search_incidents {"limit":20}`: `search_tasks` → `ServiceNowClient::list`.
fn servicenow_direct(mocks: &[String]) -> Direct {
    let fields = [
        "sys_id",
        "number",
        "short_description",
        "state",
        "priority",
        "assignment_group",
        "assigned_to",
        "opened_at",
        "sys_updated_on",
        "caller_id",
        "category",
    ]
    .join(",");
    Direct {
        method: reqwest::Method::GET,
        url: with_query(
            &format!("{}/api/now/table/incident", mocks[0]),
            &[
                ("sysparm_fields", &fields),
                ("sysparm_display_value", "all"),
                ("sysparm_exclude_reference_link", "true"),
                ("sysparm_limit", "20"),
                ("sysparm_offset", "0"),
                ("sysparm_query", "ORDERBYDESCopened_at^ORDERBYDESCnumber"),
            ],
        ),
        headers: vec![
            ("Accept", "application/json".into()),
            ("Authorization", basic(SN_USER, SN_PASSWORD)),
        ],
        body: None,
    }
}

// ---- crm --------------------------------------------------------------------

const CRM_TOKEN: &str = "mock-hubspot-token";

const CRM: Target = Target {
    name: "crm",
    binary: "crm-mcp",
    kind: Kind::Single,
    mocks: &[MockSpec {
        binary: "mock-crm",
        // Lift the mock's HubSpot-like limits so the direct loop is never 429'd.
        args: &[
            "--listen",
            "127.0.0.1:0",
            "--search-per-second",
            "1000000000",
            "--per-ten-seconds",
            "1000000000",
        ],
    }],
    args: |mocks, _| {
        Ok(["--base-url", &mocks[0], "--access-token", CRM_TOKEN]
            .map(String::from)
            .to_vec())
    },
    read_tool: "list_pipelines",
    read_args: || json!({}),
    // crm-mcp's own `hubspot:<host>:general` quota (GENERAL_PER_SECOND, burst 20).
    upstream_quota: Some(9.0),
    direct: |mocks| Direct {
        method: reqwest::Method::GET,
        url: format!("{}/crm/v3/pipelines/deals", mocks[0]),
        headers: vec![
            ("Accept", "application/json".into()),
            ("Authorization", format!("Bearer {CRM_TOKEN}")),
        ],
        body: None,
    },
    compared: "crm `list_pipelines` makes one request, `GET /crm/v3/pipelines/deals` with the bearer token \
               (scope `hubspot:<host>:general`, crm-mcp's own quota 9/s, burst 20, HubSpot's published \
               limit); the direct row sends the same request and headers.",
};

// ---- github -----------------------------------------------------------------

/// mock-github's default personal access token.
const GITHUB_TOKEN: &str = "mock-gh-token";

const GITHUB: Target = Target {
    name: "github",
    binary: "github-mcp",
    kind: Kind::Single,
    mocks: &[MockSpec {
        binary: "mock-github",
        // Lift the mock's hourly primary limit so the direct loop is never refused.
        args: &["--listen", "127.0.0.1:0", "--rate-limit", "1000000000"],
    }],
    args: |mocks, _| {
        Ok(["--api-url", &mocks[0], "--token", GITHUB_TOKEN]
            .map(String::from)
            .to_vec())
    },
    read_tool: "get_repository",
    read_args: || json!({"owner": "acme", "repo": "api"}),
    // The kit's default quota on `github:<host>:read`.
    upstream_quota: Some(KIT_DEFAULT_QUOTA),
    direct: |mocks| Direct {
        method: reqwest::Method::GET,
        url: format!("{}/repos/acme/api", mocks[0].trim_end_matches('/')),
        headers: vec![
            ("Accept", "application/vnd.github+json".into()),
            ("X-GitHub-Api-Version", "2022-11-28".into()),
            ("Authorization", format!("Bearer {GITHUB_TOKEN}")),
        ],
        body: None,
    },
    compared: "github `get_repository` makes one request, `GET /repos/acme/api` through octocrab with the \
               bearer token (scope `github:<host>:read`, kit default quota 25/s); the direct row sends the \
               same request and headers.",
};

// ---- mcp-suite --------------------------------------------------------------

const SUITE: Target = Target {
    name: "mcp-suite",
    binary: "mcp-suite",
    kind: Kind::Suite { mount: "zapier" },
    mocks: &[MOCK_ZAPIER, MOCK_JIRA],
    args: suite_args,
    read_tool: "list_hooks",
    read_args: || json!({}),
    upstream_quota: None,
    direct: zapier_direct,
    compared: "mcp-suite (HTTP only) hosting zapier and jira; the read tool is zapier's `list_hooks` at \
               `/zapier/mcp`, answered from memory, so the suite's figure is pure server overhead; \
               compared with a direct `POST /hooks/catch/...` to mock-zapier, as for zapier.",
};

fn suite_args(mocks: &[String], dir: &Path) -> anyhow::Result<Vec<String>> {
    let hooks = write_hooks(&mocks[0], dir)?;
    let config = dir.join("suite.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[zapier]
hooks = {hooks:?}

[jira]
base_url = {jira:?}
deployment = "cloud"
email = {JIRA_EMAIL:?}
api_token = {JIRA_TOKEN:?}
"#,
            jira = mocks[1],
        ),
    )?;
    Ok(vec![
        "--config".into(),
        config.to_string_lossy().into_owned(),
    ])
}

// ---- helpers ----------------------------------------------------------------

/// `url` with `query` form-encoded, as the connectors build it
/// (`Url::query_pairs_mut().extend_pairs`).
fn with_query(url: &str, query: &[(&str, &str)]) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(query);
            u.into()
        }
        Err(_) => url.to_owned(),
    }
}

/// `Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
