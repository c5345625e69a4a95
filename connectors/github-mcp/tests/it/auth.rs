//! Credentials: GitHub App installation tokens (minted, used, renewed),
//! `doctor`'s token and permission report, and configuration errors.

use std::time::Duration;

use connector_kit::confirm::Effect;
use connector_testkit::Client;
use mock_github::Options;
use mock_kit::{MockKit, Served};
use serde_json::json;

use crate::{call_ok, printed};

/// The App's test-only private key (`tests/it/app-key.pem`, generated for these tests).
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/app-key.pem");
const INSTALLATION: &str = "42";
/// The token exchange (after the GHES `/api/v3` prefix, if any).
const MINT: &str = "/app/installations/42/access_tokens";

struct Mock {
    served: Served,
    kit: MockKit,
    /// `""` for github.com, `"/api/v3"` for GHES.
    prefix: &'static str,
}

async fn mock(options: Options) -> Mock {
    let (served, kit, _) = mock_github::spawn_with_handles(options).await.unwrap();
    Mock {
        served,
        kit,
        prefix: "",
    }
}

impl Mock {
    fn api(&self) -> String {
        format!("{}{}", self.served.url().trim_end_matches('/'), self.prefix)
    }

    /// The environment of an operator running the connector as the App.
    fn app_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_API_URL", self.api()),
            ("GITHUB_APP_ID", "1234".into()),
            ("GITHUB_APP_PRIVATE_KEY_FILE", KEY.into()),
            ("GITHUB_APP_INSTALLATION_ID", INSTALLATION.into()),
        ]
    }

    fn token_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_API_URL", self.api()),
            ("GITHUB_TOKEN", mock_github::DEFAULT_TOKEN.into()),
        ]
    }

    /// How many installation tokens were minted.
    fn mints(&self) -> usize {
        self.kit
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == format!("{}{MINT}", self.prefix))
            .count()
    }

    async fn stdio(&self, env: &[(&'static str, String)]) -> Client {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Client::stdio(crate::BIN, &[], &env, crate::legacy())
            .await
            .unwrap()
    }
}

/// Runs the binary with `args` and `env` (no inherited GitHub credential):
/// success, and stdout + stderr.
async fn run(args: &[&str], env: &[(&'static str, String)]) -> (bool, String) {
    let out = tokio::process::Command::new(crate::BIN)
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_APP_ID")
        .env_remove("GITHUB_APP_PRIVATE_KEY_FILE")
        .env_remove("GITHUB_APP_PRIVATE_KEY")
        .env_remove("GITHUB_APP_INSTALLATION_ID")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .unwrap();
    let text = printed(&out);
    (out.status.success(), text)
}

#[tokio::test]
async fn an_app_installation_mints_a_token_and_reads_with_it() {
    let m = mock(Options::default()).await;
    let client = m.stdio(&m.app_env()).await;
    assert_eq!(m.mints(), 0, "nothing is minted before the first call");

    // `acme/api` is private: only a valid installation token reads it.
    call_ok(
        &client,
        "get_repository",
        json!({"owner": "acme", "repo": "api"}),
    )
    .await;
    let r = call_ok(
        &client,
        "list_issues",
        json!({"owner": "acme", "repo": "api", "per_page": 3}),
    )
    .await;
    assert_eq!(r.structured["issues"].as_array().unwrap().len(), 3);
    // A one-hour token is minted once and reused.
    assert_eq!(m.mints(), 1);
}

#[tokio::test]
async fn a_token_near_expiry_is_renewed_before_use() {
    // Tokens that live less than the renewal margin are "near expiry" at once.
    let ttl = Duration::from_secs(120);
    assert!(ttl < github_mcp::client::REFRESH_MARGIN);
    let mut m = mock(Options {
        installation_token_ttl: ttl,
        ..Options::default()
    })
    .await;
    // On GitHub Enterprise Server the exchange lives under `/api/v3` too.
    m.prefix = "/api/v3";
    let client = m.stdio(&m.app_env()).await;
    for _ in 0..2 {
        call_ok(
            &client,
            "get_file_contents",
            json!({"owner": "acme", "repo": "api", "path": "README.md"}),
        )
        .await;
    }
    assert_eq!(m.mints(), 2, "{:?}", m.kit.requests());
}

#[tokio::test]
async fn doctor_reports_the_apps_permissions() {
    let m = mock(Options::default()).await;
    let (ok, text) = run(&["doctor"], &m.app_env()).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("GitHub App 1234, installation 42")
            && text.contains("actions: write")
            && text.contains("serve all"),
        "{text}"
    );
    assert!(
        !text.contains("ghs_"),
        "doctor never prints a token: {text}"
    );
}

#[tokio::test]
async fn doctor_reports_classic_scopes_and_the_tools_they_cannot_serve() {
    // `repo` serves every tool, Actions writes included: GitHub's REST description asks
    // classic tokens for `repo` on `dispatches` and `rerun`; `workflow` is for workflow files.
    let m = mock(Options {
        scopes: "repo".into(),
        ..Options::default()
    })
    .await;
    let (ok, text) = run(&["doctor"], &m.token_env()).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("scopes: repo") && text.contains("serve all"),
        "{text}"
    );

    // Without `repo` (here: `read:user, workflow`), no write tool can work.
    let m = mock(Options {
        scopes: "read:user, workflow".into(),
        ..Options::default()
    })
    .await;
    let (ok, text) = run(&["doctor"], &m.token_env()).await;
    assert!(!ok, "{text}");
    let report = text
        .lines()
        .find(|l| l.contains("tool permissions"))
        .unwrap_or_else(|| panic!("no permission line: {text}"));
    assert!(report.starts_with("FAIL"), "{report}");
    // Every write enabled by default is named; the tier-4 merge is off by default, so it is not.
    let writes: Vec<&str> = github_mcp::tools::SPECS
        .iter()
        .filter(|s| !matches!(s.effect, Effect::Read | Effect::Destructive))
        .map(|s| s.name)
        .collect();
    assert!(!writes.is_empty());
    for tool in writes {
        assert!(report.contains(tool), "{tool} not named: {report}");
    }
    assert!(!report.contains("merge_pull_request"), "{report}");
    // Enabled by name, the merge is checked too.
    let (ok, text) = run(&["doctor", "--tools", "merge_pull_request"], &m.token_env()).await;
    assert!(!ok, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("tool permissions") && l.contains("merge_pull_request")),
        "{text}"
    );

    // Read-only: nothing left that the scopes cannot serve.
    let (ok, text) = run(&["doctor", "--read-only"], &m.token_env()).await;
    assert!(ok, "{text}");
}

