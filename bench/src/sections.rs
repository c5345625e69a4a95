//! The measurements, one function per report section. Each returns Markdown
//! and JSON; timings are reported, never asserted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use crate::http::{self, McpHttp};
use crate::procs::{self, Server, StdioSession};
use crate::stats::{Summary, ratio, summarize};
use crate::targets::{Direct, Kind, Target};

/// One section of the report.
#[derive(Debug)]
pub struct Section {
    pub key: &'static str,
    pub markdown: String,
    pub json: Value,
}

/// Run-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub quick: bool,
    pub spawns: usize,
    pub soak_secs: u64,
    pub throughput_secs: f64,
    pub ticks: f64,
}

/// A target with its mocks running and its arguments written.
#[derive(Debug)]
pub struct Prepared {
    pub target: Target,
    pub bin: PathBuf,
    pub args: Vec<String>,
    pub mock_urls: Vec<String>,
    pub mock_bins: Vec<PathBuf>,
    mocks: Vec<Server>,
    _dir: tempfile::TempDir,
}

/// Longest any child may live: the soak plus generous slack.
fn child_limit(s: &Settings) -> Duration {
    Duration::from_secs(s.soak_secs + 600)
}

impl Prepared {
    pub fn new(target: Target, s: &Settings) -> anyhow::Result<Prepared> {
        let bin = procs::sibling(target.binary)?;
        let mut mocks = Vec::new();
        let mut mock_bins = Vec::new();
        for m in target.mocks {
            let mbin = procs::sibling(m.binary)?;
            let args: Vec<String> = m.args.iter().map(|a| (*a).to_owned()).collect();
            mocks.push(Server::start(&mbin, &args, child_limit(s))?);
            mock_bins.push(mbin);
        }
        let mock_urls: Vec<String> = mocks.iter().map(|m| m.url.clone()).collect();
        let dir = tempfile::tempdir()?;
        let args = (target.args)(&mock_urls, dir.path())?;
        Ok(Prepared {
            target,
            bin,
            args,
            mock_urls,
            mock_bins,
            mocks,
            _dir: dir,
        })
    }

    fn stdio(&self, s: &Settings) -> anyhow::Result<StdioSession> {
        StdioSession::spawn(&self.bin, &self.args, child_limit(s))
    }

    fn http_server(&self, s: &Settings) -> anyhow::Result<Server> {
        self.http_server_with(s, &[])
    }

    /// [`Prepared::http_server`] with `extra` arguments.
    pub fn http_server_with(&self, s: &Settings, extra: &[String]) -> anyhow::Result<Server> {
        let mut args = self.args.clone();
        args.extend(extra.iter().cloned());
        if self.target.has_stdio() {
            args.extend(["--transport", "http"].map(String::from));
        }
        args.extend(
            [
                "--listen",
                "127.0.0.1:0",
                // The inbound per-caller limit (default 50/s) would answer 429
                // to a load test; lift it.
                "--rate-limit",
                "1000000000",
            ]
            .map(String::from),
        );
        if !self.target.has_stdio() {
            args.push("serve".into());
        }
        Server::start(&self.bin, &args, child_limit(s))
    }

    /// The MCP endpoint of the read tool on a server started by
    /// [`Prepared::http_server`]: the printed URL, or for the suite
    /// `/<mount>/mcp` on the printed origin.
    pub fn mcp(&self, server: &Server) -> McpHttp {
        McpHttp {
            client: http::client(),
            url: match self.target.kind {
                Kind::Single => server.url.clone(),
                Kind::Suite { mount } => format!("{}/{mount}/mcp", origin(&server.url)),
            },
        }
    }

    fn mock_pid(&self) -> Option<u32> {
        self.mocks.first().map(|m| m.pid)
    }

    /// Sequential calls for the per-call loops: all of `full`, or
    /// [`PACED_CALLS`] when the read tool is held to an upstream quota.
    fn calls(&self, full: usize, s: &Settings) -> usize {
        match self.target.upstream_quota {
            None => full,
            Some(_) if s.quick => full.min(PACED_CALLS / 5),
            Some(_) => full.min(PACED_CALLS),
        }
    }

    /// The interval between sequential calls: none, or 80 % of the upstream
    /// quota, so that the limiter never holds a call back.
    fn pace(&self) -> Option<Duration> {
        self.target
            .upstream_quota
            .map(|q| Duration::from_secs_f64(1.0 / (q * 0.8)))
    }

    fn pace_note(&self, n: usize) -> String {
        match self.target.upstream_quota {
            Some(q) => format!(
                "{n} calls paced at {:.1}/s (the read tool's upstream quota is {q:.0}/s)",
                q * 0.8
            ),
            None => format!("{n} calls"),
        }
    }
}

