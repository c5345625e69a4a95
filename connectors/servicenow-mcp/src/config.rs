//! Configuration: which instance, which credential, which tables may be read
//! by the generic tools and which may be written.
//!
//! Every option is a flag, an environment variable and a TOML key (the long
//! flag name with `_` for `-`). Secrets are [`SecretString`]s: never logged,
//! never in an error, never sent anywhere but to the instance.

use anyhow::bail;
use connector_kit::UpstreamCredential;
use reqwest::header::HeaderName;
use secrecy::SecretString;
use url::Url;

/// `servicenow-mcp` options (flag / env / TOML key).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "ServiceNow")]
pub struct Options {
    /// The instance, e.g. `https://acme.service-now.com`.
    #[arg(long, env = "SERVICENOW_INSTANCE_URL", value_name = "URL")]
    pub instance_url: Option<Url>,
    /// Basic auth: the user name (the user needs REST API access with basic auth).
    #[arg(long, env = "SERVICENOW_USERNAME")]
    pub username: Option<String>,
    /// Basic auth: the password.
    #[arg(long, env = "SERVICENOW_PASSWORD", hide_env_values = true)]
    pub password: Option<SecretString>,
    /// OAuth: client id of an Application Registry entry (System OAuth → Application Registry).
    /// With --client-secret alone: client-credentials grant; with --refresh-token: refresh grant.
    #[arg(long, env = "SERVICENOW_CLIENT_ID")]
    pub client_id: Option<String>,
    /// OAuth: client secret.
    #[arg(long, env = "SERVICENOW_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<SecretString>,
    /// OAuth: a refresh token obtained out of band; access tokens are then fetched from
    /// `<instance>/oauth_token.do` and refreshed once for concurrent callers.
    #[arg(long, env = "SERVICENOW_REFRESH_TOKEN", hide_env_values = true)]
    pub refresh_token: Option<SecretString>,
    /// API key (REST API Key, Washington DC and later), sent in --api-key-header.
    #[arg(long, env = "SERVICENOW_API_KEY", hide_env_values = true)]
    pub api_key: Option<SecretString>,
    /// The header that carries --api-key.
    #[arg(long, env = "SERVICENOW_API_KEY_HEADER", default_value = "x-sn-apikey")]
    pub api_key_header: String,
    /// Tables that may be written (write scope), e.g. `incident,problem`.
    #[arg(
        long,
        env = "SERVICENOW_WRITE_TABLES",
        value_delimiter = ',',
        default_value = "incident"
    )]
    pub write_tables: Vec<String>,
    /// Tables the generic `query_table` / `get_record` tools may read.
    #[arg(
        long,
        env = "SERVICENOW_TABLES",
        value_delimiter = ',',
        default_value = "incident,problem,change_request,kb_knowledge,sys_user,sys_user_group"
    )]
    pub tables: Vec<String>,
    /// Accept a raw encoded query (`query` argument) in the search tools. Off by default:
    /// raw queries are the operator's trust decision, structured filters are always escaped.
    #[arg(long, env = "SERVICENOW_ALLOW_RAW_QUERY")]
    pub allow_raw_query: bool,
    /// How many journal entries (work notes and comments) `get_incident` includes.
    #[arg(long, env = "SERVICENOW_JOURNAL", default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub journal: u32,
}

impl Options {
    /// The instance URL, or an error saying how to set it.
    pub fn instance_url(&self) -> anyhow::Result<Url> {
        match &self.instance_url {
            Some(url) if matches!(url.scheme(), "https" | "http") => Ok(url.clone()),
            Some(_) => bail!("--instance-url / SERVICENOW_INSTANCE_URL must be an http(s) URL"),
            None => bail!(
                "no ServiceNow instance configured: set SERVICENOW_INSTANCE_URL (or --instance-url), \
                 e.g. https://acme.service-now.com"
            ),
        }
    }

    /// The OAuth token endpoint: `<instance>/oauth_token.do`.
    pub fn token_url(&self) -> anyhow::Result<Url> {
        let base = self.instance_url()?;
        Ok(base.join("/oauth_token.do")?)
    }

