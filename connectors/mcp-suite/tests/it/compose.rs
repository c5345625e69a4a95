//! docker-compose.yml and the Dockerfile cannot drift from the binaries: every
//! service's `command:` is parsed by the binary's real clap definition (in
//! process for the connectors and the suite, by running the binary for the
//! mocks), its `environment:` by the options that read those variables, files
//! it names are checked through the volume mounts, ports are loopback-only,
//! health checks and `depends_on` are consistent.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use connector_kit::cli::{Cli, Transport};
use connector_kit::run::inbound_auth;
use serde::Deserialize;
use tokio::io::AsyncBufReadExt;

use crate::BIN;

#[derive(Debug, Deserialize)]
struct Compose {
    services: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
struct Service {
    build: String,
    image: String,
    command: Vec<String>,
    #[serde(default)]
    ports: Vec<String>,
    #[serde(default)]
    volumes: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    healthcheck: Health,
    #[serde(default)]
    depends_on: BTreeMap<String, Dependency>,
}

#[derive(Debug, Deserialize)]
struct Health {
    test: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dependency {
    condition: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load() -> Compose {
    let text = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    serde_norway::from_str(&text).expect("docker-compose.yml parses")
}

/// `ARG BINARIES="..."` of the Dockerfile: what the image ships.
fn shipped_binaries() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("ARG BINARIES="))
        .expect("the Dockerfile has ARG BINARIES=");
    let bins: BTreeSet<String> = line
        .trim_matches('"')
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert!(text.contains("cargo build --release --locked"), "{text}");
    assert!(text.contains("FROM debian:bookworm-slim"), "{text}");
    assert!(
        text.contains("USER 10001"),
        "the image must run as non-root"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("ENTRYPOINT")),
        "compose chooses the command"
    );
    bins
}

/// Container path → repository path, through the service's bind mounts.
fn host_path(svc: &Service, arg: &str) -> Option<PathBuf> {
    svc.volumes.iter().find_map(|v| {
        let mut parts = v.split(':');
        let (host, container) = (parts.next()?, parts.next()?);
        let rest = arg.strip_prefix(container)?.trim_start_matches('/');
        Some(root().join(host).join(rest))
    })
}

/// The command's arguments with container paths mapped to the repository.
fn mapped_args(svc: &Service) -> Vec<String> {
    svc.command
        .iter()
        .map(|a| {
            host_path(svc, a)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| a.clone())
        })
        .collect()
}

