//! Where the state lives: the `--state` URL and its default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::SecretString;

use crate::StateError;
use crate::backend::Backend;

/// A parsed `--state` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `memory`: this process only.
    Memory,
    /// `sqlite:PATH`.
    Sqlite(PathBuf),
    /// `redis://…` or `rediss://…` (the whole URL; it may hold a password).
    Redis(String),
}

impl Location {
    /// Parses `memory`, `sqlite:PATH` (also `sqlite://PATH`) or a `redis://` / `rediss://` URL.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("memory") {
            return Ok(Location::Memory);
        }
        if let Some(path) = value.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(
                    "`sqlite:` needs a file path, e.g. sqlite:/var/lib/mcp/jira.sqlite3".into(),
                );
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("redis://") || value.starts_with("rediss://") {
            url::Url::parse(value)
                .map_err(|e| format!("not a valid Redis URL ({e}); e.g. redis://redis:6379/0"))?;
            return Ok(Location::Redis(value.to_owned()));
        }
        Err(
            "--state must be sqlite:PATH, redis://HOST:PORT/DB, rediss://HOST:PORT/DB or memory"
                .into(),
        )
    }

    /// The default: `sqlite:<state dir>/<name>.sqlite3`, the state dir being `state_dir`, else
    /// [`default_state_dir`].
    pub fn default_for(name: &str, state_dir: Option<&Path>) -> Result<Self, String> {
        let dir = match state_dir {
            Some(dir) => dir.to_owned(),
            None => default_state_dir().ok_or(
                "no state directory: set --state-dir (MCP_STATE_DIR), XDG_STATE_HOME or HOME",
            )?,
        };
        Ok(Location::Sqlite(dir.join(format!("{name}.sqlite3"))))
    }

    /// The URL form, without any password.
    pub fn describe(&self) -> String {
        match self {
            Location::Memory => "memory".into(),
            Location::Sqlite(p) => format!("sqlite:{}", p.display()),
            Location::Redis(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "redis".into(),
            },
        }
    }
}

/// `$XDG_STATE_HOME/mcp-connectors`, else `~/.local/state/mcp-connectors`.
pub fn default_state_dir() -> Option<PathBuf> {
    let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").and_then(non_empty) {
        return Some(xdg.join("mcp-connectors"));
    }
    std::env::var_os("HOME")
        .and_then(non_empty)
        .map(|home| home.join(".local/state/mcp-connectors"))
}

/// Opens the store at `location`. `redis_password` (from `MCP_STATE_PASSWORD[_FILE]`) replaces
/// a password in a Redis URL.
pub fn open(
    location: &Location,
    redis_password: Option<&SecretString>,
) -> Result<Arc<dyn Backend>, StateError> {
    Ok(match location {
        Location::Memory => Arc::new(crate::memory::MemoryBackend::default()),
        Location::Sqlite(path) => Arc::new(crate::sqlite::SqliteBackend::open(path)?),
        Location::Redis(url) => Arc::new(crate::redis::RedisBackend::open(url, redis_password)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Location::parse("memory"), Ok(Location::Memory));
        assert_eq!(
            Location::parse("sqlite:/var/lib/x.db"),
            Ok(Location::Sqlite("/var/lib/x.db".into()))
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/x.db"),
            Ok(Location::Sqlite("/var/lib/x.db".into()))
        );
        assert!(matches!(
            Location::parse("rediss://u:p@cache:6380/1"),
            Ok(Location::Redis(_))
        ));
        assert!(
            Location::parse("postgres://x")
                .unwrap_err()
                .contains("sqlite:PATH")
        );
        assert!(Location::parse("sqlite:").is_err());
    }

    #[test]
    fn describe_hides_the_password() {
        let l = Location::parse("redis://app:s3cret@cache:6379/0").unwrap();
        assert!(!l.describe().contains("s3cret"), "{}", l.describe());
    }

    #[test]
    fn default_is_a_file_per_connector_in_the_state_dir() {
        assert_eq!(
            Location::default_for("jira", Some(Path::new("/srv/state"))),
            Ok(Location::Sqlite("/srv/state/jira.sqlite3".into()))
        );
    }
}
