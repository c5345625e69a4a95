//! Every read tool, with both path styles; `account_summary` on Acme.

use mock_crm::{ACME_COMPANY_ID, AT_RISK_STAGE, ObjectType};
use serde_json::{Value, json};

use crate::{VERSIONS, World};

fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: Vec<u64>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test]
async fn account_summary_assembles_acme_in_both_path_styles() {
    for version in VERSIONS {
        let w = World::new().await;
        let client = w.stdio(&["--api-version", version]).await;
        let r = client
            .call(
                "account_summary",
                json!({"company_id": ACME_COMPANY_ID.to_string()}),
            )
            .await
            .unwrap();
        assert!(!r.is_error, "{}", r.text);
        let s = &r.structured;
        assert_eq!(s["company"]["title"], "Acme Corp", "{}", r.text);
        let acme = ACME_COMPANY_ID;
        assert_eq!(
            ids(&s["contacts"]),
            sorted(
                w.crm
                    .associated(ObjectType::Companies, acme, ObjectType::Contacts)
            ),
        );
        assert_eq!(s["contacts"].as_array().unwrap().len(), 6);
        // Open deals: every associated deal not in a closed stage; the at-risk renewal among them.
        let open = s["open_deals"].as_array().unwrap();
        assert_eq!(open.len(), 3, "{}", r.text);
        assert!(
            open.iter()
                .any(|d| d["properties"]["dealstage"] == AT_RISK_STAGE
                    && d["properties"]["dealstage_label"] == "At Risk"),
            "{}",
            r.text
        );
        assert!(
            open.iter()
                .all(|d| d["properties"]["dealstage"] != "closedwon"),
            "{}",
            r.text
        );
        // Recent notes, newest first, as text.
        let notes = s["recent_notes"].as_array().unwrap();
        assert_eq!(notes.len(), 6, "{}", r.text);
        assert!(
            notes[0]["text"]
                .as_str()
                .unwrap()
                .contains("Dana Whitfield confirmed she is leaving"),
            "{}",
            r.text
        );
        assert!(!notes[0]["text"].as_str().unwrap().contains("<p>"));
        let all_notes = w
            .crm
            .associated(ObjectType::Companies, acme, ObjectType::Notes);
        assert_eq!(s["notes_total"], all_notes.len());
        // By name too.
        let r = client
            .call(
                "account_summary",
                json!({"company": "Acme Corp", "notes": 2}),
            )
            .await
            .unwrap();
        assert_eq!(
            r.structured["company"]["id"],
            acme.to_string(),
            "{}",
            r.text
        );
        assert_eq!(r.structured["recent_notes"].as_array().unwrap().len(), 2);

        let paths = w.paths();
        let api: Vec<&String> = paths.iter().filter(|p| p.starts_with("/crm/")).collect();
        assert!(!api.is_empty());
        if version == "v3" {
            assert!(
                api.iter()
                    .all(|p| p.starts_with("/crm/v3/") || p.starts_with("/crm/v4/")),
                "{api:?}"
            );
            assert!(
                api.iter()
                    .any(|p| p.starts_with("/crm/v4/objects/companies/"))
            );
        } else {
            assert!(
                api.iter().all(|p| p.starts_with("/crm/objects/2026-03/")
                    || p.starts_with("/crm/pipelines/2026-03/")
                    || p.starts_with("/crm/properties/2026-03/")),
                "{api:?}"
            );
        }
    }
}

