//! The upstream: GitHub's REST API (github.com or GHES `https://HOST/api/v3`).
//! One async function per call; every failure is an [`UpstreamError`] a
//! user can act on.
//!
//! All calls go through the kit's retrying, rate-limited, authenticated
//! reqwest client (`Kit::upstream_client`). Scopes: `github:<host>:read`,
//! `github:<host>:search`, `github:<host>:write`. Write functions take
//! `&Confirmed`, so they cannot be called before a human approved the write.
//! Lists page with GitHub's `Link` header; the `next` page number becomes
//! the tools' `next_cursor`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connector_kit::confirm::Confirmed;
use connector_kit::text::sanitize;
use connector_kit::{Kit, Scope, UpstreamError};
use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use reqwest_middleware::{ClientWithMiddleware, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::config::Options;

const SERVICE: &str = "GitHub";

/// The kind of call, for rate-limit scopes.
#[derive(Debug, Clone, Copy)]
pub enum Class {
    /// Plain reads (the `core` budget).
    Read,
    /// `/search/*` (its own, smaller budget).
    Search,
    /// Writes.
    Write,
}

/// One page of a list, with the next page number from the `Link` header.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: T,
    /// The `page` of `rel="next"`, if there is one.
    pub next: Option<u32>,
}

/// GitHub over the kit's client.
#[derive(Debug, Clone)]
pub struct GitHubClient {
    http: ClientWithMiddleware,
    base: Url,
    web: String,
    host: String,
}

impl GitHubClient {
    /// Builds the client from the options (no call is made).
    pub fn new(options: &Options, kit: &Kit) -> anyhow::Result<Self> {
        let base = options.api_url()?;
        let http = kit.upstream_client(options.credential()?);
        let host = base.host_str().unwrap_or("github").to_owned();
        tracing::info!(api = %base, "GitHub configured");
        Ok(GitHubClient {
            http,
            web: options.web_url(),
            base,
            host,
        })
    }

    /// The web root (`https://github.com` or the GHES host).
    pub fn web(&self) -> &str {
        &self.web
    }

