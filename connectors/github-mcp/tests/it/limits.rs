//! The shared rate limiter inside octocrab's stack: a spent primary limit
//! pauses the scope, and later calls are refused before they leave.

use mock_github::Options;
use serde_json::json;

use crate::call_ok;

#[tokio::test]
async fn a_spent_primary_limit_holds_later_calls_back_unsent() {
    let (mock, kit, _) = mock_github::spawn_with_handles(Options {
        rate_limit_per_hour: 2,
        ..Options::default()
    })
    .await
    .unwrap();
    let env = [
        (
            "GITHUB_API_URL",
            mock.url().trim_end_matches('/').to_owned(),
        ),
        ("GITHUB_TOKEN", mock_github::DEFAULT_TOKEN.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client = connector_testkit::Client::stdio(crate::BIN, &[], &env, crate::legacy())
        .await
        .unwrap();
    let args = json!({"owner": "acme", "repo": "api"});
    for _ in 0..2 {
        call_ok(&client, "get_repository", args.clone()).await;
    }
    // The second answer said `x-ratelimit-remaining: 0` with a reset an hour away.
    let sent = kit.requests().len();
    let r = client.call("get_repository", args).await.unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("nothing was sent") && r.text.contains("retry after"),
        "{}",
        r.text
    );
    assert_eq!(
        kit.requests().len(),
        sent,
        "the held-back call reached GitHub"
    );
}
