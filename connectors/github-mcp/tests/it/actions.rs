//! Actions: listing workflows, dispatching one, re-running runs.

use connector_testkit::Client;
use serde_json::json;

use crate::{World, assert_names_field, assert_recovered, call_ok, call_preview};

#[tokio::test]
async fn list_workflows_pages() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = call_ok(
        &client,
        "list_workflows",
        json!({"owner": "acme", "repo": "api", "per_page": 2}),
    )
    .await;
    assert_eq!(r.structured["total_count"], 3, "{}", r.text);
    let first = r.structured["workflows"].as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(r.structured["next_cursor"], "2");
    let r = client
        .call(
            "list_workflows",
            json!({"owner": "acme", "repo": "api", "per_page": 2, "cursor": "2"}),
        )
        .await
        .unwrap();
    let second = r.structured["workflows"].as_array().unwrap();
    assert_eq!(second.len(), 1, "{}", r.text);
    assert!(r.structured.get("next_cursor").is_none());
    let paths: Vec<&str> = first
        .iter()
        .chain(second)
        .map(|wf| wf["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&".github/workflows/deploy.yml"), "{paths:?}");
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn dispatch_starts_a_run_after_confirmation() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let runs = w.gh.run_count();
    let args = json!({"owner": "acme", "repo": "api", "workflow": "deploy.yml", "ref": "main",
        "inputs": {"environment": "staging", "dry_run": true}});
    let preview = call_preview(&client, "dispatch_workflow", args.clone()).await;
    assert_eq!(preview.structured["preview"]["effect"], "send");
    assert!(
        preview.text.contains("Deploy") && preview.text.contains("staging"),
        "{}",
        preview.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    assert_eq!(w.gh.run_count(), runs);
    let mut confirmed = args;
    confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let done = client.call("dispatch_workflow", confirmed).await.unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    assert_eq!(w.gh.run_count(), runs + 1);
    let run_id = done.structured["result"]["run_id"].as_u64().unwrap();
    let run = w.gh.run("acme", "api", run_id).unwrap();
    assert_eq!(run.event, "workflow_dispatch");
    assert_eq!(run.head_branch, "main");
    assert_eq!(run.status, "queued");
    let post = &w.sent("POST", |p| p.ends_with("/dispatches"))[0];
    assert_eq!(
        post.body["inputs"]["environment"], "staging",
        "{}",
        post.body
    );
    assert_eq!(post.body["inputs"]["dry_run"], true);
}

#[tokio::test]
async fn a_dispatch_whose_answer_is_lost_is_found_not_run_twice() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let runs = w.gh.run_count();
    w.lose_answer("POST", "/repos/acme/api/actions/workflows/");
    let args = json!({"owner": "acme", "repo": "api", "workflow": "deploy.yml", "ref": "main"});
    let (_, done) = client
        .call_confirmed("dispatch_workflow", args)
        .await
        .unwrap();
    assert_recovered(&done);
    assert_eq!(w.gh.run_count(), runs + 1, "exactly one run");
    let run_id = done.structured["result"]["run_id"].as_u64().unwrap();
    let run = w.gh.run("acme", "api", run_id).unwrap();
    assert_eq!(run.event, "workflow_dispatch");
    let sent = w.sent("POST", |p| p.ends_with("/dispatches"));
    assert_eq!(sent.len(), 1, "the dispatch was not sent twice");
}

#[tokio::test]
async fn dispatch_errors_name_the_problem() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    // An input that is not a string, number or boolean.
    let r = client
        .call(
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "api", "workflow": "ci.yml", "ref": "main",
                "inputs": {"matrix": {"os": "linux"}}}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("inputs.matrix"), "{}", r.text);
    // No ref.
    let r = client
        .call(
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "api", "workflow": "ci.yml"}),
        )
        .await;
    assert_names_field(r, "ref");
    // An unknown workflow: GitHub's 404, before any preview.
    let r = client
        .call(
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "api", "workflow": "nope.yml", "ref": "main"}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("404"), "{}", r.text);
    // A workflow without a workflow_dispatch trigger: GitHub's 422 in words.
    let (_, done) = client
        .call_confirmed(
            "dispatch_workflow",
            json!({"owner": "acme", "repo": "api", "workflow": "codeql.yml", "ref": "main"}),
        )
        .await
        .unwrap();
    assert!(done.is_error, "{}", done.text);
    assert!(done.text.contains("workflow_dispatch"), "{}", done.text);
    assert!(w.writes().iter().all(|r| r.ends_with("/dispatches")));
}

