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
