//! Upstream faults: a confirmed trigger is delivered exactly once.

use mock_kit::Fault;
use serde_json::json;

use crate::{World, legacy, page_args};

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_out() {
    let w = World::new().await;
    w.kit
        .push_fault(Fault::status(429).retry_after("1").path_prefix("/hooks/"));
    let client = w.stdio(&[], legacy()).await;
    let started = std::time::Instant::now();
    let (_, done) = client
        .call_confirmed("trigger_hook", page_args())
        .await
        .unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    assert_eq!(w.delivered(), 1);
    assert_eq!(
        w.kit.requests().len(),
        2,
        "one refused attempt, one delivery"
    );
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let w = World::new().await;
    w.kit
        .push_fault(Fault::status(503).times(2).path_prefix("/hooks/"));
    let client = w.stdio(&[], legacy()).await;
    let (_, done) = client
        .call_confirmed("trigger_hook", page_args())
        .await
        .unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(w.delivered(), 1);
    assert_eq!(w.kit.requests().len(), 3);
}

#[tokio::test]
async fn commit_then_drop_is_not_delivered_twice() {
    let w = World::new().await;
    w.kit
        .push_fault(Fault::commit_then_drop().path_prefix("/hooks/"));
    let client = w.stdio(&[], legacy()).await;
    let preview = client.call("trigger_hook", page_args()).await.unwrap();
    let mut args = page_args();
    args["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let r = client.call("trigger_hook", args.clone()).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(r.text.contains("may or may not"), "{}", r.text);
    assert_eq!(w.delivered(), 1, "the mock committed it once");
    // The user retries the same confirmation: answered from the record.
    let again = client.call("trigger_hook", args).await.unwrap();
    assert_eq!(
        again.structured["status"], "already_executed",
        "{}",
        again.text
    );
    assert_eq!(w.delivered(), 1, "exactly one delivery");
    assert_eq!(w.kit.requests().len(), 1);
    // The receipt says the outcome is unknown.
    let list = client.call("list_deliveries", json!({})).await.unwrap();
    assert_eq!(list.structured["deliveries"][0]["status"], "unknown");
}

#[tokio::test]
async fn upstream_refusals_are_explained() {
    let w = World::new().await;
    w.zapier.disable_hook("123456", "pg0nc4ll");
    let client = w.stdio(&[], legacy()).await;
    let (_, done) = client
        .call_confirmed("trigger_hook", page_args())
        .await
        .unwrap();
    assert!(done.is_error);
    assert!(
        done.text.contains("410") && done.text.contains("turned off"),
        "{}",
        done.text
    );
    assert!(
        !done.text.contains("pg0nc4ll"),
        "the hook URL leaked: {}",
        done.text
    );
    assert_eq!(done.structured["http_status"], 410);
}

/// A hook URL's path is its secret: a faulty run (503s until the retries give up, a 429 with a
/// long Retry-After) must leave it in no log line and no audit record.
#[tokio::test]
async fn no_log_line_or_audit_record_carries_the_hook_secret() {
    let w = World::new().await;
    let stderr_path = w.dir.path().join("stderr.log");
    let audit_path = w.dir.path().join("audit.jsonl");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut child = tokio::process::Command::new(crate::BIN)
        .args([
            "--hooks",
            &w.hooks,
            "--transport",
            "http",
            "--listen",
            "127.0.0.1:0",
        ])
        .args([
            "--confirm",
            "off",
            "--audit-log",
            audit_path.to_str().unwrap(),
        ])
        .env("RUST_LOG", "debug")
        .env("MCP_STATE", "memory")
        .envs(w.env())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stdout.take().unwrap()));
    let url = lines.next_line().await.unwrap().expect("the endpoint URL");
    let client = connector_testkit::Client::http(&url, None, crate::modern())
        .await
        .unwrap();
    w.kit
        .push_fault(Fault::status(503).times(20).path_prefix("/hooks/"));
    let r = client.call("trigger_hook", page_args()).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    w.kit.reset();
    w.kit.push_fault(
        Fault::status(429)
            .retry_after("3600")
            .path_prefix("/hooks/"),
    );
    let r = client.call("trigger_hook", page_args()).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    drop(client);
    child.kill().await.unwrap();
    let logs = std::fs::read_to_string(&stderr_path).unwrap();
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert!(
        logs.contains("giving up"),
        "the faulty run was logged: {logs}"
    );
    assert!(!audit.is_empty());
    for (what, text) in [("log", &logs), ("audit", &audit)] {
        assert!(
            !text.contains("pg0nc4ll"),
            "the hook secret is in the {what}: {text}"
        );
    }
}
