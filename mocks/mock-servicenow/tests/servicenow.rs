//! mock-servicenow over 127.0.0.1, driven the way a Table API client drives ServiceNow.

use mock_kit::{Fault, Served};
use mock_servicenow::{
    MockServiceNow, Options, SEED_INCIDENTS, escape_value, spawn, spawn_with_handles,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

const USER: &str = "admin";
const PASSWORD: &str = "mock-password";

struct Sn {
    served: Served,
    state: MockServiceNow,
    client: reqwest::Client,
}

async fn start(options: Options) -> Sn {
    let (served, _kit, state) = spawn_with_handles(options).await.unwrap();
    Sn {
        served,
        state,
        client: reqwest::Client::new(),
    }
}

/// Percent-encodes a query parameter value.
fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Sn {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(USER, Some(PASSWORD))
    }

    async fn get(&self, path: &str) -> (StatusCode, HeaderMap, Value) {
        send(self.request(Method::GET, path)).await
    }

    async fn write(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, body) = send(self.request(method, path).json(&body)).await;
        (status, body)
    }

    /// The `sys_id` of an incident by number.
    async fn incident_id(&self, number: &str) -> String {
        let (_, _, body) = self
            .get(&format!(
                "/api/now/table/incident?sysparm_query=number={number}&sysparm_fields=sys_id"
            ))
            .await;
        body["result"][0]["sys_id"].as_str().unwrap().to_owned()
    }

    async fn numbers(&self, query: &str) -> Vec<String> {
        let (status, _, body) = self
            .get(&format!(
                "/api/now/table/incident?sysparm_fields=number&sysparm_query={}",
                enc(query)
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn send(request: RequestBuilder) -> (StatusCode, HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, body)
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn token(sn: &Sn, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let (status, _, body) = send(
        sn.client
            .post(sn.url("/oauth_token.do"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs)),
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn basic_auth_and_its_failures() {
    let sn = start(Options::default()).await;
    let path = "/api/now/table/incident?sysparm_limit=1";
    let (status, _, _) = sn.get(path).await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = send(sn.client.get(sn.url(path))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "User Not Authenticated");
    assert_eq!(body["status"], "failure");
    assert!(headers.contains_key("www-authenticate"));

    let (status, _, _) = send(sn.client.get(sn.url(path)).basic_auth(USER, Some("wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _, body) = send(
        sn.client
            .get(sn.url(path))
            .basic_auth("nobasic", Some(PASSWORD)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let detail = body["error"]["detail"].as_str().unwrap();
    assert!(detail.contains("role"), "{detail}");
    assert!(detail.contains("nobasic"), "{detail}");
}

#[tokio::test]
async fn api_key_header() {
    let sn = start(Options::default()).await;
    let path = "/api/now/table/sys_user?sysparm_limit=1";
    let (status, _, _) = send(
        sn.client
            .get(sn.url(path))
            .header("x-sn-apikey", "mock-api-key"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(sn.client.get(sn.url(path)).header("x-sn-apikey", "nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oauth_grants_refresh_and_expiry() {
    let sn = start(Options::default()).await;
    let path = "/api/now/table/incident?sysparm_limit=1";
    let (status, body) = token(
        &sn,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-client"),
            ("client_secret", "mock-secret"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, _, _) = send(sn.client.get(sn.url(path)).bearer_auth(&access)).await;
    assert_eq!(status, StatusCode::OK);

    // Expired tokens are refused; the refresh token gets a new one.
    sn.state.expire_tokens();
    let (status, _, _) = send(sn.client.get(sn.url(path)).bearer_auth(&access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = token(
        &sn,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "mock-client"),
            ("client_secret", "mock-secret"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["access_token"].as_str().unwrap();
    assert_ne!(renewed, access);
    let (status, _, _) = send(sn.client.get(sn.url(path)).bearer_auth(renewed)).await;
    assert_eq!(status, StatusCode::OK);

    // Password grant works even for the user refused on basic auth.
    let (status, body) = token(
        &sn,
        &[
            ("grant_type", "password"),
            ("client_id", "mock-client"),
            ("client_secret", "mock-secret"),
            ("username", "nobasic"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bearer = body["access_token"].as_str().unwrap();
    let (status, _, _) = send(sn.client.get(sn.url(path)).bearer_auth(bearer)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = token(
        &sn,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-client"),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn encoded_queries_filter_and_sort() {
    let sn = start(Options::default()).await;
    let all = sn.numbers("").await;
    assert_eq!(all.len(), SEED_INCIDENTS);

    let new = sn.numbers("state=1").await;
    assert!(!new.is_empty() && new.len() < all.len());
    let new_or_hold = sn.numbers("state=1^ORstate=3").await;
    let new_in = sn.numbers("stateIN1,3").await;
    assert_eq!(new_or_hold, new_in);
    let not_in = sn.numbers("stateNOT IN1,3").await;
    assert_eq!(not_in.len() + new_in.len(), all.len());

    let vpn = sn.numbers("short_descriptionLIKEvpn").await;
    assert!(!vpn.is_empty());
    let deploys = sn
        .numbers("short_descriptionSTARTSWITHdeploy^assignment_group.name=Platform Engineering")
        .await;
    assert!(!deploys.is_empty());

    let desc = sn.numbers("active=true^ORDERBYDESCnumber").await;
    let mut sorted = desc.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(desc, sorted);
    assert!(sn.numbers("no_such_field=1").await.is_empty());
    assert_eq!(
        sn.numbers("number=INC0010001^NQnumber=INC0010002").await,
        ["INC0010001", "INC0010002"]
    );
}

#[tokio::test]
async fn escaped_caret_is_data_not_syntax() {
    let sn = start(Options::default()).await;
    let text = "rate=5^burst=10";
    let escaped = sn
        .numbers(&format!("short_descriptionLIKE{}", escape_value(text)))
        .await;
    assert_eq!(escaped, ["INC0010043"]);
    // Unescaped, the caret splits the value and injects a condition on `burst`.
    let injected = sn.numbers(&format!("short_descriptionLIKE{text}")).await;
    assert!(injected.is_empty());
    // An escaped injection attempt matches nothing instead of widening the query.
    let attempt = sn
        .numbers(&format!(
            "short_descriptionLIKE{}",
            escape_value("zzz^ORactive=true")
        ))
        .await;
    assert!(attempt.is_empty());
}

#[tokio::test]
async fn display_values_and_reference_links() {
    let sn = start(Options::default()).await;
    let base = "/api/now/table/incident?sysparm_query=number=INC0010002&sysparm_fields=number,state,assignment_group,assigned_to.name";
    let (_, _, body) = sn.get(base).await;
    let record = &body["result"][0];
    assert_eq!(record["state"], "2");
    let group = &record["assignment_group"];
    assert!(
        group["link"]
            .as_str()
            .unwrap()
            .contains("/api/now/table/sys_user_group/")
    );
    assert!(group["value"].is_string());
    assert!(record["assigned_to.name"].is_string());

    let (_, _, body) = sn.get(&format!("{base}&sysparm_display_value=true")).await;
    let record = &body["result"][0];
    assert_eq!(record["state"], "In Progress");
    assert_eq!(record["assignment_group"]["display_value"], "Service Desk");

    let (_, _, body) = sn.get(&format!("{base}&sysparm_display_value=all")).await;
    let record = &body["result"][0];
    assert_eq!(
        record["state"],
        json!({"display_value": "In Progress", "value": "2"})
    );
    assert_eq!(record["assignment_group"]["display_value"], "Service Desk");
    assert!(record["assignment_group"]["link"].is_string());
    assert!(record["assignment_group"]["value"].is_string());

    let (_, _, body) = sn
        .get(&format!(
            "{base}&sysparm_display_value=all&sysparm_exclude_reference_link=true"
        ))
        .await;
    let group = &body["result"][0]["assignment_group"];
    assert!(group.get("link").is_none());
    assert_eq!(group["display_value"], "Service Desk");

    let (_, _, body) = sn
        .get(&format!("{base}&sysparm_exclude_reference_link=true"))
        .await;
    assert!(body["result"][0]["assignment_group"].is_string());
}

#[tokio::test]
async fn paging_headers() {
    let sn = start(Options::default()).await;
    let (status, headers, body) = sn
        .get("/api/now/table/incident?sysparm_query=active=true&sysparm_limit=10&sysparm_offset=10&sysparm_fields=number")
        .await;
    assert_eq!(status, StatusCode::OK);
    let total: usize = headers["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(total > 20, "{total}");
    assert_eq!(body["result"].as_array().unwrap().len(), 10);
    let link = headers["link"].to_str().unwrap();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(link.contains("sysparm_offset=0>;rel=\"first\""), "{link}");
    assert!(link.contains("sysparm_offset=20>;rel=\"next\""), "{link}");
    assert!(link.contains("sysparm_query=active=true"), "{link}");
    let last = (total - 1) / 10 * 10;
    assert!(
        link.contains(&format!("sysparm_offset={last}>;rel=\"last\"")),
        "{link}"
    );

    let (_, headers, _) = sn.get("/api/now/table/incident?sysparm_limit=500").await;
    let link = headers["link"].to_str().unwrap();
    assert!(
        !link.contains("rel=\"next\"") && !link.contains("rel=\"prev\""),
        "{link}"
    );
}

#[tokio::test]
async fn journal_fields_append() {
    let sn = start(Options::default()).await;
    let id = sn.incident_id("INC0010003").await;
    let path = format!("/api/now/table/incident/{id}");
    let before = sn.state.record("incident", &id).unwrap();
    let (status, _) = sn
        .write(Method::PATCH, &path, json!({"work_notes": "first note"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sn
        .write(
            Method::PATCH,
            &path,
            json!({"work_notes": "second note", "comments": "customer visible"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = sn.state.record("incident", &id).unwrap();
    assert_eq!(after["sys_mod_count"], "2");
    assert_ne!(before["sys_mod_count"], after["sys_mod_count"]);

    let (_, _, body) = sn
        .get(&format!("{path}?sysparm_fields=work_notes,comments"))
        .await;
    let notes = body["result"]["work_notes"].as_str().unwrap();
    let second = notes.find("second note").unwrap();
    let first = notes.find("first note").unwrap();
    assert!(second < first, "newest first: {notes}");
    assert!(notes.contains("(Work notes)"));
    assert!(
        body["result"]["comments"]
            .as_str()
            .unwrap()
            .contains("customer visible")
    );

    let (_, headers, body) = sn
        .get(&format!(
            "/api/now/table/sys_journal_field?sysparm_query=element_id={id}^element=work_notes"
        ))
        .await;
    assert_eq!(headers["x-total-count"], "2");
    let entry = &body["result"][0];
    assert_eq!(entry["element"], "work_notes");
    assert_eq!(entry["sys_created_by"], "admin");
    assert!(entry["sys_created_on"].as_str().unwrap().len() == 19);
}

#[tokio::test]
async fn resolving_needs_close_code_and_notes() {
    let sn = start(Options::default()).await;
    let id = sn.incident_id("INC0010001").await;
    let path = format!("/api/now/table/incident/{id}");
    let (status, body) = sn.write(Method::PATCH, &path, json!({"state": "6"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Data Policy Exception:")
    );
    assert!(
        body["error"]["detail"]
            .as_str()
            .unwrap()
            .ends_with("mandatory fields: close_code, close_notes"),
        "{body}"
    );
    assert_eq!(sn.state.record("incident", &id).unwrap()["state"], "1");

    let (status, body) = sn
        .write(
            Method::PUT,
            &path,
            json!({"state": "6", "close_code": "Solution provided", "close_notes": "Rebooted"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["state"], "6");
    assert_eq!(body["result"]["active"], "false");
    assert!(!body["result"]["resolved_at"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_choice_lists_allowed_values() {
    let sn = start(Options::default()).await;
    let (status, body) = sn
        .write(
            Method::POST,
            "/api/now/table/incident",
            json!({"short_description": "x", "state": "9"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let detail = body["error"]["detail"].as_str().unwrap();
    for allowed in [
        "1 (New)",
        "2 (In Progress)",
        "3 (On Hold)",
        "6 (Resolved)",
        "7 (Closed)",
        "8 (Canceled)",
    ] {
        assert!(detail.contains(allowed), "{detail}");
    }
    assert_eq!(sn.state.count("incident"), SEED_INCIDENTS);
}

#[tokio::test]
async fn acl_refusals() {
    let sn = start(Options::default()).await;
    let (status, _, body) = sn.get("/api/now/table/sys_audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["message"], "User Not Authorized");
    assert!(
        body["error"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("ACL restricts")
    );

    let (status, _, body) = send(
        sn.client
            .post(sn.url("/api/now/table/incident"))
            .basic_auth("viewer", Some(PASSWORD))
            .json(&json!({"short_description": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["detail"].as_str().unwrap().contains("viewer"));
    let (status, _, _) = send(
        sn.client
            .get(sn.url("/api/now/table/incident?sysparm_limit=1"))
            .basic_auth("viewer", Some(PASSWORD)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "viewer can read");

    let (status, _) = sn
        .write(
            Method::POST,
            "/api/now/table/sys_choice",
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = sn.get("/api/now/table/no_such_table").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "Invalid table no_such_table");
}

#[tokio::test]
async fn create_update_delete_and_correlation_id() {
    let sn = start(Options::default()).await;
    let (status, body) = sn
        .write(
            Method::POST,
            "/api/now/table/incident?sysparm_display_value=all",
            json!({
                "short_description": "Disk full on build agent",
                "impact": "1", "urgency": "2",
                "assignment_group": "Platform Engineering",
                "correlation_id": "idem-123",
                "work_notes": "created by test"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let record = &body["result"];
    assert_eq!(record["number"]["value"], "INC0010121");
    assert_eq!(record["priority"]["value"], "2");
    assert_eq!(
        record["assignment_group"]["display_value"],
        "Platform Engineering"
    );
    assert_eq!(record["sys_mod_count"]["value"], "0");
    let id = record["sys_id"]["value"].as_str().unwrap().to_owned();

    let found = sn.numbers("correlation_id=idem-123").await;
    assert_eq!(found, ["INC0010121"]);

    let path = format!("/api/now/table/incident/{id}");
    let (status, body) = sn
        .write(
            Method::PATCH,
            &path,
            json!({"short_description": "Disk full (fixed)"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["sys_mod_count"], "1");
    assert!(
        !body["result"]["sys_updated_on"]
            .as_str()
            .unwrap()
            .is_empty()
    );

    let (status, _, _) = send(sn.request(Method::DELETE, &path)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = sn.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "No Record found");
}

#[tokio::test]
async fn commit_then_drop_stores_exactly_one_incident() {
    let (served, kit, state) = spawn_with_handles(Options::default()).await.unwrap();
    kit.push_fault(
        Fault::commit_then_drop()
            .method("POST")
            .path_prefix("/api/now/table/incident"),
    );
    let result = reqwest::Client::new()
        .post(format!("{}/api/now/table/incident", served.url()))
        .basic_auth(USER, Some(PASSWORD))
        .json(&json!({"short_description": "Dropped answer", "correlation_id": "drop-1"}))
        .send()
        .await;
    assert!(result.is_err(), "the connection is dropped");
    assert_eq!(state.count("incident"), SEED_INCIDENTS + 1);
    assert_eq!(state.query("incident", "correlation_id=drop-1").len(), 1);
}

#[tokio::test]
async fn rate_limit_answers_429() {
    let sn = start(Options {
        rate_per_second: 2,
        ..Options::default()
    })
    .await;
    let path = "/api/now/table/incident?sysparm_limit=1";
    let (status, headers, _) = sn.get(path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "1");
    sn.get(path).await;
    let (status, headers, body) = sn.get(path).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(body["status"], "failure");
}

#[tokio::test]
async fn reference_tables_and_stats() {
    let served = spawn(Options::default()).await.unwrap();
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{}{path}", served.url()))
            .basic_auth(USER, Some(PASSWORD))
    };
    let (_, _, body) = send(get(
        "/api/now/table/sys_choice?sysparm_query=name=incident^element=state^ORDERBYsequence&sysparm_fields=value,label",
    ))
    .await;
    assert_eq!(body["result"].as_array().unwrap().len(), 6);
    assert_eq!(body["result"][0], json!({"value": "1", "label": "New"}));
    let (_, headers, _) = send(get(
        "/api/now/table/kb_knowledge?sysparm_query=workflow_state=published^short_descriptionLIKEknown issue^textLIKEdeploy",
    ))
    .await;
    let known: usize = headers["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(known >= 2, "{known}");
    let (_, _, body) = send(get(
        "/api/now/stats/incident?sysparm_count=true&sysparm_query=active=true",
    ))
    .await;
    assert!(
        body["result"]["stats"]["count"]
            .as_str()
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
}
