//! Section 7: what the state store costs a confirmed write. The same zapier-mcp HTTP server,
//! started once per backend (`--state memory`, the default SQLite file, a real `redis-server`
//! on loopback), answers sequential `trigger_hook` calls with `--confirm off`: each call claims
//! its key in the store, sends one POST to mock-zapier, records the result and a receipt. The
//! memory figure is the baseline of the same run.

use std::time::Duration;

use serde_json::{Value, json};

use crate::progress;
use crate::sections::{Prepared, Section, Settings};
use crate::stats::{Summary, ratio, summarize};

pub fn state_writes(
    prepared: &[Prepared],
    s: &Settings,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Section> {
    let Some(zapier) = prepared.iter().find(|p| p.target.name == "zapier") else {
        return Ok(Section {
            key: "state",
            markdown: "## 7. State store cost of a confirmed write\n\nNot run: needs the zapier target (`--only zapier`).\n".into(),
            json: json!({"error": "zapier target not selected"}),
        });
    };
    let calls = if s.quick { 200 } else { 1000 };
    let redis = rt.block_on(connector_testkit::RedisServer::start())?;
    let dir = tempfile::tempdir()?;
    let backends = [
        ("memory", "memory".to_owned()),
        (
            "sqlite",
            format!("sqlite:{}", dir.path().join("zapier.sqlite3").display()),
        ),
        ("redis", redis.url()),
    ];
    let mut rows: Vec<(&str, Summary)> = Vec::new();
    for (name, url) in &backends {
        progress(&format!(
            "state: {calls} confirmed writes with --state {name}"
        ));
        let extra: Vec<String> = [
            "--state",
            url,
            "--confirm",
            "off",
            // The bench measures the store, not the upstream pacing.
            "--upstream-rate",
            "zapier:hook=1000000/s",
        ]
        .map(String::from)
        .to_vec();
        let server = zapier.http_server_with(s, &extra)?;
        let mcp = zapier.mcp(&server);
        let mut samples = rt.block_on(async {
            let args = |i: usize| -> Value {
                json!({"hook": "page-oncall", "payload": {"summary": format!("bench {i}"), "severity": "low"}})
            };
            for i in 0..20 {
                mcp.call(i as u64, "trigger_hook", &args(i)).await?;
            }
            let mut samples: Vec<Duration> = Vec::with_capacity(calls);
            for i in 0..calls {
                samples.push(mcp.call((100 + i) as u64, "trigger_hook", &args(i)).await?);
            }
            anyhow::Ok(samples)
        })?;
        rows.push((name, summarize(&mut samples)));
    }
    drop(redis);

    let base = rows[0].1;
    let mut md = format!(
        "## 7. State store cost of a confirmed write\n\n{calls} sequential `trigger_hook` calls over HTTP \
         (`--confirm off`: claim, one POST to mock-zapier, result and receipt recorded), after 20 warm-up \
         calls, per `--state` backend; redis-server on loopback; ratios against `memory` in the same run.\n\n\
         | --state | p50 | p99 | mean | p50 / memory | p99 / memory |\n|---|---|---|---|---|---|\n"
    );
    let mut out = serde_json::Map::new();
    for (name, sum) in &rows {
        md.push_str(&format!(
            "| {name} | {:.0} µs | {:.0} µs | {:.0} µs | {:.2}× | {:.2}× |\n",
            sum.p50_us,
            sum.p99_us,
            sum.mean_us,
            ratio(sum.p50_us, base.p50_us),
            ratio(sum.p99_us, base.p99_us)
        ));
        out.insert(
            (*name).to_owned(),
            json!({"summary": sum, "p50_ratio_to_memory": ratio(sum.p50_us, base.p50_us)}),
        );
    }
    Ok(Section {
        key: "state",
        markdown: md,
        json: Value::Object(out),
    })
}
