use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::{Extension, Router};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tower::ServiceExt;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::testdata;

const AUDIENCE: &str = "https://mcp.example.com/mcp";

fn metadata() -> ResourceMetadata {
    ResourceMetadata {
        resource: format!("{AUDIENCE}/"),
        authorization_servers: Vec::new(),
        scopes_supported: vec!["mcp:read".to_owned()],
        resource_name: Some("Example MCP".to_owned()),
    }
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

fn static_auth(required: &[&str]) -> InboundAuth {
    let tokens = vec![
        StaticToken {
            sha256: hash_token("reader-token"),
            principal: "reader".to_owned(),
            scopes: vec!["mcp:read".to_owned()],
        },
        StaticToken {
            sha256: hash_token("admin-token").to_uppercase(),
            principal: "admin".to_owned(),
            scopes: vec![WILDCARD_SCOPE.to_owned()],
        },
    ];
    InboundAuth::new(
        InboundMode::StaticTokens(tokens),
        metadata(),
        required.iter().map(|s| (*s).to_owned()).collect(),
        reqwest::Client::new(),
    )
}

#[test]
fn hash_token_is_hex_sha256() {
    assert_eq!(
        hash_token("test"),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
}

#[test]
fn constant_time_eq_compares_every_byte() {
    let a = [7u8; 32];
    let mut b = a;
    assert!(constant_time_eq(&a, &b));
    b[31] ^= 1;
    assert!(!constant_time_eq(&a, &b));
}

#[test]
fn local_and_anonymous_have_every_scope() {
    for principal in [Principal::local(), Principal::anonymous()] {
        assert!(principal.has_scope("anything"));
    }
    assert_eq!(Principal::local().source, PrincipalSource::Local);
    assert_eq!(Principal::anonymous().subject, "anonymous");
    let reader = Principal {
        subject: "r".into(),
        scopes: BTreeSet::from(["read".to_owned()]),
        source: PrincipalSource::StaticToken,
    };
    assert!(reader.has_scope("read"));
    assert!(!reader.has_scope("write"));
    assert_eq!(
        reader.missing_scopes(&["read".into(), "write".into()]),
        ["write"]
    );
}

#[test]
fn static_token_config_deserializes_and_validates() {
    let token: StaticToken = serde_json::from_str(&format!(
        r#"{{"sha256": "{}", "principal": "bot"}}"#,
        hash_token("x")
    ))
    .unwrap();
    assert!(token.scopes.is_empty());
    token.validate().unwrap();
    let broken = StaticToken {
        sha256: "not-hex".into(),
        ..token
    };
    let error = broken.validate().unwrap_err().to_string();
    assert!(
        error.contains("bot") && error.contains("hash-token"),
        "{error}"
    );
}

#[test]
fn bind_check_refuses_none_mode_off_loopback() {
    let none = InboundAuth::new(
        InboundMode::None,
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    for ok in ["127.0.0.1:8080", "[::1]:8080", "[::ffff:127.0.0.1]:8080"] {
        none.check_bind(ok.parse().unwrap()).unwrap();
    }
    let addr: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let error = none.check_bind(addr).unwrap_err().to_string();
    assert!(error.contains("0.0.0.0:8080"), "{error}");
    assert!(
        error.contains("127.0.0.1") && error.contains("--auth oauth"),
        "{error}"
    );
    static_auth(&[]).check_bind(addr).unwrap();
}

#[test]
fn metadata_url_inserts_the_mcp_path() {
    let auth = static_auth(&[]);
    assert_eq!(auth.metadata().resource, AUDIENCE);
    assert_eq!(
        auth.metadata_url("/mcp"),
        "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
    );
    assert_eq!(
        auth.metadata_url("/zapier/mcp/"),
        "https://mcp.example.com/.well-known/oauth-protected-resource/zapier/mcp"
    );
    assert_eq!(
        auth.metadata_url("/"),
        "https://mcp.example.com/.well-known/oauth-protected-resource"
    );
}

#[tokio::test]
async fn static_tokens() {
    let auth = static_auth(&["mcp:read"]);
    let reader = auth.authenticate(&bearer("reader-token")).await.unwrap();
    assert_eq!(reader.subject, "reader");
    assert_eq!(reader.source, PrincipalSource::StaticToken);
    // Upper-case hex in the configuration works too.
    let admin = auth.authenticate(&bearer("admin-token")).await.unwrap();
    assert!(admin.has_scope("mcp:write"));

    assert_eq!(
        auth.authenticate(&HeaderMap::new()).await,
        Err(Rejection::Missing)
    );
    assert!(matches!(
        auth.authenticate(&bearer("wrong")).await,
        Err(Rejection::Invalid(_))
    ));
    let mut basic = HeaderMap::new();
    basic.insert(
        AUTHORIZATION,
        HeaderValue::from_static("Basic dXNlcjpwdw=="),
    );
    assert!(matches!(
        auth.authenticate(&basic).await,
        Err(Rejection::Invalid(_))
    ));

    let strict = static_auth(&["mcp:read", "mcp:write"]);
    assert_eq!(
        strict.authenticate(&bearer("reader-token")).await,
        Err(Rejection::InsufficientScope(vec![
            "mcp:read".to_owned(),
            "mcp:write".to_owned()
        ]))
    );
}

// --- JWT -----------------------------------------------------------------------------------

struct Issuer {
    server: MockServer,
}

impl Issuer {
    /// An issuer publishing RFC 8414 metadata and a JWKS with `keys`.
    async fn start(keys: Vec<serde_json::Value>) -> Self {
        let server = MockServer::start().await;
        Mock::given(path("/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "issuer": server.uri(),
                "jwks_uri": format!("{}/jwks", server.uri()),
            })))
            .mount(&server)
            .await;
        let issuer = Self { server };
        issuer.serve_keys(keys, None).await;
        issuer
    }

    async fn serve_keys(&self, keys: Vec<serde_json::Value>, times: Option<u64>) {
        let mock = Mock::given(path("/jwks")).respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"keys": keys})),
        );
        match times {
            Some(n) => mock.up_to_n_times(n).with_priority(1),
            None => mock.with_priority(5),
        }
        .mount(&self.server)
        .await;
    }

    fn uri(&self) -> String {
        self.server.uri()
    }

    async fn jwks_fetches(&self) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/jwks")
            .count()
    }

    fn auth(&self, required: &[&str]) -> InboundAuth {
        InboundAuth::new(
            InboundMode::OAuth(OAuthResourceServer::new(self.uri(), AUDIENCE)),
            metadata(),
            required.iter().map(|s| (*s).to_owned()).collect(),
            reqwest::Client::new(),
        )
    }

    fn claims(&self) -> serde_json::Value {
        let now = jsonwebtoken::get_current_timestamp();
        serde_json::json!({
            "iss": self.uri(),
            "aud": [AUDIENCE, "https://other.example.com"],
            "sub": "user-42",
            "iat": now,
            "exp": now + 600,
            "scope": "mcp:read mcp:write",
        })
    }
}

