//! The Jira part of the tour: look at the open OPS issues, then file the bug
//! for the failed deploy, with the human approval in the middle.

use connector_testkit::Client;
use mock_jira::MockJira;
use serde_json::{Value, json};

use super::{Part, Tour, excerpt, ok};
use crate::incident::{BUG_SUMMARY, PROJECT, SEVERITY_FIELD, cut};
use crate::registry::BoxFuture;

/// The Jira part, looking at mock Jira's state.
pub struct Demo {
    state: MockJira,
}

impl Demo {
    /// The part, checking its writes against `state`.
    pub fn new(state: &MockJira) -> Self {
        Demo {
            state: state.clone(),
        }
    }
}

/// The bug's description, in Markdown (the connector converts it to ADF).
fn description(facts: &serde_json::Map<String, Value>) -> String {
    let mut text = String::from(
        "## What happened\n\n\
         The **checkout-api** deploy at 14:02 failed its health check: `GET /healthz` \
         timed out after 30 s and the rollout stopped.\n\n\
         - CI: the deploy job failed\n\
         - Impact: checkout answers *502* since 14:02\n\n\
         ## Next steps\n\n\
         1. Roll back to the previous release\n\
         2. Find why `/healthz` hangs (database pool?)\n",
    );
    for (key, label) in [
        ("failed_run", "Failed CI run"),
        ("ci_error", "CI error"),
        ("incident", "ServiceNow incident"),
    ] {
        if let Some(v) = facts.get(key).and_then(Value::as_str) {
            text.push_str(&format!("\n{label}: {v}\n"));
        }
    }
    text
}

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "jira"
    }

    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let jql =
                format!("project = {PROJECT} AND statusCategory != Done ORDER BY updated DESC");
            tour.step("jira", "search_issues: what is already open in OPS (JQL)");
            tour.say(format!("jql: {jql}"));
            let found = ok(
                "search_issues",
                client
                    .call("search_issues", json!({"jql": jql, "limit": 5}))
                    .await?,
            )?;
            let issues = found.structured["issues"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for i in &issues {
                tour.say(format!(
                    "{:<7} {:<12} {:<8} {}",
                    i["key"].as_str().unwrap_or("?"),
                    i["status"].as_str().unwrap_or("?"),
                    i["priority"].as_str().unwrap_or("-"),
                    cut(i["summary"].as_str().unwrap_or(""), 70)
                ));
            }
            tour.say(format!(
                "({} shown{}; none is about this deploy, so a new bug is filed)",
                issues.len(),
                if found.structured["next_cursor"].is_string() {
                    ", more with next_cursor"
                } else {
                    ""
                }
            ));

            tour.step("jira", "get_create_fields: what a Bug in OPS requires");
            let meta = ok(
                "get_create_fields",
                client
                    .call(
                        "get_create_fields",
                        json!({"project": PROJECT, "issue_type": "Bug"}),
                    )
                    .await?,
            )?;
            for f in meta.structured["fields"].as_array().into_iter().flatten() {
                if f["required"] != json!(true) {
                    continue;
                }
                let allowed: Vec<&str> = f["allowed_values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let line = format!(
                    "required {:<18} {:<10} {}",
                    f["id"].as_str().unwrap_or("?"),
                    f["name"].as_str().unwrap_or("?"),
                    if allowed.is_empty() {
                        String::new()
                    } else {
                        format!("one of {}", allowed.join(", "))
                    }
                );
                tour.say(line.trim_end());
            }
            tour.say(format!(
                "(project, type and summary are create_issue's own arguments, the reporter defaults to\n \
                 the caller; Severity goes in `fields`: {{\"{SEVERITY_FIELD}\": {{\"value\": \"Critical\"}}}})"
            ));

            let args = json!({
                "project": PROJECT,
                "issue_type": "Bug",
                "summary": BUG_SUMMARY,
                "description": description(&tour.facts),
                "priority": "Highest",
                "labels": ["incident", "checkout-api"],
                "fields": {SEVERITY_FIELD: {"value": "Critical"}},
            });
            tour.step(
                "jira",
                "create_issue \"Deploy failing: health check timeout\": first call, a preview only",
            );
            let before = self.state.issue_count();
            let preview = ok(
                "create_issue",
                client.call("create_issue", args.clone()).await?,
            )?;
            let s = &preview.structured;
            tour.say(format!("status:  {}", s["status"].as_str().unwrap_or("?")));
            tour.say(format!(
                "preview: {}",
                s["preview"]["summary"].as_str().unwrap_or("?")
            ));
            for change in s["preview"]["changes"].as_array().into_iter().flatten() {
                tour.say(format!(
                    "  {}: {}",
                    change["field"].as_str().unwrap_or("change"),
                    excerpt(&change["after"], 90)
                ));
            }
            let Some(token) = s["confirmation_token"].as_str() else {
                anyhow::bail!(
                    "create_issue returned no confirmation token: {}",
                    preview.text
                );
            };
            tour.say(format!(
                "token:   {}… (single-use, expires {})",
                token.chars().take(16).collect::<String>(),
                s["expires_at"].as_str().unwrap_or("?")
            ));
            let after_preview = self.state.issue_count();
            tour.say(format!(
                "mock Jira holds {after_preview} issues, as before: nothing is created before approval"
            ));
            if after_preview != before {
                anyhow::bail!("the preview created an issue ({before} → {after_preview})");
            }

            tour.step(
                "jira",
                "create_issue again, with the token: THE HUMAN APPROVES HERE",
            );
            tour.say(
                ">> This is the step a human approves: the client shows the preview above and\n   \
                 sends the token back only if the person says yes. The demo says yes for you.",
            );
            let mut confirmed = args;
            confirmed["confirmation_token"] = json!(token);
            let done = ok(
                "create_issue",
                client.call("create_issue", confirmed).await?,
            )?;
            let d = &done.structured;
            let Some(key) = d["result"]["key"].as_str().map(str::to_owned) else {
                anyhow::bail!("create_issue returned no issue key: {}", done.text);
            };
            tour.say(format!(
                "status:  {}; created {} ({})",
                d["status"].as_str().unwrap_or("?"),
                key,
                d["result"]["url"].as_str().unwrap_or("?")
            ));
            tour.facts.insert("jira_bug".into(), json!(key));

            tour.step("jira", &format!("get_issue {key}: the new bug, read back"));
            let got = ok(
                "get_issue",
                client
                    .call("get_issue", json!({"key": key, "comments": 0}))
                    .await?,
            )?;
            let g = &got.structured;
            tour.say(format!(
                "{} {} · {} · {} · {}",
                g["key"].as_str().unwrap_or("?"),
                g["issue_type"].as_str().unwrap_or("?"),
                g["status"].as_str().unwrap_or("?"),
                g["priority"].as_str().unwrap_or("?"),
                g["summary"].as_str().unwrap_or("?")
            ));
            let first_line = g["description"]
                .as_str()
                .unwrap_or("")
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("");
            tour.say(format!("description (Markdown): {}", cut(first_line, 100)));
            let transitions: Vec<&str> = g["transitions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str())
                .collect();
            tour.say(format!("transitions now: {}", transitions.join(", ")));

            let Some(stored) = self.state.issue(&key) else {
                anyhow::bail!("mock Jira has no issue {key} after the create");
            };
            tour.say(format!(
                "mock Jira now holds {}: {} \"{}\", severity {}, labels {}",
                stored["key"].as_str().unwrap_or("?"),
                stored["issuetype"].as_str().unwrap_or("?"),
                stored["summary"].as_str().unwrap_or("?"),
                stored["severity"].as_str().unwrap_or("none"),
                excerpt(&stored["labels"], 60)
            ));
            if stored["summary"] != json!(BUG_SUMMARY) || stored["severity"] != json!("Critical") {
                anyhow::bail!(
                    "mock Jira stored {key} differently: {}",
                    excerpt(&stored, 300)
                );
            }
            Ok(())
        })
    }
}
