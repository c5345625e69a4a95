//! The `mock-servicenow` binary: URL on the first stdout line, serves, exits cleanly on SIGTERM.

use connector_testkit::HttpServer;
use serde_json::{Value, json};

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let server = HttpServer::start(
        env!("CARGO_BIN_EXE_mock-servicenow"),
        &["--listen", "127.0.0.1:0", "--rate-per-second", "50"],
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
        .get(format!(
            "{}/api/now/table/incident?sysparm_limit=1&sysparm_fields=number",
            server.url
        ))
        .basic_auth("admin", Some("mock-password"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"result": [{"number": "INC0010001"}]}));

    let status = server.terminate().await.unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}
