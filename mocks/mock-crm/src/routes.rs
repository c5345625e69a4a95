//! HTTP layer: the CRM API under both path styles, OAuth, authentication, rate limits and
//! the CRM-specific admin routes.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::header::{AUTHORIZATION, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use tower::Layer;
use tower::util::MapRequestLayer;

use crate::error::ApiError;
use crate::model::{CrmObject, ObjectType, association_kind, default_kind, iso};
use crate::schema::{self, value_to_string};
use crate::search::{self, SearchRequest};
use crate::state::{AssociationInput, Inner, Limit, MockCrm, TokenCheck};

/// Largest page of `GET /crm/v3/objects/{type}`.
pub const MAX_LIST_LIMIT: usize = 100;
/// Largest `inputs` of a batch request.
pub const MAX_BATCH_INPUTS: usize = 100;
/// Largest page of v4 association listings.
pub const MAX_ASSOCIATION_LIMIT: usize = 500;

/// The whole mock: API routes (behind auth and rate limits), OAuth and admin routes, with
/// date-versioned paths rewritten onto the v3/v4 ones before routing.
pub(crate) fn router(crm: MockCrm) -> Router {
    let api = Router::new()
        .route("/crm/v3/objects/{object_type}", get(list).post(create))
        .route("/crm/v3/objects/{object_type}/search", post(search))
        .route("/crm/v3/objects/{object_type}/batch/read", post(batch_read))
        .route(
            "/crm/v3/objects/{object_type}/batch/upsert",
            post(batch_upsert),
        )
        .route(
            "/crm/v3/objects/{object_type}/{id}",
            get(get_one).patch(update).delete(archive),
        )
        .route(
            "/crm/v4/objects/{from}/{id}/associations/{to}",
            get(list_associations),
        )
        .route(
            "/crm/v4/objects/{from}/{id}/associations/default/{to}/{to_id}",
            put(associate_default),
        )
        .route(
            "/crm/v4/objects/{from}/{id}/associations/{to}/{to_id}",
            axum::routing::delete(dissociate),
        )
        .route("/crm/v3/pipelines/{object_type}", get(pipelines))
        .route(
            "/crm/v3/pipelines/{object_type}/{pipeline_id}",
            get(pipeline),
        )
        .route(
            "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages",
            get(stages),
        )
        .route("/crm/v3/properties/{object_type}", get(properties))
        .route("/crm/v3/properties/{object_type}/{name}", get(property))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(crm.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(crm.clone(), authenticate));
    let routed = Router::new()
        .route("/oauth/v1/token", post(oauth_token))
        .route("/__admin/objects/{object_type}", get(admin_objects))
        .route("/__admin/expire-tokens", post(admin_expire_tokens))
        .route("/__admin/generate-contacts", post(admin_generate_contacts))
        .merge(api)
        .with_state(crm);
    Router::new().fallback_service(MapRequestLayer::new(rewrite_versioned).layer(routed))
}

// ---------------------------------------------------------------------------------------
// Date-versioned paths
// ---------------------------------------------------------------------------------------

