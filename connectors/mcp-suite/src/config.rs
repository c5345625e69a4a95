//! From the config file's `[<connector>]` tables to built connectors.
//!
//! A section's keys are the long flag names of the connector's single binary
//! (with `_` for `-`). Each section is turned into arguments with the kit's
//! [`toml_to_args`] and parsed by the connector's own clap definition, so its
//! environment variables (e.g. `ZAPIER_HOOKS_FILE`) keep working and beat the
//! file, exactly as for the single binary.

use std::any::TypeId;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use connector_kit::cli::{KitArgs, toml_to_args};
use connector_kit::confirm::AuditSink;
use connector_kit::state::State;

use crate::cli::{ConfigFile, SuiteArgs};
use crate::registry::{Hosted, Ready};

/// Makes relative path values (keys whose option takes a path) absolute,
/// against `dir`. Nested tables (other sections) are left alone.
pub fn resolve_paths(cmd: &clap::Command, table: &mut toml::Table, dir: &Path) {
    for (key, value) in table.iter_mut() {
        let toml::Value::String(s) = value else {
            continue;
        };
        let id = key.replace('-', "_");
        let takes_path = cmd.get_arguments().any(|a| {
            a.get_id().as_str() == id && a.get_value_parser().type_id() == TypeId::of::<PathBuf>()
        });
        if takes_path && Path::new(s.as_str()).is_relative() {
            *s = dir.join(s.as_str()).to_string_lossy().into_owned();
        }
    }
}

/// The first line of a clap error, without its `error: ` prefix.
pub fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

/// Whether a connector is configured: it has a table in the file, or one of
/// its options' environment variables is set.
pub fn is_configured(h: &dyn Hosted, file: &ConfigFile) -> bool {
    file.table.contains_key(h.name())
        || h.command()
            .get_arguments()
            .filter_map(|a| a.get_env())
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// `argv` for [`Hosted::build`]: the binary name, then the section's keys as
/// flags (only for options not already set through the environment).
pub fn section_argv(h: &dyn Hosted, file: &ConfigFile) -> Result<Vec<OsString>, String> {
    let cmd = h.command();
    // Which options the environment already sets (errors such as a missing
    // required option are for the final parse, after the file is applied).
    let env_matches = cmd
        .clone()
        .ignore_errors(true)
        .try_get_matches_from([h.binary()])
        .map_err(|e| clap_message(&e))?;
    let mut table = file.table.clone();
    if let (Some(dir), Some(toml::Value::Table(section))) = (file.dir(), table.get_mut(h.name())) {
        resolve_paths(&cmd, section, dir);
    }
    let extra =
        toml_to_args(&cmd, &env_matches, &table, Some(h.name())).map_err(|e| match &file.path {
            Some(p) => format!("[{}] in {}: {e}", h.name(), p.display()),
            None => format!("[{}]: {e}", h.name()),
        })?;
    let mut argv: Vec<OsString> = vec![h.binary().into()];
    argv.extend(extra);
    Ok(argv)
}

/// What `--connectors` and the config file select.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    /// Connectors to build.
    pub enabled: Vec<&'a dyn Hosted>,
    /// Problems to report (and to fail on with `--strict`): name, reason.
    pub problems: Vec<(String, String)>,
}

