//! The upstream: HubSpot's CRM API, behind a small CRM-shaped surface.
//!
//! The tools speak CRM terms — [`ObjectKind`], [`Query`], [`Record`],
//! [`Pipeline`], [`PropertyDef`] — and call the handful of async functions of
//! [`CrmClient`]: `search`, `get`, `get_by_email`, `read_many`, `associated`,
//! `pipelines`, `properties`, `create`, `update`. They never see a HubSpot
//! path, association type id or error body, so a second CRM backend would be
//! a second implementation of these functions, not a change to the tools.
//!
//! Paths are built in one place ([`CrmClient::path`]) from `--api-version`:
//! a date version gives `/crm/objects/2026-03/…`, `v3` the classic
//! `/crm/v3/objects/…` (associations on `/crm/v4/…`).
//!
//! Calls are rate-limited per account and bucket: `hubspot:<host>:general`
//! and `hubspot:<host>:search` (HubSpot's search endpoints have their own,
//! tighter per-second limit). Write functions take `&Confirmed`, so they
//! cannot be called before a human approved the write.

use connector_kit::confirm::Confirmed;
use connector_kit::{Kit, Scope, UpstreamError};
use reqwest::{Method, Response};
use reqwest_middleware::{ClientWithMiddleware, RequestBuilder};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use url::Url;

use crate::config::{ApiVersion, Options};
use crate::model::{Association, ErrorBody, Results, SearchAnswer};
pub use crate::model::{HistoryEntry, Pipeline, PropertyDef, Record, Stage};

const SERVICE: &str = "HubSpot";

/// HubSpot pages search results only up to this many.
pub const SEARCH_RESULT_CAP: u64 = 10_000;

/// The CRM object types the tools work with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// People.
    #[serde(alias = "contact")]
    Contacts,
    /// Organisations.
    #[serde(alias = "company")]
    Companies,
    /// Opportunities in a pipeline.
    #[serde(alias = "deal")]
    Deals,
    /// Notes on records.
    #[serde(alias = "note")]
    Notes,
}

impl ObjectKind {
    /// `contacts`, `companies`, `deals`, `notes`.
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Contacts => "contacts",
            ObjectKind::Companies => "companies",
            ObjectKind::Deals => "deals",
            ObjectKind::Notes => "notes",
        }
    }

    /// `contact`, `company`, `deal`, `note`.
    pub fn singular(self) -> &'static str {
        match self {
            ObjectKind::Contacts => "contact",
            ObjectKind::Companies => "company",
            ObjectKind::Deals => "deal",
            ObjectKind::Notes => "note",
        }
    }

    /// From a singular or plural name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "contact" | "contacts" => Some(ObjectKind::Contacts),
            "company" | "companies" => Some(ObjectKind::Companies),
            "deal" | "deals" => Some(ObjectKind::Deals),
            "note" | "notes" => Some(ObjectKind::Notes),
            _ => None,
        }
    }

    /// HubSpot's object type id, for app links.
    fn type_id(self) -> &'static str {
        match self {
            ObjectKind::Contacts => "0-1",
            ObjectKind::Companies => "0-2",
            ObjectKind::Deals => "0-3",
            ObjectKind::Notes => "0-46",
        }
    }
}

/// A search filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operator {
    /// Equal to `value`.
    Eq,
    /// Not equal to `value`.
    Neq,
    /// Less than `value`.
    Lt,
    /// Less than or equal to `value`.
    Lte,
    /// Greater than `value`.
    Gt,
    /// Greater than or equal to `value`.
    Gte,
    /// Between `value` and `high_value`.
    Between,
    /// One of `values`.
    In,
    /// None of `values`.
    NotIn,
    /// The property has a value.
    HasProperty,
    /// The property has no value.
    NotHasProperty,
    /// Contains the word `value` (`*` wildcards allowed).
    ContainsToken,
    /// Does not contain the word `value`.
    NotContainsToken,
}

impl Operator {
    /// HubSpot's name of the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "EQ",
            Operator::Neq => "NEQ",
            Operator::Lt => "LT",
            Operator::Lte => "LTE",
            Operator::Gt => "GT",
            Operator::Gte => "GTE",
            Operator::Between => "BETWEEN",
            Operator::In => "IN",
            Operator::NotIn => "NOT_IN",
            Operator::HasProperty => "HAS_PROPERTY",
            Operator::NotHasProperty => "NOT_HAS_PROPERTY",
            Operator::ContainsToken => "CONTAINS_TOKEN",
            Operator::NotContainsToken => "NOT_CONTAINS_TOKEN",
        }
    }
}

