//! Every read tool against the mock: filters, injection, paging, allow-list.

use std::collections::BTreeSet;

use serde_json::json;

use crate::{World, modern};

fn numbers(v: &serde_json::Value) -> Vec<String> {
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn carets_and_equals_in_a_filter_are_text_and_cannot_widen_the_query() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = client
        .call("search_incidents", json!({"text": "rate=5^burst=10"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(numbers(&r.structured), ["INC0010043"], "{}", r.text);
    let sent = w
        .kit
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/api/now/table/incident")
        .unwrap();
    let query = sent.query.unwrap_or_default();
    assert!(query.contains("sysparm_display_value=all"), "{query}");
    assert!(
        query.contains("sysparm_exclude_reference_link=true"),
        "{query}"
    );
    assert!(query.contains("sysparm_fields="), "{query}");
    // Injected conditions would match every incident; as text they match none.
    for attack in [
        "nothing^NQactive=true",
        "nothing^ORactive=true",
        "x^ORDERBYnumber^NQnumberSTARTSWITHINC",
        "rate=5^burst=10^NQstate=1",
    ] {
        let r = client
            .call("search_incidents", json!({"text": attack, "limit": 100}))
            .await
            .unwrap();
        assert!(!r.is_error, "{attack}: {}", r.text);
        assert_eq!(
            r.structured["records"].as_array().unwrap().len(),
            0,
            "{attack}: {}",
            r.text
        );
    }
    // A structured equality with the same text in another filter: still literal.
    let r = client
        .call(
            "search_incidents",
            json!({"assignment_group": "Service Desk^NQactive=true"}),
        )
        .await
        .unwrap();
    assert_eq!(
        r.structured["records"].as_array().unwrap().len(),
        0,
        "{}",
        r.text
    );
    // query_table filters too.
    let r = client
        .call(
            "query_table",
            json!({"table": "incident", "filters": [{"field": "short_description", "op": "like", "value": "rate=5^burst=10"}], "fields": ["number"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.structured["total"], 1, "{}", r.text);
}

#[tokio::test]
async fn pages_through_all_incidents_with_offsets() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 50});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = client.call("search_incidents", args).await.unwrap();
        assert!(!r.is_error, "{}", r.text);
        pages += 1;
        for n in numbers(&r.structured) {
            assert!(seen.insert(n.clone()), "{n} twice");
        }
        match r.structured["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(pages >= 3, "{pages} pages");
    assert_eq!(seen.len(), mock_servicenow::SEED_INCIDENTS);
}

#[tokio::test]
async fn incident_filters_and_detail_with_journal() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = client
        .call(
            "search_incidents",
            json!({"state": ["in_progress"], "assignment_group": "Network Operations", "priority": [1,2,3,4,5], "limit": 100}),
        )
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let recs = r.structured["records"].as_array().unwrap();
    assert!(!recs.is_empty(), "{}", r.text);
    for rec in recs {
        assert_eq!(rec["state"], "In Progress");
        assert_eq!(rec["assignment_group"], "Network Operations");
        assert!(
            rec["url"]
                .as_str()
                .unwrap()
                .contains("/nav_to.do?uri=incident.do?sys_id=")
        );
    }
    let r = client
        .call("search_incidents", json!({"opened_after": "2100-01-01"}))
        .await
        .unwrap();
    assert_eq!(
        r.structured["records"].as_array().unwrap().len(),
        0,
        "{}",
        r.text
    );

    let r = client
        .call("get_incident", json!({"id": "INC0010043"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["number"], "INC0010043");
    assert!(
        r.structured["short_description"]
            .as_str()
            .unwrap()
            .contains("rate=5^burst=10")
    );
    let sys_id = r.structured["sys_id"].as_str().unwrap().to_owned();
    let r = client
        .call("get_incident", json!({"id": sys_id}))
        .await
        .unwrap();
    assert_eq!(r.structured["number"], "INC0010043", "{}", r.text);
    let r = client
        .call("get_incident", json!({"id": "INC0010001"}))
        .await
        .unwrap();
    let journal = r.structured["journal"].as_array().unwrap();
    assert!(
        journal.iter().any(|e| e["kind"] == "work_note"),
        "{}",
        r.text
    );
    assert!(journal.iter().any(|e| e["kind"] == "comment"), "{}", r.text);
    let r = client
        .call("get_incident", json!({"id": "INC9999999"}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("INC9999999"), "{}", r.text);
}

#[tokio::test]
async fn raw_queries_need_the_operator_flag() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = client
        .call("search_incidents", json!({"query": "category=network"}))
        .await
        .unwrap();
    assert!(
        r.is_error && r.text.contains("--allow-raw-query"),
        "{}",
        r.text
    );
    let client = w.stdio(&["--allow-raw-query"]).await;
    let r = client
        .call(
            "search_incidents",
            json!({"query": "category=network", "limit": 100}),
        )
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let recs = r.structured["records"].as_array().unwrap();
    assert!(!recs.is_empty());
    assert!(
        recs.iter().all(|r| r["fields"]["category"] == "Network"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn knowledge_changes_problems_users_and_search() {
    let w = World::new().await;
    let client = w.stdio(&[]).await;
    let r = client
        .call("search_knowledge", json!({"text": "deploy"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let articles = r.structured["articles"].as_array().unwrap();
    assert!(!articles.is_empty(), "{}", r.text);
    assert!(
        articles.iter().all(|a| a["workflow_state"] == "Published"),
        "{}",
        r.text
    );
    let kb = articles[0]["number"].as_str().unwrap().to_owned();
    let r = client
        .call("get_article", json!({"id": kb, "max_chars": 500}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let body = r.structured["body"].as_str().unwrap();
    assert!(!body.is_empty() && !body.contains("<p>"), "{body}");

    let r = client
        .call("search_change_requests", json!({"limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let chg = numbers(&r.structured)[0].clone();
    assert!(chg.starts_with("CHG"));
    let r = client
        .call("get_change_request", json!({"id": chg}))
        .await
        .unwrap();
    assert!(
        !r.is_error && r.structured["number"] == chg.as_str(),
        "{}",
        r.text
    );

    let r = client
        .call("search_problems", json!({"limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let prb = numbers(&r.structured)[0].clone();
    let r = client
        .call("get_problem", json!({"id": prb}))
        .await
        .unwrap();
    assert!(
        !r.is_error && r.structured["number"] == prb.as_str(),
        "{}",
        r.text
    );

    let r = client
        .call("lookup_user", json!({"query": "beth"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert!(
        r.structured["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["user_name"] == "beth.anglin"),
        "{}",
        r.text
    );
    let r = client
        .call("lookup_group", json!({"query": "network"}))
        .await
        .unwrap();
    assert_eq!(
        r.structured["results"][0]["name"], "Network Operations",
        "{}",
        r.text
    );

    let r = client
        .call(
            "query_table",
            json!({"table": "sys_user_group", "fields": ["name"], "order_by": "name"}),
        )
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let group = r.structured["records"][0]["sys_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client
        .call(
            "get_record",
            json!({"table": "sys_user_group", "id": group, "fields": ["name", "manager"]}),
        )
        .await
        .unwrap();
    assert!(
        !r.is_error && r.structured["fields"]["name"].is_string(),
        "{}",
        r.text
    );
    let before = w.kit.requests().len();
    let r = client
        .call("query_table", json!({"table": "sys_audit"}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("allow-list"), "{}", r.text);
    assert_eq!(
        w.kit.requests().len(),
        before,
        "refused before reaching the instance"
    );

    let r = client
        .call("search", json!({"query": "deploy"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let hits = r.structured["results"].as_array().unwrap();
    assert!(!hits.is_empty(), "{}", r.text);
    let id = hits[0]["id"].as_str().unwrap();
    let r = client.call("fetch", json!({"id": id})).await.unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert!(
        r.structured["text"].as_str().unwrap().starts_with("# "),
        "{}",
        r.text
    );
    let r = client
        .call("fetch", json!({"id": "INC0010043"}))
        .await
        .unwrap();
    assert!(
        r.structured["text"]
            .as_str()
            .unwrap()
            .contains("rate=5^burst=10"),
        "{}",
        r.text
    );
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[tokio::test]
async fn http_transport_and_oauth_client_credentials() {
    let w = World::new().await;
    let server = w.http_server(&[]).await;
    let client = connector_testkit::Client::http(&server.url, None, modern())
        .await
        .unwrap();
    let r = client
        .call("search_incidents", json!({"limit": 5}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["records"].as_array().unwrap().len(), 5);

    let env = vec![
        ("SERVICENOW_INSTANCE_URL", w.mock.url().to_owned()),
        (
            "SERVICENOW_CLIENT_ID",
            mock_servicenow::DEFAULT_CLIENT_ID.to_owned(),
        ),
        (
            "SERVICENOW_CLIENT_SECRET",
            mock_servicenow::DEFAULT_CLIENT_SECRET.to_owned(),
        ),
    ];
    let client = w.stdio_env(&[], env, crate::legacy()).await;
    let r = client
        .call("get_incident", json!({"id": "INC0010001"}))
        .await
        .unwrap();
    assert!(!r.is_error, "{}", r.text);
    let reqs = w.kit.requests();
    assert!(
        reqs.iter().any(|r| r.path == "/oauth_token.do"),
        "token fetched"
    );
    // (The mock logs the Authorization header redacted; only OAuth is configured here.)
}
