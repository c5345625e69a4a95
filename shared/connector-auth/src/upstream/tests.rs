use std::time::Duration;

use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use secrecy::ExposeSecret;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;

fn client(auth: UpstreamAuth) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build()
}

fn client_credentials(server: &MockServer) -> UpstreamCredential {
    UpstreamCredential::OAuthClientCredentials {
        token_url: format!("{}/oauth_token.do", server.uri()).parse().unwrap(),
        client_id: "my-client".to_owned(),
        client_secret: "CLIENT-SECRET".into(),
        scopes: vec!["read".to_owned(), "write".to_owned()],
    }
}

fn token_json(access_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
}

fn authorization_values(request: &Request) -> Vec<String> {
    request
        .headers
        .get_all(AUTHORIZATION)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn token_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/oauth_token.do")
        .count()
}

#[test]
fn debug_redacts_every_secret() {
    let url: Url = "https://auth.example.com/token".parse().unwrap();
    let credentials = [
        UpstreamCredential::Bearer("SECRET-1".into()),
        UpstreamCredential::Basic {
            username: "me@example.com".into(),
            password: "SECRET-2".into(),
        },
        UpstreamCredential::ApiKey {
            header: HeaderName::from_static("x-api-key"),
            value: "SECRET-3".into(),
        },
        UpstreamCredential::OAuthClientCredentials {
            token_url: url.clone(),
            client_id: "client".into(),
            client_secret: "SECRET-4".into(),
            scopes: vec!["read".into()],
        },
        UpstreamCredential::OAuthRefreshToken {
            token_url: url,
            client_id: "client".into(),
            client_secret: Some("SECRET-5".into()),
            refresh_token: "SECRET-6".into(),
        },
    ];
    for credential in credentials {
        let auth = UpstreamAuth::new(credential.clone(), reqwest::Client::new());
        for text in [format!("{credential:?}"), format!("{auth:?}")] {
            assert!(!text.contains("SECRET"), "leaked a secret: {text}");
            assert!(text.contains("[redacted]"), "no redaction marker: {text}");
        }
    }
    let debug = format!(
        "{:?}",
        UpstreamCredential::Basic {
            username: "me@example.com".into(),
            password: "x".into()
        }
    );
    assert!(debug.contains("me@example.com"));
}

#[test]
fn kinds_are_stable() {
    assert_eq!(UpstreamCredential::None.kind(), "none");
    assert_eq!(UpstreamCredential::Bearer("t".into()).kind(), "bearer");
    let basic = UpstreamCredential::Basic {
        username: "u".into(),
        password: "p".into(),
    };
    assert_eq!(basic.kind(), "basic");
}

