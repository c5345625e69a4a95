//! Reads against the mock: paging, diffs, logs, files, GHES.

use serde_json::json;

use crate::{World, call_ok};

#[tokio::test]
async fn list_issues_pages_through_the_link_header() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let mut cursor: Option<String> = None;
    let mut seen = std::collections::BTreeSet::new();
    let mut plain_issues = 0u64;
    let mut pages = 0;
    loop {
        let mut args = json!({"owner": "acme", "repo": "api", "state": "all", "per_page": 10});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = call_ok(&client, "list_issues", args).await;
        pages += 1;
        for i in r.structured["issues"].as_array().unwrap() {
            assert!(seen.insert(i["number"].as_u64().unwrap()), "duplicate {i}");
            if i.get("pull_request").is_none() {
                plain_issues += 1;
            }
        }
        match r.structured["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 20, "runaway paging");
    }
    assert!(pages >= 3, "only {pages} pages");
    // GitHub's issue list includes pull requests (marked `pull_request`).
    assert_eq!(plain_issues, mock_github::API_ISSUES);
    assert!(seen.len() as u64 > plain_issues);
    let asked: Vec<String> = w
        .kit
        .requests()
        .into_iter()
        .filter(|r| r.path == "/repos/acme/api/issues")
        .filter_map(|r| r.query)
        .collect();
    assert!(asked.iter().any(|q| q.contains("page=3")), "{asked:?}");
}

#[tokio::test]
async fn the_huge_pr_diff_comes_in_pages_under_the_budget() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let mut cursor: Option<String> = None;
    let mut files = 0usize;
    let mut calls = 0;
    loop {
        let mut args = json!({"owner": "acme", "repo": "api", "number": mock_github::HUGE_PR, "max_lines": 500});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = call_ok(&client, "get_pull_request_diff", args).await;
        calls += 1;
        let lines = r.structured["lines"].as_u64().unwrap();
        assert!(lines <= 500, "{lines} lines over the budget");
        assert!(
            r.structured["diff"].as_str().unwrap().lines().count() <= 500,
            "diff text over the budget"
        );
        assert_eq!(r.structured["first_file"].as_u64().unwrap() as usize, files);
        files += r.structured["files"].as_array().unwrap().len();
        match r.structured["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(calls < 500, "runaway paging");
    }
    assert!(calls > 1, "one call for a huge diff");
    assert_eq!(files, mock_github::HUGE_PR_FILES);
    // Never the diff media type, which answers 406 for this PR.
    assert!(
        w.kit
            .requests()
            .iter()
            .all(|r| r.headers.get("accept").is_none_or(|a| !a.contains("diff"))),
    );
    // The files list pages too.
    let r = client
        .call(
            "get_pull_request_files",
            json!({"owner": "acme", "repo": "api", "number": mock_github::HUGE_PR, "per_page": 100}),
        )
        .await
        .unwrap();
    assert_eq!(r.structured["files"].as_array().unwrap().len(), 100);
    assert_eq!(r.structured["next_cursor"], "2");
}

#[tokio::test]
async fn a_failed_run_leads_to_the_tail_of_its_log() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = call_ok(
        &client,
        "list_workflow_runs",
        json!({"owner": "acme", "repo": "api", "status": "failure"}),
    )
    .await;
    let runs = r.structured["runs"].as_array().unwrap();
    assert!(!runs.is_empty(), "{}", r.text);
    let run_id = runs[0]["id"].as_u64().unwrap();
    let r = call_ok(
        &client,
        "get_workflow_run",
        json!({"owner": "acme", "repo": "api", "run_id": run_id}),
    )
    .await;
    let jobs = r.structured["jobs"].as_array().unwrap();
    let failed = jobs
        .iter()
        .find(|j| j["conclusion"] == "failure")
        .unwrap_or_else(|| panic!("no failed job: {}", r.text));
    assert!(
        !failed["failed_steps"].as_array().unwrap().is_empty(),
        "{failed}"
    );
    let r = call_ok(
        &client,
        "get_job_logs",
        json!({"owner": "acme", "repo": "api", "job_id": failed["id"], "tail_lines": 50}),
    )
    .await;
    assert_eq!(r.structured["lines"], 50);
    assert_eq!(r.structured["truncated"], true);
    assert!(
        r.structured["total_lines"].as_u64().unwrap() >= mock_github::FAILED_LOG_LINES as u64,
        "{}",
        r.structured["total_lines"]
    );
}

