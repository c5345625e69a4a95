//! Configuration: the connector's flags and the hooks file.
//!
//! Hooks are configured by name. A hook's URL is a secret (anyone holding it
//! can trigger the Zap): it comes from the file or from an environment
//! variable, and is never returned to a client, logged, or put in an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use connector_kit::confirm::{Effect, Tier};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

/// `zapier-mcp` options (flag / env / TOML key).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Zapier")]
pub struct Options {
    /// Hooks file (TOML, `[[hook]]` entries: name, url or url_env, description, effect, schema).
    #[arg(long = "hooks", env = "ZAPIER_HOOKS_FILE", value_name = "FILE")]
    pub hooks: Option<PathBuf>,
    /// Hooks that may be triggered (write scope), e.g. `page-oncall,notify-*`. Default: all.
    #[arg(long, env = "ZAPIER_WRITE_HOOKS", value_delimiter = ',')]
    pub write_hooks: Vec<String>,
    /// Largest payload accepted, in bytes of JSON.
    #[arg(long, env = "ZAPIER_MAX_PAYLOAD_BYTES", default_value_t = 65_536)]
    pub max_payload_bytes: usize,
    /// Delivery receipts kept in the state store (oldest dropped first; 30 days at most).
    #[arg(long, env = "ZAPIER_RECEIPTS_KEPT", default_value_t = 1_000)]
    pub receipts_kept: usize,
}

/// One hook entry of the hooks file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HookEntry {
    name: String,
    #[serde(default)]
    url: Option<SecretString>,
    #[serde(default)]
    url_env: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default = "default_effect")]
    effect: Effect,
    #[serde(default)]
    schema: Option<toml::Value>,
}

fn default_effect() -> Effect {
    Effect::Send
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HooksFile {
    #[serde(default)]
    hook: Vec<HookEntry>,
}

/// A configured hook, ready to use.
#[derive(Debug)]
pub struct Hook {
    /// Name the model uses.
    pub name: String,
    /// What the hook's Zap does, for the model and the human.
    pub description: String,
    /// Effect of triggering it (decides tier and annotations of the plan).
    pub effect: Effect,
    /// The payload's JSON Schema (default: any JSON object).
    pub schema: Value,
    /// Compiled schema.
    pub validator: jsonschema::Validator,
    /// The catch-hook URL (secret).
    pub url: SecretString,
}

impl Hook {
    /// The tier a trigger of this hook has.
    pub fn tier(&self) -> Tier {
        self.effect.default_tier()
    }
}

/// Loads and checks the hooks file. Every problem is reported with the
/// hook's name and never with its URL.
pub fn load_hooks(path: &Path) -> anyhow::Result<Vec<Hook>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading hooks file {}", path.display()))?;
    parse_hooks(&text, &|k| std::env::var(k).ok())
        .with_context(|| format!("hooks file {}", path.display()))
}

/// Parses a hooks file; `env` looks up `url_env` variables.
pub fn parse_hooks(text: &str, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Vec<Hook>> {
    let file: HooksFile = toml::from_str(text)?;
    let mut seen = BTreeSet::new();
    let mut hooks = Vec::new();
    for e in file.hook {
        let name = e.name.trim().to_owned();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("hook name {name:?} must be 1-64 characters of letters, digits, '-' and '_'");
        }
        if !seen.insert(name.clone()) {
            bail!("hook {name:?} is defined twice");
        }
        if e.effect == Effect::Read {
            bail!(
                "hook {name:?}: effect must be create, update, send or destructive (triggering a hook writes)"
            );
        }
        let url = match (e.url, e.url_env) {
            (Some(u), None) => u,
            (None, Some(var)) => match env(&var) {
                Some(v) if !v.trim().is_empty() => SecretString::from(v.trim().to_owned()),
                _ => bail!("hook {name:?}: environment variable {var} (url_env) is not set"),
            },
            (Some(_), Some(_)) => bail!("hook {name:?}: give either url or url_env, not both"),
            (None, None) => bail!("hook {name:?}: needs url or url_env"),
        };
        check_url(&name, url.expose_secret())?;
        let schema = match e.schema {
            Some(t) => serde_json::to_value(t).context("schema")?,
            None => serde_json::json!({"type": "object"}),
        };
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            bail!("hook {name:?}: schema must describe a JSON object (type = \"object\")");
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|err| anyhow::anyhow!("hook {name:?}: invalid payload schema: {err}"))?;
        hooks.push(Hook {
            name,
            description: e.description.trim().to_owned(),
            effect: e.effect,
            schema,
            validator,
            url,
        });
    }
    Ok(hooks)
}