#[tokio::test]
async fn bearer_replaces_an_inbound_authorization_header() {
    let server = MockServer::start().await;
    Mock::given(path("/api"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let auth = UpstreamAuth::new(
        UpstreamCredential::Bearer("pat-123".into()),
        reqwest::Client::new(),
    );
    let response = client(auth)
        .get(format!("{}/api", server.uri()))
        .header(AUTHORIZATION, "Bearer inbound-client-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = server.received_requests().await.unwrap();
    assert_eq!(authorization_values(&received[0]), ["Bearer pat-123"]);
}

#[tokio::test]
async fn none_strips_authorization_and_basic_and_api_key_set_headers() {
    let server = MockServer::start().await;
    Mock::given(path("/api"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let url = format!("{}/api", server.uri());

    let none = client(UpstreamAuth::new(
        UpstreamCredential::None,
        reqwest::Client::new(),
    ));
    none.get(&url)
        .header(AUTHORIZATION, "Bearer inbound")
        .send()
        .await
        .unwrap();

    let basic = client(UpstreamAuth::new(
        UpstreamCredential::Basic {
            username: "me@example.com".into(),
            password: "api-token".into(),
        },
        reqwest::Client::new(),
    ));
    basic.get(&url).send().await.unwrap();

    let api_key = client(UpstreamAuth::new(
        UpstreamCredential::ApiKey {
            header: HeaderName::from_static("x-api-key"),
            value: "key-1".into(),
        },
        reqwest::Client::new(),
    ));
    api_key
        .get(&url)
        .header(AUTHORIZATION, "Bearer inbound")
        .header("x-api-key", "caller-supplied")
        .send()
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert!(authorization_values(&received[0]).is_empty());
    let expected = format!("Basic {}", BASE64.encode("me@example.com:api-token"));
    assert_eq!(authorization_values(&received[1]), [expected]);
    assert!(authorization_values(&received[2]).is_empty());
    let keys: Vec<_> = received[2].headers.get_all("x-api-key").iter().collect();
    assert_eq!(keys, ["key-1"]);
}

#[tokio::test]
async fn client_credentials_token_is_fetched_once_and_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth_token.do"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=my-client"))
        .and(body_string_contains("client_secret=CLIENT-SECRET"))
        .and(body_string_contains("scope=read+write"))
        .respond_with(token_json("access-1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&server)
        .await;

    let http = client(UpstreamAuth::new(
        client_credentials(&server),
        reqwest::Client::new(),
    ));
    for _ in 0..3 {
        let response = http
            .get(format!("{}/api", server.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    server.verify().await;
}

#[tokio::test]
async fn concurrent_requests_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth_token.do"))
        .respond_with(token_json("access-1").set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(10)
        .mount(&server)
        .await;

    let http = client(UpstreamAuth::new(
        client_credentials(&server),
        reqwest::Client::new(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let http = http.clone();
        let url = format!("{}/api", server.uri());
        tasks.spawn(async move { http.get(url).send().await.map(|r| r.status()) });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), 200);
    }
    assert_eq!(token_requests(&server).await, 1);
    server.verify().await;
}

#[tokio::test]
async fn a_401_with_a_cached_token_refreshes_and_resends_once() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth_token.do"))
        .respond_with(token_json("access-1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/oauth_token.do"))
        .respond_with(token_json("access-2"))
        .with_priority(2)
        .mount(&server)
        .await;
    // The first token works once, then the upstream revokes it.
    Mock::given(path("/api"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .and(header("authorization", "Bearer access-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string("fresh"))
        .mount(&server)
        .await;

    let http = client(UpstreamAuth::new(
        client_credentials(&server),
        reqwest::Client::new(),
    ));
    let url = format!("{}/api", server.uri());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);

    let response = http.post(&url).body("payload").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "fresh");
    assert_eq!(token_requests(&server).await, 2);
    let received = server.received_requests().await.unwrap();
    let resent = received.last().unwrap();
    assert_eq!(resent.body, b"payload");
}

#[tokio::test]
async fn a_401_with_a_freshly_fetched_token_is_returned_as_is() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth_token.do"))
        .respond_with(token_json("access-1"))
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(UpstreamAuth::new(
        client_credentials(&server),
        reqwest::Client::new(),
    ));
    let response = http
        .get(format!("{}/api", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(token_requests(&server).await, 1);
    server.verify().await;
}

#[tokio::test]
async fn rotated_refresh_token_replaces_the_stored_one() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth_token.do"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "access-1",
            "refresh_token": "refresh-2",
            "expires_in": "1800",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/oauth_token.do"))
        .and(body_string_contains("refresh_token=refresh-2"))
        .respond_with(token_json("access-2"))
        .expect(1)
        .mount(&server)
        .await;

    let auth = UpstreamAuth::new(
        UpstreamCredential::OAuthRefreshToken {
            token_url: format!("{}/oauth_token.do", server.uri()).parse().unwrap(),
            client_id: "hubspot-app".to_owned(),
            client_secret: Some("CLIENT-SECRET".into()),
            refresh_token: "refresh-1".into(),
        },
        reqwest::Client::new(),
    );
    auth.token_check().await.unwrap();
    assert_eq!(
        auth.current_refresh_token().unwrap().expose_secret(),
        "refresh-2"
    );
    // The second grant uses the rotated token; without rotation the stored one stays.
    auth.token_check().await.unwrap();
    assert_eq!(
        auth.current_refresh_token().unwrap().expose_secret(),
        "refresh-2"
    );
    server.verify().await;
}

#[tokio::test]
async fn token_endpoint_errors_name_the_host_and_oauth_error_but_no_secret() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth_token.do"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        })))
        .mount(&server)
        .await;
    let auth = UpstreamAuth::new(client_credentials(&server), reqwest::Client::new());
    let error = auth.token_check().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(text.contains("Client authentication failed"), "{text}");
    assert!(!text.contains("CLIENT-SECRET"), "{text}");

    // Through the middleware the request fails with the same message.
    let http = client(auth);
    let error = http
        .get(format!("{}/api", server.uri()))
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid_client"), "{error}");
}

#[tokio::test]
async fn client_secret_basic_sends_credentials_in_the_header() {
    let server = MockServer::start().await;
    let expected = format!("Basic {}", BASE64.encode("my-client:CLIENT-SECRET"));
    Mock::given(path("/oauth_token.do"))
        .and(header("authorization", expected.as_str()))
        .respond_with(token_json("access-1"))
        .expect(1)
        .mount(&server)
        .await;
    let auth = UpstreamAuth::new(client_credentials(&server), reqwest::Client::new())
        .with_client_auth(ClientAuthMethod::ClientSecretBasic);
    auth.token_check().await.unwrap();
    let received = server.received_requests().await.unwrap();
    let body = String::from_utf8(received[0].body.clone()).unwrap();
    assert!(!body.contains("client_secret"), "{body}");
}

#[tokio::test]
async fn token_check_for_static_credentials_validates_the_header() {
    let ok = UpstreamAuth::new(
        UpstreamCredential::Bearer("fine".into()),
        reqwest::Client::new(),
    );
    ok.token_check().await.unwrap();
    let broken = UpstreamAuth::new(
        UpstreamCredential::Bearer("line\nbreak".into()),
        reqwest::Client::new(),
    );
    let error = broken.token_check().await.unwrap_err();
    assert!(matches!(
        error,
        UpstreamAuthError::InvalidHeaderValue { kind: "bearer" }
    ));
}