/// `YYYY-MM`, the shape of HubSpot's date versions.
fn is_date_version(segment: &str) -> bool {
    let b = segment.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

/// Maps a date-versioned path onto the classic one:
///
/// * `/crm/objects/{YYYY-MM}/{rest}` → `/crm/v3/objects/{rest}`, or `/crm/v4/objects/{rest}`
///   when `rest` is an association path (`{type}/{id}/associations/...`);
/// * `/crm/pipelines/{YYYY-MM}/{rest}` → `/crm/v3/pipelines/{rest}`;
/// * `/crm/properties/{YYYY-MM}/{rest}` → `/crm/v3/properties/{rest}`.
pub(crate) fn canonical_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/crm/")?;
    let (api, rest) = rest.split_once('/')?;
    let (version, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if !is_date_version(version) {
        return None;
    }
    match api {
        "objects" => {
            let associations = tail.split('/').nth(2) == Some("associations");
            let major = if associations { "v4" } else { "v3" };
            Some(format!("/crm/{major}/objects/{tail}"))
        }
        "pipelines" | "properties" => Some(format!("/crm/v3/{api}/{tail}")),
        _ => None,
    }
}

fn rewrite_versioned(mut request: Request) -> Request {
    if let Some(path) = canonical_path(request.uri().path()) {
        let target = match request.uri().query() {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if let Ok(uri) = target.parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    request
}

// ---------------------------------------------------------------------------------------
// Authentication and rate limits
// ---------------------------------------------------------------------------------------

async fn authenticate(State(crm): State<MockCrm>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return ApiError::unauthenticated(
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )
        .into_response();
    };
    match crm.check_token(token) {
        TokenCheck::Valid => next.run(request).await,
        TokenCheck::Expired => ApiError::unauthenticated(
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired 0 second(s) ago.",
        )
        .into_response(),
        TokenCheck::Unknown => ApiError::unauthenticated(
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )
        .into_response(),
    }
}

async fn rate_limit(State(crm): State<MockCrm>, request: Request, next: Next) -> Response {
    let is_search = request.method() == Method::POST && request.uri().path().ends_with("/search");
    let check = crm.admit(is_search, Instant::now());
    let mut response = match check.refused {
        None => next.run(request).await,
        Some(Limit::Search) => {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITS",
                "You have reached your secondly limit.",
            )
            .into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Some(Limit::Interval) => {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITS",
                "You have reached your ten_secondly_rolling limit.",
            )
            .with("errorType", json!("RATE_LIMIT"))
            .with("policyName", json!("TEN_SECONDLY_ROLLING"))
            .into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    };
    for (name, value) in check.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Query parameters, allowing repeats and comma lists (`properties=a,b&properties=c`).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(uri: &Uri) -> Self {
        Self(
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        (!values.is_empty()).then_some(values)
    }

    fn flag(&self, name: &str) -> bool {
        self.one(name).is_some_and(|v| v == "true")
    }
}

fn object_type(name: &str) -> Result<ObjectType, ApiError> {
    name.parse().map_err(ApiError::bad_request)
}

fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "Invalid input JSON on line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn association_types(names: Option<Vec<String>>) -> Result<Vec<ObjectType>, ApiError> {
    names
        .unwrap_or_default()
        .iter()
        .map(|n| object_type(n))
        .collect()
}

/// What to put in a rendered record.
#[derive(Debug, Default)]
struct View {
    /// Requested properties; `None` for the type's defaults.
    properties: Option<Vec<String>>,
    /// Properties to return with their history.
    with_history: Vec<String>,
    /// Types whose associations to list.
    associations: Vec<ObjectType>,
}

impl View {
    fn from_params(params: &Params) -> Result<Self, ApiError> {
        Ok(Self {
            properties: params.list("properties"),
            with_history: params.list("propertiesWithHistory").unwrap_or_default(),
            associations: association_types(params.list("associations"))?,
        })
    }
}

/// A record in HubSpot's v3 shape.
fn render(inner: &Inner, object: &CrmObject, view: &View) -> Value {
    let defs = schema::properties(object.object_type);
    let mut names: Vec<String> = match &view.properties {
        None => schema::default_properties(object.object_type)
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        Some(wanted) => {
            let mut names = wanted.clone();
            names.extend(["createdate", "hs_object_id", "hs_lastmodifieddate"].map(str::to_owned));
            if object.object_type == ObjectType::Contacts {
                names.push("lastmodifieddate".to_owned());
            }
            names
        }
    };
    names.sort();
    names.dedup();
    let mut properties = Map::new();
    for name in names {
        if defs.iter().any(|d| d.name == name) {
            let value = object
                .properties
                .get(&name)
                .filter(|v| !v.is_empty())
                .map_or(Value::Null, |v| json!(v));
            properties.insert(name, value);
        }
    }
    let mut out = json!({
        "id": object.id.to_string(),
        "properties": properties,
        "createdAt": iso(object.created_at),
        "updatedAt": iso(object.updated_at),
        "archived": object.archived,
    });
    if object.archived {
        out["archivedAt"] = json!(iso(object.updated_at));
    }
    if !view.with_history.is_empty() {
        let mut history = Map::new();
        for name in &view.with_history {
            if let Some(entries) = object.history.get(name) {
                let list: Vec<Value> = entries
                    .iter()
                    .rev()
                    .map(|e| {
                        json!({"value": e.value, "timestamp": iso(e.timestamp),
                               "sourceType": e.source_type})
                    })
                    .collect();
                history.insert(name.clone(), Value::Array(list));
            }
        }
        out["propertiesWithHistory"] = Value::Object(history);
    }
    if !view.associations.is_empty() {
        let mut associations = Map::new();
        for to in &view.associations {
            let results: Vec<Value> = inner
                .edges
                .range(
                    (object.object_type, object.id, *to, 0, 0)
                        ..=(object.object_type, object.id, *to, u64::MAX, u32::MAX),
                )
                .filter_map(|edge| {
                    association_kind(edge.4)
                        .map(|k| json!({"id": edge.3.to_string(), "type": k.name}))
                })
                .collect();
            if !results.is_empty() {
                associations.insert(to.plural().to_owned(), json!({"results": results}));
            }
        }
        if !associations.is_empty() {
            out["associations"] = Value::Object(associations);
        }
    }
    out
}

fn batch_envelope(results: Vec<Value>, started: chrono::DateTime<Utc>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("status".into(), json!("COMPLETE"));
    body.insert("results".into(), Value::Array(results));
    body.insert("startedAt".into(), json!(iso(started)));
    body.insert("completedAt".into(), json!(iso(Utc::now())));
    body
}

async fn not_found() -> ApiError {
    ApiError::no_route()
}

// ---------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct TypePath {
    object_type: String,
}

#[derive(Debug, Deserialize)]
struct ObjectPath {
    object_type: String,
    id: String,
}

async fn list(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let params = Params::parse(&uri);
    let view = View::from_params(&params)?;
    let limit = match params.one("limit") {
        None => 10,
        Some(raw) => raw
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("limit must be a number, was {raw}.")))?,
    };
    if limit == 0 || limit > MAX_LIST_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIST_LIMIT}, was {limit}."
        )));
    }
    let after = match params.one("after") {
        None => 0,
        Some(raw) => raw
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("Invalid after cursor: {raw}")))?,
    };
    let archived = params.flag("archived");
    let inner = crm.lock();
    let mut page = inner.objects[&object_type]
        .range(after..)
        .map(|(_, o)| o)
        .filter(|o| o.archived == archived);
    let results: Vec<Value> = page
        .by_ref()
        .take(limit)
        .map(|o| render(&inner, o, &view))
        .collect();
    let mut body = json!({"results": results});
    if let Some(next) = page.next() {
        let mut link = format!(
            "{}/crm/v3/objects/{}?limit={limit}&after={}",
            base_url(&headers),
            object_type.plural(),
            next.id
        );
        if let Some(properties) = &view.properties {
            link.push_str(&format!("&properties={}", properties.join(",")));
        }
        body["paging"] = json!({"next": {"after": next.id.to_string(), "link": link}});
    }
    Ok(Json(body))
}

