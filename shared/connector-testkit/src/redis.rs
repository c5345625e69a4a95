//! A throwaway `redis-server` on a free 127.0.0.1 port, data dir in a temp dir, no
//! persistence; it can be stopped and started again on the same port (outage tests).
//!
//! ```ignore
//! let mut redis = RedisServer::start().await?;
//! let url = redis.url(); // redis://127.0.0.1:PORT/0
//! redis.stop().await;    // connections are refused from here on
//! redis.start_again().await?;
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::external::{ensure_exists, free_port, kill_and_reap, locate, read_lossy};

const PACKAGE: &str = "redis-server";

/// A running `redis-server`; killed (and reaped) on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    bin: PathBuf,
    port: u16,
    password: Option<String>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts `redis-server` (from `PATH`, or `/usr/bin/redis-server`) and waits (≤ 10 s)
    /// until it answers `PING`.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(
            &locate("redis-server", "/usr/bin/redis-server", PACKAGE)?,
            None,
        )
        .await
    }

    /// Like [`start`](Self::start), with `requirepass password`: clients must `AUTH` first.
    /// [`url`](Self::url) does not contain the password.
    pub async fn start_with_password(password: &str) -> anyhow::Result<Self> {
        let bin = locate("redis-server", "/usr/bin/redis-server", PACKAGE)?;
        Self::start_with(&bin, Some(password)).await
    }

    /// Starts the given binary; retries on another port if the chosen one was taken.
    pub(crate) async fn start_with(bin: &Path, password: Option<&str>) -> anyhow::Result<Self> {
        ensure_exists(bin, PACKAGE)?;
        let mut server = RedisServer {
            child: None,
            bin: bin.to_owned(),
            port: free_port(),
            password: password.map(str::to_owned),
            dir: tempfile::Builder::new().prefix("testkit-redis").tempdir()?,
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match server.start_again().await {
                Err(_) if attempts < 5 && server.log().contains("Address already in use") => {
                    server.port = free_port();
                }
                result => return result.map(|()| server),
            }
        }
    }

    /// `redis://127.0.0.1:PORT/0` (never with the password).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The TCP port; it stays this server's across [`stop`](Self::stop) and
    /// [`start_again`](Self::start_again).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits for it to exit: connections are refused afterwards.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port and data dir (after [`stop`](Self::stop)) and
    /// waits (≤ 10 s) until it answers `PING`.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("redis-server on port {} is already running", self.port);
        }
        let conf = self.dir.path().join("redis.conf");
        let mut text = format!(
            "port {}\nbind 127.0.0.1\ndir \"{}\"\nsave \"\"\nappendonly no\ndaemonize no\n\
             protected-mode yes\nlogfile \"\"\n",
            self.port,
            self.dir.path().display()
        );
        if let Some(pw) = &self.password {
            text.push_str(&format!("requirepass \"{pw}\"\n"));
        }
        std::fs::write(&conf, text).context("writing redis.conf")?;
        let log = File::create(self.log_path()).context("creating redis.log")?;
        let mut child = Command::new(&self.bin)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", self.bin.display()))?;

        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "redis-server exited ({status}) before answering PING; its log:\n{}",
                    self.log()
                );
            }
            if self
                .query(&[&["PING"]])
                .await
                .is_ok_and(|r| r[0] == "+PONG")
            {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                kill_and_reap(&mut child);
                bail!(
                    "redis-server did not answer PING on port {} within 10 s; its log:\n{}",
                    self.port,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends each command on one new connection (after `AUTH` when the server has a password)
    /// and returns the replies: simple strings, errors and integers with their type byte
    /// (`+PONG`, `-ERR …`, `:1`), bulk strings as their contents (`$-1` for nil); arrays are
    /// not decoded (their header line is returned).
    pub async fn query(&self, commands: &[&[&str]]) -> anyhow::Result<Vec<String>> {
        let auth = self.password.as_deref().map(|pw| ["AUTH", pw]);
        let all: Vec<&[&str]> = auth
            .iter()
            .map(|a| &a[..])
            .chain(commands.iter().copied())
            .collect();
        let mut replies = resp(self.port, &all).await?;
        if auth.is_some() {
            let ok = replies.remove(0);
            if ok != "+OK" {
                bail!("AUTH failed: {ok}");
            }
        }
        Ok(replies)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    fn log(&self) -> String {
        read_lossy(&self.log_path())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            kill_and_reap(child);
        }
    }
}

/// Sends `commands` as RESP arrays on one connection to 127.0.0.1:`port` (≤ 5 s in all) and
/// reads one reply per command (see [`RedisServer::query`]).
async fn resp(port: u16, commands: &[&[&str]]) -> anyhow::Result<Vec<String>> {
    let exchange = async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut stream = BufReader::new(stream);
        let mut out = Vec::new();
        for cmd in commands {
            out.extend(format!("*{}\r\n", cmd.len()).into_bytes());
            for arg in *cmd {
                out.extend(format!("${}\r\n{arg}\r\n", arg.len()).into_bytes());
            }
        }
        stream.get_mut().write_all(&out).await?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            let mut line = String::new();
            if stream.read_line(&mut line).await? == 0 {
                bail!("the connection closed before a reply");
            }
            let line = line.trim_end().to_owned();
            match line.strip_prefix('$').map(str::parse::<usize>) {
                Some(Ok(len)) => {
                    let mut buf = vec![0; len + 2];
                    stream.read_exact(&mut buf).await?;
                    buf.truncate(len);
                    replies.push(String::from_utf8_lossy(&buf).into_owned());
                }
                _ => replies.push(line),
            }
        }
        Ok(replies)
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .context("redis did not reply within 5 s")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_binary_names_the_package() {
        let err = RedisServer::start_with(Path::new("/nonexistent/redis-server"), None)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/redis-server not found")
                && err.contains("apt-get install redis-server"),
            "{err}"
        );
    }
}
