//! Configuration: which GitHub, which credential (a token or a GitHub App),
//! which repositories may be written.
//!
//! Every option is a flag, an environment variable and a TOML key (the long
//! flag name with `_` for `-`). The token and the App's private key are
//! [`SecretString`]s: never logged, never in an error, never sent anywhere
//! but to GitHub (the key never leaves the process: it signs the JWT).

use std::fmt;
use std::path::PathBuf;

use anyhow::bail;
use connector_kit::UpstreamCredential;
use octocrab::EncodingKey;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// `github-mcp` options (flag / env / TOML key).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "GitHub")]
pub struct Options {
    /// REST API root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    #[arg(
        long,
        env = "GITHUB_API_URL",
        value_name = "URL",
        default_value = "https://api.github.com"
    )]
    pub api_url: Url,
    /// Personal access token (fine-grained or classic), sent as a bearer token.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true)]
    pub token: Option<SecretString>,
    /// Repositories that may be written (write scope), e.g. `acme/api,acme/*`. Default: all.
    /// Reads stay open.
    #[arg(long, env = "GITHUB_WRITE_REPOS", value_delimiter = ',')]
    pub write_repos: Vec<String>,
    /// GitHub App id, to act as an App installation instead of with a token (also needs
    /// `--app-private-key-file` and `--app-installation-id`).
    #[arg(long, env = "GITHUB_APP_ID", value_name = "ID", value_parser = clap::value_parser!(u64).range(1..))]
    pub app_id: Option<u64>,
    /// The GitHub App's private key file (PEM, RS256, as downloaded from the App's settings).
    #[arg(long, env = "GITHUB_APP_PRIVATE_KEY_FILE", value_name = "PATH")]
    pub app_private_key_file: Option<PathBuf>,
    /// The GitHub App's private key itself (PEM), instead of `--app-private-key-file`.
    #[arg(
        long,
        env = "GITHUB_APP_PRIVATE_KEY",
        value_name = "PEM",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub app_private_key: Option<SecretString>,
    /// The App's installation id on the account or organization to act on; its installation
    /// tokens are minted on demand and renewed before they expire.
    #[arg(long, env = "GITHUB_APP_INSTALLATION_ID", value_name = "ID", value_parser = clap::value_parser!(u64).range(1..))]
    pub app_installation_id: Option<u64>,
    /// Lockdown: withhold issue and pull request bodies, comments and reviews written by
    /// accounts without push access to the repository (each replaced by a label naming
    /// the author).
    #[arg(long, env = "GITHUB_LOCKDOWN")]
    pub lockdown: bool,
}

/// The upstream credential, resolved from the options.
pub enum Auth {
    /// A personal access token (classic or fine-grained) or an OAuth token.
    Token(SecretString),
    /// A GitHub App installation.
    App(AppCredentials),
}

/// A GitHub App installation: what mints its installation tokens.
pub struct AppCredentials {
    /// The App id (the JWT's `iss`).
    pub app_id: u64,
    /// The App's RSA private key (signs the JWT).
    pub key: EncodingKey,
    /// The installation id.
    pub installation_id: u64,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token([redacted])"),
            Auth::App(app) => f.debug_tuple("App").field(app).finish(),
        }
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("key", &"[redacted]")
            .field("installation_id", &self.installation_id)
            .finish()
    }
}

const APP_VARS: &str = "GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_FILE and GITHUB_APP_INSTALLATION_ID";

impl Options {
    /// The API root, or an error saying how to set it.
    pub fn api_url(&self) -> anyhow::Result<Url> {
        if !matches!(self.api_url.scheme(), "https" | "http") {
            bail!("--api-url / GITHUB_API_URL must be an http(s) URL");
        }
        Ok(self.api_url.clone())
    }

    /// The upstream credential: a token XOR a GitHub App (id, private key, installation id).
    /// Errors name the variables to set; an unreadable key file names its path, never the key.
    pub fn auth(&self) -> anyhow::Result<Auth> {
        let app_given = self.app_id.is_some()
            || self.app_private_key_file.is_some()
            || self.app_private_key.is_some()
            || self.app_installation_id.is_some();
        match (&self.token, app_given) {
            (Some(_), true) => bail!(
                "both GITHUB_TOKEN and GitHub App options are set: use either a token (GITHUB_TOKEN / --token) or a GitHub App ({APP_VARS}), not both"
            ),
            (Some(token), false) => Ok(Auth::Token(token.clone())),
            (None, false) => bail!(
                "no GitHub credential configured: set GITHUB_TOKEN (or --token) to a personal access token, or configure a GitHub App with {APP_VARS}"
            ),
            (None, true) => self.app().map(Auth::App),
        }
    }

    /// The token as an upstream credential. A GitHub App has none: its
    /// installation tokens are minted at run time (see [`Options::auth`]).
    pub fn credential(&self) -> anyhow::Result<UpstreamCredential> {
        match self.auth()? {
            Auth::Token(token) => Ok(UpstreamCredential::Bearer(token)),
            Auth::App(_) => bail!(
                "a GitHub App has no static credential: its installation tokens are minted at run time"
            ),
        }
    }

