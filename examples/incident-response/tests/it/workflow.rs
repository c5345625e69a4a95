//! The workflow against the mocks, with scripted approvals.

use incident_response::approve::Scripted;
use incident_response::saga::{CLOSE_CODE, CLOSE_RESOLUTION, Done};
use incident_response::workflow::{self, Outcome, Params};
use incident_response::{Env, FaultTarget};
use mcp_suite::incident::{BUG_SUMMARY, INCIDENT_SUMMARY};
use mcp_suite::local::PAGE_HOOK_PATH;
use serde_json::Value;

use crate::{mocks, upstream_writes, writes};

/// Runs the workflow with `approver`; returns the outcome and what it printed.
async fn run(env: &Env, approver: &mut Scripted) -> (Outcome, String) {
    let mut out = Vec::new();
    let outcome = workflow::run(
        &env.endpoints().unwrap(),
        &Params::default(),
        approver,
        &mut out,
    )
    .await
    .unwrap();
    (outcome, String::from_utf8(out).unwrap())
}

fn incident_sys_id(env: &Env, number: &str) -> String {
    let rows = mocks(env)
        .servicenow
        .state
        .query("incident", &format!("number={number}"));
    assert_eq!(rows.len(), 1, "{number}: {rows:?}");
    rows[0]["sys_id"].as_str().unwrap().to_owned()
}

fn work_notes(env: &Env, number: &str) -> Vec<String> {
    let sys_id = incident_sys_id(env, number);
    mocks(env)
        .servicenow
        .state
        .query(
            "sys_journal_field",
            &format!("element_id={sys_id}^element=work_notes"),
        )
        .iter()
        .filter_map(|r| r["value"].as_str().map(str::to_owned))
        .collect()
}

fn done_ids(done: &[Done]) -> (String, String) {
    let [Done::Incident { number }, Done::JiraBug { key }, ..] = done else {
        panic!("expected an incident and a bug first: {done:?}");
    };
    (number.clone(), key.clone())
}