fn sign(claims: &serde_json::Value, kid: &str, pem: &str) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn sign_a(claims: &serde_json::Value) -> String {
    sign(claims, "key-a", testdata::ED25519_A_PRIVATE_PEM)
}

fn key_a() -> serde_json::Value {
    testdata::ed25519_jwk("key-a", testdata::ED25519_A_X)
}

fn assert_invalid(result: Result<Principal, Rejection>, needle: &str) {
    match result {
        Err(Rejection::Invalid(reason)) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected Invalid containing {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_jwt_yields_a_principal() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let auth = issuer.auth(&["mcp:read"]);
    let principal = auth
        .authenticate(&bearer(&sign_a(&issuer.claims())))
        .await
        .unwrap();
    assert_eq!(principal.subject, "user-42");
    assert_eq!(principal.source, PrincipalSource::Jwt);
    assert!(principal.has_scope("mcp:write"));
    assert!(!principal.has_scope("admin"));
    assert_eq!(
        auth.metadata().authorization_servers,
        [issuer.uri()],
        "authorization_servers defaults to the issuer"
    );
    // The key set is cached.
    auth.authenticate(&bearer(&sign_a(&issuer.claims())))
        .await
        .unwrap();
    assert_eq!(issuer.jwks_fetches().await, 1);
}

#[tokio::test]
async fn es256_key_without_alg_and_client_id_subject() {
    let issuer = Issuer::start(vec![testdata::p256_jwk("ec-1")]).await;
    let mut claims = issuer.claims();
    let object = claims.as_object_mut().unwrap();
    object.remove("sub");
    object.remove("scope");
    object.insert("client_id".into(), "svc-client".into());
    object.insert("scp".into(), serde_json::json!(["mcp:read"]));
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".to_owned());
    let key = EncodingKey::from_ec_pem(testdata::P256_PRIVATE_PEM.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();

    let principal = issuer
        .auth(&["mcp:read"])
        .authenticate(&bearer(&token))
        .await
        .unwrap();
    assert_eq!(principal.subject, "svc-client");
}

#[tokio::test]
async fn wrong_audience_is_invalid() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let mut claims = issuer.claims();
    claims["aud"] = "https://someone-else.example.com/mcp".into();
    let result = issuer
        .auth(&[])
        .authenticate(&bearer(&sign_a(&claims)))
        .await;
    assert_invalid(result, "aud");
}

#[tokio::test]
async fn wrong_issuer_and_expired_tokens_are_invalid() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let auth = issuer.auth(&[]);

    let mut claims = issuer.claims();
    claims["iss"] = "https://evil.example.com".into();
    assert_invalid(auth.authenticate(&bearer(&sign_a(&claims))).await, "iss");

    let mut claims = issuer.claims();
    let now = jsonwebtoken::get_current_timestamp();
    // Expired beyond the 60 s leeway.
    claims["exp"] = (now - 120).into();
    assert_invalid(
        auth.authenticate(&bearer(&sign_a(&claims))).await,
        "expired",
    );

    // Within the leeway it is still accepted.
    claims["exp"] = (now - 10).into();
    auth.authenticate(&bearer(&sign_a(&claims))).await.unwrap();

    let mut claims = issuer.claims();
    claims["nbf"] = (now + 600).into();
    assert_invalid(auth.authenticate(&bearer(&sign_a(&claims))).await, "nbf");
}

#[tokio::test]
async fn signature_by_another_key_is_invalid() {
    let issuer = Issuer::start(vec![key_a()]).await;
    // Claims to be key-a, but signed with key b.
    let forged = sign(&issuer.claims(), "key-a", testdata::ED25519_B_PRIVATE_PEM);
    assert_invalid(
        issuer.auth(&[]).authenticate(&bearer(&forged)).await,
        "signature",
    );
}

#[tokio::test]
async fn hmac_and_garbage_tokens_are_invalid() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let auth = issuer.auth(&[]);
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &issuer.claims(),
        &EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    assert_invalid(auth.authenticate(&bearer(&hs)).await, "not accepted");
    // alg "none" is not even parsed as a JWT.
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
    assert_invalid(auth.authenticate(&bearer(none)).await, "malformed");
    assert_invalid(auth.authenticate(&bearer("not-a-jwt")).await, "malformed");
}

