//! Toolsets `projects`, `users` and `search` in both deployments.

use serde_json::json;

use crate::World;

#[tokio::test]
async fn projects_are_listed_paged_and_described() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut args = json!({"limit": 1});
            if let Some(c) = &cursor {
                args["cursor"] = json!(c);
            }
            let r = client.call("list_projects", args).await.unwrap();
            assert!(!r.is_error, "{}", r.text);
            for p in r.structured["projects"].as_array().unwrap() {
                keys.push(p["key"].as_str().unwrap().to_owned());
            }
            match r.structured["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        keys.sort();
        assert_eq!(keys, ["DATA", "OPS", "WEB"]);
        let r = client
            .call("get_project", json!({"key": "ops"}))
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        assert_eq!(r.structured["key"], "OPS");
        let types: Vec<&str> = r.structured["issue_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(
            types.contains(&"Bug") && types.contains(&"Task"),
            "{types:?}"
        );
        assert!(!r.structured["components"].as_array().unwrap().is_empty());
        let r = client
            .call(
                "get_create_fields",
                json!({"project": "WEB", "issue_type": "Task"}),
            )
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let fields = r.structured["fields"].as_array().unwrap();
        assert!(
            fields
                .iter()
                .any(|f| f["id"] == "summary" && f["required"] == true),
            "{fields:?}"
        );
    }
}

#[tokio::test]
async fn users_are_found_by_name() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let r = client
            .call("search_users", json!({"query": "ada"}))
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let users = r.structured["users"].as_array().unwrap();
        assert_eq!(users[0]["name"], "Ada Lovelace", "{users:?}");
        let id = users[0]["id"].as_str().unwrap();
        if w.is_cloud() {
            assert!(id.len() > 10, "an account id: {id}");
        } else {
            assert_eq!(id, "ada");
        }
    }
}

#[tokio::test]
async fn search_and_fetch_for_deep_research() {
    for w in World::both().await {
        let client = w.stdio(&[]).await;
        let issue = w.jira.issue("OPS-1").unwrap();
        let word = issue["summary"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .max_by_key(|w| w.len())
            .unwrap()
            .to_owned();
        let r = client.call("search", json!({"query": word})).await.unwrap();
        assert!(!r.is_error, "{}", r.text);
        let results = r.structured["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{word}: {}", r.text);
        let id = results[0]["id"].as_str().unwrap();
        assert!(
            results[0]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/browse/{id}"))
        );
        let doc = client.call("fetch", json!({"id": id})).await.unwrap();
        assert!(!doc.is_error, "{}", doc.text);
        assert!(
            doc.structured["text"]
                .as_str()
                .unwrap()
                .contains("## Description")
        );
        assert_eq!(doc.structured["id"], id);
        let missing = client
            .call("fetch", json!({"id": "OPS-9999"}))
            .await
            .unwrap();
        assert!(missing.is_error, "{}", missing.text);
    }
}
