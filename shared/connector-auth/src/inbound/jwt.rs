//! JWT access-token validation against the issuer's JWKS.
//!
//! The key set is fetched lazily on the first token, cached, and fetched again when a token names
//! a `kid` we do not know (the issuer rotated its keys). Refetches are rate-limited so that tokens
//! with made-up key ids cannot make us hammer the issuer.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use super::{OAuthResourceServer, Principal, PrincipalSource, Rejection, WILDCARD_SCOPE};

/// Minimum time between two JWKS fetches once a key set is loaded.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Minimum time between two attempts while no key set could be loaded yet.
const JWKS_RETRY_INTERVAL: Duration = Duration::from_secs(2);
/// Upper bound for one metadata or JWKS request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Asymmetric algorithms we accept. `none` and the HMAC family are never accepted: an HMAC
/// "public key" would let anyone who can read the JWKS forge tokens.
const ACCEPTED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug)]
pub(super) struct JwtValidator {
    server: OAuthResourceServer,
    http: reqwest::Client,
    /// Discovered (or configured) JWKS location.
    jwks_uri: parking_lot::RwLock<Option<Url>>,
    keys: parking_lot::RwLock<Option<Arc<JwkSet>>>,
    /// When the last fetch was attempted, successful or not.
    last_fetch: parking_lot::Mutex<Option<Instant>>,
    /// Serialises fetches so concurrent requests with a new `kid` cause one fetch.
    fetch_lock: tokio::sync::Mutex<()>,
    refetch_interval: Duration,
}

/// The claims we read besides the ones `jsonwebtoken` validates.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    scp: Option<ScpClaim>,
}

/// `scp` is an array at most issuers (Okta) but a space-separated string at some (Entra ID).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ScpClaim {
    List(Vec<String>),
    Joined(String),
}

#[derive(Debug, Deserialize)]
struct IssuerMetadata {
    issuer: Option<String>,
    jwks_uri: Option<Url>,
}

impl JwtValidator {
    pub(super) fn new(server: OAuthResourceServer, http: reqwest::Client) -> Self {
        Self {
            jwks_uri: parking_lot::RwLock::new(server.jwks_uri.clone()),
            server,
            http,
            keys: parking_lot::RwLock::new(None),
            last_fetch: parking_lot::Mutex::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            refetch_interval: JWKS_REFETCH_INTERVAL,
        }
    }

