//! Writes: create, edit, transition, assign and comment, with Jira's validation and its
//! `{"errorMessages": [...], "errors": {field: message}}` failures.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Map, Value};

use crate::adf;
use crate::model::{self, Comment, Issue};
use crate::render::Api;
use crate::state::{ME, Store};

/// Why a write was refused (always a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub messages: Vec<String>,
    pub errors: BTreeMap<String, String>,
}

impl Rejected {
    pub fn message(message: impl Into<String>) -> Self {
        Self {
            messages: vec![message.into()],
            errors: BTreeMap::new(),
        }
    }

    fn fields(errors: BTreeMap<String, String>) -> Self {
        Self {
            messages: Vec::new(),
            errors,
        }
    }
}

fn cannot_set(field: &str) -> String {
    format!("Field '{field}' cannot be set. It is not on the appropriate screen, or unknown.")
}

/// Rich text input: an ADF document on v3, a wiki-markup string on v2 (`null` clears).
pub(crate) fn rich_text(api: Api, value: &Value) -> Result<Option<Value>, String> {
    match (api, value) {
        (_, Value::Null) => Ok(None),
        (Api::V3, doc) if adf::is_doc(doc) => Ok(Some(doc.clone())),
        (Api::V3, _) => Err(
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                .to_owned(),
        ),
        (Api::V2, Value::String(text)) if text.trim().is_empty() => Ok(None),
        (Api::V2, Value::String(text)) => Ok(Some(adf::from_wiki(text))),
        (Api::V2, _) => Err("Operation value must be a string".to_owned()),
    }
}

/// A user reference: `{"accountId"}` / `{"id"}` on v3, `{"name"}` / `{"key"}` on v2 (each API
/// also takes the other's identifiers); `null` means nobody.
fn user_ref(store: &Store, value: &Value) -> Result<Option<usize>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let identifier = ["accountId", "id", "name", "key"]
        .iter()
        .find_map(|k| value.get(k))
        .or(Some(value))
        .and_then(Value::as_str);
    let Some(identifier) = identifier else {
        return Err("Specify a valid user: an accountId or name.".to_owned());
    };
    store
        .find_user(identifier)
        .map(Some)
        .ok_or_else(|| format!("User '{identifier}' does not exist."))
}

/// The `id` or `name` of an `{"id"}`/`{"name"}` reference (or a bare string).
fn id_or_name(value: &Value) -> Option<&str> {
    value
        .get("id")
        .or_else(|| value.get("name"))
        .or_else(|| value.get("value"))
        .or_else(|| value.get("key"))
        .unwrap_or(value)
        .as_str()
}

/// Resolves component references against the issue's project.
fn components(store: &Store, issue: &Issue, values: &[Value]) -> Result<Vec<String>, String> {
    let project = &store.projects[issue.project];
    values
        .iter()
        .map(|value| {
            let wanted = id_or_name(value).unwrap_or_default();
            project
                .components
                .iter()
                .find(|c| c.id == wanted || c.name.eq_ignore_ascii_case(wanted))
                .map(|c| c.id.clone())
                .ok_or_else(|| {
                    format!(
                        "Component '{wanted}' is not valid for project {}.",
                        project.key
                    )
                })
        })
        .collect()
}

fn labels(values: &[Value]) -> Result<Vec<String>, String> {
    values
        .iter()
        .map(|value| match value.as_str() {
            Some(label) if label.contains(char::is_whitespace) => Err(format!(
                "The label '{label}' contains spaces which is invalid."
            )),
            Some(label) if !label.is_empty() => Ok(label.to_owned()),
            _ => Err("Labels must be non-empty strings.".to_owned()),
        })
        .collect()
}

fn array(value: &Value) -> Result<&[Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err("data was not an array".to_owned()),
    }
}

