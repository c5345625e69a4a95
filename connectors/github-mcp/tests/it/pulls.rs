//! Pull request writes: create, update, review, and the tier-4 merge.

use mock_github::{CONFLICTING_PR, MERGEABLE_PR, OUTSIDER_PR};
use serde_json::json;

use crate::{World, assert_names_field, assert_recovered, call_ok, call_preview};

fn names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn create_pull_request_goes_through_the_token_flow() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.gh.pull_count();
    let args = json!({"owner": "acme", "repo": "api", "title": "Rate limits on top of the refactor",
        "head": "feature/rate-limit", "base": "refactor/orders", "body": "Stacked on #34."});
    let preview = call_preview(&client, "create_pull_request", args.clone()).await;
    assert!(
        preview.text.contains("feature/rate-limit") && preview.text.contains("refactor/orders"),
        "{}",
        preview.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    assert_eq!(w.gh.pull_count(), before);
    let mut confirmed = args.clone();
    confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client
        .call("create_pull_request", confirmed.clone())
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let number = done.structured["result"]["number"].as_u64().unwrap();
    let pr = w.gh.pull("acme", "api", number).unwrap();
    assert_eq!(pr.title, "Rate limits on top of the refactor");
    assert_eq!(
        (pr.head_ref.as_str(), pr.base_ref.as_str()),
        ("feature/rate-limit", "refactor/orders")
    );
    assert_eq!(pr.state, "open");
    // The same token again does not open a second one.
    let replay = client.call("create_pull_request", confirmed).await.unwrap();
    assert_eq!(
        replay.structured["status"], "already_executed",
        "{}",
        replay.text
    );
    assert_eq!(w.gh.pull_count(), before + 1);
    // GitHub's 422 (no changes between the branches) comes back in words.
    let (_, same) = client
        .call_confirmed(
            "create_pull_request",
            json!({"owner": "acme", "repo": "api", "title": "Nothing", "head": "main", "base": "main"}),
        )
        .await
        .unwrap();
    assert!(same.is_error, "{}", same.text);
    assert!(same.text.contains("422"), "{}", same.text);
}

#[tokio::test]
async fn update_pull_request_previews_a_diff_from_github() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let old_title = w.gh.pull("acme", "api", CONFLICTING_PR).unwrap().title;
    let args = json!({"owner": "acme", "repo": "api", "number": CONFLICTING_PR,
        "title": "Refactor order handlers (v2)", "state": "closed"});
    let (preview, done) = client
        .call_confirmed("update_pull_request", args)
        .await
        .unwrap();
    let changes = preview.structured["preview"]["changes"].as_array().unwrap();
    let title = changes.iter().find(|c| c["field"] == "title").unwrap();
    assert_eq!(title["before"], old_title.as_str(), "{}", preview.text);
    assert_eq!(title["after"], "Refactor order handlers (v2)");
    let state = changes.iter().find(|c| c["field"] == "state").unwrap();
    assert_eq!(
        (&state["before"], &state["after"]),
        (&json!("open"), &json!("closed"))
    );
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let pr = w.gh.pull("acme", "api", CONFLICTING_PR).unwrap();
    assert_eq!(pr.title, "Refactor order handlers (v2)");
    assert_eq!(pr.state, "closed");
    assert!(!pr.merged);
    // Nothing to change is an error naming the fields, and writes nothing.
    let writes = w.writes().len();
    let r = client
        .call(
            "update_pull_request",
            json!({"owner": "acme", "repo": "api", "number": CONFLICTING_PR}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("title"), "{}", r.text);
    assert_eq!(w.writes().len(), writes);
}

#[tokio::test]
async fn reviews_go_through_the_token_flow_and_need_a_body_to_comment() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let head = w.gh.pull("acme", "api", MERGEABLE_PR).unwrap().head_sha;
    let reviews =
        w.gh.pull("acme", "api", MERGEABLE_PR)
            .unwrap()
            .reviews
            .len();
    // COMMENT and REQUEST_CHANGES need a body: refused before anything is sent.
    for event in ["COMMENT", "REQUEST_CHANGES"] {
        let r = client
            .call(
                "create_pull_request_review",
                json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR, "event": event}),
            )
            .await
            .unwrap();
        assert!(r.is_error, "{event}: {}", r.text);
        assert!(r.text.contains("`body`"), "{event}: {}", r.text);
    }
    assert!(w.requests_to("/repos/acme/api/pulls").is_empty());
    // An unknown event names the field.
    let r = client
        .call(
            "create_pull_request_review",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR, "event": "LGTM"}),
        )
        .await;
    assert_names_field(r, "event");

    let args = json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR, "event": "APPROVE",
        "body": "Ship it."});
    let preview = call_preview(&client, "create_pull_request_review", args.clone()).await;
    assert!(preview.text.contains(&head[..12]), "{}", preview.text);
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    let mut confirmed = args;
    confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client
        .call("create_pull_request_review", confirmed)
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(
        done.structured["result"]["state"], "APPROVED",
        "{}",
        done.text
    );
    let pr = w.gh.pull("acme", "api", MERGEABLE_PR).unwrap();
    assert_eq!(pr.reviews.len(), reviews + 1);
    assert_eq!(
        pr.reviews.last().unwrap(),
        &(
            "alice".to_owned(),
            "APPROVED".to_owned(),
            "Ship it.".to_owned()
        )
    );
    // The review was pinned to the head commit shown in the preview.
    let post = &w.sent("POST", |p| p.ends_with("/reviews"))[0];
    assert_eq!(post.body["commit_id"], head.as_str(), "{}", post.body);
    // get_pull_request shows the new review.
    let r = call_ok(
        &client,
        "get_pull_request",
        json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR}),
    )
    .await;
    let last = r.structured["reviews"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "APPROVED", "{}", r.text);
    assert_eq!(last["body"], "Ship it.");
}