/// One filter, validated by the tools.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Property name, e.g. `email`, `lifecyclestage`, `dealstage`, `createdate`.
    #[schemars(length(min = 1, max = 100))]
    pub property: String,
    /// Comparison.
    pub operator: Operator,
    /// The value (all operators but `IN`, `NOT_IN`, `HAS_PROPERTY`, `NOT_HAS_PROPERTY`).
    /// Datetimes as epoch milliseconds or `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub value: Option<String>,
    /// Upper bound for `BETWEEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub high_value: Option<String>,
    /// The values for `IN` / `NOT_IN`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub values: Vec<String>,
}

/// A search over one object type.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// OR of ANDs.
    pub groups: Vec<Vec<Filter>>,
    /// Free text over the type's default searchable properties.
    pub text: Option<String>,
    /// Properties to return.
    pub properties: Vec<String>,
    /// Sort: property and descending.
    pub sort: Option<(String, bool)>,
    /// Page size.
    pub limit: u32,
    /// Cursor from the previous page.
    pub after: Option<String>,
}

/// One page of search results.
#[derive(Debug, Clone)]
pub struct Page {
    /// Matches in all.
    pub total: u64,
    /// This page.
    pub records: Vec<Record>,
    /// Cursor of the next page.
    pub next: Option<String>,
}

/// What a create did.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    /// The record was created.
    Created(Record),
    /// A record with the same unique value (a contact's email) exists already.
    AlreadyExists {
        /// Its id.
        id: String,
    },
}

/// The API family of a path, for [`CrmClient::path`].
#[derive(Debug, Clone, Copy)]
enum Api {
    Objects,
    Associations,
    Pipelines,
    Properties,
}

/// The rate-limit bucket of a call.
#[derive(Debug, Clone, Copy)]
enum Bucket {
    General,
    Search,
}

/// The CRM over HubSpot, through the kit's retrying, rate-limited, authenticated client.
#[derive(Debug, Clone)]
pub struct CrmClient {
    http: ClientWithMiddleware,
    base: Url,
    host: String,
    version: ApiVersion,
    portal_id: Option<u64>,
    credential_names: &'static str,
}

impl CrmClient {
    /// The rate-limit scope prefix of an account.
    pub fn scope_prefix(base: &Url) -> String {
        format!("hubspot:{}", base.host_str().unwrap_or("hubspot"))
    }

    /// Builds the client. `kit`'s limiter should carry the search quota
    /// (see [`crate::Crm`]'s `connect`).
    pub fn connect(options: &Options, kit: &Kit) -> anyhow::Result<Self> {
        let base = options.base_url()?;
        let http = kit.upstream_client(options.credential()?);
        let host = base.host_str().unwrap_or("hubspot").to_owned();
        tracing::info!(base = %base, version = %options.api_version, "HubSpot configured");
        Ok(CrmClient {
            http,
            base,
            host,
            version: options.api_version.clone(),
            portal_id: options.portal_id,
            credential_names: options.credential_names(),
        })
    }

    /// The configured API version.
    pub fn version(&self) -> &ApiVersion {
        &self.version
    }

    /// A link to a record: the HubSpot app with `--portal-id`, else the API record.
    pub fn record_url(&self, kind: ObjectKind, id: &str) -> String {
        match self.portal_id {
            Some(portal) => format!(
                "https://app.hubspot.com/contacts/{portal}/record/{}/{id}",
                kind.type_id()
            ),
            None => format!(
                "{}{}",
                self.base.as_str().trim_end_matches('/'),
                self.path(Api::Objects, &format!("{}/{id}", kind.plural()))
            ),
        }
    }

    // ---- reads ------------------------------------------------------------

