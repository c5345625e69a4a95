//! Toolset `repos`: a repository's facts, its files and commits, and code
//! search (GitHub's `search` rate-limit budget).

use base64::Engine;
use connector_kit::text::sanitize;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::GitHub;
use crate::client::{Class, path_segs};
use crate::tools::{NAME_PATTERN, UNTRUSTED, items, n, repo_path, s, text, tool_error};

/// Arguments of `get_repository`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoArgs {
    /// Owner (user or organization), e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
}

/// A repository.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RepositoryOut {
    /// `owner/repo`.
    pub full_name: String,
    /// Description (untrusted text from GitHub).
    pub description: String,
    /// `public`, `private` or `internal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Default branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
    /// Main language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Open issues and pull requests.
    pub open_issues: u64,
    /// Stars.
    pub stars: u64,
    /// Archived (read-only on GitHub).
    pub archived: bool,
    /// What the token may do here (`admin`, `maintain`, `push`, `triage`, `pull`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Last push (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<String>,
    /// Link on GitHub.
    pub url: String,
    /// About the text fields.
    pub notice: &'static str,
}

/// Arguments of `get_file_contents`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentsArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Path in the repository, e.g. `src/main.rs`; empty or `/` for the root directory.
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub path: String,
    /// Branch, tag or commit SHA. Default: the default branch.
    #[serde(default, rename = "ref")]
    #[schemars(length(min = 1, max = 250))]
    pub reference: Option<String>,
    /// Character offset to start from (`next_offset` of the previous call).
    #[serde(default)]
    pub offset: u64,
    /// Most characters to return (1000-100000, default 20000).
    #[serde(default = "default_max_chars")]
    #[schemars(range(min = 1000, max = 100000))]
    pub max_chars: u32,
}

fn default_max_chars() -> u32 {
    20_000
}

/// One entry of a directory.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Entry {
    /// Name.
    pub name: String,
    /// Path in the repository.
    pub path: String,
    /// `file`, `dir`, `symlink` or `submodule`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Size in bytes (files).
    pub size: u64,
}

/// A file's text (one slice of it) or a directory's entries.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ContentsOut {
    /// The path.
    pub path: String,
    /// `file` or `dir`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The file's text from `offset` (untrusted content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The file's size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The file's length in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_chars: Option<u64>,
    /// Pass as `offset` to read on; absent at the end of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
    /// The blob SHA (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// A directory's entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
    /// Link on GitHub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// About the text.
    pub notice: &'static str,
}

/// Arguments of `list_commits`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitsArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Branch, tag or SHA to start from. Default: the default branch.
    #[serde(default)]
    #[schemars(length(min = 1, max = 250))]
    pub sha: Option<String>,
    /// Only commits touching this path.
    #[serde(default)]
    #[schemars(length(min = 1, max = 1000))]
    pub path: Option<String>,
    /// Only commits by this login or e-mail.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub author: Option<String>,
    /// Commits per page (1-100, default 30).
    #[serde(default = "crate::tools::default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// One commit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CommitOut {
    /// SHA.
    pub sha: String,
    /// First line of the message (untrusted text).
    pub message: String,
    /// Author's GitHub login, if linked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Author's name from the commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// Authored (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Link on GitHub.
    pub url: String,
}

/// A page of commits.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CommitList {
    /// Commits, newest first.
    pub commits: Vec<CommitOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// About the text fields.
    pub notice: &'static str,
}

/// Arguments of `search_code`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeSearchArgs {
    /// GitHub code search syntax: at least one word, optionally with
    /// qualifiers such as `repo:acme/api`, `org:acme`, `path:src`,
    /// `filename:Cargo.toml`, `extension:rs`, `language:rust`.
    #[schemars(length(min = 1, max = 256))]
    pub query: String,
    /// Results per page (1-100, default 30).
    #[serde(default = "crate::tools::default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// One file that matched.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CodeHit {
    /// Repository (`owner/repo`).
    pub repo: String,
    /// Path in the repository (read it with `get_file_contents`).
    pub path: String,
    /// File name.
    pub name: String,
    /// Blob SHA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Link on GitHub.
    pub url: String,
    /// The matched lines (GitHub's text matches; untrusted content), at most 500 characters each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<String>,
}

