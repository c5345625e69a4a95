//! Toolsets `comments` and `workflow` in both deployments.

use serde_json::json;

use crate::World;

#[tokio::test]
async fn list_comments_pages_through_a_busy_issue() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut args = json!({"key": mock_jira::BUSY_ISSUE, "limit": 25});
            if let Some(c) = &cursor {
                args["cursor"] = json!(c);
            }
            let r = client.call("list_comments", args).await.unwrap();
            assert!(!r.is_error, "{}", r.text);
            pages += 1;
            for c in r.structured["comments"].as_array().unwrap() {
                assert!(!c["body"].as_str().unwrap().is_empty());
                assert!(c["url"].as_str().unwrap().contains("focusedCommentId="));
                seen.push(c["id"].as_str().unwrap().to_owned());
            }
            assert_eq!(r.structured["total"], mock_jira::MANY_COMMENTS);
            match r.structured["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), mock_jira::MANY_COMMENTS);
        let r = client
            .call("list_comments", json!({"key": "OPS-1", "cursor": "nope"}))
            .await
            .unwrap();
        assert!(r.is_error && r.text.contains("`cursor`"), "{}", r.text);
    }
}

#[tokio::test]
async fn add_comment_converts_markdown() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let (preview, done) = client
            .call_confirmed(
                "add_comment",
                json!({"key": "WEB-1", "body": "Deployed `v2` — see [notes](https://example.com)."}),
            )
            .await
            .unwrap();
        assert!(preview.text.contains("Deployed"), "{}", preview.text);
        assert!(!done.is_error, "{}", done.text);
        assert!(
            done.structured["result"]["body"]
                .as_str()
                .unwrap()
                .contains("`v2`"),
            "{}",
            done.text
        );
        let sent = w
            .kit
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/comment"))
            .unwrap();
        if w.is_cloud() {
            assert_eq!(sent.body["body"]["type"], "doc");
        } else {
            let wiki = sent.body["body"].as_str().unwrap();
            assert!(
                wiki.contains("{{v2}}") && wiki.contains("[notes|https://example.com]"),
                "{wiki}"
            );
        }
        let r = client
            .call("list_comments", json!({"key": "WEB-1", "limit": 100}))
            .await
            .unwrap();
        let last = r.structured["comments"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert!(
            last["body"]
                .as_str()
                .unwrap()
                .contains("[notes](https://example.com)"),
            "{last}"
        );
    }
}

#[tokio::test]
async fn transitions_are_listed_and_taken_with_resolution_and_comment() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        // Find an open issue.
        let r = client
            .call(
                "search_issues",
                json!({"jql": "project = DATA AND status = \"To Do\"", "limit": 1}),
            )
            .await
            .unwrap();
        let key = r.structured["issues"][0]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let t = client
            .call("get_transitions", json!({"key": key}))
            .await
            .unwrap();
        assert!(!t.is_error, "{}", t.text);
        assert_eq!(t.structured["status"], "To Do");
        let names: Vec<&str> = t.structured["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Done"), "{names:?}");
        let bad = client
            .call(
                "transition_issue",
                json!({"key": key, "transition": "Reopen"}),
            )
            .await
            .unwrap();
        assert!(bad.is_error && bad.text.contains("Done"), "{}", bad.text);
        let (preview, done) = client
            .call_confirmed(
                "transition_issue",
                json!({"key": key, "transition": "done", "resolution": "Won't Do", "comment": "Closing: *obsolete*."}),
            )
            .await
            .unwrap();
        assert!(preview.text.contains("To Do → Done"), "{}", preview.text);
        assert!(!done.is_error, "{}", done.text);
        let now = w.jira.issue(&key).unwrap();
        assert_eq!(now["status"], "Done");
        assert_eq!(now["resolution"], "Won't Do");
        let r = client.call("get_issue", json!({"key": key})).await.unwrap();
        let comments = r.structured["comments"].as_array().unwrap();
        assert!(
            comments.last().unwrap()["body"]
                .as_str()
                .unwrap()
                .contains("obsolete"),
            "{comments:?}"
        );
    }
}