    /// Searches `kind` (`POST …/{type}/search`, the search bucket).
    pub async fn search(&self, kind: ObjectKind, q: &Query) -> Result<Page, UpstreamError> {
        let groups: Vec<Value> = q
            .groups
            .iter()
            .map(|g| json!({"filters": g.iter().map(filter_json).collect::<Vec<_>>()}))
            .collect();
        let mut body = json!({"filterGroups": groups, "limit": q.limit});
        if let Some(t) = &q.text {
            body["query"] = json!(t);
        }
        if !q.properties.is_empty() {
            body["properties"] = json!(q.properties);
        }
        if let Some((p, desc)) = &q.sort {
            body["sorts"] = json!([{"propertyName": p, "direction": if *desc { "DESCENDING" } else { "ASCENDING" }}]);
        }
        if let Some(a) = &q.after {
            body["after"] = json!(a);
        }
        let rb = self
            .request(
                Method::POST,
                &self.path(Api::Objects, &format!("{}/search", kind.plural())),
                &[],
                Bucket::Search,
            )
            .json(&body);
        let answer: SearchAnswer = match self.send_raw(rb).await {
            Ok(resp) => decode(resp).await?,
            Err((err, body)) => return Err(self.explain(kind, err, &body).await),
        };
        Ok(Page {
            total: answer.total,
            records: answer.results,
            next: answer.paging.and_then(|p| p.next).map(|n| n.after),
        })
    }

    /// One record with `properties` (and the histories of `history`).
    pub async fn get(
        &self,
        kind: ObjectKind,
        id: &str,
        properties: &[&str],
        history: &[&str],
    ) -> Result<Record, UpstreamError> {
        let props = properties.join(",");
        let hist = history.join(",");
        let mut query = vec![];
        if !props.is_empty() {
            query.push(("properties", props.as_str()));
        }
        if !hist.is_empty() {
            query.push(("propertiesWithHistory", hist.as_str()));
        }
        self.get_json(
            &self.path(Api::Objects, &format!("{}/{}", kind.plural(), seg(id))),
            &query,
        )
        .await
    }

    /// The contact with this email, if any.
    pub async fn get_by_email(
        &self,
        email: &str,
        properties: &[&str],
    ) -> Result<Option<Record>, UpstreamError> {
        let props = properties.join(",");
        let r = self
            .get_json(
                &self.path(Api::Objects, &format!("contacts/{}", seg(email))),
                &[("idProperty", "email"), ("properties", &props)],
            )
            .await;
        match r {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Several records by id (batch read, 100 at a time); unknown ids are left out.
    pub async fn read_many(
        &self,
        kind: ObjectKind,
        ids: &[String],
        properties: &[&str],
    ) -> Result<Vec<Record>, UpstreamError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let body = json!({
                "inputs": chunk.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
                "properties": properties,
            });
            let rb = self
                .request(
                    Method::POST,
                    &self.path(Api::Objects, &format!("{}/batch/read", kind.plural())),
                    &[],
                    Bucket::General,
                )
                .json(&body);
            let page: Results<Record> = decode(self.send(rb).await?).await?;
            out.extend(page.results);
        }
        Ok(out)
    }

    /// Ids of the `to` records associated with a record (up to 500).
    pub async fn associated(
        &self,
        kind: ObjectKind,
        id: &str,
        to: ObjectKind,
    ) -> Result<Vec<String>, UpstreamError> {
        let page: Results<Association> = self
            .get_json(
                &self.path(
                    Api::Associations,
                    &format!("{}/{}/associations/{}", kind.plural(), seg(id), to.plural()),
                ),
                &[("limit", "500")],
            )
            .await?;
        let mut ids: Vec<String> = page.results.iter().map(Association::id).collect();
        ids.dedup();
        Ok(ids)
    }

    /// The deal pipelines with their stages.
    pub async fn pipelines(&self) -> Result<Vec<Pipeline>, UpstreamError> {
        let page: Results<Pipeline> = self
            .get_json(&self.path(Api::Pipelines, "deals"), &[])
            .await?;
        Ok(page.results)
    }

    /// The property definitions of `kind`, with enumeration options.
    pub async fn properties(&self, kind: ObjectKind) -> Result<Vec<PropertyDef>, UpstreamError> {
        let page: Results<PropertyDef> = self
            .get_json(&self.path(Api::Properties, kind.plural()), &[])
            .await?;
        Ok(page.results)
    }

    // ---- writes (each needs a confirmation) ------------------------------

