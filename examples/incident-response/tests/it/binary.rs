//! The binary as a process: exit codes and what it prints.

use std::process::{Output, Stdio};

async fn run(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_incident-response"))
        .args(args)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn yes_completes_the_workflow_and_exits_zero() {
    let out = run(&["--yes"]).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for expected in [
        "[1] github · list_workflow_runs acme/api status=failure",
        "[4] servicenow · search_knowledge",
        "[5] servicenow · create_incident",
        "[6] jira · create_issue Bug",
        "[7] zapier · trigger_hook page-oncall",
        "Completed: 3 writes",
        "hash chain intact",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
}

#[tokio::test]
async fn an_injected_zapier_fault_prints_the_compensation_and_exits_two() {
    let out = run(&["--yes", "--inject-fault", "zapier"]).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for expected in [
        "fault    queued 10 × HTTP 503 for POST /hooks/catch/123456/pg0nc4ll/",
        "rollback · compensating 2 earlier write(s), newest first",
        "jira · add_comment",
        "jira · transition_issue",
        "servicenow · add_work_note",
        "servicenow · resolve_incident",
        "Rolled back: the on-call page failed",
        "4 compensation(s) went through, 0 left undone",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
}

#[tokio::test]
async fn without_a_terminal_or_yes_the_first_write_is_refused() {
    let out = run(&[]).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("stdin is not a terminal"), "{t}");
    assert!(t.contains("Stopped before any write"), "{t}");
}

#[tokio::test]
async fn bad_flags_are_named() {
    let out = run(&["--repo", "nope"]).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("--repo must be OWNER/NAME"), "{t}");
    let out = run(&["--inject-fault", "crm"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[tokio::test]
async fn config_points_the_binary_at_other_upstreams() {
    // Upstreams outside the binary's process: mocks in this test process,
    // reached through an mcp-suite config file, as real systems would be.
    let dir = tempfile::tempdir().unwrap();
    let mocks = mcp_suite::local::Mocks::start(dir.path()).await.unwrap();
    let config = dir.path().join("suite.toml");
    std::fs::write(&config, toml::to_string(&mocks.config()).unwrap()).unwrap();
    let incidents = mocks.servicenow.state.count("incident");
    let issues = mocks.jira.state.issue_count();

    let out = run(&["--yes", "--config", config.to_str().unwrap()]).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("(upstreams from "), "{t}");
    assert!(!t.contains("  mock "), "no built-in mocks: {t}");
    assert_eq!(mocks.servicenow.state.count("incident"), incidents + 1);
    assert_eq!(mocks.jira.state.issue_count(), issues + 1);
    assert_eq!(mocks.zapier.state.deliveries().len(), 1);

    // Fault injection needs the built-in mocks.
    let out = run(&[
        "--yes",
        "--inject-fault",
        "zapier",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("--inject-fault works on the built-in mocks only"),
        "{t}"
    );
    assert_eq!(mocks.zapier.state.deliveries().len(), 1);
    mocks.shutdown().await;
}
