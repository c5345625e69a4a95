//! Projects, fields and create metadata.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiError, Ctx, DEFAULT_PAGE, MAX_PAGE, Params, base_url, jira_error};
use crate::model::{self, Project};
use crate::render::{Api, ISSUE_FIELDS, Renderer};
use crate::state::Store;

/// The createmeta endpoints refuse pages above this.
const CREATEMETA_MAX: usize = 200;

fn project_not_found(key: &str) -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        &format!("No project could be found with key '{key}'."),
    )
}

/// `GET /field`: system fields and the Severity custom field.
pub(crate) async fn fields() -> Json<Value> {
    let fields: Vec<Value> = ISSUE_FIELDS
        .iter()
        .map(|(id, name)| {
            let custom = id.starts_with("customfield_");
            let mut clause_names = vec![(*id).to_owned()];
            if custom {
                clause_names.push(format!("cf[{}]", id.trim_start_matches("customfield_")));
                clause_names.push((*name).to_owned());
            }
            json!({
                "id": id,
                "key": id,
                "name": name,
                "custom": custom,
                "orderable": !matches!(*id, "created" | "updated" | "resolutiondate" | "status" | "creator"),
                "navigable": *id != "comment",
                "searchable": true,
                "clauseNames": clause_names,
                "schema": field_schema(id),
            })
        })
        .collect();
    Json(Value::Array(fields))
}

fn field_schema(id: &str) -> Value {
    match id {
        "summary" => json!({"type": "string", "system": "summary"}),
        "description" => json!({"type": "string", "system": "description"}),
        "status" => json!({"type": "status", "system": "status"}),
        "assignee" | "reporter" | "creator" => json!({"type": "user", "system": id}),
        "priority" => json!({"type": "priority", "system": "priority"}),
        "issuetype" => json!({"type": "issuetype", "system": "issuetype"}),
        "project" => json!({"type": "project", "system": "project"}),
        "labels" => json!({"type": "array", "items": "string", "system": "labels"}),
        "components" => json!({"type": "array", "items": "component", "system": "components"}),
        "created" | "updated" | "resolutiondate" => json!({"type": "datetime", "system": id}),
        "resolution" => json!({"type": "resolution", "system": "resolution"}),
        "duedate" => json!({"type": "date", "system": "duedate"}),
        "comment" => json!({"type": "comments-page", "system": "comment"}),
        model::SEVERITY_FIELD => json!({
            "type": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
            "customId": 10010,
        }),
        _ => Value::Null,
    }
}

/// `GET /project`: every project (Data Center's list; deprecated on Cloud but still served).
pub(crate) async fn list(State(ctx): State<Ctx>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        Json(Value::Array(
            store
                .projects
                .iter()
                .map(|p| renderer.project_ref(p))
                .collect(),
        ))
    })
}

/// `GET /project/search`: paged, filtered by `query` and `keys`, ordered by key or name.
pub(crate) async fn search(State(ctx): State<Ctx>, uri: Uri, headers: HeaderMap) -> Response {
    let params = Params::parse(uri.query());
    let start_at = match params.number("startAt", 0) {
        Ok(n) => n,
        Err(error) => return error.into_response(),
    };
    let max_results = match params.number("maxResults", DEFAULT_PAGE) {
        Ok(n) => n.min(MAX_PAGE),
        Err(error) => return error.into_response(),
    };
    let query = params.get("query").unwrap_or("").to_lowercase();
    let keys: Vec<String> = params
        .all("keys")
        .iter()
        .flat_map(|k| k.split(','))
        .map(str::to_owned)
        .collect();
    let order = params.get("orderBy").unwrap_or("key").to_owned();
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let mut projects: Vec<&Project> = store
            .projects
            .iter()
            .filter(|p| {
                query.is_empty()
                    || p.key.to_lowercase().contains(&query)
                    || p.name.to_lowercase().contains(&query)
            })
            .filter(|p| keys.is_empty() || keys.iter().any(|k| k.eq_ignore_ascii_case(&p.key)))
            .collect();
        let (descending, field) = match order.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, order.trim_start_matches('+')),
        };
        match field {
            "name" => projects.sort_by_key(|p| p.name.to_lowercase()),
            "key"
            | "category"
            | "owner"
            | "issueCount"
            | "lastIssueUpdatedTime"
            | "archivedDate"
            | "deletedDate" => projects.sort_by(|a, b| a.key.cmp(&b.key)),
            other => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    &format!("The value '{other}' is not valid for orderBy."),
                );
            }
        }
        if descending {
            projects.reverse();
        }
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let total = projects.len();
        let values: Vec<Value> = projects
            .iter()
            .skip(start_at)
            .take(max_results)
            .map(|p| {
                let mut value = renderer.project_ref(p);
                value["description"] = json!(p.description);
                value
            })
            .collect();
        let is_last = start_at + values.len() >= total;
        let page_url = |start: usize| {
            format!(
                "{base}/rest/api/{}/project/search?startAt={start}&maxResults={max_results}",
                ctx.api.number()
            )
        };
        let mut body = json!({
            "self": page_url(start_at),
            "maxResults": max_results,
            "startAt": start_at,
            "total": total,
            "isLast": is_last,
            "values": values,
        });
        if !is_last {
            body["nextPage"] = json!(page_url(start_at + max_results));
        }
        Json(body).into_response()
    })
}

/// `GET /project/{projectIdOrKey}`: with issue types and components.
pub(crate) async fn get(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_project(&key) else {
            return project_not_found(&key);
        };
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        Json(renderer.project(&store.projects[index])).into_response()
    })
}