    /// `GET path` decoded as JSON.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        class: Class,
    ) -> Result<T, UpstreamError> {
        let rb = self.request(Method::GET, path, query, class);
        decode(self.send(rb).await?).await
    }

    /// `GET path` with `per_page` / `page`, returning the next page from `Link`.
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        per_page: u32,
        page: u32,
        class: Class,
    ) -> Result<Page<T>, UpstreamError> {
        let mut q = query.to_vec();
        q.push(("per_page", per_page.to_string()));
        q.push(("page", page.max(1).to_string()));
        let rb = self.request(Method::GET, path, &q, class);
        let resp = self.send(rb).await?;
        let next = next_page(resp.headers());
        Ok(Page {
            items: decode(resp).await?,
            next,
        })
    }

    /// `GET path` as text (with `accept`), following redirects (job logs
    /// answer `302` to a signed download URL).
    pub async fn get_text(&self, path: &str, accept: &str) -> Result<String, UpstreamError> {
        let rb = self
            .request(Method::GET, path, &[], Class::Read)
            .header("Accept", accept);
        let resp = self.send(rb).await?;
        resp.text().await.map_err(|_| UpstreamError::Transport {
            service: SERVICE,
            sent: true,
            detail: "the answer was cut off".into(),
        })
    }

    /// A write (`POST` / `PATCH`) with a JSON body; only after confirmation.
    pub async fn write<T: DeserializeOwned>(
        &self,
        _confirmed: &Confirmed,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<T, UpstreamError> {
        let rb = self.request(method, path, &[], Class::Write).json(body);
        decode(self.send(rb).await?).await
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        class: Class,
    ) -> RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let class = match class {
            Class::Read => "read",
            Class::Search => "search",
            Class::Write => "write",
        };
        self.http
            .request(method, url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .with_extension(Scope(format!("github:{}:{class}", self.host)))
    }

    /// Sends; a non-2xx answer becomes an error with GitHub's message, the
    /// fields of a 422, and what to do about a 401/403 or a rate limit.
    async fn send(&self, rb: RequestBuilder) -> Result<Response, UpstreamError> {
        let resp = rb
            .send()
            .await
            .map_err(|e| UpstreamError::from_transport(SERVICE, &e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let (err, text) = UpstreamError::from_response_with_body(SERVICE, resp).await;
        Err(explain(err, &text, &headers, SystemTime::now()))
    }
}

/// Turns GitHub's error body and headers into an actionable error.
pub fn explain(
    err: UpstreamError,
    body: &str,
    headers: &HeaderMap,
    now: SystemTime,
) -> UpstreamError {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = parsed
        .get("message")
        .and_then(Value::as_str)
        .map(sanitize)
        .unwrap_or_default();
    let fields = field_errors(&parsed);
    let status = err.status();
    let mut err = if message.is_empty() {
        err
    } else if fields.is_empty() {
        err.with_message(message.clone())
    } else {
        err.with_message(format!("{message}: {}", fields.join("; ")))
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let secondary = message
        .to_ascii_lowercase()
        .contains("secondary rate limit");
    let wait = header("retry-after")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .or_else(|| {
            let reset: u64 = header("x-ratelimit-reset")?.trim().parse().ok()?;
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
            Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
        });
    let when = wait
        .map(|d| format!("retry after {} s", d.as_secs().max(1)))
        .unwrap_or_else(|| "retry in a minute".into());
    err = match status {
        Some(401) => err.with_hint(
            "The token in GITHUB_TOKEN was refused (revoked, expired or mistyped): create a new one and set GITHUB_TOKEN.",
        ),
        Some(403 | 429) if secondary => err.with_hint(format!(
            "GitHub's secondary rate limit (too many requests or writes in a short time): nothing was done; {when}."
        )),
        Some(403 | 429) if exhausted => err.with_hint(format!(
            "GitHub's hourly rate limit for this token is used up: nothing was done; {when}."
        )),
        Some(403) => err.with_hint(
            "The token in GITHUB_TOKEN lacks access: a fine-grained token needs this repository and the permission (Contents, Issues, Pull requests or Actions: read or write); a classic token needs the `repo` (and for Actions `workflow`) scope.",
        ),
        Some(404) => err.with_hint(
            "GitHub also answers 404 for private repositories the token cannot see: check owner/repo and that GITHUB_TOKEN has access.",
        ),
        _ => err,
    };
    err
}

/// A 422's `errors`: `field (code)` or the error's own message.
fn field_errors(body: &Value) -> Vec<String> {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| match e {
                    Value::String(s) => sanitize(s),
                    e => {
                        let field = e.get("field").and_then(Value::as_str);
                        let code = e.get("code").and_then(Value::as_str);
                        let msg = e.get("message").and_then(Value::as_str);
                        match (field, code, msg) {
                            (_, _, Some(m)) => sanitize(m),
                            (Some(f), Some(c), None) => format!("field `{f}` is {c}"),
                            (Some(f), None, None) => format!("field `{f}`"),
                            _ => sanitize(&e.to_string()),
                        }
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `page` of the `rel="next"` link in a `Link` header.
pub fn next_page(headers: &HeaderMap) -> Option<u32> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rels) = part.split_once(';')?;
        if !rels.split(';').any(|r| r.trim() == "rel=\"next\"") {
            return None;
        }
        let url = Url::parse(url.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
    })
}

/// Decodes a 2xx answer; an empty body (`204 No Content`) is `null`.
async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, UpstreamError> {
    let bytes = resp.bytes().await.map_err(|_| UpstreamError::Transport {
        service: SERVICE,
        sent: true,
        detail: "the answer was cut off".into(),
    })?;
    let decoded = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_value(Value::Null)
    } else {
        serde_json::from_slice(&bytes)
    };
    decoded.map_err(|e| UpstreamError::Decode {
        service: SERVICE,
        detail: e.to_string(),
    })
}

/// A path segment, percent-encoded.
pub fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A repository path (`a/b c.rs`), each segment encoded, slashes kept.
pub fn path_segs(path: &str) -> String {
    path.trim_matches('/')
        .split('/')
        .map(seg)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_header_gives_the_next_page() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/repos/a/b/issues?state=all&per_page=10&page=3>; rel=\"next\", <https://api.github.com/repos/a/b/issues?per_page=10&page=5>; rel=\"last\"",
            ),
        );
        assert_eq!(next_page(&h), Some(3));
        h.insert(
            "link",
            HeaderValue::from_static("<https://x/y?page=1>; rel=\"prev\""),
        );
        assert_eq!(next_page(&h), None);
    }

    #[test]
    fn validation_errors_list_fields() {
        let body = serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]});
        assert_eq!(field_errors(&body), ["field `title` is missing_field"]);
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let err = || UpstreamError::Status {
            service: SERVICE,
            status: 403,
            message: String::new(),
            retry_after: None,
            hint: None,
        };
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("60"));
        let e = explain(
            err(),
            r#"{"message": "You have exceeded a secondary rate limit."}"#,
            &h,
            now,
        );
        assert!(
            e.to_string().contains("secondary rate limit") && e.to_string().contains("60 s"),
            "{e}"
        );
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1120"));
        let e = explain(err(), r#"{"message": "API rate limit exceeded"}"#, &h, now);
        assert!(
            e.to_string().contains("hourly") && e.to_string().contains("120 s"),
            "{e}"
        );
        let e = explain(err(), "{}", &HeaderMap::new(), now);
        assert!(e.to_string().contains("GITHUB_TOKEN"), "{e}");
    }

    #[test]
    fn paths_keep_slashes() {
        assert_eq!(path_segs("/src/a b.rs"), "src/a%20b.rs");
    }
}
