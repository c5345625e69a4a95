//! The `mock-jira` binary: URL on the first stdout line, serves, exits cleanly on SIGTERM.

use connector_testkit::HttpServer;
use serde_json::Value;

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let server = HttpServer::start(
        env!("CARGO_BIN_EXE_mock-jira"),
        &["--listen", "127.0.0.1:0", "--deployment", "datacenter"],
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
        .get(format!("{}/rest/api/2/serverInfo", server.url))
        .bearer_auth("mock-pat")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["deploymentType"], "Server");

    let status = server.terminate().await.unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}
