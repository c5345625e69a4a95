//! mock-github over 127.0.0.1, driven the way a GitHub client drives GitHub.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mock_github::{
    CONFLICTING_PR, DEFAULT_TOKEN, FAILED_LOG_LINES, HUGE_PR, HUGE_PR_FILES, MERGEABLE_PR,
    MockGitHub, Options, spawn_with_handles,
};
use mock_kit::{Fault, MockKit, Served};
use reqwest::header::{HeaderMap, LINK};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

struct GitHub {
    served: Served,
    kit: MockKit,
    state: MockGitHub,
    client: reqwest::Client,
    token: String,
}

async fn start(options: Options) -> GitHub {
    let (served, kit, state) = spawn_with_handles(options).await.unwrap();
    GitHub {
        served,
        kit,
        state,
        client: reqwest::Client::new(),
        token: DEFAULT_TOKEN.to_owned(),
    }
}

/// Options with per-user tokens `tok-<login>` for bob and dave.
fn with_user_tokens() -> Options {
    Options {
        user_tokens: BTreeMap::from([
            ("tok-bob".to_owned(), "bob".to_owned()),
            ("tok-dave".to_owned(), "dave".to_owned()),
        ]),
        ..Options::default()
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl GitHub {
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.served.url())
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("accept", "application/vnd.github+json")
    }

    async fn get(&self, path: &str) -> Answer {
        send(self.request(Method::GET, path)).await
    }

    async fn send_json(&self, method: Method, path: &str, body: Value) -> Answer {
        send(self.request(method, path).json(&body)).await
    }
}

impl GitHub {
    async fn get_as(&self, token: &str, path: &str) -> Answer {
        send(self.client.get(self.url(path)).bearer_auth(token)).await
    }

    async fn send_as(&self, token: &str, method: Method, path: &str, body: Value) -> Answer {
        send(
            self.client
                .request(method, self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }
}

async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The URL of the `rel` link, if any.
fn link(answer: &Answer, rel: &str) -> Option<String> {
    let value = answer.headers.get(LINK)?.to_str().ok()?;
    value.split(", ").find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .contains(&format!("rel=\"{rel}\""))
            .then(|| url.trim().trim_matches(['<', '>']).to_owned())
    })
}

