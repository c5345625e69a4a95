//! The connectors this build hosts.
//!
//! **Adding a connector** (e.g. `jira-mcp`): add its crate to this crate's
//! `Cargo.toml`, then one line to [`hosted`]. Its TOML section, `tools`,
//! `doctor`, the `/<name>/mcp` endpoint and metrics follow from its
//! [`Connector`] impl. For the demo, add its mock and tour steps in
//! [`crate::demo`].

use std::ffi::OsString;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use clap::{ArgAction, Args, FromArgMatches};
use connector_kit::cli::KitArgs;
use connector_kit::confirm::{AuditSink, Tier};
use connector_kit::http::{HttpOptions, Mount, mount};
use connector_kit::run::{Built, build};
use connector_kit::state::State;
use connector_kit::tools::{ToolRow, tool_rows};
use connector_kit::{Check, Connector};

/// Every connector type the suite can host, in mount and listing order.
pub fn hosted() -> Vec<Box<dyn Hosted>> {
    vec![
        host::<zapier_mcp::Zapier>(),
        host::<jira_mcp::Jira>(),
        host::<servicenow_mcp::ServiceNow>(),
        host::<crm_mcp::Crm>(),
        host::<github_mcp::GitHub>(),
        // ── Add connectors here, one line each, as they land. ──
    ]
}

fn host<C: Connector>() -> Box<dyn Hosted> {
    Box::new(Slot::<C>(PhantomData))
}

/// A boxed, sendable future (the registry is a list of trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connector type, seen without its type parameter.
pub trait Hosted: Send + Sync {
    /// Short name: path segment, TOML section (`zapier`).
    fn name(&self) -> &'static str;
    /// Its single binary (`zapier-mcp`).
    fn binary(&self) -> &'static str;
    /// The clap command for a TOML section: the connector's own options
    /// (with their env vars) plus the per-connector policy keys of
    /// [`SectionPolicy`].
    fn command(&self) -> clap::Command;
    /// Builds the connector from the suite's kit options and `argv` (the
    /// section as arguments to [`Hosted::command`], binary name first), with the
    /// process's state store (the connector keeps its own namespace in it).
    fn build(
        &self,
        kit: KitArgs,
        argv: Vec<OsString>,
        audit: Arc<dyn AuditSink>,
        state: State,
    ) -> BoxFuture<'_, anyhow::Result<Box<dyn Ready>>>;
}

/// A built connector, ready to list, check or mount.
pub trait Ready: Send + Sync {
    /// Short name.
    fn name(&self) -> &'static str;
    /// Rows for `tools`.
    fn tool_rows(&self) -> Vec<ToolRow>;
    /// The connector's own `doctor` checks.
    fn doctor(&self) -> BoxFuture<'_, Vec<Check>>;
    /// Mounts it as a stateless streamable-HTTP endpoint at `path`.
    fn mount(self: Box<Self>, path: &str, opts: &HttpOptions) -> Mount;
}

/// Keys a connector's section may set for that connector only; they
/// replace the top-level value (`read_only` and `exclude_tools` add to it).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Policy (this connector only)")]
pub struct SectionPolicy {
    /// Toolsets to enable for this connector.
    #[arg(long, value_delimiter = ',')]
    pub toolsets: Vec<String>,
    /// Extra tools to enable by name.
    #[arg(long, value_delimiter = ',')]
    pub tools: Vec<String>,
    /// Tools to hide by name (added to the top-level list).
    #[arg(long, value_delimiter = ',')]
    pub exclude_tools: Vec<String>,
    /// Hide and refuse this connector's write tools.
    #[arg(long, action = ArgAction::SetTrue)]
    pub read_only: bool,
    /// Highest risk tier enabled for this connector.
    #[arg(long)]
    pub max_tier: Option<Tier>,
}

impl SectionPolicy {
    fn apply(self, kit: &mut KitArgs) {
        if !self.toolsets.is_empty() {
            kit.toolsets = self.toolsets;
        }
        if !self.tools.is_empty() {
            kit.tools = self.tools;
        }
        kit.exclude_tools.extend(self.exclude_tools);
        kit.read_only |= self.read_only;
        if let Some(t) = self.max_tier {
            kit.max_tier = t;
        }
    }
}

struct Slot<C>(PhantomData<fn() -> C>);

impl<C: Connector> Hosted for Slot<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn binary(&self) -> &'static str {
        C::BINARY
    }

    fn command(&self) -> clap::Command {
        let cmd = clap::Command::new(C::BINARY);
        SectionPolicy::augment_args(<C::Options as Args>::augment_args(cmd))
    }

    fn build(
        &self,
        mut kit: KitArgs,
        argv: Vec<OsString>,
        audit: Arc<dyn AuditSink>,
        state: State,
    ) -> BoxFuture<'_, anyhow::Result<Box<dyn Ready>>> {
        Box::pin(async move {
            let matches = self
                .command()
                .try_get_matches_from(argv)
                .map_err(|e| anyhow::anyhow!(crate::config::clap_message(&e)))?;
            let options = C::Options::from_arg_matches(&matches)
                .map_err(|e| anyhow::anyhow!(crate::config::clap_message(&e)))?;
            SectionPolicy::from_arg_matches(&matches)
                .map_err(|e| anyhow::anyhow!(crate::config::clap_message(&e)))?
                .apply(&mut kit);
            let built = build::<C>(&kit, options, audit, &state).await?;
            Ok(Box::new(Hosting(built)) as Box<dyn Ready>)
        })
    }
}

struct Hosting<C: Connector>(Built<C>);

impl<C: Connector> Ready for Hosting<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn tool_rows(&self) -> Vec<ToolRow> {
        tool_rows(&self.0.server.tools(), &self.0.server.selection().enabled)
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Check>> {
        Box::pin(self.0.server.connector().doctor())
    }

    fn mount(self: Box<Self>, path: &str, opts: &HttpOptions) -> Mount {
        let Built { server, metrics } = self.0;
        mount(server, path, metrics, opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_section_commands_are_valid() {
        let all = hosted();
        let mut names: Vec<&str> = all.iter().map(|h| h.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "duplicate connector names");
        for h in &all {
            h.command().debug_assert();
        }
    }
}
