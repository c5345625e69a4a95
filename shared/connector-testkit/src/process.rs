//! A connector (or mock) binary started as an HTTP server on 127.0.0.1:0.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running server process; killed on drop.
#[derive(Debug)]
pub struct HttpServer {
    child: Child,
    _state_dir: Option<tempfile::TempDir>,
    /// The URL the binary printed as its first stdout line.
    pub url: String,
}

impl HttpServer {
    /// Runs `bin args…` and waits (≤ 20 s) for the first stdout line, the URL.
    pub async fn start(bin: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TESTKIT_SHOW_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true);
        let state_dir = own_state_dir(&mut cmd, args, env)?;
        let mut child = cmd.spawn().with_context(|| format!("spawning {bin}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .context("the server printed no URL within 20 s")??;
        let Some(url) = first else {
            let status = child.wait().await?;
            bail!("{bin} exited ({status}) before printing its URL");
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(HttpServer {
            child,
            _state_dir: state_dir,
            url: url.trim().to_owned(),
        })
    }

    /// Runs `bin args…` expecting it to fail; returns its exit code and stderr.
    pub async fn expect_failure(
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<(i32, String)> {
        let out = tokio::time::timeout(
            Duration::from_secs(20),
            Command::new(bin)
                .args(args)
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .output(),
        )
        .await
        .context("the process did not exit within 20 s")??;
        if out.status.success() {
            bail!("{bin} succeeded but was expected to fail");
        }
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Stops the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// Asks the process to shut down gracefully (SIGTERM on Unix, a kill elsewhere) and waits
    /// (≤ 20 s) for its exit status.
    pub async fn terminate(mut self) -> anyhow::Result<ExitStatus> {
        #[cfg(unix)]
        {
            let pid = self.child.id().context("the process has already exited")?;
            let signalled = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await
                .context("running kill")?;
            if !signalled.success() {
                bail!("kill -TERM {pid} failed: {signalled}");
            }
        }
        #[cfg(not(unix))]
        self.child.kill().await?;
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .context("the process did not exit within 20 s of SIGTERM")?
            .context("waiting for the process")
    }
}

/// Gives a started connector a state directory of its own (a temp dir, removed with the
/// returned guard) unless the test chose its state (`--state`, `--state-dir`, `MCP_STATE`,
/// `MCP_STATE_DIR`): tests running in parallel never share the default SQLite file.
pub(crate) fn own_state_dir(
    cmd: &mut Command,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<Option<tempfile::TempDir>> {
    let chosen = args.iter().any(|a| a.starts_with("--state"))
        || env
            .iter()
            .any(|(k, _)| *k == "MCP_STATE" || *k == "MCP_STATE_DIR")
        || std::env::var_os("MCP_STATE").is_some()
        || std::env::var_os("MCP_STATE_DIR").is_some();
    if chosen {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("mcp-state-")
        .tempdir()
        .context("creating a state directory for the connector")?;
    cmd.env("MCP_STATE_DIR", dir.path());
    Ok(Some(dir))
}