fn check_url(name: &str, raw: &str) -> anyhow::Result<()> {
    let Ok(url) = url::Url::parse(raw) else {
        bail!("hook {name:?}: the URL is not a valid URL");
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if url.host_str().is_some_and(is_local_host) => Ok(()),
        "http" => bail!(
            "hook {name:?}: the URL must use https (plain http is allowed for local test servers only)"
        ),
        _ => bail!("hook {name:?}: the URL must be an https URL"),
    }
}

fn is_local_host(h: &str) -> bool {
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || h.ends_with(".internal")
        || !h.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        (k == "HOOK_URL").then(|| "https://hooks.zapier.com/hooks/catch/1/abc/".to_owned())
    }

    #[test]
    fn parses_hooks_with_schema_and_env_url() {
        let hooks = parse_hooks(
            r#"
            [[hook]]
            name = "page-oncall"
            description = "Pages on-call"
            url_env = "HOOK_URL"
            [hook.schema]
            type = "object"
            required = ["summary"]
            properties.summary = { type = "string" }
            "#,
            &env,
        )
        .unwrap();
        assert_eq!(hooks[0].name, "page-oncall");
        assert_eq!(hooks[0].effect, Effect::Send);
        assert!(
            hooks[0]
                .validator
                .is_valid(&serde_json::json!({"summary": "x"}))
        );
        assert!(!hooks[0].validator.is_valid(&serde_json::json!({})));
    }

    #[test]
    fn the_example_hooks_file_is_valid() {
        let hooks = parse_hooks(include_str!("../examples/hooks.toml"), &env).unwrap();
        assert_eq!(hooks.len(), 2);
    }

    #[test]
    fn errors_never_contain_the_url() {
        let secret = "http://hooks.example.com/hooks/catch/999/SECRET/";
        let text = format!("[[hook]]\nname = \"x\"\nurl = \"{secret}\"\n");
        let err = format!("{:#}", parse_hooks(&text, &env).unwrap_err());
        assert!(!err.contains("SECRET"), "{err}");
        assert!(err.contains("https"), "{err}");
    }

    #[test]
    fn rejects_bad_entries() {
        let bad = [
            (
                "[[hook]]\nname = \"a b\"\nurl = \"https://x.example/\"\n",
                "must be 1-64",
            ),
            ("[[hook]]\nname = \"a\"\n", "needs url"),
            ("[[hook]]\nname = \"a\"\nurl_env = \"NOPE\"\n", "NOPE"),
            (
                "[[hook]]\nname = \"a\"\nurl = \"https://x.example/\"\neffect = \"read\"\n",
                "effect",
            ),
            (
                "[[hook]]\nname = \"a\"\nurl = \"https://x.example/\"\n[[hook]]\nname = \"a\"\nurl = \"https://x.example/\"\n",
                "twice",
            ),
            (
                "[[hook]]\nname = \"a\"\nurl = \"https://x.example/\"\nschema = { type = \"array\" }\n",
                "object",
            ),
        ];
        for (text, want) in bad {
            let err = format!("{:#}", parse_hooks(text, &env).unwrap_err());
            assert!(err.contains(want), "{want}: {err}");
        }
    }
}