    #[cfg(test)]
    pub(super) fn with_refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    pub(super) async fn validate(&self, token: &str) -> Result<Principal, Rejection> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("malformed token (not a signed JWT)"))?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
            return Err(invalid(format!(
                "signing algorithm {:?} is not accepted",
                header.alg
            )));
        }

        let candidates = self.keys_for(header.kid.as_deref(), header.alg).await?;

        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.server.issuer]);
        validation.set_audience(&[&self.server.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.server.leeway.as_secs();

        let mut last_error = invalid("no key of the issuer matches the token");
        for jwk in candidates {
            let key = match DecodingKey::from_jwk(&jwk) {
                Ok(key) => key,
                Err(error) => {
                    tracing::warn!(%error, kid = ?jwk.common.key_id, "unusable key in the issuer's JWKS");
                    continue;
                }
            };
            match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
                Ok(data) => return principal_from_claims(data.claims),
                Err(error) => {
                    last_error = invalid(describe_error(error.kind()));
                    // Another key may verify the signature; any other failure is final.
                    if !matches!(error.kind(), ErrorKind::InvalidSignature) {
                        break;
                    }
                }
            }
        }
        Err(last_error)
    }

    /// The keys that may have signed a token with `kid` and `alg`, fetching the JWKS as needed.
    async fn keys_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Vec<Jwk>, Rejection> {
        let find = |set: &JwkSet| -> Vec<Jwk> {
            set.keys
                .iter()
                .filter(|jwk| match kid {
                    Some(kid) => jwk.common.key_id.as_deref() == Some(kid),
                    None => true,
                })
                .filter(|jwk| key_accepts(jwk, alg))
                .cloned()
                .collect()
        };

        let cached = self.keys.read().clone();
        if let Some(set) = &cached {
            let found = find(set);
            if !found.is_empty() {
                return Ok(found);
            }
        }

        let _guard = self.fetch_lock.lock().await;
        // A concurrent request may have refreshed the set while we waited.
        let current = self.keys.read().clone();
        if let Some(set) = &current
            && !cached.as_ref().is_some_and(|c| Arc::ptr_eq(c, set))
        {
            let found = find(set);
            if !found.is_empty() {
                return Ok(found);
            }
        }

        let interval = if current.is_some() {
            self.refetch_interval
        } else {
            JWKS_RETRY_INTERVAL
        };
        let recently = self
            .last_fetch
            .lock()
            .is_some_and(|at| at.elapsed() < interval);
        if recently {
            return Err(match current {
                Some(_) => invalid("the token's key id is not in the issuer's key set"),
                None => invalid("the issuer's signing keys are currently unavailable"),
            });
        }

        *self.last_fetch.lock() = Some(Instant::now());
        match self.fetch_jwks().await {
            Ok(set) => {
                let set = Arc::new(set);
                *self.keys.write() = Some(set.clone());
                let found = find(&set);
                if found.is_empty() {
                    Err(invalid("the token's key id is not in the issuer's key set"))
                } else {
                    Ok(found)
                }
            }
            Err(error) => {
                tracing::warn!(issuer = %self.server.issuer, %error, "could not load the issuer's JWKS");
                Err(invalid(
                    "the issuer's signing keys are currently unavailable",
                ))
            }
        }
    }

    async fn fetch_jwks(&self) -> Result<JwkSet, String> {
        let configured = self.jwks_uri.read().clone();
        let jwks_uri = match configured {
            Some(uri) => uri,
            None => {
                let uri = self.discover_jwks_uri().await?;
                *self.jwks_uri.write() = Some(uri.clone());
                uri
            }
        };
        let response = self
            .http
            .get(jwks_uri.clone())
            .header(http::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("GET {jwks_uri}: {}", e.without_url()))?;
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| format!("GET {jwks_uri}: not a JWK set: {}", e.without_url()))?;
        tracing::debug!(%jwks_uri, keys = set.keys.len(), "loaded the issuer's JWKS");
        Ok(set)
    }

    /// Reads `jwks_uri` from the issuer's RFC 8414 metadata, falling back to OpenID discovery.
    async fn discover_jwks_uri(&self) -> Result<Url, String> {
        let mut errors = Vec::new();
        for url in discovery_urls(&self.server.issuer)? {
            match self.fetch_issuer_metadata(&url).await {
                Ok(uri) => return Ok(uri),
                Err(error) => errors.push(format!("{url}: {error}")),
            }
        }
        Err(format!(
            "could not discover the JWKS of issuer {}: {}",
            self.server.issuer,
            errors.join("; ")
        ))
    }

    async fn fetch_issuer_metadata(&self, url: &Url) -> Result<Url, String> {
        let response = self
            .http
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.without_url().to_string())?;
        let metadata: IssuerMetadata = response
            .json()
            .await
            .map_err(|e| format!("not issuer metadata: {}", e.without_url()))?;
        // RFC 8414 §3.3: the metadata must be about the issuer we asked for.
        if let Some(issuer) = &metadata.issuer
            && issuer != &self.server.issuer
        {
            return Err(format!("metadata names a different issuer ({issuer})"));
        }
        metadata
            .jwks_uri
            .ok_or_else(|| "metadata has no jwks_uri".to_owned())
    }
}

/// Metadata locations to try for `issuer`, in order: RFC 8414 (path inserted after the host),
/// then OpenID Connect Discovery (path appended), plus the other spelling of each when the
/// issuer has a path.
fn discovery_urls(issuer: &str) -> Result<Vec<Url>, String> {
    let base = Url::parse(issuer).map_err(|e| format!("issuer {issuer:?} is not a URL: {e}"))?;
    let origin = base.origin().ascii_serialization();
    let path = base.path().trim_end_matches('/');
    let candidates = [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}{path}/.well-known/oauth-authorization-server"),
        format!("{origin}{path}/.well-known/openid-configuration"),
        format!("{origin}/.well-known/openid-configuration{path}"),
    ];
    let mut urls: Vec<Url> = Vec::new();
    for candidate in candidates {
        let url = Url::parse(&candidate).map_err(|e| e.to_string())?;
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    Ok(urls)
}