/// Sequential calls per loop for connectors whose read tool is held to an
/// upstream quota (10,000 calls at 20/s would take more than 8 minutes).
const PACED_CALLS: usize = 250;

/// Soak length for connectors whose read tool is held to an upstream quota.
const PACED_SOAK_SECS: u64 = 30;

/// `scheme://host:port` of `url`.
fn origin(url: &str) -> String {
    let url = url.trim();
    let url = url.find("http").map_or(url, |i| &url[i..]);
    let url = url.split_whitespace().next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

/// Sleeps until `start + interval × i` (blocking).
fn pace_blocking(start: Instant, interval: Option<Duration>, i: usize) {
    if let Some(iv) = interval {
        let at = start + iv * u32::try_from(i).unwrap_or(u32::MAX);
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }
}

/// Sleeps until `start + interval × i` (async).
async fn pace_async(start: Instant, interval: Option<Duration>, i: usize) {
    if let Some(iv) = interval {
        let at = start + iv * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(at.into()).await;
    }
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn f1(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{x:.1}")
    }
}

fn f2(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{x:.2}")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// `METHOD /path` with the query elided, for the tables.
fn short_request(d: &Direct) -> String {
    let path = d.path();
    match path.split_once('?') {
        Some((p, _)) => format!("{} {p}?…", d.method),
        None => format!("{} {path}", d.method),
    }
}

/// Section 1: spawn → first `tools/list` answer over stdio (HTTP for the suite).
pub fn cold_start(
    targets: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    let mut md = String::from(
        "## 1. Cold start (spawn → first `tools/list` answer)\n\n\
         Single binaries over stdio: timed from `spawn` until the `tools/list` response line is \
         read; the client writes `initialize`, waits for its answer, then writes \
         `notifications/initialized` and `tools/list` as raw JSON-RPC lines. `mcp-suite` is HTTP \
         only, so it has no stdio cold start: its row is spawn → endpoint URLs printed → \
         `tools/list` answered over HTTP on its first mount (a different path, not comparable \
         with the stdio rows). Baselines in the same run, interleaved spawn by spawn: the mock \
         binary's `--help` (a Rust binary of this workspace that only prints) and `/bin/true`.\n\n\
         | connector | path | spawns | median ms | p95 ms | baseline `<mock> --help` median ms | ratio (median) | `/bin/true` median ms |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut rows = Vec::new();
    let truebin = Path::new("/bin/true");
    for p in targets {
        crate::progress(&format!(
            "cold start: {} × {} spawns",
            p.target.binary, s.spawns
        ));
        let baseline_bin = p
            .mock_bins
            .first()
            .cloned()
            .unwrap_or_else(|| p.bin.clone());
        let once = || -> anyhow::Result<Duration> {
            if p.target.has_stdio() {
                Ok(first_tools_list(p, s)?.0)
            } else {
                let start = Instant::now();
                let server = p.http_server(s)?;
                let mcp = p.mcp(&server);
                rt.block_on(mcp.request(1, "tools/list", json!({})))?;
                let t = start.elapsed();
                drop(server);
                Ok(t)
            }
        };
        // One unmeasured round to warm the page cache.
        let _ = procs::run_to_exit(truebin, &[])?;
        let _ = procs::run_to_exit(&baseline_bin, &["--help"])?;
        let _ = once()?;
        let (mut conn, mut base, mut tru) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..s.spawns {
            tru.push(procs::run_to_exit(truebin, &[])?);
            base.push(procs::run_to_exit(&baseline_bin, &["--help"])?);
            conn.push(once()?);
        }
        let (c, b, t) = (
            summarize(&mut conn),
            summarize(&mut base),
            summarize(&mut tru),
        );
        let r = ratio(c.p50_us, b.p50_us);
        let path = if p.target.has_stdio() {
            "stdio".to_owned()
        } else {
            "HTTP start (stdio n/a)".to_owned()
        };
        let _ = writeln!(
            md,
            "| {} | {path} | {} | {} | {} | {} | {}× | {} |",
            p.target.name,
            c.n,
            ms(c.p50_us),
            ms(c.p95_us),
            ms(b.p50_us),
            f1(r),
            ms(t.p50_us)
        );
        rows.push(json!({
            "connector": p.target.name, "binary": p.target.binary, "path": path,
            "tools_list": c, "baseline_help": b, "baseline_bin_true": t,
            "ratio_median_vs_help": r,
        }));
    }
    Ok(Section {
        key: "cold_start",
        markdown: md,
        json: Value::Array(rows),
    })
}

/// Spawns the connector and times spawn → `tools/list` answer; returns the
/// time, the response line's bytes and the live session.
fn first_tools_list(p: &Prepared, s: &Settings) -> anyhow::Result<(Duration, usize, StdioSession)> {
    let start = Instant::now();
    let mut sess = p.stdio(s)?;
    sess.handshake()?;
    let (bytes, _) = sess.request("tools/list", &json!({}))?;
    Ok((start.elapsed(), bytes, sess))
}

/// Section 2: RSS idle and after 10,000 calls; binary sizes.
pub fn memory(
    targets: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    const CALLS: usize = 10_000;
    let mut md = String::from(
        "## 2. Memory and binary size\n\n\
         RSS is `VmRSS` from `/proc/<pid>/status` of the stdio process (of the HTTP server for \
         `mcp-suite`): idle after `tools/list`, then after sequential `tools/call`s of the read \
         tool (10,000, or fewer and paced where the read tool is held to an upstream quota). \
         `RssAnon` is the anonymous part (heap, stacks, dirtied data); the rest are the binary's \
         and libraries' file-backed pages, shared by every process running the same binary. \
         Baseline in the same run: the idle RSS of the connector's (first) mock, an axum server \
         built from this workspace, measured at the same moment.\n\n\
         | connector | process | read tool | calls | idle RSS MiB | idle RssAnon MiB | baseline mock idle RSS MiB | ratio | RSS after calls MiB | binary MiB | mock binaries MiB |\n\
         |---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut rows = Vec::new();
    for p in targets {
        let n = p.calls(CALLS, s);
        let pace = p.pace();
        crate::progress(&format!(
            "memory: {} idle and after {n} calls",
            p.target.binary
        ));
        let args = (p.target.read_args)();
        let tool = p.target.read_tool;
        let (idle, anon, mock, after, process) = if p.target.has_stdio() {
            let (_, _, mut sess) = first_tools_list(p, s)?;
            std::thread::sleep(Duration::from_millis(300));
            let idle = procs::rss_kib(sess.pid).context("reading VmRSS")?;
            let anon = procs::rss_anon_kib(sess.pid).context("reading RssAnon")?;
            let mock = p.mock_pid().and_then(procs::rss_kib);
            let start = Instant::now();
            for i in 0..n {
                pace_blocking(start, pace, i);
                sess.call(tool, &args)?;
            }
            std::thread::sleep(Duration::from_millis(300));
            let after = procs::rss_kib(sess.pid).context("reading VmRSS")?;
            (idle, anon, mock, after, "stdio")
        } else {
            let server = p.http_server(s)?;
            let mcp = p.mcp(&server);
            rt.block_on(mcp.request(1, "tools/list", json!({})))?;
            std::thread::sleep(Duration::from_millis(300));
            let idle = procs::rss_kib(server.pid).context("reading VmRSS")?;
            let anon = procs::rss_anon_kib(server.pid).context("reading RssAnon")?;
            let mock = p.mock_pid().and_then(procs::rss_kib);
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..n {
                    pace_async(start, pace, i).await;
                    mcp.call(i as u64 + 2, tool, &args).await?;
                }
                anyhow::Ok(())
            })?;
            std::thread::sleep(Duration::from_millis(300));
            let after = procs::rss_kib(server.pid).context("reading VmRSS")?;
            (idle, anon, mock, after, "HTTP server")
        };
        let size = std::fs::metadata(&p.bin)?.len();
        let mock_size: u64 = p
            .mock_bins
            .iter()
            .filter_map(|b| std::fs::metadata(b).ok())
            .map(|m| m.len())
            .sum();
        let _ = writeln!(
            md,
            "| {} | {process} | `{tool}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.target.name,
            p.pace_note(n),
            mib(idle),
            mib(anon),
            mock.map_or_else(|| "n/a".to_owned(), mib),
            mock.map_or_else(
                || "n/a".to_owned(),
                |m| format!("{}×", f2(ratio(idle as f64, m as f64)))
            ),
            mib(after),
            mib(size / 1024),
            mib(mock_size / 1024)
        );
        rows.push(json!({
            "connector": p.target.name, "process": process, "read_tool": tool,
            "rss_idle_kib": idle, "rss_anon_idle_kib": anon, "mock_rss_idle_kib": mock,
            "rss_after_calls_kib": after, "calls": n,
            "paced_per_sec": pace.map(|d| 1.0 / d.as_secs_f64()),
            "binary_bytes": size, "mock_binary_bytes": mock_size,
        }));
    }
    Ok(Section {
        key: "memory",
        markdown: md,
        json: Value::Array(rows),
    })
}

/// Section 3: per-call latency over stdio and HTTP next to the direct call.
pub fn latency(
    targets: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    let full = if s.quick { 2_000 } else { 10_000 };
    let mut md = format!(
        "## 3. Per-call overhead ({full} sequential calls each after 200 warm-up calls; paced \
         connectors: {PACED_CALLS} calls after 10, at 80 % of the upstream quota, on every path)\n\n\
         | connector | path | request | calls | p50 µs | p99 µs | p50 ratio vs direct | p99 ratio vs direct | p50 overhead µs |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|\n"
    );
    let mut notes = String::new();
    let mut rows = Vec::new();
    for p in targets {
        crate::progress(&format!(
            "latency: {} stdio / http / direct",
            p.target.binary
        ));
        let args = (p.target.read_args)();
        let tool = p.target.read_tool;
        let n = p.calls(full, s);
        let warm = if p.pace().is_some() { 10 } else { 200 };
        let pace = p.pace();

        // stdio: blocking writes and reads on the pipes.
        let stdio = if p.target.has_stdio() {
            let (_, _, mut sess) = first_tools_list(p, s)?;
            let start = Instant::now();
            for i in 0..warm {
                pace_blocking(start, pace, i);
                sess.call(tool, &args)?;
            }
            let mut v = Vec::with_capacity(n);
            for i in warm..(warm + n) {
                pace_blocking(start, pace, i);
                let t = Instant::now();
                sess.call(tool, &args)?;
                v.push(t.elapsed());
            }
            drop(sess);
            Some(summarize(&mut v))
        } else {
            None
        };

        // HTTP and direct, sequential, one client each with the same settings.
        let server = p.http_server(s)?;
        let mcp = p.mcp(&server);
        let d = (p.target.direct)(&p.mock_urls);
        let (http_sum, direct_sum) = rt.block_on(async {
            let mut v = Vec::with_capacity(n);
            let start = Instant::now();
            for i in 0..(warm + n) {
                pace_async(start, pace, i).await;
                let t = mcp.call(i as u64 + 1, tool, &args).await?;
                if i >= warm {
                    v.push(t);
                }
            }
            let http_sum = summarize(&mut v);
            let client = http::client();
            let mut v = Vec::with_capacity(n);
            let start = Instant::now();
            for i in 0..(warm + n) {
                pace_async(start, pace, i).await;
                let t = http::direct(&client, &d).await?;
                if i >= warm {
                    v.push(t);
                }
            }
            anyhow::Ok((http_sum, summarize(&mut v)))
        })?;
        drop(server);

        let request = format!("`tools/call {tool}`");
        if stdio.is_none() {
            let _ = writeln!(
                md,
                "| {} | stdio | n/a (HTTP only) | | | | | | |",
                p.target.name
            );
        }
        for (path, sum) in [("stdio", stdio.as_ref()), ("http", Some(&http_sum))] {
            let Some(sum) = sum else { continue };
            let _ = writeln!(
                md,
                "| {} | {path} | {request} | {} | {} | {} | {}× | {}× | {} |",
                p.target.name,
                sum.n,
                f1(sum.p50_us),
                f1(sum.p99_us),
                f2(ratio(sum.p50_us, direct_sum.p50_us)),
                f2(ratio(sum.p99_us, direct_sum.p99_us)),
                f1(sum.p50_us - direct_sum.p50_us),
            );
        }
        let _ = writeln!(
            md,
            "| {} | direct | `{}` to the mock | {} | {} | {} | 1.00× | 1.00× | 0 |",
            p.target.name,
            short_request(&d),
            direct_sum.n,
            f1(direct_sum.p50_us),
            f1(direct_sum.p99_us),
        );
        let _ = writeln!(notes, "\n{}: {}", p.target.name, p.target.compared);
        let st = |f: fn(&Summary) -> f64| stdio.as_ref().map(|x| ratio(f(x), f(&direct_sum)));
        rows.push(json!({
            "connector": p.target.name, "tool": tool,
            "read_reaches_upstream": p.target.read_reaches_upstream(),
            "paced_per_sec": pace.map(|d| 1.0 / d.as_secs_f64()),
            "stdio": stdio, "http": http_sum, "direct": direct_sum,
            "direct_request": format!("{} {}", d.method, d.url),
            "ratio_p50_stdio": st(|x| x.p50_us),
            "ratio_p50_http": ratio(http_sum.p50_us, direct_sum.p50_us),
            "ratio_p99_stdio": st(|x| x.p99_us),
            "ratio_p99_http": ratio(http_sum.p99_us, direct_sum.p99_us),
            "compared": p.target.compared,
        }));
    }
    md.push_str(
        "\nWhat is compared: HTTP MCP calls and direct calls use the same client \
         (`connector_kit::connector::base_http_client()`, keep-alive, one connection) and the \
         same headers the connector sends; stdio calls write one JSON-RPC line and read one. \
         Paced loops leave the connection idle between calls on every path alike.\n",
    );
    md.push_str(&notes);
    Ok(Section {
        key: "latency",
        markdown: md,
        json: Value::Array(rows),
    })
}

/// The outcome of one load run.
#[derive(Debug, Clone, serde::Serialize)]
struct Load {
    concurrency: usize,
    secs: f64,
    ok: u64,
    errors: u64,
    calls_per_sec: f64,
    latency: Summary,
    server_cpu_secs: f64,
    server_cpu_secs_per_1000: f64,
    client_cpu_secs: f64,
    first_error: Option<String>,
}

/// What a load run sends.
#[derive(Debug, Clone)]
enum Work {
    Mcp(McpHttp, &'static str, Value),
    Direct(reqwest::Client, crate::targets::Direct),
}

impl Work {
    async fn once(&self, id: u64) -> anyhow::Result<Duration> {
        match self {
            Work::Mcp(m, tool, args) => m.call(id, tool, args).await,
            Work::Direct(c, d) => http::direct(c, d).await,
        }
    }
}

/// `c` clients calling in a loop for `secs` (after a short warm-up).
async fn load(work: &Work, c: usize, secs: f64, pid: u32, ticks: f64, keep: bool) -> Load {
    let warm_until = Instant::now() + Duration::from_millis(300);
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(parking_mutex());
    let run = |until: Instant, record: bool| {
        let mut tasks = Vec::new();
        for i in 0..c {
            let work = work.clone();
            let errors = errors.clone();
            let first_error = first_error.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut ok = 0u64;
                let mut id = (i as u64) << 40;
                while Instant::now() < until {
                    id += 1;
                    match work.once(id).await {
                        Ok(t) => {
                            ok += 1;
                            if record && keep {
                                lat.push(t);
                            }
                        }
                        Err(e) => {
                            if record {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert_with(|| e.to_string());
                            }
                            // Do not spin on a failing server.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                (ok, lat)
            }));
        }
        tasks
    };
    for t in run(warm_until, false) {
        let _ = t.await;
    }
    errors.store(0, Ordering::Relaxed);
    let cpu0 = procs::cpu_secs(pid, ticks).unwrap_or(f64::NAN);
    let self0 = procs::cpu_secs(std::process::id(), ticks).unwrap_or(f64::NAN);
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let mut ok = 0;
    let mut lat = Vec::new();
    for t in run(until, true) {
        if let Ok((n, l)) = t.await {
            ok += n;
            lat.extend(l);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = procs::cpu_secs(pid, ticks).unwrap_or(f64::NAN) - cpu0;
    let self_cpu = procs::cpu_secs(std::process::id(), ticks).unwrap_or(f64::NAN) - self0;
    let first_error = first_error.lock().ok().and_then(|f| f.clone());
    Load {
        concurrency: c,
        secs: elapsed,
        ok,
        errors: errors.load(Ordering::Relaxed),
        calls_per_sec: ok as f64 / elapsed,
        latency: summarize(&mut lat),
        server_cpu_secs: cpu,
        server_cpu_secs_per_1000: ratio(cpu * 1000.0, ok as f64),
        client_cpu_secs: self_cpu,
        first_error,
    }
}

fn parking_mutex() -> std::sync::Mutex<Option<String>> {
    std::sync::Mutex::new(None)
}

/// Section 4: HTTP throughput at 1, 16 and 64 clients, and an RSS soak.
pub fn throughput(
    targets: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    const LEVELS: [usize; 3] = [1, 16, 64];
    const SOAK_CLIENTS: usize = 64;
    let mut md = format!(
        "## 4. HTTP throughput (stateless streamable HTTP, {:.0} s per level, load generator in the same machine)\n\n\
         CPU is `utime + stime` of the server process from `/proc/<pid>/stat`. The mock row is the \
         direct upstream request against the mock at the same concurrency, measured in the same run.\n\n\
         | connector | server | request | clients | calls/s | p50 µs | p99 µs | errors | server CPU s / 1,000 calls | load-generator CPU s |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        s.throughput_secs
    );
    let mut soak_md = format!(
        "\n### Soak: RSS of the HTTP server under {SOAK_CLIENTS} clients for {} s (sampled every second)\n\n\
         Connectors whose read tool is held to an upstream quota soak for at most {PACED_SOAK_SECS} s \
         (their calls/s is the quota, not the server).\n\n\
         | connector | secs | calls | calls/s | errors | RSS idle MiB | RSS start MiB | RSS peak MiB | RSS end MiB | end vs start |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        s.soak_secs
    );
    let mut rows = Vec::new();
    let mut limited = Vec::new();
    let mut error_notes = String::new();
    for p in targets {
        let server = p.http_server(s)?;
        let mcp = p.mcp(&server);
        let tool = p.target.read_tool;
        let work = Work::Mcp(mcp.clone(), tool, (p.target.read_args)());
        let d = (p.target.direct)(&p.mock_urls);
        let direct = Work::Direct(http::client(), d.clone());
        let mut levels = Vec::new();
        let mut errors_seen = Vec::new();
        for c in LEVELS {
            crate::progress(&format!("throughput: {} with {c} clients", p.target.binary));
            let l = rt.block_on(load(&work, c, s.throughput_secs, server.pid, s.ticks, true));
            let _ = writeln!(
                md,
                "| {} | {} | `tools/call {tool}` | {c} | {:.0} | {} | {} | {} | {} | {} |",
                p.target.name,
                p.target.binary,
                l.calls_per_sec,
                f1(l.latency.p50_us),
                f1(l.latency.p99_us),
                l.errors,
                format_args!("{:.3}", l.server_cpu_secs_per_1000),
                f2(l.client_cpu_secs),
            );
            errors_seen.extend(l.first_error.clone());
            levels.push(l);
        }
        let mut mock_levels = Vec::new();
        if let Some(mock_pid) = p.mock_pid() {
            for c in LEVELS {
                crate::progress(&format!("throughput: mock direct with {c} clients"));
                let l = rt.block_on(load(&direct, c, s.throughput_secs, mock_pid, s.ticks, true));
                let _ = writeln!(
                    md,
                    "| {} | {} (direct) | `{}` | {c} | {:.0} | {} | {} | {} | {} | {} |",
                    p.target.name,
                    p.target.mocks[0].binary,
                    short_request(&d),
                    l.calls_per_sec,
                    f1(l.latency.p50_us),
                    f1(l.latency.p99_us),
                    l.errors,
                    format_args!("{:.3}", l.server_cpu_secs_per_1000),
                    f2(l.client_cpu_secs),
                );
                errors_seen.extend(l.first_error.clone());
                mock_levels.push(l);
            }
        }

        // Soak: RSS sampled every second under load.
        let soak_secs = if p.target.read_reaches_upstream() {
            s.soak_secs.min(PACED_SOAK_SECS)
        } else {
            s.soak_secs
        };
        crate::progress(&format!(
            "soak: {} for {soak_secs} s with {SOAK_CLIENTS} clients",
            p.target.binary
        ));
        let idle = procs::rss_kib(server.pid).unwrap_or(0);
        let pid = server.pid;
        let ticks = s.ticks;
        let (soak, samples) = rt.block_on(async {
            let sampler = tokio::spawn(async move {
                let mut samples = Vec::new();
                let end = Instant::now() + Duration::from_secs(soak_secs);
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                while Instant::now() < end {
                    tick.tick().await;
                    if let Some(r) = procs::rss_kib(pid) {
                        samples.push(r);
                    }
                }
                samples
            });
            let l = load(&work, SOAK_CLIENTS, soak_secs as f64, pid, ticks, false).await;
            (l, sampler.await.unwrap_or_default())
        });
        let start = samples.first().copied().unwrap_or(0);
        let end = samples.last().copied().unwrap_or(0);
        let peak = samples.iter().copied().max().unwrap_or(0);
        let drift = ratio(end as f64 - start as f64, start as f64) * 100.0;
        let _ = writeln!(
            soak_md,
            "| {} | {soak_secs} | {} | {:.0} | {} | {} | {} | {} | {} | {}{} % |",
            p.target.name,
            soak.ok,
            soak.calls_per_sec,
            soak.errors,
            mib(idle),
            mib(start),
            mib(peak),
            mib(end),
            if drift >= 0.0 { "+" } else { "" },
            f1(drift)
        );
        errors_seen.extend(soak.first_error.clone());
        if let Some(e) = errors_seen.first() {
            // After the table, not inside it (a blank line would end it).
            let _ = writeln!(error_notes, "\n{}: first error seen: {e}", p.target.name);
        }
        if let Some(q) = p.target.upstream_quota {
            limited.push(format!(
                "{} (`{tool}`: {q:.0}/s on its upstream scope)",
                p.target.name
            ));
        }
        rows.push(json!({
            "connector": p.target.name, "tool": tool,
            "upstream_quota_per_sec": p.target.upstream_quota,
            "levels": levels, "mock_direct_levels": mock_levels,
            "soak": {
                "clients": SOAK_CLIENTS, "secs": soak.secs, "planned_secs": soak_secs, "calls": soak.ok,
                "calls_per_sec": soak.calls_per_sec, "errors": soak.errors,
                "rss_idle_kib": idle, "rss_start_kib": start, "rss_peak_kib": peak,
                "rss_end_kib": end, "rss_drift_pct": drift, "rss_samples_kib": samples,
            },
        }));
        drop(server);
    }
    md.push_str(&error_notes);
    if !limited.is_empty() {
        let _ = writeln!(
            md,
            "\nThrottled by the upstream limiter: every call of these read tools takes a token \
             from the connector's upstream rate limiter (`connector-ratelimit`; the kit's default \
             is 25/s per scope, crm-mcp sets HubSpot's 9/s), which no command-line flag lifts. \
             Their MCP calls/s is that quota whatever the concurrency, and the waiting shows in \
             p50/p99; it says nothing about the server's own capacity, which the in-memory rows \
             (zapier, mcp-suite) measure: {}.",
            limited.join("; ")
        );
    }
    md.push_str(&soak_md);
    md.push_str(
        "\nThe load generator (this process, tokio, reqwest with the connectors' client settings) \
         shares the cores with the server, so calls/s is a lower bound of what the server can do.\n",
    );
    Ok(Section {
        key: "throughput",
        markdown: md,
        json: Value::Array(rows),
    })
}

/// Section 5: `tools/list` size per connector and per toolset.
pub fn context(
    targets: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    let mut md = String::from(
        "## 5. Context cost (`tools/list`)\n\n\
         Per tool from `<binary> tools --json` (bytes of each tool's JSON; tokens estimated as \
         bytes / 4, rounded up), summed per toolset; the last row per connector is the whole \
         `tools/list` JSON-RPC response line as read over stdio (for `mcp-suite`, the JSON \
         response body of each mount over HTTP). Every tool enabled (no `--toolsets` / \
         `--read-only` filter).\n\n\
         | connector | toolset | tools | bytes | est. tokens |\n|---|---|---:|---:|---:|\n",
    );
    let mut rows = Vec::new();
    for p in targets {
        crate::progress(&format!("context: {} tools --json", p.target.binary));
        let mut args = p.args.clone();
        args.extend(["tools".to_owned(), "--json".to_owned()]);
        let out = std::process::Command::new(&p.bin)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .with_context(|| format!("running {} tools --json", p.target.binary))?;
        anyhow::ensure!(
            out.status.success(),
            "{} tools --json exited with {}",
            p.target.binary,
            out.status
        );
        let v: Value = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("{} tools --json printed no JSON", p.target.binary))?;
        // Single binaries print `{"tools": [...]}`; the suite one array whose
        // rows name their `connector`.
        let tools = v
            .as_array()
            .or_else(|| v["tools"].as_array())
            .cloned()
            .unwrap_or_default();
        let mut by_set: std::collections::BTreeMap<String, (usize, u64, u64)> = Default::default();
        let mut mounts: Vec<String> = Vec::new();
        for t in &tools {
            let set = t["toolset"].as_str().unwrap_or("?");
            let key = match t["connector"].as_str() {
                Some(c) => {
                    if !mounts.iter().any(|m| m == c) {
                        mounts.push(c.to_owned());
                    }
                    format!("{c} / {set}")
                }
                None => set.to_owned(),
            };
            let e = by_set.entry(key).or_default();
            e.0 += 1;
            e.1 += t["schema_bytes"].as_u64().unwrap_or(0);
            e.2 += t["est_tokens"].as_u64().unwrap_or(0);
        }
        let mut sets = Vec::new();
        for (set, (n, bytes, tokens)) in &by_set {
            let _ = writeln!(
                md,
                "| {} | {set} | {n} | {bytes} | {tokens} |",
                p.target.name
            );
            sets.push(json!({"toolset": set, "tools": n, "bytes": bytes, "est_tokens": tokens}));
        }
        let total_bytes: u64 = by_set.values().map(|x| x.1).sum();
        let total_tokens: u64 = by_set.values().map(|x| x.2).sum();
        let _ = writeln!(
            md,
            "| {} | **all** | {} | {total_bytes} | {total_tokens} |",
            p.target.name,
            tools.len()
        );
        let mut responses = Vec::new();
        if p.target.has_stdio() {
            let (_, line_bytes, _) = first_tools_list(p, s)?;
            let _ = writeln!(
                md,
                "| {} | `tools/list` response line (stdio) | {} | {line_bytes} | {} |",
                p.target.name,
                tools.len(),
                line_bytes.div_ceil(4)
            );
            responses.push(json!({"path": "stdio", "bytes": line_bytes}));
        } else {
            let server = p.http_server(s)?;
            let origin = origin(&server.url);
            for m in &mounts {
                let mcp = McpHttp {
                    client: http::client(),
                    url: format!("{origin}/{m}/mcp"),
                };
                let (bytes, result) = rt.block_on(mcp.request_sized(1, "tools/list", json!({})))?;
                let n = result["tools"].as_array().map_or(0, Vec::len);
                let _ = writeln!(
                    md,
                    "| {} | `tools/list` response (HTTP `/{m}/mcp`) | {n} | {bytes} | {} |",
                    p.target.name,
                    bytes.div_ceil(4)
                );
                responses.push(json!({"path": format!("/{m}/mcp"), "bytes": bytes, "tools": n}));
            }
        }
        rows.push(json!({
            "connector": p.target.name, "toolsets": sets, "tools": tools,
            "total_bytes": total_bytes, "total_est_tokens": total_tokens,
            "tools_list_responses": responses,
        }));
    }
    Ok(Section {
        key: "context",
        markdown: md,
        json: Value::Array(rows),
    })
}

/// The criterion benches run by `micro`: (package, bench target).
const MICRO: &[(&str, &str)] = &[
    ("connector-confirm", "confirm_seal"),
    ("connector-kit", "kit_hot_paths"),
    ("zapier-mcp", "zapier_validation"),
    ("jira-mcp", "adf_conversion"),
    ("servicenow-mcp", "query_building"),
];

/// Section 6: runs the criterion benches and tabulates their medians.
pub fn micro(s: &Settings) -> anyhow::Result<Section> {
    let bin_dir = procs::bin_dir()?;
    // target/release/bench → target (wherever CARGO_TARGET_DIR put it).
    let target_dir = bin_dir.parent().context("no target dir")?.to_path_buf();
    // bench/ → the workspace root.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("no workspace root")?
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = std::time::SystemTime::now();
    let mut cmd = std::process::Command::new(&cargo);
    cmd.current_dir(&root).arg("bench");
    for (pkg, bench) in MICRO {
        cmd.args(["-p", pkg, "--bench", bench]);
    }
    cmd.arg("--");
    if s.quick {
        cmd.args(["--warm-up-time", "0.5", "--measurement-time", "1"]);
    }
    crate::progress(&format!("micro: {cmd:?}"));
    let status = cmd
        .stdout(std::io::stderr())
        .stdin(std::process::Stdio::null())
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .with_context(|| format!("running {cargo} bench"))?;
    anyhow::ensure!(status.success(), "cargo bench failed ({status})");

    let mut results = Vec::new();
    collect_estimates(&target_dir.join("criterion"), started, &mut results);
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut md = String::from(
        "## 6. Micro-benchmarks (criterion, median per iteration)\n\n\
         | benchmark | median | 95 % CI |\n|---|---:|---|\n",
    );
    let mut rows = Vec::new();
    for (id, med, lo, hi) in &results {
        let _ = writeln!(md, "| `{id}` | {} | {} – {} |", ns(*med), ns(*lo), ns(*hi));
        rows.push(json!({"id": id, "median_ns": med, "ci_low_ns": lo, "ci_high_ns": hi}));
    }
    md.push_str(
        "\nBenches: `confirm_seal` (connector-confirm: argument digest, token seal and open), \
         `kit_hot_paths` (connector-kit: audit record write, untrusted-text sanitising), \
         `zapier_validation` (argument validation), `adf_conversion` (jira-mcp: Markdown ↔ ADF \
         and wiki) and `query_building` (servicenow-mcp: encoded queries).\n",
    );
    Ok(Section {
        key: "micro",
        markdown: md,
        json: Value::Array(rows),
    })
}

fn ns(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} ms", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.2} µs", x / 1e3)
    } else {
        format!("{x:.0} ns")
    }
}

/// Finds `<id>/new/estimates.json` files written since `since`.
fn collect_estimates(
    dir: &Path,
    since: std::time::SystemTime,
    out: &mut Vec<(String, f64, f64, f64)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let est = path.join("estimates.json");
            let fresh = std::fs::metadata(&est)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= since);
            if !fresh {
                continue;
            }
            let id = std::fs::read_to_string(path.join("benchmark.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .and_then(|v| v["full_id"].as_str().map(str::to_owned))
                .unwrap_or_else(|| {
                    path.parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                });
            if let Some(v) = std::fs::read_to_string(&est)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            {
                let m = &v["median"];
                out.push((
                    id,
                    m["point_estimate"].as_f64().unwrap_or(f64::NAN),
                    m["confidence_interval"]["lower_bound"]
                        .as_f64()
                        .unwrap_or(f64::NAN),
                    m["confidence_interval"]["upper_bound"]
                        .as_f64()
                        .unwrap_or(f64::NAN),
                ));
            }
        } else if path.file_name().is_some_and(|n| n != "report") {
            collect_estimates(&path, since, out);
        }
    }
}
