//! `bench`: the benchmark runner of the connector suite.
//!
//! ```text
//! cargo run --release -p bench -- all            # every section (builds what it starts)
//! cargo run --release -p bench -- all --quick    # a short smoke run
//! cargo run --release -p bench -- cold-start     # one section
//! ```
//!
//! It starts the mocks and the connectors itself (release binaries next to
//! its own executable), prints a Markdown report on stdout (progress goes to
//! stderr) and saves JSON and Markdown under `target/bench/`. Numbers are
//! reported next to a baseline measured in the same run, never asserted.
//! Connectors are entries in [`targets::TARGETS`].

mod http;
mod machine;
mod procs;
mod sections;
mod state;
mod stats;
mod targets;

use std::io::Write as _;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::json;

use crate::sections::{Prepared, Section, Settings};

/// Benchmarks the MCP connectors: cold start, memory, per-call overhead,
/// HTTP throughput, context cost and criterion micro-benchmarks.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Args {
    /// What to measure.
    #[arg(value_enum)]
    what: What,
    /// Short smoke run: fewer samples, 1 s per throughput level, 10 s soak.
    #[arg(long)]
    quick: bool,
    /// Length of the RSS soak in seconds (default 300, 10 with --quick).
    #[arg(long)]
    soak_secs: Option<u64>,
    /// Seconds per throughput level (default 5, 1 with --quick).
    #[arg(long)]
    throughput_secs: Option<f64>,
    /// Spawns per connector for the cold start (default 100, 30 with --quick; at least 30).
    #[arg(long)]
    spawns: Option<usize>,
    /// Only these connectors (names from the table: zapier, jira, servicenow, crm, github, mcp-suite).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// With `all`: leave out the criterion micro-benchmarks (run them with `bench micro`).
    #[arg(long)]
    skip_micro: bool,
    /// Do not build the release binaries first (by default the runner runs
    /// `cargo build --release -p <each connector and mock it starts>`).
    #[arg(long)]
    no_build: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    /// Every section, in order.
    All,
    /// 1. stdio spawn → first `tools/list` answer.
    ColdStart,
    /// 2. RSS idle and after 10,000 calls; binary sizes.
    Memory,
    /// 3. p50/p99 of a read tool over stdio and HTTP vs the direct call.
    Latency,
    /// 4. HTTP calls/s at 1, 16, 64 clients; CPU per call; RSS soak.
    Throughput,
    /// 5. `tools/list` bytes and estimated tokens.
    Context,
    /// 6. criterion micro-benchmarks (runs `cargo bench`).
    Micro,
    /// 7. confirmed-write latency per `--state` backend (memory, SQLite, Redis).
    State,
}

/// A progress line on stderr (stdout holds only the report).
#[allow(clippy::print_stderr)]
pub fn progress(msg: &str) {
    eprintln!("bench: {msg}");
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let quick = args.quick;
    let settings = Settings {
        quick,
        spawns: args.spawns.unwrap_or(if quick { 30 } else { 100 }).max(30),
        soak_secs: args
            .soak_secs
            .unwrap_or(if quick { 10 } else { 300 })
            .max(1),
        throughput_secs: args
            .throughput_secs
            .unwrap_or(if quick { 1.0 } else { 5.0 })
            .clamp(0.1, 600.0),
        ticks: procs::clock_ticks(),
    };
    let machine = machine::Machine::detect();
    let run = |w: What| args.what == What::All || args.what == w;

    let selected: Vec<targets::Target> = targets::TARGETS
        .iter()
        .filter(|t| args.only.is_empty() || args.only.iter().any(|o| o == t.name))
        .copied()
        .collect();
    anyhow::ensure!(
        !selected.is_empty(),
        "no connector matches --only {:?}; known: {}",
        args.only,
        targets::TARGETS
            .iter()
            .map(|t| t.name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let needs_processes = args.what != What::Micro;
    if needs_processes && !args.no_build {
        let mut binaries: Vec<&str> = Vec::new();
        for t in &selected {
            for b in std::iter::once(t.binary).chain(t.mocks.iter().map(|m| m.binary)) {
                if !binaries.contains(&b) {
                    binaries.push(b);
                }
            }
        }
        procs::build_release(&binaries)?;
    }
    let prepared: Vec<Prepared> = if needs_processes {
        selected
            .iter()
            .map(|t| Prepared::new(*t, &settings))
            .collect::<anyhow::Result<_>>()?
    } else {
        Vec::new()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;

    let mut out: Vec<Section> = Vec::new();
    if run(What::ColdStart) {
        out.push(sections::cold_start(&prepared, &settings, &rt)?);
    }
    if run(What::Memory) {
        out.push(sections::memory(&prepared, &settings, &rt)?);
    }
    if run(What::Latency) {
        out.push(sections::latency(&prepared, &settings, &rt)?);
    }
    if run(What::Throughput) {
        out.push(sections::throughput(&prepared, &settings, &rt)?);
    }
    if run(What::Context) {
        out.push(sections::context(&prepared, &settings, &rt)?);
    }
    if run(What::Micro) && !(args.skip_micro && args.what == What::All) {
        match sections::micro(&settings) {
            Ok(s) => out.push(s),
            // The other sections stand on their own; say what to run instead.
            Err(e) if args.what == What::All => {
                progress(&format!("micro-benchmarks skipped: {e:#}"));
                out.push(Section {
                    key: "micro",
                    markdown: format!(
                        "## 6. Micro-benchmarks\n\nNot run ({e}); run \
                         `cargo bench -p connector-confirm -p connector-kit -p zapier-mcp -p jira-mcp -p servicenow-mcp`.\n"
                    ),
                    json: json!({"error": e.to_string()}),
                });
            }
            Err(e) => return Err(e),
        }
    }
    if run(What::State) {
        out.push(state::state_writes(&prepared, &settings, &rt)?);
    }
    drop(prepared);

    let mode = if quick { "quick" } else { "full" };
    let mut md = machine.markdown();
    md.push_str(&format!(
        "- mode: {mode} (`bench {}`); connectors: {}\n",
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        selected
            .iter()
            .map(|t| t.binary)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for s in &out {
        md.push('\n');
        md.push_str(&s.markdown);
    }
    let mut sections_json = serde_json::Map::new();
    for s in &out {
        sections_json.insert(s.key.to_owned(), s.json.clone());
    }
    let report = json!({
        "machine": machine,
        "mode": mode,
        "settings": {
            "spawns": settings.spawns, "soak_secs": settings.soak_secs,
            "throughput_secs": settings.throughput_secs,
        },
        "sections": sections_json,
    });

    // target/release/bench → target/bench/results-<date>.json
    let dir = procs::bin_dir()?
        .parent()
        .context("no target directory")?
        .join("bench");
    std::fs::create_dir_all(&dir)?;
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let json_path = dir.join(format!("results-{date}.json"));
    let md_path = dir.join(format!("results-{date}.md"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(&md_path, &md)?;

    // The report on stdout stays free of this machine's paths; where it was saved is progress.
    std::io::stdout().lock().write_all(md.as_bytes())?;
    progress(&format!(
        "saved {} and {}",
        json_path.display(),
        md_path.display()
    ));
    Ok(())
}
