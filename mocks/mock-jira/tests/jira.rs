//! mock-jira over 127.0.0.1, driven the way a Jira client drives Jira.

use mock_jira::{
    BUSY_ISSUE, Deployment, MANY_COMMENTS, Options, SEED_ISSUES, spawn, spawn_with_handles,
};
use mock_kit::{Fault, Served};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

const BASIC_USER: &str = "mock@example.com";
const BASIC_TOKEN: &str = "mock-token";
const PAT: &str = "mock-pat";

struct Jira {
    served: Served,
    client: reqwest::Client,
}

async fn start(options: Options) -> Jira {
    Jira {
        served: spawn(options).await.unwrap(),
        client: reqwest::Client::new(),
    }
}

impl Jira {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    /// A request with the right credentials for the path's API family.
    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        if path.starts_with("/rest/api/2") {
            request.bearer_auth(PAT)
        } else {
            request.basic_auth(BASIC_USER, Some(BASIC_TOKEN))
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::POST, path).json(&body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::PUT, path).json(&body)).await
    }
}

async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    ]})
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401() {
    let jira = start(Options::default()).await;
    let cases = [
        jira.client.get(jira.url("/rest/api/3/myself")),
        jira.client
            .get(jira.url("/rest/api/3/myself"))
            .basic_auth(BASIC_USER, Some("nope")),
        jira.client
            .get(jira.url("/rest/api/3/myself"))
            .bearer_auth("nope"),
        jira.client.get(jira.url("/rest/api/2/myself")),
        jira.client
            .get(jira.url("/rest/api/2/myself"))
            .bearer_auth("wrong-pat"),
    ];
    for request in cases {
        let (status, body) = send(request).await;
        assert_eq!(status, 401);
        assert!(
            body["errorMessages"][0]
                .as_str()
                .unwrap()
                .contains("authenticated")
        );
        assert_eq!(body["errors"], json!({}));
    }
    let (status, me) = send(
        jira.client
            .get(jira.url("/rest/api/3/myself"))
            .bearer_auth("mock-oauth-token"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["emailAddress"], BASIC_USER);
    assert!(me["accountId"].is_string());
    let (status, me) = jira.get("/rest/api/2/myself").await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "mock.user");
}

#[tokio::test]
async fn server_info_reports_the_deployment() {
    let cloud = start(Options::default()).await;
    assert_eq!(
        cloud.get("/rest/api/3/serverInfo").await.1["deploymentType"],
        "Cloud"
    );
    let dc = start(Options {
        deployment: Deployment::DataCenter,
        ..Options::default()
    })
    .await;
    let (status, info) = dc.get("/rest/api/2/serverInfo").await;
    assert_eq!(status, 200);
    assert_eq!(info["deploymentType"], "Server");
}