async fn get_one(
    State(crm): State<MockCrm>,
    Path(path): Path<ObjectPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let params = Params::parse(&uri);
    let view = View::from_params(&params)?;
    let inner = crm.lock();
    let object = if params.flag("archived") {
        path.id
            .parse::<u64>()
            .ok()
            .and_then(|id| inner.objects[&object_type].get(&id))
            .filter(|o| o.archived)
            .ok_or_else(|| ApiError::not_found(&path.id))?
    } else {
        let id = inner.resolve(object_type, &path.id, params.one("idProperty"))?;
        &inner.objects[&object_type][&id]
    };
    Ok(Json(render(&inner, object, &view)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WriteBody {
    properties: Map<String, Value>,
    associations: Vec<AssociationBody>,
}

#[derive(Debug, Deserialize)]
struct AssociationBody {
    to: AssociationTarget,
    #[serde(default)]
    types: Vec<AssociationTypeBody>,
}

#[derive(Debug, Deserialize)]
struct AssociationTarget {
    id: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociationTypeBody {
    #[serde(default)]
    association_category: Option<String>,
    association_type_id: u32,
}

fn association_inputs(bodies: &[AssociationBody]) -> Result<Vec<AssociationInput>, ApiError> {
    bodies
        .iter()
        .map(|a| {
            let raw = value_to_string(&a.to.id);
            let to_id = raw.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("Association target id {raw} is not a valid id."))
            })?;
            if let Some(category) = a.types.iter().find_map(|t| {
                t.association_category
                    .as_deref()
                    .filter(|c| *c != "HUBSPOT_DEFINED")
            }) {
                return Err(ApiError::bad_request(format!(
                    "Association category {category} is not defined in this portal."
                )));
            }
            Ok(AssociationInput {
                to_id,
                type_ids: a.types.iter().map(|t| t.association_type_id).collect(),
            })
        })
        .collect()
}

fn all_properties_view(object: &CrmObject) -> View {
    View {
        properties: Some(object.properties.keys().cloned().collect()),
        ..View::default()
    }
}

async fn create(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let body: WriteBody = json_body(&body)?;
    let associations = association_inputs(&body.associations)?;
    let mut inner = crm.lock();
    let id = inner.create(object_type, &body.properties, &associations, Utc::now())?;
    let object = &inner.objects[&object_type][&id];
    tracing::info!(%object_type, id, "object created");
    let rendered = render(&inner, object, &all_properties_view(object));
    Ok((StatusCode::CREATED, Json(rendered)).into_response())
}

async fn update(
    State(crm): State<MockCrm>,
    Path(path): Path<ObjectPath>,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let params = Params::parse(&uri);
    let body: WriteBody = json_body(&body)?;
    let mut inner = crm.lock();
    let id = inner.resolve(object_type, &path.id, params.one("idProperty"))?;
    inner.update(object_type, id, &body.properties, Utc::now())?;
    let object = &inner.objects[&object_type][&id];
    Ok(Json(render(&inner, object, &all_properties_view(object))))
}

async fn archive(
    State(crm): State<MockCrm>,
    Path(path): Path<ObjectPath>,
) -> Result<StatusCode, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let mut inner = crm.lock();
    let id = inner.resolve(object_type, &path.id, None)?;
    inner.archive(object_type, id, Utc::now());
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct BatchReadBody {
    inputs: Vec<BatchId>,
    properties: Option<Vec<String>>,
    properties_with_history: Vec<String>,
    id_property: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BatchId {
    id: Value,
}

async fn batch_read(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let started = Utc::now();
    let object_type = object_type(&path.object_type)?;
    let body: BatchReadBody = json_body(&body)?;
    if body.inputs.len() > MAX_BATCH_INPUTS {
        return Err(ApiError::bad_request(format!(
            "Batch input limit exceeded: {} inputs were provided, the limit is {MAX_BATCH_INPUTS}.",
            body.inputs.len()
        )));
    }
    let params = Params::parse(&uri);
    let archived = params.flag("archived");
    let view = View {
        properties: body.properties.filter(|p| !p.is_empty()),
        with_history: body.properties_with_history,
        associations: Vec::new(),
    };
    let inner = crm.lock();
    let mut results = Vec::new();
    let mut missing = Vec::new();
    let mut seen = Vec::new();
    for input in &body.inputs {
        let raw = value_to_string(&input.id);
        let found = if archived {
            raw.parse::<u64>().ok().filter(|id| {
                inner.objects[&object_type]
                    .get(id)
                    .is_some_and(|o| o.archived)
            })
        } else {
            inner
                .resolve(object_type, &raw, body.id_property.as_deref())
                .ok()
        };
        match found {
            Some(id) if !seen.contains(&id) => {
                seen.push(id);
                results.push(render(&inner, &inner.objects[&object_type][&id], &view));
            }
            Some(_) => {}
            None => missing.push(raw),
        }
    }
    let mut envelope = batch_envelope(results, started);
    if missing.is_empty() {
        return Ok(Json(Value::Object(envelope)).into_response());
    }
    envelope.insert("numErrors".into(), json!(1));
    envelope.insert(
        "errors".into(),
        json!([{
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": format!(
                "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
                object_type.upper()
            ),
            "context": {"ids": missing},
        }]),
    );
    Ok((StatusCode::MULTI_STATUS, Json(Value::Object(envelope))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BatchUpsertBody {
    inputs: Vec<UpsertInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpsertInput {
    id: Value,
    id_property: String,
    #[serde(default)]
    properties: Map<String, Value>,
}

/// `POST /crm/v3/objects/{type}/batch/upsert`: update by a unique property, or create with
/// it set. Inputs are applied in order; the first refused input stops the batch.
async fn batch_upsert(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let started = Utc::now();
    let object_type = object_type(&path.object_type)?;
    let body: BatchUpsertBody = json_body(&body)?;
    if body.inputs.len() > MAX_BATCH_INPUTS {
        return Err(ApiError::bad_request(format!(
            "Batch input limit exceeded: {} inputs were provided, the limit is {MAX_BATCH_INPUTS}.",
            body.inputs.len()
        )));
    }
    let mut inner = crm.lock();
    let mut results = Vec::new();
    for input in &body.inputs {
        let key = value_to_string(&input.id);
        let now = Utc::now();
        let (id, new) = match inner.resolve(object_type, &key, Some(&input.id_property)) {
            Ok(id) => {
                inner.update(object_type, id, &input.properties, now)?;
                (id, false)
            }
            Err(error) if error.status == StatusCode::NOT_FOUND => {
                let mut properties = input.properties.clone();
                properties.insert(input.id_property.clone(), json!(key));
                (inner.create(object_type, &properties, &[], now)?, true)
            }
            Err(error) => return Err(error),
        };
        let object = &inner.objects[&object_type][&id];
        let mut rendered = render(&inner, object, &all_properties_view(object));
        rendered["new"] = json!(new);
        results.push(rendered);
    }
    Ok(Json(Value::Object(batch_envelope(results, started))))
}

async fn search(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let request: SearchRequest = json_body(&body)?;
    let (offset, limit) = request.validate()?;
    let (sort_by, descending) = request.sort();
    let inner = crm.lock();
    let mut hits: Vec<&CrmObject> = inner.objects[&object_type]
        .values()
        .filter(|o| !o.archived)
        .filter(|o| search::matches(o, &request.filter_groups, &*inner))
        .filter(|o| {
            request
                .query
                .as_deref()
                .is_none_or(|q| search::matches_query(o, q))
        })
        .collect();
    search::sort(&mut hits, sort_by, descending);
    let total = hits.len();
    let view = View {
        properties: (!request.properties.is_empty()).then(|| request.properties.clone()),
        ..View::default()
    };
    let end = (offset + limit).min(total);
    let results: Vec<Value> = hits
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let mut rendered = render(&inner, o, &view);
            if let Some(object) = rendered.as_object_mut() {
                object.remove("archivedAt");
            }
            rendered
        })
        .collect();
    let mut body = json!({"total": total, "results": results});
    if end < total && end < search::MAX_SEARCH_RESULTS {
        body["paging"] = json!({"next": {"after": end.to_string()}});
    }
    Ok(Json(body))
}

// ---------------------------------------------------------------------------------------
// Associations (v4)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct AssociationsPath {
    from: String,
    id: String,
    to: String,
}

#[derive(Debug, Deserialize)]
struct AssociationPairPath {
    from: String,
    id: String,
    to: String,
    to_id: String,
}

async fn list_associations(
    State(crm): State<MockCrm>,
    Path(path): Path<AssociationsPath>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let from = object_type(&path.from)?;
    let to = object_type(&path.to)?;
    let params = Params::parse(&uri);
    let limit = params
        .one("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(MAX_ASSOCIATION_LIMIT)
        .clamp(1, MAX_ASSOCIATION_LIMIT);
    let offset = params
        .one("after")
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(0);
    let inner = crm.lock();
    let id = inner.resolve(from, &path.id, None)?;
    let targets = inner.associated(from, id, to);
    let end = (offset + limit).min(targets.len());
    let results: Vec<Value> = targets
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(|to_id| {
            let types: Vec<Value> = inner
                .association_types(from, id, to, *to_id)
                .into_iter()
                .filter_map(association_kind)
                .map(|k| json!({"category": "HUBSPOT_DEFINED", "typeId": k.type_id, "label": k.label}))
                .collect();
            json!({"toObjectId": to_id, "associationTypes": types})
        })
        .collect();
    let mut body = json!({"results": results});
    if end < targets.len() {
        let link = format!(
            "{}/crm/v4/objects/{}/{id}/associations/{}?limit={limit}&after={end}",
            base_url(&headers),
            from.plural(),
            to.plural()
        );
        body["paging"] = json!({"next": {"after": end.to_string(), "link": link}});
    }
    Ok(Json(body))
}

async fn associate_default(
    State(crm): State<MockCrm>,
    Path(path): Path<AssociationPairPath>,
) -> Result<Json<Value>, ApiError> {
    let started = Utc::now();
    let from = object_type(&path.from)?;
    let to = object_type(&path.to)?;
    let kind = default_kind(from, to).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{} records cannot be associated with {} records.",
            from.singular(),
            to.singular()
        ))
    })?;
    let mut inner = crm.lock();
    let id = inner.resolve(from, &path.id, None)?;
    let to_id = inner.resolve(to, &path.to_id, None)?;
    inner.associate(kind, id, to_id);
    let inverse = crate::model::inverse_kind(kind);
    let results = vec![
        json!({"from": {"id": id.to_string()}, "to": {"id": to_id.to_string()},
               "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                   "associationTypeId": kind.type_id}}),
        json!({"from": {"id": to_id.to_string()}, "to": {"id": id.to_string()},
               "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                   "associationTypeId": inverse.type_id}}),
    ];
    Ok(Json(Value::Object(batch_envelope(results, started))))
}

async fn dissociate(
    State(crm): State<MockCrm>,
    Path(path): Path<AssociationPairPath>,
) -> Result<StatusCode, ApiError> {
    let from = object_type(&path.from)?;
    let to = object_type(&path.to)?;
    let mut inner = crm.lock();
    let id = inner.resolve(from, &path.id, None)?;
    let to_id = inner.resolve(to, &path.to_id, None)?;
    inner.dissociate(from, id, to, to_id);
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Pipelines and properties
// ---------------------------------------------------------------------------------------

fn deals_only(name: &str) -> Result<(), ApiError> {
    match object_type(name)? {
        ObjectType::Deals => Ok(()),
        other => Err(ApiError::bad_request(format!(
            "Object type {other} has no pipelines; only deals do in this portal."
        ))),
    }
}

fn find_pipeline(id: &str) -> Result<(usize, schema::Pipeline), ApiError> {
    schema::pipelines()
        .into_iter()
        .enumerate()
        .find(|(_, p)| p.id == id)
        .ok_or_else(|| ApiError::not_found(id))
}

async fn pipelines(Path(path): Path<TypePath>) -> Result<Json<Value>, ApiError> {
    deals_only(&path.object_type)?;
    let results: Vec<Value> = schema::pipelines()
        .iter()
        .enumerate()
        .map(|(i, p)| p.to_json(i))
        .collect();
    Ok(Json(json!({"results": results})))
}

#[derive(Debug, Deserialize)]
struct PipelinePath {
    object_type: String,
    pipeline_id: String,
}

async fn pipeline(Path(path): Path<PipelinePath>) -> Result<Json<Value>, ApiError> {
    deals_only(&path.object_type)?;
    let (order, pipeline) = find_pipeline(&path.pipeline_id)?;
    Ok(Json(pipeline.to_json(order)))
}

async fn stages(Path(path): Path<PipelinePath>) -> Result<Json<Value>, ApiError> {
    deals_only(&path.object_type)?;
    let (_, pipeline) = find_pipeline(&path.pipeline_id)?;
    let results: Vec<Value> = pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_json(i))
        .collect();
    Ok(Json(json!({"results": results})))
}

async fn properties(Path(path): Path<TypePath>) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let results: Vec<Value> = schema::properties(object_type)
        .iter()
        .enumerate()
        .map(|(i, d)| d.to_json(i))
        .collect();
    Ok(Json(json!({"results": results})))
}

#[derive(Debug, Deserialize)]
struct PropertyPath {
    object_type: String,
    name: String,
}

async fn property(Path(path): Path<PropertyPath>) -> Result<Json<Value>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    schema::properties(object_type)
        .iter()
        .enumerate()
        .find(|(_, d)| d.name == path.name)
        .map(|(i, d)| Json(d.to_json(i)))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!(
                    "Unable to find property {} for object type {}",
                    path.name,
                    object_type.type_id()
                ),
            )
        })
}

