//! HTTP transport: both eras, static tokens, OAuth resource server, and the
//! principal binding of confirmation tokens.

use connector_auth::inbound::hash_token;
use connector_testkit::{Client, HttpServer, TestIssuer};
use serde_json::json;

use crate::{BIN, World, legacy, modern, page_args};

#[tokio::test]
async fn http_works_in_both_eras_without_auth_on_loopback() {
    let w = World::new().await;
    let server = w.http_server(&[]).await;
    for opts in [legacy(), modern()] {
        let client = Client::http(&server.url, None, opts).await.unwrap();
        assert_eq!(client.list_all_tools().await.unwrap().len(), 6);
        let (_, done) = client
            .call_confirmed("trigger_hook", page_args())
            .await
            .unwrap();
        assert!(!done.is_error, "{}", done.text);
    }
    assert_eq!(w.delivered(), 2);
    let base = server.url.trim_end_matches("/mcp");
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tool=\"trigger_hook\""), "{metrics}");
}

#[tokio::test]
async fn auth_none_refuses_a_public_bind() {
    let w = World::new().await;
    let (code, stderr) = HttpServer::expect_failure(
        BIN,
        &[
            "--hooks",
            &w.hooks,
            "--transport",
            "http",
            "--listen",
            "0.0.0.0:0",
        ],
        &[("TEST_LOG_EVENT_URL", "https://hooks.zapier.com/x/")],
    )
    .await
    .unwrap();
    assert_ne!(code, 0);
    assert!(
        stderr.contains("0.0.0.0") && stderr.to_lowercase().contains("auth"),
        "{stderr}"
    );
}

#[tokio::test]
async fn static_tokens_authenticate_and_bind_confirmations_to_the_principal() {
    let w = World::new().await;
    let tokens = w.dir.path().join("tokens.toml");
    std::fs::write(
        &tokens,
        format!(
            "[[token]]\nsha256 = \"{}\"\nprincipal = \"alice\"\nscopes = [\"mcp\"]\n\n[[token]]\nsha256 = \"{}\"\nprincipal = \"bob\"\nscopes = [\"mcp\"]\n",
            hash_token("alice-secret"),
            hash_token("bob-secret")
        ),
    )
    .unwrap();
    let server = w
        .http_server(&[
            "--auth",
            "tokens",
            "--auth-tokens-file",
            tokens.to_str().unwrap(),
            "--required-scopes",
            "mcp",
        ])
        .await;
    assert!(
        Client::http(&server.url, None, legacy()).await.is_err(),
        "no token must be refused"
    );
    assert!(
        Client::http(&server.url, Some("wrong"), legacy())
            .await
            .is_err()
    );
    let alice = Client::http(&server.url, Some("alice-secret"), legacy())
        .await
        .unwrap();
    let bob = Client::http(&server.url, Some("bob-secret"), legacy())
        .await
        .unwrap();
    let preview = alice.call("trigger_hook", page_args()).await.unwrap();
    let mut args = page_args();
    args["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let stolen = bob.call("trigger_hook", args.clone()).await.unwrap();
    assert!(
        stolen.is_error && stolen.text.contains("not valid"),
        "{}",
        stolen.text
    );
    assert_eq!(w.delivered(), 0);
    let done = alice.call("trigger_hook", args).await.unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(done.structured["result"]["principal"], "alice");
    assert_eq!(w.delivered(), 1);
}

#[tokio::test]
async fn oauth_resource_server_checks_tokens() {
    let w = World::new().await;
    let issuer = TestIssuer::start().await.unwrap();
    let server = w
        .http_server(&[
            "--auth",
            "oauth",
            "--oauth-issuer",
            &issuer.issuer,
            "--oauth-jwks-url",
            &issuer.jwks_url,
            "--required-scopes",
            "mcp:tools",
            "--write-scopes",
            "mcp:write",
        ])
        .await;
    let audience = server.url.clone();
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |token: Option<String>| {
        let mut rb = http
            .post(&server.url)
            .header("accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };

    // No token: 401 with the metadata challenge.
    let r = post(None).await.unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("resource_metadata=\""),
        "{challenge}"
    );
    let base = server.url.trim_end_matches("/mcp");
    let meta: serde_json::Value = http
        .get(format!("{base}/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["resource"], audience.as_str());
    assert_eq!(meta["authorization_servers"][0], issuer.issuer.as_str());

    for (what, token) in [
        (
            "wrong audience",
            issuer.token("u1", "https://other.example/mcp", &["mcp:tools"], 300),
        ),
        (
            "expired",
            issuer.token("u1", &audience, &["mcp:tools"], -600),
        ),
        (
            "bad signature",
            issuer.forged_token("u1", &audience, &["mcp:tools"]),
        ),
    ] {
        let r = post(Some(token)).await.unwrap();
        assert_eq!(r.status(), 401, "{what}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token"),
            "{what}"
        );
    }
    let r = post(Some(issuer.token("u1", &audience, &["other"], 300)))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    // A valid token: tools work; writes need the write scope.
    let reader = Client::http(
        &server.url,
        Some(&issuer.token("reader", &audience, &["mcp:tools"], 300)),
        legacy(),
    )
    .await
    .unwrap();
    assert_eq!(reader.list_all_tools().await.unwrap().len(), 6);
    let r = reader.call("trigger_hook", page_args()).await.unwrap();
    assert!(r.is_error && r.text.contains("mcp:write"), "{}", r.text);
    let writer = Client::http(
        &server.url,
        Some(&issuer.token("writer", &audience, &["mcp:tools", "mcp:write"], 300)),
        modern(),
    )
    .await
    .unwrap();
    let (_, done) = writer
        .call_confirmed("trigger_hook", page_args())
        .await
        .unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(done.structured["result"]["principal"], "writer");
    assert_eq!(w.delivered(), 1);
    // The inbound token never reaches the upstream.
    for req in w.kit.requests() {
        assert!(
            !req.headers.contains_key("authorization"),
            "{:?}",
            req.headers
        );
    }
}