/// Whether `jwk` may verify a signature made with `alg`: the key type must fit the algorithm,
/// and an `alg` or `use` the key declares must agree.
fn key_accepts(jwk: &Jwk, alg: Algorithm) -> bool {
    let type_fits = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(params) => matches!(
            (&params.curve, alg),
            (EllipticCurve::P256, Algorithm::ES256) | (EllipticCurve::P384, Algorithm::ES384)
        ),
        AlgorithmParameters::OctetKeyPair(params) => {
            params.curve == EllipticCurve::Ed25519 && alg == Algorithm::EdDSA
        }
        // Symmetric keys never verify inbound tokens; unknown key types are skipped.
        _ => false,
    };
    let alg_agrees = jwk
        .common
        .key_algorithm
        .is_none_or(|key_alg| key_alg == KeyAlgorithm::from(alg));
    let use_agrees = jwk
        .common
        .public_key_use
        .as_ref()
        .is_none_or(|u| *u == PublicKeyUse::Signature);
    type_fits && alg_agrees && use_agrees
}

fn principal_from_claims(claims: Claims) -> Result<Principal, Rejection> {
    let subject = claims
        .sub
        .or(claims.client_id)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("the token has neither sub nor client_id"))?;
    Ok(Principal {
        subject,
        scopes: parse_scopes(claims.scope.as_deref(), claims.scp),
        source: PrincipalSource::Jwt,
    })
}

/// Scopes from the `scope` claim (space-separated, RFC 9068) and the `scp` claim (array or
/// string). The wildcard is dropped: it is our own convention, not something an issuer grants.
fn parse_scopes(scope: Option<&str>, scp: Option<ScpClaim>) -> BTreeSet<String> {
    let from_scp = match scp {
        Some(ScpClaim::List(list)) => list,
        Some(ScpClaim::Joined(joined)) => joined.split_whitespace().map(str::to_owned).collect(),
        None => Vec::new(),
    };
    scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .chain(from_scp)
        .filter(|s| !s.is_empty() && s != WILDCARD_SCOPE)
        .collect()
}

fn describe_error(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidAudience => "the token was not issued for this server (aud)",
        ErrorKind::InvalidIssuer => "the token was issued by an unexpected issuer (iss)",
        ErrorKind::InvalidSignature => "the token signature is invalid",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss or aud)",
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not match the key",
        _ => "the token could not be validated",
    }
}

fn invalid(reason: impl Into<String>) -> Rejection {
    Rejection::Invalid(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_from_scope_and_scp() {
        let scopes = parse_scopes(
            Some("read  write"),
            Some(ScpClaim::List(vec!["admin".into(), "*".into()])),
        );
        assert_eq!(
            scopes.into_iter().collect::<Vec<_>>(),
            ["admin", "read", "write"]
        );
        let scopes = parse_scopes(None, Some(ScpClaim::Joined("a b".into())));
        assert_eq!(scopes.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(parse_scopes(None, None).is_empty());
    }

    #[test]
    fn scp_claim_accepts_array_and_string() {
        let claims: Claims =
            serde_json::from_str(r#"{"sub":"s","scp":["x","y"]}"#).expect("array scp");
        assert!(matches!(claims.scp, Some(ScpClaim::List(ref l)) if l.len() == 2));
        let claims: Claims =
            serde_json::from_str(r#"{"client_id":"c","scp":"x y"}"#).expect("string scp");
        let principal = principal_from_claims(claims).expect("principal");
        assert_eq!(principal.subject, "c");
        assert!(principal.has_scope("y"));
    }

    #[test]
    fn discovery_urls_for_issuer_with_and_without_path() {
        let urls: Vec<String> = discovery_urls("https://as.example.com")
            .unwrap()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            urls,
            [
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration",
            ]
        );
        let urls: Vec<String> = discovery_urls("https://as.example.com/tenant1/")
            .unwrap()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            urls,
            [
                "https://as.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://as.example.com/tenant1/.well-known/oauth-authorization-server",
                "https://as.example.com/tenant1/.well-known/openid-configuration",
                "https://as.example.com/.well-known/openid-configuration/tenant1",
            ]
        );
    }

    #[test]
    fn hmac_keys_are_never_accepted() {
        let jwk: Jwk =
            serde_json::from_str(r#"{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}"#).expect("oct jwk");
        assert!(!key_accepts(&jwk, Algorithm::HS256));
        assert!(!ACCEPTED_ALGORITHMS.contains(&Algorithm::HS256));
    }
}
