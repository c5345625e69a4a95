//! Configuration: which Jira, which credential, which projects may be written.
//!
//! Every option is a flag, an environment variable and a TOML key (the long
//! flag name with `_` for `-`). Secrets are [`SecretString`]s: never logged,
//! never in an error, never sent anywhere but to Jira.

use anyhow::bail;
use connector_kit::UpstreamCredential;
use secrecy::SecretString;
use url::Url;

/// `jira-mcp` options (flag / env / TOML key).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Jira")]
pub struct Options {
    /// Jira site, e.g. `https://acme.atlassian.net` (Cloud) or `https://jira.acme.com` (Data Center).
    /// With OAuth (3LO) use `https://api.atlassian.com/ex/jira/<cloud-id>` and set --site-url.
    #[arg(long, env = "JIRA_BASE_URL", value_name = "URL")]
    pub base_url: Option<Url>,
    /// Public site URL for `browse` links. Default: --base-url.
    #[arg(long, env = "JIRA_SITE_URL", value_name = "URL")]
    pub site_url: Option<Url>,
    /// Cloud (REST v3, ADF) or Data Center / Server (REST v2, wiki markup). `auto`: `*.atlassian.net`
    /// is Cloud, anything else is asked (`/rest/api/2/serverInfo`) on first use.
    #[arg(long, env = "JIRA_DEPLOYMENT", value_enum, default_value_t = DeploymentChoice::Auto)]
    pub deployment: DeploymentChoice,
    /// Cloud: the Atlassian account e-mail for basic auth (with --api-token).
    #[arg(long, env = "JIRA_EMAIL")]
    pub email: Option<String>,
    /// Cloud: API token (id.atlassian.com → Security → API tokens), used with --email.
    #[arg(long, env = "JIRA_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<SecretString>,
    /// Data Center: personal access token, sent as a bearer token.
    #[arg(long, env = "JIRA_PERSONAL_TOKEN", hide_env_values = true)]
    pub personal_token: Option<SecretString>,
    /// Cloud: OAuth 2.0 (3LO) access token, sent as a bearer token.
    #[arg(long, env = "JIRA_OAUTH_ACCESS_TOKEN", hide_env_values = true)]
    pub oauth_access_token: Option<SecretString>,
    /// Cloud: OAuth 2.0 refresh token; the connector then fetches access tokens itself.
    #[arg(long, env = "JIRA_OAUTH_REFRESH_TOKEN", hide_env_values = true)]
    pub oauth_refresh_token: Option<SecretString>,
    /// OAuth client id (with --oauth-refresh-token).
    #[arg(long, env = "JIRA_OAUTH_CLIENT_ID")]
    pub oauth_client_id: Option<String>,
    /// OAuth client secret (with --oauth-refresh-token).
    #[arg(long, env = "JIRA_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub oauth_client_secret: Option<SecretString>,
    /// OAuth token endpoint.
    #[arg(
        long,
        env = "JIRA_OAUTH_TOKEN_URL",
        default_value = "https://auth.atlassian.com/oauth/token"
    )]
    pub oauth_token_url: Url,
    /// Projects that may be written (write scope), e.g. `OPS,WEB` or `OPS*`. Default: all.
    /// Reads stay open.
    #[arg(long, env = "JIRA_WRITE_PROJECTS", value_delimiter = ',')]
    pub write_projects: Vec<String>,
    /// How many of the newest comments `get_issue` includes.
    #[arg(long, env = "JIRA_COMMENTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub comments: u32,
}

/// `--deployment` as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeploymentChoice {
    /// Decide from the URL, else ask the server.
    Auto,
    /// Jira Cloud.
    Cloud,
    /// Jira Data Center or Server.
    #[value(alias = "server", alias = "dc")]
    Datacenter,
}

/// The Jira flavour in use, once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// Jira Cloud: REST v3, rich text in ADF, account ids.
    Cloud,
    /// Jira Data Center / Server: REST v2, wiki markup, user names.
    DataCenter,
}

impl Deployment {
    /// The REST path prefix of this flavour.
    pub fn api(self) -> &'static str {
        match self {
            Deployment::Cloud => "/rest/api/3",
            Deployment::DataCenter => "/rest/api/2",
        }
    }
}

impl Options {
    /// The base URL, or an error saying how to set it.
    pub fn base_url(&self) -> anyhow::Result<Url> {
        match &self.base_url {
            Some(url) if matches!(url.scheme(), "https" | "http") => Ok(url.clone()),
            Some(_) => bail!("--base-url / JIRA_BASE_URL must be an http(s) URL"),
            None => bail!(
                "no Jira site configured: set JIRA_BASE_URL (or --base-url), e.g. https://acme.atlassian.net"
            ),
        }
    }

