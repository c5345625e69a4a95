//! `mcp-suite serve` with a config file: each connector at `/<name>/mcp`,
//! health and metrics beside them.

use connector_testkit::{Client, ClientOptions, HttpServer};
use serde_json::json;

use crate::{
    BIN, Config, GITHUB_ENV, crm_section, github_section, hooks_for, jira_section, run,
    servicenow_section,
};

#[tokio::test]
async fn serves_zapier_at_its_path_from_a_config_file() {
    let (mock, _kit, zapier) = mock_zapier::spawn_with_handles(Default::default())
        .await
        .unwrap();
    let cfg = Config::new(
        "max_tier = 3\n[zapier]\nhooks = \"hooks.toml\"\n",
        Some(&hooks_for(mock.url())),
    );
    let server = HttpServer::start(
        BIN,
        &["--config", cfg.path(), "--listen", "127.0.0.1:0", "serve"],
        &[],
    )
    .await
    .unwrap();
    assert!(server.url.ends_with("/zapier/mcp"), "{}", server.url);

    let client = Client::http(&server.url, None, ClientOptions::default())
        .await
        .unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for t in ["list_hooks", "trigger_hook", "list_deliveries"] {
        assert!(names.contains(&t), "{names:?}");
    }
    let hooks = client.call("list_hooks", json!({})).await.unwrap();
    assert_eq!(hooks.structured["hooks"][0]["name"], "page-oncall");
    let (_, done) = client
        .call_confirmed(
            "trigger_hook",
            json!({"hook": "page-oncall", "payload": {"x": 1}}),
        )
        .await
        .unwrap();
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(zapier.deliveries().len(), 1);

    let base = server.url.trim_end_matches("/zapier/mcp").to_owned();
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert!(health.status().is_success());
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("zapier"), "{metrics}");
    // The container health check needs no curl.
    let probe = run(&["healthcheck", &format!("{base}/healthz")]).await;
    assert!(probe.status.success());
    let probe = run(&["healthcheck", &format!("{base}/nope")]).await;
    assert!(!probe.status.success());
    // Unknown paths are not served.
    let other = reqwest::get(format!("{base}/mcp")).await.unwrap();
    assert_eq!(other.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn serves_jira_beside_zapier() {
    let zapier = mock_zapier::spawn(Default::default()).await.unwrap();
    let (jira, _kit, jira_state) = mock_jira::spawn_with_handles(Default::default())
        .await
        .unwrap();
    let cfg = Config::new(
        &format!(
            "[zapier]\nhooks = \"hooks.toml\"\n{}",
            jira_section(jira.url())
        ),
        Some(&hooks_for(zapier.url())),
    );
    let server = HttpServer::start(
        BIN,
        &["--config", cfg.path(), "--listen", "127.0.0.1:0", "serve"],
        &[],
    )
    .await
    .unwrap();
    // The first endpoint line is the first connector in registry order.
    assert!(server.url.ends_with("/zapier/mcp"), "{}", server.url);
    let base = server.url.trim_end_matches("/zapier/mcp").to_owned();
    let url = format!("{base}/jira/mcp");

    let client = Client::http(&url, None, ClientOptions::default())
        .await
        .unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for t in [
        "search_issues",
        "get_issue",
        "create_issue",
        "get_create_fields",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    assert!(!names.contains(&"trigger_hook"), "{names:?}");
    // It talks to the mock, through the suite.
    let found = client
        .call(
            "search_issues",
            json!({"jql": "project = OPS ORDER BY created ASC", "limit": 1}),
        )
        .await
        .unwrap();
    assert!(!found.is_error, "{}", found.text);
    assert_eq!(found.structured["issues"][0]["key"], "OPS-1");
    assert_eq!(jira_state.issue_count(), mock_jira::SEED_ISSUES);
    // Zapier is still at its own path.
    let other = Client::http(
        &format!("{base}/zapier/mcp"),
        None,
        ClientOptions::default(),
    )
    .await
    .unwrap();
    let names: Vec<String> = other
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert!(names.contains(&"trigger_hook".to_owned()), "{names:?}");
    server.stop().await;
}

#[tokio::test]
async fn serves_servicenow_and_crm_at_their_paths() {
    let (servicenow, _kit, sn_state) = mock_servicenow::spawn_with_handles(Default::default())
        .await
        .unwrap();
    let crm = mock_crm::spawn(Default::default()).await.unwrap();
    let cfg = Config::new(
        &format!(
            "{}{}",
            servicenow_section(servicenow.url()),
            crm_section(crm.url())
        ),
        None,
    );
    let server = HttpServer::start(
        BIN,
        &["--config", cfg.path(), "--listen", "127.0.0.1:0", "serve"],
        &[],
    )
    .await
    .unwrap();
    // Registry order: servicenow before crm (zapier and jira are not configured).
    assert!(server.url.ends_with("/servicenow/mcp"), "{}", server.url);
    let base = server.url.trim_end_matches("/servicenow/mcp").to_owned();

    let sn = Client::http(&server.url, None, ClientOptions::default())
        .await
        .unwrap();
    let sn_tools = tool_names(&sn).await;
    for t in ["search_knowledge", "create_incident", "get_incident"] {
        assert!(sn_tools.iter().any(|n| n == t), "{sn_tools:?}");
    }
    assert!(
        !sn_tools.iter().any(|n| n == "account_summary"),
        "{sn_tools:?}"
    );
    // It talks to the mock, through the suite.
    let found = sn
        .call("search_knowledge", json!({"text": "health check timeout"}))
        .await
        .unwrap();
    assert!(!found.is_error, "{}", found.text);
    assert!(
        found.structured["articles"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Known issue"),
        "{}",
        found.text
    );
    assert_eq!(sn_state.count("incident"), mock_servicenow::SEED_INCIDENTS);

    let crm_client = Client::http(&format!("{base}/crm/mcp"), None, ClientOptions::default())
        .await
        .unwrap();
    let crm_tools = tool_names(&crm_client).await;
    for t in ["account_summary", "search_companies", "get_deal"] {
        assert!(crm_tools.iter().any(|n| n == t), "{crm_tools:?}");
    }
    assert!(
        !crm_tools.iter().any(|n| n == "create_incident"),
        "{crm_tools:?}"
    );
    let summary = crm_client
        .call(
            "account_summary",
            json!({"company_id": mock_crm::ACME_COMPANY_ID.to_string()}),
        )
        .await
        .unwrap();
    assert!(!summary.is_error, "{}", summary.text);
    assert_eq!(summary.structured["company"]["title"], "Acme Corp");
    server.stop().await;
}

#[tokio::test]
async fn serves_github_at_its_path() {
    let github = mock_github::spawn(Default::default()).await.unwrap();
    let cfg = Config::new(&github_section(github.url()), None);
    let server = HttpServer::start(
        BIN,
        &["--config", cfg.path(), "--listen", "127.0.0.1:0", "serve"],
        &[GITHUB_ENV],
    )
    .await
    .unwrap();
    assert!(server.url.ends_with("/github/mcp"), "{}", server.url);
    let client = Client::http(&server.url, None, ClientOptions::default())
        .await
        .unwrap();
    let names = tool_names(&client).await;
    for t in [
        "list_workflow_runs",
        "get_workflow_run",
        "get_job_logs",
        "get_issue",
        "create_issue",
    ] {
        assert!(names.iter().any(|n| n == t), "{names:?}");
    }
    // It talks to the mock, through the suite.
    let runs = client
        .call(
            "list_workflow_runs",
            json!({"owner": mock_github::ORG, "repo": "api", "status": "failure", "per_page": 1}),
        )
        .await
        .unwrap();
    assert!(!runs.is_error, "{}", runs.text);
    assert_eq!(runs.structured["runs"][0]["conclusion"], "failure");
    server.stop().await;
}

#[tokio::test]
async fn static_tokens_guard_every_endpoint() {
    let mock = mock_zapier::spawn(Default::default()).await.unwrap();
    let hash = connector_auth_hash("s3cret-token");
    let cfg = Config::new(
        "auth = \"tokens\"\nauth_tokens_file = \"tokens.toml\"\n[zapier]\nhooks = \"hooks.toml\"\n",
        Some(&hooks_for(mock.url())),
    );
    std::fs::write(
        cfg.dir.path().join("tokens.toml"),
        format!("[[token]]\nsha256 = \"{hash}\"\nprincipal = \"ops\"\nscopes = [\"*\"]\n"),
    )
    .unwrap();
    let server = HttpServer::start(
        BIN,
        &["--config", cfg.path(), "--listen", "127.0.0.1:0"],
        &[],
    )
    .await
    .unwrap();
    assert!(
        Client::http(&server.url, None, ClientOptions::default())
            .await
            .is_err(),
        "no token must be refused"
    );
    let client = Client::http(&server.url, Some("s3cret-token"), ClientOptions::default())
        .await
        .unwrap();
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    server.stop().await;
}

async fn tool_names(client: &Client) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect()
}

fn connector_auth_hash(token: &str) -> String {
    let out = std::process::Command::new(BIN)
        .arg("hash-token")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(token.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
