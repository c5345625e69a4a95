//! The ServiceNow part of the tour: look for a known issue about the failed
//! deploy, then open the incident, with the human approval in the middle. The
//! incident number goes into the tour's facts, so the Jira bug and the page
//! that follow mention it; the description cites the failed CI run the GitHub
//! part found.

use connector_testkit::Client;
use mock_servicenow::MockServiceNow;
use serde_json::{Value, json};

use super::{Part, Tour, excerpt, ok};
use crate::incident::{INCIDENT_SUMMARY, KNOWLEDGE_QUERY, cut};
use crate::registry::BoxFuture;

/// The ServiceNow part, looking at mock ServiceNow's state.
pub struct Demo {
    state: MockServiceNow,
}

impl Demo {
    /// The part, checking its writes against `state`.
    pub fn new(state: &MockServiceNow) -> Self {
        Demo {
            state: state.clone(),
        }
    }
}

/// The incident's description (plain text), citing the failed CI run (from
/// the GitHub part's facts) and naming the known issue if found.
fn description(
    facts: &serde_json::Map<String, Value>,
    known_issue: Option<&(String, String)>,
) -> String {
    let mut text = String::from(
        "The checkout-api deploy at 14:02 failed its health check: GET /healthz timed out \
         after 30 s and the rollout stopped. Checkout answers 502 since 14:02.",
    );
    let fact = |key: &str| facts.get(key).and_then(Value::as_str);
    if let Some(run) = fact("failed_run") {
        text.push_str(&format!("\n\nFailed CI run: {run}"));
        if let Some(job) = fact("failed_job") {
            text.push_str(&format!("\nFailed job: {job}"));
        }
        if let Some(error) = fact("ci_error") {
            text.push_str(&format!("\nCI error: {error}"));
        }
    }
    if let Some((number, title)) = known_issue {
        text.push_str(&format!("\n\nPossibly the known issue {number}: {title}"));
    }
    text
}

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "servicenow"
    }

    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tour.step(
                "servicenow",
                &format!("search_knowledge \"{KNOWLEDGE_QUERY}\": is this a known issue?"),
            );
            let found = ok(
                "search_knowledge",
                client
                    .call(
                        "search_knowledge",
                        json!({"text": KNOWLEDGE_QUERY, "limit": 5}),
                    )
                    .await?,
            )?;
            let articles = found.structured["articles"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for a in &articles {
                tour.say(format!(
                    "{:<10} {}",
                    a["number"].as_str().unwrap_or("?"),
                    cut(a["title"].as_str().unwrap_or(""), 90)
                ));
            }
            let known_issue = articles.iter().find_map(|a| {
                let title = a["title"].as_str()?;
                let number = a["number"].as_str()?;
                title
                    .to_ascii_lowercase()
                    .starts_with("known issue")
                    .then(|| (number.to_owned(), title.to_owned()))
            });
            let Some((kb, _)) = &known_issue else {
                anyhow::bail!(
                    "search_knowledge found no known-issue article for {KNOWLEDGE_QUERY:?}: {}",
                    found.text
                );
            };
            tour.say(format!(
                "({kb} is a known issue with a workaround; the incident links it)"
            ));
            tour.facts.insert("known_issue".into(), json!(kb));

            let args = json!({
                "short_description": INCIDENT_SUMMARY,
                "description": description(&tour.facts, known_issue.as_ref()),
                "impact": 1,
                "urgency": 1,
            });
            tour.step(
                "servicenow",
                &format!("create_incident \"{INCIDENT_SUMMARY}\": first call, a preview only"),
            );
            let before = self.state.count("incident");
            let preview = ok(
                "create_incident",
                client.call("create_incident", args.clone()).await?,
            )?;
            let s = &preview.structured;
            tour.say(format!("status:  {}", s["status"].as_str().unwrap_or("?")));
            tour.say(format!(
                "preview: {}",
                cut(s["preview"]["summary"].as_str().unwrap_or("?"), 120)
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
                    "create_incident returned no confirmation token: {}",
                    preview.text
                );
            };
            tour.say(format!(
                "token:   {}… (single-use, expires {})",
                token.chars().take(16).collect::<String>(),
                s["expires_at"].as_str().unwrap_or("?")
            ));
            let after_preview = self.state.count("incident");
            tour.say(format!(
                "mock ServiceNow holds {after_preview} incidents, as before: nothing is created before approval"
            ));
            if after_preview != before {
                anyhow::bail!("the preview created an incident ({before} → {after_preview})");
            }

            tour.step(
                "servicenow",
                "create_incident again, with the token: THE HUMAN APPROVES HERE",
            );
            tour.say(
                ">> This is the step a human approves: the client shows the preview above and\n   \
                 sends the token back only if the person says yes. The demo says yes for you.",
            );
            let mut confirmed = args;
            confirmed["confirmation_token"] = json!(token);
            let done = ok(
                "create_incident",
                client.call("create_incident", confirmed).await?,
            )?;
            let d = &done.structured;
            let Some(number) = d["result"]["number"].as_str().map(str::to_owned) else {
                anyhow::bail!("create_incident returned no incident number: {}", done.text);
            };
            tour.say(format!(
                "status:  {}; created {} ({})",
                d["status"].as_str().unwrap_or("?"),
                number,
                cut(d["result"]["url"].as_str().unwrap_or("?"), 100)
            ));
            // The Jira bug's description and the page mention it.
            tour.facts.insert("incident".into(), json!(number));

            tour.step(
                "servicenow",
                &format!("get_incident {number}: the new incident, read back"),
            );
            let got = ok(
                "get_incident",
                client
                    .call("get_incident", json!({"id": number, "journal": 0}))
                    .await?,
            )?;
            let i = &got.structured;
            tour.say(format!(
                "{} · {} · {} · {}",
                i["number"].as_str().unwrap_or("?"),
                i["state"].as_str().unwrap_or("?"),
                i["priority"].as_str().unwrap_or("?"),
                i["short_description"].as_str().unwrap_or("?")
            ));
            let described = got.structured["description"].as_str().unwrap_or("");
            if let Some(run) = described.lines().find(|l| l.starts_with("Failed CI run:")) {
                tour.say(format!("description cites: {}", cut(run, 120)));
            }
            let last_line = described
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("");
            tour.say(format!("description: … {}", cut(last_line, 130)));

            let stored = self.state.query("incident", &format!("number={number}"));
            let [stored] = stored.as_slice() else {
                anyhow::bail!(
                    "mock ServiceNow holds {} incidents numbered {number} after the create",
                    stored.len()
                );
            };
            tour.say(format!(
                "mock ServiceNow now holds {}: \"{}\", impact {}, urgency {}, priority {}",
                stored["number"].as_str().unwrap_or("?"),
                stored["short_description"].as_str().unwrap_or("?"),
                stored["impact"].as_str().unwrap_or("?"),
                stored["urgency"].as_str().unwrap_or("?"),
                stored["priority"].as_str().unwrap_or("?")
            ));
            if stored["short_description"] != json!(INCIDENT_SUMMARY)
                || self.state.count("incident") != before + 1
            {
                anyhow::bail!(
                    "mock ServiceNow stored {number} differently: {}",
                    excerpt(stored, 300)
                );
            }
            Ok(())
        })
    }
}
