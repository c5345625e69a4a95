//! Search: issues and pull requests (a useful subset of qualifiers) and code (default
//! branches).

use serde_json::{Value, json};

use super::render;
use super::{ApiError, ApiResult, Ctx, paged};
use crate::model::{Issue, Repo, sha_of};

/// GitHub answers at most 1,000 search results.
const MAX_RESULTS: usize = 1_000;

/// One term of a query: `key:value` or free text (quotes group words).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Qualifier(String, String),
    Text(String),
}

fn tokenize(query: &str) -> Vec<Term> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in query.chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
        .into_iter()
        .map(|token| match token.split_once(':') {
            Some((key, value)) if !key.is_empty() && !value.is_empty() && !key.contains(' ') => {
                Term::Qualifier(key.to_ascii_lowercase(), value.to_owned())
            }
            _ => Term::Text(token.to_lowercase()),
        })
        .collect()
}

fn missing_query() -> ApiError {
    ApiError::validation("Search", "q", "missing")
}

/// Repositories the caller can read that pass `repo:`, `org:` and `user:` qualifiers.
fn visible_repos<'a>(ctx: &Ctx, world: &'a crate::model::World, terms: &[Term]) -> Vec<&'a Repo> {
    world
        .repos
        .iter()
        .filter(|r| {
            ctx.gh
                .role(world, &r.owner, &r.name, &ctx.caller.login)
                .is_some()
        })
        .filter(|r| {
            terms.iter().all(|t| match t {
                Term::Qualifier(k, v) if k == "repo" => r.full_name().eq_ignore_ascii_case(v),
                Term::Qualifier(k, v) if k == "org" || k == "user" => {
                    r.owner.eq_ignore_ascii_case(v)
                }
                _ => true,
            })
        })
        .collect()
}

