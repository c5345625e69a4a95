//! axum glue: the authentication middleware, challenge responses and RFC 9728 metadata.

use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use serde::Serialize;

use super::{InboundAuth, Rejection};

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// axum middleware that authenticates every request.
///
/// Install it with [`axum::middleware::from_fn_with_state`]. On success the [`super::Principal`]
/// is inserted into the request extensions and the `Authorization` header is **removed**, so the
/// inbound token cannot leak to an upstream. On failure it answers 401/403 with the challenge
/// MCP clients use to discover how to authenticate (see [`InboundAuth::reject`]).
///
/// ```no_run
/// use axum::{Extension, Router, middleware, routing::post};
/// use connector_auth::inbound::{InboundAuth, Principal, metadata_router, require_auth};
///
/// fn app(auth: InboundAuth) -> Router {
///     Router::new()
///         .route("/mcp", post(|Extension(who): Extension<Principal>| async move { who.subject }))
///         .layer(middleware::from_fn_with_state(auth.clone(), require_auth))
///         .merge(metadata_router(&auth, &["/mcp"]))
/// }
/// ```
pub async fn require_auth(
    State(auth): State<InboundAuth>,
    mut req: Request,
    next: Next,
) -> axum::response::Response {
    match auth.authenticate(req.headers()).await {
        Ok(principal) => {
            req.headers_mut().remove(AUTHORIZATION);
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(rejection) => {
            // Behind `Router::nest` the URI is stripped of the prefix; the original one names the
            // MCP endpoint the client actually called.
            let path = req
                .extensions()
                .get::<OriginalUri>()
                .map_or_else(|| req.uri().path(), |uri| uri.0.path())
                .to_owned();
            tracing::debug!(%rejection, %path, "rejected an inbound request");
            auth.reject(&rejection, &path)
        }
    }
}

impl InboundAuth {
    /// The 401/403 response for `rejection` on the MCP endpoint at `mcp_path`.
    ///
    /// * [`Rejection::Missing`]: `401`, `WWW-Authenticate: Bearer resource_metadata="…",
    ///   scope="…"`;
    /// * [`Rejection::Invalid`]: the same plus `error="invalid_token", error_description="…"`;
    /// * [`Rejection::InsufficientScope`]: `403`, `WWW-Authenticate: Bearer
    ///   error="insufficient_scope", scope="…", resource_metadata="…"`.
    ///
    /// `scope` is left out when no scope is required. The body is a small JSON object with
    /// `error` and `error_description`.
    pub fn reject(&self, rejection: &Rejection, mcp_path: &str) -> Response {
        rejection.to_response(&self.metadata_url(mcp_path), self.required_scopes())
    }
}

impl Rejection {
    /// Builds the challenge response; see [`InboundAuth::reject`], which fills in the arguments.
    pub fn to_response(&self, resource_metadata_url: &str, required_scopes: &[String]) -> Response {
        let metadata = format!(
            "resource_metadata=\"{}\"",
            quote_safe(resource_metadata_url)
        );
        let scope = |scopes: &[String]| {
            (!scopes.is_empty()).then(|| format!("scope=\"{}\"", quote_safe(&scopes.join(" "))))
        };
        let (status, params, error, description) = match self {
            Self::Missing => (
                StatusCode::UNAUTHORIZED,
                [Some(metadata), scope(required_scopes)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
                "unauthorized",
                "this endpoint requires an Authorization: Bearer token".to_owned(),
            ),
            Self::Invalid(reason) => (
                StatusCode::UNAUTHORIZED,
                [
                    Some(metadata),
                    scope(required_scopes),
                    Some("error=\"invalid_token\"".to_owned()),
                    Some(format!("error_description=\"{}\"", quote_safe(reason))),
                ]
                .into_iter()
                .flatten()
                .collect(),
                "invalid_token",
                reason.clone(),
            ),
            Self::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                [
                    Some("error=\"insufficient_scope\"".to_owned()),
                    scope(needed),
                    Some(metadata),
                ]
                .into_iter()
                .flatten()
                .collect(),
                "insufficient_scope",
                format!("this request requires the scopes: {}", needed.join(" ")),
            ),
        };
        let challenge = format!("Bearer {}", params.join(", "));
        let mut response = (
            status,
            Json(ErrorBody {
                error,
                error_description: description,
            }),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: String,
}

/// Makes `text` safe inside an RFC 9110 quoted-string: drops quotes, backslashes and controls.
fn quote_safe(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '"' && *c != '\\' && (*c == ' ' || c.is_ascii_graphic()))
        .collect()
}

/// `/.well-known/oauth-protected-resource[/<path>]` for an MCP path without surrounding slashes.
pub(super) fn well_known_path(trimmed_path: &str) -> String {
    if trimmed_path.is_empty() {
        WELL_KNOWN.to_owned()
    } else {
        format!("{WELL_KNOWN}/{trimmed_path}")
    }
}

/// RFC 9728 protected-resource metadata document.
#[derive(Debug, Clone, Serialize)]
struct MetadataDocument {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
}

/// Routes serving RFC 9728 metadata: `GET /.well-known/oauth-protected-resource` (describing the
/// configured resource) and `GET /.well-known/oauth-protected-resource/<path>` for each MCP path
/// (describing `<origin>/<path>`, as RFC 9728 §3.3 requires the `resource` to match the URL the
/// metadata was derived from). Mount it outside [`require_auth`]: clients read it before they
/// have a token.
pub fn metadata_router(auth: &InboundAuth, mcp_paths: &[&str]) -> Router {
    let metadata = auth.metadata();
    let document = |resource: String| MetadataDocument {
        resource,
        authorization_servers: metadata.authorization_servers.clone(),
        scopes_supported: metadata.scopes_supported.clone(),
        bearer_methods_supported: ["header"],
        resource_name: metadata.resource_name.clone(),
    };

    let mut router = Router::new().route(
        WELL_KNOWN,
        get(serve_metadata).with_state(document(metadata.resource.clone())),
    );
    let origin = auth.origin();
    let mut seen = Vec::new();
    for path in mcp_paths {
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() || seen.contains(&trimmed) {
            continue;
        }
        seen.push(trimmed);
        router = router.route(
            &well_known_path(trimmed),
            get(serve_metadata).with_state(document(format!("{origin}/{trimmed}"))),
        );
    }
    router
}

async fn serve_metadata(State(document): State<MetadataDocument>) -> Response {
    // The document is public; browser-based clients fetch it cross-origin.
    (
        [(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"))],
        Json(document),
    )
        .into_response()
}
