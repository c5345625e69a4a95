//! Toolset `accounts`: one call that assembles what a model needs to reason
//! about a customer account (e.g. "renewal risk for Acme").

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Crm;
use crate::client::{ObjectKind, Query};
use crate::tools::{ID_PATTERN, NoteOut, RecordOut, default_properties, tool_error};

/// Arguments of `account_summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryArgs {
    /// Company id (give this or `company`).
    #[serde(default)]
    #[schemars(regex(pattern = ID_PATTERN))]
    pub company_id: Option<String>,
    /// Company name to look up (give this or `company_id`), e.g. `Acme`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub company: Option<String>,
    /// How many of the most recent notes to include (0-20, default 6).
    #[serde(default = "default_notes")]
    #[schemars(range(min = 0, max = 20))]
    pub notes: u32,
}

fn default_notes() -> u32 {
    6
}

/// A company with its contacts, open deals and recent notes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountSummary {
    /// The company.
    pub company: RecordOut,
    /// Its contacts.
    pub contacts: Vec<RecordOut>,
    /// Its deals that are not closed, with stage labels.
    pub open_deals: Vec<RecordOut>,
    /// Its most recent notes, newest first (untrusted text).
    pub recent_notes: Vec<NoteOut>,
    /// Notes on the company in all.
    pub notes_total: usize,
}

#[tool_router(router = accounts_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this for an overview of one customer account in a single call:
    /// the company, its contacts, its open deals (with stages) and its most
    /// recent notes — e.g. to assess renewal risk or prepare a call.
    #[tool(name = "account_summary", title = "Summarize an account")]
    async fn account_summary(
        &self,
        Parameters(args): Parameters<SummaryArgs>,
    ) -> Result<Json<AccountSummary>, CallToolResult> {
        let kind = ObjectKind::Companies;
        let id = match (&args.company_id, &args.company) {
            (Some(id), _) => id.clone(),
            (None, Some(name)) => self.company_by_name(name).await?,
            (None, None) => return Err(tool_error("give `company_id` or `company` (a name)")),
        };
        let company = self
            .client
            .get(kind, &id, default_properties(kind), &[])
            .await
            .map_err(|e| e.to_tool_result())?;
        let contacts = self
            .associated_records(kind, &company.id, ObjectKind::Contacts)
            .await
            .map_err(|e| e.to_tool_result())?;
        let open_deals = self
            .open_deals(&company.id)
            .await
            .map_err(|e| e.to_tool_result())?;
        let notes = self
            .notes_of(kind, &company.id)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(AccountSummary {
            company: self.record_out(kind, &company),
            contacts: contacts
                .iter()
                .map(|r| self.record_out(ObjectKind::Contacts, r))
                .collect(),
            open_deals,
            notes_total: notes.len(),
            recent_notes: notes
                .iter()
                .take(args.notes.min(20) as usize)
                .map(|n| self.note_out(n))
                .collect(),
        }))
    }
}

impl Crm {
    /// The id of the company best matching `name` (an exact name first).
    async fn company_by_name(&self, name: &str) -> Result<String, CallToolResult> {
        let q = Query {
            text: Some(name.to_owned()),
            properties: vec!["name".into(), "domain".into()],
            limit: 10,
            ..Query::default()
        };
        let page = self
            .client
            .search(ObjectKind::Companies, &q)
            .await
            .map_err(|e| e.to_tool_result())?;
        let exact = page.records.iter().find(|r| {
            r.prop("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name.trim()))
        });
        match exact.or(page.records.first()) {
            Some(r) => Ok(r.id.clone()),
            None => Err(tool_error(format!(
                "`company`: no company matches {name:?}; try search_companies"
            ))),
        }
    }
}