/// Whether an issue passes one term, and how many text hits it scores.
fn issue_term(issue: &Issue, term: &Term, fields: &[String]) -> Option<usize> {
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let pass = |ok: bool| ok.then_some(0);
    match term {
        Term::Qualifier(k, v) => match (k.as_str(), v.to_ascii_lowercase().as_str()) {
            ("repo" | "org" | "user", _) => Some(0),
            ("is" | "type", "issue") => pass(!issue.is_pull()),
            ("is" | "type", "pr" | "pull-request") => pass(issue.is_pull()),
            ("is" | "state", "open") => pass(issue.state == "open"),
            ("is" | "state", "closed") => pass(issue.state == "closed"),
            ("is", "merged") => pass(issue.pull.as_ref().is_some_and(|p| p.merged)),
            ("is", "unmerged") => pass(issue.pull.as_ref().is_some_and(|p| !p.merged)),
            ("is", "draft") => pass(issue.pull.as_ref().is_some_and(|p| p.draft)),
            ("label", _) => pass(issue.labels.iter().any(|l| eq(l, v))),
            ("-label", _) => pass(!issue.labels.iter().any(|l| eq(l, v))),
            ("author", _) => pass(eq(&issue.user, v)),
            ("assignee", _) => pass(issue.assignees.iter().any(|a| eq(a, v))),
            ("no", "assignee") => pass(issue.assignees.is_empty()),
            ("no", "label") => pass(issue.labels.is_empty()),
            ("in", _) => Some(0),
            ("commenter", _) => pass(issue.comments.iter().any(|c| eq(&c.user, v))),
            ("involves", _) => pass(
                eq(&issue.user, v)
                    || issue.assignees.iter().any(|a| eq(a, v))
                    || issue.comments.iter().any(|c| eq(&c.user, v)),
            ),
            // Unknown qualifiers are ignored, as GitHub mostly does.
            _ => Some(0),
        },
        Term::Text(word) => {
            let mut hits = 0;
            for field in fields {
                let text = match field.as_str() {
                    "title" => issue.title.to_lowercase(),
                    "body" => issue.body.clone().unwrap_or_default().to_lowercase(),
                    _ => issue
                        .comments
                        .iter()
                        .map(|c| c.body.to_lowercase())
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                let weight = if field == "title" { 2 } else { 1 };
                hits += text.matches(word.as_str()).count() * weight;
            }
            (hits > 0).then_some(hits)
        }
    }
}

pub(super) async fn issues(ctx: Ctx) -> ApiResult {
    let query = ctx.params.get("q").unwrap_or("").to_owned();
    let terms = tokenize(&query);
    if terms.is_empty() {
        return Err(missing_query());
    }
    let fields: Vec<String> = {
        let named: Vec<String> = terms
            .iter()
            .filter_map(|t| match t {
                Term::Qualifier(k, v) if k == "in" => Some(
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .filter(|f| matches!(f.as_str(), "title" | "body" | "comments"))
            .collect();
        if named.is_empty() {
            vec!["title".to_owned(), "body".to_owned()]
        } else {
            named
        }
    };
    ctx.gh.with(|w| {
        let repos = visible_repos(&ctx, w, &terms);
        let mut hits: Vec<(usize, &Repo, &Issue)> = Vec::new();
        for repo in repos {
            for issue in &repo.issues {
                let score: Option<usize> =
                    terms.iter().map(|t| issue_term(issue, t, &fields)).sum();
                if let Some(score) = score {
                    hits.push((score, repo, issue));
                }
            }
        }
        let descending = ctx.params.get("order") != Some("asc");
        match ctx.params.get("sort") {
            Some("created") => hits.sort_by_key(|(_, _, i)| (i.created_at, i.id)),
            Some("updated") => hits.sort_by_key(|(_, _, i)| (i.updated_at, i.id)),
            Some("comments") => hits.sort_by_key(|(_, _, i)| (i.comments.len(), i.id)),
            _ => hits.sort_by_key(|(s, _, i)| (*s, i.updated_at, i.id)),
        }
        if descending {
            hits.reverse();
        }
        let total = hits.len();
        hits.truncate(MAX_RESULTS);
        let (page, link) = ctx.page(hits);
        let items: Vec<Value> = page
            .into_iter()
            .map(|(score, repo, issue)| {
                let mut item = render::issue(&ctx.urls, w, repo, issue);
                if let Some(map) = item.as_object_mut() {
                    map.insert("score".into(), json!(1.0 + score as f64));
                }
                item
            })
            .collect();
        Ok(paged(
            json!({"total_count": total, "incomplete_results": false, "items": items}),
            link,
        ))
    })
}

fn language_extension(language: &str) -> Option<&'static str> {
    match language.to_ascii_lowercase().as_str() {
        "rust" => Some("rs"),
        "typescript" => Some("ts"),
        "markdown" => Some("md"),
        "yaml" => Some("yml"),
        "toml" => Some("toml"),
        "hcl" | "terraform" => Some("tf"),
        "json" => Some("json"),
        _ => None,
    }
}

fn path_term(path: &str, text: &str, term: &Term) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match term {
        Term::Qualifier(k, v) => match k.as_str() {
            "filename" => {
                name.eq_ignore_ascii_case(v) || name.to_lowercase().contains(&v.to_lowercase())
            }
            "path" => {
                let v = v.trim_matches('/').to_lowercase();
                let path = path.to_lowercase();
                path.starts_with(&v) || path.contains(&format!("/{v}"))
            }
            "extension" | "ext" => name
                .rsplit_once('.')
                .is_some_and(|(_, e)| e.eq_ignore_ascii_case(v)),
            "language" => language_extension(v).is_some_and(|e| name.ends_with(&format!(".{e}"))),
            _ => true,
        },
        Term::Text(word) => text.to_lowercase().contains(word.as_str()),
    }
}

pub(super) async fn code(ctx: Ctx) -> ApiResult {
    let query = ctx.params.get("q").unwrap_or("").to_owned();
    let terms = tokenize(&query);
    let searchable = terms.iter().any(|t| {
        matches!(t, Term::Text(_))
            || matches!(t, Term::Qualifier(k, _) if matches!(k.as_str(), "filename" | "path" | "extension" | "ext"))
    });
    if !searchable {
        return Err(missing_query());
    }
    ctx.gh.with(|w| {
        let repos = visible_repos(&ctx, w, &terms);
        let mut hits: Vec<(usize, &Repo, &String, &String)> = Vec::new();
        for repo in repos {
            let Some(branch) = repo.branches.get(&repo.default_branch) else {
                continue;
            };
            for (path, text) in &branch.files {
                if terms.iter().all(|t| path_term(path, text, t)) {
                    let lower = text.to_lowercase();
                    let score = terms
                        .iter()
                        .map(|t| match t {
                            Term::Text(word) => lower.matches(word.as_str()).count(),
                            Term::Qualifier(..) => 0,
                        })
                        .sum::<usize>();
                    hits.push((score, repo, path, text));
                }
            }
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(b.2)));
        let total = hits.len();
        hits.truncate(MAX_RESULTS);
        let (page, link) = ctx.page(hits);
        let with_matches = ctx.accept.contains("text-match");
        let items: Vec<Value> = page
            .into_iter()
            .map(|(score, repo, path, text)| {
                let sha = sha_of(text);
                let mut item = json!({
                    "name": path.rsplit('/').next().unwrap_or(path),
                    "path": path,
                    "sha": sha,
                    "url": format!("{}/repos/{}/contents/{path}?ref={}", ctx.urls.api, repo.full_name(), repo.branches[&repo.default_branch].head()),
                    "git_url": format!("{}/repos/{}/git/blobs/{sha}", ctx.urls.api, repo.full_name()),
                    "html_url": format!("{}/{}/blob/{}/{path}", ctx.urls.html, repo.full_name(), repo.branches[&repo.default_branch].head()),
                    "repository": render::repo_minimal(&ctx.urls, w, repo),
                    "score": 1.0 + score as f64,
                    "file_size": text.len(),
                    "language": repo.language,
                });
                if with_matches {
                    let object_url = item["url"].clone();
                    item["text_matches"] = text_matches(text, &terms, &object_url);
                }
                item
            })
            .collect();
        Ok(paged(
            json!({"total_count": total, "incomplete_results": false, "items": items}),
            link,
        ))
    })
}

/// GitHub's `text_matches` (text-match media type): for each word, the first line of the file
/// that contains it as the fragment, with the word's character offsets in that fragment.
fn text_matches(text: &str, terms: &[Term], object_url: &Value) -> Value {
    let words = terms.iter().filter_map(|t| match t {
        Term::Text(word) => Some(word.as_str()),
        Term::Qualifier(..) => None,
    });
    let matches: Vec<Value> = words
        .filter_map(|word| {
            text.lines().find_map(|line| {
                let lower = line.to_lowercase();
                let at = lower.find(word)?;
                let start = lower[..at].chars().count();
                let end = start + word.chars().count();
                let found: String = line.chars().skip(start).take(end - start).collect();
                Some(json!({
                    "object_url": object_url,
                    "object_type": "FileContent",
                    "property": "content",
                    "fragment": line,
                    "matches": [{"text": found, "indices": [start, end]}],
                }))
            })
        })
        .collect();
    Value::Array(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_give_the_line_and_offsets() {
        let terms = tokenize("Login repo:acme/api");
        let m = text_matches(
            "fn main() {}\npub fn login(user: &str) {}\n",
            &terms,
            &json!("u"),
        );
        assert_eq!(m[0]["fragment"], "pub fn login(user: &str) {}");
        assert_eq!(m[0]["matches"][0]["indices"], json!([7, 12]));
        assert_eq!(m[0]["matches"][0]["text"], "login");
        assert_eq!(text_matches("nothing here", &terms, &json!("u")), json!([]));
    }

    #[test]
    fn queries_tokenize_with_quotes_and_qualifiers() {
        assert_eq!(
            tokenize(r#"repo:acme/api label:"good first issue" Login  is:open"#),
            vec![
                Term::Qualifier("repo".into(), "acme/api".into()),
                Term::Qualifier("label".into(), "good first issue".into()),
                Term::Text("login".into()),
                Term::Qualifier("is".into(), "open".into()),
            ]
        );
    }
}
