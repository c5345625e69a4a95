//! RedisServer and Nginx against the real binaries.

use std::path::Path;

use axum::Router;
use axum::routing::get;
use connector_testkit::{Nginx, RedisServer, free_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn redis_answers_ping_stops_and_comes_back_on_the_same_port() {
    let mut redis = RedisServer::start().await.unwrap();
    let port = redis.port();
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{port}/0"));
    assert_eq!(redis.query(&[&["PING"]]).await.unwrap(), ["+PONG"]);
    assert_eq!(
        redis
            .query(&[&["SET", "k", "v"], &["GET", "k"], &["GET", "nope"]])
            .await
            .unwrap(),
        ["+OK", "v", "$-1"]
    );

    redis.stop().await;
    let err = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);

    redis.start_again().await.unwrap();
    assert_eq!(redis.port(), port);
    assert_eq!(redis.query(&[&["PING"]]).await.unwrap(), ["+PONG"]);
    assert!(redis.start_again().await.is_err(), "already running");
}

#[tokio::test]
async fn redis_with_a_password_requires_auth() {
    let redis = RedisServer::start_with_password("s3cret").await.unwrap();
    assert!(!redis.url().contains("s3cret"));
    // query() authenticates itself; a bare connection must not get in.
    assert_eq!(redis.query(&[&["PING"]]).await.unwrap(), ["+PONG"]);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", redis.port()))
        .await
        .unwrap();
    conn.write_all(b"*1\r\n$4\r\nPING\r\n").await.unwrap();
    let mut buf = [0; 64];
    let n = conn.read(&mut buf).await.unwrap();
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("-NOAUTH"), "{reply}");
    conn.write_all(b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n")
        .await
        .unwrap();
    let n = conn.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"-WRONGPASS"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}

/// An HTTP backend on 127.0.0.1:0 answering every GET with `name`.
async fn backend(name: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = Router::new().fallback(get(move || async move { name }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn nginx_round_robins_across_two_backends() {
    let (a, b) = (backend("a").await, backend("b").await);
    let port = free_port().to_string();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/round_robin.conf");
    let vars = [
        ("NGINX_LISTEN_PORT", &*port),
        ("SUITE_UPSTREAM_A", &*a),
        ("SUITE_UPSTREAM_B", &*b),
    ];
    let nginx = Nginx::start(&template, &vars).await.unwrap();
    assert_eq!(nginx.url(), format!("http://127.0.0.1:{port}"));

    let http = reqwest::Client::new();
    let mut bodies = Vec::new();
    for _ in 0..4 {
        let res = http
            .get(format!("{}/hello", nginx.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        bodies.push(res.text().await.unwrap());
    }
    bodies.sort();
    assert_eq!(bodies, ["a", "a", "b", "b"]);

    let log = nginx.access_log();
    assert_eq!(
        log.matches("\"GET /hello HTTP/1.1\" 200").count(),
        4,
        "{log}"
    );
    assert_eq!(log.matches(&format!("upstream={a}")).count(), 2, "{log}");
    assert_eq!(log.matches(&format!("upstream={b}")).count(), 2, "{log}");
}

#[tokio::test]
async fn nginx_refuses_a_template_with_an_unfilled_placeholder() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/round_robin.conf");
    let err = Nginx::start(&template, &[("NGINX_LISTEN_PORT", "1")])
        .await
        .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("no value given for ${SUITE_UPSTREAM_A}, ${SUITE_UPSTREAM_B}"),
        "{err}"
    );
}

#[tokio::test]
async fn nginx_reports_its_error_log_when_the_config_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bad.conf");
    std::fs::write(
        &template,
        "server { listen 127.0.0.1:${P}; no_such_directive on; }\n",
    )
    .unwrap();
    let port = free_port().to_string();
    let err = Nginx::start(&template, &[("P", &port)])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown directive \"no_such_directive\""),
        "{err}"
    );
}

#[tokio::test]
async fn nginx_is_gone_with_its_port_once_dropped() {
    let a = backend("a").await;
    let port = free_port();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/round_robin.conf");
    let p = port.to_string();
    let vars = [
        ("NGINX_LISTEN_PORT", &*p),
        ("SUITE_UPSTREAM_A", &*a),
        ("SUITE_UPSTREAM_B", &*a),
    ];
    let nginx = Nginx::start(&template, &vars).await.unwrap();
    drop(nginx);
    let err = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}
