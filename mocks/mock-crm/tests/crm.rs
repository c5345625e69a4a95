//! mock-crm over 127.0.0.1, driven the way a HubSpot client drives the real API.

use mock_crm::{
    ACME_COMPANY_ID, AT_RISK_STAGE, MockCrm, ObjectType, Options, RENEWALS_PIPELINE, SEED_CONTACTS,
    spawn_with_handles,
};
use mock_kit::{Fault, MockKit, Served};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "mock-hubspot-token";

struct Crm {
    served: Served,
    kit: MockKit,
    state: MockCrm,
    client: reqwest::Client,
}

async fn start(options: Options) -> Crm {
    let (served, kit, state) = spawn_with_handles(options).await.unwrap();
    Crm {
        served,
        kit,
        state,
        client: reqwest::Client::new(),
    }
}

async fn start_default() -> Crm {
    start(Options {
        search_per_second: 1_000,
        ..Options::default()
    })
    .await
}

impl Crm {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Sends and returns status and JSON body (`Null` when empty).
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let response = self.send(method, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, json)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn search(&self, object_type: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/crm/v3/objects/{object_type}/search"), body)
            .await
    }

    async fn search_total(&self, object_type: &str, filters: Value) -> u64 {
        let (status, body) = self
            .search(
                object_type,
                json!({"filterGroups": [{"filters": filters}], "limit": 1}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["total"].as_u64().unwrap()
    }
}

fn ids(results: &Value) -> Vec<String> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn auth_static_token_oauth_and_hubspot_shaped_401() {
    let crm = start_default().await;
    let response = crm
        .client
        .get(crm.url("/crm/v3/objects/contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], "INVALID_AUTHENTICATION");
    assert!(body["correlationId"].is_string());

    let wrong = crm
        .client
        .get(crm.url("/crm/v3/objects/contacts"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let ok = crm
        .send(Method::GET, "/crm/v3/objects/contacts", None)
        .await;
    assert_eq!(ok.status(), 200);
    for header in [
        "x-hubspot-ratelimit-daily",
        "x-hubspot-ratelimit-daily-remaining",
        "x-hubspot-ratelimit-interval-milliseconds",
        "x-hubspot-ratelimit-max",
        "x-hubspot-ratelimit-remaining",
        "x-hubspot-ratelimit-secondly",
        "x-hubspot-ratelimit-secondly-remaining",
    ] {
        assert!(ok.headers().contains_key(header), "{header}");
    }

    let refresh = |client_secret: &'static str| {
        crm.client
            .post(crm.url("/oauth/v1/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&client_id=mock-client&client_secret={client_secret}&refresh_token=mock-refresh-token"
            ))
            .send()
    };
    let bad = refresh("wrong").await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["status"],
        "BAD_CLIENT_SECRET"
    );
    let granted: Value = refresh("mock-secret").await.unwrap().json().await.unwrap();
    assert_eq!(granted["token_type"], "bearer");
    let token = granted["access_token"].as_str().unwrap().to_owned();
    let with_oauth = crm
        .client
        .get(crm.url("/crm/v3/objects/companies"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_oauth.status(), 200);

    crm.client
        .post(crm.url("/__admin/expire-tokens"))
        .send()
        .await
        .unwrap();
    let expired = crm
        .client
        .get(crm.url("/crm/v3/objects/companies"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["category"],
        "EXPIRED_AUTHENTICATION"
    );
}

#[tokio::test]
async fn list_pages_through_every_contact_with_selected_properties() {
    let crm = start_default().await;
    let mut seen = Vec::new();
    let mut path = "/crm/v3/objects/contacts?limit=100&properties=email,jobtitle".to_owned();
    loop {
        let (status, body) = crm.get(&path).await;
        assert_eq!(status, 200, "{body}");
        let first = &body["results"][0]["properties"];
        assert!(first["email"].is_string() && first.get("jobtitle").is_some());
        assert!(first.get("firstname").is_none(), "only selected properties");
        seen.extend(ids(&body["results"]));
        match body["paging"]["next"]["after"].as_str() {
            Some(after) => {
                path = format!(
                    "/crm/v3/objects/contacts?limit=100&properties=email,jobtitle&after={after}"
                );
            }
            None => break,
        }
    }
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((count, seen.len()), (SEED_CONTACTS, SEED_CONTACTS));

    let (status, _) = crm.get("/crm/v3/objects/contacts?limit=101").await;
    assert_eq!(status, 400);

    // One record with associations and by email.
    let (status, dana) = crm
        .get("/crm/v3/objects/contacts/dana.whitfield@acme.com?idProperty=email&associations=companies,deals")
        .await;
    assert_eq!(status, 200, "{dana}");
    let companies = &dana["associations"]["companies"]["results"];
    let acme = ACME_COMPANY_ID.to_string();
    assert!(
        companies
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"].as_str() == Some(acme.as_str()))
    );
    let (status, missing) = crm.get("/crm/v3/objects/contacts/999999").await;
    assert_eq!(status, 404);
    assert_eq!(missing["category"], "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn search_operators_query_sorts_and_paging() {
    let crm = start_default().await;
    let acme_people = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@acme.com"}]),
        )
        .await;
    assert_eq!(acme_people, 6);
    let not_acme = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "email", "operator": "NOT_CONTAINS_TOKEN", "value": "*@acme.com"}]),
        )
        .await;
    assert_eq!(acme_people + not_acme, SEED_CONTACTS as u64);
    assert_eq!(
        crm.search_total(
            "contacts",
            json!([{"propertyName": "email", "operator": "EQ", "value": "Dana.Whitfield@ACME.com"}]),
        )
        .await,
        1
    );
    let with_company = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "company", "operator": "HAS_PROPERTY"}]),
        )
        .await;
    let without = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "company", "operator": "NOT_HAS_PROPERTY"}]),
        )
        .await;
    assert!(with_company > 0 && without > 0);
    assert_eq!(with_company + without, SEED_CONTACTS as u64);
    let customers_or_leads = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "lifecyclestage", "operator": "IN", "values": ["customer", "lead"]}]),
        )
        .await;
    let others = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "lifecyclestage", "operator": "NOT_IN", "values": ["customer", "lead"]}]),
        )
        .await;
    assert_eq!(customers_or_leads + others, SEED_CONTACTS as u64);
    let not_customers = crm
        .search_total(
            "contacts",
            json!([{"propertyName": "lifecyclestage", "operator": "NEQ", "value": "customer"}]),
        )
        .await;
    assert!(not_customers < SEED_CONTACTS as u64);

    // Numbers compare numerically; BETWEEN is inclusive; LT/LTE/GT/GTE agree.
    let (_, big) = crm
        .search(
            "deals",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "amount", "operator": "GTE", "value": "100000"}]}],
                "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
                "properties": ["amount", "dealname"], "limit": 200}),
        )
        .await;
    let amounts: Vec<f64> = big["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["amount"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(amounts.first(), Some(&240_000.0));
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]));
    assert!(amounts.iter().all(|a| *a >= 100_000.0));
    let between = crm
        .search_total(
            "deals",
            json!([{"propertyName": "amount", "operator": "BETWEEN", "value": "18000", "highValue": "48000"}]),
        )
        .await;
    let gte = crm
        .search_total(
            "deals",
            json!([{"propertyName": "amount", "operator": "GTE", "value": 18000},
                   {"propertyName": "amount", "operator": "LTE", "value": 48000}]),
        )
        .await;
    assert_eq!(between, gte);
    let lt = crm
        .search_total(
            "deals",
            json!([{"propertyName": "amount", "operator": "LT", "value": "18000"}]),
        )
        .await;
    let gt = crm
        .search_total(
            "deals",
            json!([{"propertyName": "amount", "operator": "GT", "value": "18000"}]),
        )
        .await;
    let eq = crm
        .search_total(
            "deals",
            json!([{"propertyName": "amount", "operator": "EQ", "value": "18000"}]),
        )
        .await;
    assert_eq!(lt + gt + eq, 72);
    // Datetimes accept epoch milliseconds.
    let recent = crm
        .search_total(
            "notes",
            json!([{"propertyName": "hs_timestamp", "operator": "GTE",
                    "value": (mock_crm::seed_anchor().timestamp_millis() - 15 * 86_400_000).to_string()}]),
        )
        .await;
    assert!(recent >= 6);

    // Filter groups are ORed; associations.company finds Acme's notes.
    let acme_notes = crm
        .search_total(
            "notes",
            json!([{"propertyName": "associations.company", "operator": "EQ", "value": ACME_COMPANY_ID.to_string()}]),
        )
        .await;
    assert_eq!(acme_notes, 6);
    let (_, either) = crm
        .search(
            "contacts",
            json!({"filterGroups": [
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Dana"}]},
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Marcus"}]}]}),
        )
        .await;
    assert_eq!(either["total"], 2);

    // Free text.
    let (_, found) = crm.search("contacts", json!({"query": "whitf"})).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["results"][0]["properties"]["lastname"], "Whitfield");

    // Paging by offset.
    let (_, page1) = crm.search("contacts", json!({"limit": 100})).await;
    assert_eq!(page1["total"], SEED_CONTACTS);
    assert_eq!(page1["paging"]["next"]["after"], "100");
    let (_, page3) = crm
        .search("contacts", json!({"limit": 100, "after": "200"}))
        .await;
    assert_eq!(
        page3["results"].as_array().unwrap().len(),
        SEED_CONTACTS - 200
    );
    assert!(page3.get("paging").is_none());
    let (status, _) = crm.search("contacts", json!({"limit": 201})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn filter_group_limits_are_enforced() {
    let crm = start_default().await;
    let filter = json!({"propertyName": "firstname", "operator": "HAS_PROPERTY"});
    let groups = |groups: usize, per_group: usize| {
        json!({"filterGroups": (0..groups)
            .map(|_| json!({"filters": vec![filter.clone(); per_group]}))
            .collect::<Vec<_>>()})
    };
    let (status, _) = crm.search("contacts", groups(5, 3)).await;
    assert_eq!(status, 200);
    let (status, _) = crm.search("contacts", groups(3, 6)).await;
    assert_eq!(status, 200, "18 filters in all is the limit");
    for (g, f) in [(6, 1), (1, 7), (4, 5)] {
        let (status, body) = crm.search("contacts", groups(g, f)).await;
        assert_eq!(status, 400, "{g} groups of {f}");
        assert_eq!(body["category"], "VALIDATION_ERROR");
    }
    let (status, _) = crm
        .search(
            "contacts",
            json!({"filterGroups": [{"filters": [{"propertyName": "x", "operator": "LIKE", "value": "1"}]}]}),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn search_stops_at_ten_thousand_results() {
    let crm = start_default().await;
    let (status, _) = crm
        .search("contacts", json!({"limit": 10, "after": "10000"}))
        .await;
    assert_eq!(status, 400);
    crm.client
        .post(crm.url("/__admin/generate-contacts"))
        .json(&json!({"count": 10_000}))
        .send()
        .await
        .unwrap();
    let (status, page) = crm
        .search("contacts", json!({"limit": 200, "after": "9800"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], SEED_CONTACTS + 10_000);
    assert_eq!(page["results"].as_array().unwrap().len(), 200);
    assert!(page.get("paging").is_none(), "no page past 10,000");
}

#[tokio::test]
async fn search_has_its_own_tighter_bucket() {
    let crm = start(Options {
        search_per_second: 2,
        ..Options::default()
    })
    .await;
    for _ in 0..2 {
        let (status, _) = crm.search("contacts", json!({"limit": 1})).await;
        assert_eq!(status, 200);
    }
    let response = crm
        .send(
            Method::POST,
            "/crm/v3/objects/contacts/search",
            Some(json!({"limit": 1})),
        )
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["x-hubspot-ratelimit-secondly"], "2");
    assert_eq!(
        response.headers()["x-hubspot-ratelimit-secondly-remaining"],
        "0"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "You have reached your secondly limit.");
    assert_eq!(body["category"], "RATE_LIMITS");
    // Other endpoints are unaffected, and the bucket refills.
    let (status, _) = crm.get("/crm/v3/objects/contacts?limit=1").await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, _) = crm.search("contacts", json!({"limit": 1})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn general_bucket_refuses_past_its_max() {
    let crm = start(Options {
        per_ten_seconds: 3,
        ..Options::default()
    })
    .await;
    for remaining in ["2", "1", "0"] {
        let response = crm
            .send(Method::GET, "/crm/v3/properties/contacts", None)
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["x-hubspot-ratelimit-remaining"],
            remaining
        );
    }
    let (status, body) = crm.get("/crm/v3/properties/contacts").await;
    assert_eq!(status, 429);
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
}

#[tokio::test]
async fn associations_v4_list_and_create() {
    let crm = start_default().await;
    let (status, body) = crm
        .get(&format!(
            "/crm/v4/objects/companies/{ACME_COMPANY_ID}/associations/contacts"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let type_ids: Vec<u64> = results[0]["associationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["typeId"].as_u64().unwrap())
        .collect();
    assert!(
        type_ids.contains(&280) && type_ids.contains(&2),
        "{type_ids:?}"
    );
    assert!(results[0]["toObjectId"].is_u64());

    let (_, deals) = crm
        .get(&format!(
            "/crm/v4/objects/companies/{ACME_COMPANY_ID}/associations/deals"
        ))
        .await;
    assert_eq!(deals["results"].as_array().unwrap().len(), 4);

    // A new association shows up both ways.
    let contact = ids(&crm
        .get("/crm/v3/objects/contacts?limit=1&after=1200")
        .await
        .1["results"])[0]
        .clone();
    let deal = deals["results"][0]["toObjectId"].as_u64().unwrap();
    let (status, created) = crm
        .call(
            Method::PUT,
            &format!("/crm/v4/objects/contacts/{contact}/associations/default/deals/{deal}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (_, back) = crm
        .get(&format!(
            "/crm/v4/objects/deals/{deal}/associations/contacts"
        ))
        .await;
    assert!(
        back["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["toObjectId"].as_u64() == contact.parse().ok())
    );
    let (status, _) = crm
        .call(
            Method::DELETE,
            &format!("/crm/v4/objects/contacts/{contact}/associations/deals/{deal}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        !crm.state
            .associated(ObjectType::Deals, deal, ObjectType::Contacts)
            .contains(&contact.parse().unwrap())
    );
}

#[tokio::test]
async fn batch_read_by_id_and_email_reports_missing_ids() {
    let crm = start_default().await;
    let (_, page) = crm.get("/crm/v3/objects/contacts?limit=3").await;
    let mut inputs: Vec<Value> = ids(&page["results"])
        .into_iter()
        .map(|id| json!({"id": id}))
        .collect();
    let (status, body) = crm
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs, "properties": ["email"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(body["results"].as_array().unwrap().len(), 3);

    inputs.push(json!({"id": "424242"}));
    let (status, body) = crm
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs}),
        )
        .await;
    assert_eq!(status, 207);
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["424242"]));

    let (status, body) = crm
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": [{"id": "marcus.lee@acme.com"}], "idProperty": "email",
                   "properties": ["jobtitle"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["properties"]["jobtitle"], "CFO");
}

#[tokio::test]
async fn deal_stage_must_belong_to_the_pipeline_and_history_is_kept() {
    let crm = start_default().await;
    let (_, found) = crm
        .search(
            "deals",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "dealstage", "operator": "EQ", "value": AT_RISK_STAGE},
                {"propertyName": "associations.company", "operator": "EQ", "value": ACME_COMPANY_ID}]}]}),
        )
        .await;
    assert_eq!(found["total"], 1);
    let deal = found["results"][0]["id"].as_str().unwrap().to_owned();

    let (_, pipelines) = crm.get("/crm/v3/pipelines/deals").await;
    let pipelines = pipelines["results"].as_array().unwrap().clone();
    assert_eq!(pipelines.len(), 2);
    let renewals = pipelines
        .iter()
        .find(|p| p["id"] == RENEWALS_PIPELINE)
        .unwrap();
    assert!(renewals["stages"][0]["metadata"]["probability"].is_string());

    let (status, body) = crm
        .patch(
            &format!("/crm/v3/objects/deals/{deal}"),
            json!({"properties": {"dealstage": "closedwon"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["code"], "INVALID_OPTION");
    let message = body["message"].as_str().unwrap();
    for stage in renewals["stages"].as_array().unwrap() {
        assert!(message.contains(stage["id"].as_str().unwrap()), "{message}");
    }

    let (status, _) = crm
        .patch(
            &format!("/crm/v3/objects/deals/{deal}"),
            json!({"properties": {"dealstage": "1032793484"}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, with_history) = crm
        .get(&format!(
            "/crm/v3/objects/deals/{deal}?propertiesWithHistory=dealstage"
        ))
        .await;
    let history = with_history["propertiesWithHistory"]["dealstage"]
        .as_array()
        .unwrap();
    assert_eq!(history[0]["value"], "1032793484");
    assert_eq!(history[1]["value"], AT_RISK_STAGE);
    assert!(history.len() >= 4);
}

#[tokio::test]
async fn validation_errors_have_hubspots_shape() {
    let crm = start_default().await;
    let (status, body) = crm
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "new.person@example.org", "lifecyclestage": "hot",
                                  "favourite_colour": "blue"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], "VALIDATION_ERROR");
    assert!(body["correlationId"].is_string());
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Property values were not valid: ["),
        "{message}"
    );
    let errors = body["errors"].as_array().unwrap();
    let codes: Vec<&str> = errors.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"INVALID_OPTION") && codes.contains(&"PROPERTY_DOESNT_EXIST"));
    let option = errors
        .iter()
        .find(|e| e["code"] == "INVALID_OPTION")
        .unwrap();
    assert_eq!(option["context"]["propertyName"], json!(["lifecyclestage"]));
    assert_eq!(crm.state.count(ObjectType::Contacts), SEED_CONTACTS);

    let (_, options) = crm.get("/crm/v3/properties/contacts/lifecyclestage").await;
    assert!(
        options["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["value"] == "customer")
    );
}

#[tokio::test]
async fn create_with_associations_and_duplicate_email_conflict() {
    let crm = start_default().await;
    let (status, created) = crm
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "fresh@acme.com", "firstname": "Fresh"},
                   "associations": [{"to": {"id": ACME_COMPANY_ID},
                     "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["properties"]["createdate"].is_string());
    assert!(created["properties"]["hs_lastmodifieddate"].is_string());
    assert_eq!(
        crm.state.associated(
            ObjectType::Contacts,
            id.parse().unwrap(),
            ObjectType::Companies
        ),
        vec![ACME_COMPANY_ID]
    );

    let (status, body) = crm
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "FRESH@acme.com"}}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        format!("Contact already exists. Existing ID: {id}")
    );

    let (status, note) = crm
        .post(
            "/crm/v3/objects/notes",
            json!({"properties": {"hs_note_body": "<p>Hi</p>", "hs_timestamp": "2026-11-20T10:00:00Z"},
                   "associations": [{"to": {"id": id},
                     "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(
        note["properties"]["hs_timestamp"],
        "2026-11-20T10:00:00.000Z"
    );

    // Upsert by email updates the existing contact instead of creating a twin.
    let (status, upserted) = crm
        .post(
            "/crm/v3/objects/contacts/batch/upsert",
            json!({"inputs": [{"id": "fresh@acme.com", "idProperty": "email",
                               "properties": {"jobtitle": "Buyer"}}]}),
        )
        .await;
    assert_eq!(status, 200, "{upserted}");
    assert_eq!(upserted["results"][0]["id"], id);
    assert_eq!(upserted["results"][0]["new"], false);
    assert_eq!(crm.state.count(ObjectType::Contacts), SEED_CONTACTS + 1);
}

#[tokio::test]
async fn both_path_prefixes_reach_the_same_handlers() {
    let crm = start_default().await;
    let acme_path = format!("/crm/objects/2026-03/companies/{ACME_COMPANY_ID}");
    let (status, acme) = crm.get(&acme_path).await;
    assert_eq!(status, 200, "{acme}");
    assert_eq!(acme["properties"]["name"], "Acme Corp");
    let (_, classic) = crm
        .get(&format!("/crm/v3/objects/companies/{ACME_COMPANY_ID}"))
        .await;
    assert_eq!(acme, classic);

    let (status, found) = crm
        .post(
            "/crm/objects/2026-03/contacts/search",
            json!({"query": "whitfield"}),
        )
        .await;
    assert_eq!((status, found["total"].clone()), (StatusCode::OK, json!(1)));
    let (status, assoc) = crm
        .get(&format!(
            "/crm/objects/2026-03/companies/{ACME_COMPANY_ID}/associations/contacts"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(assoc["results"].as_array().unwrap().len(), 6);
    let (status, pipelines) = crm.get("/crm/pipelines/2026-03/deals").await;
    assert_eq!(status, 200);
    assert_eq!(pipelines["results"].as_array().unwrap().len(), 2);
    let (status, props) = crm.get("/crm/properties/2026-03/companies/industry").await;
    assert_eq!(status, 200);
    assert_eq!(props["type"], "enumeration");
    let (status, _) = crm.get("/crm/objects/latest/contacts").await;
    assert_eq!(status, 404);

    let logged = crm.kit.requests_with_prefix("/crm/objects/2026-03/");
    assert!(!logged.is_empty(), "the log keeps the path the client used");
}

#[tokio::test]
async fn commit_then_drop_on_create_stores_exactly_one_contact() {
    let crm = start_default().await;
    crm.kit.push_fault(
        Fault::commit_then_drop()
            .method("POST")
            .path_prefix("/crm/v3/objects/contacts"),
    );
    let body = json!({"properties": {"email": "once@example.org", "firstname": "Once"}});
    let first = crm
        .client
        .post(crm.url("/crm/v3/objects/contacts"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await;
    assert!(first.is_err(), "the answer is lost");
    let (status, retry) = crm.post("/crm/v3/objects/contacts", body).await;
    assert_eq!(status, 409, "{retry}");
    let twins = crm
        .state
        .find(ObjectType::Contacts, "email", "once@example.org");
    assert_eq!(twins.len(), 1);
    assert_eq!(
        retry["message"],
        format!("Contact already exists. Existing ID: {}", twins[0].id)
    );
    assert_eq!(crm.state.count(ObjectType::Contacts), SEED_CONTACTS + 1);
}

#[tokio::test]
async fn reset_restores_the_seed() {
    let crm = start_default().await;
    let (status, _) = crm
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "temp@example.org"}}),
        )
        .await;
    assert_eq!(status, 201);
    let reset = crm
        .client
        .post(crm.url("/__admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(crm.state.count(ObjectType::Contacts), SEED_CONTACTS);
    assert_eq!(
        crm.state
            .object(ObjectType::Companies, ACME_COMPANY_ID)
            .unwrap()
            .get("name"),
        Some("Acme Corp")
    );
}