#[tokio::test]
async fn credential_configuration_errors_are_clear() {
    let m = mock(Options::default()).await;
    let mut both = m.app_env();
    both.push(("GITHUB_TOKEN", mock_github::DEFAULT_TOKEN.into()));
    let (ok, text) = run(&["tools"], &both).await;
    assert!(!ok && text.contains("not both"), "{text}");

    let partial = vec![
        ("GITHUB_API_URL", m.api()),
        ("GITHUB_APP_ID", "1234".to_owned()),
    ];
    let (ok, text) = run(&["tools"], &partial).await;
    assert!(
        !ok && text.contains("GITHUB_APP_PRIVATE_KEY_FILE")
            && text.contains("GITHUB_APP_INSTALLATION_ID"),
        "{text}"
    );

    let mut missing_key = m.app_env();
    missing_key.retain(|(k, _)| *k != "GITHUB_APP_PRIVATE_KEY_FILE");
    missing_key.push(("GITHUB_APP_PRIVATE_KEY_FILE", "/nonexistent/app.pem".into()));
    let (ok, text) = run(&["tools"], &missing_key).await;
    assert!(!ok && text.contains("/nonexistent/app.pem"), "{text}");

    // An inline key that is not one: the message names the variable, never the value.
    let mut bad_inline = m.app_env();
    bad_inline.retain(|(k, _)| *k != "GITHUB_APP_PRIVATE_KEY_FILE");
    bad_inline.push(("GITHUB_APP_PRIVATE_KEY", "not-a-key-c2VjcmV0".into()));
    let (ok, text) = run(&["tools"], &bad_inline).await;
    assert!(
        !ok && text.contains("GITHUB_APP_PRIVATE_KEY") && !text.contains("c2VjcmV0"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_token_exchange_names_the_installation() {
    let m = mock(Options::default()).await;
    // GitHub answers 404 when the App is not installed there.
    m.kit.push_fault(mock_kit::Fault {
        method: Some("POST".into()),
        path_prefix: Some(MINT.into()),
        times: 1,
        action: mock_kit::FaultAction::Status {
            status: 404,
            retry_after: None,
            headers: Default::default(),
            body: Some(json!({"message": "Not Found"})),
        },
        delay_ms: 0,
    });
    let client = m.stdio(&m.app_env()).await;
    let r = client
        .call("get_repository", json!({"owner": "acme", "repo": "api"}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert!(
        r.text.contains("404")
            && r.text.contains("installation 42")
            && r.text.contains("GITHUB_APP_INSTALLATION_ID"),
        "{}",
        r.text
    );
    // Nothing but the exchange was tried; the next call mints again and reads.
    assert!(
        m.kit.requests().iter().all(|r| r.path == MINT),
        "{:?}",
        m.kit.requests()
    );
    call_ok(
        &client,
        "get_repository",
        json!({"owner": "acme", "repo": "api"}),
    )
    .await;
    assert_eq!(m.mints(), 2);
}