#[tokio::test]
async fn every_read_tool_answers_in_both_path_styles() {
    for version in VERSIONS {
        let w = World::new().await;
        let client = w.stdio(&["--api-version", version]).await;
        let call = async |tool: &str, args: Value| {
            let r = client.call(tool, args).await.unwrap();
            assert!(!r.is_error, "{version} {tool}: {}", r.text);
            r.structured
        };
        let acme = ACME_COMPANY_ID.to_string();

        // Companies.
        let page = call(
            "search_companies",
            json!({"query": "Acme", "properties": ["description"]}),
        )
        .await;
        assert_eq!(page["records"][0]["id"], acme, "{page}");
        let company = call("get_company", json!({"id": acme})).await;
        assert_eq!(company["contacts"].as_array().unwrap().len(), 6);
        assert_eq!(company["open_deals"].as_array().unwrap().len(), 3);

        // Contacts.
        let contact_id = company["contacts"][0]["id"].as_str().unwrap().to_owned();
        let email = company["contacts"][0]["properties"]["email"]
            .as_str()
            .unwrap()
            .to_owned();
        let page = call(
            "search_contacts",
            json!({"filters": [{"property": "email", "operator": "EQ", "value": email}]}),
        )
        .await;
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(page["records"][0]["id"], contact_id);
        let contact = call("get_contact", json!({"id": contact_id})).await;
        assert_eq!(contact["companies"][0]["id"], acme, "{contact}");
        assert!(
            !contact["deals"].as_array().unwrap().is_empty(),
            "{contact}"
        );

        // Paging, sorting, OR groups.
        let first = call(
            "search_contacts",
            json!({"limit": 50, "sorts": [{"property": "createdate", "direction": "desc"}]}),
        )
        .await;
        assert_eq!(first["records"].as_array().unwrap().len(), 50);
        assert_eq!(first["total"], mock_crm::SEED_CONTACTS);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = call("search_contacts", json!({"limit": 50, "cursor": cursor})).await;
        assert_ne!(first["records"][0]["id"], second["records"][0]["id"]);
        let either = call(
            "search_contacts",
            json!({"filter_groups": [
                {"filters": [{"property": "lifecyclestage", "operator": "EQ", "value": "customer"}]},
                {"filters": [{"property": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
            ], "limit": 100}),
        )
        .await;
        assert!(
            either["records"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| ["customer", "lead"]
                    .contains(&r["properties"]["lifecyclestage"].as_str().unwrap())),
            "{either}"
        );

        // Deals.
        let deals = call(
            "search_deals",
            json!({"filters": [{"property": "dealstage", "operator": "EQ", "value": AT_RISK_STAGE}]}),
        )
        .await;
        let deal_id = deals["records"][0]["id"].as_str().unwrap().to_owned();
        let deal = call("get_deal", json!({"id": deal_id})).await;
        let history = deal["stage_history"].as_array().unwrap();
        assert!(!history.is_empty(), "{deal}");
        assert_eq!(history[0]["label"], "At Risk", "{deal}");
        assert_eq!(deal["deal"]["properties"]["pipeline_label"], "Renewals");
        let pipelines = call("list_pipelines", json!({})).await;
        assert_eq!(pipelines["pipelines"].as_array().unwrap().len(), 2);

        // Notes and schema.
        let notes = call(
            "list_notes",
            json!({"object": "company", "id": acme, "limit": 3}),
        )
        .await;
        assert_eq!(notes["notes"].as_array().unwrap().len(), 3);
        let props = call("list_properties", json!({"object": "contacts"})).await;
        let lifecycle = props["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "lifecyclestage")
            .unwrap();
        assert!(
            lifecycle["options"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["value"] == "customer")
        );

        // search / fetch.
        let hits = call("search", json!({"query": "Acme"})).await;
        let hit = hits["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == format!("company:{acme}"))
            .unwrap_or_else(|| panic!("{hits}"));
        let doc = call("fetch", json!({"id": hit["id"]})).await;
        assert!(doc["text"].as_str().unwrap().contains("Acme Corp"), "{doc}");
        assert!(
            doc["text"].as_str().unwrap().contains("## contacts"),
            "{doc}"
        );

        let prefix = if version == "v3" {
            "/crm/v3/objects/contacts/search"
        } else {
            "/crm/objects/2026-03/contacts/search"
        };
        assert!(w.paths().iter().any(|p| p == prefix), "{:?}", w.paths());
        assert!(w.writes().is_empty(), "{:?}", w.writes());
    }
}

#[tokio::test]
async fn search_arguments_are_validated_before_the_crm_is_asked() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let f = json!({"property": "email", "operator": "HAS_PROPERTY"});
    let group = json!({"filters": [f, f, f, f, f, f]});
    let r = client
        .call(
            "search_contacts",
            json!({"filter_groups": [group, group, group, group]}),
        )
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("at most 18"), "{}", r.text);
    let r = client
        .call(
            "search_contacts",
            json!({"filters": [{"property": "email", "operator": "EQ"}]}),
        )
        .await
        .unwrap();
    assert!(
        r.is_error && r.text.contains("EQ needs `value`"),
        "{}",
        r.text
    );
    assert!(
        !w.paths().iter().any(|p| p.ends_with("/search")),
        "{:?}",
        w.paths()
    );
}

#[tokio::test]
async fn the_ten_thousand_result_cap_is_reported() {
    let w = World::new().await;
    reqwest::Client::new()
        .post(format!("{}/__admin/generate-contacts", w.mock.url()))
        .json(&json!({"count": 10_000}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let client = w.stdio(&[]).await;
    let r = client
        .call("search_contacts", json!({"limit": 100, "cursor": "9900"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["capped"], true, "{}", r.text);
    assert!(r.structured.get("next_cursor").is_none(), "{}", r.text);
    assert!(
        r.structured["note"]
            .as_str()
            .unwrap()
            .contains("10,000-result search cap is reached"),
        "{}",
        r.text
    );
}
