//! tools/list, annotations, policy flags, the README's tool table.

use connector_testkit::tools_snapshot;

use crate::{World, legacy, modern};

fn names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn every_tool_is_titled_described_and_annotated_in_both_eras() {
    let w = World::new().await;
    for opts in [legacy(), modern()] {
        let client = w
            .stdio_with(&["--tools", "create_change_request"], opts)
            .await;
        let tools = client.list_all_tools().await.unwrap();
        assert_eq!(tools.len(), servicenow_mcp::tools::SPECS.len());
        connector_testkit::assert_tools_well_formed(&tools);
        let search = tools.iter().find(|t| t.name == "search_incidents").unwrap();
        assert_eq!(
            search.annotations.as_ref().unwrap().read_only_hint,
            Some(true)
        );
        let comment = tools.iter().find(|t| t.name == "add_comment").unwrap();
        assert_eq!(
            comment.annotations.as_ref().unwrap().read_only_hint,
            Some(false)
        );
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn tools_list_snapshot() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let tools = client.list_all_tools().await.unwrap();
    insta::assert_json_snapshot!("tools_list", tools_snapshot(&tools));
}

#[tokio::test]
async fn change_creation_is_tier_four_and_read_only_hides_writes() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(
        !all.contains(&"create_change_request".to_owned()),
        "{all:?}"
    );
    assert!(all.contains(&"create_incident".to_owned()));
    let client = w.stdio(&["--max-tier", "4"]).await;
    let all = names(&client.list_all_tools().await.unwrap());
    assert!(all.contains(&"create_change_request".to_owned()), "{all:?}");

    let client = w.stdio(&["--read-only"]).await;
    let read = names(&client.list_all_tools().await.unwrap());
    for write in [
        "create_incident",
        "update_incident",
        "add_work_note",
        "add_comment",
        "resolve_incident",
        "assign_incident",
        "create_change_request",
    ] {
        assert!(!read.contains(&write.to_owned()), "{write} in {read:?}");
    }
    let client = w.stdio(&["--toolsets", "users"]).await;
    assert_eq!(
        names(&client.list_all_tools().await.unwrap()),
        ["lookup_group", "lookup_user"]
    );
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn missing_configuration_names_the_env_vars() {
    let out = tokio::process::Command::new(crate::BIN)
        .arg("tools")
        .env_remove("SERVICENOW_INSTANCE_URL")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SERVICENOW_INSTANCE_URL"), "{err}");
    let out = tokio::process::Command::new(crate::BIN)
        .args(["--instance-url", "https://acme.service-now.com", "tools"])
        .env_remove("SERVICENOW_USERNAME")
        .env_remove("SERVICENOW_PASSWORD")
        .env_remove("SERVICENOW_CLIENT_ID")
        .env_remove("SERVICENOW_API_KEY")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SERVICENOW_USERNAME") && err.contains("SERVICENOW_CLIENT_ID"),
        "{err}"
    );
}

/// The README's tool table is generated from the code; this fails when it
/// drifts (`UPDATE_README=1 cargo nextest run -p servicenow-mcp readme` rewrites it).
#[test]
fn readme_tool_table_is_current() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    if let Err(problem) = connector_kit::tools::check_readme::<servicenow_mcp::ServiceNow>(readme) {
        panic!("{problem}");
    }
}