fn jwt() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(br#"{"iat":1700000000,"exp":1700000600,"iss":"12345"}"#);
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[tokio::test]
async fn credentials_scopes_and_installation_tokens() {
    let gh = start(Options::default()).await;
    let missing = send(gh.client.get(gh.url("/user"))).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["message"], "Requires authentication");
    let bad = gh.get_as("nope", "/user").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.body["message"], "Bad credentials");
    assert!(bad.body["documentation_url"].is_string());

    // `token` scheme, scopes header, the authenticated user.
    let me = send(
        gh.client
            .get(gh.url("/user"))
            .header("authorization", format!("token {DEFAULT_TOKEN}")),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["login"], "alice");
    assert_eq!(header(&me, "x-oauth-scopes"), "repo, workflow");

    // A GitHub App: JWT -> installation token -> API.
    let not_jwt = gh
        .send_as(
            DEFAULT_TOKEN,
            Method::POST,
            "/app/installations/42/access_tokens",
            json!({}),
        )
        .await;
    assert_eq!(not_jwt.status, StatusCode::UNAUTHORIZED);
    let minted = gh
        .send_as(
            &jwt(),
            Method::POST,
            "/app/installations/42/access_tokens",
            json!({}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED);
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ghs_"));
    let expires =
        chrono::DateTime::parse_from_rfc3339(minted.body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(55) && left <= chrono::Duration::hours(1));
    let repo = gh.get_as(&token, "/repos/acme/api").await;
    assert_eq!(repo.status, StatusCode::OK);
    assert_eq!(repo.body["permissions"]["push"], true);
    assert_eq!(
        header(&repo, "x-oauth-scopes"),
        "",
        "no scopes for installation tokens"
    );
    assert_eq!(
        gh.get_as(&token, "/user").await.status,
        StatusCode::FORBIDDEN
    );

    // Revocation.
    gh.state.revoke_token(&token);
    assert_eq!(
        gh.get_as(&token, "/repos/acme/api").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn installation_token_lifetime_is_configurable() {
    let gh = start(Options {
        installation_token_ttl: std::time::Duration::from_secs(120),
        ..Options::default()
    })
    .await;
    let minted = gh
        .send_as(
            &jwt(),
            Method::POST,
            "/app/installations/42/access_tokens",
            json!({}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED);
    let expires =
        chrono::DateTime::parse_from_rfc3339(minted.body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(left > chrono::Duration::seconds(60) && left <= chrono::Duration::seconds(120));
}

#[tokio::test]
async fn repository_contents_and_commits() {
    let gh = start(with_user_tokens()).await;
    let repo = gh.get("/repos/acme/api").await;
    assert_eq!(repo.body["full_name"], "acme/api");
    assert_eq!(repo.body["permissions"]["admin"], true);
    let dave_view = gh.get_as("tok-dave", "/repos/acme/api").await;
    assert_eq!(dave_view.body["permissions"]["push"], false);
    assert_eq!(
        gh.get_as("tok-dave", "/repos/acme/infra").await.status,
        StatusCode::NOT_FOUND
    );
    let permission = gh
        .get("/repos/acme/api/collaborators/dave/permission")
        .await;
    assert_eq!(permission.body["permission"], "read");

    let file = gh.get("/repos/acme/api/contents/src/lib.rs").await;
    assert_eq!(file.body["type"], "file");
    assert_eq!(file.body["encoding"], "base64");
    let content: String = file.body["content"].as_str().unwrap().split('\n').collect();
    let text = String::from_utf8(STANDARD.decode(content).unwrap()).unwrap();
    assert!(text.contains("pub mod handlers;"));
    assert_eq!(file.body["size"], text.len());

    let dir = gh.get("/repos/acme/api/contents/src").await;
    let names: Vec<&str> = dir
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"handlers") && names.contains(&"lib.rs"),
        "{names:?}"
    );
    let on_branch = gh
        .get("/repos/acme/api/contents/src/rate_limit.rs?ref=feature/rate-limit")
        .await;
    assert_eq!(on_branch.status, StatusCode::OK);
    assert_eq!(
        gh.get("/repos/acme/api/contents/src/rate_limit.rs")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let commits = gh.get("/repos/acme/api/commits?per_page=100").await;
    assert!(commits.body.as_array().unwrap().len() >= 40);
    assert!(commits.body[0]["commit"]["message"].is_string());
}

#[tokio::test]
async fn link_headers_page_through_issues() {
    let gh = start(Options::default()).await;
    let mut url = "/repos/acme/api/issues?state=all&per_page=10".to_owned();
    let mut numbers = Vec::new();
    let mut pages = 0;
    loop {
        let answer = gh.get(&url).await;
        assert_eq!(answer.status, StatusCode::OK);
        pages += 1;
        if pages == 2 {
            assert!(link(&answer, "prev").is_some() && link(&answer, "first").is_some());
            assert!(link(&answer, "last").unwrap().contains("page=4"));
        }
        for item in answer.body.as_array().unwrap() {
            numbers.push(item["number"].as_u64().unwrap());
            if item["number"].as_u64().unwrap() >= 33 {
                assert!(item["pull_request"].is_object(), "PRs carry pull_request");
            }
        }
        match link(&answer, "next") {
            Some(next) => {
                assert!(next.contains("state=all"), "other parameters kept: {next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 38, "32 issues and 6 pull requests");
}

#[tokio::test]
async fn pull_request_diffs_files_and_reviews() {
    let gh = start(with_user_tokens()).await;
    let pull = gh
        .get(&format!("/repos/acme/api/pulls/{MERGEABLE_PR}"))
        .await;
    assert_eq!(pull.body["mergeable"], true);
    assert_eq!(pull.body["changed_files"], 2);

    let diff = send(
        gh.client
            .get(gh.url(&format!("/repos/acme/api/pulls/{MERGEABLE_PR}")))
            .bearer_auth(DEFAULT_TOKEN)
            .header("accept", "application/vnd.github.diff"),
    )
    .await;
    assert_eq!(diff.status, StatusCode::OK);
    let text = diff.body.as_str().unwrap();
    assert!(
        text.starts_with("diff --git a/src/lib.rs b/src/lib.rs\n"),
        "{text}"
    );
    assert!(text.contains("+pub mod rate_limit;"));
    assert!(text.contains("new file mode 100644"));

    let huge = send(
        gh.client
            .get(gh.url(&format!("/repos/acme/api/pulls/{HUGE_PR}")))
            .bearer_auth(DEFAULT_TOKEN)
            .header("accept", "application/vnd.github.v3.diff"),
    )
    .await;
    assert_eq!(huge.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(huge.body["errors"][0]["code"], "too_large");
    let files = gh
        .get(&format!(
            "/repos/acme/api/pulls/{HUGE_PR}/files?per_page=100"
        ))
        .await;
    assert_eq!(files.body.as_array().unwrap().len(), 100);
    assert!(
        files.body[0]["patch"]
            .as_str()
            .unwrap()
            .starts_with("@@ -0,0 +1,")
    );
    let last = link(&files, "last").unwrap();
    assert!(last.contains(&format!("page={}", HUGE_PR_FILES.div_ceil(100))));

    // Reviews: approving one's own PR is refused; others can.
    let own = gh
        .send_as(
            "tok-bob",
            Method::POST,
            &format!("/repos/acme/api/pulls/{MERGEABLE_PR}/reviews"),
            json!({"event": "APPROVE"}),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    let review = gh
        .send_json(
            Method::POST,
            &format!("/repos/acme/api/pulls/{MERGEABLE_PR}/reviews"),
            json!({"event": "APPROVE", "body": "LGTM"}),
        )
        .await;
    assert_eq!(review.status, StatusCode::OK);
    assert_eq!(review.body["state"], "APPROVED");
    let reviews = gh
        .get(&format!("/repos/acme/api/pulls/{MERGEABLE_PR}/reviews"))
        .await;
    assert_eq!(reviews.body.as_array().unwrap().len(), 2);

    // Checks of the mergeable PR's head are green.
    let sha = pull.body["head"]["sha"].as_str().unwrap();
    let checks = gh
        .get(&format!("/repos/acme/api/commits/{sha}/check-runs"))
        .await;
    assert_eq!(checks.body["total_count"], 3);
    let status = gh
        .get(&format!("/repos/acme/api/commits/{sha}/status"))
        .await;
    assert_eq!(status.body["state"], "success");
}

#[tokio::test]
async fn issues_are_created_updated_and_validated() {
    let gh = start(Options::default()).await;
    let before = gh.state.issue_count();
    let created = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/issues",
            json!({"title": "New bug", "body": "It broke", "labels": ["bug", "brand-new"], "assignees": ["bob"], "milestone": 1}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let number = created.body["number"].as_u64().unwrap();
    assert_eq!(number, 39);
    assert_eq!(created.body["labels"][1]["name"], "brand-new");
    assert_eq!(created.body["assignees"][0]["login"], "bob");
    assert_eq!(created.body["milestone"]["title"], "v1.0");
    assert_eq!(gh.state.issue_count(), before + 1);

    let updated = gh
        .send_json(
            Method::PATCH,
            &format!("/repos/acme/api/issues/{number}"),
            json!({"state": "closed", "labels": ["documentation"], "milestone": null}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["state"], "closed");
    assert_eq!(updated.body["state_reason"], "completed");
    assert!(updated.body["milestone"].is_null());
    let summary = gh.state.issue("acme", "api", number).unwrap();
    assert_eq!(summary.labels, vec!["documentation".to_owned()]);

    let comment = gh
        .send_json(
            Method::POST,
            &format!("/repos/acme/api/issues/{number}/comments"),
            json!({"body": "Closing."}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let comments = gh
        .get(&format!("/repos/acme/api/issues/{number}/comments"))
        .await;
    assert_eq!(comments.body[0]["body"], "Closing.");

    let no_title = gh
        .send_json(Method::POST, "/repos/acme/api/issues", json!({"body": "x"}))
        .await;
    assert_eq!(no_title.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_title.body["message"], "Validation Failed");
    assert_eq!(
        no_title.body["errors"][0],
        json!({"resource": "Issue", "field": "title", "code": "missing_field"})
    );
    let bad_state = gh
        .send_json(
            Method::PATCH,
            "/repos/acme/api/issues/1",
            json!({"state": "done"}),
        )
        .await;
    assert_eq!(bad_state.body["errors"][0]["field"], "state");
    let bad_assignee = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/issues",
            json!({"title": "t", "assignees": ["nobody"]}),
        )
        .await;
    assert_eq!(bad_assignee.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(gh.state.issue_count(), before + 1);
    let missing = gh.get("/repos/acme/api/issues/999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Not Found");
}

#[tokio::test]
async fn merge_rules() {
    let gh = start(with_user_tokens()).await;
    let path = |n: u64| format!("/repos/acme/api/pulls/{n}/merge");
    let conflicting = gh
        .send_json(Method::PUT, &path(CONFLICTING_PR), json!({}))
        .await;
    assert_eq!(conflicting.status, StatusCode::METHOD_NOT_ALLOWED);
    let stale = gh
        .send_json(
            Method::PUT,
            &path(MERGEABLE_PR),
            json!({"sha": "0123456789abcdef0123456789abcdef01234567"}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let outsider = gh
        .send_as("tok-dave", Method::PUT, &path(MERGEABLE_PR), json!({}))
        .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);

    let pull = gh
        .get(&format!("/repos/acme/api/pulls/{MERGEABLE_PR}"))
        .await;
    let sha = pull.body["head"]["sha"].as_str().unwrap();
    let merged = gh
        .send_json(
            Method::PUT,
            &path(MERGEABLE_PR),
            json!({"sha": sha, "merge_method": "squash"}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(merged.body["merged"], true);
    let after = gh
        .get(&format!("/repos/acme/api/pulls/{MERGEABLE_PR}"))
        .await;
    assert_eq!(after.body["merged"], true);
    assert_eq!(after.body["state"], "closed");
    assert_eq!(
        gh.get("/repos/acme/api/contents/src/rate_limit.rs")
            .await
            .status,
        StatusCode::OK,
        "the base branch has the change"
    );
    let again = gh
        .send_json(Method::PUT, &path(MERGEABLE_PR), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn failed_job_logs_redirect_to_plain_text() {
    let gh = start(Options::default()).await;
    let runs = gh
        .get("/repos/acme/api/actions/runs?status=failure&branch=main")
        .await;
    assert!(runs.body["total_count"].as_u64().unwrap() >= 2);
    let run_id = runs.body["workflow_runs"][0]["id"].as_u64().unwrap();
    let jobs = gh
        .get(&format!("/repos/acme/api/actions/runs/{run_id}/jobs"))
        .await;
    let failed = jobs.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["conclusion"] == "failure")
        .unwrap();
    assert!(
        failed["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["conclusion"] == "failure")
    );
    let job_id = failed["id"].as_u64().unwrap();

    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = send(
        no_follow
            .get(gh.url(&format!("/repos/acme/api/actions/jobs/{job_id}/logs")))
            .bearer_auth(DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(redirect.status, StatusCode::FOUND);
    let location = header(&redirect, "location").to_owned();
    let log = reqwest::get(&location).await.unwrap();
    assert_eq!(log.status(), StatusCode::OK);
    let text = log.text().await.unwrap();
    assert!(text.lines().count() >= FAILED_LOG_LINES);
    assert!(text.contains("##[error]Process completed with exit code"));
    let forged = reqwest::get(location.replace("sig=", "sig=x"))
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn dispatch_creates_a_queued_run_and_rerun_requeues() {
    let gh = start(Options::default()).await;
    let workflows = gh.get("/repos/acme/api/actions/workflows").await;
    assert_eq!(workflows.body["total_count"], 3);
    let before = gh.state.run_count();
    let dispatched = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/actions/workflows/deploy.yml/dispatches",
            json!({"ref": "main", "inputs": {"environment": "staging"}}),
        )
        .await;
    assert_eq!(dispatched.status, StatusCode::NO_CONTENT);
    assert_eq!(gh.state.run_count(), before + 1);
    let queued = gh
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs?event=workflow_dispatch&status=queued")
        .await;
    assert_eq!(queued.body["total_count"], 1);
    let run_id = queued.body["workflow_runs"][0]["id"].as_u64().unwrap();
    assert!(gh.state.complete_run("acme", "api", run_id, "success"));
    let run = gh
        .get(&format!("/repos/acme/api/actions/runs/{run_id}"))
        .await;
    assert_eq!(run.body["conclusion"], "success");

    let rerun = gh
        .send_json(
            Method::POST,
            &format!("/repos/acme/api/actions/runs/{run_id}/rerun"),
            json!({}),
        )
        .await;
    assert_eq!(rerun.status, StatusCode::CREATED);
    let run = gh
        .get(&format!("/repos/acme/api/actions/runs/{run_id}"))
        .await;
    assert_eq!(
        (
            run.body["status"].as_str(),
            run.body["run_attempt"].as_u64()
        ),
        (Some("queued"), Some(2))
    );

    // Only the failed jobs of a failed run; a run without failures is refused.
    assert!(gh.state.complete_run("acme", "api", run_id, "failure"));
    let before = gh.state.run("acme", "api", run_id).unwrap();
    let again = gh
        .send_json(
            Method::POST,
            &format!("/repos/acme/api/actions/runs/{run_id}/rerun-failed-jobs"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    let after = gh.state.run("acme", "api", run_id).unwrap();
    assert_eq!(after.run_attempt, before.run_attempt + 1);
    for (old, new) in before.jobs.iter().zip(&after.jobs) {
        if old.2.as_deref() == Some("failure") {
            assert_eq!(new.1, "queued", "{new:?}");
        } else {
            assert_eq!(old, new);
        }
    }
    assert!(gh.state.complete_run("acme", "api", run_id, "success"));
    let none_failed = gh
        .send_json(
            Method::POST,
            &format!("/repos/acme/api/actions/runs/{run_id}/rerun-failed-jobs"),
            json!({}),
        )
        .await;
    assert_eq!(none_failed.status, StatusCode::FORBIDDEN);

    let bad_ref = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/actions/workflows/ci.yml/dispatches",
            json!({"ref": "nope"}),
        )
        .await;
    assert_eq!(bad_ref.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_trigger = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/actions/workflows/codeql.yml/dispatches",
            json!({"ref": "main"}),
        )
        .await;
    assert_eq!(no_trigger.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn search_count(gh: &GitHub, path: &str, q: &str) -> (u64, Value) {
    let answer = send(
        gh.client
            .get(format!(
                "{}?{}",
                gh.url(path),
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", q)
                    .append_pair("per_page", "100")
                    .finish()
            ))
            .bearer_auth(DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{q}: {:?}", answer.body);
    assert_eq!(answer.body["incomplete_results"], false);
    (answer.body["total_count"].as_u64().unwrap(), answer.body)
}

#[tokio::test]
async fn search_qualifiers() {
    let gh = start(Options::default()).await;
    let (prs, _) = search_count(&gh, "/search/issues", "repo:acme/api is:pr is:open").await;
    assert_eq!(prs, 5);
    let (all, _) = search_count(&gh, "/search/issues", "repo:acme/api is:issue").await;
    assert_eq!(all, 32);
    let (bugs, body) = search_count(
        &gh,
        "/search/issues",
        "repo:acme/api is:issue label:bug author:dave",
    )
    .await;
    assert!(bugs >= 1);
    for item in body["items"].as_array().unwrap() {
        assert_eq!(item["user"]["login"], "dave");
        assert!(
            item["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["name"] == "bug")
        );
    }
    let (login, body) = search_count(&gh, "/search/issues", "login in:title is:open").await;
    assert!(login >= 1);
    assert!(
        body["items"][0]["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("login")
    );
    let (assigned, _) =
        search_count(&gh, "/search/issues", "org:acme assignee:carol is:closed").await;
    let (closed_carol, _) = search_count(&gh, "/search/issues", "org:acme assignee:carol").await;
    assert!(assigned < closed_carol);

    let (code, body) = search_count(&gh, "/search/code", "validate_quantity repo:acme/api").await;
    assert_eq!(code, 2);
    assert!(
        body["items"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("src/handlers/")
    );
    let (workflows, _) = search_count(&gh, "/search/code", "filename:ci.yml org:acme").await;
    assert_eq!(workflows, 2);
    let (in_path, _) = search_count(&gh, "/search/code", "sqlx path:src repo:acme/api").await;
    assert!(in_path >= 1);

    let empty = gh.get("/search/issues?q=").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn primary_and_secondary_rate_limits() {
    let gh = start(Options {
        rate_limit_per_hour: 3,
        secondary_per_minute: 2,
        ..Options::default()
    })
    .await;
    let first = gh.get("/repos/acme/api").await;
    assert_eq!(header(&first, "x-ratelimit-limit"), "3");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "2");
    assert_eq!(header(&first, "x-ratelimit-used"), "1");
    assert_eq!(header(&first, "x-ratelimit-resource"), "core");
    assert!(
        header(&first, "x-ratelimit-reset").parse::<i64>().unwrap()
            > chrono::Utc::now().timestamp()
    );
    let search = gh.get("/search/issues?q=repo:acme/api").await;
    assert_eq!(header(&search, "x-ratelimit-resource"), "search");
    gh.get("/repos/acme/api").await;
    gh.get("/repos/acme/api").await;
    let refused = gh.get("/repos/acme/api").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("API rate limit exceeded")
    );

    // Secondary limit, with a fresh budget for another token.
    let gh = start(Options {
        secondary_per_minute: 2,
        ..Options::default()
    })
    .await;
    for n in 0..2 {
        let ok = gh
            .send_json(
                Method::POST,
                "/repos/acme/api/issues",
                json!({"title": format!("n{n}")}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED);
    }
    let limited = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/issues",
            json!({"title": "too fast"}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::FORBIDDEN);
    assert!(
        limited.body["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    let retry: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Reads are not content creation.
    assert_eq!(
        gh.get("/repos/acme/api/issues").await.status,
        StatusCode::OK
    );

    // Forced through the admin API, e.g. for a client that must wait it out.
    let gh = start(Options::default()).await;
    let forced = gh
        .client
        .post(gh.url("/__admin/secondary-limit"))
        .json(&json!({"times": 1, "retry_after": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), StatusCode::NO_CONTENT);
    let limited = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/issues",
            json!({"title": "once"}),
        )
        .await;
    assert_eq!(header(&limited, "retry-after"), "1");
    let then = gh
        .send_json(
            Method::POST,
            "/repos/acme/api/issues",
            json!({"title": "once"}),
        )
        .await;
    assert_eq!(then.status, StatusCode::CREATED);
}

#[tokio::test]
async fn ghes_prefix_serves_the_same_api() {
    let gh = start(Options::default()).await;
    let repo = gh.get("/api/v3/repos/acme/api").await;
    assert_eq!(repo.status, StatusCode::OK);
    assert!(
        repo.body["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v3/repos/acme/api")
    );
    let page = gh.get("/api/v3/repos/acme/api/issues?per_page=5").await;
    assert!(
        link(&page, "next")
            .unwrap()
            .contains("/api/v3/repos/acme/api/issues")
    );
    assert_eq!(header(&page, "x-ratelimit-resource"), "core");
    let missing = gh.get("/api/v3/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Not Found");
}

#[tokio::test]
async fn commit_then_drop_stores_exactly_one_issue() {
    let gh = start(Options::default()).await;
    let before = gh.state.issue_count();
    gh.kit.push_fault(
        Fault::commit_then_drop()
            .method("POST")
            .path_prefix("/repos/acme/api/issues"),
    );
    let result = gh
        .request(Method::POST, "/repos/acme/api/issues")
        .json(&json!({"title": "Dropped answer"}))
        .send()
        .await;
    assert!(result.is_err(), "the connection is dropped");
    assert_eq!(gh.state.issue_count(), before + 1);
    let state: Value = gh
        .client
        .get(gh.url("/__admin/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["issues"], before + 1);
    assert_eq!(
        gh.kit.requests_with_prefix("/repos/acme/api/issues").len(),
        1
    );

    // Reset restores the seed.
    gh.kit.reset();
    assert_eq!(gh.state.issue_count(), before);
}
