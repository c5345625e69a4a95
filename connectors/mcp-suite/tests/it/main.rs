//! `mcp-suite` end to end: the real binary, against mock Zapier, mock Jira,
//! mock ServiceNow, mock HubSpot and mock GitHub on 127.0.0.1.

mod compose;
mod config;
mod demo;
mod fleet;
mod serve;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-suite");

/// Runs the suite to completion (≤ 60 s).
pub async fn run(args: &[&str]) -> Output {
    run_with_env(args, &[]).await
}

/// Like [`run`], with these environment variables set. Every hosted
/// connector's own variables (`ZAPIER_HOOKS_FILE`, `JIRA_BASE_URL`, …) are
/// cleared first, so the caller's shell cannot configure a connector.
pub async fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args).env_remove("MCP_CONFIG");
    for h in mcp_suite::registry::hosted() {
        for var in h.command().get_arguments().filter_map(|a| a.get_env()) {
            cmd.env_remove(var);
        }
    }
    cmd.envs(env.iter().copied());
    tokio::time::timeout(
        Duration::from_secs(60),
        cmd.stdin(std::process::Stdio::null()).output(),
    )
    .await
    .expect("mcp-suite finished within 60 s")
    .expect("mcp-suite runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A config dir with a suite config whose `[zapier]` table points at a hooks
/// file (relative path) for `mock_url`.
#[derive(Debug)]
pub struct Config {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Config {
    pub fn new(suite_toml: &str, hooks_toml: Option<&str>) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("suite.toml");
        std::fs::write(&path, suite_toml).unwrap();
        if let Some(h) = hooks_toml {
            std::fs::write(dir.path().join("hooks.toml"), h).unwrap();
        }
        Config { dir, path }
    }

    pub fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

pub fn hooks_for(mock_url: &str) -> String {
    format!(
        "[[hook]]\nname = \"page-oncall\"\ndescription = \"Pages on-call\"\nurl = \"{mock_url}/hooks/catch/1/pg/\"\n"
    )
}

/// A `[jira]` table for mock Jira at `mock_url` (Cloud, the mock's default
/// credentials).
pub fn jira_section(mock_url: &str) -> String {
    format!(
        "[jira]\nbase_url = \"{mock_url}\"\ndeployment = \"cloud\"\nemail = \"{}\"\napi_token = \"{}\"\n",
        mock_jira::DEFAULT_EMAIL,
        mock_jira::DEFAULT_API_TOKEN
    )
}

/// A `[servicenow]` table for mock ServiceNow at `mock_url` (the mock's
/// default basic-auth credentials).
pub fn servicenow_section(mock_url: &str) -> String {
    format!(
        "[servicenow]\ninstance_url = \"{mock_url}\"\nusername = \"{}\"\npassword = \"{}\"\n",
        mock_servicenow::DEFAULT_USERNAME,
        mock_servicenow::DEFAULT_PASSWORD
    )
}

/// A `[crm]` table for mock HubSpot at `mock_url` (the mock's default
/// private-app token).
pub fn crm_section(mock_url: &str) -> String {
    format!(
        "[crm]\nbase_url = \"{mock_url}\"\naccess_token = \"{}\"\n",
        mock_crm::DEFAULT_ACCESS_TOKEN
    )
}

/// A `[github]` table for mock GitHub at `mock_url`. The token is not in the
/// table: pass [`GITHUB_ENV`] in the environment, as docker-compose.yml does.
pub fn github_section(mock_url: &str) -> String {
    format!("[github]\napi_url = \"{mock_url}\"\n")
}

/// The mock's default personal access token, as github-mcp reads it.
pub const GITHUB_ENV: (&str, &str) = ("GITHUB_TOKEN", mock_github::DEFAULT_TOKEN);
