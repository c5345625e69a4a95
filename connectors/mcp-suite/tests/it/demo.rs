//! `mcp-suite demo --no-serve`: the README's first command completes the tour
//! (Jira files the bug, then Zapier pages the on-call).

use crate::{run, stderr, stdout};

#[tokio::test]
async fn demo_tour_files_the_bug_and_the_mock_receives_the_page() {
    let out = run(&["demo", "--no-serve", "--listen", "127.0.0.1:0"]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "demo failed: {}\nstdout:\n{text}\nstderr:\n{}",
        out.status,
        stderr(&out)
    );
    for expected in [
        // Jira: look at what is open, then file the bug with the approval in the middle.
        "[1] jira · search_issues",
        "project = OPS AND statusCategory != Done",
        "[2] jira · get_create_fields",
        "required customfield_10010  Severity   one of Critical, Major, Minor",
        "[3] jira · create_issue \"Deploy failing: health check timeout\": first call, a preview only",
        "customfield_10010: {\"value\":\"Critical\"}",
        "nothing is created before approval",
        "[4] jira · create_issue again, with the token",
        "[5] jira · get_issue OPS-",
        "Bug · To Do · Highest · Deploy failing: health check timeout",
        "description (Markdown): The **checkout-api** deploy",
        "severity Critical",
        // Zapier: page the on-call, mentioning the new bug.
        "[6] zapier · list_hooks",
        "page-oncall",
        "notify-channel",
        "[7] zapier · trigger_hook",
        "confirmation_required",
        "nothing is sent before approval",
        "[8] zapier · trigger_hook again, with the token",
        "step a human approves",
        "status:  executed",
        "[9] zapier · list_deliveries",
        "confirmed via token",
        "[10] zapier · what mock Zapier actually received",
        "delivery received: hook 123456/pg0nc4ll",
        "\"severity\":\"critical\"",
        "Tour complete",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.contains("/zapier/mcp"), "{text}");
    assert!(text.contains("/jira/mcp"), "{text}");
    // The bug exists in the mock (checked there, in process, by the demo) and
    // the page that follows mentions its key.
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
        text.contains(&format!("(CI run failed), {key}\"")),
        "the page mentions {key}:\n{text}"
    );
    // Jira comes before Zapier: the tour ends with paging the on-call.
    assert!(text.find("· create_issue").unwrap() < text.find("· trigger_hook").unwrap());
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
            && inspector.contains("/jira/mcp --method tools/list"),
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
