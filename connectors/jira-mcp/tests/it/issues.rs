//! Toolset `issues` in both deployments: search with pagination, get,
//! create, update, assign, delete, and the errors a model can act on.

use std::collections::BTreeSet;

use mock_kit::Fault;
use serde_json::json;

use crate::World;

#[tokio::test]
async fn search_pages_through_every_match_in_both_deployments() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let mut keys = BTreeSet::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut args = json!({"jql": "project = OPS ORDER BY created ASC", "limit": 7, "fields": ["duedate"]});
            if let Some(c) = &cursor {
                args["cursor"] = json!(c);
            }
            let r = client.call("search_issues", args).await.unwrap();
            assert!(!r.is_error, "{}", r.text);
            pages += 1;
            for issue in r.structured["issues"].as_array().unwrap() {
                let key = issue["key"].as_str().unwrap();
                assert!(keys.insert(key.to_owned()), "{key} twice");
                assert_eq!(issue["project"], "OPS");
                assert!(issue["summary"].as_str().is_some_and(|s| !s.is_empty()));
                assert!(
                    issue["url"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/browse/{key}"))
                );
                assert!(issue["created"].is_string() && issue["updated"].is_string());
                assert!(issue["status"].is_string());
            }
            match r.structured["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
            assert!(pages < 10, "runaway pagination");
        }
        assert_eq!(keys.len(), 24, "{keys:?}");
        assert!(pages >= 3, "{pages} pages");
        // Cloud uses the new endpoint with fields; DC the v2 one.
        let reqs = w.kit.requests();
        if w.is_cloud() {
            let r = reqs
                .iter()
                .find(|r| r.path == "/rest/api/3/search/jql")
                .unwrap();
            assert_eq!(r.method, "POST");
            assert!(
                r.body["fields"]
                    .as_array()
                    .is_some_and(|f| f.contains(&json!("duedate")))
            );
        } else {
            assert!(reqs.iter().any(|r| r.path == "/rest/api/2/search"));
        }
    }
}

#[tokio::test]
async fn invalid_jql_is_a_tool_error_with_jiras_message() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let r = client
            .call("search_issues", json!({"jql": "project = = OPS"}))
            .await
            .unwrap();
        assert!(r.is_error, "{}", r.text);
        assert!(r.text.contains("JQL"), "{}", r.text);
        assert!(r.text.contains("400"), "{}", r.text);
    }
}

