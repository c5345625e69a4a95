//! Configuration problems: a broken connector is reported and skipped, or
//! fatal with `--strict`; `tools --json` covers every connector.

use serde_json::Value;

use crate::{
    Config, GITHUB_ENV, crm_section, github_section, hooks_for, jira_section, run, run_with_env,
    servicenow_section, stderr, stdout,
};

#[tokio::test]
async fn tools_json_lists_zapier_tools_with_a_connector_field() {
    // No config at all: the whole catalogue.
    let out = run(&["tools", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let zapier: Vec<&str> = rows
        .iter()
        .filter(|r| r["connector"] == "zapier")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(zapier.contains(&"trigger_hook"), "{rows:?}");
    assert!(zapier.contains(&"list_hooks"), "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r["endpoint"] == format!("/{}/mcp", r["connector"].as_str().unwrap()))
    );
    let trigger = rows.iter().find(|r| r["name"] == "trigger_hook").unwrap();
    assert_eq!(trigger["effect"], "send");
    assert_eq!(trigger["tier"], 3);
}

#[tokio::test]
async fn tools_json_lists_jira_tools_without_contacting_the_site() {
    // Nothing listens on port 9: with `deployment = "cloud"` jira-mcp does
    // not contact the site at start-up, so `tools` works offline.
    let cfg = Config::new(&jira_section("http://127.0.0.1:9"), None);
    let out = run(&["--config", cfg.path(), "--strict", "tools", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let jira: Vec<&Value> = rows.iter().filter(|r| r["connector"] == "jira").collect();
    let names: Vec<&str> = jira.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for t in [
        "search_issues",
        "get_issue",
        "create_issue",
        "get_create_fields",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    assert!(
        jira.iter().all(|r| r["endpoint"] == "/jira/mcp"),
        "{jira:?}"
    );
    let create = jira.iter().find(|r| r["name"] == "create_issue").unwrap();
    assert_eq!(create["effect"], "create", "{create}");
    let search = jira.iter().find(|r| r["name"] == "search_issues").unwrap();
    assert_eq!(search["effect"], "read", "{search}");
    // Only [jira] is configured, so only jira is listed.
    assert!(rows.iter().all(|r| r["connector"] == "jira"), "{rows:?}");
}

#[tokio::test]
async fn tools_json_lists_servicenow_and_crm_tools_offline() {
    // Nothing listens on port 9: neither connector contacts its upstream at
    // start-up, so `tools` works offline.
    let cfg = Config::new(
        &format!(
            "{}{}",
            servicenow_section("http://127.0.0.1:9"),
            crm_section("http://127.0.0.1:9")
        ),
        None,
    );
    let out = run(&["--config", cfg.path(), "--strict", "tools", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let of = |connector: &str| -> Vec<&Value> {
        rows.iter()
            .filter(|r| r["connector"] == connector)
            .collect()
    };
    let servicenow = of("servicenow");
    let names: Vec<&str> = servicenow
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for t in [
        "search_knowledge",
        "create_incident",
        "get_incident",
        "search_incidents",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    assert!(
        servicenow
            .iter()
            .all(|r| r["endpoint"] == "/servicenow/mcp"),
        "{servicenow:?}"
    );
    let create = servicenow
        .iter()
        .find(|r| r["name"] == "create_incident")
        .unwrap();
    assert_eq!(create["effect"], "create", "{create}");
    assert_eq!(create["tier"], 3, "{create}");

    let crm = of("crm");
    let names: Vec<&str> = crm.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for t in ["account_summary", "search_companies", "update_deal_stage"] {
        assert!(names.contains(&t), "{names:?}");
    }
    assert!(crm.iter().all(|r| r["endpoint"] == "/crm/mcp"), "{crm:?}");
    let summary = crm.iter().find(|r| r["name"] == "account_summary").unwrap();
    assert_eq!(summary["effect"], "read", "{summary}");
    // Only [servicenow] and [crm] are configured, so only they are listed.
    assert!(
        rows.iter()
            .all(|r| r["connector"] == "servicenow" || r["connector"] == "crm"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn tools_json_lists_github_tools_offline() {
    // Nothing listens on port 9: github-mcp does not contact the API at
    // start-up, so `tools` works offline (the token comes from the
    // environment, as in docker-compose.yml).
    let cfg = Config::new(&github_section("http://127.0.0.1:9"), None);
    let out = run_with_env(
        &["--config", cfg.path(), "--strict", "tools", "--json"],
        &[GITHUB_ENV],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for t in [
        "list_workflow_runs",
        "get_workflow_run",
        "get_job_logs",
        "search_issues",
        "create_issue",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    assert!(
        rows.iter()
            .all(|r| r["connector"] == "github" && r["endpoint"] == "/github/mcp"),
        "only [github] is configured: {rows:?}"
    );
    let logs = rows.iter().find(|r| r["name"] == "get_job_logs").unwrap();
    assert_eq!(logs["effect"], "read", "{logs}");
    let create = rows.iter().find(|r| r["name"] == "create_issue").unwrap();
    assert_eq!(create["effect"], "create", "{create}");
    // Without a token, github-mcp says which variable to set.
    let out = run(&["--config", cfg.path(), "--strict", "tools", "--json"]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("GITHUB_TOKEN"), "{}", stderr(&out));
}

#[tokio::test]
async fn section_policy_applies_to_that_connector() {
    let cfg = Config::new(
        "[zapier]\nhooks = \"hooks.toml\"\nread_only = true\n",
        Some(&hooks_for("http://127.0.0.1:9")),
    );
    let out = run(&["--config", cfg.path(), "tools", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(rows.iter().all(|r| r["name"] != "trigger_hook"), "{rows:?}");
    assert!(rows.iter().any(|r| r["name"] == "list_hooks"), "{rows:?}");
}

#[tokio::test]
async fn broken_connector_is_skipped_with_a_message_and_strict_fails() {
    let cfg = Config::new("[zapier]\nhooks = \"missing-hooks.toml\"\n", None);
    let out = run(&["--config", cfg.path(), "tools", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("skipping connector zapier") && err.contains("missing-hooks.toml"),
        "{err}"
    );
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(rows.is_empty(), "{rows:?}");

    let strict = run(&["--config", cfg.path(), "--strict", "tools"]).await;
    assert!(!strict.status.success());
    let err = stderr(&strict);
    assert!(
        err.contains("connector zapier") && err.contains("missing-hooks.toml"),
        "{err}"
    );

    // serve: with nothing left to serve the suite says so and exits.
    let serve = run(&["--config", cfg.path(), "--listen", "127.0.0.1:0", "serve"]).await;
    assert!(!serve.status.success());
    let err = stderr(&serve);
    assert!(
        err.contains("skipping connector zapier") && err.contains("no connector to serve"),
        "{err}"
    );

    // doctor reports it.
    let doctor = run(&["--config", cfg.path(), "doctor"]).await;
    assert!(!doctor.status.success());
    let text = stdout(&doctor);
    assert!(text.contains("zapier") && text.contains("FAIL"), "{text}");
}

#[tokio::test]
async fn unknown_keys_and_sections_are_named() {
    let cfg = Config::new("[zapier]\nhoks = \"x.toml\"\n[nosuch]\nx = 1\n", None);
    let out = run(&["--config", cfg.path(), "tools"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("unknown key `hoks`") && err.contains("[zapier]"),
        "{err}"
    );
    assert!(err.contains("[nosuch]"), "{err}");

    let out = run(&["--connectors", "nosuch", "tools"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no connector named"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn doctor_checks_a_working_config() {
    let mock = mock_zapier::spawn(Default::default()).await.unwrap();
    let cfg = Config::new(
        "[zapier]\nhooks = \"hooks.toml\"\n",
        Some(&hooks_for(mock.url())),
    );
    let out = run(&["--config", cfg.path(), "doctor"]).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("hook page-oncall"), "{text}");
    assert!(text.contains("inbound auth"), "{text}");
}
