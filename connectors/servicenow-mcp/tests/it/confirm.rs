//! Writes: the token flow, concurrent edits, write scope, data policy,
//! choice lists, exactly-once creates, auth traps.

use mock_kit::Fault;
use serde_json::{Value, json};

use crate::World;

fn create_args() -> Value {
    json!({"short_description": "VPN drops every 10 minutes", "caller": "beth.anglin", "impact": 2, "urgency": 2, "category": "network", "assignment_group": "Network Operations"})
}

fn stored(w: &World, number: &str) -> Value {
    w.sn.query("incident", &format!("number={number}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{number} stored"))
}

#[tokio::test]
async fn create_previews_then_writes_once_and_replays_are_refused() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.sn.count("incident");
    let preview = client.call("create_incident", create_args()).await.unwrap();
    assert_eq!(
        preview.structured["status"], "confirmation_required",
        "{}",
        preview.text
    );
    assert!(preview.text.contains("VPN drops"), "{}", preview.text);
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    let mut args = create_args();
    args["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client.call("create_incident", args.clone()).await.unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let number = done.structured["result"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(number.starts_with("INC"));
    let replay = client.call("create_incident", args).await.unwrap();
    assert_eq!(
        replay.structured["status"], "already_executed",
        "{}",
        replay.text
    );
    assert_eq!(w.sn.count("incident"), before + 1);
    let rec = stored(&w, &number);
    let correlation = done.structured["result"]["correlation_id"]
        .as_str()
        .unwrap();
    assert_eq!(rec["correlation_id"], correlation, "{rec}");
    assert_eq!(rec["category"], "network");
    // Changed arguments with the old token are refused.
    let preview = client.call("create_incident", create_args()).await.unwrap();
    let mut changed = create_args();
    changed["short_description"] = json!("Something else");
    changed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let r = client.call("create_incident", changed).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert_eq!(w.sn.count("incident"), before + 1);
}

#[tokio::test]
async fn refused_choice_values_list_the_allowed_ones() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let mut args = create_args();
    args["category"] = json!("plumbing");
    let (_, done) = client
        .call_confirmed("create_incident", args)
        .await
        .unwrap();
    assert!(done.is_error, "{}", done.text);
    assert!(
        done.text.contains("plumbing")
            && done.text.contains("network")
            && done.text.contains("Allowed values"),
        "{}",
        done.text
    );
}

/// Preview, then commit with the token and `expected_updated_on`.
async fn update(
    client: &connector_testkit::Client,
    args: Value,
) -> (Value, connector_testkit::ToolResult) {
    let preview = client.call("update_incident", args.clone()).await.unwrap();
    assert_eq!(
        preview.structured["status"], "confirmation_required",
        "{}",
        preview.text
    );
    let mut commit = args;
    commit["confirmation_token"] = preview.structured["confirmation_token"].clone();
    commit["expected_updated_on"] = preview.structured["expected_updated_on"].clone();
    let done = client.call("update_incident", commit).await.unwrap();
    (preview.structured, done)
}

#[tokio::test]
async fn update_shows_before_and_after_and_writes() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let (preview, done) = update(
        &client,
        json!({"id": "INC0010005", "short_description": "Renamed by the assistant", "urgency": 1}),
    )
    .await;
    let changes = preview["preview"]["changes"].as_array().unwrap();
    let sd = changes
        .iter()
        .find(|c| c["field"] == "short_description")
        .unwrap();
    assert!(
        sd["before"].is_string() && sd["after"] == "Renamed by the assistant",
        "{preview}"
    );
    assert!(preview["expected_updated_on"].is_string(), "{preview}");
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(
        stored(&w, "INC0010005")["short_description"],
        "Renamed by the assistant"
    );
    // Without expected_updated_on the commit is refused.
    let args = json!({"id": "INC0010005", "short_description": "Again"});
    let preview = client.call("update_incident", args.clone()).await.unwrap();
    let mut commit = args;
    commit["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let r = client.call("update_incident", commit).await.unwrap();
    assert!(
        r.is_error && r.text.contains("expected_updated_on"),
        "{}",
        r.text
    );
    assert_eq!(
        stored(&w, "INC0010005")["short_description"],
        "Renamed by the assistant"
    );
}

