//! mock-kit over real sockets: recording, faults and the admin API.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, http::StatusCode};
use mock_kit::{Fault, MockKit, RecordedRequest, Served, serve, with_kit_and_reset};
use parking_lot::Mutex;
use serde_json::{Value, json};

/// A tiny mock: `POST /items` stores the body, `GET /items` lists them.
struct TestMock {
    served: Served,
    kit: MockKit,
    items: Arc<Mutex<Vec<Value>>>,
    client: reqwest::Client,
}

async fn start() -> TestMock {
    let items: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = Router::new()
        .route(
            "/items",
            post(
                |State(items): State<Arc<Mutex<Vec<Value>>>>, Json(item): Json<Value>| async move {
                    items.lock().push(item.clone());
                    (StatusCode::CREATED, Json(item))
                },
            )
            .get(|State(items): State<Arc<Mutex<Vec<Value>>>>| async move {
                Json(items.lock().clone())
            }),
        )
        .with_state(Arc::clone(&items));
    let kit = MockKit::new();
    let reset_items = Arc::clone(&items);
    let app = with_kit_and_reset(app, kit.clone(), move || reset_items.lock().clear());
    let served = serve(app, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    TestMock {
        served,
        kit,
        items,
        // A fresh client per test: no pooled connection is reused across a dropped one.
        client: reqwest::Client::new(),
    }
}

impl TestMock {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    async fn admin_requests(&self, query: &str) -> Vec<RecordedRequest> {
        self.client
            .get(self.url(&format!("/__admin/requests{query}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post_fault(&self, fault: Value) {
        let response = self
            .client
            .post(self.url("/__admin/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
}

/// Every message in an error's source chain, joined.
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
async fn records_requests_with_redacted_credentials_but_not_admin_calls() {
    let mock = start().await;
    assert!(mock.served.url().starts_with("http://127.0.0.1:"));

    let created = mock
        .client
        .post(mock.url("/items?source=test"))
        .header("Authorization", "Bearer sekrit")
        .header("X-API-Key", "k")
        .json(&json!({"name": "one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let missing = mock.client.get(mock.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    let requests = mock.admin_requests("").await;
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let first = &requests[0];
    assert_eq!(first.seq, 1);
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/items");
    assert_eq!(first.query.as_deref(), Some("source=test"));
    assert_eq!(first.body, json!({"name": "one"}));
    assert_eq!(first.status, 201);
    assert_eq!(first.fault, None);
    assert_eq!(first.headers["authorization"], "[redacted]");
    assert_eq!(first.headers["x-api-key"], "[redacted]");
    assert_eq!(first.headers["content-type"], "application/json");
    assert_eq!(requests[1].status, 404);
    assert_eq!(requests[1].body, Value::Null);

    let filtered = mock.admin_requests("?path_prefix=/items").await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(mock.kit.requests(), requests);
}

#[tokio::test]
async fn status_fault_answers_without_running_the_handler() {
    let mock = start().await;
    mock.post_fault(json!({
        "method": "POST", "path_prefix": "/items", "times": 2,
        "action": "status", "status": 503, "retry_after": "7",
        "headers": {"x-fault": "yes"}, "body": {"message": "try later"}
    }))
    .await;

    for _ in 0..2 {
        let response = mock
            .client
            .post(mock.url("/items"))
            .json(&json!({"n": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(response.headers()["x-fault"], "yes");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "try later"})
        );
    }
    let third = mock
        .client
        .post(mock.url("/items"))
        .json(&json!({"n": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 201);
    assert_eq!(*mock.items.lock(), vec![json!({"n": 3})]);

    let faults: Vec<String> = mock
        .admin_requests("")
        .await
        .into_iter()
        .map(|r| format!("{} {:?}", r.status, r.fault))
        .collect();
    assert_eq!(
        faults,
        [
            r#"503 Some("status 503")"#,
            r#"503 Some("status 503")"#,
            "201 None"
        ]
    );
}

#[tokio::test]
async fn faults_only_match_their_method_and_prefix() {
    let mock = start().await;
    mock.kit
        .push_fault(Fault::status(500).method("POST").path_prefix("/items"));
    let get = mock.client.get(mock.url("/items")).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(mock.kit.faults().len(), 1);
}

#[tokio::test]
async fn reset_fault_drops_the_connection_before_the_handler() {
    let mock = start().await;
    mock.post_fault(json!({"action": "reset", "path_prefix": "/items"}))
        .await;

    let err = mock
        .client
        .post(mock.url("/items"))
        .json(&json!({"n": 1}))
        .send()
        .await
        .expect_err("the connection must be dropped");
    assert!(err.status().is_none(), "{err:?}");
    let chain = error_chain(&err);
    assert!(chain.to_lowercase().contains("reset"), "{chain}");
    assert!(mock.items.lock().is_empty(), "the handler must not run");

    let requests = mock.admin_requests("").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, 0);
    assert_eq!(requests[0].fault.as_deref(), Some("reset"));
}

#[tokio::test]
async fn commit_then_drop_commits_the_write_and_loses_the_answer() {
    let mock = start().await;
    mock.kit
        .push_fault(Fault::commit_then_drop().method("POST"));

    let err = mock
        .client
        .post(mock.url("/items"))
        .json(&json!({"n": 1}))
        .send()
        .await
        .expect_err("the client must see a connection error, not a response");
    assert!(err.status().is_none(), "{err:?}");
    let chain = error_chain(&err);
    assert!(
        chain.contains("connection closed before message completed"),
        "{chain}"
    );
    assert_eq!(*mock.items.lock(), vec![json!({"n": 1})], "write committed");

    let requests = mock.admin_requests("").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, 0);
    assert_eq!(requests[0].fault.as_deref(), Some("commit_then_drop"));

    // The server keeps serving new connections afterwards.
    let list: Vec<Value> = mock
        .client
        .get(mock.url("/items"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn delay_fault_adds_latency_then_answers_normally() {
    let mock = start().await;
    mock.kit.push_fault(Fault::delay(300));
    let started = Instant::now();
    let response = mock.client.get(mock.url("/items")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        mock.kit.requests()[0].fault.as_deref(),
        Some("delay (+300ms)")
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_recorded() {
    let mock = start().await;
    let big = vec![b'x'; mock_kit::MAX_BODY_BYTES + 1];
    let response = mock
        .client
        .post(mock.url("/items"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(mock.kit.requests()[0].status, 413);
    assert!(mock.items.lock().is_empty());
}

#[tokio::test]
async fn admin_api_manages_faults_and_reset() {
    let mock = start().await;
    let bad = mock
        .client
        .post(mock.url("/__admin/faults"))
        .json(&json!({"action": "status", "status": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let queued: Value = mock
        .client
        .post(mock.url("/__admin/faults"))
        .json(&json!([{"action": "reset"}, {"action": "delay", "delay_ms": 1}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued, json!({"queued": 2, "pending": 2}));
    let listed: Vec<Fault> = mock
        .client
        .get(mock.url("/__admin/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, vec![Fault::reset(), Fault::delay(1)]);
    let cleared = mock
        .client
        .delete(mock.url("/__admin/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(mock.kit.faults().is_empty());

    mock.client
        .post(mock.url("/items"))
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap();
    mock.kit.push_fault(Fault::reset());
    let reset = mock
        .client
        .post(mock.url("/__admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(mock.kit.requests().is_empty());
    assert!(mock.kit.faults().is_empty());
    assert!(mock.items.lock().is_empty(), "the reset hook ran");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let mock = start().await;
    let url = mock.url("/items");
    mock.served.shutdown().await;
    assert!(mock.client.get(url).send().await.is_err());
}
