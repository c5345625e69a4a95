//! The fleet of docker-compose (deploy/compose/replicas.yml) as plain processes: Redis, mock
//! Zapier, two `mcp-suite` replicas on that Redis with one confirmation key, and nginx from
//! the repository's template in front, round robin.

use std::path::Path;

use connector_testkit::{Client, ClientOptions, HttpServer, Nginx, RedisServer, free_port};
use serde_json::json;

use crate::{BIN, Config, hooks_for};

/// A suite replica serving Zapier, on `redis` with the key file `key`.
async fn replica(cfg: &Config, redis: &RedisServer, key: &str) -> HttpServer {
    let url = redis.url();
    let args = [
        "--config",
        cfg.path(),
        "--listen",
        "127.0.0.1:0",
        "--state",
        &url,
        "--confirm-key-file",
        key,
        "serve",
    ];
    HttpServer::start(BIN, &args, &[]).await.unwrap()
}

/// `host:port` of a replica's URL (`http://127.0.0.1:PORT/zapier/mcp`).
fn host_port(s: &HttpServer) -> String {
    let url = url::Url::parse(&s.url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

/// nginx from deploy/nginx/templates in front of `a` and `b`, on a free port (another
/// attempt on another port if that one was taken meanwhile).
async fn nginx(a: &str, b: &str) -> Nginx {
    let template = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/nginx/templates/mcp-suite.conf.template");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let listen = format!("127.0.0.1:{}", free_port());
        let vars = [
            ("SUITE_UPSTREAM_A", a),
            ("SUITE_UPSTREAM_B", b),
            ("NGINX_LISTEN_PORT", &listen),
        ];
        match Nginx::start(&template, &vars).await {
            Ok(nginx) => return nginx,
            Err(_) if attempt < 3 => {}
            Err(e) => panic!("{e:#}"),
        }
    }
}

#[tokio::test]
async fn two_replicas_behind_nginx_write_a_confirmation_once() {
    let redis = RedisServer::start().await.unwrap();
    let (mock, kit, zapier) = mock_zapier::spawn_with_handles(Default::default())
        .await
        .unwrap();
    let cfg = Config::new(
        "[zapier]\nhooks = \"hooks.toml\"\n",
        Some(&hooks_for(mock.url())),
    );
    let key = cfg.dir.path().join("confirm.key");
    std::fs::write(&key, "fleet-test-key-0123456789abcdef0123456789abcdef\n").unwrap();
    let key = key.to_str().unwrap();
    let a = replica(&cfg, &redis, key).await;
    let b = replica(&cfg, &redis, key).await;
    let (addr_a, addr_b) = (host_port(&a), host_port(&b));
    let nginx = nginx(&addr_a, &addr_b).await;

    let client = Client::http(
        &format!("{}/zapier/mcp", nginx.url()),
        None,
        ClientOptions::default(),
    )
    .await
    .unwrap();
    let args = json!({"hook": "page-oncall", "payload": {"summary": "db-1 is down"}});
    let preview = client.call("trigger_hook", args.clone()).await.unwrap();
    assert_eq!(
        preview.structured["status"], "confirmation_required",
        "{}",
        preview.text
    );
    let mut confirmed = args;
    confirmed["confirmation_token"] = preview.structured["confirmation_token"].clone();
    let first = client
        .call("trigger_hook", confirmed.clone())
        .await
        .unwrap();
    assert!(!first.is_error, "{}", first.text);
    assert_eq!(first.structured["status"], "executed");
    let again = client.call("trigger_hook", confirmed).await.unwrap();
    assert!(again.is_error, "{}", again.text);
    assert_eq!(again.structured["status"], "already_executed");
    assert_eq!(zapier.deliveries().len(), 1);
    assert_eq!(kit.requests_with_prefix("/hooks/").len(), 1);

    // Round robin: the calls (initialize, notifications, tool calls) reached both replicas.
    let log = nginx.access_log();
    for addr in [&addr_a, &addr_b] {
        assert!(
            log.contains(&format!("upstream={addr}")),
            "no request went to {addr}:\n{log}"
        );
    }
}
