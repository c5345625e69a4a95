//! Which tools a deployment exposes, and the annotations they carry.
//!
//! Each connector declares one [`ToolSpec`] per tool. At start-up the kit
//! checks that specs and the rmcp router agree, applies `--toolsets`,
//! `--tools`, `--exclude-tools`, `--read-only` and `--max-tier`, and sets all
//! four annotations from the spec's effect.

use std::collections::BTreeSet;

use connector_confirm::{Effect, Tier};
use rmcp::handler::server::router::tool::ToolRouter;

/// One tool's place in the policy.
#[derive(Debug, Clone, Copy)]
pub struct ToolSpec {
    /// Tool name (as in `#[tool(name = ...)]`).
    pub name: &'static str,
    /// Toolset it belongs to.
    pub toolset: &'static str,
    /// What it does to the upstream.
    pub effect: Effect,
    /// Risk tier.
    pub tier: Tier,
}

impl ToolSpec {
    /// A tool with the effect's default tier.
    pub const fn new(name: &'static str, toolset: &'static str, effect: Effect) -> Self {
        let tier = match effect {
            Effect::Read => Tier::InternalRead,
            Effect::Create | Effect::Update | Effect::Send => Tier::Write,
            Effect::Destructive => Tier::HighImpact,
        };
        ToolSpec {
            name,
            toolset,
            effect,
            tier,
        }
    }

    /// A read tool.
    pub const fn read(name: &'static str, toolset: &'static str) -> Self {
        Self::new(name, toolset, Effect::Read)
    }

    /// Overrides the tier.
    pub const fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }
}

/// The policy flags.
#[derive(Debug, Clone, Default)]
pub struct ToolPolicy {
    /// Enabled toolsets; empty means all.
    pub toolsets: Vec<String>,
    /// Tools enabled by name.
    pub tools: Vec<String>,
    /// Tools hidden by name.
    pub exclude_tools: Vec<String>,
    /// Hide writes.
    pub read_only: bool,
    /// Highest tier shown unless named in `tools`.
    pub max_tier: Option<Tier>,
}

/// Policy errors: configuration mistakes, reported at start-up.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A name in a flag matches nothing.
    #[error("unknown {kind} {name:?}; known {kind}s: {known}")]
    Unknown {
        /// `tool` or `toolset`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// Valid names.
        known: String,
    },
    /// The connector's specs and router disagree (a bug in the connector).
    #[error("connector bug: {0}")]
    Mismatch(String),
}

/// Result of applying a policy.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Enabled specs, sorted by name.
    pub enabled: Vec<ToolSpec>,
    /// Tools named in `--tools`, allowed above `--max-tier`.
    pub explicit: BTreeSet<String>,
}

