//! The CRM part of the tour: after the incident workflow, one read of who is
//! affected by the outage: the Acme account, its contacts and the open deals
//! at risk.

use connector_testkit::Client;
use serde_json::{Value, json};

use super::{Part, Tour, ok};
use crate::registry::BoxFuture;

/// The affected customer (the mock's first seeded company, "Acme Corp").
pub const ACCOUNT: &str = "Acme Corp";

/// The CRM part (reads only, so it needs no handle on the mock).
pub struct Demo;

impl Part for Demo {
    fn connector(&self) -> &'static str {
        "crm"
    }

    fn tour<'a>(
        &'a self,
        tour: &'a mut Tour,
        client: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tour.step(
                "crm",
                &format!("account_summary \"{ACCOUNT}\": who is affected by the outage"),
            );
            let summary = ok(
                "account_summary",
                client
                    .call("account_summary", json!({"company": ACCOUNT, "notes": 2}))
                    .await?,
            )?;
            let s = &summary.structured;
            let company = &s["company"];
            let id = company["id"].as_str().unwrap_or("?");
            if id != mock_crm::ACME_COMPANY_ID.to_string() {
                anyhow::bail!("account_summary found company {id}, not {ACCOUNT}");
            }
            let prop = |r: &Value, k: &str| r["properties"][k].as_str().unwrap_or("-").to_owned();
            tour.say(format!(
                "company:  {} (id {id}, {}, {})",
                company["title"].as_str().unwrap_or("?"),
                prop(company, "domain"),
                prop(company, "industry"),
            ));
            let contacts = s["contacts"].as_array().cloned().unwrap_or_default();
            let names: Vec<String> = contacts
                .iter()
                .take(3)
                .map(|c| format!("{} {}", prop(c, "firstname"), prop(c, "lastname")))
                .collect();
            tour.say(format!(
                "contacts: {} ({}{})",
                contacts.len(),
                names.join(", "),
                if contacts.len() > names.len() {
                    ", …"
                } else {
                    ""
                }
            ));
            let deals = s["open_deals"].as_array().cloned().unwrap_or_default();
            tour.say(format!("open deals at risk: {}", deals.len()));
            for d in &deals {
                tour.say(format!(
                    "  {:<36} {:>8}  {}",
                    prop(d, "dealname"),
                    prop(d, "amount"),
                    prop(d, "dealstage_label")
                ));
            }
            tour.say(format!(
                "recent notes: {} of {}",
                s["recent_notes"].as_array().map_or(0, Vec::len),
                s["notes_total"]
            ));
            if let Some(inc) = tour.facts.get("incident").and_then(Value::as_str) {
                tour.say(format!(
                    "(the account team can now reach out about {inc} before Acme notices the 502s)"
                ));
            }
            tour.facts.insert(
                "affected_account".into(),
                json!({"company": id, "contacts": contacts.len(), "open_deals": deals.len()}),
            );
            Ok(())
        })
    }
}
