//! One behaviour, every backend: the same checks run against memory, SQLite and (in
//! `tests/redis.rs`, against a real `redis-server`) Redis.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::{Claim, State};

const TTL: Duration = Duration::from_secs(60);
const LEASE: Duration = Duration::from_secs(30);

/// Runs every check on `a` and `b`, two handles on one store (two "processes").
pub async fn run_all(a: State, b: State) {
    claims_run_once(&a, &b).await;
    concurrent_claims_have_one_winner(&a, &b).await;
    abandoned_claims_can_be_taken_over_once(&a, &b).await;
    records_and_lists(&a, &b).await;
    namespaces_are_apart(&a).await;
    rate_buckets_are_shared(&a, &b).await;
    pauses_never_shorten(&a, &b).await;
}

async fn claims_run_once(a: &State, b: &State) {
    assert_eq!(a.claim("k1", LEASE, TTL).await.unwrap(), Claim::Started);
    assert_eq!(
        b.claim("k1", LEASE, TTL).await.unwrap(),
        Claim::InFlight { stale: false }
    );
    a.finish("k1", &json!({"id": 7}), TTL).await.unwrap();
    assert_eq!(
        b.claim("k1", LEASE, TTL).await.unwrap(),
        Claim::Done(json!({"id": 7}))
    );
    // A finished claim is never released.
    b.release("k1").await.unwrap();
    assert_eq!(
        a.claim("k1", LEASE, TTL).await.unwrap(),
        Claim::Done(json!({"id": 7}))
    );
    // A released in-flight claim may be claimed again.
    assert_eq!(a.claim("k2", LEASE, TTL).await.unwrap(), Claim::Started);
    a.release("k2").await.unwrap();
    assert_eq!(b.claim("k2", LEASE, TTL).await.unwrap(), Claim::Started);
}

async fn concurrent_claims_have_one_winner(a: &State, b: &State) {
    for round in 0..5 {
        let key = format!("race-{round}");
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let s = if i % 2 == 0 { a.clone() } else { b.clone() };
                let key = key.clone();
                tokio::spawn(async move { s.claim(&key, LEASE, TTL).await.unwrap() })
            })
            .collect();
        let mut started = 0;
        for t in tasks {
            if t.await.unwrap() == Claim::Started {
                started += 1;
            }
        }
        assert_eq!(started, 1, "round {round}");
    }
}

async fn abandoned_claims_can_be_taken_over_once(a: &State, b: &State) {
    assert_eq!(
        a.claim("lost", Duration::from_millis(1), TTL)
            .await
            .unwrap(),
        Claim::Started
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        b.claim("lost", LEASE, TTL).await.unwrap(),
        Claim::InFlight { stale: true }
    );
    let (x, y) = tokio::join!(
        a.take_over("lost", LEASE, TTL),
        b.take_over("lost", LEASE, TTL)
    );
    assert!(
        x.unwrap() ^ y.unwrap(),
        "exactly one caller takes an abandoned claim over"
    );
    assert_eq!(
        a.claim("lost", LEASE, TTL).await.unwrap(),
        Claim::InFlight { stale: false }
    );
}

async fn records_and_lists(a: &State, b: &State) {
    assert_eq!(a.get("r").await.unwrap(), None);
    assert_eq!(
        a.put_if_absent("r", &json!({"v": 1}), TTL).await.unwrap(),
        None
    );
    assert_eq!(
        b.put_if_absent("r", &json!({"v": 2}), TTL).await.unwrap(),
        Some(json!({"v": 1}))
    );
    b.put("r", &json!({"v": 3, "a": [1]}), TTL).await.unwrap();
    let read = a.get("r").await.unwrap().unwrap();
    let (four, five) = (json!({"v": 4}), json!({"v": 5}));
    let (x, y) = tokio::join!(
        a.replace_if("r", &read, &four, TTL),
        b.replace_if("r", &read, &five, TTL)
    );
    assert!(x.unwrap() ^ y.unwrap(), "one transition wins");
    b.put("r", &json!({"v": 3}), TTL).await.unwrap();
    assert_eq!(a.get("r").await.unwrap(), Some(json!({"v": 3})));
    a.delete("r").await.unwrap();
    assert_eq!(b.get("r").await.unwrap(), None);

    a.put("short", &json!(1), Duration::from_millis(5))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(b.get("short").await.unwrap(), None, "records expire");

    for i in 0..5 {
        let s = if i % 2 == 0 { a } else { b };
        s.push("l", &json!(i), 3, TTL).await.unwrap();
    }
    assert_eq!(
        a.range("l", 0, 10).await.unwrap(),
        vec![json!(4), json!(3), json!(2)],
        "newest first, bounded"
    );
    assert_eq!(b.range("l", 1, 1).await.unwrap(), vec![json!(3)]);
    assert!(a.range("none", 0, 10).await.unwrap().is_empty());
}

