//! The client snippets in docs/clients.md that configure `zapier-mcp` are
//! real: every stdio entry's arguments are accepted by the binary.

use serde_json::Value;

fn json_blocks(md: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = md;
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("unterminated code block");
        out.push(
            serde_json::from_str(&body[..end])
                .unwrap_or_else(|e| panic!("invalid JSON snippet: {e}\n{}", &body[..end])),
        );
        rest = &body[end + 3..];
    }
    out
}

#[tokio::test]
async fn client_snippets_run_against_the_binary() {
    let md = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/clients.md"
    ))
    .unwrap();
    let w = crate::World::new().await;
    let mut checked = 0;
    for block in json_blocks(&md) {
        let servers = block
            .get("mcpServers")
            .or_else(|| block.get("servers"))
            .expect("a servers map");
        for (name, server) in servers.as_object().unwrap() {
            if server.get("type").and_then(Value::as_str) == Some("http") {
                assert!(server["url"].as_str().unwrap().ends_with("/mcp"), "{name}");
                continue;
            }
            assert_eq!(server["command"], "zapier-mcp", "{name}");
            // Point file arguments at the test's hooks file, then ask the
            // binary to list its tools with exactly these flags.
            let args: Vec<String> = server["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .map(|a| {
                    if a.ends_with("hooks.toml") {
                        w.hooks.clone()
                    } else if a.ends_with(".jsonl") {
                        w.dir.path().join("a.jsonl").to_string_lossy().into_owned()
                    } else {
                        a
                    }
                })
                .collect();
            let out = tokio::process::Command::new(crate::BIN)
                .args(&args)
                .arg("tools")
                .env(
                    "TEST_LOG_EVENT_URL",
                    "https://hooks.zapier.com/hooks/catch/1/x/",
                )
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} snippets checked");
}