    /// The upstream credential, from whichever of the credential options is set.
    pub fn credential(&self) -> anyhow::Result<UpstreamCredential> {
        if let Some(key) = &self.api_key {
            let Ok(header) = HeaderName::try_from(self.api_key_header.as_str()) else {
                bail!("--api-key-header / SERVICENOW_API_KEY_HEADER is not a valid header name");
            };
            return Ok(UpstreamCredential::ApiKey {
                header,
                value: key.clone(),
            });
        }
        if let Some(client_id) = &self.client_id {
            if let Some(refresh) = &self.refresh_token {
                return Ok(UpstreamCredential::OAuthRefreshToken {
                    token_url: self.token_url()?,
                    client_id: client_id.clone(),
                    client_secret: self.client_secret.clone(),
                    refresh_token: refresh.clone(),
                });
            }
            let Some(secret) = &self.client_secret else {
                bail!(
                    "SERVICENOW_CLIENT_ID is set but SERVICENOW_CLIENT_SECRET (--client-secret) is not"
                );
            };
            return Ok(UpstreamCredential::OAuthClientCredentials {
                token_url: self.token_url()?,
                client_id: client_id.clone(),
                client_secret: secret.clone(),
                scopes: Vec::new(),
            });
        }
        if self.refresh_token.is_some() {
            bail!("SERVICENOW_REFRESH_TOKEN needs SERVICENOW_CLIENT_ID (--client-id)");
        }
        match (&self.username, &self.password) {
            (Some(user), Some(password)) => Ok(UpstreamCredential::Basic {
                username: user.clone(),
                password: password.clone(),
            }),
            (Some(_), None) => {
                bail!("SERVICENOW_USERNAME is set but SERVICENOW_PASSWORD (--password) is not")
            }
            (None, Some(_)) => {
                bail!("SERVICENOW_PASSWORD is set but SERVICENOW_USERNAME (--username) is not")
            }
            (None, None) => bail!(
                "no ServiceNow credential configured: set SERVICENOW_USERNAME and SERVICENOW_PASSWORD \
                 (basic auth), SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET (OAuth client \
                 credentials, optionally SERVICENOW_REFRESH_TOKEN), or SERVICENOW_API_KEY"
            ),
        }
    }

    /// The env vars of the configured credential, for 401/403 hints.
    pub fn credential_names(&self) -> &'static str {
        if self.api_key.is_some() {
            "SERVICENOW_API_KEY"
        } else if self.client_id.is_some() && self.refresh_token.is_some() {
            "SERVICENOW_CLIENT_ID / SERVICENOW_CLIENT_SECRET / SERVICENOW_REFRESH_TOKEN"
        } else if self.client_id.is_some() {
            "SERVICENOW_CLIENT_ID / SERVICENOW_CLIENT_SECRET"
        } else {
            "SERVICENOW_USERNAME / SERVICENOW_PASSWORD"
        }
    }

    /// Whether the generic tools may read `table`.
    pub fn readable(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
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
        let mut all = vec!["servicenow-mcp"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().options
    }

    #[test]
    fn defaults_scope_writes_to_incidents() {
        let o = parse(&[]);
        assert_eq!(o.write_tables, ["incident"]);
        assert!(o.readable("kb_knowledge") && !o.readable("sys_audit"));
        assert!(!o.allow_raw_query);
    }

    #[test]
    fn credentials_are_picked_and_errors_name_the_env_vars() {
        let base = ["--instance-url", "https://acme.service-now.com"];
        let e = parse(&base).credential().unwrap_err().to_string();
        assert!(
            e.contains("SERVICENOW_USERNAME")
                && e.contains("SERVICENOW_CLIENT_ID")
                && e.contains("SERVICENOW_API_KEY"),
            "{e}"
        );
        let o = parse(&[&base[..], &["--username", "a", "--password", "b"]].concat());
        assert_eq!(o.credential().unwrap().kind(), "basic");
        let o = parse(&[&base[..], &["--client-id", "c", "--client-secret", "s"]].concat());
        assert_eq!(o.credential().unwrap().kind(), "oauth_client_credentials");
        assert_eq!(
            o.token_url().unwrap().as_str(),
            "https://acme.service-now.com/oauth_token.do"
        );
        let o = parse(&[&base[..], &["--client-id", "c", "--refresh-token", "r"]].concat());
        assert_eq!(o.credential().unwrap().kind(), "oauth_refresh_token");
        let o = parse(&[&base[..], &["--api-key", "k"]].concat());
        assert_eq!(o.credential().unwrap().kind(), "api_key");
        let o = parse(&[&base[..], &["--client-id", "c"]].concat());
        assert!(
            o.credential()
                .unwrap_err()
                .to_string()
                .contains("SERVICENOW_CLIENT_SECRET")
        );
        assert!(
            parse(&[])
                .instance_url()
                .unwrap_err()
                .to_string()
                .contains("SERVICENOW_INSTANCE_URL")
        );
    }
}