#[tokio::test]
async fn happy_path_creates_exactly_one_incident_one_bug_and_one_page() {
    let env = Env::with_mocks(None).await.unwrap();
    let m = mocks(&env);
    let incidents = m.servicenow.state.count("incident");
    let issues = m.jira.state.issue_count();

    let mut approver = Scripted::new([true; 3]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::Completed { done } = &outcome else {
        panic!("expected completion, got {outcome:?}\n{text}");
    };
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(done.len(), 3, "{done:?}");
    let (number, key) = done_ids(done);

    // Exactly one of each reached the upstreams.
    assert_eq!(m.servicenow.state.count("incident"), incidents + 1);
    assert_eq!(m.jira.state.issue_count(), issues + 1);
    let deliveries = m.zapier.state.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(
        writes(m.servicenow.kit.requests()),
        ["POST /api/now/table/incident"]
    );
    assert_eq!(writes(m.jira.kit.requests()), ["POST /rest/api/3/issue"]);
    assert_eq!(
        writes(m.zapier.kit.requests()),
        [format!("POST {PAGE_HOOK_PATH}")]
    );

    // Each record is the one the workflow meant, citing the others.
    let stored = &m
        .servicenow
        .state
        .query("incident", &format!("number={number}"))[0];
    assert_eq!(stored["short_description"], INCIDENT_SUMMARY);
    assert!(
        stored["description"]
            .as_str()
            .unwrap()
            .contains("CI error: Error: deployment failed: health check"),
        "{stored}"
    );
    let bug = m.jira.state.issue(&key).unwrap();
    assert_eq!(bug["summary"], BUG_SUMMARY);
    assert_eq!(bug["status"], "To Do");
    assert_eq!(bug["severity"], "Critical");
    let page = deliveries[0].body["summary"].as_str().unwrap();
    assert!(page.contains(&number) && page.contains(&key), "{page}");
    assert_eq!(deliveries[0].body["severity"], "critical");

    // The approver saw each write once, none of them a compensation.
    let asked: Vec<(&str, &str)> = approver
        .asked
        .iter()
        .map(|(p, _)| (p.connector, p.tool.as_str()))
        .collect();
    assert_eq!(
        asked,
        [
            ("servicenow", "create_incident"),
            ("jira", "create_issue"),
            ("zapier", "trigger_hook")
        ]
    );
    assert!(approver.asked.iter().all(|(p, _)| !p.compensation));
    assert!(
        text.contains("[8] done · every write went through"),
        "{text}"
    );
    env.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_page_closes_the_bug_with_a_comment_and_notes_and_resolves_the_incident() {
    let env = Env::with_mocks(None).await.unwrap();
    env.inject_fault(FaultTarget::Zapier).await.unwrap();
    let m = mocks(&env);

    let mut approver = Scripted::new([true; 7]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::RolledBack {
        reason,
        done,
        compensated,
        left,
    } = &outcome
    else {
        panic!("expected a rollback, got {outcome:?}\n{text}");
    };
    assert_eq!(outcome.exit_code(), 2);
    assert!(reason.starts_with("the on-call page failed"), "{reason}");
    assert!(reason.contains("503"), "{reason}");
    assert_eq!(done.len(), 2, "{done:?}");
    assert_eq!(compensated.len(), 4, "{compensated:?}");
    assert!(left.is_empty(), "{left:?}");
    let (number, key) = done_ids(done);

    // No page: Zapier refused every attempt, so nothing was delivered.
    assert!(m.zapier.state.deliveries().is_empty());
    let attempts = env.faulted_requests(FaultTarget::Zapier).await.unwrap();
    assert!(
        attempts >= 2,
        "the connector retried: {attempts} attempt(s)"
    );

    // The Jira bug: a comment saying why, then closed.
    let bug = m.jira.state.issue(&key).unwrap();
    assert_eq!(bug["status"], "Done", "{bug}");
    assert_eq!(bug["resolution"], CLOSE_RESOLUTION, "{bug}");
    assert_eq!(bug["comments"], 1, "{bug}");
    let comment_posts: Vec<Value> = m
        .jira
        .kit
        .requests_with_prefix(&format!("/rest/api/3/issue/{key}/comment"))
        .into_iter()
        .filter(|r| r.method == "POST" && r.status == 201)
        .map(|r| r.body)
        .collect();
    assert_eq!(comment_posts.len(), 1, "{comment_posts:?}");
    let comment = comment_posts[0].to_string();
    assert!(
        comment.contains("Rolled back by incident-response") && comment.contains("503"),
        "{comment}"
    );

    // The incident: a work note saying why, then resolved.
    let notes = work_notes(&env, &number);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("Rolled back by incident-response")
            && notes[0].contains(&key)
            && notes[0].contains("503"),
        "{}",
        notes[0]
    );
    let stored = &m
        .servicenow
        .state
        .query("incident", &format!("number={number}"))[0];
    assert_eq!(stored["state"], "6", "{stored}");
    assert_eq!(stored["close_code"], CLOSE_CODE, "{stored}");

    // Every compensation was its own confirmed write, newest first.
    let asked: Vec<(&str, &str, bool)> = approver
        .asked
        .iter()
        .map(|(p, _)| (p.connector, p.tool.as_str(), p.compensation))
        .collect();
    assert_eq!(
        asked,
        [
            ("servicenow", "create_incident", false),
            ("jira", "create_issue", false),
            ("zapier", "trigger_hook", false),
            ("jira", "add_comment", true),
            ("jira", "transition_issue", true),
            ("servicenow", "add_work_note", true),
            ("servicenow", "resolve_incident", true),
        ]
    );
    for step in [
        "rollback · compensating 2 earlier write(s), newest first",
        &format!("compensated: comment on {key}"),
        &format!("compensated: close {key}"),
        &format!("compensated: work note on {number}"),
        &format!("compensated: resolve {number}"),
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    env.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_denial_of_the_first_write_stops_before_any_write() {
    let env = Env::with_mocks(None).await.unwrap();
    let m = mocks(&env);
    let incidents = m.servicenow.state.count("incident");
    let issues = m.jira.state.issue_count();

    let mut approver = Scripted::new([false]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::RolledBack {
        reason,
        done,
        compensated,
        left,
    } = &outcome
    else {
        panic!("expected a stop, got {outcome:?}\n{text}");
    };
    assert_ne!(outcome.exit_code(), 0);
    assert_eq!(reason, "the ServiceNow incident was declined");
    assert!(done.is_empty() && compensated.is_empty() && left.is_empty());
    assert_eq!(approver.asked.len(), 1);

    // Nothing but reads reached any upstream.
    assert_eq!(upstream_writes(m), Vec::<String>::new());
    assert_eq!(m.servicenow.state.count("incident"), incidents);
    assert_eq!(m.jira.state.issue_count(), issues);
    assert!(m.zapier.state.deliveries().is_empty());
    assert!(text.contains("declined: nothing was sent"), "{text}");
    env.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_denial_after_the_incident_compensates_it_and_writes_nothing_else() {
    let env = Env::with_mocks(None).await.unwrap();
    let m = mocks(&env);
    let issues = m.jira.state.issue_count();

    // Yes to the incident, no to the bug, yes to both compensations.
    let mut approver = Scripted::new([true, false, true, true]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::RolledBack { reason, done, .. } = &outcome else {
        panic!("expected a rollback, got {outcome:?}\n{text}");
    };
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(reason, "the Jira bug was declined");
    let [Done::Incident { number }] = done.as_slice() else {
        panic!("{done:?}");
    };
    assert_eq!(m.jira.state.issue_count(), issues);
    assert_eq!(writes(m.jira.kit.requests()), Vec::<String>::new());
    assert!(m.zapier.state.deliveries().is_empty());
    let notes = work_notes(&env, number);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("the Jira bug was declined"),
        "{}",
        notes[0]
    );
    let stored = &m
        .servicenow
        .state
        .query("incident", &format!("number={number}"))[0];
    assert_eq!(stored["state"], "6", "{stored}");
    env.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_declined_compensation_is_reported_and_leaves_that_record_alone() {
    let env = Env::with_mocks(None).await.unwrap();
    env.inject_fault(FaultTarget::Zapier).await.unwrap();
    let m = mocks(&env);

    // The three writes, then: no to the Jira comment, yes to the rest.
    let mut approver = Scripted::new([true, true, true, false, true, true, true]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::RolledBack {
        done,
        compensated,
        left,
        ..
    } = &outcome
    else {
        panic!("expected a rollback, got {outcome:?}\n{text}");
    };
    assert_eq!(outcome.exit_code(), 3);
    assert_eq!(compensated.len(), 3, "{compensated:?}");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("declined"), "{left:?}");
    let (_, key) = done_ids(done);
    let bug = m.jira.state.issue(&key).unwrap();
    assert_eq!(bug["comments"], 0, "{bug}");
    assert_eq!(bug["status"], "Done", "{bug}");
    assert!(text.contains("NOT compensated (declined)"), "{text}");
    env.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_bug_compensates_only_the_incident() {
    let env = Env::with_mocks(None).await.unwrap();
    env.inject_fault(FaultTarget::Jira).await.unwrap();
    let m = mocks(&env);
    let issues = m.jira.state.issue_count();

    let mut approver = Scripted::new([true; 4]);
    let (outcome, text) = run(&env, &mut approver).await;
    let Outcome::RolledBack {
        reason,
        done,
        compensated,
        ..
    } = &outcome
    else {
        panic!("expected a rollback, got {outcome:?}\n{text}");
    };
    assert!(reason.starts_with("the Jira bug failed"), "{reason}");
    let [Done::Incident { number }] = done.as_slice() else {
        panic!("{done:?}");
    };
    assert_eq!(compensated.len(), 2, "{compensated:?}");
    assert_eq!(m.jira.state.issue_count(), issues);
    assert!(m.zapier.state.deliveries().is_empty());
    assert_eq!(work_notes(&env, number).len(), 1);
    env.shutdown().await.unwrap();
}
