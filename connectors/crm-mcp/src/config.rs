//! Configuration: which HubSpot account, which credential, which API paths,
//! which objects may be written.
//!
//! Every option is a flag, an environment variable and a TOML key (the long
//! flag name with `_` for `-`). Secrets are [`SecretString`]s: never logged,
//! never in an error, never sent anywhere but to HubSpot.

use std::fmt;
use std::str::FromStr;

use anyhow::bail;
use connector_kit::UpstreamCredential;
use secrecy::SecretString;
use url::Url;

/// `crm-mcp` options (flag / env / TOML key).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "HubSpot CRM")]
pub struct Options {
    /// HubSpot API base URL (`https://api.hubapi.com`; EU accounts and mocks work too).
    #[arg(
        long,
        env = "HUBSPOT_BASE_URL",
        value_name = "URL",
        default_value = "https://api.hubapi.com"
    )]
    pub base_url: Url,
    /// Private-app access token (or service key), sent as a bearer token.
    #[arg(long, env = "HUBSPOT_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<SecretString>,
    /// OAuth refresh token; the connector then fetches access tokens itself from
    /// `<base-url>/oauth/v1/token`.
    #[arg(long, env = "HUBSPOT_REFRESH_TOKEN", hide_env_values = true)]
    pub refresh_token: Option<SecretString>,
    /// OAuth client id (with --refresh-token).
    #[arg(long, env = "HUBSPOT_CLIENT_ID")]
    pub client_id: Option<String>,
    /// OAuth client secret (with --refresh-token).
    #[arg(long, env = "HUBSPOT_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<SecretString>,
    /// API version: a date version (`2026-03`, paths `/crm/objects/2026-03/…`) or `v3` for the
    /// classic `/crm/v3/…` (and `/crm/v4/…` associations) paths.
    #[arg(long, env = "HUBSPOT_API_VERSION", default_value = "2026-03")]
    pub api_version: ApiVersion,
    /// Objects that may be written (write scope): `contacts`, `deals`, `notes`. Reads stay open.
    #[arg(
        long,
        env = "HUBSPOT_WRITE_OBJECTS",
        value_delimiter = ',',
        default_value = "contacts,notes,deals"
    )]
    pub write_objects: Vec<String>,
    /// HubSpot account (portal) id, for links to records in the HubSpot app. Without it, links
    /// point at the API record.
    #[arg(long, env = "HUBSPOT_PORTAL_ID")]
    pub portal_id: Option<u64>,
}

/// The API version segment, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiVersion {
    /// The classic paths: `/crm/v3/objects/…`, `/crm/v4/…/associations/…`.
    V3,
    /// A date version `YYYY-MM`: `/crm/objects/YYYY-MM/…`.
    Dated(String),
}

impl FromStr for ApiVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("v3") {
            return Ok(ApiVersion::V3);
        }
        let b = s.as_bytes();
        let dated = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        if dated {
            Ok(ApiVersion::Dated(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not an API version: use a date version like 2026-03, or v3"
            ))
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiVersion::V3 => f.write_str("v3"),
            ApiVersion::Dated(v) => f.write_str(v),
        }
    }
}

impl Options {
    /// The base URL, or an error saying how to set it.
    pub fn base_url(&self) -> anyhow::Result<Url> {
        if !matches!(self.base_url.scheme(), "https" | "http") {
            bail!("--base-url / HUBSPOT_BASE_URL must be an http(s) URL");
        }
        Ok(self.base_url.clone())
    }

    /// The upstream credential, from whichever of the credential options is set.
    pub fn credential(&self) -> anyhow::Result<UpstreamCredential> {
        if let Some(token) = &self.access_token {
            return Ok(UpstreamCredential::Bearer(token.clone()));
        }
        if let Some(refresh) = &self.refresh_token {
            let Some(client_id) = self.client_id.clone() else {
                bail!("HUBSPOT_REFRESH_TOKEN needs HUBSPOT_CLIENT_ID (--client-id)");
            };
            if self.client_secret.is_none() {
                bail!("HUBSPOT_REFRESH_TOKEN needs HUBSPOT_CLIENT_SECRET (--client-secret)");
            }
            let mut token_url = self.base_url()?;
            token_url.set_path(&format!(
                "{}/oauth/v1/token",
                token_url.path().trim_end_matches('/')
            ));
            return Ok(UpstreamCredential::OAuthRefreshToken {
                token_url,
                client_id,
                client_secret: self.client_secret.clone(),
                refresh_token: refresh.clone(),
            });
        }
        bail!(
            "no HubSpot credential configured: set HUBSPOT_ACCESS_TOKEN (a private-app token), \
             or HUBSPOT_REFRESH_TOKEN with HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET"
        )
    }

    /// The env vars of the configured credential, for 401/403 hints.
    pub fn credential_names(&self) -> &'static str {
        if self.access_token.is_some() {
            "HUBSPOT_ACCESS_TOKEN"
        } else {
            "HUBSPOT_REFRESH_TOKEN / HUBSPOT_CLIENT_ID / HUBSPOT_CLIENT_SECRET"
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
        let mut all = vec!["crm-mcp"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().options
    }

    #[test]
    fn api_versions_parse() {
        assert_eq!(parse(&[]).api_version, ApiVersion::Dated("2026-03".into()));
        assert_eq!(parse(&["--api-version", "v3"]).api_version, ApiVersion::V3);
        assert!("2026-3".parse::<ApiVersion>().is_err());
        assert!("latest".parse::<ApiVersion>().is_err());
    }

    #[test]
    fn write_objects_default_and_credentials() {
        assert_eq!(parse(&[]).write_objects, ["contacts", "notes", "deals"]);
        assert_eq!(
            parse(&["--write-objects", "contacts,notes"]).write_objects,
            ["contacts", "notes"]
        );
        let e = parse(&[]).credential().unwrap_err().to_string();
        assert!(
            e.contains("HUBSPOT_ACCESS_TOKEN") && e.contains("HUBSPOT_REFRESH_TOKEN"),
            "{e}"
        );
        assert_eq!(
            parse(&["--access-token", "x"]).credential().unwrap().kind(),
            "bearer"
        );
        let o = parse(&[
            "--base-url",
            "http://127.0.0.1:9/",
            "--refresh-token",
            "r",
            "--client-id",
            "c",
            "--client-secret",
            "s",
        ]);
        match o.credential().unwrap() {
            UpstreamCredential::OAuthRefreshToken { token_url, .. } => {
                assert_eq!(token_url.as_str(), "http://127.0.0.1:9/oauth/v1/token");
            }
            other => panic!("{}", other.kind()),
        }
    }
}
