//! Write safety: the token flow, write scopes, and exactly-once creates.

use serde_json::json;

use crate::{World, assert_recovered, call_ok, call_preview, printed};

fn create_args() -> serde_json::Value {
    json!({"owner": "acme", "repo": "api", "title": "Rotate the TLS certificates", "body": "Before they expire.", "labels": ["bug"]})
}

#[tokio::test]
async fn create_issue_goes_through_the_token_flow() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.gh.issue_count();
    let preview = call_preview(&client, "create_issue", create_args()).await;
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    assert_eq!(w.gh.issue_count(), before);
    let mut args = create_args();
    args["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client.call("create_issue", args.clone()).await.unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let number = done.structured["result"]["number"].as_u64().unwrap();
    let created = w.gh.issue("acme", "api", number).unwrap();
    assert_eq!(created.title, "Rotate the TLS certificates");
    let replay = client.call("create_issue", args).await.unwrap();
    assert_eq!(
        replay.structured["status"], "already_executed",
        "{}",
        replay.text
    );
    assert_eq!(w.gh.issue_count(), before + 1);
    // The body carries the hidden marker.
    let post = &w.sent("POST", |p| p == "/repos/acme/api/issues")[0];
    assert!(
        post.body["body"].as_str().unwrap().contains("<!-- mcp:"),
        "{}",
        post.body
    );
}

#[tokio::test]
async fn writes_outside_write_repos_never_reach_github() {
    let w = World::new().await;
    let client = w.stdio(&["--write-repos", "acme/web"]).await;
    let calls = [
        ("create_issue", create_args()),
        (
            "update_issue",
            json!({"owner": "acme", "repo": "api", "number": 1, "title": "x"}),
        ),
        (
            "add_issue_comment",
            json!({"owner": "acme", "repo": "api", "number": 1, "body": "x"}),
        ),
    ];
    for (tool, args) in calls {
        let r = client.call(tool, args).await.unwrap();
        assert!(r.is_error, "{tool}: {}", r.text);
        assert!(r.text.contains("--write-repos"), "{tool}: {}", r.text);
    }
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    // Not even a read reached the mock.
    assert!(
        w.kit
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/repos/acme/api")),
        "{:?}",
        w.kit.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    call_preview(
        &client,
        "add_issue_comment",
        json!({"owner": "acme", "repo": "web", "number": 1, "body": "x"}),
    )
    .await;
}

#[tokio::test]
async fn commit_then_drop_creates_exactly_one_issue() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.gh.issue_count();
    w.lose_answer("POST", "/repos/acme/api/issues");
    let (_, done) = client
        .call_confirmed("create_issue", create_args())
        .await
        .unwrap();
    assert_recovered(&done);
    assert_eq!(w.gh.issue_count(), before + 1, "exactly one issue");
    let creates = w.sent("POST", |p| p == "/repos/acme/api/issues");
    assert_eq!(creates.len(), 1, "the create was not sent twice");
}

#[tokio::test]
async fn update_previews_a_diff_and_comments_post() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let args = json!({"owner": "acme", "repo": "api", "number": 1, "title": "A new title", "state": "closed"});
    let (preview, done) = client.call_confirmed("update_issue", args).await.unwrap();
    assert!(preview.text.contains("A new title"), "{}", preview.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(w.gh.issue("acme", "api", 1).unwrap().title, "A new title");
    let comments = w.gh.comment_count();
    let (_, done) = client
        .call_confirmed(
            "add_issue_comment",
            json!({"owner": "acme", "repo": "api", "number": 1, "body": "Looking into it."}),
        )
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(w.gh.comment_count(), comments + 1);
}

#[tokio::test]
async fn a_secondary_limit_is_waited_out() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let comments = w.gh.comment_count();
    w.gh.force_secondary_limit(1, 1);
    let started = std::time::Instant::now();
    let (_, done) = client
        .call_confirmed(
            "add_issue_comment",
            json!({"owner": "acme", "repo": "api", "number": 2, "body": "Paced."}),
        )
        .await
        .unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(w.gh.comment_count(), comments + 1);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn doctor_checks_the_token() {
    let w = World::new().await;
    let out = tokio::process::Command::new(crate::BIN)
        .arg("doctor")
        .envs(w.env().iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .unwrap();
    let text = printed(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("authenticated as alice"), "{text}");
}

#[tokio::test]
async fn a_422_lists_the_fields() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let mut args = create_args();
    args["assignees"] = json!(["nobody-at-all"]);
    let (_, done) = client.call_confirmed("create_issue", args).await.unwrap();
    assert!(done.is_error, "{}", done.text);
    assert!(
        done.text.contains("422") && done.text.contains("assignees"),
        "{}",
        done.text
    );
}

#[tokio::test]
async fn http_transport_serves_the_same_tools() {
    let w = World::new().await;
    let mut args = vec!["--transport", "http", "--listen", "127.0.0.1:0"];
    args.push("--read-only");
    let env = w.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = connector_testkit::HttpServer::start(crate::BIN, &args, &env)
        .await
        .unwrap();
    let client = connector_testkit::Client::http(&server.url, None, crate::modern())
        .await
        .unwrap();
    let r = call_ok(
        &client,
        "list_issues",
        json!({"owner": "acme", "repo": "api", "per_page": 5}),
    )
    .await;
    assert_eq!(r.structured["issues"].as_array().unwrap().len(), 5);
}
