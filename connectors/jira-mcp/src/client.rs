//! The upstream: Jira's REST API. One async function per call, typed in and
//! out; every failure is an [`UpstreamError`] a user can act on.
//!
//! Cloud speaks REST v3 (rich text in ADF), Data Center REST v2 (wiki
//! markup); the paths are the same below the version, so each function
//! builds its path from [`Deployment::api`]. Where the two differ (search,
//! user look-up, assignee, project list) the function says so.
//!
//! Calls are rate-limited per site and class (`jira:<host>:read`,
//! `jira:<host>:search`, `jira:<host>:write`). Write functions take
//! `&Confirmed`, so they cannot be called before a human approved the write.

use std::collections::BTreeMap;

use connector_kit::confirm::Confirmed;
use connector_kit::{Kit, Scope, UpstreamError};
use reqwest::{Method, Response};
use reqwest_middleware::{ClientWithMiddleware, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use url::Url;

use crate::config::{Deployment, Options};
use crate::model::{
    Comment, CommentPage, CreateMetaPage, CreateMetaTypes, Created, ErrorBody, FieldMeta, Issue,
    IssueType, JqlPage, OffsetPage, Project, ProjectPage, ServerInfo, Transition, Transitions,
    User,
};

const SERVICE: &str = "Jira";

/// The kind of call, for rate-limit scopes.
#[derive(Debug, Clone, Copy)]
enum Class {
    Read,
    Search,
    Write,
}

/// One page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The issues.
    pub issues: Vec<Issue>,
    /// Cursor of the next page (Cloud: `nextPageToken`; DC: the next `startAt`).
    pub next: Option<String>,
}

/// Jira over the kit's retrying, rate-limited, authenticated client.
#[derive(Debug, Clone)]
pub struct JiraClient {
    http: ClientWithMiddleware,
    base: Url,
    site: Url,
    host: String,
    deployment: Deployment,
    credential_names: &'static str,
}

impl JiraClient {
    /// Connects: builds the HTTP client and settles the deployment (asking
    /// `/rest/api/2/serverInfo` when the configuration leaves it open).
    pub async fn connect(options: &Options, kit: &Kit) -> anyhow::Result<Self> {
        let base = options.base_url()?;
        let http = kit.upstream_client(options.credential()?);
        let host = base.host_str().unwrap_or("jira").to_owned();
        let mut client = JiraClient {
            http,
            site: options.site_url.clone().unwrap_or_else(|| base.clone()),
            base,
            host,
            deployment: Deployment::Cloud,
            credential_names: options.credential_names(),
        };
        client.deployment = match options.known_deployment() {
            Some(d) => d,
            None => {
                let info = client.server_info().await.map_err(|e| {
                    anyhow::anyhow!(
                        "cannot tell whether {} is Jira Cloud or Data Center ({e}); set --deployment / JIRA_DEPLOYMENT",
                        client.base
                    )
                })?;
                match info.deployment_type.as_deref() {
                    Some("Cloud") => Deployment::Cloud,
                    _ => Deployment::DataCenter,
                }
            }
        };
        tracing::info!(site = %client.site, deployment = ?client.deployment, "Jira configured");
        Ok(client)
    }

    /// The flavour in use.
    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// The human URL of an issue: `https://<site>/browse/KEY`.
    pub fn browse_url(&self, key: &str) -> String {
        format!("{}/browse/{key}", self.site.as_str().trim_end_matches('/'))
    }

    // ---- reads ------------------------------------------------------------

    /// `GET /rest/api/2/serverInfo` (both flavours answer on v2).
    pub async fn server_info(&self) -> Result<ServerInfo, UpstreamError> {
        self.get_json("/rest/api/2/serverInfo", &[], Class::Read)
            .await
    }

    /// `GET /myself`: who the credential belongs to.
    pub async fn myself(&self) -> Result<User, UpstreamError> {
        self.get_json(&self.path("/myself"), &[], Class::Read).await
    }

