//! The `mock-zapier` binary: URL on the first stdout line, serves, exits cleanly on SIGTERM.

use connector_testkit::HttpServer;
use serde_json::{Value, json};

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let server = HttpServer::start(
        env!("CARGO_BIN_EXE_mock-zapier"),
        &["--listen", "127.0.0.1:0", "--rate-per-second", "5"],
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
        .post(format!("{}/hooks/catch/1/abc/", server.url))
        .json(&json!({"hello": "world"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success");

    let status = server.terminate().await.unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}
