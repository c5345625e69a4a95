//! Toolset `contacts`: find, read, create and update contacts.

use connector_kit::UpstreamError;
use connector_kit::confirm::{Confirmed, Effect, Gate, WriteFailure, WriteOutcome, WritePlan};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Crm;
use crate::client::{CreateOutcome, ObjectKind};
use crate::tools::{
    ID_PATTERN, RecordOut, RecordPage, SearchArgs, default_properties, structured, tool_error,
};

/// Arguments of `get_contact`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Contact id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Properties to return besides the curated ones.
    #[serde(default)]
    #[schemars(length(max = 30))]
    pub properties: Vec<String>,
}

/// A contact with its companies and deals.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactDetail {
    /// The contact.
    pub contact: RecordOut,
    /// Associated companies.
    pub companies: Vec<RecordOut>,
    /// Associated deals.
    pub deals: Vec<RecordOut>,
}

/// Arguments of `create_contact`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Email address (unique per contact).
    #[schemars(email, length(max = 254))]
    pub email: String,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub firstname: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub lastname: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub jobtitle: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    pub phone: Option<String>,
    /// Other properties by name (see `list_properties`), e.g. `{"lifecyclestage": "lead"}`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// Company id to associate the contact with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ID_PATTERN))]
    pub company_id: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// A created or changed record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RecordRef {
    /// Record id.
    pub id: String,
    /// Link to the record.
    pub url: String,
    /// Set when the create's answer was lost and the record was found (by its
    /// natural key or marker) instead of being created twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Arguments of `update_contact`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Contact id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Properties to set, by name (see `list_properties`), e.g.
    /// `{"jobtitle": "CTO", "lifecyclestage": "customer"}`; `""` clears one.
    #[schemars(length(min = 1, max = 30))]
    pub properties: Map<String, Value>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

#[tool_router(router = contacts_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to find contacts by property filters (e.g. lifecyclestage EQ
    /// customer, email CONTAINS_TOKEN *@acme.com) and/or free text, sorted and
    /// paged with `cursor`. Read one in full with `get_contact`.
    #[tool(name = "search_contacts", title = "Search contacts")]
    async fn search_contacts(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<RecordPage>, CallToolResult> {
        self.run_search(ObjectKind::Contacts, args).await
    }

    /// Use this to read one contact with its associated companies and deals.
    #[tool(name = "get_contact", title = "Get a contact")]
    async fn get_contact(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<ContactDetail>, CallToolResult> {
        let kind = ObjectKind::Contacts;
        let mut props: Vec<&str> = default_properties(kind).to_vec();
        props.extend(args.properties.iter().map(String::as_str));
        let contact = self
            .client
            .get(kind, &args.id, &props, &[])
            .await
            .map_err(|e| e.to_tool_result())?;
        let companies = self
            .associated_records(kind, &args.id, ObjectKind::Companies)
            .await
            .map_err(|e| e.to_tool_result())?;
        let deals = self
            .associated_records(kind, &args.id, ObjectKind::Deals)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(ContactDetail {
            contact: self.record_out(kind, &contact),
            companies: companies
                .iter()
                .map(|r| self.record_out(ObjectKind::Companies, r))
                .collect(),
            deals: deals
                .iter()
                .map(|r| self.record_out(ObjectKind::Deals, r))
                .collect(),
        }))
    }

    /// Use this to create a contact (email required), optionally associated
    /// with a company. The first call returns a preview and a confirmation
    /// token and creates nothing; after the user approves, call again with
    /// the same arguments plus `confirmation_token`.
    #[tool(name = "create_contact", title = "Create a contact", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn create_contact(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let email = args.email.trim().to_ascii_lowercase();
        let mut props = args.properties.clone();
        props.insert("email".into(), json!(email));
        for (k, v) in [
            ("firstname", &args.firstname),
            ("lastname", &args.lastname),
            ("jobtitle", &args.jobtitle),
            ("phone", &args.phone),
        ] {
            if let Some(v) = v {
                props.insert(k.into(), json!(v));
            }
        }
        let props = match self.check_properties(ObjectKind::Contacts, props).await {
            Ok(p) => p,
            Err(e) => return Ok(e.into()),
        };
        // The email is the natural key: an existing contact is reported, not
        // duplicated. (A confirmed call goes to the guard first, so a replayed
        // token answers from the record; the create handles a late conflict.)
        let lookup = if args.confirmation_token.is_none() {
            self.client.get_by_email(&email, &["email"]).await
        } else {
            Ok(None)
        };
        match lookup {
            Ok(Some(existing)) => {
                return Ok(tool_error(format!(
                    "`email`: a contact with {email} exists already (id {}, {}); change it with update_contact",
                    existing.id,
                    self.client.record_url(ObjectKind::Contacts, &existing.id)
                ))
                .into());
            }
            Ok(None) => {}
            Err(e) => return Ok(e.to_tool_result().into()),
        }
        let mut plan = WritePlan::new(
            "crm",
            "create_contact",
            Effect::Create,
            "contacts".to_owned(),
            format!("Create the contact {email}"),
        )
        .scope("contacts");
        for (k, v) in &props {
            plan = plan.change(k.clone(), None, Some(v.clone()));
        }
        if let Some(c) = &args.company_id {
            plan = plan.change("company", None, Some(json!(c)));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let assoc: Vec<(ObjectKind, String)> = args
            .company_id
            .iter()
            .map(|c| (ObjectKind::Companies, c.clone()))
            .collect();
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.create_contact_once(c, &email, &props, &assoc).await
            })
            .await;
        Ok(match result {
            Ok(r) => {
                let text = if r.recovered {
                    format!(
                        "Created contact {} ({}). The connection dropped after HubSpot took the request; the contact was found by its email, so it exists exactly once.",
                        r.id, r.url
                    )
                } else {
                    format!("Created contact {} ({}).", r.id, r.url)
                };
                structured(&text, &WriteOutcome::executed(r, text.clone()))
            }
            Err(e) => e.to_tool_result().into(),
        })
    }

    /// Use this to change a contact's properties. The preview shows each
    /// property before → after; nothing changes until the user approves and
    /// you call again with `confirmation_token`.
    #[tool(name = "update_contact", title = "Update a contact", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn update_contact(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let kind = ObjectKind::Contacts;
        let props = match self.check_properties(kind, args.properties.clone()).await {
            Ok(p) => p,
            Err(e) => return Ok(e.into()),
        };
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut wanted = names.clone();
        wanted.extend(["email", "firstname", "lastname"]);
        let current = match self.client.get(kind, &args.id, &wanted, &[]).await {
            Ok(r) => r,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let title = crate::tools::title_of(kind, &current);
        let mut plan = WritePlan::new(
            "crm",
            "update_contact",
            Effect::Update,
            format!("contact {}", current.id),
            format!("Update the contact {title}"),
        )
        .scope("contacts");
        for (k, v) in &props {
            let before = current.properties.get(k).cloned().unwrap_or(Value::Null);
            plan = plan.change(k.clone(), Some(before), Some(v.clone()));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .update(c, kind, &current.id, &props)
                    .await
                    .map(|r| r.id)
            })
            .await;
        Ok(match result {
            Ok(id) => self.changed(kind, &id, "Updated contact"),
            Err(e) => e.to_tool_result().into(),
        })
    }
}