#[tokio::test]
async fn v3_search_pages_with_next_page_token() {
    let jira = start(Options::default()).await;
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"jql": "project in (OPS, WEB, DATA) ORDER BY key ASC", "fields": ["summary", "status"], "maxResults": 25});
        if let Some(token) = &token {
            body["nextPageToken"] = json!(token);
        }
        let (status, page) = jira.post("/rest/api/3/search/jql", body).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for issue in page["issues"].as_array().unwrap() {
            assert!(issue["fields"]["summary"].is_string());
            assert!(issue["fields"].get("description").is_none());
            keys.push(issue["key"].as_str().unwrap().to_owned());
        }
        if page["isLast"] == true {
            assert!(page.get("nextPageToken").is_none());
            break;
        }
        token = Some(page["nextPageToken"].as_str().unwrap().to_owned());
    }
    assert_eq!(pages, 3);
    assert_eq!(keys.len(), SEED_ISSUES);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), SEED_ISSUES);
    assert_eq!(keys[0], "DATA-1");

    // GET works too, and returns ids only by default.
    let (status, page) = jira
        .get("/rest/api/3/search/jql?jql=project%3DOPS&maxResults=5")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["issues"].as_array().unwrap().len(), 5);
    assert!(page["issues"][0]["fields"].as_object().unwrap().is_empty());
    assert!(page["nextPageToken"].is_string());

    // Unbounded queries are refused.
    let (status, body) = jira
        .post("/rest/api/3/search/jql", json!({"jql": "order by created"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("Unbounded")
    );
}

#[tokio::test]
async fn old_v3_search_is_gone() {
    let jira = start(Options::default()).await;
    for (status, body) in [
        jira.get("/rest/api/3/search?jql=project=OPS").await,
        jira.post("/rest/api/3/search", json!({"jql": "project = OPS"}))
            .await,
    ] {
        assert_eq!(status, 410);
        assert!(
            body["errorMessages"][0]
                .as_str()
                .unwrap()
                .contains("/rest/api/3/search/jql")
        );
    }
}

#[tokio::test]
async fn v2_search_pages_with_start_at() {
    let jira = start(Options::default()).await;
    let (status, page) = jira
        .get("/rest/api/2/search?jql=project%20%3D%20OPS%20ORDER%20BY%20key&startAt=20&maxResults=10")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["startAt"], 20);
    assert_eq!(page["total"], 24);
    let issues = page["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 4);
    assert_eq!(issues[0]["key"], "OPS-21");
    assert!(
        issues[0]["fields"]["description"].is_string(),
        "wiki markup on v2"
    );
    assert!(issues[0]["fields"]["assignee"].get("accountId").is_none());
}

#[tokio::test]
async fn jql_errors_are_400_in_jira_words() {
    let jira = start(Options::default()).await;
    let cases = [
        (
            "project = ",
            "Error in the JQL Query: Expecting either a value, list or function",
        ),
        (
            "project OPS",
            "Error in the JQL Query: Expecting operator but got 'OPS'",
        ),
        (
            "colour = red",
            "Field 'colour' does not exist or you do not have permission to view it.",
        ),
        (
            "project = NOPE",
            "The value 'NOPE' does not exist for the field 'project'.",
        ),
    ];
    for (jql, expected) in cases {
        let (status, body) = jira
            .post("/rest/api/3/search/jql", json!({"jql": jql}))
            .await;
        assert_eq!(status, 400, "{jql}");
        let message = body["errorMessages"][0].as_str().unwrap();
        assert!(message.starts_with(expected), "{jql}: {message}");
        assert_eq!(body["errors"], json!({}));
    }
    let (status, body) = jira
        .get("/rest/api/2/search?jql=status%20%3D%20%22Done")
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("(line 1, character 10)")
    );
}

async fn search(jira: &Jira, jql: &str) -> Vec<Value> {
    let body = json!({"jql": jql, "fields": ["*all"], "maxResults": 100});
    let (status, page) = jira.post("/rest/api/3/search/jql", body).await;
    assert_eq!(status, 200, "{jql}: {page}");
    page["issues"].as_array().unwrap().clone()
}

#[tokio::test]
async fn jql_filters_match_the_seed() {
    let jira = start(Options::default()).await;
    let mine = search(&jira, "assignee = currentUser() AND statusCategory != Done").await;
    assert!(!mine.is_empty());
    for issue in &mine {
        assert_eq!(issue["fields"]["assignee"]["emailAddress"], BASIC_USER);
        assert_ne!(issue["fields"]["status"]["statusCategory"]["key"], "done");
    }
    let unassigned = search(&jira, "assignee IS EMPTY").await;
    assert!(unassigned.iter().all(|i| i["fields"]["assignee"].is_null()));
    let text = search(&jira, "text ~ \"Safari\"").await;
    assert!(
        text.iter()
            .all(|i| i["key"].as_str().unwrap().starts_with("WEB"))
    );
    assert!(!text.is_empty());
    let ordered = search(&jira, "project = WEB ORDER BY priority DESC").await;
    let ranks: Vec<&str> = ordered
        .iter()
        .map(|i| i["fields"]["priority"]["id"].as_str().unwrap())
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "Highest (1) first");
}

