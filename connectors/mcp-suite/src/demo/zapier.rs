//! The Zapier part of the tour: page the on-call through a catch hook, with
//! the human approval in the middle.

use connector_testkit::Client;
use mock_zapier::MockZapier;
use serde_json::{Value, json};

use super::{Part, Tour, excerpt, ok};
use crate::local::PAGE_HOOK;
use crate::registry::BoxFuture;

/// The Zapier part, looking at what mock Zapier received.
pub struct Demo {
    state: MockZapier,
}

impl Demo {
    /// The part, checking its deliveries against `state`.
    pub fn new(state: &MockZapier) -> Self {
        Demo {
            state: state.clone(),
        }
    }
}

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "zapier"
    }

    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tour.step(
                "zapier",
                "list_hooks: which hooks may be triggered, and their payloads",
            );
            let hooks = ok("list_hooks", client.call("list_hooks", json!({})).await?)?;
            for h in hooks.structured["hooks"].as_array().into_iter().flatten() {
                let fields: Vec<&str> = h["payload_schema"]["properties"]
                    .as_object()
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                tour.say(format!(
                    "{:<15} {} (effect {}, tier {}; payload: {})",
                    h["name"].as_str().unwrap_or("?"),
                    h["description"].as_str().unwrap_or(""),
                    h["effect"].as_str().unwrap_or("?"),
                    h["tier"],
                    fields.join(", ")
                ));
            }

            // Earlier parts of the workflow (GitHub, ServiceNow, Jira) leave
            // their record ids in the facts; the page mentions them when present.
            let run = match tour.facts.get("failed_run_id").and_then(Value::as_u64) {
                Some(id) => format!("CI run {id} failed"),
                None => "CI run failed".to_owned(),
            };
            let mut summary = format!("checkout-api: 502s since the 14:02 deploy ({run})");
            for key in ["incident", "jira_bug"] {
                if let Some(id) = tour.facts.get(key).and_then(Value::as_str) {
                    summary.push_str(&format!(", {id}"));
                }
            }
            let args = json!({
                "hook": PAGE_HOOK,
                "payload": {"summary": summary, "severity": "critical", "service": "checkout-api"},
            });
            tour.step(
                "zapier",
                "trigger_hook \"page the on-call\": first call, a preview only",
            );
            let preview = ok(
                "trigger_hook",
                client.call("trigger_hook", args.clone()).await?,
            )?;
            let s = &preview.structured;
            tour.say(format!("status:  {}", s["status"].as_str().unwrap_or("?")));
            tour.say(format!("page:    \"{summary}\""));
            tour.say(format!(
                "preview: {}",
                s["preview"]["summary"].as_str().unwrap_or("?")
            ));
            for change in s["preview"]["changes"].as_array().into_iter().flatten() {
                tour.json(
                    &format!("  {}", change["field"].as_str().unwrap_or("change")),
                    &change["after"],
                );
            }
            let Some(token) = s["confirmation_token"].as_str() else {
                anyhow::bail!(
                    "trigger_hook returned no confirmation token: {}",
                    preview.text
                );
            };
            tour.say(format!(
                "token:   {}… (single-use, expires {})",
                token.chars().take(16).collect::<String>(),
                s["expires_at"].as_str().unwrap_or("?")
            ));
            tour.say(format!(
                "mock Zapier has received {} deliveries: nothing is sent before approval",
                self.state.deliveries().len()
            ));

            tour.step(
                "zapier",
                "trigger_hook again, with the token: THE HUMAN APPROVES HERE",
            );
            tour.say(
                ">> This is the step a human approves: the client shows the preview above and\n   \
                 sends the token back only if the person says yes. The demo says yes for you.",
            );
            let mut confirmed = args;
            confirmed["confirmation_token"] = json!(token);
            let done = ok(
                "trigger_hook",
                client.call("trigger_hook", confirmed).await?,
            )?;
            let d = &done.structured;
            tour.say(format!(
                "status:  {}; receipt {}, Zapier id {}",
                d["status"].as_str().unwrap_or("?"),
                d["result"]["id"].as_str().unwrap_or("?"),
                d["result"]["zapier_id"].as_str().unwrap_or("?")
            ));
            tour.say("(\"received\" means Zapier queued it, not that the Zap has finished)");
            if let Some(id) = d["result"]["id"].as_str() {
                tour.facts.insert("zapier_delivery".into(), json!(id));
            }

            tour.step("zapier", "list_deliveries: the receipts this server keeps");
            let list = ok(
                "list_deliveries",
                client.call("list_deliveries", json!({"limit": 5})).await?,
            )?;
            for r in list.structured["deliveries"]
                .as_array()
                .into_iter()
                .flatten()
            {
                tour.say(format!(
                    "{}  hook {}  {}  confirmed via {} by {}",
                    r["id"].as_str().unwrap_or("?"),
                    r["hook"].as_str().unwrap_or("?"),
                    r["status"].as_str().unwrap_or("?"),
                    r["confirmed_via"].as_str().unwrap_or("?"),
                    r["principal"].as_str().unwrap_or("?")
                ));
            }

            tour.step("zapier", "what mock Zapier actually received");
            let received = self.state.deliveries();
            for r in &received {
                tour.say(format!(
                    "delivery received: hook {}/{} at {} (id {})",
                    r.account,
                    r.hook,
                    r.received_at.format("%H:%M:%S"),
                    r.id
                ));
                tour.say(format!("body: {}", excerpt(&r.body, 120)));
            }
            if received.len() != 1 {
                anyhow::bail!(
                    "mock Zapier received {} deliveries; the tour expects exactly one",
                    received.len()
                );
            }
            Ok(())
        })
    }
}
