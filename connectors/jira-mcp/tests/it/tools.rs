//! tools/list, annotations, policy flags, the README's tool table.

use connector_testkit::tools_snapshot;
use serde_json::json;

use crate::{World, legacy, modern};

fn names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn every_tool_is_titled_described_and_annotated_in_both_eras() {
    let w = World::cloud().await;
    for opts in [legacy(), modern()] {
        let client = w.stdio_with(&["--tools", "delete_issue"], opts).await;
        let tools = client.list_all_tools().await.unwrap();
        assert_eq!(tools.len(), jira_mcp::tools::SPECS.len());
        connector_testkit::assert_tools_well_formed(&tools);
        let delete = tools.iter().find(|t| t.name == "delete_issue").unwrap();
        assert_eq!(
            delete.annotations.as_ref().unwrap().destructive_hint,
            Some(true)
        );
        let search = tools.iter().find(|t| t.name == "search_issues").unwrap();
        assert_eq!(
            search.annotations.as_ref().unwrap().read_only_hint,
            Some(true)
        );
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn tools_list_snapshot() {
    let w = World::cloud().await;
    let client = w.stdio(&[]).await;
    let tools = client.list_all_tools().await.unwrap();
    insta::assert_json_snapshot!("tools_list", tools_snapshot(&tools));
}

#[tokio::test]
async fn delete_is_off_by_default_and_read_only_hides_writes() {
    let w = World::cloud().await;
    let client = w.stdio(&[]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(!all.contains(&"delete_issue".to_owned()), "{all:?}");
    assert!(all.contains(&"create_issue".to_owned()));
    let client = w.stdio(&["--max-tier", "4"]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(all.contains(&"delete_issue".to_owned()), "{all:?}");

    let client = w.stdio(&["--read-only"]).await;
    let read = names(&client.list_all_tools().await.unwrap());
    for write in [
        "create_issue",
        "update_issue",
        "assign_issue",
        "add_comment",
        "transition_issue",
        "delete_issue",
    ] {
        assert!(!read.contains(&write.to_owned()), "{write} in {read:?}");
    }
    assert!(read.contains(&"search_issues".to_owned()));
    let r = client
        .call("add_comment", json!({"key": "OPS-1", "body": "hi"}))
        .await;
    assert!(r.is_err(), "a hidden tool is unknown: {r:?}");

    let client = w.stdio(&["--toolsets", "workflow"]).await;
    assert_eq!(
        names(&client.list_all_tools().await.unwrap()),
        ["get_transitions", "transition_issue"]
    );
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn missing_configuration_names_the_env_vars() {
    let out = tokio::process::Command::new(crate::BIN)
        .arg("tools")
        .env_remove("JIRA_BASE_URL")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JIRA_BASE_URL"), "{err}");
    let out = tokio::process::Command::new(crate::BIN)
        .args(["--base-url", "https://acme.atlassian.net", "tools"])
        .env_remove("JIRA_EMAIL")
        .env_remove("JIRA_API_TOKEN")
        .env_remove("JIRA_PERSONAL_TOKEN")
        .env_remove("JIRA_OAUTH_ACCESS_TOKEN")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("JIRA_EMAIL")
            && err.contains("JIRA_API_TOKEN")
            && err.contains("JIRA_PERSONAL_TOKEN"),
        "{err}"
    );
}

#[tokio::test]
async fn auto_detects_the_deployment_from_server_info() {
    for w in World::both().await {
        let mut env = w.env();
        env.retain(|(k, _)| *k != "JIRA_DEPLOYMENT");
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let client = connector_testkit::Client::stdio(crate::BIN, &[], &env, legacy())
            .await
            .unwrap();
        let r = client
            .call("get_issue", json!({"key": "OPS-1"}))
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let version = if w.is_cloud() {
            "/rest/api/3/"
        } else {
            "/rest/api/2/"
        };
        assert!(
            w.kit
                .requests()
                .iter()
                .any(|r| r.path.starts_with(version) && r.path.ends_with("/issue/OPS-1")),
            "{:?}",
            w.kit.requests()
        );
    }
}

#[tokio::test]
async fn http_transport_serves_the_same_tools() {
    let w = World::dc().await;
    let server = w.http_server(&[]).await;
    let client = connector_testkit::Client::http(&server.url, None, modern())
        .await
        .unwrap();
    let r = client
        .call("search_issues", json!({"jql": "project = WEB", "limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["issues"].as_array().unwrap().len(), 5);
}

/// The README's tool table is generated from the code; this fails when it
/// drifts (`UPDATE_README=1 cargo nextest run -p jira-mcp readme` rewrites it).
#[test]
fn readme_tool_table_is_current() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    if let Err(problem) = connector_kit::tools::check_readme::<jira_mcp::Jira>(readme) {
        panic!("{problem}");
    }
}