#[tokio::test]
async fn merge_is_off_by_default_and_enabled_by_name() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(!all.contains(&"merge_pull_request".to_owned()), "{all:?}");
    assert!(all.contains(&"create_pull_request".to_owned()), "{all:?}");
    let r = client
        .call(
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR}),
        )
        .await;
    assert!(r.is_err() || r.unwrap().is_error);
    // A toolset does not lift the tier.
    let client = w.stdio(&["--toolsets", "pull_requests"]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(!all.contains(&"merge_pull_request".to_owned()), "{all:?}");
    assert!(w.writes().is_empty(), "{:?}", w.writes());

    let client = w.stdio(&["--tools", "merge_pull_request"]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), github_mcp::tools::SPECS.len());
    let merge = tools
        .iter()
        .find(|t| t.name == "merge_pull_request")
        .unwrap();
    let hints = merge.annotations.as_ref().unwrap();
    assert_eq!(hints.destructive_hint, Some(true));
    assert_eq!(hints.read_only_hint, Some(false));
}

#[tokio::test]
async fn merge_refuses_another_head_and_merges_after_confirmation() {
    let w = World::new().await;
    let client = w.stdio(&["--tools", "merge_pull_request"]).await;
    let before = w.gh.pull("acme", "api", MERGEABLE_PR).unwrap();
    // An expected head that is not the head: refused before any preview.
    let r = client
        .call(
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR,
                "sha": "0123456789abcdef0123456789abcdef01234567"}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("`sha`") && r.text.contains(&before.head_sha),
        "{}",
        r.text
    );
    assert!(r.structured.get("confirmation_token").is_none());
    // A bad merge method names the field.
    let r = client
        .call(
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR, "merge_method": "fast-forward"}),
        )
        .await;
    assert_names_field(r, "merge_method");
    // A PR GitHub cannot merge is refused in words.
    let r = client
        .call(
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": CONFLICTING_PR}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("cannot merge"), "{}", r.text);
    assert!(w.writes().is_empty(), "{:?}", w.writes());

    let args = json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR,
        "merge_method": "squash", "sha": &before.head_sha[..12]});
    let (preview, done) = client
        .call_confirmed("merge_pull_request", args.clone())
        .await
        .unwrap();
    let plan = &preview.structured["preview"];
    assert_eq!(plan["tier"], 4, "{}", preview.text);
    assert_eq!(plan["effect"], "destructive", "{}", preview.text);
    assert!(
        preview.text.contains("feature/rate-limit")
            && preview.text.contains("into main")
            && preview.text.contains("squash"),
        "{}",
        preview.text
    );
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(done.structured["result"]["merged"], true, "{}", done.text);
    let after = w.gh.pull("acme", "api", MERGEABLE_PR).unwrap();
    assert!(after.merged);
    assert_eq!(after.state, "closed");
    let put = w.sent("PUT", |_| true);
    assert_eq!(put.len(), 1, "merged once");
    assert_eq!(
        put[0].body["sha"],
        before.head_sha.as_str(),
        "{}",
        put[0].body
    );
    assert_eq!(put[0].body["merge_method"], "squash");
    // Once merged, another merge is refused before a preview.
    let r = client.call("merge_pull_request", args).await.unwrap();
    assert!(
        r.is_error && r.text.contains("already merged"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn new_writes_outside_write_repos_never_reach_github() {
    let w = World::new().await;
    let client = w
        .stdio(&["--write-repos", "acme/web", "--tools", "merge_pull_request"])
        .await;
    let calls = [
        (
            "create_pull_request",
            json!({"owner": "acme", "repo": "api", "title": "x", "head": "feature/rate-limit", "base": "main"}),
        ),
        (
            "update_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR, "title": "x"}),
        ),
        (
            "create_pull_request_review",
            json!({"owner": "acme", "repo": "api", "number": OUTSIDER_PR, "event": "APPROVE"}),
        ),
        (
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR}),
        ),
        (
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "api", "workflow": "ci.yml", "ref": "main"}),
        ),
        (
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": 1}),
        ),
    ];
    for (tool, args) in calls {
        let r = client.call(tool, args).await.unwrap();
        assert!(r.is_error, "{tool}: {}", r.text);
        assert!(r.text.contains("--write-repos"), "{tool}: {}", r.text);
    }
    // Not even the reads that build previews reached the mock.
    assert!(
        w.requests_to("/repos/acme/api").is_empty(),
        "{:?}",
        w.requests_to("/repos/acme/api")
    );
    // Inside the scope the same tools preview.
    call_preview(
        &client,
        "update_pull_request",
        json!({"owner": "acme", "repo": "web", "number": 7, "title": "Dark mode!"}),
    )
    .await;
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[tokio::test]
async fn commit_then_drop_opens_exactly_one_pull_request() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.gh.pull_count();
    w.lose_answer("POST", "/repos/acme/api/pulls");
    let (_, done) = client
        .call_confirmed(
            "create_pull_request",
            json!({"owner": "acme", "repo": "api", "title": "Pool on top of rate limits",
                "head": "wip/async-pool", "base": "feature/rate-limit"}),
        )
        .await
        .unwrap();
    assert_recovered(&done);
    assert_eq!(w.gh.pull_count(), before + 1, "exactly one pull request");
    let number = done.structured["result"]["number"].as_u64().unwrap();
    assert_eq!(
        w.gh.pull("acme", "api", number).unwrap().head_ref,
        "wip/async-pool"
    );
    let creates = w.sent("POST", |p| p == "/repos/acme/api/pulls");
    assert_eq!(creates.len(), 1, "the create was not sent twice");
}