    /// Runs `jql`, returning `fields` of up to `limit` issues from `cursor` on.
    ///
    /// Cloud: `POST /rest/api/3/search/jql` with `nextPageToken` (the old
    /// `/search` answers 410). DC: `GET /rest/api/2/search` with `startAt`.
    /// `fields` is always sent. A 410 or a `Deprecation` / `Sunset` header
    /// is an error, never an empty page.
    pub async fn search(
        &self,
        jql: &str,
        fields: &[String],
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<SearchPage, UpstreamError> {
        let resp = match self.deployment {
            Deployment::Cloud => {
                let mut body = json!({"jql": jql, "fields": fields, "maxResults": limit});
                if let Some(token) = cursor {
                    body["nextPageToken"] = json!(token);
                }
                let rb = self
                    .request(Method::POST, "/rest/api/3/search/jql", &[], Class::Search)
                    .json(&body);
                self.send(rb).await
            }
            Deployment::DataCenter => {
                let start = cursor.unwrap_or("0");
                let rb = self.request(
                    Method::GET,
                    "/rest/api/2/search",
                    &[
                        ("jql", jql),
                        ("fields", &fields.join(",")),
                        ("startAt", start),
                        ("maxResults", &limit.to_string()),
                    ],
                    Class::Search,
                );
                self.send(rb).await
            }
        }
        .map_err(|e| match e.status() {
            Some(410) => e.with_hint(
                "Jira retired this search endpoint; nothing was searched. Update jira-mcp (Cloud search is POST /rest/api/3/search/jql).",
            ),
            _ => e,
        })?;
        if let Some(notice) = retirement_notice(&resp) {
            return Err(UpstreamError::Decode {
                service: SERVICE,
                detail: format!(
                    "the search endpoint is being retired ({notice}); refusing to trust its results. Update jira-mcp."
                ),
            });
        }
        match self.deployment {
            Deployment::Cloud => {
                let page: JqlPage = decode(resp).await?;
                let next = match page.is_last {
                    Some(true) => None,
                    _ => page.next_page_token,
                };
                Ok(SearchPage {
                    issues: page.issues,
                    next,
                })
            }
            Deployment::DataCenter => {
                let page: OffsetPage = decode(resp).await?;
                let end = page.start_at + page.issues.len() as u64;
                let next = (!page.issues.is_empty() && end < page.total).then(|| end.to_string());
                Ok(SearchPage {
                    issues: page.issues,
                    next,
                })
            }
        }
    }

    /// `GET /issue/{key}` with `fields` (and the available transitions).
    pub async fn issue(
        &self,
        key: &str,
        fields: &[String],
        with_transitions: bool,
    ) -> Result<Issue, UpstreamError> {
        let fields = fields.join(",");
        let mut query = vec![("fields", fields.as_str())];
        if with_transitions {
            query.push(("expand", "transitions"));
        }
        self.get_json(
            &self.path(&format!("/issue/{}", seg(key))),
            &query,
            Class::Read,
        )
        .await
    }

    /// `GET /issue/{key}/comment`, oldest first.
    pub async fn comments(
        &self,
        key: &str,
        start_at: u64,
        max: u32,
    ) -> Result<CommentPage, UpstreamError> {
        self.get_json(
            &self.path(&format!("/issue/{}/comment", seg(key))),
            &[
                ("startAt", &start_at.to_string()),
                ("maxResults", &max.to_string()),
            ],
            Class::Read,
        )
        .await
    }

    /// `GET /issue/{key}/transitions`: the transitions available now.
    pub async fn transitions(&self, key: &str) -> Result<Vec<Transition>, UpstreamError> {
        let t: Transitions = self
            .get_json(
                &self.path(&format!("/issue/{}/transitions", seg(key))),
                &[],
                Class::Read,
            )
            .await?;
        Ok(t.transitions)
    }

    /// Projects, `max` from `start_at`; returns the page and whether more follow.
    /// Cloud: `GET /project/search` (paged). DC: `GET /project` (one list, paged here).
    pub async fn projects(
        &self,
        start_at: u64,
        max: u32,
    ) -> Result<(Vec<Project>, bool), UpstreamError> {
        match self.deployment {
            Deployment::Cloud => {
                let page: ProjectPage = self
                    .get_json(
                        "/rest/api/3/project/search",
                        &[
                            ("startAt", &start_at.to_string()),
                            ("maxResults", &max.to_string()),
                        ],
                        Class::Read,
                    )
                    .await?;
                let end = start_at + page.values.len() as u64;
                let more = match (page.is_last, page.total) {
                    (Some(last), _) => !last,
                    (None, Some(total)) => end < total,
                    (None, None) => page.values.len() as u64 == u64::from(max),
                };
                Ok((page.values, more))
            }
            Deployment::DataCenter => {
                let all: Vec<Project> = self
                    .get_json("/rest/api/2/project", &[], Class::Read)
                    .await?;
                let more = all.len() as u64 > start_at + u64::from(max);
                let page = all
                    .into_iter()
                    .skip(start_at as usize)
                    .take(max as usize)
                    .collect();
                Ok((page, more))
            }
        }
    }

    /// `GET /project/{key}` with issue types and components.
    pub async fn project(&self, key: &str) -> Result<Project, UpstreamError> {
        self.get_json(
            &self.path(&format!("/project/{}", seg(key))),
            &[],
            Class::Read,
        )
        .await
    }

    /// `GET /issue/createmeta/{project}/issuetypes`: the types that can be created.
    pub async fn create_issue_types(&self, project: &str) -> Result<Vec<IssueType>, UpstreamError> {
        let t: CreateMetaTypes = self
            .get_json(
                &self.path(&format!("/issue/createmeta/{}/issuetypes", seg(project))),
                &[("maxResults", "100")],
                Class::Read,
            )
            .await?;
        Ok(if t.issue_types.is_empty() {
            t.values
        } else {
            t.issue_types
        })
    }

    /// `GET /issue/createmeta/{project}/issuetypes/{type id}`: the create
    /// screen's fields with their allowed values.
    pub async fn create_fields(
        &self,
        project: &str,
        issue_type_id: &str,
    ) -> Result<Vec<FieldMeta>, UpstreamError> {
        let page: CreateMetaPage = self
            .get_json(
                &self.path(&format!(
                    "/issue/createmeta/{}/issuetypes/{}",
                    seg(project),
                    seg(issue_type_id)
                )),
                &[("maxResults", "200")],
                Class::Read,
            )
            .await?;
        Ok(page.into_fields())
    }

    /// Finds users by name or e-mail. Cloud: `query=`; DC: `username=`.
    pub async fn users(
        &self,
        query: &str,
        start_at: u64,
        max: u32,
    ) -> Result<Vec<User>, UpstreamError> {
        let param = match self.deployment {
            Deployment::Cloud => "query",
            Deployment::DataCenter => "username",
        };
        self.get_json(
            &self.path("/user/search"),
            &[
                (param, query),
                ("startAt", &start_at.to_string()),
                ("maxResults", &max.to_string()),
            ],
            Class::Read,
        )
        .await
    }

    // ---- writes (each needs a confirmation) ------------------------------

    /// `POST /issue`. `fields` is Jira's create body (`project`, `issuetype`,
    /// `summary`, …). A 400 names the offending fields and, from the create
    /// metadata of `project` + `issue_type_id`, their allowed values.
    pub async fn create_issue(
        &self,
        _confirmed: &Confirmed,
        project: &str,
        issue_type_id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Created, UpstreamError> {
        let rb = self
            .request(Method::POST, &self.path("/issue"), &[], Class::Write)
            .json(&json!({ "fields": fields }));
        match self.send_raw(rb).await {
            Ok(resp) => decode(resp).await,
            Err((err, body)) => Err(self
                .explain_field_errors(err, &body, project, issue_type_id)
                .await),
        }
    }

    /// `PUT /issue/{key}` with `fields`.
    pub async fn update_issue(
        &self,
        _confirmed: &Confirmed,
        key: &str,
        project: &str,
        issue_type_id: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), UpstreamError> {
        let rb = self
            .request(
                Method::PUT,
                &self.path(&format!("/issue/{}", seg(key))),
                &[],
                Class::Write,
            )
            .json(&json!({ "fields": fields }));
        match self.send_raw(rb).await {
            Ok(_) => Ok(()),
            Err((err, body)) => Err(self
                .explain_field_errors(err, &body, project, issue_type_id)
                .await),
        }
    }

    /// `PUT /issue/{key}/assignee`; `None` unassigns. Cloud takes an
    /// `accountId`, DC a user `name`.
    pub async fn assign(
        &self,
        _confirmed: &Confirmed,
        key: &str,
        user: Option<&str>,
    ) -> Result<(), UpstreamError> {
        let body = match self.deployment {
            Deployment::Cloud => json!({ "accountId": user }),
            Deployment::DataCenter => json!({ "name": user }),
        };
        let rb = self
            .request(
                Method::PUT,
                &self.path(&format!("/issue/{}/assignee", seg(key))),
                &[],
                Class::Write,
            )
            .json(&body);
        self.send(rb).await.map(drop)
    }

    /// `DELETE /issue/{key}` (with its sub-tasks).
    pub async fn delete_issue(
        &self,
        _confirmed: &Confirmed,
        key: &str,
    ) -> Result<(), UpstreamError> {
        let rb = self.request(
            Method::DELETE,
            &self.path(&format!("/issue/{}", seg(key))),
            &[("deleteSubtasks", "true")],
            Class::Write,
        );
        self.send(rb).await.map(drop)
    }

    /// `POST /issue/{key}/comment`; `body` is ADF (Cloud) or wiki markup (DC).
    pub async fn add_comment(
        &self,
        _confirmed: &Confirmed,
        key: &str,
        body: Value,
    ) -> Result<Comment, UpstreamError> {
        let rb = self
            .request(
                Method::POST,
                &self.path(&format!("/issue/{}/comment", seg(key))),
                &[],
                Class::Write,
            )
            .json(&json!({ "body": body }));
        decode(self.send(rb).await?).await
    }

    /// `POST /issue/{key}/transitions`, optionally setting the resolution and
    /// adding a comment in the same step.
    pub async fn transition(
        &self,
        _confirmed: &Confirmed,
        key: &str,
        transition_id: &str,
        resolution: Option<&str>,
        comment: Option<Value>,
    ) -> Result<(), UpstreamError> {
        let mut body = json!({ "transition": { "id": transition_id } });
        if let Some(r) = resolution {
            body["fields"] = json!({ "resolution": { "name": r } });
        }
        if let Some(c) = comment {
            body["update"] = json!({ "comment": [ { "add": { "body": c } } ] });
        }
        let rb = self
            .request(
                Method::POST,
                &self.path(&format!("/issue/{}/transitions", seg(key))),
                &[],
                Class::Write,
            )
            .json(&body);
        self.send(rb).await.map(drop)
    }

    // ---- plumbing ---------------------------------------------------------

    /// `/rest/api/{2|3}` + `rest`.
    fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.deployment.api())
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        class: Class,
    ) -> RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let class = match class {
            Class::Read => "read",
            Class::Search => "search",
            Class::Write => "write",
        };
        self.http
            .request(method, url)
            .header("Accept", "application/json")
            .with_extension(Scope(format!("jira:{}:{class}", self.host)))
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        class: Class,
    ) -> Result<T, UpstreamError> {
        let rb = self.request(Method::GET, path, query, class);
        decode(self.send(rb).await?).await
    }

    async fn send(&self, rb: RequestBuilder) -> Result<Response, UpstreamError> {
        self.send_raw(rb).await.map_err(|(e, _)| e)
    }

    /// Sends; a non-2xx answer becomes an error carrying Jira's own messages
    /// and, for 401/403, which credential or permission to check.
    async fn send_raw(&self, rb: RequestBuilder) -> Result<Response, (UpstreamError, ErrorBody)> {
        let resp = rb.send().await.map_err(|e| {
            (
                UpstreamError::from_transport(SERVICE, &e),
                ErrorBody::default(),
            )
        })?;
        if let Some(notice) = retirement_notice(&resp) {
            tracing::warn!(url = %resp.url().path(), notice, "Jira announced that this endpoint is being retired");
        }
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let reason = resp
            .headers()
            .get("RateLimit-Reason")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (err, text) = UpstreamError::from_response_with_body(SERVICE, resp).await;
        let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
        let message = error_message(&body);
        let err = if message.is_empty() {
            err
        } else {
            err.with_message(message)
        };
        let err = match (status, reason) {
            (401, _) => err.with_hint(format!(
                "The credential in {} was refused: check it is set, current and for this site.",
                self.credential_names
            )),
            (403, _) => err.with_hint(format!(
                "The account behind {} lacks the Jira permission for this (e.g. Browse Projects, Create Issues, Edit Issues, Transition Issues or Delete Issues in the project).",
                self.credential_names
            )),
            (429, Some(reason)) => err.with_hint(format!("Jira's reason: {reason}.")),
            _ => err,
        };
        Err((err, body))
    }

    /// On a 400 with field errors, lists the offending (and required but
    /// missing) fields with their allowed values from the create metadata.
    async fn explain_field_errors(
        &self,
        err: UpstreamError,
        body: &ErrorBody,
        project: &str,
        issue_type_id: &str,
    ) -> UpstreamError {
        if err.status() != Some(400) || body.errors.is_empty() {
            return err;
        }
        let Ok(meta) = self.create_fields(project, issue_type_id).await else {
            return err.with_hint("get_create_fields lists the fields and their allowed values.");
        };
        let hint = field_hint(&body.errors, &meta);
        err.with_hint(hint)
    }
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

