//! tools/list, annotations, policy flags and argument errors.

use connector_testkit::tools_snapshot;
use serde_json::json;

use crate::{World, legacy, modern};

#[tokio::test]
async fn every_tool_sets_all_annotations_in_both_eras() {
    let w = World::new().await;
    for opts in [legacy(), modern()] {
        let client = w.stdio(&[], opts).await;
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "fetch",
                "get_delivery",
                "list_deliveries",
                "list_hooks",
                "search",
                "trigger_hook"
            ]
        );
        connector_testkit::assert_tools_well_formed(&tools);
        let trigger = tools.iter().find(|t| t.name == "trigger_hook").unwrap();
        let a = trigger.annotations.as_ref().unwrap();
        assert_eq!(
            (a.read_only_hint, a.destructive_hint, a.open_world_hint),
            (Some(false), Some(true), Some(true))
        );
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn tools_list_snapshot() {
    let w = World::new().await;
    let client = w.stdio(&[], legacy()).await;
    let tools = client.list_all_tools().await.unwrap();
    insta::assert_json_snapshot!("tools_list", tools_snapshot(&tools));
}

#[tokio::test]
async fn read_only_hides_and_policy_flags_filter() {
    let w = World::new().await;
    let client = w.stdio(&["--read-only"], legacy()).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert!(!names.contains(&"trigger_hook".to_owned()), "{names:?}");
    assert!(names.contains(&"list_hooks".to_owned()));
    let r = client.call("trigger_hook", crate::page_args()).await;
    assert!(r.is_err(), "a hidden tool is unknown: {r:?}");

    let client = w.stdio(&["--toolsets", "deliveries"], legacy()).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert_eq!(names, ["get_delivery", "list_deliveries"]);

    let client = w
        .stdio(&["--exclude-tools", "search,fetch"], legacy())
        .await;
    assert_eq!(client.list_all_tools().await.unwrap().len(), 4);
    assert_eq!(w.delivered(), 0);
}

#[tokio::test]
async fn list_hooks_never_shows_urls() {
    let w = World::new().await;
    let client = w.stdio(&["--write-hooks", "page-*"], legacy()).await;
    let r = client.call("list_hooks", json!({})).await.unwrap();
    assert!(!r.is_error);
    assert!(
        !r.text.contains("hooks/catch") && !r.structured.to_string().contains("hooks/catch"),
        "{}",
        r.text
    );
    let hooks = r.structured["hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 3);
    let triggerable: Vec<(&str, bool)> = hooks
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap(),
                h["triggerable"].as_bool().unwrap(),
            )
        })
        .collect();
    // wipe-cache is tier 4 (destructive) and outside --write-hooks; log-event outside too.
    assert_eq!(
        triggerable,
        [
            ("page-oncall", true),
            ("log-event", false),
            ("wipe-cache", false)
        ]
    );
}

#[tokio::test]
async fn invalid_arguments_are_tool_errors_naming_the_field() {
    let w = World::new().await;
    let client = w.stdio(&[], legacy()).await;
    // Wrong type for a declared argument: caught by the kit's schema check.
    let r = client
        .call("trigger_hook", json!({"hook": 5, "payload": {}}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("`hook`"), "{}", r.text);
    // Payload against the hook's schema: every offending field named.
    let r = client
        .call(
            "trigger_hook",
            json!({"hook": "page-oncall", "payload": {"summary": "", "severity": "urgent"}}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("payload.summary") && r.text.contains("payload.severity"),
        "{}",
        r.text
    );
    // Unknown hook: lists the configured ones, never a URL.
    let r = client
        .call("trigger_hook", json!({"hook": "nope", "payload": {}}))
        .await
        .unwrap();
    assert!(
        r.is_error && r.text.contains("page-oncall") && !r.text.contains("catch"),
        "{}",
        r.text
    );
    // A bad cursor.
    let r = client
        .call("list_deliveries", json!({"cursor": "zzz"}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("`cursor`"), "{}", r.text);
    assert_eq!(w.delivered(), 0);
}

#[tokio::test]
async fn tools_subcommand_reports_cost() {
    let w = World::new().await;
    let out = tokio::process::Command::new(crate::BIN)
        .args(["--hooks", &w.hooks, "tools", "--json"])
        .env("TEST_LOG_EVENT_URL", "https://hooks.zapier.com/x/")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = v["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 6);
    let t = tools.iter().find(|t| t["name"] == "trigger_hook").unwrap();
    assert_eq!(t["effect"], "send");
    assert_eq!(t["tier"], 3);
    assert!(t["schema_bytes"].as_u64().unwrap() > 100);
    assert!(t["est_tokens"].as_u64().unwrap() > 25);
}

/// The README's tool table is generated from the code; this fails when it
/// drifts (`UPDATE_README=1 cargo nextest run -p zapier-mcp readme` rewrites it).
#[test]
fn readme_tool_table_is_current() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    if let Err(problem) = connector_kit::tools::check_readme::<zapier_mcp::Zapier>(readme) {
        panic!("{problem}");
    }
}
