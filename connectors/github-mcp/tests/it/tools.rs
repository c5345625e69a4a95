//! tools/list, annotations, the README's tool table.

use connector_testkit::tools_snapshot;

use crate::{World, legacy, modern};

#[tokio::test]
async fn every_tool_is_titled_described_and_annotated_in_both_eras() {
    let w = World::new().await;
    for opts in [legacy(), modern()] {
        let client = w.stdio_with(&["--tools", "merge_pull_request"], opts).await;
        let tools = client.list_all_tools().await.unwrap();
        assert_eq!(tools.len(), github_mcp::tools::SPECS.len());
        connector_testkit::assert_tools_well_formed(&tools);
        for (name, read_only) in [
            ("get_pull_request_diff", true),
            ("search_code", true),
            ("list_workflows", true),
            ("create_issue", false),
            ("update_issue", false),
            ("create_pull_request", false),
            ("dispatch_workflow", false),
            ("rerun_workflow", false),
            ("merge_pull_request", false),
        ] {
            let t = tools.iter().find(|t| t.name == name).unwrap();
            assert_eq!(
                t.annotations.as_ref().unwrap().read_only_hint,
                Some(read_only),
                "{name}"
            );
        }
        client.close().await.unwrap();
    }
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn tools_list_snapshot() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let tools = client.list_all_tools().await.unwrap();
    insta::assert_json_snapshot!("tools_list", tools_snapshot(&tools));
}

#[tokio::test]
async fn read_only_hides_the_writes() {
    let w = World::new().await;
    let client = w.stdio(&["--read-only"]).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    for write in [
        "create_issue",
        "update_issue",
        "add_issue_comment",
        "create_pull_request",
        "update_pull_request",
        "create_pull_request_review",
        "merge_pull_request",
        "dispatch_workflow",
        "rerun_workflow",
    ] {
        assert!(!names.contains(&write.to_owned()), "{write} in {names:?}");
    }
    assert!(names.contains(&"get_issue".to_owned()));
}

#[tokio::test]
async fn missing_token_names_the_env_var() {
    let out = tokio::process::Command::new(crate::BIN)
        .arg("tools")
        .env_remove("GITHUB_TOKEN")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
}

/// The README's tool table is generated from the code; this fails when it
/// drifts (`UPDATE_README=1 cargo nextest run -p github-mcp readme` rewrites it).
#[test]
fn readme_tool_table_is_current() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    if let Err(problem) = connector_kit::tools::check_readme::<github_mcp::GitHub>(readme) {
        panic!("{problem}");
    }
}