fn port_of(svc: &Service) -> u16 {
    let p = svc.ports.first().expect("a published port");
    p.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn services_are_consistent() {
    let compose = load();
    let bins = shipped_binaries();
    for expected in [
        "mock-zapier",
        "zapier-mcp",
        "mock-jira",
        "jira-mcp",
        "mock-servicenow",
        "servicenow-mcp",
        "mock-crm",
        "crm-mcp",
        "mock-github",
        "github-mcp",
        "mcp-suite",
    ] {
        assert!(
            compose.services.contains_key(expected),
            "service {expected}"
        );
        assert!(bins.contains(expected), "the Dockerfile ships {expected}");
    }
    for (name, svc) in &compose.services {
        assert_eq!(svc.build, ".", "{name}");
        assert_eq!(svc.image, "mcp-connectors:local", "{name}");
        assert!(
            bins.contains(&svc.command[0]),
            "{name}: {:?} is not shipped",
            svc.command[0]
        );
        assert!(!svc.ports.is_empty(), "{name} publishes no port");
        for p in &svc.ports {
            assert!(
                p.starts_with("127.0.0.1:"),
                "{name}: port {p} must bind 127.0.0.1 only"
            );
        }
        let test = &svc.healthcheck.test;
        assert_eq!(test[0], "CMD", "{name}");
        assert!(
            bins.contains(&test[1]),
            "{name}: health check uses {:?}",
            test[1]
        );
        let url = url::Url::parse(test.last().unwrap()).unwrap();
        assert_eq!(url.host_str(), Some("127.0.0.1"), "{name}");
        assert_eq!(url.port(), Some(port_of(svc)), "{name}: health check port");
        for (dep, d) in &svc.depends_on {
            assert!(
                compose.services.contains_key(dep),
                "{name} depends on unknown {dep}"
            );
            assert_eq!(d.condition, "service_healthy", "{name} → {dep}");
        }
        for v in &svc.volumes {
            let host = v.split(':').next().unwrap();
            assert!(
                root().join(host).exists(),
                "{name}: volume source {host} is missing"
            );
            assert!(v.ends_with(":ro"), "{name}: mount {v} read-only");
        }
        // The listen address in the command (or config) is the published port.
        if let Some(i) = svc.command.iter().position(|a| a == "--listen") {
            let listen = &svc.command[i + 1];
            assert!(listen.starts_with("0.0.0.0:"), "{name}: {listen}");
            assert!(
                listen.ends_with(&format!(":{}", port_of(svc))),
                "{name}: {listen}"
            );
        }
    }
}

/// Hook URLs in deploy/ point at the compose mock service and its port.
#[test]
fn hooks_point_at_the_mock_service() {
    let compose = load();
    let mock_port = port_of(&compose.services["mock-zapier"]);
    let text = std::fs::read_to_string(root().join("deploy/hooks.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let hooks = table["hook"].as_array().unwrap();
    assert!(!hooks.is_empty());
    for h in hooks {
        let url = url::Url::parse(h["url"].as_str().unwrap()).unwrap();
        assert_eq!(url.host_str(), Some("mock-zapier"), "{url}");
        assert_eq!(url.port(), Some(mock_port), "{url}");
    }
    zapier_mcp::config::load_hooks(&root().join("deploy/hooks.toml")).unwrap();
}

#[tokio::test]
async fn connector_commands_parse_with_the_connectors_own_flags() {
    use connector_kit::Connector;
    let compose = load();
    let svc = &compose.services["zapier-mcp"];
    assert_eq!(svc.command[0], zapier_mcp::Zapier::BINARY);
    let args: Vec<OsString> = mapped_args(svc).into_iter().map(Into::into).collect();
    let cli = Cli::<zapier_mcp::config::Options>::parse_layered(
        zapier_mcp::Zapier::BINARY,
        zapier_mcp::Zapier::ABOUT,
        args,
    )
    .unwrap_or_else(|e| panic!("zapier-mcp rejects its compose command: {e}"));
    assert_eq!(cli.kit.transport, Transport::Http);
    assert_eq!(cli.kit.listen.port(), port_of(svc));
    let hooks = cli.connector.hooks.expect("--hooks");
    zapier_mcp::config::load_hooks(&hooks).unwrap();
    let auth = inbound_auth(&cli.kit, "http://localhost:8101", &["/mcp"])
        .await
        .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");
    assert!(cli.kit.allowed_hosts.contains(&"localhost".to_owned()));
}

/// A service's `environment:` as the flags of the options that read those
/// variables (the test cannot set its own process environment), failing on a
/// variable no option of `cmd` reads.
fn env_as_args(name: &str, cmd: &clap::Command, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut args = Vec::new();
    for (var, value) in env {
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_env().is_some_and(|e| e == var.as_str()))
            .unwrap_or_else(|| panic!("{name}: no option of {} reads {var}", cmd.get_name()));
        let long = arg.get_long().expect("env options have a long flag");
        args.extend([format!("--{long}"), value.clone()]);
    }
    args
}

#[tokio::test]
async fn jira_command_and_environment_parse_with_its_own_flags() {
    use clap::CommandFactory;
    use connector_kit::{Connector, UpstreamCredential};
    use jira_mcp::config::{Deployment, Options};
    use secrecy::ExposeSecret;
    let compose = load();
    let svc = &compose.services["jira-mcp"];
    assert_eq!(svc.command[0], jira_mcp::Jira::BINARY);
    let mut args = mapped_args(svc);
    args.extend(env_as_args(
        "jira-mcp",
        &Cli::<Options>::command(),
        &svc.environment,
    ));
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = Cli::<Options>::parse_layered(jira_mcp::Jira::BINARY, jira_mcp::Jira::ABOUT, args)
        .unwrap_or_else(|e| panic!("jira-mcp rejects its compose command: {e}"));
    assert_eq!(cli.kit.transport, Transport::Http);
    assert_eq!(cli.kit.listen.port(), port_of(svc));

    // The site is the compose mock; Cloud, so nothing is asked at start-up.
    let base = cli.connector.base_url().unwrap();
    assert_eq!(base.host_str(), Some("mock-jira"));
    assert_eq!(base.port(), Some(port_of(&compose.services["mock-jira"])));
    assert_eq!(cli.connector.known_deployment(), Some(Deployment::Cloud));
    assert!(svc.depends_on.contains_key("mock-jira"));
    // The credentials are the mock's defaults, from the environment only.
    assert!(
        !svc.command
            .iter()
            .any(|a| a.contains("token") && !a.contains("tokens")),
        "credentials belong in the environment: {:?}",
        svc.command
    );
    match cli.connector.credential().unwrap() {
        UpstreamCredential::Basic { username, password } => {
            assert_eq!(username, mock_jira::DEFAULT_EMAIL);
            assert_eq!(password.expose_secret(), mock_jira::DEFAULT_API_TOKEN);
        }
        other => panic!("expected basic auth, got {}", other.kind()),
    }

    // Same inbound auth and allowed hosts as zapier-mcp.
    let auth = inbound_auth(&cli.kit, "http://localhost:8102", &["/mcp"])
        .await
        .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");
    assert_same_inbound_auth(&compose, svc, "jira-mcp");
}

/// The suite's `[jira]` table points at the compose mock, and the suite
/// service gets the same credentials as jira-mcp.
#[test]
fn suite_jira_table_points_at_the_mock_service() {
    let compose = load();
    let text = std::fs::read_to_string(root().join("deploy/suite.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let jira = table["jira"]
        .as_table()
        .expect("[jira] in deploy/suite.toml");
    let url = url::Url::parse(jira["base_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("mock-jira"), "{url}");
    assert_eq!(
        url.port(),
        Some(port_of(&compose.services["mock-jira"])),
        "{url}"
    );
    assert_eq!(jira["deployment"].as_str(), Some("cloud"));
    for secret in ["api_token", "personal_token", "oauth_access_token"] {
        assert!(!jira.contains_key(secret), "no {secret} in suite.toml");
    }
    let suite = &compose.services["mcp-suite"];
    assert_same_credentials(suite, &compose.services["jira-mcp"], "jira-mcp");
    assert!(suite.depends_on.contains_key("mock-jira"));
}

/// The suite service sets every variable of `connector` to the same value
/// (the suite's connectors read their credentials from the environment).
fn assert_same_credentials(suite: &Service, connector: &Service, name: &str) {
    assert!(
        !connector.environment.is_empty(),
        "{name} has no credentials"
    );
    for (var, value) in &connector.environment {
        assert_eq!(
            suite.environment.get(var),
            Some(value),
            "mcp-suite and {name} use the same {var}"
        );
    }
}

/// The inbound auth and allowed hosts of `svc` are zapier-mcp's.
fn assert_same_inbound_auth(compose: &Compose, svc: &Service, name: &str) {
    let zapier = &compose.services["zapier-mcp"];
    for flag in ["--auth", "--auth-tokens-file", "--allowed-hosts"] {
        let value = |s: &Service| {
            let i = s
                .command
                .iter()
                .position(|a| a == flag)
                .unwrap_or_else(|| panic!("{name}: no {flag}"));
            s.command[i + 1].clone()
        };
        assert_eq!(value(svc), value(zapier), "{name}: {flag}");
    }
}

#[tokio::test]
async fn servicenow_command_and_environment_parse_with_its_own_flags() {
    use clap::CommandFactory;
    use connector_kit::{Connector, UpstreamCredential};
    use secrecy::ExposeSecret;
    use servicenow_mcp::config::Options;
    let compose = load();
    let svc = &compose.services["servicenow-mcp"];
    assert_eq!(svc.command[0], servicenow_mcp::ServiceNow::BINARY);
    let mut args = mapped_args(svc);
    args.extend(env_as_args(
        "servicenow-mcp",
        &Cli::<Options>::command(),
        &svc.environment,
    ));
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = Cli::<Options>::parse_layered(
        servicenow_mcp::ServiceNow::BINARY,
        servicenow_mcp::ServiceNow::ABOUT,
        args,
    )
    .unwrap_or_else(|e| panic!("servicenow-mcp rejects its compose command: {e}"));
    assert_eq!(cli.kit.transport, Transport::Http);
    assert_eq!(cli.kit.listen.port(), port_of(svc));

    // The instance is the compose mock.
    let instance = cli.connector.instance_url().unwrap();
    assert_eq!(instance.host_str(), Some("mock-servicenow"));
    assert_eq!(
        instance.port(),
        Some(port_of(&compose.services["mock-servicenow"]))
    );
    assert!(svc.depends_on.contains_key("mock-servicenow"));
    // The credentials are the mock's defaults, from the environment only.
    assert!(
        !svc.command
            .iter()
            .any(|a| a.contains("password") || a.contains("username")),
        "credentials belong in the environment: {:?}",
        svc.command
    );
    match cli.connector.credential().unwrap() {
        UpstreamCredential::Basic { username, password } => {
            assert_eq!(username, mock_servicenow::DEFAULT_USERNAME);
            assert_eq!(password.expose_secret(), mock_servicenow::DEFAULT_PASSWORD);
        }
        other => panic!("expected basic auth, got {}", other.kind()),
    }

    // Same inbound auth and allowed hosts as zapier-mcp.
    let auth = inbound_auth(&cli.kit, "http://localhost:8103", &["/mcp"])
        .await
        .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");
    assert_same_inbound_auth(&compose, svc, "servicenow-mcp");
}

#[tokio::test]
async fn crm_command_and_environment_parse_with_its_own_flags() {
    use clap::CommandFactory;
    use connector_kit::{Connector, UpstreamCredential};
    use crm_mcp::config::Options;
    use secrecy::ExposeSecret;
    let compose = load();
    let svc = &compose.services["crm-mcp"];
    assert_eq!(svc.command[0], crm_mcp::Crm::BINARY);
    let mut args = mapped_args(svc);
    args.extend(env_as_args(
        "crm-mcp",
        &Cli::<Options>::command(),
        &svc.environment,
    ));
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = Cli::<Options>::parse_layered(crm_mcp::Crm::BINARY, crm_mcp::Crm::ABOUT, args)
        .unwrap_or_else(|e| panic!("crm-mcp rejects its compose command: {e}"));
    assert_eq!(cli.kit.transport, Transport::Http);
    assert_eq!(cli.kit.listen.port(), port_of(svc));

    // The API is the compose mock.
    let base = cli.connector.base_url().unwrap();
    assert_eq!(base.host_str(), Some("mock-crm"));
    assert_eq!(base.port(), Some(port_of(&compose.services["mock-crm"])));
    assert!(svc.depends_on.contains_key("mock-crm"));
    // The token is the mock's default, from the environment only.
    assert!(
        !svc.command
            .iter()
            .any(|a| a.contains("token") && !a.contains("tokens")),
        "credentials belong in the environment: {:?}",
        svc.command
    );
    match cli.connector.credential().unwrap() {
        UpstreamCredential::Bearer(token) => {
            assert_eq!(token.expose_secret(), mock_crm::DEFAULT_ACCESS_TOKEN);
        }
        other => panic!("expected a bearer token, got {}", other.kind()),
    }

    // Same inbound auth and allowed hosts as zapier-mcp.
    let auth = inbound_auth(&cli.kit, "http://localhost:8104", &["/mcp"])
        .await
        .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");
    assert_same_inbound_auth(&compose, svc, "crm-mcp");
}

#[tokio::test]
async fn github_command_and_environment_parse_with_its_own_flags() {
    use clap::CommandFactory;
    use connector_kit::{Connector, UpstreamCredential};
    use github_mcp::config::Options;
    use secrecy::ExposeSecret;
    let compose = load();
    let svc = &compose.services["github-mcp"];
    assert_eq!(svc.command[0], github_mcp::GitHub::BINARY);
    let mut args = mapped_args(svc);
    args.extend(env_as_args(
        "github-mcp",
        &Cli::<Options>::command(),
        &svc.environment,
    ));
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli =
        Cli::<Options>::parse_layered(github_mcp::GitHub::BINARY, github_mcp::GitHub::ABOUT, args)
            .unwrap_or_else(|e| panic!("github-mcp rejects its compose command: {e}"));
    assert_eq!(cli.kit.transport, Transport::Http);
    assert_eq!(cli.kit.listen.port(), port_of(svc));

    // The API is the compose mock.
    let api = cli.connector.api_url().unwrap();
    assert_eq!(api.host_str(), Some("mock-github"));
    assert_eq!(api.port(), Some(port_of(&compose.services["mock-github"])));
    assert!(svc.depends_on.contains_key("mock-github"));
    // The token is the mock's default, from the environment only.
    assert!(
        !svc.command
            .iter()
            .any(|a| a.contains("token") && !a.contains("tokens")),
        "credentials belong in the environment: {:?}",
        svc.command
    );
    match cli.connector.credential().unwrap() {
        UpstreamCredential::Bearer(token) => {
            assert_eq!(token.expose_secret(), mock_github::DEFAULT_TOKEN);
        }
        other => panic!("expected a bearer token, got {}", other.kind()),
    }

    // Same inbound auth and allowed hosts as zapier-mcp.
    let auth = inbound_auth(&cli.kit, "http://localhost:8105", &["/mcp"])
        .await
        .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");
    assert_same_inbound_auth(&compose, svc, "github-mcp");
}

/// The suite's `[github]` table points at the compose mock, and the suite
/// service gets the same token as github-mcp.
#[test]
fn suite_github_table_points_at_the_mock_service() {
    let compose = load();
    let text = std::fs::read_to_string(root().join("deploy/suite.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let github = table["github"]
        .as_table()
        .expect("[github] in deploy/suite.toml");
    let url = url::Url::parse(github["api_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("mock-github"), "{url}");
    assert_eq!(
        url.port(),
        Some(port_of(&compose.services["mock-github"])),
        "{url}"
    );
    assert!(!github.contains_key("token"), "no token in suite.toml");
    let suite = &compose.services["mcp-suite"];
    assert_same_credentials(suite, &compose.services["github-mcp"], "github-mcp");
    assert!(suite.depends_on.contains_key("mock-github"));
}

/// The suite's `[servicenow]` table points at the compose mock, and the
/// suite service gets the same credentials as servicenow-mcp.
#[test]
fn suite_servicenow_table_points_at_the_mock_service() {
    let compose = load();
    let text = std::fs::read_to_string(root().join("deploy/suite.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let servicenow = table["servicenow"]
        .as_table()
        .expect("[servicenow] in deploy/suite.toml");
    let url = url::Url::parse(servicenow["instance_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("mock-servicenow"), "{url}");
    assert_eq!(
        url.port(),
        Some(port_of(&compose.services["mock-servicenow"])),
        "{url}"
    );
    for secret in [
        "username",
        "password",
        "client_secret",
        "refresh_token",
        "api_key",
    ] {
        assert!(
            !servicenow.contains_key(secret),
            "no {secret} in suite.toml"
        );
    }
    let suite = &compose.services["mcp-suite"];
    assert_same_credentials(suite, &compose.services["servicenow-mcp"], "servicenow-mcp");
    assert!(suite.depends_on.contains_key("mock-servicenow"));
}

/// The suite's `[crm]` table points at the compose mock, and the suite
/// service gets the same token as crm-mcp.
#[test]
fn suite_crm_table_points_at_the_mock_service() {
    let compose = load();
    let text = std::fs::read_to_string(root().join("deploy/suite.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let crm = table["crm"].as_table().expect("[crm] in deploy/suite.toml");
    let url = url::Url::parse(crm["base_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("mock-crm"), "{url}");
    assert_eq!(
        url.port(),
        Some(port_of(&compose.services["mock-crm"])),
        "{url}"
    );
    for secret in ["access_token", "refresh_token", "client_secret"] {
        assert!(!crm.contains_key(secret), "no {secret} in suite.toml");
    }
    let suite = &compose.services["mcp-suite"];
    assert_same_credentials(suite, &compose.services["crm-mcp"], "crm-mcp");
    assert!(suite.depends_on.contains_key("mock-crm"));
}

#[tokio::test]
async fn suite_command_parses_and_its_config_builds_every_connector() {
    let compose = load();
    let svc = &compose.services["mcp-suite"];
    let args = mapped_args(svc);
    let cli = mcp_suite::cli::parse(args.iter().map(OsString::from).collect())
        .unwrap_or_else(|e| panic!("mcp-suite rejects its compose command: {e}"));
    assert!(matches!(
        cli.command,
        Some(mcp_suite::cli::SuiteCommand::Serve)
    ));
    assert_eq!(cli.kit.listen.port(), port_of(svc));
    let auth = inbound_auth(
        &cli.kit,
        "http://localhost:8931",
        &[
            "/zapier/mcp",
            "/jira/mcp",
            "/servicenow/mcp",
            "/crm/mcp",
            "/github/mcp",
        ],
    )
    .await
    .unwrap();
    auth.check_bind(cli.kit.listen)
        .expect("auth must allow binding 0.0.0.0 in the container");

    // The real binary, same arguments, `tools --strict` instead of `serve`:
    // every connector in the config must build.
    let mut tools: Vec<String> = args[1..]
        .iter()
        .filter(|a| *a != "serve")
        .cloned()
        .collect();
    tools.extend(["--strict".into(), "tools".into(), "--json".into()]);
    let refs: Vec<&str> = tools.iter().map(String::as_str).collect();
    // With the service's environment (jira's credentials come from there).
    let env: Vec<(&str, &str)> = svc
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = crate::run_with_env(&refs, &env).await;
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&crate::stdout(&out)).unwrap();
    let connectors: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["connector"].as_str())
        .collect();
    for h in mcp_suite::registry::hosted() {
        assert!(
            connectors.contains(h.name()),
            "deploy/suite.toml does not configure {}",
            h.name()
        );
    }
}

/// Mocks have no library clap definition: run the real binary with the
/// compose arguments (listen moved to 127.0.0.1:0) and wait for its URL.
#[tokio::test]
async fn mock_commands_start_the_real_binaries() {
    let compose = load();
    for (name, svc) in &compose.services {
        let bin = &svc.command[0];
        if !bin.starts_with("mock-") {
            continue;
        }
        let path = sibling_binary(bin);
        let args: Vec<String> = svc.command[1..]
            .iter()
            .map(|a| {
                if a.starts_with("0.0.0.0:") {
                    "127.0.0.1:0".to_owned()
                } else {
                    a.clone()
                }
            })
            .collect();
        let mut child = tokio::process::Command::new(&path)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{name}: no URL within 20 s"))
            .unwrap();
        let Some(url) = first else {
            let out = child.wait_with_output().await.unwrap();
            panic!(
                "{name}: `{bin} {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // The health check's path answers 2xx on the real mock.
        let health = url::Url::parse(svc.healthcheck.test.last().unwrap()).unwrap();
        let status = reqwest::get(format!("{}{}", url.trim(), health.path()))
            .await
            .unwrap()
            .status();
        assert!(
            status.is_success(),
            "{name}: health check path answers {status}"
        );
        let _ = child.kill().await;
    }
}

/// A workspace binary beside this crate's. A workspace test run has built
/// it already (every mock crate has a binary test); only when it is missing
/// (e.g. `cargo test -p mcp-suite` alone) is it built with cargo.
fn sibling_binary(bin: &str) -> PathBuf {
    let dir = Path::new(BIN).parent().unwrap();
    if dir.join(bin).is_file() {
        return dir.join(bin);
    }
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "--quiet", "--bin", bin]);
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    if let Some(target) = dir.parent() {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "cargo build --bin {bin} failed");
    dir.join(bin)
}

/// The fleet of `deploy/compose/replicas.yml` (included by docker-compose.yml): both replicas
/// run the single suite service's command plus one Redis state and one shared key, parsed by
/// the suite's real flags; nginx balances exactly those two on the port they listen on.
#[test]
fn replicas_share_one_redis_and_one_key_behind_nginx() {
    #[derive(Debug, Deserialize)]
    struct Fleet {
        services: BTreeMap<String, serde_norway::Value>,
        secrets: BTreeMap<String, BTreeMap<String, String>>,
    }
    let dir = root().join("deploy/compose");
    let text = std::fs::read_to_string(dir.join("replicas.yml")).unwrap();
    let fleet: Fleet = serde_norway::from_str(&text).expect("replicas.yml parses");
    let included = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    assert!(
        included.contains("deploy/compose/replicas.yml"),
        "docker-compose.yml includes the fleet"
    );

    let single = &load().services["mcp-suite"];
    let strings = |v: &serde_norway::Value| -> Vec<String> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    let mut listen_port = None;
    for name in ["suite-a", "suite-b"] {
        let svc = &fleet.services[name];
        let command = strings(&svc["command"]);
        // Container paths → repository paths (the replicas mount deploy/ at /etc/mcp).
        let args: Vec<OsString> = command
            .iter()
            .map(|a| match a.strip_prefix("/etc/mcp/") {
                Some(rest) => root().join("deploy").join(rest).into_os_string(),
                None => OsString::from(a),
            })
            .collect();
        let cli = mcp_suite::cli::parse(args)
            .unwrap_or_else(|e| panic!("{name} rejects its compose command: {e}"));
        assert!(matches!(
            cli.command,
            Some(mcp_suite::cli::SuiteCommand::Serve)
        ));
        let state = cli.kit.state.clone().expect("replicas name their state");
        assert_eq!(
            connector_kit::state::Location::parse(&state),
            Ok(connector_kit::state::Location::Redis(
                "redis://redis:6379/0".into()
            )),
            "{name}"
        );
        assert!(fleet.services.contains_key("redis"));
        let key = cli.kit.confirm_key_file.clone().expect("a shared key");
        let secret = key
            .strip_prefix("/run/secrets/")
            .expect("the key is a compose secret")
            .to_str()
            .unwrap()
            .to_owned();
        let file = dir.join(&fleet.secrets[&secret]["file"]);
        assert!(
            std::fs::read(&file).unwrap().trim_ascii().len() >= 32,
            "{file:?}"
        );
        // Same suite as the single service: same command after `serve` and the state flags,
        // same upstream credentials.
        assert_eq!(command[..4], single.command[..4], "{name}");
        let env: BTreeMap<String, String> =
            serde_norway::from_value(svc["environment"].clone()).unwrap();
        assert_eq!(env, single.environment, "{name}");
        let port = cli.kit.listen.port();
        assert_eq!(*listen_port.get_or_insert(port), port);
    }
    let nginx = &fleet.services["nginx"];
    let env: BTreeMap<String, String> =
        serde_norway::from_value(nginx["environment"].clone()).unwrap();
    let port = listen_port.unwrap();
    assert_eq!(env["SUITE_UPSTREAM_A"], format!("suite-a:{port}"));
    assert_eq!(env["SUITE_UPSTREAM_B"], format!("suite-b:{port}"));
    let template =
        std::fs::read_to_string(root().join("deploy/nginx/templates/mcp-suite.conf.template"))
            .unwrap();
    for var in ["SUITE_UPSTREAM_A", "SUITE_UPSTREAM_B", "NGINX_LISTEN_PORT"] {
        assert!(template.contains(&format!("${{{var}}}")), "{var}");
        assert!(env["NGINX_ENVSUBST_FILTER"].contains(var), "{var}");
    }
}