/// `Deprecation` / `Sunset` headers, if the answer carries any.
fn retirement_notice(resp: &Response) -> Option<String> {
    let h = resp.headers();
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match (get("Deprecation"), get("Sunset")) {
        (None, None) => None,
        (d, s) => Some(
            [
                d.map(|d| format!("Deprecation: {d}")),
                s.map(|s| format!("Sunset: {s}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        ),
    }
}

/// Jira's `errorMessages` and `errors` as one line: `a; field: message`.
pub fn error_message(body: &ErrorBody) -> String {
    let parts: Vec<String> = body
        .error_messages
        .iter()
        .cloned()
        .chain(body.errors.iter().map(|(f, m)| format!("{f}: {m}")))
        .map(|s| connector_kit::text::sanitize(&s))
        .collect();
    parts.join("; ")
}

/// The hint for field errors: each offending field and each required field,
/// with its allowed values.
pub fn field_hint(errors: &BTreeMap<String, String>, meta: &[FieldMeta]) -> String {
    let mut lines = Vec::new();
    for f in meta {
        let named = errors.contains_key(&f.field_id);
        let must_give = f.required && f.has_default_value != Some(true);
        if !(named || must_give) {
            continue;
        }
        let mut line = format!(
            "`{}` ({}{})",
            f.field_id,
            f.name,
            if f.required { ", required" } else { "" }
        );
        let allowed: Vec<String> = allowed_values(f)
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect();
        if !allowed.is_empty() {
            line.push_str(&format!(": allowed values {}", allowed.join(", ")));
        }
        lines.push(line);
    }
    for field in errors.keys() {
        if !meta.iter().any(|m| &m.field_id == field) {
            lines.push(format!(
                "`{field}` is not on the create screen of this project and issue type"
            ));
        }
    }
    format!("Fields: {}.", lines.join("; "))
}

/// The readable names of a field's allowed values (`value`, `name` or `key`).
pub fn allowed_values(f: &FieldMeta) -> Vec<String> {
    f.allowed_values
        .iter()
        .flatten()
        .filter_map(|v| {
            ["value", "name", "key"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str))
                .map(connector_kit::text::sanitize)
        })
        .take(50)
        .collect()
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

    #[test]
    fn field_errors_list_allowed_values() {
        let errors = BTreeMap::from([(
            "customfield_10010".to_owned(),
            "Severity is required.".to_owned(),
        )]);
        let meta = vec![
            FieldMeta {
                field_id: "summary".into(),
                name: "Summary".into(),
                required: true,
                schema: None,
                allowed_values: None,
                has_default_value: None,
            },
            FieldMeta {
                field_id: "customfield_10010".into(),
                name: "Severity".into(),
                required: true,
                schema: None,
                allowed_values: Some(vec![
                    json!({"id": "1", "value": "Critical"}),
                    json!({"id": "2", "value": "Minor"}),
                ]),
                has_default_value: None,
            },
        ];
        let hint = field_hint(&errors, &meta);
        assert!(
            hint.contains(
                "`customfield_10010` (Severity, required): allowed values \"Critical\", \"Minor\""
            ),
            "{hint}"
        );
        assert_eq!(
            error_message(&ErrorBody {
                error_messages: vec!["bad".into()],
                errors
            }),
            "bad; customfield_10010: Severity is required."
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("OPS-1"), "OPS-1");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
