//! Durable, shared write state: replicas on one Redis, restarts on the SQLite default, a
//! Redis outage, a shared upstream quota, shared idempotency keys. Real processes, real
//! `redis-server`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_testkit::{Client, HttpServer, RedisServer, ToolResult};
use mock_kit::Fault;
use serde_json::{Value, json};

use crate::{BIN, World, legacy, page_args};

/// The secret part of the page-oncall hook URL in [`World`].
const HOOK_SECRET: &str = "pg0nc4ll";

/// Every key of a Redis with its value(s), one per line (a Lua script, so the reply is one
/// bulk string).
const DUMP: &str = r"
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local t = redis.call('TYPE', k).ok
  local v = t
  if t == 'string' then v = redis.call('GET', k)
  elseif t == 'list' then v = table.concat(redis.call('LRANGE', k, 0, -1), ' ')
  elseif t == 'hash' then v = table.concat(redis.call('HGETALL', k), ' ')
  elseif t == 'set' then v = table.concat(redis.call('SMEMBERS', k), ' ')
  elseif t == 'zset' then v = table.concat(redis.call('ZRANGE', k, 0, -1), ' ') end
  out[#out + 1] = k .. ' = ' .. v
end
return table.concat(out, '\n')
";

/// A confirmation key file (≥ 32 bytes) in the world's dir, shared by its replicas.
fn key_file(w: &World) -> String {
    let path = w.dir.path().join("confirm.key");
    std::fs::write(&path, "fleet-test-key-0123456789abcdef0123456789abcdef\n").unwrap();
    path.to_str().unwrap().to_owned()
}

/// `zapier-mcp --transport http` with the world's hooks, `extra` flags and `env`.
async fn start(w: &World, extra: &[&str], env: &[(&str, &str)]) -> HttpServer {
    let mut args = vec![
        "--hooks",
        &w.hooks,
        "--transport",
        "http",
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let base = w.env();
    let mut all: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(env);
    HttpServer::start(BIN, &args, &all).await.unwrap()
}

async fn connect(s: &HttpServer) -> Client {
    Client::http(&s.url, None, legacy()).await.unwrap()
}

/// A replica on `redis` with the shared key, and a client connected to it.
async fn replica(w: &World, redis: &RedisServer, extra: &[&str]) -> (HttpServer, Client) {
    let (url, key) = (redis.url(), key_file(w));
    let mut args = vec!["--state", &url, "--confirm-key-file", &key];
    args.extend_from_slice(extra);
    let server = start(w, &args, &[]).await;
    let client = connect(&server).await;
    (server, client)
}

/// Previews `args` on `c`; returns them with the confirmation token added.
async fn preview(c: &Client, mut args: Value) -> Value {
    let p = c.call("trigger_hook", args.clone()).await.unwrap();
    assert_eq!(
        p.structured["status"], "confirmation_required",
        "{}",
        p.text
    );
    args["confirmation_token"] = p.structured["confirmation_token"].clone();
    args
}

async fn commit(c: &Client, args: &Value) -> ToolResult {
    c.call("trigger_hook", args.clone()).await.unwrap()
}

fn executed(r: &ToolResult) -> bool {
    !r.is_error && r.structured["status"] == "executed"
}

/// A replayed confirmation answered from the record, with nothing sent.
fn assert_from_record(r: &ToolResult) {
    assert!(r.is_error, "{}", r.text);
    assert_eq!(r.structured["status"], "already_executed", "{}", r.text);
    assert!(r.structured["recorded_result"].is_object(), "{}", r.text);
}

fn hook_requests(w: &World) -> usize {
    w.kit.requests_with_prefix("/hooks/").len()
}

/// The base URL of a server (its `/mcp` URL without the path).
fn base(s: &HttpServer) -> String {
    s.url.trim_end_matches("/mcp").to_owned()
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn two_replicas_on_one_redis_write_each_confirmation_once() {
    let w = World::new().await;
    let redis = RedisServer::start().await.unwrap();
    let (_a, a) = replica(&w, &redis, &[]).await;
    let (_b, b) = replica(&w, &redis, &[]).await;
    let mut tokens = Vec::new();

    // Committed on A, then again on B.
    let args = preview(&a, page_args()).await;
    tokens.push(args["confirmation_token"].as_str().unwrap().to_owned());
    let first = commit(&a, &args).await;
    assert!(executed(&first), "{}", first.text);
    assert_from_record(&commit(&b, &args).await);
    assert_eq!(w.delivered(), 1);

    // The same token on both at the same instant: one write, one refusal, every round.
    for round in 1..=20 {
        let args = preview(if round % 2 == 0 { &a } else { &b }, page_args()).await;
        tokens.push(args["confirmation_token"].as_str().unwrap().to_owned());
        let (ra, rb) = tokio::join!(commit(&a, &args), commit(&b, &args));
        let (won, lost) = match (executed(&ra), executed(&rb)) {
            (true, false) => (ra, rb),
            (false, true) => (rb, ra),
            _ => panic!("round {round}: not exactly one success:\n{ra:?}\n{rb:?}"),
        };
        assert!(won.structured["result"]["zapier_id"].is_string());
        assert!(lost.is_error, "round {round}: {}", lost.text);
        assert!(
            lost.structured["status"] == "already_executed"
                || lost
                    .text
                    .contains("being executed by another call right now"),
            "round {round}: {lost:?}"
        );
        assert_eq!(w.delivered(), 1 + round, "round {round}");
    }

    // The answer to A's commit is lost after Zapier took it; the retry on B is answered from
    // the record.
    w.kit
        .push_fault(Fault::commit_then_drop().path_prefix("/hooks/"));
    let args = preview(&a, page_args()).await;
    tokens.push(args["confirmation_token"].as_str().unwrap().to_owned());
    let dropped = commit(&a, &args).await;
    assert!(dropped.is_error, "{}", dropped.text);
    assert_eq!(w.delivered(), 22, "the mock committed it once");
    let (requests, retry) = (hook_requests(&w), commit(&b, &args).await);
    assert!(retry.is_error, "{}", retry.text);
    assert!(
        ["already_executed", "unknown"].contains(&retry.structured["status"].as_str().unwrap()),
        "{retry:?}"
    );
    assert_eq!(hook_requests(&w), requests, "the retry sent nothing");
    assert_eq!(w.delivered(), 22);

    // Redis holds claims and receipts, but no token and no hook URL secret.
    let dump = redis
        .query(&[&["EVAL", DUMP, "0"]])
        .await
        .unwrap()
        .remove(0);
    assert!(dump.contains(":claim:"), "{dump}");
    assert!(
        !dump.contains(HOOK_SECRET),
        "a hook URL secret in Redis:\n{dump}"
    );
    for t in &tokens {
        assert!(
            !dump.contains(t.as_str()),
            "a confirmation token in Redis:\n{dump}"
        );
    }
}

#[tokio::test]
async fn a_restart_on_the_sqlite_default_refuses_a_used_token() {
    let w = World::new().await;
    let (dir, key) = (w.dir.path().join("state"), key_file(&w));
    let args = [
        "--state-dir",
        dir.to_str().unwrap(),
        "--confirm-key-file",
        &key,
    ];
    let server = start(&w, &args, &[]).await;
    let c = connect(&server).await;
    let confirmed = preview(&c, page_args()).await;
    let done = commit(&c, &confirmed).await;
    assert!(executed(&done), "{}", done.text);
    drop(c);
    server.stop().await;

    let server = start(&w, &args, &[]).await;
    let replay = commit(&connect(&server).await, &confirmed).await;
    assert_from_record(&replay);
    assert_eq!(
        replay.structured["recorded_result"]["id"],
        done.structured["result"]["zapier_id"]
    );
    assert_eq!(w.delivered(), 1);
    assert!(dir.join("zapier.sqlite3").exists());
}

#[tokio::test]
async fn a_crash_between_the_upstream_commit_and_the_record_is_never_resent() {
    let w = World::new().await;
    let (dir, key) = (w.dir.path().join("state"), key_file(&w));
    let args = [
        "--state-dir",
        dir.to_str().unwrap(),
        "--confirm-key-file",
        &key,
        "--request-timeout-secs",
        "1",
    ];
    let fault = [("MCP_TEST_FAULT", "abort-after-upstream-commit")];
    let server = start(&w, &args, &fault).await;
    let c = connect(&server).await;
    let confirmed = preview(&c, page_args()).await;
    let claimed_by = Instant::now();
    let crashed = c.call("trigger_hook", confirmed.clone()).await;
    assert!(
        crashed.is_err(),
        "the process should have died: {crashed:?}"
    );
    assert_eq!(w.delivered(), 1);
    drop(c);
    server.stop().await;

    // Restarted without the fault: the claim is in flight until its lease (1 + 2 s) runs
    // out, then the retry is answered as unknown. Never sent again.
    let server = start(&w, &args, &[]).await;
    let c = connect(&server).await;
    let lease = Duration::from_secs(3);
    let deadline = Instant::now() + Duration::from_secs(20);
    let unknown = loop {
        let sent_within_lease = claimed_by.elapsed() < lease;
        let r = commit(&c, &confirmed).await;
        assert!(r.is_error, "{}", r.text);
        if r.structured["status"] == "unknown" {
            // Before the lease could have run out, only "in flight" is a right answer.
            assert!(
                !sent_within_lease,
                "unknown while the lease still ran: {r:?}"
            );
            break r;
        }
        assert!(
            r.text.contains("being executed by another call right now"),
            "{r:?}"
        );
        assert!(Instant::now() < deadline, "still in flight after 20 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(unknown.structured["recorded_result"]["outcome"], "unknown");
    assert!(unknown.text.contains("Not sent again"), "{}", unknown.text);
    // From now on it is answered from the record.
    let again = commit(&c, &confirmed).await;
    assert_from_record(&again);
    assert_eq!(again.structured["recorded_result"]["outcome"], "unknown");
    assert_eq!(w.delivered(), 1);
    assert_eq!(hook_requests(&w), 1);
}

#[tokio::test]
async fn a_redis_outage_refuses_writes_keeps_reads_and_recovers() {
    let w = World::new().await;
    let mut redis = RedisServer::start().await.unwrap();
    let (server, c) = replica(&w, &redis, &[]).await;
    let base = base(&server);
    assert_eq!(get(&format!("{base}/readyz")).await.0, 200);
    let confirmed = preview(&c, page_args()).await;

    redis.stop().await;
    let hooks = c.call("list_hooks", json!({})).await.unwrap();
    assert!(!hooks.is_error, "{}", hooks.text);
    assert_eq!(hooks.structured["hooks"][0]["name"], "page-oncall");
    let refused = commit(&c, &confirmed).await;
    assert!(refused.is_error, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("the state store is unreachable; nothing was written; retry when it is back"),
        "{}",
        refused.text
    );
    let (status, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready"), "{body}");
    assert_eq!(get(&format!("{base}/healthz")).await.0, 200);
    assert_eq!(hook_requests(&w), 0);

    // Back: ready again, and writes work, without a restart of the connector.
    redis.start_again().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(&format!("{base}/readyz")).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready 20 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let done = commit(&c, &preview(&c, page_args()).await).await;
    assert!(executed(&done), "{}", done.text);
    assert_eq!(w.delivered(), 1);
}

#[tokio::test]
async fn three_replicas_keep_one_upstream_quota_together() {
    const QUOTA: usize = 10; // per second, and the burst
    let w = World::new().await;
    let redis = RedisServer::start().await.unwrap();
    let flags = ["--upstream-rate", "zapier:hook=10/s", "--confirm", "off"];
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (s, c) = replica(&w, &redis, &flags).await;
        servers.push(s);
        clients.push(Arc::new(c));
    }
    // 60 calls a second in all (20 per replica) for 5 s.
    let mut calls = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / 60));
    for i in 0..300 {
        tick.tick().await;
        let c = clients[i % 3].clone();
        calls.spawn(async move { c.call("trigger_hook", page_args()).await.unwrap() });
    }
    let mut sent = 0;
    while let Some(r) = tokio::time::timeout(Duration::from_secs(120), calls.join_next())
        .await
        .expect("every call answered within 120 s")
    {
        let r = r.unwrap();
        if executed(&r) {
            sent += 1;
        } else {
            assert!(r.is_error && r.text.contains("rate"), "{r:?}");
        }
    }

    let at: Vec<i64> = w
        .kit
        .requests_with_prefix("/hooks/")
        .iter()
        .map(|r| r.at.timestamp_millis())
        .collect();
    assert_eq!(at.len(), sent, "one upstream request per sent call");
    assert!(
        at.len() >= 2 * QUOTA,
        "only {} requests reached Zapier",
        at.len()
    );
    let busiest = at
        .iter()
        .map(|&t| at.iter().filter(|&&u| (t..t + 1000).contains(&u)).count())
        .max()
        .unwrap();
    assert!(
        busiest <= 2 * QUOTA,
        "{busiest} requests in one second; the quota is {QUOTA}/s with a burst of {QUOTA}"
    );
    let span_ms = at.iter().max().unwrap() - at.iter().min().unwrap();
    // GCRA: n tokens span at least (n - burst) intervals; two intervals of slack for the
    // time between taking a token and the request's arrival at the mock.
    let most = QUOTA + 2 + usize::try_from(span_ms).unwrap() / (1000 / QUOTA);
    assert!(
        at.len() <= most,
        "{} requests in {span_ms} ms; at most {most} fit the quota",
        at.len()
    );
}

#[tokio::test]
async fn one_idempotency_key_on_two_replicas_is_delivered_once() {
    let w = World::new().await;
    let redis = RedisServer::start().await.unwrap();
    let (_a, a) = replica(&w, &redis, &[]).await;
    let (_b, b) = replica(&w, &redis, &[]).await;
    for round in 1..=10 {
        let mut args = page_args();
        args["idempotency_key"] = json!(format!("incident-{round}"));
        // Two separate previews, so two tokens for one key.
        let (on_a, on_b) = (preview(&a, args.clone()).await, preview(&b, args).await);
        assert_ne!(on_a["confirmation_token"], on_b["confirmation_token"]);
        let (ra, rb) = tokio::join!(commit(&a, &on_a), commit(&b, &on_b));
        let other = match (executed(&ra), executed(&rb)) {
            (true, false) => rb,
            (false, true) => ra,
            _ => panic!("round {round}: not exactly one delivery:\n{ra:?}\n{rb:?}"),
        };
        assert!(
            other.text.contains("Not sent again") || other.text.contains("being delivered"),
            "round {round}: {other:?}"
        );
        assert_eq!(w.delivered(), round, "round {round}");
    }
}

#[tokio::test]
async fn memory_state_with_a_key_file_refuses_to_start() {
    let w = World::new().await;
    let key = key_file(&w);
    let args = [
        "--hooks",
        &w.hooks,
        "--transport",
        "http",
        "--listen",
        "127.0.0.1:0",
        "--state",
        "memory",
        "--confirm-key-file",
        &key,
    ];
    let (code, stderr) = HttpServer::expect_failure(BIN, &args, &[]).await.unwrap();
    assert_ne!(code, 0);
    assert!(
        stderr.contains("--state memory") && stderr.contains("--confirm-key-file"),
        "{stderr}"
    );
}