#[tokio::test]
async fn unknown_kid_triggers_one_refetch() {
    // The issuer first publishes key a only, then a and b (key rotation).
    let issuer = Issuer::start(vec![
        key_a(),
        testdata::ed25519_jwk("key-b", testdata::ED25519_B_X),
    ])
    .await;
    issuer.serve_keys(vec![key_a()], Some(1)).await;
    let auth = InboundAuth::new(
        InboundMode::None,
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    // Swap in a validator whose rate limit does not get in the test's way.
    let validator = JwtValidator::new(
        OAuthResourceServer::new(issuer.uri(), AUDIENCE),
        reqwest::Client::new(),
    )
    .with_refetch_interval(Duration::ZERO);
    let auth = InboundAuth {
        inner: Arc::new(InboundInner {
            mode: Mode::OAuth(Box::new(validator)),
            ..Arc::into_inner(auth.inner).unwrap()
        }),
    };

    auth.authenticate(&bearer(&sign_a(&issuer.claims())))
        .await
        .unwrap();
    assert_eq!(issuer.jwks_fetches().await, 1);

    let token_b = sign(&issuer.claims(), "key-b", testdata::ED25519_B_PRIVATE_PEM);
    let principal = auth.authenticate(&bearer(&token_b)).await.unwrap();
    assert_eq!(principal.subject, "user-42");
    assert_eq!(issuer.jwks_fetches().await, 2);

    // Known kids do not refetch.
    auth.authenticate(&bearer(&token_b)).await.unwrap();
    assert_eq!(issuer.jwks_fetches().await, 2);
}

#[tokio::test]
async fn garbage_kids_cannot_hammer_the_issuer() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let auth = issuer.auth(&[]);
    for i in 0..5 {
        let token = sign(
            &issuer.claims(),
            &format!("garbage-{i}"),
            testdata::ED25519_A_PRIVATE_PEM,
        );
        assert_invalid(auth.authenticate(&bearer(&token)).await, "key id");
    }
    // One initial load; every further unknown kid falls inside the 30 s refetch interval.
    assert_eq!(issuer.jwks_fetches().await, 1);
}

#[tokio::test]
async fn jwt_missing_scope_is_insufficient_scope() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let auth = issuer.auth(&["mcp:read", "mcp:admin"]);
    assert_eq!(
        auth.authenticate(&bearer(&sign_a(&issuer.claims()))).await,
        Err(Rejection::InsufficientScope(vec![
            "mcp:read".to_owned(),
            "mcp:admin".to_owned()
        ]))
    );
}

