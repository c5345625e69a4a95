//! Child processes and what `/proc` says about them: binaries next to our own
//! executable, servers that print their URL first, raw JSON-RPC over stdio,
//! RSS and CPU time.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The protocol version written in the hand-made `initialize`.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// The directory holding our own executable (`target/release`), where the
/// sibling release binaries are.
pub fn bin_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench executable")?;
    exe.parent()
        .map(Path::to_path_buf)
        .context("the bench executable has no parent directory")
}

/// The path of a sibling binary, or an error telling the user how to build it.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let path = bin_dir()?.join(name);
    if !path.is_file() {
        bail!(
            "{} not found next to the bench binary; run without --no-build, or build it with\n\n    cargo build --release --workspace\n",
            path.display()
        );
    }
    Ok(path)
}

/// Builds the release binaries the run needs (`cargo build --release -p …`, each package named
/// like its binary) into the target directory this executable lives in, so one
/// `cargo run --release -p bench -- all` works from a clean clone. A no-op when they are fresh.
pub fn build_release(binaries: &[&str]) -> anyhow::Result<()> {
    let bin_dir = bin_dir()?;
    anyhow::ensure!(
        bin_dir.file_name().is_some_and(|n| n == "release"),
        "the bench runner must be a release build (cargo run --release -p bench); it is in {}",
        bin_dir.display()
    );
    let target_dir = bin_dir.parent().context("no target directory")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("no workspace root")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root).args(["build", "--release"]);
    for binary in binaries {
        cmd.args(["-p", binary]);
    }
    crate::progress(&format!("building: {cmd:?}"));
    let status = cmd
        .stdout(std::io::stderr())
        .stdin(Stdio::null())
        .env("CARGO_TARGET_DIR", target_dir)
        .status()
        .with_context(|| format!("running {cargo} build"))?;
    anyhow::ensure!(status.success(), "cargo build failed ({status})");
    Ok(())
}

/// Resident set size of `pid` in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// Anonymous resident memory of `pid` in KiB (`RssAnon`: heap, stacks, dirtied
/// data; what each process adds, as opposed to the binary's file-backed pages,
/// which the page cache shares between processes running the same binary).
pub fn rss_anon_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Clock ticks per second for `/proc/<pid>/stat` (from `getconf CLK_TCK`, else 100).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// User + system CPU seconds used by `pid` so far (`utime + stime`).
pub fn cpu_secs(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// Kills a child when dropped or when its time limit passes, so that no
/// blocking read on its pipes can hang the run.
#[derive(Debug)]
struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn new(child: Arc<Mutex<Child>>, limit: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Either the owner stops us (or goes away), or the limit passes.
            let _ = rx.recv_timeout(limit);
            if let Ok(mut c) = child.lock() {
                let _ = c.kill();
                let _ = c.wait();
            }
        });
        Watchdog {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        // Wait for the kill, so the next measurement does not share the CPU
        // with a process still shutting down.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A server process that printed its URL as the first stdout line (the
/// convention of the connectors' HTTP mode and of the mocks). Killed on drop.
#[derive(Debug)]
pub struct Server {
    pub url: String,
    pub pid: u32,
    _watchdog: Watchdog,
}

impl Server {
    /// Starts `bin args…` and waits up to 20 s for the URL line; the process is
    /// killed after `limit` at the latest.
    pub fn start(bin: &Path, args: &[String], limit: Duration) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take().context("no stdout")?;
        let child = Arc::new(Mutex::new(child));
        let watchdog = Watchdog::new(child, limit);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut first = String::new();
            let _ = lines.read_line(&mut first);
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            let mut sink = Vec::new();
            let _ = lines.read_to_end(&mut sink);
        });
        let url = rx
            .recv_timeout(Duration::from_secs(20))
            .with_context(|| format!("{} printed no URL within 20 s", bin.display()))?;
        let url = url.trim().to_owned();
        if url.is_empty() {
            bail!("{} exited before printing its URL", bin.display());
        }
        Ok(Server {
            url,
            pid,
            _watchdog: watchdog,
        })
    }
}

/// A connector over stdio, driven by hand-written JSON-RPC lines (no MCP
/// client library in the timed path). Killed on drop.
#[derive(Debug)]
pub struct StdioSession {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub pid: u32,
    next_id: u64,
    line: String,
    _watchdog: Watchdog,
}

impl StdioSession {
    /// Spawns `bin args…` with piped stdin/stdout (stderr discarded); the
    /// process is killed after `limit` at the latest.
    pub fn spawn(bin: &Path, args: &[String], limit: Duration) -> anyhow::Result<StdioSession> {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let pid = child.id();
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = BufReader::with_capacity(1 << 16, child.stdout.take().context("no stdout")?);
        let watchdog = Watchdog::new(Arc::new(Mutex::new(child)), limit);
        Ok(StdioSession {
            stdin,
            stdout,
            pid,
            next_id: 1,
            line: String::with_capacity(1 << 14),
            _watchdog: watchdog,
        })
    }

    fn write(&mut self, msg: &Value) -> anyhow::Result<()> {
        let mut text = serde_json::to_vec(msg)?;
        text.push(b'\n');
        self.stdin.write_all(&text)?;
        self.stdin.flush()?;
        Ok(())
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: &Value) -> anyhow::Result<()> {
        self.write(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request and reads lines until its response; returns the raw
    /// response line's length and its parsed JSON.
    pub fn request(&mut self, method: &str, params: &Value) -> anyhow::Result<(usize, Value)> {
        let id = self.next_id;
        self.next_id += 1;
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            self.line.clear();
            let n = self.stdout.read_line(&mut self.line)?;
            if n == 0 {
                bail!("the connector closed stdout while {method} was pending");
            }
            let v: Value = match serde_json::from_str(&self.line) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(err) = v.get("error") {
                    bail!("{method} failed: {err}");
                }
                return Ok((self.line.trim_end().len(), v));
            }
        }
    }

    /// `initialize` (waiting for its answer) then `notifications/initialized`.
    pub fn handshake(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            &json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": env!("CARGO_PKG_VERSION")}
            }),
        )?;
        self.notify("notifications/initialized", &json!({}))
    }

    /// `tools/call`; fails on a JSON-RPC error or an `isError` result.
    pub fn call(&mut self, tool: &str, args: &Value) -> anyhow::Result<()> {
        let (_, v) = self.request("tools/call", &json!({"name": tool, "arguments": args}))?;
        if v["result"]["isError"].as_bool() == Some(true) {
            bail!("{tool} returned a tool error: {}", v["result"]);
        }
        Ok(())
    }
}

/// Runs `bin args…` to completion with stdout read to the end, returning the
/// elapsed time (the cold-start baseline). Killed after 20 s.
pub fn run_to_exit(bin: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("spawning {}", bin.display()))?;
    let mut stdout = child.stdout.take().context("no stdout")?;
    let child = Arc::new(Mutex::new(child));
    let watchdog = Watchdog::new(child.clone(), Duration::from_secs(20));
    let mut sink = Vec::new();
    stdout.read_to_end(&mut sink)?;
    let status = child
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .wait()?;
    let elapsed = start.elapsed();
    drop(watchdog);
    if !status.success() {
        bail!("{} {args:?} exited with {status}", bin.display());
    }
    Ok(elapsed)
}