    /// Creates a record with `properties`, associated to `associate_to`. A
    /// unique-value conflict (a contact's email) is [`CreateOutcome::AlreadyExists`];
    /// a validation 400 names the properties with their allowed values.
    pub async fn create(
        &self,
        _confirmed: &Confirmed,
        kind: ObjectKind,
        properties: &Map<String, Value>,
        associate_to: &[(ObjectKind, String)],
    ) -> Result<CreateOutcome, UpstreamError> {
        let associations: Vec<Value> = associate_to
            .iter()
            .filter_map(|(to, id)| {
                association_type(kind, *to).map(|t| {
                    json!({"to": {"id": id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}]})
                })
            })
            .collect();
        let rb = self
            .request(
                Method::POST,
                &self.path(Api::Objects, kind.plural()),
                &[],
                Bucket::General,
            )
            .json(&json!({"properties": properties, "associations": associations}));
        match self.send_raw(rb).await {
            Ok(resp) => Ok(CreateOutcome::Created(decode(resp).await?)),
            Err((err, body)) if err.status() == Some(409) => match body.existing_id() {
                Some(id) => Ok(CreateOutcome::AlreadyExists { id }),
                None => Err(err),
            },
            Err((err, body)) => Err(self.explain(kind, err, &body).await),
        }
    }

    /// Sets `properties` on a record.
    pub async fn update(
        &self,
        _confirmed: &Confirmed,
        kind: ObjectKind,
        id: &str,
        properties: &Map<String, Value>,
    ) -> Result<Record, UpstreamError> {
        let rb = self
            .request(
                Method::PATCH,
                &self.path(Api::Objects, &format!("{}/{}", kind.plural(), seg(id))),
                &[],
                Bucket::General,
            )
            .json(&json!({ "properties": properties }));
        match self.send_raw(rb).await {
            Ok(resp) => decode(resp).await,
            Err((err, body)) => Err(self.explain(kind, err, &body).await),
        }
    }

    // ---- plumbing ---------------------------------------------------------

    /// The one place that knows HubSpot's path layout and the version segment.
    fn path(&self, api: Api, rest: &str) -> String {
        match (&self.version, api) {
            (ApiVersion::V3, Api::Objects) => format!("/crm/v3/objects/{rest}"),
            (ApiVersion::V3, Api::Associations) => format!("/crm/v4/objects/{rest}"),
            (ApiVersion::V3, Api::Pipelines) => format!("/crm/v3/pipelines/{rest}"),
            (ApiVersion::V3, Api::Properties) => format!("/crm/v3/properties/{rest}"),
            (ApiVersion::Dated(v), Api::Objects | Api::Associations) => {
                format!("/crm/objects/{v}/{rest}")
            }
            (ApiVersion::Dated(v), Api::Pipelines) => format!("/crm/pipelines/{v}/{rest}"),
            (ApiVersion::Dated(v), Api::Properties) => format!("/crm/properties/{v}/{rest}"),
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        bucket: Bucket,
    ) -> RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let bucket = match bucket {
            Bucket::General => "general",
            Bucket::Search => "search",
        };
        self.http
            .request(method, url)
            .header("Accept", "application/json")
            .with_extension(Scope(format!("hubspot:{}:{bucket}", self.host)))
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, UpstreamError> {
        let rb = self.request(Method::GET, path, query, Bucket::General);
        decode(self.send(rb).await?).await
    }

    async fn send(&self, rb: RequestBuilder) -> Result<Response, UpstreamError> {
        self.send_raw(rb).await.map_err(|(e, _)| e)
    }

    /// Sends; a non-2xx answer becomes an error carrying HubSpot's own
    /// message and, for 401/403, which credential or scope to check.
    async fn send_raw(&self, rb: RequestBuilder) -> Result<Response, (UpstreamError, ErrorBody)> {
        let resp = rb.send().await.map_err(|e| {
            (
                UpstreamError::from_transport(SERVICE, &e),
                ErrorBody::default(),
            )
        })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let (err, text) = UpstreamError::from_response_with_body(SERVICE, resp).await;
        let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
        let message = error_message(&body);
        let err = if message.is_empty() {
            err
        } else {
            err.with_message(message)
        };
        let err = match status {
            401 => err.with_hint(format!(
                "The credential in {} was refused: check it is set, current and for this HubSpot account.",
                self.credential_names
            )),
            403 => err.with_hint(format!(
                "The app behind {} lacks a scope for this (e.g. crm.objects.contacts.read/write, crm.objects.deals.write, crm.schemas.*.read).",
                self.credential_names
            )),
            _ => err,
        };
        Err((err, body))
    }

    /// On a validation 400 naming properties, adds each property's allowed
    /// values (from the property definitions).
    async fn explain(
        &self,
        kind: ObjectKind,
        err: UpstreamError,
        body: &ErrorBody,
    ) -> UpstreamError {
        let names = body.property_names();
        if err.status() != Some(400) || names.is_empty() {
            return err;
        }
        let Ok(defs) = self.properties(kind).await else {
            return err.with_hint(format!(
                "list_properties for {} lists the properties and their allowed values.",
                kind.plural()
            ));
        };
        err.with_hint(property_hint(&names, &defs))
    }
}

