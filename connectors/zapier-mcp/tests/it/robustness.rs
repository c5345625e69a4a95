//! Malformed input never crashes or hangs the server.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::{BIN, World, legacy};

#[tokio::test]
async fn malformed_http_requests_get_clear_answers() {
    let w = World::new().await;
    let server = w.http_server(&["--max-body-bytes", "65536"]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let post = |body: Vec<u8>, ctype: &'static str| {
        http.post(&server.url)
            .header("content-type", ctype)
            .header("accept", "application/json, text/event-stream")
            .body(body)
            .send()
    };
    let r = post(b"{not json".to_vec(), "application/json")
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = post(b"[]".to_vec(), "application/json").await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = post(b"hello".to_vec(), "text/plain").await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(oversized_post_status(&server.url).await, 413);
    let r = http
        .post(&server.url)
        .header("host", "evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "DNS-rebinding defence");
    let r = http
        .post(&server.url)
        .header("origin", "https://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "unknown Origin");
    // Still serving afterwards.
    let client = connector_testkit::Client::http(&server.url, None, legacy())
        .await
        .unwrap();
    assert_eq!(client.list_all_tools().await.unwrap().len(), 6);
}

/// The status line's code for a POST announcing a 200 kB body, read before any of the body is
/// sent: the limit is enforced on `Content-Length`, so the server must answer at once. (Sending
/// the body races the server closing the connection after its early answer.)
async fn oversized_post_status(url: &str) -> u16 {
    let url = reqwest::Url::parse(url).unwrap();
    let authority = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: 200000\r\n\r\n",
        url.path()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut status = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        BufReader::new(stream).read_line(&mut status),
    )
    .await
    .expect("the server answers an oversized body without waiting for it")
    .unwrap();
    status
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {status:?}"))
}

#[tokio::test]
async fn garbage_on_stdio_does_not_kill_the_server() {
    let w = World::new().await;
    let mut child = tokio::process::Command::new(BIN)
        .args(["--hooks", &w.hooks])
        .env(
            "TEST_LOG_EVENT_URL",
            "https://hooks.zapier.com/hooks/catch/1/x/",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let send = |v: &str| format!("{v}\n");
    stdin
        .write_all(send("this is not json").as_bytes())
        .await
        .unwrap();
    stdin.write_all(send(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).as_bytes()).await.unwrap();
    stdin
        .write_all(send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).as_bytes())
        .await
        .unwrap();
    stdin.write_all(send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}"#).as_bytes()).await.unwrap();
    stdin
        .write_all(send(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#).as_bytes())
        .await
        .unwrap();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: Value = serde_json::from_str(&line).unwrap();
            seen.push(v);
            // Requests are handled concurrently: wait for both answers.
            if [2, 3].iter().all(|id| seen.iter().any(|s| s["id"] == *id)) {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server stopped answering");
    let unknown = seen
        .iter()
        .find(|v| v["id"] == 2)
        .expect("an answer to the unknown tool");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_tool"),
        "{unknown}"
    );
    let list = seen.iter().find(|v| v["id"] == 3).unwrap();
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 6);
    // EOF on stdin ends the server.
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("no exit on EOF")
        .unwrap();
    assert!(status.success(), "{status}");
}
