//! The incident workflow through real MCP clients: three reads on GitHub,
//! one on ServiceNow, then three writes (incident, bug, page), each previewed
//! and approved; a failed or declined write rolls the earlier ones back.

use std::io::Write;

use anyhow::{Context, bail};
use connector_testkit::{Client, ClientOptions, ToolResult};
use mcp_suite::incident::{
    BUG_SUMMARY, INCIDENT_SUMMARY, KNOWLEDGE_QUERY, PROJECT, SEVERITY_FIELD, TAIL_LINES, cut,
    error_line,
};
use mcp_suite::local::PAGE_HOOK;
use serde_json::{Value, json};

use crate::approve::{Approve, Pending};
use crate::saga::{Compensation, Done, Saga, pick_close_transition};

/// What the workflow works on. The defaults match the mocks' seed.
#[derive(Debug, Clone)]
pub struct Params {
    /// GitHub owner of the repository whose failed run starts it.
    pub owner: String,
    /// GitHub repository.
    pub repo: String,
    /// Words to search ServiceNow's knowledge base for.
    pub knowledge_query: String,
    /// Jira project of the bug.
    pub project: String,
    /// zapier-mcp hook that pages the on-call.
    pub hook: String,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            owner: mcp_suite::incident::OWNER.to_owned(),
            repo: mcp_suite::incident::REPO.to_owned(),
            knowledge_query: KNOWLEDGE_QUERY.to_owned(),
            project: PROJECT.to_owned(),
            hook: PAGE_HOOK.to_owned(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every write went through.
    Completed {
        /// The writes, in order.
        done: Vec<Done>,
    },
    /// A write failed or was declined; the earlier writes were compensated.
    RolledBack {
        /// Why (the failed or declined write, in words).
        reason: String,
        /// The writes that had completed, in order.
        done: Vec<Done>,
        /// Compensating writes that went through.
        compensated: Vec<String>,
        /// Compensating writes that were declined or failed: the record
        /// they were meant to fix is left as it is (see the printed steps).
        left: Vec<String>,
    },
}

impl Outcome {
    /// The process exit code: 0 completed, 2 rolled back, 3 rolled back
    /// with some compensation left undone.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Completed { .. } => 0,
            Outcome::RolledBack { left, .. } if left.is_empty() => 2,
            Outcome::RolledBack { .. } => 3,
        }
    }
}

/// The MCP endpoints of the connectors the workflow uses.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `github-mcp`.
    pub github: String,
    /// `servicenow-mcp`.
    pub servicenow: String,
    /// `jira-mcp`.
    pub jira: String,
    /// `zapier-mcp`.
    pub zapier: String,
}

/// Why a write did not go through.
enum WriteError {
    /// The human said no: nothing was sent.
    Declined,
    /// The connector reported an error (its own words).
    Failed(String),
}

struct Clients {
    github: Client,
    servicenow: Client,
    jira: Client,
    zapier: Client,
}

impl Clients {
    fn get(&self, connector: &str) -> &Client {
        match connector {
            "github" => &self.github,
            "servicenow" => &self.servicenow,
            "jira" => &self.jira,
            "zapier" => &self.zapier,
            other => panic!("the workflow has no {other} client"),
        }
    }
}

/// One run: the clients, the approver, the output and the saga log.
struct Run<'a> {
    clients: Clients,
    approver: &'a mut dyn Approve,
    out: &'a mut (dyn Write + Send),
    saga: Saga,
    step: usize,
}