#[tokio::test]
async fn a_retired_search_endpoint_is_a_loud_error() {
    let w = World::cloud().await;
    w.kit
        .push_fault(Fault::status(410).path_prefix("/rest/api/3/search/jql"));
    let client = w.stdio(&[]).await;
    let r = client
        .call("search_issues", json!({"jql": "project = OPS"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("410") && r.text.contains("retired"),
        "{}",
        r.text
    );
    assert!(r.structured["issues"].is_null());
    // A Deprecation header is just as loud.
    w.kit.push_fault(
        Fault::status(200)
            .path_prefix("/rest/api/3/search/jql")
            .header("Deprecation", "true")
            .body(json!({"issues": [], "isLast": true})),
    );
    let r = client
        .call("search_issues", json!({"jql": "project = OPS"}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("Deprecation"), "{}", r.text);
}

#[tokio::test]
async fn get_issue_renders_description_comments_links_and_transitions() {
    for w in World::both().await {
        let client = w.stdio(&["--comments", "3"]).await;
        let r = client
            .call("get_issue", json!({"key": mock_jira::BUSY_ISSUE}))
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let s = &r.structured;
        assert_eq!(s["key"], mock_jira::BUSY_ISSUE);
        assert!(
            s["description"].as_str().is_some_and(|d| d.len() > 20),
            "{s}"
        );
        assert!(
            !s["description"].as_str().unwrap().contains("\"type\""),
            "ADF leaked: {s}"
        );
        assert_eq!(s["comments"].as_array().unwrap().len(), 3);
        assert!(s["comments_total"].as_u64().unwrap() >= 3);
        assert!(!s["transitions"].as_array().unwrap().is_empty(), "{s}");
        assert!(s["links"].is_array());

        let r = client
            .call(
                "get_issue",
                json!({"key": "OPS-1", "comments": 0, "description_max_chars": 200}),
            )
            .await
            .unwrap();
        assert!(r.structured["comments"].as_array().unwrap().is_empty());
        let r = client
            .call("get_issue", json!({"key": "OPS-9999"}))
            .await
            .unwrap();
        assert!(r.is_error && r.text.contains("404"), "{}", r.text);
    }
}

#[tokio::test]
async fn create_issue_previews_then_creates_with_rich_text() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let before = w.jira.issue_count();
        let args = json!({
            "project": "WEB",
            "issue_type": "Task",
            "summary": "Add a status page",
            "description": "We need **one** page.\n\n- uptime\n- incidents",
            "priority": "High",
            "labels": ["infra"],
        });
        let (preview, done) = client.call_confirmed("create_issue", args).await.unwrap();
        assert_eq!(
            preview.structured["status"], "confirmation_required",
            "{}",
            preview.text
        );
        assert!(
            preview.text.contains("Add a status page"),
            "{}",
            preview.text
        );
        assert!(!done.is_error, "{}", done.text);
        assert_eq!(done.structured["status"], "executed");
        let key = done.structured["result"]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(key.starts_with("WEB-"), "{key}");
        assert_eq!(w.jira.issue_count(), before + 1);
        let stored = w.jira.issue(&key).unwrap();
        let labels = stored["labels"].to_string();
        assert!(
            labels.contains("infra") && labels.contains("mcp-"),
            "{labels}"
        );
        // What went over the wire: ADF on Cloud, wiki markup on DC.
        let sent = w
            .kit
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/issue"))
            .unwrap();
        let description = &sent.body["fields"]["description"];
        if w.is_cloud() {
            assert_eq!(description["type"], "doc", "{description}");
        } else {
            let wiki = description.as_str().unwrap();
            assert!(
                wiki.contains("*one*") && wiki.contains("* uptime"),
                "{wiki}"
            );
        }
        // It reads back as Markdown.
        let r = client.call("get_issue", json!({"key": key})).await.unwrap();
        let md = r.structured["description"].as_str().unwrap();
        assert!(md.contains("**one**") && md.contains("uptime"), "{md}");
    }
}

#[tokio::test]
async fn a_missing_required_field_lists_the_allowed_values() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let (_, done) = client
            .call_confirmed(
                "create_issue",
                json!({"project": "OPS", "issue_type": "Bug", "summary": "Crash on save"}),
            )
            .await
            .unwrap();
        assert!(done.is_error, "{}", done.text);
        for want in [
            "400",
            "customfield_10010",
            "Severity",
            "Critical",
            "Major",
            "Minor",
        ] {
            assert!(done.text.contains(want), "{want}: {}", done.text);
        }
        // get_create_fields says the same up front.
        let r = client
            .call(
                "get_create_fields",
                json!({"project": "OPS", "issue_type": "Bug"}),
            )
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let sev = r.structured["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "customfield_10010")
            .unwrap()
            .clone();
        assert_eq!(sev["required"], true);
        assert_eq!(sev["allowed_values"], json!(["Critical", "Major", "Minor"]));
        // With the field, the create goes through.
        let (_, done) = client
            .call_confirmed(
                "create_issue",
                json!({"project": "OPS", "issue_type": "Bug", "summary": "Crash on save",
                       "fields": {"customfield_10010": {"value": "Major"}}}),
            )
            .await
            .unwrap();
        assert!(!done.is_error, "{}", done.text);
        // An unknown issue type names the allowed ones before any preview.
        let r = client
            .call(
                "create_issue",
                json!({"project": "OPS", "issue_type": "Epic", "summary": "x"}),
            )
            .await
            .unwrap();
        assert!(
            r.is_error && r.text.contains("Story") && r.text.contains("Bug"),
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn update_issue_previews_a_before_after_diff() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let old = w.jira.issue("DATA-1").unwrap();
        let old_summary = old["summary"].as_str().unwrap().to_owned();
        let args =
            json!({"key": "DATA-1", "summary": "Renamed by the connector", "labels": ["a", "b"]});
        let (preview, done) = client.call_confirmed("update_issue", args).await.unwrap();
        let changes = &preview.structured["preview"]["changes"];
        let summary = changes
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == "summary")
            .unwrap();
        assert_eq!(summary["before"], old_summary.as_str());
        assert_eq!(summary["after"], "Renamed by the connector");
        assert!(preview.text.contains(&old_summary), "{}", preview.text);
        assert!(!done.is_error, "{}", done.text);
        let now = w.jira.issue("DATA-1").unwrap();
        assert_eq!(now["summary"], "Renamed by the connector");
        assert_eq!(now["labels"], json!(["a", "b"]));
        // Nothing to change is an error, not a preview.
        let r = client
            .call("update_issue", json!({"key": "DATA-1"}))
            .await
            .unwrap();
        assert!(r.is_error, "{}", r.text);
        // A bad priority comes back with the allowed values.
        let (_, bad) = client
            .call_confirmed(
                "update_issue",
                json!({"key": "DATA-1", "priority": "Urgent"}),
            )
            .await
            .unwrap();
        assert!(bad.is_error, "{}", bad.text);
        assert!(bad.text.contains("priority"), "{}", bad.text);
    }
}