/// Paging for the createmeta endpoints: `(startAt, maxResults)` or the 400.
fn createmeta_page(params: &Params) -> Result<(usize, usize), ApiError> {
    let start_at = params.number("startAt", 0)?;
    let max_results = params.number("maxResults", DEFAULT_PAGE)?;
    if max_results > CREATEMETA_MAX {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            &format!("Parameter 'maxResults' must not exceed the limit '{CREATEMETA_MAX}'"),
        ));
    }
    Ok((start_at, max_results))
}

/// A page of values: `{"issueTypes"|"fields": [...]}` on v3 (Cloud), `{"values": [...],
/// "isLast"}` on v2 (Data Center).
fn meta_page(
    api: Api,
    v3_name: &str,
    items: Vec<Value>,
    start_at: usize,
    max_results: usize,
) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start_at).take(max_results).collect();
    let is_last = start_at + page.len() >= total;
    match api {
        Api::V3 => json!({
            v3_name: page,
            "maxResults": max_results,
            "startAt": start_at,
            "total": total,
        }),
        Api::V2 => json!({
            "values": page,
            "maxResults": max_results,
            "startAt": start_at,
            "total": total,
            "isLast": is_last,
        }),
    }
}

/// `GET /issue/createmeta/{project}/issuetypes`.
pub(crate) async fn createmeta_types(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (start_at, max_results) = match createmeta_page(&Params::parse(uri.query())) {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        if store.find_project(&key).is_none() {
            return project_not_found(&key);
        }
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let types = model::ISSUE_TYPES
            .iter()
            .map(|t| renderer.issue_type(t.id))
            .collect();
        Json(meta_page(
            ctx.api,
            "issueTypes",
            types,
            start_at,
            max_results,
        ))
        .into_response()
    })
}

/// `GET /issue/createmeta/{project}/issuetypes/{issueTypeId}`: fields with `required` and
/// `allowedValues`.
pub(crate) async fn createmeta_fields(
    State(ctx): State<Ctx>,
    Path((key, issue_type)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (start_at, max_results) = match createmeta_page(&Params::parse(uri.query())) {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(project) = store.find_project(&key) else {
            return project_not_found(&key);
        };
        let Some(issue_type) = model::ISSUE_TYPES.iter().find(|t| t.id == issue_type) else {
            return jira_error(
                StatusCode::NOT_FOUND,
                &format!("Issue type with id '{issue_type}' does not exist in project '{key}'."),
            );
        };
        let fields = create_fields(
            ctx.api,
            &base,
            store,
            &store.projects[project],
            issue_type.id,
        );
        Json(meta_page(ctx.api, "fields", fields, start_at, max_results)).into_response()
    })
}

fn create_fields(
    api: Api,
    base: &str,
    store: &Store,
    project: &Project,
    issue_type: &str,
) -> Vec<Value> {
    let renderer = Renderer { api, base, store };
    let field = |id: &str, name: &str, required: bool, operations: &[&str]| {
        json!({
            "required": required,
            "schema": field_schema(id),
            "name": name,
            "key": id,
            "fieldId": id,
            "hasDefaultValue": false,
            "operations": operations,
        })
    };
    let mut fields = vec![
        {
            let mut f = field("issuetype", "Issue Type", true, &[]);
            f["allowedValues"] = json!([renderer.issue_type(issue_type)]);
            f
        },
        {
            let mut f = field("project", "Project", true, &["set"]);
            f["allowedValues"] = json!([renderer.project_ref(project)]);
            f
        },
        field("summary", "Summary", true, &["set"]),
        field("description", "Description", false, &["set"]),
        {
            let mut f = field("reporter", "Reporter", true, &["set"]);
            f["hasDefaultValue"] = json!(true);
            f["autoCompleteUrl"] = json!(format!(
                "{base}/rest/api/{}/user/search?query=",
                api.number()
            ));
            f
        },
        {
            let mut f = field("assignee", "Assignee", false, &["set"]);
            f["autoCompleteUrl"] = json!(format!(
                "{base}/rest/api/{}/user/assignable/search?project={}&query=",
                api.number(),
                project.key
            ));
            f
        },
        {
            let mut f = field("priority", "Priority", false, &["set"]);
            f["hasDefaultValue"] = json!(true);
            f["defaultValue"] = renderer.priority(model::DEFAULT_PRIORITY);
            f["allowedValues"] = model::PRIORITIES
                .iter()
                .map(|p| renderer.priority(p.id))
                .collect();
            f
        },
        {
            let mut f = field("labels", "Labels", false, &["add", "set", "remove"]);
            f["autoCompleteUrl"] = json!(format!("{base}/rest/api/1.0/labels/suggest?query="));
            f
        },
        {
            let mut f = field("components", "Components", false, &["add", "set", "remove"]);
            f["allowedValues"] = project
                .components
                .iter()
                .map(|c| renderer.component(project, &c.id))
                .collect();
            f
        },
        field("duedate", "Due date", false, &["set"]),
    ];
    if issue_type == model::SEVERITY_REQUIRED_FOR {
        let mut f = field(model::SEVERITY_FIELD, model::SEVERITY_NAME, true, &["set"]);
        f["allowedValues"] = model::SEVERITY_OPTIONS
            .iter()
            .map(|(id, _)| renderer.severity(Some(id)))
            .collect();
        fields.push(f);
    }
    fields
}