/// The hint for refused properties: each with its allowed values, or a note
/// that it does not exist / is read-only.
pub fn property_hint(names: &[String], defs: &[PropertyDef]) -> String {
    let lines: Vec<String> = names
        .iter()
        .map(|n| match defs.iter().find(|d| &d.name == n) {
            None => format!("`{n}` is not a property of this object (see list_properties)"),
            Some(d) if d.read_only() => format!("`{n}` ({}) is read-only", d.label),
            Some(d) if !d.options.is_empty() => {
                let allowed: Vec<String> = d
                    .options
                    .iter()
                    .take(60)
                    .map(|o| format!("\"{}\" ({})", o.value, o.label))
                    .collect();
                format!("`{n}` ({}): allowed values {}", d.label, allowed.join(", "))
            }
            Some(d) => format!("`{n}` ({}): type {}", d.label, d.prop_type),
        })
        .collect();
    format!("Properties: {}.", lines.join("; "))
}

/// HubSpot's error as one line: the per-property messages, else `message`.
pub fn error_message(body: &ErrorBody) -> String {
    let parts: Vec<String> = body
        .errors
        .iter()
        .map(|e| {
            let names = e.context.get("propertyName").cloned().unwrap_or_default();
            if names.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {} ({})", names.join(","), e.message, e.code)
            }
        })
        .filter(|s| !s.is_empty())
        .map(|s| connector_kit::text::sanitize(&s))
        .collect();
    if parts.is_empty() {
        connector_kit::text::sanitize(&body.message)
    } else {
        parts.join("; ")
    }
}

/// HubSpot's default association type id from `from` to `to`.
fn association_type(from: ObjectKind, to: ObjectKind) -> Option<u32> {
    use ObjectKind::{Companies, Contacts, Deals, Notes};
    Some(match (from, to) {
        (Contacts, Companies) => 279,
        (Companies, Contacts) => 280,
        (Contacts, Deals) => 4,
        (Deals, Contacts) => 3,
        (Deals, Companies) => 341,
        (Companies, Deals) => 342,
        (Contacts, Notes) => 201,
        (Notes, Contacts) => 202,
        (Companies, Notes) => 189,
        (Notes, Companies) => 190,
        (Deals, Notes) => 213,
        (Notes, Deals) => 214,
        _ => return None,
    })
}

fn filter_json(f: &Filter) -> Value {
    let mut v = json!({"propertyName": f.property, "operator": f.operator.as_str()});
    if let Some(x) = &f.value {
        v["value"] = json!(x);
    }
    if let Some(x) = &f.high_value {
        v["highValue"] = json!(x);
    }
    if !f.values.is_empty() {
        v["values"] = json!(f.values);
    }
    v
}

/// Decodes a 2xx answer.
async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, UpstreamError> {
    let bytes = resp.bytes().await.map_err(|_| UpstreamError::Transport {
        service: SERVICE,
        sent: true,
        detail: "the answer was cut off".into(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| UpstreamError::Decode {
        service: SERVICE,
        detail: e.to_string(),
    })
}

/// A path segment, percent-encoded.
fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyOption;

    #[test]
    fn property_hints_list_allowed_values() {
        let defs = vec![PropertyDef {
            name: "lifecyclestage".into(),
            label: "Lifecycle Stage".into(),
            prop_type: "enumeration".into(),
            field_type: "radio".into(),
            options: vec![
                PropertyOption {
                    value: "lead".into(),
                    label: "Lead".into(),
                },
                PropertyOption {
                    value: "customer".into(),
                    label: "Customer".into(),
                },
            ],
            has_unique_value: false,
            modification_metadata: Map::new(),
        }];
        let hint = property_hint(&["lifecyclestage".into(), "nope".into()], &defs);
        assert!(
            hint.contains("\"lead\" (Lead), \"customer\" (Customer)") && hint.contains("`nope`"),
            "{hint}"
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("a@b.com"), "a%40b.com");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