#[tokio::test]
async fn a_concurrent_edit_between_preview_and_commit_is_refused() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let args = json!({"id": "INC0010007", "short_description": "Assistant's version"});
    let preview = client.call("update_incident", args.clone()).await.unwrap();
    assert_eq!(
        preview.structured["status"], "confirmation_required",
        "{}",
        preview.text
    );
    // Someone else edits the incident in ServiceNow.
    let sys_id = stored(&w, "INC0010007")["sys_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = reqwest::Client::new()
        .patch(format!("{}/api/now/table/incident/{sys_id}", w.mock.url()))
        .basic_auth(
            mock_servicenow::DEFAULT_USERNAME,
            Some(mock_servicenow::DEFAULT_PASSWORD),
        )
        .json(&json!({"short_description": "Colleague's version"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let patches_before = w.writes().len();
    let mut commit = args;
    commit["confirmation_token"] = preview.structured["confirmation_token"].clone();
    commit["expected_updated_on"] = preview.structured["expected_updated_on"].clone();
    let r = client.call("update_incident", commit).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(r.text.contains("changed by someone else"), "{}", r.text);
    assert_eq!(w.writes().len(), patches_before, "nothing written");
    assert_eq!(
        stored(&w, "INC0010007")["short_description"],
        "Colleague's version"
    );
}

#[tokio::test]
async fn notes_comments_assignment_and_resolution() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let (_, r) = client
        .call_confirmed(
            "add_work_note",
            json!({"id": "INC0010010", "text": "Checked the proxy logs."}),
        )
        .await
        .unwrap();
    assert_eq!(r.structured["status"], "executed", "{}", r.text);
    let (preview, r) = client
        .call_confirmed(
            "add_comment",
            json!({"id": "INC0010010", "text": "We are on it."}),
        )
        .await
        .unwrap();
    assert!(
        preview.text.contains("customer-visible"),
        "{}",
        preview.text
    );
    assert_eq!(r.structured["status"], "executed", "{}", r.text);
    let got = client
        .call("get_incident", json!({"id": "INC0010010"}))
        .await
        .unwrap();
    let journal = got.structured["journal"].as_array().unwrap();
    assert!(
        journal.iter().any(|e| e["kind"] == "work_note"
            && e["text"]
                .as_str()
                .unwrap()
                .contains("Checked the proxy logs.")),
        "{}",
        got.text
    );
    assert!(
        journal.iter().any(
            |e| e["kind"] == "comment" && e["text"].as_str().unwrap().contains("We are on it.")
        ),
        "{}",
        got.text
    );

    let (preview, r) = client
        .call_confirmed(
            "assign_incident",
            json!({"id": "INC0010010", "assignment_group": "Database Administration", "assigned_to": "beth.anglin"}),
        )
        .await
        .unwrap();
    assert!(
        preview.text.contains("Database Administration"),
        "{}",
        preview.text
    );
    assert_eq!(r.structured["status"], "executed", "{}", r.text);
    let got = client
        .call("get_incident", json!({"id": "INC0010010", "journal": 0}))
        .await
        .unwrap();
    assert_eq!(
        got.structured["assignment_group"], "Database Administration",
        "{}",
        got.text
    );
    assert_eq!(got.structured["assigned_to"], "Beth Anglin", "{}", got.text);
    let r = client
        .call(
            "assign_incident",
            json!({"id": "INC0010010", "assigned_to": "nobody.here"}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("lookup_user"), "{}", r.text);

    // The data policy needs close fields: ServiceNow's own words come back.
    let (_, r) = client
        .call_confirmed("resolve_incident", json!({"id": "INC0010010"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("Data Policy Exception")
            && r.text.contains("close_code")
            && r.text.contains("close_notes"),
        "{}",
        r.text
    );
    let (_, r) = client
        .call_confirmed(
            "resolve_incident",
            json!({"id": "INC0010010", "close_code": "Solution provided", "close_notes": "Restarted the proxy."}),
        )
        .await
        .unwrap();
    assert_eq!(r.structured["status"], "executed", "{}", r.text);
    let rec = stored(&w, "INC0010010");
    assert_eq!(rec["state"], "6", "{rec}");
    assert_eq!(rec["close_code"], "Solution provided");
}

#[tokio::test]
async fn writes_outside_write_tables_never_reach_the_instance() {
    let w = World::new().await;
    let client = w.stdio(&["--write-tables", "problem"]).await;
    let calls = [
        ("create_incident", create_args()),
        (
            "update_incident",
            json!({"id": "INC0010001", "short_description": "x"}),
        ),
        ("add_work_note", json!({"id": "INC0010001", "text": "x"})),
        ("add_comment", json!({"id": "INC0010001", "text": "x"})),
        (
            "resolve_incident",
            json!({"id": "INC0010001", "close_code": "Duplicate", "close_notes": "x"}),
        ),
        (
            "assign_incident",
            json!({"id": "INC0010001", "assignment_group": "Service Desk"}),
        ),
    ];
    for (tool, args) in calls {
        let r = client.call(tool, args).await.unwrap();
        assert!(r.is_error, "{tool}: {}", r.text);
        assert!(r.text.contains("--write-tables"), "{tool}: {}", r.text);
    }
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[tokio::test]
async fn commit_then_drop_creates_exactly_one_incident() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let before = w.sn.count("incident");
    w.kit.push_fault(
        Fault::commit_then_drop()
            .method("POST")
            .path_prefix("/api/now/table/incident"),
    );
    let (_, done) = client
        .call_confirmed("create_incident", create_args())
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(
        done.structured["result"]["recovered"], true,
        "{}",
        done.text
    );
    assert_eq!(w.sn.count("incident"), before + 1, "exactly one incident");
    let creates = w
        .kit
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/now/table/incident")
        .count();
    assert_eq!(creates, 1, "the create was not sent twice");
}

#[tokio::test]
async fn change_requests_are_tier_four_and_scoped() {
    let w = World::new().await;
    let args = json!({"short_description": "Upgrade the proxy fleet", "type": "normal", "risk": 3, "assignment_group": "Platform Engineering"});
    let client = w.stdio(&["--tools", "create_change_request"]).await;
    let r = client
        .call("create_change_request", args.clone())
        .await
        .unwrap();
    assert!(
        r.is_error && r.text.contains("--write-tables"),
        "{}",
        r.text
    );
    let before = w.sn.count("change_request");
    let client = w
        .stdio(&[
            "--tools",
            "create_change_request",
            "--write-tables",
            "incident,change_request",
        ])
        .await;
    let (preview, done) = client
        .call_confirmed("create_change_request", args)
        .await
        .unwrap();
    assert_eq!(
        preview.structured["preview"]["tier"],
        json!(4),
        "{}",
        preview.text
    );
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert!(
        done.structured["result"]["number"]
            .as_str()
            .unwrap()
            .starts_with("CHG")
    );
    assert_eq!(w.sn.count("change_request"), before + 1);
}

#[tokio::test]
async fn acl_refusals_name_the_missing_role() {
    let w = World::new().await;
    let env = vec![
        ("SERVICENOW_INSTANCE_URL", w.mock.url().to_owned()),
        (
            "SERVICENOW_USERNAME",
            mock_servicenow::READ_ONLY_USER.to_owned(),
        ),
        (
            "SERVICENOW_PASSWORD",
            mock_servicenow::DEFAULT_PASSWORD.to_owned(),
        ),
    ];
    let client = w.stdio_env(&[], env, crate::legacy()).await;
    let (_, r) = client
        .call_confirmed("add_work_note", json!({"id": "INC0010001", "text": "x"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("403") && r.text.contains("ACL"),
        "{}",
        r.text
    );
}

async fn doctor(w: &World, user: &str) -> (bool, String) {
    let out = tokio::process::Command::new(crate::BIN)
        .arg("doctor")
        .env("SERVICENOW_INSTANCE_URL", w.mock.url())
        .env("SERVICENOW_USERNAME", user)
        .env("SERVICENOW_PASSWORD", mock_servicenow::DEFAULT_PASSWORD)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn doctor_checks_the_credential_and_names_the_basic_auth_trap() {
    let w = World::new().await;
    let (ok, text) = doctor(&w, mock_servicenow::DEFAULT_USERNAME).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("credential") && text.contains("--write-tables"),
        "{text}"
    );
    let (ok, text) = doctor(&w, mock_servicenow::NO_BASIC_USER).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("snc_platform_rest_api_access") && text.contains("OAuth"),
        "{text}"
    );
}
