//! `mcp-suite` end to end: the real binary, against mock Zapier on 127.0.0.1.

mod compose;
mod config;
mod demo;
mod serve;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-suite");

/// Runs the suite to completion (≤ 60 s).
pub async fn run(args: &[&str]) -> Output {
    tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(BIN)
            .args(args)
            .env_remove("ZAPIER_HOOKS_FILE")
            .env_remove("MCP_CONFIG")
            .stdin(std::process::Stdio::null())
            .output(),
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