/// Sets one field on `issue` from a `fields` entry.
fn set_field(
    store: &Store,
    api: Api,
    issue: &mut Issue,
    field: &str,
    value: &Value,
) -> Result<(), String> {
    match field {
        "summary" => match value {
            Value::Null => Err("You must specify a summary of the issue.".to_owned()),
            Value::String(summary) if summary.trim().is_empty() => {
                Err("You must specify a summary of the issue.".to_owned())
            }
            Value::String(summary) if summary.chars().count() > 255 => {
                Err("Summary must be less than 255 characters.".to_owned())
            }
            Value::String(summary) => {
                issue.summary = summary.trim().to_owned();
                Ok(())
            }
            _ => Err("Operation value must be a string".to_owned()),
        },
        "description" => {
            issue.description = rich_text(api, value)?;
            Ok(())
        }
        "assignee" => {
            issue.assignee = user_ref(store, value)?;
            Ok(())
        }
        "reporter" => {
            issue.reporter =
                Some(user_ref(store, value)?.ok_or_else(|| "Reporter is required.".to_owned())?);
            Ok(())
        }
        "priority" => {
            let wanted = id_or_name(value).ok_or_else(|| {
                "Specify the Priority (id or name) in the string format".to_owned()
            })?;
            issue.priority = model::priority(wanted)
                .ok_or_else(|| format!("The priority '{wanted}' is invalid."))?
                .id;
            Ok(())
        }
        "labels" => {
            issue.labels = labels(array(value)?)?;
            Ok(())
        }
        "components" => {
            issue.components = components(store, issue, array(value)?)?;
            Ok(())
        }
        "duedate" => match value {
            Value::Null => {
                issue.due_date = None;
                Ok(())
            }
            Value::String(date) if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() => {
                issue.due_date = Some(date.clone());
                Ok(())
            }
            other => Err(format!("Error parsing date string: {other}")),
        },
        "issuetype" => {
            let wanted = id_or_name(value).unwrap_or_default();
            issue.issue_type = model::issue_type(wanted)
                .ok_or_else(|| "Specify a valid issue type".to_owned())?
                .id;
            if issue.issue_type != model::SEVERITY_REQUIRED_FOR {
                issue.severity = None;
            }
            Ok(())
        }
        model::SEVERITY_FIELD => {
            if issue.issue_type != model::SEVERITY_REQUIRED_FOR {
                return Err(cannot_set(field));
            }
            if value.is_null() {
                issue.severity = None;
                return Ok(());
            }
            let wanted = id_or_name(value).unwrap_or_default();
            let (id, _) = model::severity(wanted).ok_or_else(|| {
                format!(
                    "Option value '{wanted}' is not valid for field {}.",
                    model::SEVERITY_NAME
                )
            })?;
            issue.severity = Some(id);
            Ok(())
        }
        _ => Err(cannot_set(field)),
    }
}

