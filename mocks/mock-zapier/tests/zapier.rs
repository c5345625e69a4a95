//! mock-zapier over 127.0.0.1, driven like a real sender would drive Zapier.

use std::error::Error as _;

use mock_kit::{RecordedRequest, Served};
use mock_zapier::{Delivery, Options, spawn};
use serde_json::{Value, json};

const HOOK: &str = "/hooks/catch/123456/abc12x/";

struct Zapier {
    served: Served,
    client: reqwest::Client,
}

async fn start(rate_per_second: u32) -> Zapier {
    Zapier {
        served: spawn(Options { rate_per_second }).await.unwrap(),
        client: reqwest::Client::new(),
    }
}

impl Zapier {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    async fn post_json(&self, path: &str, body: &Value) -> reqwest::Result<reqwest::Response> {
        self.client.post(self.url(path)).json(body).send().await
    }

    async fn admin_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    async fn admin_post(&self, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.client.post(self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn deliveries(&self) -> Vec<Delivery> {
        self.admin_get("/__admin/deliveries").await
    }

    async fn requests(&self) -> Vec<RecordedRequest> {
        self.admin_get("/__admin/requests").await
    }
}

fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn delivery_is_stored_and_answered_in_zapier_shape() {
    let zapier = start(30).await;
    let response = zapier
        .post_json(HOOK, &json!({"title": "Deploy", "count": 2}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let fields: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["attempt", "id", "request_id", "status"]);
    assert_eq!(answer["status"], "success");
    assert!(uuid::Uuid::parse_str(answer["id"].as_str().unwrap()).is_ok());
    assert!(uuid::Uuid::parse_str(answer["attempt"].as_str().unwrap()).is_ok());

    let deliveries = zapier.deliveries().await;
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.id, answer["id"]);
    assert_eq!(delivery.attempt, answer["attempt"]);
    assert_eq!(delivery.request_id, answer["request_id"]);
    assert_eq!(
        (delivery.account.as_str(), delivery.hook.as_str()),
        ("123456", "abc12x")
    );
    assert_eq!(delivery.body, json!({"title": "Deploy", "count": 2}));
    assert!(!delivery.silent);
}

#[tokio::test]
async fn trailing_slash_form_bodies_get_and_hook_filter() {
    let zapier = start(30).await;
    let no_slash = zapier
        .post_json("/hooks/catch/1/a?source=ci", &json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(no_slash.status(), 200);
    let form = zapier
        .client
        .post(zapier.url("/hooks/catch/1/b/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Ada+Lovelace&role=admin")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let get = zapier
        .client
        .get(zapier.url("/hooks/catch/1/b/?ping=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);

    let a: Vec<Delivery> = zapier.admin_get("/__admin/deliveries?hook=1/a").await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].body, json!({"n": 1, "source": "ci"}));
    let b: Vec<Delivery> = zapier.admin_get("/__admin/deliveries?hook=1/b").await;
    let bodies: Vec<&Value> = b.iter().map(|d| &d.body).collect();
    assert_eq!(
        bodies,
        [
            &json!({"name": "Ada Lovelace", "role": "admin"}),
            &json!({"ping": "1"})
        ]
    );
}

#[tokio::test]
async fn silent_hook_answers_status_only() {
    let zapier = start(30).await;
    let response = zapier
        .post_json("/hooks/catch/123456/abc12x/silent/", &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "success"})
    );
    let deliveries = zapier.deliveries().await;
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].silent);
    assert_eq!(deliveries[0].hook, "abc12x");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let zapier = start(3).await;
    for _ in 0..3 {
        let ok = zapier.post_json(HOOK, &json!({})).await.unwrap();
        assert_eq!(ok.status(), 200);
    }
    let limited = zapier.post_json(HOOK, &json!({})).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("3 requests per second")
    );

    let other_hook = zapier
        .post_json("/hooks/catch/123456/other/", &json!({}))
        .await
        .unwrap();
    assert_eq!(other_hook.status(), 200, "the limit is per hook");
    assert_eq!(zapier.deliveries().await.len(), 4);
}

#[tokio::test]
async fn invalid_bodies_and_ids_are_refused() {
    let zapier = start(30).await;
    let bad_json = zapier
        .client
        .post(zapier.url(HOOK))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON")
    );

    let text = zapier
        .client
        .post(zapier.url(HOOK))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 400);

    let bad_id = zapier
        .post_json("/hooks/catch/acct/abc/", &json!({}))
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 404);
    assert!(zapier.deliveries().await.is_empty());
}

#[tokio::test]
async fn disabled_hook_is_gone_until_enabled() {
    let zapier = start(30).await;
    let disabled = zapier
        .admin_post("/__admin/hooks/123456/abc12x/disable", None)
        .await;
    assert_eq!(disabled.status(), 200);
    let gone = zapier.post_json(HOOK, &json!({"a": 1})).await.unwrap();
    assert_eq!(gone.status(), 410);
    assert_eq!(
        gone.json::<Value>().await.unwrap(),
        json!({"status": "error", "message": "This hook has been turned off."})
    );
    let hooks: Value = zapier.admin_get("/__admin/hooks").await;
    assert_eq!(hooks, json!({"disabled": ["123456/abc12x"]}));

    zapier
        .admin_post("/__admin/hooks/123456/abc12x/enable", None)
        .await;
    let back = zapier.post_json(HOOK, &json!({"a": 2})).await.unwrap();
    assert_eq!(back.status(), 200);
    let deliveries = zapier.deliveries().await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].body, json!({"a": 2}));
}

