//! Toolset `notes`: read a record's notes and add one.

use connector_kit::UpstreamError;
use connector_kit::confirm::{Confirmed, Effect, Gate, WriteFailure, WriteOutcome, WritePlan};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::Crm;
use crate::client::{CreateOutcome, ObjectKind, Record};
use crate::tools::contacts::RecordRef;
use crate::tools::{ID_PATTERN, NoteOut, structured, text_to_html, title_of, tool_error};

/// The record types notes can be attached to.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NoteTarget {
    /// A contact.
    #[serde(alias = "contacts")]
    Contact,
    /// A company.
    #[serde(alias = "companies")]
    Company,
    /// A deal.
    #[serde(alias = "deals")]
    Deal,
}

impl NoteTarget {
    /// The object type.
    pub fn kind(self) -> ObjectKind {
        match self {
            NoteTarget::Contact => ObjectKind::Contacts,
            NoteTarget::Company => ObjectKind::Companies,
            NoteTarget::Deal => ObjectKind::Deals,
        }
    }
}

/// Arguments of `list_notes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// The kind of record: `contact`, `company` or `deal`.
    pub object: NoteTarget,
    /// The record's id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Most notes to return, newest first (1-50, default 10).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

fn default_limit() -> u32 {
    10
}

/// A record's notes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NoteList {
    /// Notes, newest first.
    pub notes: Vec<NoteOut>,
    /// Notes on the record in all.
    pub total: usize,
}

/// Arguments of `create_note`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// The kind of record to attach the note to: `contact`, `company` or `deal`.
    pub object: NoteTarget,
    /// The record's id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// The note as plain text (blank lines separate paragraphs); it is stored as safe HTML.
    #[schemars(length(min = 1, max = 20000))]
    pub body: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// The marker a note carries so that, after an ambiguous failure, it can be
/// found instead of created again: an HTML comment invisible in HubSpot.
pub fn note_marker(idempotency_key: &str) -> String {
    let short: String = idempotency_key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    format!("<!-- mcp:{short} -->")
}

#[tool_router(router = notes_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to read the notes logged on a contact, company or deal, newest first.
    #[tool(name = "list_notes", title = "List notes")]
    async fn list_notes(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<NoteList>, CallToolResult> {
        let notes = self
            .notes_of(args.object.kind(), &args.id)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(NoteList {
            total: notes.len(),
            notes: notes
                .iter()
                .take(args.limit.clamp(1, 50) as usize)
                .map(|n| self.note_out(n))
                .collect(),
        }))
    }

    /// Use this to log a note (plain text) on a contact, company or deal. The
    /// first call returns a preview and a confirmation token; after the user
    /// approves, call again with `confirmation_token`.
    #[tool(name = "create_note", title = "Add a note", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn create_note(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let kind = args.object.kind();
        let props: &[&str] = match kind {
            ObjectKind::Contacts => &["email", "firstname", "lastname"],
            ObjectKind::Companies => &["name"],
            _ => &["dealname"],
        };
        let target = match self.client.get(kind, &args.id, props, &[]).await {
            Ok(r) => r,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        if args.body.trim().is_empty() {
            return Ok(tool_error("`body`: the note is empty").into());
        }
        let title = title_of(kind, &target);
        let plan = WritePlan::new(
            "crm",
            "create_note",
            Effect::Create,
            format!("{} {}", kind.singular(), target.id),
            format!("Add a note to the {} \"{title}\"", kind.singular()),
        )
        .scope("notes")
        .change("note", None, Some(json!(args.body)));
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.create_note_once(c, kind, &target.id, &args.body).await
            })
            .await;
        Ok(match result {
            Ok(r) => {
                let text = if r.recovered {
                    format!(
                        "Added note {} to the {} \"{title}\" ({}). The connection dropped after the CRM took the request; the note was found by its marker, so it exists exactly once.",
                        r.id,
                        kind.singular(),
                        r.url
                    )
                } else {
                    format!(
                        "Added note {} to the {} \"{title}\" ({}).",
                        r.id,
                        kind.singular(),
                        r.url
                    )
                };
                structured(&text, &WriteOutcome::executed(r, text.clone()))
            }
            Err(e) => e.to_tool_result().into(),
        })
    }
}

impl Crm {
    /// A record's notes, newest first.
    pub(crate) async fn notes_of(
        &self,
        kind: ObjectKind,
        id: &str,
    ) -> Result<Vec<Record>, UpstreamError> {
        let ids = self.client.associated(kind, id, ObjectKind::Notes).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut notes = self
            .client
            .read_many(ObjectKind::Notes, &ids, &["hs_note_body", "hs_timestamp"])
            .await?;
        notes.sort_by_key(|n| std::cmp::Reverse(timestamp_ms(n.prop("hs_timestamp"))));
        Ok(notes)
    }

    /// Creates the note with a marker derived from the confirmation's
    /// idempotency key. If the answer is lost after the CRM may have
    /// committed, the record's notes are searched for the marker instead of
    /// creating a second note.
    async fn create_note_once(
        &self,
        confirmed: &Confirmed,
        kind: ObjectKind,
        id: &str,
        body: &str,
    ) -> Result<RecordRef, UpstreamError> {
        let marker = note_marker(confirmed.idempotency_key());
        let mut props = Map::new();
        props.insert(
            "hs_note_body".into(),
            json!(format!("{}{marker}", text_to_html(body))),
        );
        props.insert(
            "hs_timestamp".into(),
            json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        let assoc = [(kind, id.to_owned())];
        let outcome = self
            .client
            .create(confirmed, ObjectKind::Notes, &props, &assoc)
            .await;
        let (note_id, recovered) = match outcome {
            Ok(CreateOutcome::Created(r)) => (r.id, false),
            Ok(CreateOutcome::AlreadyExists { id }) => (id, true),
            Err(e) if e.nothing_written() => return Err(e),
            Err(e) => {
                let found = self.notes_of(kind, id).await.ok().and_then(|notes| {
                    notes
                        .into_iter()
                        .find(|n| n.prop("hs_note_body").is_some_and(|b| b.contains(&marker)))
                });
                match found {
                    Some(n) => (n.id, true),
                    None => return Err(e),
                }
            }
        };
        Ok(RecordRef {
            url: self.client.record_url(ObjectKind::Notes, &note_id),
            id: note_id,
            recovered,
        })
    }
}

/// A stored timestamp (epoch ms or RFC 3339) as epoch ms, for ordering.
pub(crate) fn timestamp_ms(value: Option<&str>) -> i64 {
    let Some(v) = value else { return 0 };
    v.parse::<i64>().unwrap_or_else(|_| {
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    })
}