impl std::fmt::Debug for dyn Hosted + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Picks the connectors to run. `--connectors` wins; else every configured
/// connector; else, when `all_if_none`, every hosted connector (so `tools`
/// on a fresh clone shows the whole catalogue).
pub fn select<'a>(
    hosted: &'a [Box<dyn Hosted>],
    suite: &SuiteArgs,
    file: &ConfigFile,
    all_if_none: bool,
) -> anyhow::Result<Selection<'a>> {
    let known: Vec<&str> = hosted.iter().map(|h| h.name()).collect();
    let mut selection = Selection::default();
    for (key, value) in &file.table {
        if matches!(value, toml::Value::Table(_)) && !known.contains(&key.as_str()) {
            selection.problems.push((
                key.clone(),
                format!(
                    "the config file has a [{key}] table, but this build hosts only: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    if !suite.connectors.is_empty() {
        for name in &suite.connectors {
            let Some(h) = hosted.iter().find(|h| h.name() == name.trim()) else {
                bail!(
                    "--connectors: no connector named {name:?}; this build hosts: {}",
                    known.join(", ")
                );
            };
            selection.enabled.push(h.as_ref());
        }
        return Ok(selection);
    }
    selection.enabled = hosted
        .iter()
        .filter(|h| is_configured(h.as_ref(), file))
        .map(|h| h.as_ref())
        .collect();
    if selection.enabled.is_empty() && all_if_none {
        selection.enabled = hosted.iter().map(|h| h.as_ref()).collect();
    }
    Ok(selection)
}

/// Connectors built from configuration, and the ones skipped.
pub struct Enabled {
    /// Built connectors, in registry order.
    pub ready: Vec<Box<dyn Ready>>,
    /// Skipped connectors: name, reason.
    pub skipped: Vec<(String, String)>,
}

impl std::fmt::Debug for Enabled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.ready.iter().map(|r| r.name()).collect();
        f.debug_struct("Enabled")
            .field("ready", &names)
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Builds every selected connector. A connector that fails to configure is
/// reported on stderr and skipped; with `strict` it is an error.
pub async fn build_all(
    selection: Selection<'_>,
    kit: &KitArgs,
    file: &ConfigFile,
    audit: Arc<dyn AuditSink>,
    state: &State,
    strict: bool,
) -> anyhow::Result<Enabled> {
    let mut enabled = Enabled {
        ready: Vec::new(),
        skipped: Vec::new(),
    };
    for (name, reason) in selection.problems {
        skip(&mut enabled, strict, name, reason)?;
    }
    for h in selection.enabled {
        let built = match section_argv(h, file) {
            Ok(argv) => {
                h.build(kit.clone(), argv, audit.clone(), state.clone())
                    .await
            }
            Err(e) => Err(anyhow::anyhow!(e)),
        };
        match built {
            Ok(ready) => enabled.ready.push(ready),
            Err(e) => skip(&mut enabled, strict, h.name().to_owned(), format!("{e:#}"))?,
        }
    }
    Ok(enabled)
}

fn skip(enabled: &mut Enabled, strict: bool, name: String, reason: String) -> anyhow::Result<()> {
    if strict {
        bail!("connector {name}: {reason}");
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "warning: skipping connector {name}: {reason} (fix its [{name}] table; --strict makes this fatal)"
        );
    }
    tracing::warn!(connector = %name, %reason, "connector skipped");
    enabled.skipped.push((name, reason));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::hosted;

    fn file(text: &str, dir: &Path) -> ConfigFile {
        ConfigFile {
            path: Some(dir.join("suite.toml")),
            table: toml::from_str(text).unwrap(),
        }
    }

    #[test]
    fn sections_become_flags_with_paths_resolved() {
        let all = hosted();
        let zapier = all.iter().find(|h| h.name() == "zapier").unwrap();
        let dir = Path::new("/etc/mcp");
        let argv = section_argv(
            zapier.as_ref(),
            &file(
                "[zapier]\nhooks = \"hooks.toml\"\nread_only = true\ntoolsets = [\"hooks\"]\n",
                dir,
            ),
        )
        .unwrap();
        let argv: Vec<String> = argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(argv[0], "zapier-mcp");
        let at = argv.iter().position(|a| a == "--hooks").unwrap();
        assert_eq!(argv[at + 1], "/etc/mcp/hooks.toml");
        assert!(argv.contains(&"--read-only".to_owned()));
        assert!(argv.contains(&"--toolsets".to_owned()));
    }

    #[test]
    fn unknown_section_keys_are_named() {
        let all = hosted();
        let zapier = all.iter().find(|h| h.name() == "zapier").unwrap();
        let e = section_argv(
            zapier.as_ref(),
            &file("[zapier]\nhoks = \"x\"\n", Path::new("/")),
        )
        .unwrap_err();
        assert!(e.contains("hoks") && e.contains("[zapier]"), "{e}");
    }

    #[test]
    fn unknown_sections_and_names_are_reported() {
        let all = hosted();
        let args = SuiteArgs {
            connectors: vec![],
            strict: false,
        };
        let s = select(&all, &args, &file("[nosuch]\n", Path::new("/")), false).unwrap();
        assert_eq!(s.problems.len(), 1);
        let args = SuiteArgs {
            connectors: vec!["nosuch".into()],
            strict: false,
        };
        let e = select(&all, &args, &ConfigFile::default(), false).unwrap_err();
        assert!(e.to_string().contains("nosuch"), "{e}");
    }
}