impl Run<'_> {
    fn step(&mut self, connector: &str, title: &str) {
        self.step += 1;
        let _ = writeln!(self.out, "\n[{}] {connector} · {title}", self.step);
    }

    fn say(&mut self, text: impl AsRef<str>) {
        for line in text.as_ref().lines() {
            let _ = writeln!(self.out, "    {line}");
        }
    }

    /// A read: its result, or the tool's error in its own words.
    async fn read(&self, connector: &str, tool: &str, args: Value) -> anyhow::Result<ToolResult> {
        let r = self
            .clients
            .get(connector)
            .call(tool, args)
            .await
            .with_context(|| format!("{connector} {tool}"))?;
        if r.is_error {
            bail!("{connector} {tool} failed: {}", r.text);
        }
        Ok(r)
    }

    /// A write, the two-call way: the first call returns the connector's
    /// preview and a single-use confirmation token and writes nothing; the
    /// approver sees the preview; only on yes is the same call repeated with
    /// the token. Returns the write's `result`.
    async fn write(
        &mut self,
        connector: &'static str,
        tool: &str,
        args: Value,
        compensation: bool,
    ) -> Result<Value, WriteError> {
        let client = self.clients.get(connector);
        let preview = match client.call(tool, args.clone()).await {
            Ok(r) if r.is_error => return Err(WriteError::Failed(r.text)),
            Ok(r) => r,
            Err(e) => return Err(WriteError::Failed(format!("{e:#}"))),
        };
        let s = &preview.structured;
        let Some(token) = s["confirmation_token"].as_str().map(str::to_owned) else {
            // Never the case with the token confirmation the suite runs
            // with; if a connector wrote without one, say so loudly.
            return Err(WriteError::Failed(format!(
                "{connector} {tool} answered without a preview (status {}): {}",
                s["status"], preview.text
            )));
        };
        let summary = s["preview"]["summary"].as_str().unwrap_or("?").to_owned();
        self.say(format!("preview: {}", cut(&summary, 140)));
        let changes: Vec<String> = s["preview"]["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let after = match &c["after"] {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                };
                format!(
                    "  {}: {}",
                    c["field"].as_str().unwrap_or("change"),
                    cut(&after.replace('\n', " ⏎ "), 110)
                )
            })
            .collect();
        for line in changes {
            self.say(line);
        }
        let tail: String = {
            let chars: Vec<char> = token.chars().collect();
            chars[chars.len().saturating_sub(10)..].iter().collect()
        };
        self.say(format!(
            "(nothing is written yet; confirmation token …{tail}, single-use, expires {})",
            s["expires_at"].as_str().unwrap_or("?")
        ));
        let _ = self.out.flush();
        let pending = Pending {
            connector,
            tool: tool.to_owned(),
            summary,
            compensation,
        };
        if !self.approver.approve(&pending) {
            self.say("declined: nothing was sent");
            return Err(WriteError::Declined);
        }
        self.say("approved");
        let mut confirmed = args;
        confirmed["confirmation_token"] = json!(token);
        let done = match self.clients.get(connector).call(tool, confirmed).await {
            Ok(r) if r.is_error => return Err(WriteError::Failed(r.text)),
            Ok(r) => r,
            Err(e) => return Err(WriteError::Failed(format!("{e:#}"))),
        };
        self.say(format!(
            "status: {}",
            done.structured["status"].as_str().unwrap_or("?")
        ));
        Ok(done.structured["result"].clone())
    }

    /// Rolls back every completed write, newest first, each compensation
    /// confirmed like any other write.
    async fn roll_back(&mut self, reason: String) -> Outcome {
        let plan = self.saga.compensations(&reason);
        let done = self.saga.done().to_vec();
        if done.is_empty() {
            self.step("stop", "before any write: nothing to compensate");
            self.say(format!("why: {reason}"));
        } else {
            self.step(
                "rollback",
                &format!("compensating {} earlier write(s), newest first", done.len()),
            );
            self.say(format!("why: {reason}"));
            self.say(format!(
                "saga log: {}",
                done.iter()
                    .map(Done::describe)
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
        let mut compensated = Vec::new();
        let mut left = Vec::new();
        for c in plan {
            let Compensation {
                connector,
                tool,
                mut args,
                what,
                undoes,
            } = c;
            self.step(connector, &format!("{tool}: {what} (compensates {undoes})"));
            if tool == "transition_issue"
                && let Some(key) = args["key"].as_str().map(str::to_owned)
            {
                match self
                    .read("jira", "get_transitions", json!({"key": key}))
                    .await
                {
                    Ok(list) => {
                        let transitions = list.structured["transitions"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        args["transition"] = json!(pick_close_transition(&transitions));
                    }
                    Err(e) => self.say(format!(
                        "(could not list {key}'s transitions, trying \"{}\": {e:#})",
                        args["transition"].as_str().unwrap_or("?")
                    )),
                }
            }
            match self.write(connector, tool, args, true).await {
                Ok(result) => {
                    self.say(format!("compensated: {what} ({})", summary_of(&result)));
                    compensated.push(what);
                }
                Err(WriteError::Declined) => {
                    self.say(format!("NOT compensated (declined): {what}"));
                    left.push(format!("{what}: declined"));
                }
                Err(WriteError::Failed(e)) => {
                    self.say(format!("NOT compensated: {what}: {}", cut(&e, 300)));
                    left.push(format!("{what}: {}", cut(&e, 300)));
                }
            }
        }
        Outcome::RolledBack {
            reason,
            done,
            compensated,
            left,
        }
    }
}

/// A short description of a write's result: its key, number or id.
fn summary_of(result: &Value) -> String {
    for k in ["key", "number", "id", "status"] {
        if let Some(v) = result[k].as_str() {
            return format!("{k} {v}");
        }
    }
    cut(&result.to_string(), 80)
}

/// What the reads found, for the writes to cite.
struct Facts {
    run_id: u64,
    run_url: String,
    job: String,
    error: String,
    known_issue: Option<(String, String)>,
}

/// Runs the workflow against `endpoints`: reads, then the three writes
/// through `approver`, rolling back on the first failed or declined write.
/// Progress goes to `out`. An error means a read or a connection failed
/// before any write.
pub async fn run(
    endpoints: &Endpoints,
    params: &Params,
    approver: &mut dyn Approve,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<Outcome> {
    let connect = |url: String| async move {
        Client::http(&url, None, ClientOptions::default())
            .await
            .with_context(|| format!("connecting an MCP client to {url}"))
    };
    let clients = Clients {
        github: connect(endpoints.github.clone()).await?,
        servicenow: connect(endpoints.servicenow.clone()).await?,
        jira: connect(endpoints.jira.clone()).await?,
        zapier: connect(endpoints.zapier.clone()).await?,
    };
    let mut run = Run {
        clients,
        approver,
        out,
        saga: Saga::default(),
        step: 0,
    };
    let facts = reads(&mut run, params).await?;
    let outcome = writes(&mut run, params, &facts).await;
    let Run { clients, .. } = run;
    for c in [
        clients.github,
        clients.servicenow,
        clients.jira,
        clients.zapier,
    ] {
        let _ = c.close().await;
    }
    Ok(outcome)
}

async fn reads(run: &mut Run<'_>, p: &Params) -> anyhow::Result<Facts> {
    let (owner, repo) = (&p.owner, &p.repo);
    run.step(
        "github",
        &format!("list_workflow_runs {owner}/{repo} status=failure"),
    );
    let list = run
        .read(
            "github",
            "list_workflow_runs",
            json!({"owner": owner, "repo": repo, "status": "failure", "per_page": 5}),
        )
        .await?;
    let runs = list.structured["runs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(failed) = runs
        .iter()
        .find(|r| r["conclusion"].as_str() == Some("failure"))
    else {
        bail!("{owner}/{repo} has no failed workflow run: nothing to respond to");
    };
    let Some(run_id) = failed["id"].as_u64() else {
        bail!("list_workflow_runs returned a run without an id: {failed}");
    };
    run.say(format!(
        "newest failed run: {run_id} ({}, branch {})",
        failed["name"].as_str().unwrap_or("?"),
        failed["branch"].as_str().unwrap_or("?")
    ));

    run.step(
        "github",
        &format!("get_workflow_run {run_id}: the failed job"),
    );
    let detail = run
        .read(
            "github",
            "get_workflow_run",
            json!({"owner": owner, "repo": repo, "run_id": run_id}),
        )
        .await?;
    let d = &detail.structured;
    let run_url = d["run"]["url"].as_str().unwrap_or("").to_owned();
    let jobs = d["jobs"].as_array().cloned().unwrap_or_default();
    let Some(job) = jobs
        .iter()
        .find(|j| j["conclusion"].as_str() == Some("failure"))
    else {
        bail!("run {run_id} has no failed job: {}", detail.text);
    };
    let Some(job_id) = job["id"].as_u64() else {
        bail!("get_workflow_run returned a job without an id: {job}");
    };
    let job_name = format!(
        "{} (step {})",
        job["name"].as_str().unwrap_or("?"),
        job["failed_steps"][0].as_str().unwrap_or("?")
    );
    run.say(format!("failed job: {job_id} {job_name}"));

    run.step(
        "github",
        &format!("get_job_logs {job_id} tail_lines={TAIL_LINES}: the log's tail"),
    );
    let logs = run
        .read(
            "github",
            "get_job_logs",
            json!({"owner": owner, "repo": repo, "job_id": job_id, "tail_lines": TAIL_LINES}),
        )
        .await?;
    let log = logs.structured["log"].as_str().unwrap_or("");
    let error = error_line(log).unwrap_or_else(|| "(no error line in the log tail)".to_owned());
    run.say(format!("error: {}", cut(&error, 150)));

    run.step(
        "servicenow",
        &format!("search_knowledge \"{}\": a known issue?", p.knowledge_query),
    );
    let found = run
        .read(
            "servicenow",
            "search_knowledge",
            json!({"text": p.knowledge_query, "limit": 5}),
        )
        .await?;
    let known_issue = found.structured["articles"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|a| {
            let title = a["title"].as_str()?;
            let number = a["number"].as_str()?;
            title
                .to_ascii_lowercase()
                .starts_with("known issue")
                .then(|| (number.to_owned(), title.to_owned()))
        });
    match &known_issue {
        Some((number, title)) => run.say(format!("{number}: {}", cut(title, 100))),
        None => run.say("no known-issue article matches"),
    }
    Ok(Facts {
        run_id,
        run_url,
        job: job_name,
        error,
        known_issue,
    })
}

async fn writes(run: &mut Run<'_>, p: &Params, f: &Facts) -> Outcome {
    let ci = if f.run_url.is_empty() {
        format!("run {}", f.run_id)
    } else {
        f.run_url.clone()
    };

    // 1. The ServiceNow incident.
    let mut description = format!(
        "Failed CI run: {ci}\nFailed job: {}\nCI error: {}",
        f.job, f.error
    );
    if let Some((number, title)) = &f.known_issue {
        description.push_str(&format!("\n\nPossibly the known issue {number}: {title}"));
    }
    run.step(
        "servicenow",
        &format!("create_incident \"{INCIDENT_SUMMARY}\""),
    );
    let incident = match run
        .write(
            "servicenow",
            "create_incident",
            json!({
                "short_description": INCIDENT_SUMMARY,
                "description": description,
                "impact": 1,
                "urgency": 1,
            }),
            false,
        )
        .await
    {
        Ok(result) => match result["number"].as_str() {
            Some(number) => number.to_owned(),
            None => {
                let reason = format!("create_incident returned no incident number: {result}");
                return run.roll_back(reason).await;
            }
        },
        Err(e) => return run.roll_back(reason("the ServiceNow incident", e)).await,
    };
    run.say(format!("created {incident}"));
    run.saga.record(Done::Incident {
        number: incident.clone(),
    });

    // 2. The Jira bug (with Severity when the project requires it).
    run.step("jira", &format!("create_issue Bug \"{BUG_SUMMARY}\""));
    let mut args = json!({
        "project": p.project,
        "issue_type": "Bug",
        "summary": BUG_SUMMARY,
        "description": format!(
            "The deploy failed its health check.\n\n- Failed CI run: {ci}\n- CI error: `{}`\n- ServiceNow incident: {incident}\n",
            f.error.replace('`', "'")
        ),
        "priority": "Highest",
        "labels": ["incident"],
    });
    if requires_severity(run, &p.project).await {
        args["fields"] = json!({SEVERITY_FIELD: {"value": "Critical"}});
    }
    let bug = match run.write("jira", "create_issue", args, false).await {
        Ok(result) => match result["key"].as_str() {
            Some(key) => key.to_owned(),
            None => {
                let reason = format!("create_issue returned no issue key: {result}");
                return run.roll_back(reason).await;
            }
        },
        Err(e) => return run.roll_back(reason("the Jira bug", e)).await,
    };
    run.say(format!("created {bug}"));
    run.saga.record(Done::JiraBug { key: bug.clone() });

    // 3. The page.
    run.step(
        "zapier",
        &format!("trigger_hook {}: page the on-call", p.hook),
    );
    let summary = format!(
        "checkout-api deploy failing (CI run {} failed), {incident}, {bug}",
        f.run_id
    );
    let page = run
        .write(
            "zapier",
            "trigger_hook",
            json!({
                "hook": p.hook,
                "payload": {"summary": cut(&summary, 200), "severity": "critical", "service": "checkout-api"},
            }),
            false,
        )
        .await;
    match page {
        Ok(result) => {
            let receipt = result["id"].as_str().unwrap_or("?").to_owned();
            run.say(format!("paged (receipt {receipt})"));
            run.saga.record(Done::Page { receipt });
        }
        Err(e) => return run.roll_back(reason("the on-call page", e)).await,
    }
    let done = run.saga.done().to_vec();
    run.step("done", "every write went through");
    run.say(
        done.iter()
            .map(Done::describe)
            .collect::<Vec<_>>()
            .join(" → "),
    );
    Outcome::Completed { done }
}

fn reason(what: &str, e: WriteError) -> String {
    match e {
        WriteError::Declined => format!("{what} was declined"),
        WriteError::Failed(text) => format!(
            "{what} failed: {}",
            cut(text.trim().trim_end_matches('.'), 300)
        ),
    }
}

/// Whether a Bug in `project` requires the Severity field (`get_create_fields`).
async fn requires_severity(run: &mut Run<'_>, project: &str) -> bool {
    match run
        .read(
            "jira",
            "get_create_fields",
            json!({"project": project, "issue_type": "Bug"}),
        )
        .await
    {
        Ok(meta) => meta.structured["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["id"] == json!(SEVERITY_FIELD) && f["required"] == json!(true)),
        Err(e) => {
            run.say(format!(
                "(get_create_fields failed, filing without Severity: {e:#})"
            ));
            false
        }
    }
}
