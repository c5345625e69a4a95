//! tools/list, annotations, policy flags, the README's tool table.

use connector_testkit::tools_snapshot;
use serde_json::json;

use crate::{World, legacy, modern};

fn names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn every_tool_is_titled_described_and_annotated_in_both_eras() {
    let w = World::new().await;
    for opts in [legacy(), modern()] {
        let client = w.stdio_with(&[], opts).await;
        let tools = client.list_all_tools().await.unwrap();
        assert_eq!(tools.len(), crm_mcp::tools::SPECS.len());
        connector_testkit::assert_tools_well_formed(&tools);
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
async fn read_only_hides_writes_and_toolsets_select() {
    let w = World::new().await;
    let client = w.stdio(&["--read-only"]).await;
    let read = names(&client.list_all_tools().await.unwrap());
    for write in [
        "create_contact",
        "update_contact",
        "update_deal_stage",
        "create_note",
    ] {
        assert!(!read.contains(&write.to_owned()), "{write} in {read:?}");
    }
    assert!(read.contains(&"account_summary".to_owned()));
    let client = w.stdio(&["--toolsets", "deals"]).await;
    let mut deals = names(&client.list_all_tools().await.unwrap());
    deals.sort();
    assert_eq!(
        deals,
        [
            "get_deal",
            "list_pipelines",
            "search_deals",
            "update_deal_stage"
        ]
    );
    let r = client.call("get_contact", json!({"id": "1"})).await;
    assert!(r.is_err(), "a hidden tool is unknown: {r:?}");
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn missing_configuration_names_the_env_vars() {
    let out = tokio::process::Command::new(crate::BIN)
        .arg("tools")
        .env_remove("HUBSPOT_ACCESS_TOKEN")
        .env_remove("HUBSPOT_REFRESH_TOKEN")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HUBSPOT_ACCESS_TOKEN") && err.contains("HUBSPOT_REFRESH_TOKEN"),
        "{err}"
    );
}

/// The README's tool table is generated from the code; this fails when it
/// drifts (`UPDATE_README=1 cargo nextest run -p crm-mcp readme` rewrites it).
#[test]
fn readme_tool_table_is_current() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    if let Err(problem) = connector_kit::tools::check_readme::<crm_mcp::Crm>(readme) {
        panic!("{problem}");
    }
}

#[tokio::test]
async fn doctor_checks_credential_and_search_in_both_path_styles() {
    for version in crate::VERSIONS {
        let w = World::new().await;
        let out = tokio::process::Command::new(crate::BIN)
            .args(["--api-version", version, "doctor"])
            .envs(w.env().iter().map(|(k, v)| (*k, v.as_str())))
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
            text.contains("credential") && text.contains("2 deal pipeline(s)"),
            "{text}"
        );
        assert!(text.contains(version), "{text}");
    }
}

#[tokio::test]
async fn http_transport_serves_the_same_tools() {
    let w = World::new().await;
    let env = w.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = connector_testkit::HttpServer::start(
        crate::BIN,
        &["--transport", "http", "--listen", "127.0.0.1:0"],
        &env,
    )
    .await
    .unwrap();
    let client = connector_testkit::Client::http(&server.url, None, modern())
        .await
        .unwrap();
    let r = client
        .call("search_companies", json!({"limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["records"].as_array().unwrap().len(), 5);
}
