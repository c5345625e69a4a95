//! The `mock-crm` binary: URL on the first stdout line, serves, exits cleanly on SIGTERM.

use connector_testkit::HttpServer;
use serde_json::{Value, json};

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let server = HttpServer::start(
        env!("CARGO_BIN_EXE_mock-crm"),
        &["--listen", "127.0.0.1:0", "--search-per-second", "5"],
        &[],
    )
    .await
    .unwrap();
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{:?}",
        server.url
    );

    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/crm/objects/2026-03/contacts/search",
            server.url
        ))
        .bearer_auth("mock-hubspot-token")
        .json(&json!({"query": "whitfield"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["total"], 1);

    let status = server.terminate().await.unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}