// ---------------------------------------------------------------------------------------
// OAuth
// ---------------------------------------------------------------------------------------

fn oauth_error(status: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": status, "message": message,
                    "correlationId": uuid::Uuid::new_v4()})),
    )
        .into_response()
}

/// `POST /oauth/v1/token` (form-encoded), `grant_type=refresh_token` only.
async fn oauth_token(State(crm): State<MockCrm>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let options = crm.options();
    if field("grant_type") != "refresh_token" {
        return oauth_error(
            "BAD_GRANT_TYPE",
            "grant_type must be refresh_token (the only grant this mock supports)",
        );
    }
    if field("client_id") != options.client_id {
        return oauth_error("BAD_CLIENT_ID", "missing or invalid client_id");
    }
    if field("client_secret") != options.client_secret {
        return oauth_error("BAD_CLIENT_SECRET", "missing or invalid client_secret");
    }
    if field("refresh_token") != options.refresh_token {
        return oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token");
    }
    let access_token = crm.issue_token();
    Json(json!({
        "token_type": "bearer",
        "access_token": access_token,
        "refresh_token": options.refresh_token,
        "expires_in": 1800,
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------

async fn admin_objects(
    State(crm): State<MockCrm>,
    Path(path): Path<TypePath>,
) -> Result<Json<Vec<CrmObject>>, ApiError> {
    let object_type = object_type(&path.object_type)?;
    let inner = crm.lock();
    Ok(Json(
        inner.objects[&object_type].values().cloned().collect(),
    ))
}

async fn admin_expire_tokens(State(crm): State<MockCrm>) -> StatusCode {
    crm.expire_tokens();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct GenerateBody {
    count: usize,
}

async fn admin_generate_contacts(
    State(crm): State<MockCrm>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: GenerateBody = json_body(&body)?;
    if body.count > 50_000 {
        return Err(ApiError::bad_request("count must be at most 50000"));
    }
    crm.generate_contacts(body.count);
    let total = crm.count(ObjectType::Contacts);
    Ok((StatusCode::CREATED, Json(json!({"contacts": total}))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_versioned_paths_map_onto_classic_ones() {
        assert_eq!(
            canonical_path("/crm/objects/2026-03/contacts").as_deref(),
            Some("/crm/v3/objects/contacts")
        );
        assert_eq!(
            canonical_path("/crm/objects/2026-03/contacts/12/associations/companies").as_deref(),
            Some("/crm/v4/objects/contacts/12/associations/companies")
        );
        assert_eq!(
            canonical_path("/crm/pipelines/2025-09/deals").as_deref(),
            Some("/crm/v3/pipelines/deals")
        );
        assert_eq!(
            canonical_path("/crm/properties/2026-03/contacts/email").as_deref(),
            Some("/crm/v3/properties/contacts/email")
        );
        assert_eq!(canonical_path("/crm/v3/objects/contacts"), None);
        assert_eq!(canonical_path("/crm/objects/v3/contacts"), None);
        assert_eq!(canonical_path("/crm/objects/2026-3/contacts"), None);
        assert_eq!(canonical_path("/crm/owners/2026-03/x"), None);
    }
}
