//! Write safety: the token flow, write scopes, and exactly-once creates.

use mock_kit::Fault;
use serde_json::json;

use crate::World;

fn create_args() -> serde_json::Value {
    json!({"project": "OPS", "issue_type": "Task", "summary": "Rotate the TLS certificates"})
}

#[tokio::test]
async fn the_first_call_writes_nothing_and_replays_are_refused() {
    let w = World::cloud().await;
    let client = w.stdio(&[]).await;
    let before = w.jira.issue_count();
    let preview = client.call("create_issue", create_args()).await.unwrap();
    assert_eq!(
        preview.structured["status"], "confirmation_required",
        "{}",
        preview.text
    );
    assert!(
        preview.text.contains("nothing has been written"),
        "{}",
        preview.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    let mut args = create_args();
    args["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client.call("create_issue", args.clone()).await.unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let replay = client.call("create_issue", args.clone()).await.unwrap();
    assert_eq!(
        replay.structured["status"], "already_executed",
        "{}",
        replay.text
    );
    assert_eq!(w.jira.issue_count(), before + 1);
    // Changed arguments with the old token are refused.
    let preview = client.call("create_issue", create_args()).await.unwrap();
    let mut changed = create_args();
    changed["summary"] = json!("Something else");
    changed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let r = client.call("create_issue", changed).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert_eq!(w.jira.issue_count(), before + 1);
}

#[tokio::test]
async fn writes_outside_write_projects_never_reach_jira() {
    for w in World::both().await {
        let client = w.stdio(&["--write-projects", "WEB"]).await;
        let calls = [
            ("create_issue", create_args()),
            ("update_issue", json!({"key": "OPS-1", "summary": "x"})),
            ("assign_issue", json!({"key": "OPS-1"})),
            ("add_comment", json!({"key": "OPS-1", "body": "x"})),
            (
                "transition_issue",
                json!({"key": "OPS-1", "transition": "Done"}),
            ),
        ];
        for (tool, args) in calls {
            let r = client.call(tool, args).await.unwrap();
            if tool == "transition_issue" && r.text.contains("`transition`") {
                continue; // OPS-1 may already be Done; the point is that nothing was written
            }
            assert!(r.is_error, "{tool}: {}", r.text);
            assert!(r.text.contains("--write-projects"), "{tool}: {}", r.text);
        }
        assert!(w.writes().is_empty(), "{:?}", w.writes());
        // Inside the scope the same write previews.
        let r = client
            .call("add_comment", json!({"key": "WEB-1", "body": "x"}))
            .await
            .unwrap();
        assert_eq!(
            r.structured["status"], "confirmation_required",
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn commit_then_drop_creates_exactly_one_issue() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let before = w.jira.issue_count();
        w.kit.push_fault(
            Fault::commit_then_drop()
                .method("POST")
                .path_prefix(if w.is_cloud() {
                    "/rest/api/3/issue"
                } else {
                    "/rest/api/2/issue"
                }),
        );
        let (_, done) = client
            .call_confirmed("create_issue", create_args())
            .await
            .unwrap();
        assert!(!done.is_error, "{}", done.text);
        assert_eq!(done.structured["status"], "executed", "{}", done.text);
        assert_eq!(
            done.structured["result"]["recovered"], true,
            "{}",
            done.text
        );
        assert_eq!(w.jira.issue_count(), before + 1, "exactly one issue");
        let key = done.structured["result"]["key"].as_str().unwrap();
        assert!(w.jira.issue(key).is_some());
        let creates = w
            .kit
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/issue"))
            .count();
        assert_eq!(creates, 1, "the create was not sent twice");
    }
}

#[tokio::test]
async fn credentials_problems_name_the_variable() {
    let w = World::cloud().await;
    let mut env = w.env();
    for (k, v) in env.iter_mut() {
        if *k == "JIRA_API_TOKEN" {
            *v = "wrong".into();
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client = connector_testkit::Client::stdio(crate::BIN, &[], &env, crate::legacy())
        .await
        .unwrap();
    let r = client
        .call("search_issues", json!({"jql": "project = OPS"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("401") && r.text.contains("JIRA_API_TOKEN"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn elicitation_confirms_a_create_in_both_eras() {
    use connector_testkit::{ClientOptions, Elicit, Era};
    let w = World::dc().await;
    for era in [Era::Legacy, Era::Modern] {
        let before = w.jira.issue_count();
        let client = w
            .stdio_with(
                &[],
                ClientOptions {
                    era,
                    elicit: Elicit::Approve,
                },
            )
            .await;
        let r = client.call("create_issue", create_args()).await.unwrap();
        assert_eq!(r.structured["status"], "executed", "{era:?}: {}", r.text);
        assert!(
            client
                .elicitations()
                .iter()
                .any(|m| m.contains("Rotate the TLS certificates")),
            "{era:?}"
        );
        assert_eq!(w.jira.issue_count(), before + 1);
        let decline = w
            .stdio_with(
                &[],
                ClientOptions {
                    era,
                    elicit: Elicit::Decline,
                },
            )
            .await;
        let r = decline.call("create_issue", create_args()).await.unwrap();
        assert_ne!(r.structured["status"], "executed", "{era:?}: {}", r.text);
        assert_eq!(w.jira.issue_count(), before + 1);
    }
}

#[tokio::test]
async fn doctor_checks_site_credential_and_search() {
    for w in World::both().await {
        let env = w.env();
        let out = tokio::process::Command::new(crate::BIN)
            .arg("doctor")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .await
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("credential") && text.contains("Mock User"),
            "{text}"
        );
    }
}