#[tokio::test]
async fn ghes_prefix_works() {
    let w = World::ghes().await;
    let client = w.stdio(&[]).await;
    let r = call_ok(
        &client,
        "get_repository",
        json!({"owner": "acme", "repo": "api"}),
    )
    .await;
    assert_eq!(r.structured["full_name"], "acme/api");
    let r = call_ok(
        &client,
        "list_issues",
        json!({"owner": "acme", "repo": "api", "per_page": 5}),
    )
    .await;
    assert_eq!(r.structured["next_cursor"], "2");
    call_ok(
        &client,
        "get_issue",
        json!({"owner": "acme", "repo": "api", "number": 1}),
    )
    .await;
    assert!(
        w.kit
            .requests()
            .iter()
            .filter(|r| !r.path.starts_with("/__admin"))
            .all(|r| r.path.starts_with("/api/v3/")),
        "{:?}",
        w.kit.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    // Every request names GitHub's media type and REST API version, each once.
    for r in w
        .kit
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/__admin"))
    {
        assert_eq!(
            r.headers.get("x-github-api-version").map(String::as_str),
            Some("2022-11-28"),
            "{} {}",
            r.method,
            r.path
        );
        assert!(
            r.headers
                .get("accept")
                .is_some_and(|a| a.starts_with("application/vnd.github")),
            "{} {}: {:?}",
            r.method,
            r.path,
            r.headers.get("accept")
        );
    }
}

#[tokio::test]
async fn files_directories_issues_pulls_and_search() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = call_ok(
        &client,
        "get_file_contents",
        json!({"owner": "acme", "repo": "api", "path": ""}),
    )
    .await;
    assert_eq!(r.structured["type"], "dir");
    let file = r.structured["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "file")
        .unwrap_or_else(|| panic!("no file at the root: {}", r.text))["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call_ok(
        &client,
        "get_file_contents",
        json!({"owner": "acme", "repo": "api", "path": file, "max_chars": 1000}),
    )
    .await;
    assert_eq!(r.structured["type"], "file");
    assert!(r.structured["text"].as_str().unwrap().chars().count() <= 1000);

    let r = call_ok(
        &client,
        "list_commits",
        json!({"owner": "acme", "repo": "api", "per_page": 10}),
    )
    .await;
    assert_eq!(r.structured["commits"].as_array().unwrap().len(), 10);
    assert_eq!(r.structured["next_cursor"], "2");
    let r = call_ok(
        &client,
        "get_pull_request",
        json!({"owner": "acme", "repo": "api", "number": mock_github::MERGEABLE_PR}),
    )
    .await;
    assert_eq!(r.structured["number"], mock_github::MERGEABLE_PR);
    assert!(
        r.structured["checks"]["total"].as_u64().is_some(),
        "{}",
        r.text
    );
    let r = call_ok(
        &client,
        "list_pull_requests",
        json!({"owner": "acme", "repo": "api", "state": "all"}),
    )
    .await;
    assert!(!r.structured["pull_requests"].as_array().unwrap().is_empty());

    let r = call_ok(
        &client,
        "search_issues",
        json!({"query": "repo:acme/api is:issue is:open", "per_page": 5}),
    )
    .await;
    let first = &r.structured["issues"][0];
    let id = format!("{}#{}", first["repo"].as_str().unwrap(), first["number"]);
    call_ok(
        &client,
        "search",
        json!({"query": "repo:acme/api is:issue"}),
    )
    .await;
    let r = call_ok(&client, "fetch", json!({"id": id})).await;
    assert!(r.structured["text"].as_str().unwrap().contains("untrusted"));
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[tokio::test]
async fn a_revoked_token_says_so() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    w.gh.revoke_token(mock_github::DEFAULT_TOKEN);
    let r = client
        .call("get_repository", json!({"owner": "acme", "repo": "api"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("401") && r.text.contains("GITHUB_TOKEN"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn validation_errors_list_the_fields() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = client
        .call(
            "list_issues",
            json!({"owner": "acme", "repo": "nope-not-here"}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(r.text.contains("404"), "{}", r.text);
}

#[tokio::test]
async fn search_code_pages_through_results() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let args = json!({"query": "fn repo:acme/api extension:rs", "per_page": 2});
    let r = call_ok(&client, "search_code", args.clone()).await;
    let total = r.structured["total_count"].as_u64().unwrap();
    assert!(total > 2, "{}", r.text);
    let first = r.structured["results"].as_array().unwrap().clone();
    assert_eq!(first.len(), 2);
    for hit in &first {
        assert_eq!(hit["repo"], "acme/api", "{hit}");
        assert!(hit["path"].as_str().unwrap().ends_with(".rs"), "{hit}");
        assert!(hit["url"].as_str().unwrap().contains("/blob/"), "{hit}");
    }
    assert_eq!(r.structured["next_cursor"], "2");
    // Each hit carries the matched line (GitHub's text-match media type).
    for hit in &first {
        let fragments = hit["fragments"].as_array().unwrap();
        assert!(
            fragments.iter().any(|f| f.as_str().unwrap().contains("fn")),
            "{hit}"
        );
    }
    let mut next = args;
    next["cursor"] = json!("2");
    let r = call_ok(&client, "search_code", next).await;
    let second = r.structured["results"].as_array().unwrap();
    assert!(!second.is_empty());
    assert!(
        second.iter().all(|h| !first.contains(h)),
        "page 2 repeats page 1"
    );
    let asked: Vec<String> = w
        .kit
        .requests()
        .into_iter()
        .filter(|r| r.path == "/search/code")
        .filter_map(|r| r.query)
        .collect();
    assert!(asked.iter().any(|q| q.contains("page=2")), "{asked:?}");
    // A query GitHub rejects (no search term) comes back as a 422 in words.
    let r = client
        .call("search_code", json!({"query": "repo:acme/api"}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("422"), "{}", r.text);
    assert!(w.writes().is_empty());
}