    /// The deployment when the configuration alone decides it.
    pub fn known_deployment(&self) -> Option<Deployment> {
        match self.deployment {
            DeploymentChoice::Cloud => Some(Deployment::Cloud),
            DeploymentChoice::Datacenter => Some(Deployment::DataCenter),
            DeploymentChoice::Auto => {
                let host = self.base_url.as_ref()?.host_str()?.to_ascii_lowercase();
                (host.ends_with(".atlassian.net") || host == "api.atlassian.com")
                    .then_some(Deployment::Cloud)
            }
        }
    }

    /// The upstream credential, from whichever of the credential options is set.
    pub fn credential(&self) -> anyhow::Result<UpstreamCredential> {
        if let Some(token) = &self.personal_token {
            return Ok(UpstreamCredential::Bearer(token.clone()));
        }
        if let Some(refresh) = &self.oauth_refresh_token {
            let Some(client_id) = self.oauth_client_id.clone() else {
                bail!("JIRA_OAUTH_REFRESH_TOKEN needs JIRA_OAUTH_CLIENT_ID (--oauth-client-id)");
            };
            return Ok(UpstreamCredential::OAuthRefreshToken {
                token_url: self.oauth_token_url.clone(),
                client_id,
                client_secret: self.oauth_client_secret.clone(),
                refresh_token: refresh.clone(),
            });
        }
        if let Some(token) = &self.oauth_access_token {
            return Ok(UpstreamCredential::Bearer(token.clone()));
        }
        match (&self.email, &self.api_token) {
            (Some(email), Some(token)) => Ok(UpstreamCredential::Basic {
                username: email.clone(),
                password: token.clone(),
            }),
            (Some(_), None) => bail!("JIRA_EMAIL is set but JIRA_API_TOKEN (--api-token) is not"),
            (None, Some(_)) => bail!("JIRA_API_TOKEN is set but JIRA_EMAIL (--email) is not"),
            (None, None) => bail!(
                "no Jira credential configured: for Jira Cloud set JIRA_EMAIL and JIRA_API_TOKEN \
                 (or JIRA_OAUTH_ACCESS_TOKEN); for Data Center set JIRA_PERSONAL_TOKEN"
            ),
        }
    }

    /// The env vars of the configured credential, for 401/403 hints.
    pub fn credential_names(&self) -> &'static str {
        if self.personal_token.is_some() {
            "JIRA_PERSONAL_TOKEN"
        } else if self.oauth_refresh_token.is_some() {
            "JIRA_OAUTH_REFRESH_TOKEN / JIRA_OAUTH_CLIENT_ID / JIRA_OAUTH_CLIENT_SECRET"
        } else if self.oauth_access_token.is_some() {
            "JIRA_OAUTH_ACCESS_TOKEN"
        } else {
            "JIRA_EMAIL / JIRA_API_TOKEN"
        }
    }
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
        let mut all = vec!["jira-mcp"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().options
    }

    #[test]
    fn atlassian_net_is_cloud_and_others_are_asked() {
        let o = parse(&["--base-url", "https://acme.atlassian.net"]);
        assert_eq!(o.known_deployment(), Some(Deployment::Cloud));
        let o = parse(&["--base-url", "https://jira.acme.com"]);
        assert_eq!(o.known_deployment(), None);
        let o = parse(&[
            "--base-url",
            "https://jira.acme.com",
            "--deployment",
            "datacenter",
        ]);
        assert_eq!(o.known_deployment(), Some(Deployment::DataCenter));
    }

    #[test]
    fn credential_errors_name_the_env_vars() {
        let o = parse(&["--base-url", "https://acme.atlassian.net"]);
        let e = o.credential().unwrap_err().to_string();
        assert!(
            e.contains("JIRA_EMAIL")
                && e.contains("JIRA_API_TOKEN")
                && e.contains("JIRA_PERSONAL_TOKEN"),
            "{e}"
        );
        let o = parse(&["--email", "a@b.c"]);
        assert!(
            o.credential()
                .unwrap_err()
                .to_string()
                .contains("JIRA_API_TOKEN")
        );
        let o = parse(&["--personal-token", "x"]);
        assert_eq!(o.credential().unwrap().kind(), "bearer");
        let o = parse(&["--email", "a@b.c", "--api-token", "t"]);
        assert_eq!(o.credential().unwrap().kind(), "basic");
        assert!(
            parse(&[])
                .base_url()
                .unwrap_err()
                .to_string()
                .contains("JIRA_BASE_URL")
        );
    }
}
