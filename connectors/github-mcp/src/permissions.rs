//! What each tool needs from the credential, and which enabled tools a
//! credential cannot serve: the table behind `doctor`'s permission report.
//!
//! | credential | what GitHub tells us | what we check |
//! |---|---|---|
//! | classic PAT (`ghp_`), OAuth token (`gho_`) | the `x-oauth-scopes` answer header | `repo` serves every tool; `public_repo` serves them on public repositories only; without either, writes fail and reads see public repositories only |
//! | fine-grained PAT (`github_pat_`) | nothing | we list the permissions the enabled tools need |
//! | GitHub App installation | `permissions` in the token-mint answer | each tool's permission and level |
//!
//! The classic scopes follow GitHub's REST description: the Actions
//! endpoints (`dispatches`, `rerun`) need `repo` like the rest; `workflow` only
//! grants changing workflow *files*, which no tool does.

use std::collections::BTreeMap;

use connector_kit::ToolSpec;
use connector_kit::confirm::Effect;
use serde_json::{Map, Value};

/// Read or write access to a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// `read`.
    Read,
    /// `write`.
    Write,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// What one tool needs: fine-grained / App permissions (the App API's
/// keys, e.g. `pull_requests`) with their level. Classic scopes follow from
/// the tool's effect (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// Tool name.
    pub tool: &'static str,
    /// `(permission, access)` pairs, all required.
    pub permissions: &'static [(&'static str, Access)],
}

use Access::{Read, Write};

/// Every tool of the connector, including those a build may not have yet.
pub const TABLE: &[Need] = &[
    need("get_repository", &[("metadata", Read)]),
    need("get_file_contents", &[("contents", Read)]),
    need("list_commits", &[("contents", Read)]),
    need("search_code", &[("contents", Read)]),
    need("list_issues", &[("issues", Read)]),
    need("get_issue", &[("issues", Read)]),
    need("search_issues", &[("issues", Read)]),
    need("create_issue", &[("issues", Write)]),
    need("update_issue", &[("issues", Write)]),
    need("add_issue_comment", &[("issues", Write)]),
    need("list_pull_requests", &[("pull_requests", Read)]),
    need(
        "get_pull_request",
        &[
            ("pull_requests", Read),
            ("checks", Read),
            ("statuses", Read),
        ],
    ),
    need("get_pull_request_files", &[("pull_requests", Read)]),
    need("get_pull_request_diff", &[("pull_requests", Read)]),
    need("create_pull_request", &[("pull_requests", Write)]),
    need("update_pull_request", &[("pull_requests", Write)]),
    need("create_pull_request_review", &[("pull_requests", Write)]),
    need(
        "merge_pull_request",
        &[("contents", Write), ("pull_requests", Write)],
    ),
    need("list_workflows", &[("actions", Read)]),
    need("list_workflow_runs", &[("actions", Read)]),
    need("get_workflow_run", &[("actions", Read)]),
    need("get_job_logs", &[("actions", Read)]),
    need("dispatch_workflow", &[("actions", Write)]),
    need("rerun_workflow", &[("actions", Write)]),
    need("search", &[("issues", Read)]),
    need("fetch", &[("issues", Read)]),
];

const fn need(tool: &'static str, permissions: &'static [(&'static str, Access)]) -> Need {
    Need { tool, permissions }
}

/// The entry for `tool`.
pub fn need_of(tool: &str) -> Option<&'static Need> {
    TABLE.iter().find(|n| n.tool == tool)
}

/// The display name of a permission key (`pull_requests` → `Pull requests`).
fn permission_name(key: &str) -> &str {
    match key {
        "metadata" => "Metadata",
        "contents" => "Contents",
        "issues" => "Issues",
        "pull_requests" => "Pull requests",
        "actions" => "Actions",
        "checks" => "Checks",
        "statuses" => "Commit statuses",
        other => other,
    }
}

/// What a token's prefix says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `ghp_`: a classic personal access token.
    Classic,
    /// `github_pat_`: a fine-grained personal access token.
    FineGrained,
    /// `gho_`: an OAuth App token (classic scopes).
    OAuth,
    /// `ghu_`: a GitHub App user-to-server token.
    UserToServer,
    /// `ghs_`: a GitHub App installation token (expires within an hour).
    Installation,
    /// No GitHub prefix (GHES before 3.x, or a test token).
    Unknown,
}

impl TokenKind {
    /// From the token's prefix.
    pub fn of(token: &str) -> Self {
        if token.starts_with("github_pat_") {
            TokenKind::FineGrained
        } else if token.starts_with("ghp_") {
            TokenKind::Classic
        } else if token.starts_with("gho_") {
            TokenKind::OAuth
        } else if token.starts_with("ghu_") {
            TokenKind::UserToServer
        } else if token.starts_with("ghs_") {
            TokenKind::Installation
        } else {
            TokenKind::Unknown
        }
    }

    /// In words.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Classic => "classic personal access token (ghp_)",
            TokenKind::FineGrained => "fine-grained personal access token (github_pat_)",
            TokenKind::OAuth => "OAuth App token (gho_)",
            TokenKind::UserToServer => "GitHub App user token (ghu_)",
            TokenKind::Installation => {
                "GitHub App installation token (ghs_; it expires within an hour: configure the App instead)"
            }
            TokenKind::Unknown => "token without a GitHub prefix",
        }
    }
}