/// Applies `update` operations (`set`, `add`, `remove`) on top of `fields`; comment `add`
/// operations are collected into `new_comments` (ADF bodies).
fn apply_update(
    store: &Store,
    api: Api,
    issue: &mut Issue,
    update: &Map<String, Value>,
    fields: &Map<String, Value>,
    new_comments: &mut Vec<Value>,
    errors: &mut BTreeMap<String, String>,
) {
    for (field, operations) in update {
        if fields.contains_key(field) {
            errors.insert(
                field.clone(),
                format!("Field '{field}' cannot appear in both 'fields' and 'update'."),
            );
            continue;
        }
        let Some(operations) = operations.as_array() else {
            errors.insert(
                field.clone(),
                "Update operations must be an array.".to_owned(),
            );
            continue;
        };
        for operation in operations {
            let Some((verb, value)) = operation.as_object().and_then(|o| o.iter().next()) else {
                errors.insert(field.clone(), "Invalid update operation.".to_owned());
                continue;
            };
            let result = match (field.as_str(), verb.as_str()) {
                ("comment", "add") => match value.get("body").map(|b| rich_text(api, b)) {
                    Some(Ok(Some(body))) => {
                        new_comments.push(body);
                        Ok(())
                    }
                    Some(Err(message)) => Err(message),
                    _ => Err("Comment body can not be empty!".to_owned()),
                },
                ("labels", "add") => labels(std::slice::from_ref(value)).map(|mut added| {
                    added.retain(|l| !issue.labels.contains(l));
                    issue.labels.extend(added);
                }),
                ("labels", "remove") => {
                    let removed = value.as_str().unwrap_or_default();
                    issue.labels.retain(|l| l != removed);
                    Ok(())
                }
                ("components", "add") => {
                    components(store, issue, std::slice::from_ref(value)).map(|added| {
                        for id in added {
                            if !issue.components.contains(&id) {
                                issue.components.push(id);
                            }
                        }
                    })
                }
                ("components", "remove") => components(store, issue, std::slice::from_ref(value))
                    .map(|removed| {
                        issue.components.retain(|c| !removed.contains(c));
                    }),
                (_, "set") => set_field(store, api, issue, field, value),
                (_, verb) => Err(format!(
                    "The operation '{verb}' is not supported by the field '{field}'."
                )),
            };
            if let Err(message) = result {
                errors.insert(field.clone(), message);
            }
        }
    }
}

fn object<'a>(body: &'a Value, name: &str) -> Result<Option<&'a Map<String, Value>>, Rejected> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Rejected::message(format!("'{name}' must be an object."))),
    }
}

fn push_comments(store: &mut Store, index: usize, bodies: Vec<Value>) {
    let now = Utc::now();
    for body in bodies {
        let id = store.next_comment_id;
        store.next_comment_id += 1;
        store.issues[index].comments.push(Comment {
            id,
            author: ME,
            update_author: ME,
            body,
            created: now,
            updated: now,
        });
    }
}

/// `POST /issue`: validates and stores a new issue; returns its index.
pub(crate) fn create(store: &mut Store, api: Api, body: &Value) -> Result<usize, Rejected> {
    let empty = Map::new();
    let fields = object(body, "fields")?.unwrap_or(&empty);
    let update = object(body, "update")?.unwrap_or(&empty);
    let mut errors = BTreeMap::new();

    let project = match fields
        .get("project")
        .map(|p| id_or_name(p).unwrap_or_default())
    {
        Some(wanted) => store.find_project(wanted),
        None => None,
    };
    if project.is_none() {
        errors.insert(
            "project".to_owned(),
            "Specify a valid project ID or key".to_owned(),
        );
    }
    let issue_type = match fields.get("issuetype") {
        None => {
            errors.insert("issuetype".to_owned(), "Specify an issue type".to_owned());
            None
        }
        Some(value) => {
            let found = model::issue_type(id_or_name(value).unwrap_or_default());
            if found.is_none() {
                errors.insert(
                    "issuetype".to_owned(),
                    "Specify a valid issue type".to_owned(),
                );
            }
            found
        }
    };
    let (Some(project), Some(issue_type)) = (project, issue_type) else {
        return Err(Rejected::fields(errors));
    };

    let now = Utc::now();
    let mut issue = Issue {
        id: 0,
        key: String::new(),
        project,
        issue_type: issue_type.id,
        summary: String::new(),
        description: None,
        status: model::TO_DO,
        resolution: None,
        resolution_date: None,
        assignee: None,
        reporter: Some(ME),
        priority: model::DEFAULT_PRIORITY,
        labels: Vec::new(),
        components: Vec::new(),
        due_date: None,
        severity: None,
        created: now,
        updated: now,
        comments: Vec::new(),
        properties: BTreeMap::new(),
    };
    for (field, value) in fields {
        if field == "project" || field == "issuetype" {
            continue;
        }
        if let Err(message) = set_field(store, api, &mut issue, field, value) {
            errors.insert(field.clone(), message);
        }
    }
    let mut new_comments = Vec::new();
    apply_update(
        store,
        api,
        &mut issue,
        update,
        fields,
        &mut new_comments,
        &mut errors,
    );
    if issue.summary.is_empty() && !errors.contains_key("summary") {
        errors.insert(
            "summary".to_owned(),
            "You must specify a summary of the issue.".to_owned(),
        );
    }
    if issue.issue_type == model::SEVERITY_REQUIRED_FOR
        && issue.severity.is_none()
        && !errors.contains_key(model::SEVERITY_FIELD)
    {
        errors.insert(
            model::SEVERITY_FIELD.to_owned(),
            format!("{} is required.", model::SEVERITY_NAME),
        );
    }
    if !errors.is_empty() {
        return Err(Rejected::fields(errors));
    }
    if let Some(properties) = body.get("properties").and_then(Value::as_array) {
        for property in properties {
            if let (Some(key), Some(value)) = (
                property.get("key").and_then(Value::as_str),
                property.get("value"),
            ) {
                issue.properties.insert(key.to_owned(), value.clone());
            }
        }
    }
    let project = &mut store.projects[project];
    project.last_number += 1;
    issue.key = format!("{}-{}", project.key, project.last_number);
    issue.id = store.next_issue_id;
    store.next_issue_id += 1;
    store.issues.push(issue);
    let index = store.issues.len() - 1;
    push_comments(store, index, new_comments);
    Ok(index)
}