fn code_hit(v: &Value) -> CodeHit {
    CodeHit {
        repo: v
            .get("repository")
            .and_then(|r| s(r, "full_name"))
            .unwrap_or_default(),
        path: text(v, "path"),
        name: text(v, "name"),
        sha: s(v, "sha"),
        url: s(v, "html_url").unwrap_or_default(),
        fragments: items(v, "text_matches")
            .filter_map(|m| m.get("fragment").and_then(Value::as_str))
            .map(|f| connector_kit::text::clip(&sanitize(f), 500).0)
            .collect(),
    }
}

/// A page of code search results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CodeResults {
    /// Matching files.
    pub results: Vec<CodeHit>,
    /// Matches in all (GitHub serves at most the first 1000).
    pub total_count: u64,
    /// True when GitHub's search timed out and results may be missing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete_results: bool,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// About the text fields.
    pub notice: &'static str,
}

#[tool_router(router = repos_tools, vis = "pub(crate)")]
impl GitHub {
    /// Use this to look a repository up: description, visibility, default
    /// branch, open issue count and what the token may do there.
    #[tool(name = "get_repository", title = "Get a repository")]
    async fn get_repository(
        &self,
        Parameters(args): Parameters<RepoArgs>,
    ) -> Result<Json<RepositoryOut>, CallToolResult> {
        let v: Value = self
            .client
            .get(&repo_path(&args.owner, &args.repo), &[], Class::Read)
            .await
            .map_err(|e| e.to_tool_result())?;
        let permissions = v
            .get("permissions")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .filter(|(_, v)| v.as_bool() == Some(true))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Json(RepositoryOut {
            full_name: s(&v, "full_name").unwrap_or_default(),
            description: text(&v, "description"),
            visibility: s(&v, "visibility"),
            default_branch: s(&v, "default_branch"),
            language: s(&v, "language"),
            open_issues: n(&v, "open_issues_count"),
            stars: n(&v, "stargazers_count"),
            archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
            permissions,
            pushed_at: s(&v, "pushed_at"),
            url: s(&v, "html_url").unwrap_or_default(),
            notice: UNTRUSTED,
        }))
    }

    /// Use this to list a repository's commits, newest first, optionally
    /// from a branch, touching a path or by an author.
    #[tool(name = "list_commits", title = "List commits")]
    async fn list_commits(
        &self,
        Parameters(args): Parameters<CommitsArgs>,
    ) -> Result<Json<CommitList>, CallToolResult> {
        let page = crate::tools::page_cursor(args.cursor.as_deref())?;
        let mut query = Vec::new();
        for (k, v) in [
            ("sha", &args.sha),
            ("path", &args.path),
            ("author", &args.author),
        ] {
            if let Some(v) = v {
                query.push((k, v.clone()));
            }
        }
        let p = self
            .client
            .get_page::<Vec<Value>>(
                &format!("{}/commits", repo_path(&args.owner, &args.repo)),
                &query,
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(CommitList {
            commits: p
                .items
                .iter()
                .map(|c| {
                    let commit = c.get("commit").cloned().unwrap_or(Value::Null);
                    let who = commit.get("author").cloned().unwrap_or(Value::Null);
                    CommitOut {
                        sha: s(c, "sha").unwrap_or_default(),
                        message: text(&commit, "message")
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_owned(),
                        author: crate::tools::login(c, "author"),
                        author_name: s(&who, "name").map(|n| sanitize(&n)),
                        date: s(&who, "date"),
                        url: s(c, "html_url").unwrap_or_default(),
                    }
                })
                .collect(),
            next_cursor: p.next.map(|n| n.to_string()),
            notice: UNTRUSTED,
        }))
    }

    /// Use this to read a text file (in slices of `max_chars`, continue
    /// with `offset`) or list a directory of a repository, at a branch, tag
    /// or commit.
    #[tool(name = "get_file_contents", title = "Get file contents")]
    async fn get_file_contents(
        &self,
        Parameters(args): Parameters<ContentsArgs>,
    ) -> Result<Json<ContentsOut>, CallToolResult> {
        let rel = path_segs(&args.path);
        let path = if rel.is_empty() {
            format!("{}/contents", repo_path(&args.owner, &args.repo))
        } else {
            format!("{}/contents/{rel}", repo_path(&args.owner, &args.repo))
        };
        let query: Vec<(&str, String)> =
            args.reference.iter().map(|r| ("ref", r.clone())).collect();
        let v: Value = self
            .client
            .get(&path, &query, Class::Read)
            .await
            .map_err(|e| e.to_tool_result())?;
        if let Value::Array(items) = &v {
            return Ok(Json(ContentsOut {
                path: args.path.trim_matches('/').to_owned(),
                kind: "dir".into(),
                text: None,
                size: None,
                total_chars: None,
                next_offset: None,
                sha: None,
                entries: items
                    .iter()
                    .map(|e| Entry {
                        name: text(e, "name"),
                        path: text(e, "path"),
                        kind: s(e, "type").unwrap_or_default(),
                        size: n(e, "size"),
                    })
                    .collect(),
                url: None,
                notice: UNTRUSTED,
            }));
        }
        let kind = s(&v, "type").unwrap_or_default();
        if kind != "file" {
            return Err(tool_error(format!(
                "`{}` is a {kind}, not a file or directory.",
                args.path
            )));
        }
        let encoded = s(&v, "content").unwrap_or_default();
        let bytes = if encoded.is_empty() && n(&v, "size") > 0 {
            // Files over 1 MB come without `content`: ask for the raw bytes.
            let mut raw_path = path.clone();
            if let Some(r) = &args.reference {
                raw_path.push_str(&format!("?ref={}", crate::client::seg(r)));
            }
            self.client
                .get_text(&raw_path, "application/vnd.github.raw")
                .await
                .map_err(|e| e.to_tool_result())?
                .into_bytes()
        } else {
            let compact: String = encoded.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| tool_error("GitHub sent file content that is not valid base64."))?
        };
        let Ok(content) = String::from_utf8(bytes) else {
            return Err(tool_error(format!(
                "`{}` is a binary file ({} bytes); only text files can be read.",
                args.path,
                n(&v, "size")
            )));
        };
        let content = sanitize(&content);
        let total = content.chars().count() as u64;
        let start = args.offset.min(total);
        let take = u64::from(args.max_chars.clamp(1000, 100_000));
        let slice: String = content
            .chars()
            .skip(start as usize)
            .take(take as usize)
            .collect();
        let end = start + slice.chars().count() as u64;
        Ok(Json(ContentsOut {
            path: s(&v, "path").unwrap_or_default(),
            kind,
            text: Some(slice),
            size: Some(n(&v, "size")),
            total_chars: Some(total),
            next_offset: (end < total).then_some(end),
            sha: s(&v, "sha"),
            entries: Vec::new(),
            url: s(&v, "html_url"),
            notice: UNTRUSTED,
        }))
    }

    /// Use this to find code across repositories with GitHub code search
    /// (default branches only): words plus qualifiers such as `repo:`,
    /// `org:`, `path:`, `filename:`, `extension:`, `language:`. Returns
    /// paths to read with `get_file_contents`; pages with `next_cursor`.
    #[tool(name = "search_code", title = "Search code")]
    async fn search_code(
        &self,
        Parameters(args): Parameters<CodeSearchArgs>,
    ) -> Result<Json<CodeResults>, CallToolResult> {
        if args.query.trim().is_empty() {
            return Err(tool_error("`query`: give at least one search term."));
        }
        let page = crate::tools::page_cursor(args.cursor.as_deref())?;
        let p = self
            .client
            .get_page_as::<Value>(
                "/search/code",
                &[("q", args.query.clone())],
                args.per_page.clamp(1, 100),
                page,
                Class::Search,
                crate::client::TEXT_MATCH,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(CodeResults {
            results: items(&p.items, "items").map(code_hit).collect(),
            total_count: n(&p.items, "total_count"),
            incomplete_results: p
                .items
                .get("incomplete_results")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            next_cursor: p.next.map(|n| n.to_string()),
            notice: UNTRUSTED,
        }))
    }
}