#[tokio::test]
async fn configured_jwks_uri_skips_discovery_and_openid_fallback_works() {
    let server = MockServer::start().await;
    Mock::given(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": server.uri(),
            "jwks_uri": format!("{}/keys", server.uri()),
        })))
        .mount(&server)
        .await;
    Mock::given(path("/keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"keys": [key_a()]})),
        )
        .mount(&server)
        .await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims =
        serde_json::json!({"iss": server.uri(), "aud": AUDIENCE, "sub": "s", "exp": now + 60});
    let token = sign_a(&claims);

    // No RFC 8414 document: discovery falls back to OpenID configuration.
    let discovered = InboundAuth::new(
        InboundMode::OAuth(OAuthResourceServer::new(server.uri(), AUDIENCE)),
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    discovered.authenticate(&bearer(&token)).await.unwrap();

    let mut config = OAuthResourceServer::new(server.uri(), AUDIENCE);
    config.jwks_uri = Some(format!("{}/keys", server.uri()).parse().unwrap());
    let configured = InboundAuth::new(
        InboundMode::OAuth(config),
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    configured.authenticate(&bearer(&token)).await.unwrap();
    let discovery_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/.well-known"))
        .count();
    // Only the first validator asked: oauth-authorization-server (404), then openid-configuration.
    assert_eq!(discovery_calls, 2);
}

// --- axum ----------------------------------------------------------------------------------

fn app(auth: &InboundAuth) -> Router {
    Router::new()
        .route(
            "/mcp",
            post(
                |Extension(principal): Extension<Principal>, headers: HeaderMap| async move {
                    format!(
                        "{} authorization={}",
                        principal.subject,
                        headers.contains_key(AUTHORIZATION)
                    )
                },
            ),
        )
        .layer(axum::middleware::from_fn_with_state(
            auth.clone(),
            require_auth,
        ))
        .merge(metadata_router(auth, &["/mcp", "/zapier/mcp"]))
}

async fn call(app: Router, token: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::post("/mcp");
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn challenge(headers: &HeaderMap) -> &str {
    headers
        .get(http::header::WWW_AUTHENTICATE)
        .expect("WWW-Authenticate")
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn require_auth_challenges_missing_tokens() {
    let (status, headers, body) = call(app(&static_auth(&["mcp:read"])), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:read\""
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn require_auth_reports_invalid_tokens() {
    let (status, headers, body) = call(app(&static_auth(&["mcp:read"])), Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:read\", error=\"invalid_token\", error_description=\"unknown token\""
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(body["error_description"], "unknown token");
}

#[tokio::test]
async fn require_auth_answers_403_for_insufficient_scope() {
    let auth = static_auth(&["mcp:read", "mcp:write"]);
    let (status, headers, _) = call(app(&auth), Some("reader-token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&headers),
        "Bearer error=\"insufficient_scope\", scope=\"mcp:read mcp:write\", resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
    );
}

#[tokio::test]
async fn require_auth_passes_the_principal_and_strips_the_token() {
    let (status, _, body) = call(app(&static_auth(&["mcp:read"])), Some("reader-token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "reader authorization=false");

    // Mode none: anonymous, and an inbound header is still removed.
    let none = InboundAuth::new(
        InboundMode::None,
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    let (status, _, body) = call(app(&none), Some("whatever")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "anonymous authorization=false");
}

#[tokio::test]
async fn require_auth_with_a_jwt() {
    let issuer = Issuer::start(vec![key_a()]).await;
    let token = sign_a(&issuer.claims());
    let (status, _, body) = call(app(&issuer.auth(&["mcp:read"])), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "user-42 authorization=false");
}

#[tokio::test]
async fn metadata_router_serves_rfc9728_documents() {
    let issuer_auth = InboundAuth::new(
        InboundMode::OAuth(OAuthResourceServer::new(
            "https://login.example.com",
            AUDIENCE,
        )),
        metadata(),
        Vec::new(),
        reqwest::Client::new(),
    );
    let get = |path: &str| {
        let app = app(&issuer_auth);
        let request = Request::get(path).body(Body::empty()).unwrap();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).ok(),
            )
        }
    };

    let (status, document) = get("/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        document.unwrap(),
        serde_json::json!({
            "resource": AUDIENCE,
            "authorization_servers": ["https://login.example.com"],
            "scopes_supported": ["mcp:read"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Example MCP",
        })
    );
    let (_, document) = get("/.well-known/oauth-protected-resource").await;
    assert_eq!(document.unwrap()["resource"], AUDIENCE);
    let (_, document) = get("/.well-known/oauth-protected-resource/zapier/mcp").await;
    assert_eq!(
        document.unwrap()["resource"],
        "https://mcp.example.com/zapier/mcp"
    );
    let (status, _) = get("/.well-known/oauth-protected-resource/other").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