#[tokio::test]
async fn assign_and_delete_go_through_confirmation() {
    for w in World::both().await {
        let client = w.stdio(&["--tools", "delete_issue"]).await;
        let users = client
            .call("search_users", json!({"query": "grace"}))
            .await
            .unwrap();
        assert!(!users.is_error, "{}", users.text);
        let grace = users.structured["users"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (preview, done) = client
            .call_confirmed("assign_issue", json!({"key": "WEB-2", "assignee": grace}))
            .await
            .unwrap();
        assert!(preview.text.contains("assignee"), "{}", preview.text);
        assert!(!done.is_error, "{}", done.text);
        let r = client
            .call("get_issue", json!({"key": "WEB-2"}))
            .await
            .unwrap();
        assert_eq!(
            r.structured["assignee"]["name"], "Grace Hopper",
            "{}",
            r.text
        );
        // Unassign.
        let (_, done) = client
            .call_confirmed("assign_issue", json!({"key": "WEB-2"}))
            .await
            .unwrap();
        assert!(!done.is_error, "{}", done.text);
        let r = client
            .call("get_issue", json!({"key": "WEB-2"}))
            .await
            .unwrap();
        assert!(r.structured["assignee"].is_null(), "{}", r.text);

        let before = w.jira.issue_count();
        let (preview, done) = client
            .call_confirmed("delete_issue", json!({"key": "WEB-3"}))
            .await
            .unwrap();
        assert_eq!(preview.structured["preview"]["tier"], 4, "{}", preview.text);
        assert!(!done.is_error, "{}", done.text);
        assert_eq!(w.jira.issue_count(), before - 1);
        assert!(w.jira.issue("WEB-3").is_none());
    }
}

#[tokio::test]
async fn delete_needs_tier_4_even_when_called() {
    let w = World::cloud().await;
    // A toolset does not lift the tier: only --tools delete_issue or --max-tier 4 do.
    let client = w.stdio(&["--toolsets", "issues"]).await;
    let r = client.call("delete_issue", json!({"key": "OPS-1"})).await;
    assert!(r.is_err() || r.unwrap().is_error);
    assert!(w.writes().is_empty());
}
