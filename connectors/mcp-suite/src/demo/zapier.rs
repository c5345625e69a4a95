//! The Zapier part of the tour: page the on-call through a catch hook, with
//! the human approval in the middle.

use std::path::{Path, PathBuf};

use connector_testkit::Client;
use mock_kit::Served;
use mock_zapier::MockZapier;
use serde_json::{Value, json};

use super::{Part, Tour, excerpt, ok};
use crate::registry::BoxFuture;

/// Mock Zapier and a hooks file pointing at it.
pub struct Demo {
    mock: Served,
    state: MockZapier,
    hooks: PathBuf,
}

impl Demo {
    /// Starts mock Zapier on 127.0.0.1:0 and writes the hooks file into `dir`.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let (mock, _kit, state) =
            mock_zapier::spawn_with_handles(mock_zapier::Options::default()).await?;
        let hooks = dir.join("hooks.toml");
        std::fs::write(&hooks, hooks_file(mock.url()))?;
        Ok(Demo { mock, state, hooks })
    }
}

/// The demo's hooks: `page-oncall` (validated payload) and `notify-channel`.
pub fn hooks_file(base: &str) -> String {
    format!(
        r#"# Written by `mcp-suite demo`: hooks pointing at the in-process mock Zapier.
[[hook]]
name = "page-oncall"
description = "Pages the on-call engineer through PagerDuty"
url = "{base}/hooks/catch/123456/pg0nc4ll/"
effect = "send"
[hook.schema]
type = "object"
required = ["summary", "severity", "service"]
additionalProperties = false
properties.summary = {{ type = "string", minLength = 1, maxLength = 200 }}
properties.severity = {{ enum = ["low", "high", "critical"] }}
properties.service = {{ type = "string", minLength = 1, maxLength = 64 }}

[[hook]]
name = "notify-channel"
description = "Posts a message to the #incidents Slack channel"
url = "{base}/hooks/catch/123456/n0t1fy/"
effect = "send"
[hook.schema]
type = "object"
required = ["text"]
properties.text = {{ type = "string", minLength = 1, maxLength = 2000 }}
"#
    )
}

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "zapier"
    }

    fn mock_url(&self) -> String {
        self.mock.url().to_owned()
    }

    fn section(&self) -> toml::Table {
        let mut t = toml::Table::new();
        t.insert(
            "hooks".into(),
            toml::Value::String(self.hooks.to_string_lossy().into_owned()),
        );
        t
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
                "hook": "page-oncall",
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