/// `PUT /issue/{key}`: edits fields; nothing changes when anything is invalid.
pub(crate) fn edit(
    store: &mut Store,
    api: Api,
    index: usize,
    body: &Value,
) -> Result<(), Rejected> {
    let empty = Map::new();
    let fields = object(body, "fields")?.unwrap_or(&empty);
    let update = object(body, "update")?.unwrap_or(&empty);
    let mut issue = store.issues[index].clone();
    let mut errors = BTreeMap::new();
    for (field, value) in fields {
        let result = if field == "project" {
            Err(cannot_set(field))
        } else {
            set_field(store, api, &mut issue, field, value)
        };
        if let Err(message) = result {
            errors.insert(field.clone(), message);
        }
    }
    let mut new_comments = Vec::new();
    apply_update(
        store,
        api,
        &mut issue,
        update,
        fields,
        &mut new_comments,
        &mut errors,
    );
    if issue.issue_type == model::SEVERITY_REQUIRED_FOR
        && issue.severity.is_none()
        && !errors.contains_key(model::SEVERITY_FIELD)
    {
        errors.insert(
            model::SEVERITY_FIELD.to_owned(),
            format!("{} is required.", model::SEVERITY_NAME),
        );
    }
    if !errors.is_empty() {
        return Err(Rejected::fields(errors));
    }
    if let Some(properties) = body.get("properties").and_then(Value::as_array) {
        for property in properties {
            if let (Some(key), Some(value)) = (
                property.get("key").and_then(Value::as_str),
                property.get("value"),
            ) {
                issue.properties.insert(key.to_owned(), value.clone());
            }
        }
    }
    issue.updated = Utc::now();
    store.issues[index] = issue;
    push_comments(store, index, new_comments);
    Ok(())
}