/// Checks `specs` against `router`, filters the router by `policy` and sets
/// annotations. Returns the filtered router and the selection.
pub fn apply<S: Send + Sync + 'static>(
    mut router: ToolRouter<S>,
    specs: &[ToolSpec],
    policy: &ToolPolicy,
) -> Result<(ToolRouter<S>, Selection), PolicyError> {
    let routed: BTreeSet<String> = router
        .list_all()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    let declared: BTreeSet<String> = specs.iter().map(|s| s.name.to_owned()).collect();
    if routed != declared {
        let missing: Vec<_> = routed.difference(&declared).collect();
        let extra: Vec<_> = declared.difference(&routed).collect();
        return Err(PolicyError::Mismatch(format!(
            "tools without a ToolSpec: {missing:?}; ToolSpecs without a tool: {extra:?}"
        )));
    }
    let toolsets: BTreeSet<&str> = specs.iter().map(|s| s.toolset).collect();
    let join = |it: &mut dyn Iterator<Item = &str>| it.collect::<Vec<_>>().join(", ");
    for ts in &policy.toolsets {
        if ts != "all" && !toolsets.contains(ts.as_str()) {
            return Err(PolicyError::Unknown {
                kind: "toolset",
                name: ts.clone(),
                known: join(&mut toolsets.iter().copied()),
            });
        }
    }
    for name in policy.tools.iter().chain(&policy.exclude_tools) {
        if !declared.contains(name) {
            return Err(PolicyError::Unknown {
                kind: "tool",
                name: name.clone(),
                known: join(&mut declared.iter().map(String::as_str)),
            });
        }
    }
    let all_sets = policy.toolsets.is_empty() || policy.toolsets.iter().any(|t| t == "all");
    let max_tier = policy.max_tier.unwrap_or(Tier::Write);
    let mut enabled = Vec::new();
    let mut explicit = BTreeSet::new();
    for spec in specs {
        let named = policy.tools.iter().any(|t| t == spec.name);
        let in_set = all_sets || policy.toolsets.iter().any(|t| t == spec.toolset);
        let on = (named || (in_set && spec.tier <= max_tier))
            && !policy.exclude_tools.iter().any(|t| t == spec.name)
            && !(policy.read_only && spec.effect.is_write());
        if !on {
            router.remove_route(spec.name);
            continue;
        }
        if named {
            explicit.insert(spec.name.to_owned());
        }
        if let Some(route) = router.map.get_mut(spec.name) {
            let title = route
                .attr
                .title
                .clone()
                .unwrap_or_else(|| spec.name.replace('_', " "));
            route.attr.title = Some(title.clone());
            route.attr.annotations = Some(spec.effect.annotations(&title));
        }
        enabled.push(*spec);
    }
    enabled.sort_by_key(|s| s.name);
    Ok((router, Selection { enabled, explicit }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::handler::server::router::tool::ToolRoute;
    use rmcp::model::{CallToolResult, Tool};
    use std::sync::Arc;

    const SPECS: &[ToolSpec] = &[
        ToolSpec::read("list", "items"),
        ToolSpec::new("create", "items", Effect::Create),
        ToolSpec::new("delete", "items", Effect::Destructive),
        ToolSpec::read("search", "search"),
    ];

    fn router(names: &[&'static str]) -> ToolRouter<()> {
        let mut r = ToolRouter::new();
        for name in names {
            let tool = Tool::new(*name, "d", Arc::new(serde_json::Map::new()));
            r.add_route(ToolRoute::new_dyn(tool, |_ctx| {
                Box::pin(async { Ok(CallToolResult::success(vec![]).into()) })
            }));
        }
        r
    }

    fn enabled(policy: &ToolPolicy) -> Vec<&'static str> {
        let (_, sel) = apply(
            router(&["list", "create", "delete", "search"]),
            SPECS,
            policy,
        )
        .unwrap();
        sel.enabled.iter().map(|s| s.name).collect()
    }

    #[test]
    fn defaults_hide_tier_four() {
        assert_eq!(
            enabled(&ToolPolicy::default()),
            ["create", "list", "search"]
        );
    }

    #[test]
    fn flags_select_tools() {
        let p = ToolPolicy {
            read_only: true,
            ..Default::default()
        };
        assert_eq!(enabled(&p), ["list", "search"]);
        let p = ToolPolicy {
            toolsets: vec!["search".into()],
            ..Default::default()
        };
        assert_eq!(enabled(&p), ["search"]);
        let p = ToolPolicy {
            tools: vec!["delete".into()],
            ..Default::default()
        };
        assert_eq!(enabled(&p), ["create", "delete", "list", "search"]);
        let p = ToolPolicy {
            max_tier: Some(Tier::HighImpact),
            exclude_tools: vec!["list".into()],
            ..Default::default()
        };
        assert_eq!(enabled(&p), ["create", "delete", "search"]);
        let p = ToolPolicy {
            read_only: true,
            tools: vec!["delete".into()],
            ..Default::default()
        };
        assert_eq!(
            enabled(&p),
            ["list", "search"],
            "read-only wins over --tools"
        );
    }

    #[test]
    fn annotations_come_from_effects() {
        let (r, _) = apply(
            router(&["list", "create", "delete", "search"]),
            SPECS,
            &ToolPolicy::default(),
        )
        .unwrap();
        let create = r.get("create").unwrap().annotations.clone().unwrap();
        assert_eq!(create.read_only_hint, Some(false));
        assert_eq!(create.destructive_hint, Some(false));
        assert_eq!(r.get("create").unwrap().title.as_deref(), Some("create"));
        assert!(r.get("delete").is_none());
    }

    #[test]
    fn unknown_names_and_mismatches_are_errors() {
        let p = ToolPolicy {
            toolsets: vec!["nope".into()],
            ..Default::default()
        };
        let e = apply(router(&["list", "create", "delete", "search"]), SPECS, &p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope") && e.contains("items"), "{e}");
        let p = ToolPolicy {
            tools: vec!["drop".into()],
            ..Default::default()
        };
        assert!(apply(router(&["list", "create", "delete", "search"]), SPECS, &p).is_err());
        let e = apply(
            router(&["list", "create", "delete"]),
            SPECS,
            &ToolPolicy::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("search"), "{e}");
    }
}