/// The scopes of an `x-oauth-scopes` header (`repo, workflow`).
pub fn parse_scopes(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a classic (or OAuth) token's scopes cannot do for the enabled tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassicGaps {
    /// Tools that fail everywhere (writes without `repo` / `public_repo`).
    pub cannot: Vec<&'static str>,
    /// Tools that work on public repositories only.
    pub public_only: Vec<&'static str>,
}

/// The gaps of classic `scopes` for `tools`.
pub fn classic_gaps(scopes: &[String], tools: &[ToolSpec]) -> ClassicGaps {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let mut gaps = ClassicGaps::default();
    if has("repo") {
        return gaps;
    }
    for spec in tools {
        let writes = spec.effect != Effect::Read;
        if writes && !has("public_repo") {
            gaps.cannot.push(spec.name);
        } else {
            gaps.public_only.push(spec.name);
        }
    }
    gaps
}

/// The tools an App installation's `permissions` cannot serve, each with what
/// it lacks (`create_issue` → `Issues: write`). Every App has `metadata: read`.
pub fn app_gaps(
    permissions: &Map<String, Value>,
    tools: &[ToolSpec],
) -> Vec<(&'static str, String)> {
    let level = |key: &str| match permissions.get(key).and_then(Value::as_str) {
        Some("write" | "admin") => Some(Write),
        Some("read") => Some(Read),
        _ if key == "metadata" => Some(Read),
        _ => None,
    };
    tools
        .iter()
        .filter_map(|spec| {
            let need = need_of(spec.name)?;
            let missing: Vec<String> = need
                .permissions
                .iter()
                .filter(|(key, access)| level(key).is_none_or(|have| have < *access))
                .map(|(key, access)| format!("{}: {}", permission_name(key), access.as_str()))
                .collect();
            (!missing.is_empty()).then(|| (spec.name, missing.join(", ")))
        })
        .collect()
}

/// The permissions `tools` need, grouped: `Issues: write (create_issue, update_issue)`.
/// A write level covers the reads of the same permission.
pub fn needed_permissions(tools: &[ToolSpec]) -> Vec<String> {
    let mut by_permission: BTreeMap<&str, (Access, Vec<&str>)> = BTreeMap::new();
    for spec in tools {
        let Some(need) = need_of(spec.name) else {
            continue;
        };
        for (key, access) in need.permissions {
            let entry = by_permission.entry(key).or_insert((Read, Vec::new()));
            entry.0 = entry.0.max(*access);
            entry.1.push(spec.name);
        }
    }
    by_permission
        .into_iter()
        .map(|(key, (access, tools))| {
            format!(
                "{}: {} ({})",
                permission_name(key),
                access.as_str(),
                tools.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_tool_has_an_entry() {
        for spec in crate::tools::SPECS {
            assert!(
                need_of(spec.name).is_some(),
                "{} has no entry in permissions::TABLE",
                spec.name
            );
        }
        let mut names: Vec<_> = TABLE.iter().map(|n| n.tool).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len(), "a tool is listed twice");
    }

    #[test]
    fn write_tools_need_write_permissions() {
        for spec in crate::tools::SPECS {
            let need = need_of(spec.name).unwrap();
            let writes = need.permissions.iter().any(|(_, a)| *a == Write);
            assert_eq!(writes, spec.effect != Effect::Read, "{}", spec.name);
        }
    }

    #[test]
    fn token_prefixes() {
        assert_eq!(TokenKind::of("ghp_abc"), TokenKind::Classic);
        assert_eq!(TokenKind::of("github_pat_11AB"), TokenKind::FineGrained);
        assert_eq!(TokenKind::of("gho_x"), TokenKind::OAuth);
        assert_eq!(TokenKind::of("ghs_x"), TokenKind::Installation);
        assert_eq!(TokenKind::of("mock-gh-token"), TokenKind::Unknown);
        assert_eq!(parse_scopes("repo, workflow,"), ["repo", "workflow"]);
        assert!(parse_scopes("").is_empty());
    }

    fn specs(names: &[&'static str]) -> Vec<ToolSpec> {
        names
            .iter()
            .map(|&name| {
                let effect = if name.starts_with("create") || name.starts_with("dispatch") {
                    Effect::Create
                } else {
                    Effect::Read
                };
                ToolSpec::new(name, "t", effect)
            })
            .collect()
    }

    #[test]
    fn classic_scopes() {
        let tools = specs(&["get_issue", "create_issue", "dispatch_workflow"]);
        let scopes = |s: &str| parse_scopes(s);
        assert_eq!(
            classic_gaps(&scopes("repo"), &tools),
            ClassicGaps::default()
        );
        let gaps = classic_gaps(&scopes("public_repo"), &tools);
        assert!(gaps.cannot.is_empty());
        assert_eq!(gaps.public_only.len(), 3);
        let gaps = classic_gaps(&scopes("read:user, workflow"), &tools);
        assert_eq!(gaps.cannot, ["create_issue", "dispatch_workflow"]);
        assert_eq!(gaps.public_only, ["get_issue"]);
    }

    #[test]
    fn app_permissions() {
        let tools = specs(&[
            "get_repository",
            "get_issue",
            "create_issue",
            "dispatch_workflow",
        ]);
        let perms = json!({"issues": "write", "actions": "read"});
        let gaps = app_gaps(perms.as_object().unwrap(), &tools);
        assert_eq!(gaps, [("dispatch_workflow", "Actions: write".to_owned())]);
        let perms = json!({});
        let gaps = app_gaps(perms.as_object().unwrap(), &tools);
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        let needed = needed_permissions(&tools);
        assert!(
            needed.contains(&"Issues: write (get_issue, create_issue)".to_owned()),
            "{needed:?}"
        );
    }
}
