//! Configuration: which GitHub, which token, which repositories may be written.
//!
//! Every option is a flag, an environment variable and a TOML key (the long
//! flag name with `_` for `-`). The token is a [`SecretString`]: never
//! logged, never in an error, never sent anywhere but to GitHub.

use anyhow::bail;
use connector_kit::UpstreamCredential;
use secrecy::SecretString;
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
    /// Lockdown: withhold issue and pull request bodies, comments and reviews written by
    /// accounts without push access to the repository (each replaced by a label naming
    /// the author).
    #[arg(long, env = "GITHUB_LOCKDOWN")]
    pub lockdown: bool,
}

impl Options {
    /// The API root, or an error saying how to set it.
    pub fn api_url(&self) -> anyhow::Result<Url> {
        if !matches!(self.api_url.scheme(), "https" | "http") {
            bail!("--api-url / GITHUB_API_URL must be an http(s) URL");
        }
        Ok(self.api_url.clone())
    }

    /// The upstream credential.
    pub fn credential(&self) -> anyhow::Result<UpstreamCredential> {
        match &self.token {
            Some(token) => Ok(UpstreamCredential::Bearer(token.clone())),
            None => bail!(
                "no GitHub credential configured: set GITHUB_TOKEN (or --token) to a personal access token"
            ),
        }
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
        assert!(
            o.credential()
                .unwrap_err()
                .to_string()
                .contains("GITHUB_TOKEN")
        );
        let o = parse(&["--token", "x", "--write-repos", "acme/api,acme/*"]);
        assert_eq!(o.credential().unwrap().kind(), "bearer");
        assert_eq!(o.write_repos, ["acme/api", "acme/*"]);
        assert!(!o.lockdown);
        assert!(parse(&["--lockdown"]).lockdown);
    }
}
