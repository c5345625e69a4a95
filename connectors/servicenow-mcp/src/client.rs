//! The upstream: ServiceNow's Table API. One async function per call, typed
//! in and out; every failure is an [`UpstreamError`] a user can act on.
//!
//! Reads always send `sysparm_fields`, `sysparm_display_value=all` and
//! `sysparm_exclude_reference_link=true`; lists page with `sysparm_limit` /
//! `sysparm_offset` and read the total from `X-Total-Count`. Errors carry
//! ServiceNow's `error.message` and `error.detail` (ACL, data policy, allowed
//! choice values, missing roles).
//!
//! Calls are rate-limited per instance and class (`servicenow:<host>:read`,
//! `servicenow:<host>:write`). Write functions take `&Confirmed`, so they
//! cannot be called before a human approved the write.

use connector_kit::confirm::Confirmed;
use connector_kit::{Kit, Scope, UpstreamError};
use reqwest::{Method, Response};
use reqwest_middleware::{ClientWithMiddleware, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use crate::config::Options;
use crate::model::{ErrorBody, ListAnswer, OneAnswer, Record};
use crate::query::{Query, is_sys_id};

const SERVICE: &str = "ServiceNow";

/// The kind of call, for rate-limit scopes.
#[derive(Debug, Clone, Copy)]
enum Class {
    Read,
    Write,
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records.
    pub records: Vec<Record>,
    /// Matching records in all (`X-Total-Count`), when sent.
    pub total: Option<u64>,
}

impl Page {
    /// The offset of the next page, if there is one.
    pub fn next_offset(&self, offset: u64, limit: u32) -> Option<u64> {
        let end = offset + self.records.len() as u64;
        match self.total {
            Some(total) => (!self.records.is_empty() && end < total).then_some(end),
            None => (self.records.len() as u64 == u64::from(limit)).then_some(end),
        }
    }
}

/// ServiceNow over the kit's retrying, rate-limited, authenticated client.
#[derive(Debug, Clone)]
pub struct SnClient {
    http: ClientWithMiddleware,
    base: Url,
    host: String,
    credential_names: &'static str,
}

impl SnClient {
    /// Builds the HTTP client (no call is made: `doctor` checks the credential).
    pub fn connect(options: &Options, kit: &Kit) -> anyhow::Result<Self> {
        let base = options.instance_url()?;
        let http = kit.upstream_client(options.credential()?);
        let host = base.host_str().unwrap_or("servicenow").to_owned();
        tracing::info!(instance = %base, "ServiceNow configured");
        Ok(SnClient {
            http,
            base,
            host,
            credential_names: options.credential_names(),
        })
    }

    /// The instance URL.
    pub fn instance(&self) -> &Url {
        &self.base
    }

    /// The human URL of a record: `<instance>/nav_to.do?uri=<table>.do?sys_id=<id>`.
    pub fn record_url(&self, table: &str, sys_id: &str) -> String {
        format!(
            "{}/nav_to.do?uri={table}.do?sys_id={sys_id}",
            self.base.as_str().trim_end_matches('/')
        )
    }

    // ---- reads ------------------------------------------------------------

    /// `GET /api/now/table/{table}`: up to `limit` records matching `query`
    /// from `offset` on, with `fields`.
    pub async fn list(
        &self,
        table: &str,
        query: &str,
        fields: &[&str],
        limit: u32,
        offset: u64,
    ) -> Result<Page, UpstreamError> {
        let fields = fields.join(",");
        let limit_s = limit.to_string();
        let offset_s = offset.to_string();
        let mut params = vec![
            ("sysparm_fields", fields.as_str()),
            ("sysparm_display_value", "all"),
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_limit", limit_s.as_str()),
            ("sysparm_offset", offset_s.as_str()),
        ];
        if !query.is_empty() {
            params.push(("sysparm_query", query));
        }
        let rb = self.request(Method::GET, &table_path(table, None), &params, Class::Read);
        let resp = self.send(rb).await?;
        let total = resp
            .headers()
            .get("X-Total-Count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let answer: ListAnswer = decode(resp).await?;
        Ok(Page {
            records: answer.result,
            total,
        })
    }

    /// `GET /api/now/table/{table}/{sys_id}` with `fields`.
    pub async fn get(
        &self,
        table: &str,
        sys_id: &str,
        fields: &[&str],
    ) -> Result<Record, UpstreamError> {
        let fields = fields.join(",");
        let rb = self.request(
            Method::GET,
            &table_path(table, Some(sys_id)),
            &[
                ("sysparm_fields", fields.as_str()),
                ("sysparm_display_value", "all"),
                ("sysparm_exclude_reference_link", "true"),
            ],
            Class::Read,
        );
        let answer: OneAnswer = decode(self.send(rb).await?).await?;
        Ok(answer.result)
    }

    /// A record by `sys_id` or by its `number` (`INC0010043`); `None` when
    /// no record has that number.
    pub async fn find(
        &self,
        table: &str,
        id: &str,
        fields: &[&str],
    ) -> Result<Option<Record>, UpstreamError> {
        if is_sys_id(id) {
            return match self.get(table, id, fields).await {
                Ok(r) => Ok(Some(r)),
                Err(e) if e.status() == Some(404) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let query = Query::new()
            .eq("number", &id.to_ascii_uppercase())
            .map(|q| q.build())
            .unwrap_or_default();
        let page = self.list(table, &query, fields, 1, 0).await?;
        Ok(page.records.into_iter().next())
    }

    /// Journal entries (`work_notes`, `comments`) of a record, newest first.
    pub async fn journal(
        &self,
        table: &str,
        sys_id: &str,
        limit: u32,
    ) -> Result<Page, UpstreamError> {
        let query = Query::new()
            .eq("element_id", sys_id)
            .and_then(|q| q.eq("name", table))
            .and_then(|q| q.any_value("element", &["work_notes".to_owned(), "comments".to_owned()]))
            .and_then(|q| q.order_by("sys_created_on", true))
            .map(|q| q.build())
            .unwrap_or_default();
        self.list(
            "sys_journal_field",
            &query,
            &["element", "value", "sys_created_on", "sys_created_by"],
            limit,
            0,
        )
        .await
    }

    // ---- writes (each needs a confirmation) ------------------------------

    /// `POST /api/now/table/{table}`: creates a record, returns it with `fields`.
    pub async fn create(
        &self,
        _confirmed: &Confirmed,
        table: &str,
        body: &Map<String, Value>,
        fields: &[&str],
    ) -> Result<Record, UpstreamError> {
        self.write(Method::POST, &table_path(table, None), body, fields)
            .await
    }

    /// `PATCH /api/now/table/{table}/{sys_id}`: sets the fields in `body`.
    pub async fn update(
        &self,
        _confirmed: &Confirmed,
        table: &str,
        sys_id: &str,
        body: &Map<String, Value>,
        fields: &[&str],
    ) -> Result<Record, UpstreamError> {
        self.write(
            Method::PATCH,
            &table_path(table, Some(sys_id)),
            body,
            fields,
        )
        .await
    }

    async fn write(
        &self,
        method: Method,
        path: &str,
        body: &Map<String, Value>,
        fields: &[&str],
    ) -> Result<Record, UpstreamError> {
        let fields = fields.join(",");
        let rb = self
            .request(
                method,
                path,
                &[
                    ("sysparm_fields", fields.as_str()),
                    ("sysparm_display_value", "all"),
                    ("sysparm_exclude_reference_link", "true"),
                ],
                Class::Write,
            )
            .json(body);
        let answer: OneAnswer = decode(self.send(rb).await?).await?;
        Ok(answer.result)
    }

    // ---- plumbing ---------------------------------------------------------

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
            Class::Write => "write",
        };
        self.http
            .request(method, url)
            .header("Accept", "application/json")
            .with_extension(Scope(format!("servicenow:{}:{class}", self.host)))
    }

    /// Sends; a non-2xx answer becomes an error carrying ServiceNow's
    /// `error.message` and `error.detail` and, for 401/403, what to check.
    async fn send(&self, rb: RequestBuilder) -> Result<Response, UpstreamError> {
        let resp = rb
            .send()
            .await
            .map_err(|e| UpstreamError::from_transport(SERVICE, &e))?;
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
        Err(match status {
            401 => err.with_hint(auth_hint(&body, self.credential_names)),
            403 => err.with_hint(format!(
                "An ACL refused the account behind {}: it needs a role that may read or write this table \
                 (e.g. itil for incidents, knowledge for articles), or the table is read-only.",
                self.credential_names
            )),
            _ => err,
        })
    }
}

/// `/api/now/table/{table}[/{sys_id}]`, segments encoded.
fn table_path(table: &str, sys_id: Option<&str>) -> String {
    match sys_id {
        Some(id) => format!("/api/now/table/{}/{}", seg(table), seg(id)),
        None => format!("/api/now/table/{}", seg(table)),
    }
}

/// Decodes a 2xx answer. An HTML page instead of JSON is the classic sign of
/// a hibernating developer instance or a login redirect.
async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, UpstreamError> {
    let bytes = resp.bytes().await.map_err(|_| UpstreamError::Transport {
        service: SERVICE,
        sent: true,
        detail: "the answer was cut off".into(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let html = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        UpstreamError::Decode {
            service: SERVICE,
            detail: if html {
                "an HTML page instead of JSON: the instance may be hibernating (wake a developer \
                 instance at developer.servicenow.com) or redirecting to a login page; check \
                 SERVICENOW_INSTANCE_URL"
                    .into()
            } else {
                e.to_string()
            },
        }
    })
}

/// ServiceNow's `error.message` and `error.detail` as one line.
pub fn error_message(body: &ErrorBody) -> String {
    let parts: Vec<String> = [&body.error.message, &body.error.detail]
        .into_iter()
        .flatten()
        .map(|s| connector_kit::text::sanitize(s.trim()))
        .filter(|s| !s.is_empty())
        .collect();
    parts.join(": ")
}

/// What to do about a 401: the basic-auth role trap, or the credential.
pub fn auth_hint(body: &ErrorBody, credential_names: &str) -> String {
    let detail = body.error.detail.as_deref().unwrap_or("").to_lowercase();
    if detail.contains("role") || detail.contains("basic auth") {
        format!(
            "Basic auth was refused for lack of a role: give the user the \
             snc_platform_rest_api_access role (REST API access with basic auth, the \
             snc_basic_auth_api_access-style ACL) or switch to OAuth \
             (SERVICENOW_CLIENT_ID / SERVICENOW_CLIENT_SECRET). Configured: {credential_names}."
        )
    } else {
        format!(
            "The credential in {credential_names} was refused: check it is set, current and for this instance \
             (locked-out users and expired OAuth clients answer 401 too)."
        )
    }
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
    use crate::model::ErrorDetail;

    #[test]
    fn errors_join_message_and_detail() {
        let body = ErrorBody {
            error: ErrorDetail {
                message: Some("Data Policy Exception".into()),
                detail: Some("mandatory fields: close_code".into()),
            },
        };
        assert_eq!(
            error_message(&body),
            "Data Policy Exception: mandatory fields: close_code"
        );
        assert_eq!(error_message(&ErrorBody::default()), "");
    }

    #[test]
    fn basic_auth_role_trap_is_named() {
        let body = ErrorBody {
            error: ErrorDetail {
                message: Some("User Not Authenticated".into()),
                detail: Some("the user lacks the role required".into()),
            },
        };
        let hint = auth_hint(&body, "SERVICENOW_USERNAME / SERVICENOW_PASSWORD");
        assert!(
            hint.contains("snc_platform_rest_api_access") && hint.contains("OAuth"),
            "{hint}"
        );
        assert!(!auth_hint(&ErrorBody::default(), "X").contains("role"));
    }

    #[test]
    fn pages_from_total_count() {
        let page = Page {
            records: vec![Record::default(); 10],
            total: Some(25),
        };
        assert_eq!(page.next_offset(10, 10), Some(20));
        let page = Page {
            records: vec![Record::default(); 5],
            total: Some(25),
        };
        assert_eq!(page.next_offset(20, 10), None);
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