async fn namespaces_are_apart(a: &State) {
    let other = a.scoped("other-connector");
    a.put("same", &json!("a"), TTL).await.unwrap();
    assert_eq!(other.get("same").await.unwrap(), None);
    assert_eq!(other.claim("k1", LEASE, TTL).await.unwrap(), Claim::Started);
}

async fn rate_buckets_are_shared(a: &State, b: &State) {
    let interval = Duration::from_millis(200);
    let mut taken = 0;
    for i in 0..6 {
        let s = if i % 2 == 0 { a } else { b };
        if s.take_token("bucket", interval, 3).await.unwrap().is_none() {
            taken += 1;
        }
    }
    assert_eq!(taken, 3, "one burst of 3 across both handles");
    let wait = a.take_token("bucket", interval, 3).await.unwrap().unwrap();
    assert!(wait <= interval && !wait.is_zero(), "{wait:?}");
}

async fn pauses_never_shorten(a: &State, b: &State) {
    let far = SystemTime::now() + Duration::from_secs(30);
    a.pause("scope", far).await.unwrap();
    b.pause("scope", SystemTime::now() + Duration::from_secs(1))
        .await
        .unwrap();
    let until = b.paused_until("scope").await.unwrap().unwrap();
    assert!(
        until + Duration::from_millis(5) >= far,
        "a shorter pause never wins"
    );
    let wait = b
        .take_token("scope", Duration::from_millis(1), 10)
        .await
        .unwrap()
        .expect("a paused scope gives no token");
    assert!(wait > Duration::from_secs(28), "{wait:?}");
    assert_eq!(a.paused_until("not-paused").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend() {
    let backend = Arc::new(crate::memory::MemoryBackend::default());
    run_all(State::new(backend.clone(), "t"), State::new(backend, "t")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backend_shared_by_two_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/state.sqlite3");
    let a = crate::sqlite::SqliteBackend::open(&path).unwrap();
    let b = crate::sqlite::SqliteBackend::open(&path).unwrap();
    run_all(State::new(Arc::new(a), "t"), State::new(Arc::new(b), "t")).await;
}

#[tokio::test]
async fn sqlite_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    {
        let s = State::new(
            Arc::new(crate::sqlite::SqliteBackend::open(&path).unwrap()),
            "t",
        );
        assert_eq!(s.claim("k", LEASE, TTL).await.unwrap(), Claim::Started);
        s.finish("k", &json!("done"), TTL).await.unwrap();
    }
    let s = State::new(
        Arc::new(crate::sqlite::SqliteBackend::open(&path).unwrap()),
        "t",
    );
    assert_eq!(
        s.claim("k", LEASE, TTL).await.unwrap(),
        Claim::Done(json!("done"))
    );
}

#[test]
fn an_unwritable_state_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let e = crate::sqlite::SqliteBackend::open(&file.join("s.sqlite3")).unwrap_err();
    assert!(
        e.message.contains("not-a-dir") && e.message.contains("--state-dir"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_backend_against_a_real_server() {
    let redis = connector_testkit::RedisServer::start()
        .await
        .expect("redis-server is needed for this test");
    let a = crate::redis::RedisBackend::open(&redis.url(), None).unwrap();
    let b = crate::redis::RedisBackend::open(&redis.url(), None).unwrap();
    run_all(State::new(Arc::new(a), "t"), State::new(Arc::new(b), "t")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_an_error_and_recovery_needs_no_reconnect_by_hand() {
    let mut redis = connector_testkit::RedisServer::start_with_password("pw-not-in-url")
        .await
        .expect("redis-server is needed for this test");
    let password = secrecy::SecretString::from("pw-not-in-url");
    let s = State::new(
        Arc::new(crate::redis::RedisBackend::open(&redis.url(), Some(&password)).unwrap()),
        "t",
    );
    assert!(!s.describe().contains("pw-not-in-url"));
    s.ping()
        .await
        .expect("the password from outside the URL is used");
    redis.stop().await;
    let e = s.claim("k", LEASE, TTL).await.unwrap_err();
    assert_eq!(e.backend, "redis");
    redis.start_again().await.unwrap();
    let mut answered = false;
    for _ in 0..100 {
        if s.ping().await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the connection manager reconnects by itself");
    assert_eq!(s.claim("k", LEASE, TTL).await.unwrap(), Claim::Started);
}