#[tokio::test]
async fn create_validates_required_fields() {
    let jira = start(Options::default()).await;
    let (status, body) = jira
        .post(
            "/rest/api/3/issue",
            json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"]["summary"],
        "You must specify a summary of the issue."
    );
    assert_eq!(body["errors"]["customfield_10010"], "Severity is required.");

    let (status, body) = jira
        .post("/rest/api/3/issue", json!({"fields": {"summary": "x"}}))
        .await;
    assert_eq!(status, 400);
    assert!(body["errors"]["project"].is_string());
    assert!(body["errors"]["issuetype"].is_string());

    let (status, body) = jira
        .post(
            "/rest/api/3/issue",
            json!({"fields": {
                "project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x",
                "description": "plain text is not ADF", "labels": ["has space"]
            }}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"]["description"]
            .as_str()
            .unwrap()
            .contains("Atlassian Document")
    );
    assert!(
        body["errors"]["labels"]
            .as_str()
            .unwrap()
            .contains("spaces")
    );
}

#[tokio::test]
async fn create_edit_transition_assign_comment_round_trip() {
    let (served, _kit, state) = spawn_with_handles(Options::default()).await.unwrap();
    let jira = Jira {
        served,
        client: reqwest::Client::new(),
    };
    let (status, created) = jira
        .post("/rest/api/3/issue", json!({"fields": {
            "project": {"key": "WEB"}, "issuetype": {"id": "10004"}, "summary": "Checkout button is grey",
            "description": adf("It should be blue."), "customfield_10010": {"value": "Major"},
            "labels": ["mcp-test"], "priority": {"name": "High"}, "components": [{"name": "Frontend"}]
        }}))
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(key, "WEB-21");
    assert!(created["self"].as_str().unwrap().ends_with(&format!(
        "/rest/api/3/issue/{}",
        created["id"].as_str().unwrap()
    )));
    assert_eq!(state.issue_count(), SEED_ISSUES + 1);

    // Found by label.
    let (_, page) = jira
        .post(
            "/rest/api/3/search/jql",
            json!({"jql": "labels = \"mcp-test\"", "fields": ["summary"]}),
        )
        .await;
    assert_eq!(page["issues"][0]["key"], key);

    // Edit.
    let (status, _) = jira
        .put(&format!("/rest/api/3/issue/{key}"), json!({"fields": {"summary": "Checkout button is invisible"}, "update": {"labels": [{"add": "ui"}]}}))
        .await;
    assert_eq!(status, 204);
    let (_, issue) = jira
        .get(&format!(
            "/rest/api/3/issue/{key}?fields=summary,labels,customfield_10010"
        ))
        .await;
    assert_eq!(issue["fields"]["summary"], "Checkout button is invisible");
    assert_eq!(issue["fields"]["labels"], json!(["mcp-test", "ui"]));
    assert_eq!(issue["fields"]["customfield_10010"]["value"], "Major");
    assert!(issue["fields"].get("status").is_none());

    // Transitions: only the ones valid from To Do.
    let (_, transitions) = jira
        .get(&format!("/rest/api/3/issue/{key}/transitions"))
        .await;
    let ids: Vec<&str> = transitions["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["21", "41"]);
    let (status, body) = jira
        .post(
            &format!("/rest/api/3/issue/{key}/transitions"),
            json!({"transition": {"id": "31"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("'31'"));
    let (status, _) = jira
        .post(
            &format!("/rest/api/3/issue/{key}/transitions"),
            json!({
                "transition": {"id": "41"},
                "fields": {"resolution": {"name": "Won't Do"}},
                "update": {"comment": [{"add": {"body": adf("Closing: not reproducible.")}}]}
            }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, issue) = jira
        .get(&format!(
            "/rest/api/3/issue/{key}?fields=status,resolution,comment"
        ))
        .await;
    assert_eq!(issue["fields"]["status"]["name"], "Done");
    assert_eq!(issue["fields"]["status"]["statusCategory"]["key"], "done");
    assert_eq!(issue["fields"]["resolution"]["name"], "Won't Do");
    assert_eq!(issue["fields"]["comment"]["total"], 1);

    // Assign by accountId (v3) and by name (v2).
    let (_, users) = jira.get("/rest/api/3/user/search?query=ada").await;
    let ada = users[0]["accountId"].as_str().unwrap().to_owned();
    let (status, _) = jira
        .put(
            &format!("/rest/api/3/issue/{key}/assignee"),
            json!({"accountId": ada}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(state.issue(&key).unwrap()["assignee"], ada);
    let (status, _) = jira
        .put(
            &format!("/rest/api/2/issue/{key}/assignee"),
            json!({"name": "grace"}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, issue) = jira
        .get(&format!("/rest/api/2/issue/{key}?fields=assignee"))
        .await;
    assert_eq!(issue["fields"]["assignee"]["name"], "grace");
    let (status, _) = jira
        .put(
            &format!("/rest/api/3/issue/{key}/assignee"),
            json!({"accountId": "nobody"}),
        )
        .await;
    assert_eq!(status, 400);

    // Comment on v2 with wiki markup; read back as ADF on v3.
    let (status, comment) = jira
        .post(
            &format!("/rest/api/2/issue/{key}/comment"),
            json!({"body": "h3. Update\n\nShipped in *v2*."}),
        )
        .await;
    assert_eq!(status, 201);
    assert!(comment["body"].is_string());
    let (_, comments) = jira
        .get(&format!("/rest/api/3/issue/{key}/comment?orderBy=-created"))
        .await;
    assert_eq!(comments["total"], 2);
    assert_eq!(
        comments["comments"][0]["body"]["content"][0]["type"],
        "heading"
    );

    // Delete.
    let response = jira
        .request(reqwest::Method::DELETE, &format!("/rest/api/3/issue/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(state.issue_count(), SEED_ISSUES);
    assert_eq!(jira.get(&format!("/rest/api/3/issue/{key}")).await.0, 404);
}

#[tokio::test]
async fn v2_renders_wiki_markup_and_v3_renders_html_on_request() {
    let jira = start(Options::default()).await;
    let (status, issue) = jira.get("/rest/api/2/issue/OPS-1?fields=description").await;
    assert_eq!(status, 200);
    let wiki = issue["fields"]["description"].as_str().unwrap();
    for fragment in [
        "h2. Steps to reproduce",
        "# Open the page",
        "{code:bash}",
        "||Environment||Affected||",
        "[the runbook|https://example.com/runbook]",
        "{{config.yaml}}",
        "*restart*",
        "_worker_",
        "{warning}",
    ] {
        assert!(wiki.contains(fragment), "{fragment} in {wiki}");
    }
    let (_, issue) = jira
        .get("/rest/api/3/issue/OPS-1?expand=renderedFields,names,transitions")
        .await;
    assert_eq!(issue["fields"]["description"]["type"], "doc");
    assert!(
        issue["renderedFields"]["description"]
            .as_str()
            .unwrap()
            .contains("<h2>Steps to reproduce</h2>")
    );
    assert_eq!(issue["names"]["summary"], "Summary");
    assert!(issue["transitions"].is_array());

    // A v2 write becomes ADF.
    let (status, _) = jira
        .put(
            "/rest/api/2/issue/OPS-3",
            json!({"fields": {"description": "h1. New\n\n* one\n* two"}}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, issue) = jira.get("/rest/api/3/issue/OPS-3?fields=description").await;
    assert_eq!(
        issue["fields"]["description"]["content"][1]["type"],
        "bulletList"
    );
}

#[tokio::test]
async fn comments_page() {
    let jira = start(Options::default()).await;
    let (_, first) = jira
        .get(&format!(
            "/rest/api/3/issue/{BUSY_ISSUE}/comment?maxResults=25"
        ))
        .await;
    assert_eq!(first["total"], MANY_COMMENTS);
    assert_eq!(first["comments"].as_array().unwrap().len(), 25);
    let (_, last) = jira
        .get(&format!(
            "/rest/api/3/issue/{BUSY_ISSUE}/comment?startAt=50&maxResults=25"
        ))
        .await;
    assert_eq!(
        last["comments"].as_array().unwrap().len(),
        MANY_COMMENTS - 50
    );
    let (status, _) = jira
        .get(&format!(
            "/rest/api/3/issue/{BUSY_ISSUE}/comment?orderBy=author"
        ))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn projects_and_createmeta() {
    let jira = start(Options::default()).await;
    let (_, page) = jira.get("/rest/api/3/project/search?maxResults=2").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["isLast"], false);
    assert_eq!(page["values"].as_array().unwrap().len(), 2);
    let (_, list) = jira.get("/rest/api/2/project").await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    let (_, project) = jira.get("/rest/api/3/project/DATA").await;
    assert_eq!(project["issueTypes"].as_array().unwrap().len(), 3);
    assert_eq!(project["components"].as_array().unwrap().len(), 3);
    assert_eq!(jira.get("/rest/api/3/project/NOPE").await.0, 404);

    let (_, types) = jira
        .get("/rest/api/3/issue/createmeta/OPS/issuetypes")
        .await;
    let bug = types["issueTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Bug")
        .unwrap()
        .clone();
    let (_, meta) = jira
        .get(&format!(
            "/rest/api/3/issue/createmeta/OPS/issuetypes/{}",
            bug["id"].as_str().unwrap()
        ))
        .await;
    let fields = meta["fields"].as_array().unwrap();
    let severity = fields
        .iter()
        .find(|f| f["fieldId"] == "customfield_10010")
        .unwrap();
    assert_eq!(severity["required"], true);
    let values: Vec<&str> = severity["allowedValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["Critical", "Major", "Minor"]);
    let priority = fields.iter().find(|f| f["fieldId"] == "priority").unwrap();
    assert_eq!(priority["allowedValues"].as_array().unwrap().len(), 5);
    let (_, dc) = jira
        .get("/rest/api/2/issue/createmeta/OPS/issuetypes/10002?maxResults=3")
        .await;
    assert_eq!(dc["values"].as_array().unwrap().len(), 3);
    assert_eq!(dc["isLast"], false);
}

#[tokio::test]
async fn user_search_by_version() {
    let jira = start(Options::default()).await;
    let (_, v3) = jira.get("/rest/api/3/user/search?query=gra").await;
    assert_eq!(v3[0]["displayName"], "Grace Hopper");
    assert!(v3[0]["accountId"].is_string());
    let (_, v2) = jira.get("/rest/api/2/user/search?username=gra").await;
    assert_eq!(v2[0]["name"], "grace");
    assert!(v2[0]["key"].is_string());
}

#[tokio::test]
async fn properties_are_searchable() {
    let jira = start(Options::default()).await;
    let (status, _) = jira
        .put(
            "/rest/api/3/issue/DATA-2/properties/mcp.origin",
            json!({"requestId": "r-1"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, property) = jira
        .get("/rest/api/3/issue/DATA-2/properties/mcp.origin")
        .await;
    assert_eq!(property["value"]["requestId"], "r-1");
    let (_, page) = jira
        .post(
            "/rest/api/3/search/jql",
            json!({"jql": "issue.property[mcp.origin].requestId = \"r-1\""}),
        )
        .await;
    assert_eq!(page["issues"].as_array().unwrap().len(), 1);
    assert_eq!(page["issues"][0]["key"], "DATA-2");
}

#[tokio::test]
async fn rate_limits_and_headers() {
    let (served, _kit, state) = spawn_with_handles(Options {
        rate_per_second: 2,
        ..Options::default()
    })
    .await
    .unwrap();
    let jira = Jira {
        served,
        client: reqwest::Client::new(),
    };
    let first = jira
        .request(reqwest::Method::GET, "/rest/api/3/myself")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    for header in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(first.headers().contains_key(header), "{header}");
    }
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    let mut limited = None;
    for _ in 0..3 {
        let response = jira
            .request(reqwest::Method::GET, "/rest/api/3/myself")
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a 429 within the burst");
    assert_eq!(limited.headers()["ratelimit-reason"], "jira-burst-based");
    assert!(limited.headers().contains_key("retry-after"));

    // Forced 429 with Retry-After: 0, once.
    let unlimited = start(Options::default()).await;
    let _ = state;
    unlimited
        .client
        .post(unlimited.url("/__admin/throttle"))
        .json(&json!({"times": 1, "retry_after": "0"}))
        .send()
        .await
        .unwrap();
    let response = unlimited
        .request(reqwest::Method::GET, "/rest/api/3/myself")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "0");
    assert_eq!(unlimited.get("/rest/api/3/myself").await.0, 200);
}

#[tokio::test]
async fn commit_then_drop_stores_exactly_one_issue() {
    let (served, kit, state) = spawn_with_handles(Options::default()).await.unwrap();
    let jira = Jira {
        served,
        client: reqwest::Client::new(),
    };
    kit.push_fault(
        Fault::commit_then_drop()
            .method("POST")
            .path_prefix("/rest/api/3/issue"),
    );
    let result = jira
        .request(reqwest::Method::POST, "/rest/api/3/issue")
        .json(&json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Dropped answer", "labels": ["dropped"]}}))
        .send()
        .await;
    assert!(result.is_err(), "the connection is dropped");
    assert_eq!(state.issue_count(), SEED_ISSUES + 1);
    let admin: Vec<Value> = jira
        .client
        .get(jira.url("/__admin/issues"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        admin
            .iter()
            .filter(|i| i["labels"] == json!(["dropped"]))
            .count(),
        1
    );

    // Reset restores the seed.
    let response = jira
        .client
        .post(jira.url("/__admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(state.issue_count(), SEED_ISSUES);
}