#[tokio::test]
async fn merges_refusals_and_dispatches_are_audited() {
    let w = World::new().await;
    let audit = std::env::temp_dir().join(format!(
        "github-mcp-audit-{}-{}.jsonl",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let audit_s = audit.to_str().unwrap().to_owned();
    let client = w
        .stdio(&[
            "--tools",
            "merge_pull_request",
            "--write-repos",
            "acme/api",
            "--audit-log",
            &audit_s,
        ])
        .await;
    let (_, done) = client
        .call_confirmed(
            "merge_pull_request",
            json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR}),
        )
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let r = client
        .call(
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "web", "workflow": "ci.yml", "ref": "main"}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    client.close().await.unwrap();
    let text = std::fs::read_to_string(&audit).unwrap();
    let events: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["event"]["tool"].as_str().unwrap().to_owned(),
                v["event"]["step"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let merge = "merge_pull_request".to_owned();
    assert_eq!(
        events,
        [
            (merge.clone(), "previewed".to_owned()),
            (merge.clone(), "confirmed".to_owned()),
            (merge, "executed".to_owned()),
            ("dispatch_workflow".to_owned(), "refused".to_owned()),
        ],
        "{text}"
    );
    assert!(
        !text.contains(mock_github::DEFAULT_TOKEN),
        "a secret in the audit log"
    );
    let out = tokio::process::Command::new(crate::BIN)
        .args(["verify-audit", &audit_s])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&audit);
}

#[tokio::test]
async fn a_merge_confirmed_for_an_older_head_is_refused() {
    let w = World::new().await;
    let client = w.stdio(&["--tools", "merge_pull_request"]).await;
    let args = json!({"owner": "acme", "repo": "api", "number": MERGEABLE_PR});
    let preview = call_preview(&client, "merge_pull_request", args.clone()).await;
    // Someone pushes to the head branch after the user saw the preview.
    let moved =
        w.gh.push_commit(
            "acme",
            "api",
            "feature/rate-limit",
            "src/rate_limit.rs",
            "// replaced\n",
            "bob",
        )
        .unwrap();
    assert_eq!(
        w.gh.pull("acme", "api", MERGEABLE_PR).unwrap().head_sha,
        moved
    );
    let mut confirmed = args.clone();
    confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let r = client.call("merge_pull_request", confirmed).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(r.text.contains("differ"), "{}", r.text);
    assert!(!w.gh.pull("acme", "api", MERGEABLE_PR).unwrap().merged);
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    // A fresh preview shows the new head, and that one merges.
    let (preview, done) = client
        .call_confirmed("merge_pull_request", args)
        .await
        .unwrap();
    assert!(preview.text.contains(&moved[..12]), "{}", preview.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(done.structured["result"]["head_sha"], moved.as_str());
    assert!(w.gh.pull("acme", "api", MERGEABLE_PR).unwrap().merged);
}
