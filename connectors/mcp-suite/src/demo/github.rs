//! The GitHub part of the tour, where the incident workflow starts: find the
//! newest failed Actions run of `acme/api`, see which job and step failed,
//! then read the tail of that job's log for the error. The run (id, link) and
//! the error go into the tour's facts, so the incident, the bug and the page
//! that follow mention them.

use connector_testkit::Client;
use serde_json::{Value, json};

use super::{Part, Tour, ok};
use crate::incident::{OWNER, REPO, TAIL_LINES, cut, error_line, strip_timestamp};
use crate::registry::BoxFuture;

/// How many of the fetched log lines the tour prints.
const SHOWN_LINES: usize = 6;

/// The GitHub part (reads only, so it needs no handle on the mock).
pub struct Demo;

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "github"
    }

    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tour.step(
                "github",
                &format!("list_workflow_runs {OWNER}/{REPO} status=failure: what failed in CI?"),
            );
            let list = ok(
                "list_workflow_runs",
                client
                    .call(
                        "list_workflow_runs",
                        json!({"owner": OWNER, "repo": REPO, "status": "failure", "per_page": 5}),
                    )
                    .await?,
            )?;
            let runs = list.structured["runs"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for r in &runs {
                tour.say(format!(
                    "run {:<8} {:<7} {:<8} {:<22} {}",
                    r["id"].as_u64().unwrap_or(0),
                    r["name"].as_str().unwrap_or("?"),
                    r["conclusion"].as_str().unwrap_or("?"),
                    cut(r["branch"].as_str().unwrap_or("?"), 22),
                    r["created_at"].as_str().unwrap_or("?")
                ));
            }
            // Newest first: the first failed run is the one to look at.
            let Some(run) = runs
                .iter()
                .find(|r| r["conclusion"].as_str() == Some("failure"))
            else {
                anyhow::bail!("list_workflow_runs found no failed run: {}", list.text);
            };
            let Some(run_id) = run["id"].as_u64() else {
                anyhow::bail!("list_workflow_runs returned a run without an id: {run}");
            };
            tour.say(format!(
                "(newest failure: run {run_id}, {} of {} failed runs)",
                run["name"].as_str().unwrap_or("?"),
                list.structured["total_count"]
            ));

            tour.step(
                "github",
                &format!("get_workflow_run {run_id}: which job and step failed"),
            );
            let detail = ok(
                "get_workflow_run",
                client
                    .call(
                        "get_workflow_run",
                        json!({"owner": OWNER, "repo": REPO, "run_id": run_id}),
                    )
                    .await?,
            )?;
            let d = &detail.structured;
            let url = d["run"]["url"].as_str().unwrap_or("").to_owned();
            tour.say(format!(
                "run {run_id} · {} · {} · {} @ {}",
                d["run"]["name"].as_str().unwrap_or("?"),
                d["run"]["conclusion"].as_str().unwrap_or("?"),
                d["run"]["branch"].as_str().unwrap_or("?"),
                d["run"]["head_sha"]
                    .as_str()
                    .unwrap_or("?")
                    .chars()
                    .take(7)
                    .collect::<String>()
            ));
            tour.say(format!("link: {}", cut(&url, 120)));
            let jobs = d["jobs"].as_array().cloned().unwrap_or_default();
            for j in &jobs {
                let steps: Vec<&str> = j["failed_steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let failed = if steps.is_empty() {
                    String::new()
                } else {
                    format!("  failed step: {}", cut(&steps.join(", "), 60))
                };
                tour.say(format!(
                    "job {:<8} {:<12} {}{failed}",
                    j["id"].as_u64().unwrap_or(0),
                    cut(j["name"].as_str().unwrap_or("?"), 12),
                    j["conclusion"].as_str().unwrap_or("?"),
                ));
            }
            let Some(job) = jobs
                .iter()
                .find(|j| j["conclusion"].as_str() == Some("failure"))
            else {
                anyhow::bail!("run {run_id} has no failed job: {}", detail.text);
            };
            let Some(job_id) = job["id"].as_u64() else {
                anyhow::bail!("get_workflow_run returned a job without an id: {job}");
            };
            let job_name = job["name"].as_str().unwrap_or("?").to_owned();
            let step_name = job["failed_steps"][0].as_str().unwrap_or("?").to_owned();

            tour.step(
                "github",
                &format!(
                    "get_job_logs {job_id} tail_lines={TAIL_LINES}: the end of the failed job's log"
                ),
            );
            let logs = ok(
                "get_job_logs",
                client
                    .call(
                        "get_job_logs",
                        json!({"owner": OWNER, "repo": REPO, "job_id": job_id, "tail_lines": TAIL_LINES}),
                    )
                    .await?,
            )?;
            let l = &logs.structured;
            let log = l["log"].as_str().unwrap_or("");
            tour.say(format!(
                "{} of {} lines fetched (truncated: {}); the last {SHOWN_LINES}:",
                l["lines"], l["total_lines"], l["truncated"]
            ));
            let tail: Vec<&str> = log.lines().collect();
            for line in &tail[tail.len().saturating_sub(SHOWN_LINES)..] {
                tour.say(format!("| {}", cut(strip_timestamp(line), 150)));
            }
            let Some(error) = error_line(log) else {
                anyhow::bail!("the log tail of job {job_id} shows no error line:\n{log}");
            };
            tour.say(format!("error line: {}", cut(&error, 150)));
            tour.say("(the incident, the bug and the page below cite this run and error)");

            // Later parts read these: the incident's description, the Jira
            // bug ("Failed CI run") and the page ("CI run N failed").
            tour.facts.insert("failed_run_id".into(), json!(run_id));
            tour.facts.insert(
                "failed_run".into(),
                json!(if url.is_empty() {
                    format!("run {run_id}")
                } else {
                    url.clone()
                }),
            );
            tour.facts.insert(
                "failed_job".into(),
                json!(format!("{job_name} (step {step_name})")),
            );
            tour.facts.insert("ci_error".into(), json!(error));
            Ok(())
        })
    }
}
