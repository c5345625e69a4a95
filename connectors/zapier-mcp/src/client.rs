//! The upstream: Zapier's catch-hook endpoint. One function per call, typed
//! in and out; failures become [`UpstreamError`]s a user can act on.

use connector_kit::confirm::Confirmed;
use connector_kit::{Kit, Scope, UpstreamCredential, UpstreamError};
use reqwest_middleware::ClientWithMiddleware;
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::config::Hook;
use crate::model::CatchResponse;

const SERVICE: &str = "Zapier";

/// Zapier catch hooks over the kit's retrying, rate-limited client.
#[derive(Debug, Clone)]
pub struct ZapierClient {
    http: ClientWithMiddleware,
}

impl ZapierClient {
    /// A client. Catch-hook URLs carry their own secret, so no credential is sent.
    pub fn new(kit: &Kit) -> Self {
        ZapierClient {
            http: kit.upstream_client(UpstreamCredential::None),
        }
    }

    /// Delivers `payload` to `hook`. Requires a confirmation: a webhook
    /// cannot be taken back.
    ///
    /// The call is rate-limited per hook (`zapier:hook:<name>`); 429 and 503
    /// answers are retried after `Retry-After`. A connection lost after the
    /// request was sent is *not* retried (Zapier cannot de-duplicate), so a
    /// payload is never delivered twice by this server.
    pub async fn trigger(
        &self,
        _confirmed: &Confirmed,
        hook: &Hook,
        payload: &Value,
    ) -> Result<CatchResponse, UpstreamError> {
        let resp = self
            .http
            .post(hook.url.expose_secret())
            .with_extension(Scope(format!("zapier:hook:{}", hook.name)))
            .json(payload)
            .send()
            .await
            .map_err(|e| UpstreamError::from_transport(SERVICE, &e))?;
        if !resp.status().is_success() {
            let err = UpstreamError::from_response(SERVICE, resp).await;
            let hint = match err.status() {
                Some(404 | 410) => Some(format!(
                    "Hook \"{}\" is turned off or its URL is wrong: check the Zap in Zapier and the URL configured for this hook.",
                    hook.name
                )),
                Some(401 | 403) => Some(format!(
                    "Zapier refused hook \"{}\": check the hook URL configured for it.",
                    hook.name
                )),
                _ => None,
            };
            return Err(match hint {
                Some(h) => err.with_hint(h),
                None => err,
            });
        }
        let text = resp.text().await.map_err(|_| UpstreamError::Transport {
            service: SERVICE,
            sent: true,
            detail: "the answer was cut off".into(),
        })?;
        // The `/silent/` variant answers without ids; anything else unreadable
        // after a 2xx still means "received".
        Ok(serde_json::from_str(&text).unwrap_or(CatchResponse {
            status: "success".into(),
            id: None,
            request_id: None,
            attempt: None,
        }))
    }
}
