//! Write safety: the token flow for every write, the write scope,
//! exactly-once creates, validation, the search bucket's 429, OAuth.

use mock_crm::{ACME_COMPANY_ID, AT_RISK_STAGE, ObjectType};
use mock_kit::Fault;
use serde_json::json;

use crate::{VERSIONS, World};

fn contact_args(email: &str) -> serde_json::Value {
    json!({"email": email, "firstname": "Ada", "lastname": "Lovelace",
           "properties": {"lifecyclestage": "Lead"}, "company_id": ACME_COMPANY_ID.to_string()})
}

fn at_risk_deal(w: &World) -> u64 {
    w.crm
        .find(ObjectType::Deals, "dealstage", AT_RISK_STAGE)
        .first()
        .unwrap()
        .id
}

#[tokio::test]
async fn create_contact_previews_then_writes_once_in_both_path_styles() {
    for version in VERSIONS {
        let w = World::new().await;
        let client = w.stdio(&["--api-version", version]).await;
        let before = w.crm.count(ObjectType::Contacts);
        let args = contact_args("ada@example.com");
        let preview = client.call("create_contact", args.clone()).await.unwrap();
        assert_eq!(
            preview.structured["status"], "confirmation_required",
            "{}",
            preview.text
        );
        assert!(
            preview.text.contains("nothing has been written"),
            "{}",
            preview.text
        );
        assert!(w.writes().is_empty(), "{:?}", w.writes());
        let mut confirmed = args.clone();
        confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
        let done = client
            .call("create_contact", confirmed.clone())
            .await
            .unwrap();
        assert_eq!(done.structured["status"], "executed", "{}", done.text);
        let replay = client.call("create_contact", confirmed).await.unwrap();
        assert_eq!(
            replay.structured["status"], "already_executed",
            "{}",
            replay.text
        );
        assert_eq!(w.crm.count(ObjectType::Contacts), before + 1);
        let id: u64 = done.structured["result"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let c = w.crm.object(ObjectType::Contacts, id).unwrap();
        assert_eq!(
            c.properties.get("lifecyclestage").map(String::as_str),
            Some("lead")
        );
        assert!(
            w.crm
                .associated(ObjectType::Contacts, id, ObjectType::Companies)
                .contains(&ACME_COMPANY_ID)
        );
        let create_path = if version == "v3" {
            "/crm/v3/objects/contacts"
        } else {
            "/crm/objects/2026-03/contacts"
        };
        assert_eq!(w.writes(), [format!("POST {create_path}")]);
        // The email is the natural key: a second create is refused before any write.
        let r = client
            .call("create_contact", contact_args("ADA@example.com"))
            .await
            .unwrap();
        assert!(
            r.is_error && r.text.contains("exists already"),
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn update_contact_shows_a_diff_and_checks_values() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let id = w
        .crm
        .associated(ObjectType::Companies, ACME_COMPANY_ID, ObjectType::Contacts)[0];
    let old = w.crm.object(ObjectType::Contacts, id).unwrap();
    let args = json!({"id": id.to_string(), "properties": {"jobtitle": "Chief Renewal Officer"}});
    let (preview, done) = client.call_confirmed("update_contact", args).await.unwrap();
    let changes = preview.structured["preview"]["changes"].to_string();
    assert!(
        changes.contains("Chief Renewal Officer")
            && changes.contains(old.properties.get("jobtitle").unwrap().as_str()),
        "{}",
        preview.text
    );
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let new = w.crm.object(ObjectType::Contacts, id).unwrap();
    assert_eq!(
        new.properties.get("jobtitle").map(String::as_str),
        Some("Chief Renewal Officer")
    );
    // An enumeration value outside the options: refused with the allowed values, nothing sent.
    let writes = w.writes().len();
    let r = client
        .call(
            "update_contact",
            json!({"id": id.to_string(), "properties": {"lifecyclestage": "hot"}}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("allowed values") && r.text.contains("\"customer\" (Customer)"),
        "{}",
        r.text
    );
    // A validation rule only HubSpot knows: its message comes through.
    let (_, bad) = client
        .call_confirmed(
            "update_contact",
            json!({"id": id.to_string(), "properties": {"email": "not-an-email"}}),
        )
        .await
        .unwrap();
    assert!(bad.is_error, "{}", bad.text);
    assert!(
        bad.text.contains("400") && bad.text.contains("INVALID_EMAIL"),
        "{}",
        bad.text
    );
    assert_eq!(w.writes().len(), writes + 1, "{:?}", w.writes());
}

#[tokio::test]
async fn update_deal_stage_validates_against_the_pipeline() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let deal = at_risk_deal(&w);
    let r = client
        .call(
            "update_deal_stage",
            json!({"id": deal.to_string(), "stage": "Contract Sent"}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("\"Renewals\"")
            && r.text.contains("\"In Negotiation\" (id 1032793482)")
            && r.text.contains("\"Renewed\""),
        "{}",
        r.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    let (preview, done) = client
        .call_confirmed(
            "update_deal_stage",
            json!({"id": deal.to_string(), "stage": "in negotiation"}),
        )
        .await
        .unwrap();
    let changes = preview.structured["preview"]["changes"].to_string();
    assert!(
        changes.contains("At Risk") && changes.contains("In Negotiation"),
        "{}",
        preview.text
    );
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let d = w.crm.object(ObjectType::Deals, deal).unwrap();
    assert_eq!(
        d.properties.get("dealstage").map(String::as_str),
        Some("1032793482")
    );
}

#[tokio::test]
async fn create_note_is_html_safe_and_associated() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let acme = ACME_COMPANY_ID.to_string();
    let (preview, done) = client
        .call_confirmed(
            "create_note",
            json!({"object": "company", "id": acme, "body": "Call <script>alert(1)</script> & \"Dana\"\n\nNext steps"}),
        )
        .await
        .unwrap();
    assert!(preview.text.contains("Acme Corp"), "{}", preview.text);
    assert_eq!(done.structured["status"], "executed", "{}", done.text);
    let id: u64 = done.structured["result"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let note = w.crm.object(ObjectType::Notes, id).unwrap();
    let body = note.properties.get("hs_note_body").unwrap();
    assert!(
        body.starts_with("<p>Call &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Dana&quot;</p><p>Next steps</p><!-- mcp:"),
        "{body}"
    );
    assert!(
        w.crm
            .associated(ObjectType::Notes, id, ObjectType::Companies)
            .contains(&ACME_COMPANY_ID)
    );
    let listed = client
        .call(
            "list_notes",
            json!({"object": "company", "id": acme, "limit": 1}),
        )
        .await
        .unwrap();
    assert_eq!(
        listed.structured["notes"][0]["id"],
        id.to_string(),
        "{}",
        listed.text
    );
    assert!(
        listed.structured["notes"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Call <script>alert(1)</script> & \"Dana\""),
        "{}",
        listed.text
    );
}

#[tokio::test]
async fn writes_outside_write_objects_never_reach_the_crm() {
    let w = World::new().await;
    let client = w.stdio(&["--write-objects", "contacts,notes"]).await;
    let deal = at_risk_deal(&w);
    let r = client
        .call(
            "update_deal_stage",
            json!({"id": deal.to_string(), "stage": "Renewed"}),
        )
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(r.text.contains("--write-objects"), "{}", r.text);
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    // Inside the scope a write previews.
    let r = client
        .call(
            "create_note",
            json!({"object": "deal", "id": deal.to_string(), "body": "x"}),
        )
        .await
        .unwrap();
    assert_eq!(
        r.structured["status"], "confirmation_required",
        "{}",
        r.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[tokio::test]
async fn commit_then_drop_creates_exactly_one_contact_and_one_note() {
    for version in VERSIONS {
        let w = World::new().await;
        let client = w.stdio(&["--api-version", version]).await;
        let objects = if version == "v3" {
            "/crm/v3/objects"
        } else {
            "/crm/objects/2026-03"
        };
        let before = w.crm.count(ObjectType::Contacts);
        w.kit.push_fault(
            Fault::commit_then_drop()
                .method("POST")
                .path_prefix(format!("{objects}/contacts")),
        );
        let (_, done) = client
            .call_confirmed("create_contact", contact_args("grace@example.com"))
            .await
            .unwrap();
        assert_eq!(done.structured["status"], "executed", "{}", done.text);
        assert_eq!(
            done.structured["result"]["recovered"], true,
            "{}",
            done.text
        );
        assert_eq!(
            w.crm.count(ObjectType::Contacts),
            before + 1,
            "exactly one contact"
        );
        assert_eq!(
            w.crm
                .find(ObjectType::Contacts, "email", "grace@example.com")
                .len(),
            1
        );
        let posts = w
            .kit
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == format!("{objects}/contacts"))
            .count();
        assert_eq!(posts, 1, "the create was not sent twice");

        let notes = w.crm.count(ObjectType::Notes);
        w.kit.push_fault(
            Fault::commit_then_drop()
                .method("POST")
                .path_prefix(format!("{objects}/notes")),
        );
        let (_, done) = client
            .call_confirmed(
                "create_note",
                json!({"object": "company", "id": ACME_COMPANY_ID.to_string(), "body": "Renewal call went well"}),
            )
            .await
            .unwrap();
        assert_eq!(done.structured["status"], "executed", "{}", done.text);
        assert_eq!(
            done.structured["result"]["recovered"], true,
            "{}",
            done.text
        );
        assert_eq!(
            w.crm.count(ObjectType::Notes),
            notes + 1,
            "exactly one note"
        );
    }
}

#[tokio::test]
async fn a_429_from_the_search_bucket_is_waited_out() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    w.kit.push_fault(
        Fault::status(429)
            .retry_after("1")
            .method("POST")
            .path_prefix("/crm/objects/2026-03/contacts/search")
            .times(1),
    );
    let started = std::time::Instant::now();
    let r = client
        .call("search_contacts", json!({"query": "a", "limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let searches = w
        .paths()
        .iter()
        .filter(|p| p.ends_with("/contacts/search"))
        .count();
    assert_eq!(searches, 2, "{:?}", w.paths());
    // A burst faster than the mock's 5/s search bucket also succeeds (the
    // connector's own search quota and the 429 pause keep it under).
    for i in 0..8 {
        let r = client
            .call("search_companies", json!({"query": "a", "limit": 1}))
            .await
            .unwrap();
        assert!(!r.is_error, "search {i}: {}", r.text);
    }
}

#[tokio::test]
async fn oauth_refresh_token_works_and_bad_tokens_name_the_variable() {
    let w = World::new().await;
    let env = [
        ("HUBSPOT_BASE_URL", w.mock.url().to_owned()),
        ("HUBSPOT_CLIENT_ID", mock_crm::DEFAULT_CLIENT_ID.to_owned()),
        (
            "HUBSPOT_CLIENT_SECRET",
            mock_crm::DEFAULT_CLIENT_SECRET.to_owned(),
        ),
        (
            "HUBSPOT_REFRESH_TOKEN",
            mock_crm::DEFAULT_REFRESH_TOKEN.to_owned(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client = connector_testkit::Client::stdio(crate::BIN, &[], &env, crate::legacy())
        .await
        .unwrap();
    let r = client
        .call("get_company", json!({"id": ACME_COMPANY_ID.to_string()}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert!(
        w.paths().iter().any(|p| p == "/oauth/v1/token"),
        "{:?}",
        w.paths()
    );

    let env = [
        ("HUBSPOT_BASE_URL", w.mock.url().to_owned()),
        ("HUBSPOT_ACCESS_TOKEN", "wrong".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client = connector_testkit::Client::stdio(crate::BIN, &[], &env, crate::legacy())
        .await
        .unwrap();
    let r = client.call("list_pipelines", json!({})).await.unwrap();
    assert!(
        r.is_error && r.text.contains("401") && r.text.contains("HUBSPOT_ACCESS_TOKEN"),
        "{}",
        r.text
    );
}
