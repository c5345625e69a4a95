//! JQL search: the Cloud enhanced search (`/rest/api/3/search/jql`, token paging), the Data
//! Center search (`/rest/api/2/search`, offset paging) and the removed Cloud `/search` (410).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{ApiError, Ctx, DEFAULT_PAGE, Params, base_url, jira_error, json_body, page_size};
use crate::render::{Expand, FieldSelection, Renderer};

/// `/rest/api/3/search` was removed from Jira Cloud: always `410 Gone`.
pub(crate) async fn removed() -> Response {
    jira_error(
        StatusCode::GONE,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. \
         A full migration guideline is available at \
         https://developer.atlassian.com/changelog/#CHANGE-2046",
    )
}

/// One search request, whichever way it arrived.
#[derive(Debug, Default)]
struct SearchRequest {
    jql: String,
    start_at: usize,
    max_results: usize,
    fields: Vec<String>,
    expand: Vec<String>,
    next_page_token: Option<String>,
}

fn from_params(params: &Params) -> Result<SearchRequest, ApiError> {
    Ok(SearchRequest {
        jql: params.get("jql").unwrap_or("").to_owned(),
        start_at: params.number("startAt", 0)?,
        max_results: params.number("maxResults", DEFAULT_PAGE)?,
        fields: params.all("fields"),
        expand: params.all("expand"),
        next_page_token: params.get("nextPageToken").map(str::to_owned),
    })
}

fn from_body(body: &Bytes) -> Result<SearchRequest, ApiError> {
    let body = json_body(body)?;
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let number = |name: &str, default: usize| -> Result<usize, ApiError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => value.as_u64().map(|n| n as usize).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    &format!("'{name}' must be a non-negative integer."),
                )
            }),
        }
    };
    Ok(SearchRequest {
        jql: body
            .get("jql")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        start_at: number("startAt", 0)?,
        max_results: number("maxResults", DEFAULT_PAGE)?,
        fields: strings(body.get("fields")),
        expand: strings(body.get("expand")),
        next_page_token: body
            .get("nextPageToken")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// FNV-1a, to tie a page token to the query it belongs to.
fn fingerprint(jql: &str) -> u64 {
    jql.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn encode_token(offset: usize, jql: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{:016x}", fingerprint(jql)))
}

fn decode_token(token: &str, jql: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (offset, print) = raw.split_once(':')?;
    (print == format!("{:016x}", fingerprint(jql)))
        .then(|| offset.parse().ok())
        .flatten()
}

/// Runs the query: the issues of one page, rendered, and the total number of hits.
fn run(
    ctx: &Ctx,
    headers: &HeaderMap,
    request: &SearchRequest,
    start_at: usize,
    default_fields: &str,
    require_bound: bool,
) -> Result<(Vec<Value>, usize), ApiError> {
    let base = base_url(headers);
    let selection = FieldSelection::parse(&request.fields, default_fields);
    let expand = Expand::parse(&request.expand);
    ctx.jira.with(|store| {
        let query = store
            .parse_jql(&request.jql)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, &e.0))?;
        if require_bound && !query.is_bounded() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
            ));
        }
        let hits = store.search(&query);
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let page = hits
            .iter()
            .skip(start_at)
            .take(page_size(request.max_results))
            .map(|&i| renderer.issue(&store.issues[i], &selection, expand))
            .collect();
        Ok((page, hits.len()))
    })
}

fn enhanced(ctx: &Ctx, headers: &HeaderMap, request: &SearchRequest) -> Response {
    let start_at = match &request.next_page_token {
        None => 0,
        Some(token) => match decode_token(token, &request.jql) {
            Some(offset) => offset,
            None => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    "The provided next page token is invalid or expired.",
                );
            }
        },
    };
    match run(ctx, headers, request, start_at, "id", true) {
        Ok((issues, total)) => {
            let next = start_at + issues.len();
            let is_last = issues.is_empty() || next >= total;
            let mut body = json!({"issues": issues, "isLast": is_last});
            if !is_last {
                body["nextPageToken"] = json!(encode_token(next, &request.jql));
            }
            Json(body).into_response()
        }
        Err(error) => error.into_response(),
    }
}

fn offset_paged(ctx: &Ctx, headers: &HeaderMap, request: &SearchRequest) -> Response {
    match run(ctx, headers, request, request.start_at, "*navigable", false) {
        Ok((issues, total)) => Json(json!({
            "expand": "schema,names",
            "startAt": request.start_at,
            "maxResults": page_size(request.max_results),
            "total": total,
            "issues": issues,
        }))
        .into_response(),
        Err(error) => error.into_response(),
    }
}

pub(crate) async fn search_jql_get(
    State(ctx): State<Ctx>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match from_params(&Params::parse(uri.query())) {
        Ok(request) => enhanced(&ctx, &headers, &request),
        Err(error) => error.into_response(),
    }
}

pub(crate) async fn search_jql_post(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match from_body(&body) {
        Ok(request) => enhanced(&ctx, &headers, &request),
        Err(error) => error.into_response(),
    }
}

pub(crate) async fn search_v2_get(
    State(ctx): State<Ctx>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match from_params(&Params::parse(uri.query())) {
        Ok(request) => offset_paged(&ctx, &headers, &request),
        Err(error) => error.into_response(),
    }
}

pub(crate) async fn search_v2_post(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match from_body(&body) {
        Ok(request) => offset_paged(&ctx, &headers, &request),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_query() {
        let token = encode_token(50, "project = OPS");
        assert_eq!(decode_token(&token, "project = OPS"), Some(50));
        assert_eq!(decode_token(&token, "project = WEB"), None);
        assert_eq!(decode_token("garbage!", "project = OPS"), None);
    }
}