/// `POST /issue/{key}/transitions`.
pub(crate) fn transition(
    store: &mut Store,
    api: Api,
    index: usize,
    body: &Value,
) -> Result<(), Rejected> {
    let Some(wanted) = body.get("transition").and_then(|t| {
        t.get("id")
            .and_then(|id| {
                id.as_str()
                    .map(str::to_owned)
                    .or_else(|| id.as_u64().map(|n| n.to_string()))
            })
            .or_else(|| t.get("name").and_then(Value::as_str).map(str::to_owned))
    }) else {
        return Err(Rejected::message(
            "'transition' identifier must be specified.",
        ));
    };
    let mut issue = store.issues[index].clone();
    let Some(transition) = model::transitions_from(issue.status)
        .find(|t| t.id == wanted || t.name.eq_ignore_ascii_case(&wanted))
    else {
        return Err(Rejected::message(format!(
            "Transition id '{wanted}' is not valid for this issue."
        )));
    };
    let empty = Map::new();
    let fields = object(body, "fields")?.unwrap_or(&empty);
    let update = object(body, "update")?.unwrap_or(&empty);
    let mut errors = BTreeMap::new();
    let mut resolution = None;
    for (field, value) in fields {
        if field == "resolution" {
            if transition.to != model::DONE {
                errors.insert(field.clone(), cannot_set(field));
                continue;
            }
            let name = id_or_name(value).unwrap_or_default();
            match model::resolution(name) {
                Some(found) => resolution = Some(found.id),
                None => {
                    errors.insert(
                        field.clone(),
                        format!("Resolution '{name}' does not exist."),
                    );
                }
            }
        } else if let Err(message) = set_field(store, api, &mut issue, field, value) {
            errors.insert(field.clone(), message);
        }
    }
    let mut new_comments = Vec::new();
    apply_update(
        store,
        api,
        &mut issue,
        update,
        fields,
        &mut new_comments,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(Rejected::fields(errors));
    }
    let now = Utc::now();
    issue.status = transition.to;
    if transition.to == model::DONE {
        issue.resolution = Some(resolution.unwrap_or("10000"));
        issue.resolution_date = Some(now);
    } else {
        issue.resolution = None;
        issue.resolution_date = None;
    }
    issue.updated = now;
    store.issues[index] = issue;
    push_comments(store, index, new_comments);
    Ok(())
}

/// `PUT /issue/{key}/assignee`: `{"accountId"}` (v3) or `{"name"}` (v2); `null` unassigns,
/// `"-1"` assigns the project lead.
pub(crate) fn assign(store: &mut Store, index: usize, body: &Value) -> Result<(), Rejected> {
    let field = ["accountId", "name", "key"]
        .into_iter()
        .find(|k| body.get(k).is_some());
    let Some(field) = field else {
        return Err(Rejected::message("accountId or name must be provided."));
    };
    let assignee = match &body[field] {
        Value::Null => None,
        Value::String(id) if id == "-1" => Some(store.projects[store.issues[index].project].lead),
        Value::String(id) => match store.find_user(id) {
            Some(user) if store.users[user].active => Some(user),
            _ => {
                let mut errors = BTreeMap::new();
                errors.insert(
                    "assignee".to_owned(),
                    format!("User '{id}' cannot be assigned issues."),
                );
                return Err(Rejected::fields(errors));
            }
        },
        _ => {
            return Err(Rejected::message(format!(
                "'{field}' must be a string or null."
            )));
        }
    };
    let issue = &mut store.issues[index];
    issue.assignee = assignee;
    issue.updated = Utc::now();
    Ok(())
}

/// `POST /issue/{key}/comment`: adds a comment; returns its position.
pub(crate) fn add_comment(
    store: &mut Store,
    api: Api,
    index: usize,
    body: &Value,
) -> Result<usize, Rejected> {
    let content = body.get("body").unwrap_or(&Value::Null);
    let doc = match rich_text(api, content) {
        Ok(Some(doc)) => doc,
        Ok(None) => {
            let mut errors = BTreeMap::new();
            errors.insert(
                "comment".to_owned(),
                "Comment body can not be empty!".to_owned(),
            );
            return Err(Rejected::fields(errors));
        }
        Err(message) => {
            let mut errors = BTreeMap::new();
            errors.insert("comment".to_owned(), message);
            return Err(Rejected::fields(errors));
        }
    };
    push_comments(store, index, vec![doc]);
    store.issues[index].updated = Utc::now();
    Ok(store.issues[index].comments.len() - 1)
}