#[tokio::test]
async fn rerun_the_failed_jobs_or_the_whole_run() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let failed = failed_ci_run(&client).await;
    let before = w.gh.run("acme", "api", failed).unwrap();
    let passed_jobs: Vec<String> = before
        .jobs
        .iter()
        .filter(|j| j.2.as_deref() == Some("success"))
        .map(|j| j.0.clone())
        .collect();
    assert!(!passed_jobs.is_empty(), "{before:?}");

    let (preview, done) = client
        .call_confirmed(
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": failed, "failed_only": true}),
        )
        .await
        .unwrap();
    assert!(preview.text.contains("failed jobs"), "{}", preview.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let after = w.gh.run("acme", "api", failed).unwrap();
    assert_eq!(after.run_attempt, before.run_attempt + 1);
    assert_eq!(after.status, "queued");
    for (name, status, conclusion) in &after.jobs {
        if passed_jobs.contains(name) {
            assert_eq!(conclusion.as_deref(), Some("success"), "{name} kept");
        } else {
            assert_eq!(status, "queued", "{name} re-run");
        }
    }
    assert!(
        w.writes()
            .iter()
            .any(|r| r.ends_with(&format!("/runs/{failed}/rerun-failed-jobs"))),
        "{:?}",
        w.writes()
    );
    // A queued run cannot be re-run again: refused before a preview.
    let r = client
        .call(
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": failed}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("completed"), "{}", r.text);

    // The whole run of a successful one.
    let r = client
        .call(
            "list_workflow_runs",
            json!({"owner": "acme", "repo": "api", "status": "success"}),
        )
        .await
        .unwrap();
    let ok = r.structured["runs"][0]["id"].as_u64().unwrap();
    let r = client
        .call(
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": ok, "failed_only": true}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("failed_only"), "{}", r.text);
    let before = w.gh.run("acme", "api", ok).unwrap();
    let (_, done) = client
        .call_confirmed(
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": ok}),
        )
        .await
        .unwrap();
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let after = w.gh.run("acme", "api", ok).unwrap();
    assert_eq!(after.run_attempt, before.run_attempt + 1);
    assert!(after.jobs.iter().all(|j| j.1 == "queued"), "{after:?}");
}

#[tokio::test]
async fn a_rerun_whose_answer_is_lost_is_found_not_run_twice() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let failed = failed_ci_run(&client).await;
    let before = w.gh.run("acme", "api", failed).unwrap();
    w.lose_answer("POST", "/repos/acme/api/actions/runs/");
    let (_, done) = client
        .call_confirmed(
            "rerun_workflow",
            json!({"owner": "acme", "repo": "api", "run_id": failed}),
        )
        .await
        .unwrap();
    assert_recovered(&done);
    let after = w.gh.run("acme", "api", failed).unwrap();
    assert_eq!(after.run_attempt, before.run_attempt + 1, "one new attempt");
    let sent = w.sent("POST", |p| p.ends_with("/rerun"));
    assert_eq!(sent.len(), 1, "the re-run was not sent twice");
}

/// The id of a failed `ci.yml` run, as `list_workflow_runs` finds it.
async fn failed_ci_run(client: &Client) -> u64 {
    let r = call_ok(
        client,
        "list_workflow_runs",
        json!({"owner": "acme", "repo": "api", "workflow": "ci.yml", "status": "failure"}),
    )
    .await;
    r.structured["runs"][0]["id"].as_u64().unwrap()
}
