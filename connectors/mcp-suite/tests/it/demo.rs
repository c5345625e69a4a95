//! `mcp-suite demo --no-serve`: the README's first command completes the tour
//! (GitHub finds the failed CI run and its error, ServiceNow opens the
//! incident, Jira files the bug, Zapier pages the on-call, the CRM shows the
//! affected account).

use crate::{run, stderr, stdout};

#[tokio::test]
async fn demo_tour_opens_the_incident_files_the_bug_and_pages() {
    let out = run(&["demo", "--no-serve", "--listen", "127.0.0.1:0"]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "demo failed: {}\nstdout:\n{text}\nstderr:\n{}",
        out.status,
        stderr(&out)
    );
    for expected in [
        // GitHub: the newest failed Actions run, its failed job and step, the log's error.
        "[1] github · list_workflow_runs acme/api status=failure",
        "(newest failure: run ",
        "[2] github · get_workflow_run ",
        "failure  failed step: Deploy to staging",
        "[3] github · get_job_logs ",
        "tail_lines=20: the end of the failed job's log",
        "20 of ",
        "| ##[error]Process completed with exit code 1.",
        "error line: Error: deployment failed: health check on https://staging.acme.example/health timed out",
        // ServiceNow: is it a known issue? Then open the incident, approved in the middle.
        "[4] servicenow · search_knowledge \"health check timeout\"",
        "Known issue: failing deploy rolls back after health check timeout",
        "is a known issue with a workaround",
        "[5] servicenow · create_incident \"checkout-api deploy failing: health check timeout\": first call, a preview only",
        "mock ServiceNow holds",
        "[6] servicenow · create_incident again, with the token",
        "[7] servicenow · get_incident INC",
        "description cites: Failed CI run: http://127.0.0.1:",
        "description: … Possibly the known issue KB",
        // Jira: look at what is open, then file the bug with the approval in the middle.
        "[8] jira · search_issues",
        "project = OPS AND statusCategory != Done",
        "[9] jira · get_create_fields",
        "required customfield_10010  Severity   one of Critical, Major, Minor",
        "[10] jira · create_issue \"Deploy failing: health check timeout\": first call, a preview only",
        "customfield_10010: {\"value\":\"Critical\"}",
        "nothing is created before approval",
        "[11] jira · create_issue again, with the token",
        "[12] jira · get_issue OPS-",
        "Bug · To Do · Highest · Deploy failing: health check timeout",
        "description (Markdown): The **checkout-api** deploy",
        "severity Critical",
        // Zapier: page the on-call, mentioning the incident and the new bug.
        "[13] zapier · list_hooks",
        "page-oncall",
        "notify-channel",
        "[14] zapier · trigger_hook",
        "confirmation_required",
        "nothing is sent before approval",
        "[15] zapier · trigger_hook again, with the token",
        "step a human approves",
        "status:  executed",
        "[16] zapier · list_deliveries",
        "confirmed via token",
        "[17] zapier · what mock Zapier actually received",
        "delivery received: hook 123456/pg0nc4ll",
        "\"severity\":\"critical\"",
        // CRM: who is affected by the outage.
        "[18] crm · account_summary \"Acme Corp\": who is affected",
        "company:  Acme Corp (id 1001",
        "contacts: 6 (",
        "open deals at risk: 3",
        "At Risk",
        "Tour complete: 18 steps",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for path in [
        "/github/mcp",
        "/servicenow/mcp",
        "/jira/mcp",
        "/zapier/mcp",
        "/crm/mcp",
    ] {
        assert!(text.contains(path), "{path} in:\n{text}");
    }
    // The newest failed run: the one get_workflow_run opens, whose link the
    // incident cites and whose id the page mentions.
    let run_id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("(newest failure: run "))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("the demo did not pick a failed run:\n{text}"));
    assert!(run_id.parse::<u64>().is_ok(), "{run_id}");
    assert!(
        text.contains(&format!(
            "get_workflow_run {run_id}: which job and step failed"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("/acme/api/actions/runs/{run_id}")),
        "the incident cites run {run_id}:\n{text}"
    );
    // The incident exists in mock ServiceNow (checked there, in process, by
    // the demo) and the bug and the page that follow mention its number.
    let incident = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("mock ServiceNow now holds "))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| {
            panic!("the demo did not read the incident back from the mock:\n{text}")
        });
    assert!(incident.starts_with("INC"), "{incident}");
    assert!(
        text.contains(&format!("created {incident} (http://127.0.0.1:")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "(the account team can now reach out about {incident}"
        )),
        "{text}"
    );
    // The bug exists in the mock (checked there, in process, by the demo) and
    // the page that follows mentions the incident and the bug.
    let key = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("mock Jira now holds "))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("the demo did not read the bug back from the mock:\n{text}"));
    assert!(key.starts_with("OPS-"), "{key}");
    assert!(
        text.contains(&format!("created {key} (http://127.0.0.1:")),
        "{text}"
    );
    assert!(
        text.contains(&format!("(CI run {run_id} failed), {incident}, {key}\"")),
        "the page mentions run {run_id}, {incident} and {key}:\n{text}"
    );
    // The workflow's order: failed run, incident, bug, page, then the
    // affected account.
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} in:\n{text}"));
    assert!(at("· list_workflow_runs") < at("· get_workflow_run"));
    assert!(at("· get_workflow_run") < at("· get_job_logs"));
    assert!(at("· get_job_logs") < at("· search_knowledge"));
    assert!(at("· get_job_logs") < at("· create_incident"));
    assert!(at("· create_incident") < at("· create_issue"));
    assert!(at("· create_issue") < at("· trigger_hook"));
    assert!(at("· trigger_hook") < at("· account_summary"));
    // No giant dumps: every line stays readable.
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}

#[tokio::test]
async fn demo_keeps_serving_and_prints_the_inspector_command() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(crate::BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let inspector = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("npx ") {
                return line;
            }
        }
        panic!("the demo ended without printing the Inspector command");
    })
    .await
    .expect("the Inspector command within 60 s");
    assert!(
        inspector.contains("@modelcontextprotocol/inspector@2.12.0 --cli http://127.0.0.1:")
            && inspector.contains("/github/mcp --method tools/list"),
        "{inspector}"
    );
    let url = inspector
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    let client = connector_testkit::Client::http(url, None, Default::default())
        .await
        .unwrap();
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    let _ = child.kill().await;
}