#[tokio::test]
async fn status_fault_with_retry_after_stores_nothing() {
    let zapier = start(30).await;
    let queued = zapier
        .admin_post(
            "/__admin/faults",
            Some(json!({
                "method": "POST", "path_prefix": "/hooks/catch/",
                "action": "status", "status": 503, "retry_after": "2"
            })),
        )
        .await;
    assert_eq!(queued.status(), 201);

    let faulted = zapier.post_json(HOOK, &json!({"a": 1})).await.unwrap();
    assert_eq!(faulted.status(), 503);
    assert_eq!(faulted.headers()["retry-after"], "2");
    assert!(zapier.deliveries().await.is_empty());

    let retried = zapier.post_json(HOOK, &json!({"a": 1})).await.unwrap();
    assert_eq!(retried.status(), 200);
    assert_eq!(zapier.deliveries().await.len(), 1);

    let statuses: Vec<(u16, Option<String>)> = zapier
        .requests()
        .await
        .into_iter()
        .map(|r| (r.status, r.fault))
        .collect();
    assert_eq!(
        statuses,
        [(503, Some("status 503".to_owned())), (200, None)]
    );
}

#[tokio::test]
async fn commit_then_drop_stores_exactly_one_delivery_but_the_sender_sees_an_error() {
    let zapier = start(30).await;
    zapier
        .admin_post(
            "/__admin/faults",
            Some(json!({"action": "commit_then_drop", "path_prefix": "/hooks/"})),
        )
        .await;

    let err = zapier
        .post_json(HOOK, &json!({"order": 42}))
        .await
        .expect_err("the answer must be lost");
    assert!(err.status().is_none());
    let chain = error_chain(&err);
    assert!(
        chain.contains("connection closed before message completed"),
        "{chain}"
    );

    let deliveries = zapier.deliveries().await;
    assert_eq!(deliveries.len(), 1, "the write was committed exactly once");
    assert_eq!(deliveries[0].body, json!({"order": 42}));
    let requests = zapier.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, 0);
    assert_eq!(requests[0].fault.as_deref(), Some("commit_then_drop"));
}

#[tokio::test]
async fn reset_fault_stores_nothing() {
    let zapier = start(30).await;
    zapier
        .admin_post("/__admin/faults", Some(json!({"action": "reset"})))
        .await;
    let err = zapier
        .post_json(HOOK, &json!({"order": 42}))
        .await
        .expect_err("the connection must be reset");
    assert!(err.status().is_none());
    assert!(zapier.deliveries().await.is_empty());
    let requests = zapier.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, 0);
    assert_eq!(requests[0].fault.as_deref(), Some("reset"));
}

#[tokio::test]
async fn request_log_skips_admin_calls_and_redacts_credentials() {
    let zapier = start(30).await;
    zapier
        .client
        .post(zapier.url(HOOK))
        .header("authorization", "Bearer not-for-logs")
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    let _: Vec<Delivery> = zapier.admin_get("/__admin/deliveries").await;
    let requests = zapier.requests().await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, HOOK);
    assert_eq!(requests[0].status, 200);
    assert_eq!(requests[0].body, json!({"a": 1}));
    assert_eq!(requests[0].headers["authorization"], "[redacted]");
    let filtered: Vec<RecordedRequest> = zapier
        .admin_get("/__admin/requests?path_prefix=/hooks/catch/999")
        .await;
    assert!(filtered.is_empty());
}

#[tokio::test]
async fn reset_clears_deliveries_disabled_hooks_and_the_log() {
    let zapier = start(1).await;
    zapier.post_json(HOOK, &json!({"a": 1})).await.unwrap();
    zapier.admin_post("/__admin/hooks/9/zz/disable", None).await;
    let reset = zapier.admin_post("/__admin/reset", None).await;
    assert_eq!(reset.status(), 204);

    assert!(zapier.deliveries().await.is_empty());
    assert!(zapier.requests().await.is_empty());
    let hooks: Value = zapier.admin_get("/__admin/hooks").await;
    assert_eq!(hooks, json!({"disabled": []}));
    // The rate window was cleared too: a limit of 1/s admits a new request at once.
    let again = zapier.post_json(HOOK, &json!({"a": 2})).await.unwrap();
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn in_process_handles_see_the_same_state() {
    let (served, kit, state) = mock_zapier::spawn_with_handles(Options::default())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    client
        .post(format!("{}{HOOK}", served.url()))
        .json(&json!({"x": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(state.deliveries_for("123456", "abc12x").len(), 1);
    assert_eq!(kit.requests().len(), 1);
    kit.reset();
    assert!(state.deliveries().is_empty());
    served.shutdown().await;
}