    fn app(&self) -> anyhow::Result<AppCredentials> {
        let mut missing = Vec::new();
        if self.app_id.is_none() {
            missing.push("GITHUB_APP_ID (--app-id)");
        }
        if self.app_private_key_file.is_none() && self.app_private_key.is_none() {
            missing.push("GITHUB_APP_PRIVATE_KEY_FILE (--app-private-key-file)");
        }
        if self.app_installation_id.is_none() {
            missing.push("GITHUB_APP_INSTALLATION_ID (--app-installation-id)");
        }
        if !missing.is_empty() {
            bail!(
                "GitHub App authentication needs the App id, its private key and the installation id; missing: {}",
                missing.join(", ")
            );
        }
        let (pem, source) = match (&self.app_private_key_file, &self.app_private_key) {
            (Some(_), Some(_)) => {
                bail!("set either GITHUB_APP_PRIVATE_KEY_FILE or GITHUB_APP_PRIVATE_KEY, not both")
            }
            (Some(path), None) => {
                let pem = std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot read the GitHub App private key file {}: {e}",
                        path.display()
                    )
                })?;
                (
                    SecretString::from(String::from_utf8_lossy(&pem).into_owned()),
                    path.display().to_string(),
                )
            }
            (None, Some(pem)) => (pem.clone(), "GITHUB_APP_PRIVATE_KEY".to_owned()),
            (None, None) => unreachable!("checked above"),
        };
        let key = EncodingKey::from_rsa_pem(pem.expose_secret().as_bytes()).map_err(|_| {
            anyhow::anyhow!(
                "the GitHub App private key in {source} is not an RSA private key in PEM format (GitHub's App keys begin with `-----BEGIN RSA PRIVATE KEY-----`)"
            )
        })?;
        Ok(AppCredentials {
            app_id: self.app_id.expect("checked above"),
            key,
            installation_id: self.app_installation_id.expect("checked above"),
        })
    }

    /// The public web root for links: `https://github.com` for
    /// `api.github.com`, `https://HOST` for GHES (`https://HOST/api/v3`).
    pub fn web_url(&self) -> String {
        let u = &self.api_url;
        let host = u.host_str().unwrap_or("github.com");
        if host == "api.github.com" {
            return "https://github.com".to_owned();
        }
        let mut root = format!("{}://{host}", u.scheme());
        if let Some(port) = u.port() {
            root.push_str(&format!(":{port}"));
        }
        let path = u.path().trim_end_matches('/');
        let path = path.strip_suffix("/api/v3").unwrap_or(path);
        root.push_str(path);
        root
    }
}

/// `owner/repo`, lower-cased: the write-scope key of a repository.
pub fn scope_key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        options: Options,
    }

    fn parse(args: &[&str]) -> Options {
        let mut all = vec!["github-mcp"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().options
    }

    #[test]
    fn web_url_of_github_and_ghes() {
        assert_eq!(parse(&[]).web_url(), "https://github.com");
        let o = parse(&["--api-url", "https://ghe.acme.com/api/v3"]);
        assert_eq!(o.web_url(), "https://ghe.acme.com");
    }

    #[test]
    fn missing_token_names_the_variable() {
        let o = parse(&[]);
        let err = o.auth().unwrap_err().to_string();
        assert!(
            err.contains("GITHUB_TOKEN") && err.contains("GITHUB_APP_ID"),
            "{err}"
        );
        let o = parse(&["--token", "x", "--write-repos", "acme/api,acme/*"]);
        assert!(matches!(o.auth().unwrap(), Auth::Token(_)));
        assert_eq!(o.credential().unwrap().kind(), "bearer");
        assert_eq!(o.write_repos, ["acme/api", "acme/*"]);
        assert!(!o.lockdown);
        assert!(parse(&["--lockdown"]).lockdown);
    }

    /// A test-only RSA key (`tests/it/app-key.pem`, never used anywhere else).
    fn key_file() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/app-key.pem").to_owned()
    }

    #[test]
    fn a_token_and_an_app_are_exclusive() {
        let key = key_file();
        let o = parse(&["--token", "x", "--app-id", "1"]);
        let err = o.auth().unwrap_err().to_string();
        assert!(err.contains("not both"), "{err}");
        let o = parse(&[
            "--app-id",
            "12",
            "--app-private-key-file",
            &key,
            "--app-installation-id",
            "34",
        ]);
        let Auth::App(app) = o.auth().unwrap() else {
            panic!("expected App auth");
        };
        assert_eq!((app.app_id, app.installation_id), (12, 34));
        assert!(!format!("{:?}", Auth::App(app)).contains("BEGIN"));
    }

    #[test]
    fn an_app_needs_all_three() {
        let err = parse(&["--app-id", "12"]).auth().unwrap_err().to_string();
        assert!(
            err.contains("GITHUB_APP_PRIVATE_KEY_FILE")
                && err.contains("GITHUB_APP_INSTALLATION_ID")
                && !err.contains("GITHUB_APP_ID ("),
            "{err}"
        );
        assert!(Cli::try_parse_from(["github-mcp", "--app-id", "0"]).is_err());
    }

    #[test]
    fn key_errors_name_the_path_never_the_key() {
        let o = parse(&[
            "--app-id",
            "1",
            "--app-private-key-file",
            "/nonexistent/app.pem",
            "--app-installation-id",
            "2",
        ]);
        let err = o.auth().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/app.pem"), "{err}");

        let not_a_key = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END RSA PRIVATE KEY-----\n";
        let o = parse(&[
            "--app-id",
            "1",
            "--app-private-key",
            not_a_key,
            "--app-installation-id",
            "2",
        ]);
        let err = o.auth().unwrap_err().to_string();
        assert!(
            err.contains("GITHUB_APP_PRIVATE_KEY") && !err.contains("c2VjcmV0"),
            "{err}"
        );
    }
}