impl Crm {
    /// Creates the contact once. The email is its natural key: if the answer
    /// is lost after HubSpot may have committed (a dropped connection, a
    /// 5xx), or HubSpot answers that the email exists, the contact is read
    /// back by email and returned when it was created during this
    /// confirmation's write — never created a second time.
    async fn create_contact_once(
        &self,
        confirmed: &Confirmed,
        email: &str,
        props: &Map<String, Value>,
        assoc: &[(ObjectKind, String)],
    ) -> Result<RecordRef, UpstreamError> {
        let kind = ObjectKind::Contacts;
        let started = chrono::Utc::now() - chrono::Duration::seconds(5);
        let created_by_us = |r: &crate::client::Record| {
            r.created_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t >= started)
        };
        let (record, recovered) = match self.client.create(confirmed, kind, props, assoc).await {
            Ok(CreateOutcome::Created(r)) => (r, false),
            Ok(CreateOutcome::AlreadyExists { id }) => {
                let r = self.client.get(kind, &id, &["email"], &[]).await?;
                if !created_by_us(&r) {
                    return Err(UpstreamError::Status {
                        service: "HubSpot",
                        status: 409,
                        message: format!(
                            "Contact already exists. Existing ID: {id}. Change it with update_contact"
                        ),
                        retry_after: None,
                        hint: None,
                    });
                }
                (r, true)
            }
            Err(e) if e.nothing_written() => return Err(e),
            Err(e) => match self.client.get_by_email(email, &["email"]).await {
                Ok(Some(r)) if created_by_us(&r) => (r, true),
                _ => return Err(e),
            },
        };
        Ok(RecordRef {
            url: self.client.record_url(kind, &record.id),
            id: record.id,
            recovered,
        })
    }

    /// Records of type `to` associated with a record (curated properties).
    pub(crate) async fn associated_records(
        &self,
        kind: ObjectKind,
        id: &str,
        to: ObjectKind,
    ) -> Result<Vec<crate::client::Record>, UpstreamError> {
        let ids = self.client.associated(kind, id, to).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.client
            .read_many(to, &ids, default_properties(to))
            .await
    }

    /// The executed answer of a write that changed a record.
    pub(crate) fn changed(&self, kind: ObjectKind, id: &str, verb: &str) -> CallToolResponse {
        let r = RecordRef {
            url: self.client.record_url(kind, id),
            id: id.to_owned(),
            recovered: false,
        };
        let text = format!("{verb} {id} ({}).", r.url);
        structured(&text, &WriteOutcome::executed(r, text.clone()))
    }
}
