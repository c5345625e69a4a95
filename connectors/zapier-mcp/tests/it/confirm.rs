//! Confirmation: token flow, refusals, elicitation, exactly-once, audit.

use connector_testkit::{ClientOptions, Elicit, Era};
use serde_json::json;

use crate::{World, legacy, modern, page_args};

#[tokio::test]
async fn first_call_previews_and_sends_nothing() {
    let w = World::new().await;
    let client = w.stdio(&[], legacy()).await;
    let r = client.call("trigger_hook", page_args()).await.unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.structured["status"], "confirmation_required");
    assert!(
        r.structured["confirmation_token"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );
    assert!(
        r.text.contains("db-1 is down") && r.text.contains("nothing has been written"),
        "{}",
        r.text
    );
    assert_eq!(
        w.kit.requests().len(),
        0,
        "nothing may reach the upstream before confirmation"
    );
}

#[tokio::test]
async fn token_flow_delivers_exactly_once_and_refuses_replay() {
    let w = World::new().await;
    for opts in [legacy(), modern()] {
        w.zapier.reset();
        let client = w.stdio(&[], opts).await;
        let (_, done) = client
            .call_confirmed("trigger_hook", page_args())
            .await
            .unwrap();
        assert!(!done.is_error, "{}", done.text);
        assert_eq!(done.structured["status"], "executed");
        assert_eq!(done.structured["result"]["status"], "received");
        assert!(done.text.contains("received"), "{}", done.text);
        assert_eq!(w.delivered(), 1);
        let d = &w.zapier.deliveries()[0];
        assert_eq!(
            d.body,
            json!({"summary": "db-1 is down", "severity": "critical"})
        );
        assert_eq!(done.structured["result"]["zapier_id"], d.id.as_str());

        // A second preview, committed, then replayed: the replay is refused.
        let preview = client.call("trigger_hook", page_args()).await.unwrap();
        let token = preview.structured["confirmation_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut args = page_args();
        args["confirmation_token"] = json!(token);
        let first = client.call("trigger_hook", args.clone()).await.unwrap();
        assert!(!first.is_error);
        let replay = client.call("trigger_hook", args).await.unwrap();
        assert!(replay.is_error, "{}", replay.text);
        assert_eq!(replay.structured["status"], "already_executed");
        assert_eq!(w.delivered(), 2, "the replay must not deliver");
        // The receipt is readable.
        let id = first.structured["result"]["id"].as_str().unwrap();
        let got = client
            .call("get_delivery", json!({"id": id}))
            .await
            .unwrap();
        assert_eq!(got.structured["hook"], "page-oncall");
        let list = client
            .call("list_deliveries", json!({"limit": 1}))
            .await
            .unwrap();
        assert_eq!(list.structured["deliveries"].as_array().unwrap().len(), 1);
        assert!(list.structured["next_cursor"].is_string());
    }
}

#[tokio::test]
async fn changed_arguments_and_forged_tokens_are_refused() {
    let w = World::new().await;
    let client = w.stdio(&[], legacy()).await;
    let preview = client.call("trigger_hook", page_args()).await.unwrap();
    let token = preview.structured["confirmation_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut changed = page_args();
    changed["payload"]["severity"] = json!("low");
    changed["confirmation_token"] = json!(token);
    let r = client.call("trigger_hook", changed).await.unwrap();
    assert!(r.is_error && r.text.contains("differ"), "{}", r.text);
    let mut forged = page_args();
    forged["confirmation_token"] = json!(format!("{token}x"));
    let r = client.call("trigger_hook", forged).await.unwrap();
    assert!(r.is_error && r.text.contains("not valid"), "{}", r.text);
    // A token for another tool's arguments does not carry over: a bare
    // `confirm: true` is not even an accepted argument.
    let mut bare = page_args();
    bare["confirm"] = json!(true);
    let r = client.call("trigger_hook", bare).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert_eq!(w.delivered(), 0);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let w = World::new().await;
    let client = w.stdio(&["--confirm-ttl-secs", "1"], legacy()).await;
    let preview = client.call("trigger_hook", page_args()).await.unwrap();
    let token = preview.structured["confirmation_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let mut args = page_args();
    args["confirmation_token"] = json!(token);
    let r = client.call("trigger_hook", args).await.unwrap();
    assert!(r.is_error && r.text.contains("expired"), "{}", r.text);
    assert_eq!(w.delivered(), 0);
}

#[tokio::test]
async fn policy_refusals_never_reach_the_upstream() {
    let w = World::new().await;
    // Outside --write-hooks.
    let client = w.stdio(&["--write-hooks", "log-*"], legacy()).await;
    let r = client.call("trigger_hook", page_args()).await.unwrap();
    assert!(r.is_error && r.text.contains("--write-hooks"), "{}", r.text);
    // A destructive (tier 4) hook above --max-tier 3.
    let r = client
        .call("trigger_hook", json!({"hook": "wipe-cache", "payload": {}}))
        .await
        .unwrap();
    assert!(r.is_error && r.text.contains("tier 4"), "{}", r.text);
    assert_eq!(w.kit.requests().len(), 0);
    // With --max-tier 4 the same hook previews.
    let client = w.stdio(&["--max-tier", "4"], legacy()).await;
    let r = client
        .call("trigger_hook", json!({"hook": "wipe-cache", "payload": {}}))
        .await
        .unwrap();
    assert_eq!(
        r.structured["status"], "confirmation_required",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn caller_idempotency_key_prevents_a_second_delivery() {
    let w = World::new().await;
    let client = w.stdio(&[], legacy()).await;
    let mut args = page_args();
    args["idempotency_key"] = json!("INC-42");
    client
        .call_confirmed("trigger_hook", args.clone())
        .await
        .unwrap();
    let again = client.call("trigger_hook", args).await.unwrap();
    assert_eq!(
        again.structured["status"], "already_executed",
        "{}",
        again.text
    );
    assert_eq!(w.delivered(), 1);
}

#[tokio::test]
async fn elicitation_confirms_in_both_eras() {
    let w = World::new().await;
    for era in [Era::Legacy, Era::Modern] {
        w.zapier.reset();
        let approve = w
            .stdio(
                &[],
                ClientOptions {
                    era,
                    elicit: Elicit::Approve,
                },
            )
            .await;
        let r = approve.call("trigger_hook", page_args()).await.unwrap();
        assert!(!r.is_error, "{era:?}: {}", r.text);
        assert_eq!(r.structured["status"], "executed", "{era:?}: {}", r.text);
        assert_eq!(r.structured["result"]["confirmed_via"], "elicit");
        assert!(
            approve
                .elicitations()
                .iter()
                .any(|m| m.contains("db-1 is down")),
            "{era:?}"
        );
        assert_eq!(w.delivered(), 1, "{era:?}");

        let decline = w
            .stdio(
                &[],
                ClientOptions {
                    era,
                    elicit: Elicit::Decline,
                },
            )
            .await;
        let r = decline.call("trigger_hook", page_args()).await.unwrap();
        assert!(
            r.is_error && r.structured["status"] == "denied",
            "{era:?}: {}",
            r.text
        );
        assert_eq!(
            w.delivered(),
            1,
            "{era:?}: a declined write must not be sent"
        );
    }
}

#[tokio::test]
async fn confirm_modes_token_and_host() {
    let w = World::new().await;
    // --confirm token ignores the client's elicitation support.
    let c = w
        .stdio(
            &["--confirm", "token"],
            ClientOptions {
                era: Era::Legacy,
                elicit: Elicit::Approve,
            },
        )
        .await;
    let r = c.call("trigger_hook", page_args()).await.unwrap();
    assert_eq!(r.structured["status"], "confirmation_required");
    assert!(c.elicitations().is_empty());
    // --confirm host trusts the client's own approval prompt.
    let c = w.stdio(&["--confirm", "host"], legacy()).await;
    let r = c.call("trigger_hook", page_args()).await.unwrap();
    assert_eq!(
        r.structured["result"]["confirmed_via"], "host",
        "{}",
        r.text
    );
    assert_eq!(w.delivered(), 1);
}

#[tokio::test]
async fn every_step_is_audited_in_a_verifiable_chain() {
    let w = World::new().await;
    let audit = w.dir.path().join("audit.jsonl");
    let audit_s = audit.to_str().unwrap().to_owned();
    let client = w.stdio(&["--audit-log", &audit_s], legacy()).await;
    client
        .call_confirmed("trigger_hook", page_args())
        .await
        .unwrap();
    client
        .call("trigger_hook", json!({"hook": "wipe-cache", "payload": {}}))
        .await
        .unwrap();
    client.close().await.unwrap();
    let text = std::fs::read_to_string(&audit).unwrap();
    let steps: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]["step"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(steps, ["previewed", "confirmed", "executed", "refused"]);
    assert!(
        !text.contains("hooks/catch") && !text.contains("confirmation_token\":\"rs"),
        "secrets in the audit log"
    );
    let out = tokio::process::Command::new(crate::BIN)
        .args(["verify-audit", &audit_s])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Tampering shows.
    std::fs::write(&audit, text.replacen("page-oncall", "page-0ncall", 1)).unwrap();
    let out = tokio::process::Command::new(crate::BIN)
        .args(["verify-audit", &audit_s])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
}
