//! A tiny OAuth issuer for HTTP-auth tests: an Ed25519 key, its JWKS and
//! authorization-server metadata served on 127.0.0.1, and token minting.

use axum::{Json, Router, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// Test-only key material (generated for these tests; never used elsewhere).
const SIGNING_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIDBmCZ4HyO03BoKAAvelkg05kV5Jfd9HmOP/etd7G6cC
-----END PRIVATE KEY-----
";
const SIGNING_KEY_X: &str = "2xZAStNwtFrO_QCsLzkz6oG4kKmrLFmjWqovlOwukoI";
/// A second key the issuer does not publish (for bad-signature tests).
const ROGUE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIs24l5v4GuWMsVkeKYzyu1HqMVlwunuYRMoklABJNt9
-----END PRIVATE KEY-----
";
const KID: &str = "testkit-1";

/// A running test issuer.
#[derive(Debug)]
pub struct TestIssuer {
    /// The issuer identifier (its base URL).
    pub issuer: String,
    /// Where its JWKS is served.
    pub jwks_url: String,
    _task: tokio::task::JoinHandle<()>,
}

impl TestIssuer {
    /// Starts the issuer on 127.0.0.1:0.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let issuer = format!("http://{}", listener.local_addr()?);
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": SIGNING_KEY_X, "kid": KID, "alg": "EdDSA", "use": "sig"}]});
        let meta = json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/jwks"),
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "code_challenge_methods_supported": ["S256"],
        });
        let app = Router::new()
            .route(
                "/jwks",
                get(move || {
                    let j = jwks.clone();
                    async move { Json(j) }
                }),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(move || {
                    let m = meta.clone();
                    async move { Json(m) }
                }),
            );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(TestIssuer {
            jwks_url: format!("{issuer}/jwks"),
            issuer,
            _task: task,
        })
    }

    /// A token for `audience` with `scopes`, valid for `ttl_secs` (negative: already expired).
    pub fn token(&self, subject: &str, audience: &str, scopes: &[&str], ttl_secs: i64) -> String {
        self.sign(
            SIGNING_KEY_PEM,
            &self.claims(subject, audience, scopes, ttl_secs),
        )
    }

    /// A token signed by a key the issuer never published.
    pub fn forged_token(&self, subject: &str, audience: &str, scopes: &[&str]) -> String {
        self.sign(ROGUE_KEY_PEM, &self.claims(subject, audience, scopes, 300))
    }

    fn claims(&self, subject: &str, audience: &str, scopes: &[&str], ttl_secs: i64) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + ttl_secs,
            "scope": scopes.join(" "),
        })
    }

    fn sign(&self, pem: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(KID.to_owned());
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("test key parses");
        jsonwebtoken::encode(&header, claims, &key).expect("signing works")
    }
}
