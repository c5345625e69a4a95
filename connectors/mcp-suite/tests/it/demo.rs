//! `mcp-suite demo --no-serve`: the README's first command completes the tour.

use crate::{run, stderr, stdout};

#[tokio::test]
async fn demo_tour_completes_and_the_mock_receives_the_page() {
    let out = run(&["demo", "--no-serve", "--listen", "127.0.0.1:0"]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "demo failed: {}\nstdout:\n{text}\nstderr:\n{}",
        out.status,
        stderr(&out)
    );
    for expected in [
        "[1] zapier · list_hooks",
        "page-oncall",
        "notify-channel",
        "[2] zapier · trigger_hook",
        "confirmation_required",
        "nothing is sent before approval",
        "[3] zapier · trigger_hook again, with the token",
        "step a human approves",
        "status:  executed",
        "[4] zapier · list_deliveries",
        "confirmed via token",
        "[5] zapier · what mock Zapier actually received",
        "delivery received: hook 123456/pg0nc4ll",
        "\"severity\":\"critical\"",
        "Tour complete",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.contains("/zapier/mcp"), "{text}");
    // No giant dumps: every line stays readable.
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}

#[tokio::test]
async fn demo_keeps_serving_and_prints_the_inspector_command() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(crate::BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let inspector = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("npx ") {
                return line;
            }
        }
        panic!("the demo ended without printing the Inspector command");
    })
    .await
    .expect("the Inspector command within 60 s");
    assert!(
        inspector.contains("@modelcontextprotocol/inspector@2.12.0 --cli http://127.0.0.1:")
            && inspector.contains("/zapier/mcp --method tools/list"),
        "{inspector}"
    );
    let url = inspector
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    let client = connector_testkit::Client::http(url, None, Default::default())
        .await
        .unwrap();
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    let _ = child.kill().await;
}
