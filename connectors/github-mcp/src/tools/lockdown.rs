//! Lockdown (`--lockdown`): issue and pull request bodies, comments and
//! reviews written by accounts without push access to the repository are
//! withheld, each replaced by a label that says why and who wrote it.
//!
//! Who has push access is decided from the item's `author_association`
//! where that is unambiguous (`OWNER` has it; `NONE`, `FIRST_TIMER`,
//! `FIRST_TIME_CONTRIBUTOR` and `MANNEQUIN` do not) and otherwise asked of
//! `GET /repos/{owner}/{repo}/collaborators/{user}/permission` (`admin` or
//! `write`, which includes `maintain`). `MEMBER` and `COLLABORATOR` are asked
//! too: an organization member may only have read access through the base
//! permission, and an outside collaborator may have been invited with read
//! access. The answers are cached per repository and user for one tool call.
//! When the permission cannot be read the content is withheld (fail closed).
//!
//! Lockdown only withholds; everything shown is still sanitized and labelled
//! untrusted ([`super::UNTRUSTED`]).

use std::collections::HashMap;

use serde_json::Value;

use crate::GitHub;
use crate::client::{Class, seg};
use crate::tools::{CommentOut, repo_path};

/// What `author_association` alone says about push access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByAssociation {
    /// The repository's owner.
    Push,
    /// No association that could carry push access.
    NoPush,
    /// Ask the collaborator-permission endpoint.
    Ask,
}

/// Classifies a GitHub `author_association`.
pub fn by_association(association: Option<&str>) -> ByAssociation {
    match association {
        Some("OWNER") => ByAssociation::Push,
        Some("NONE" | "FIRST_TIMER" | "FIRST_TIME_CONTRIBUTOR" | "MANNEQUIN") => {
            ByAssociation::NoPush
        }
        _ => ByAssociation::Ask,
    }
}

/// Whether a legacy `permission` (`admin`, `write`, `read`, `none`) can push.
pub fn can_push(permission: &str) -> bool {
    matches!(permission, "admin" | "write" | "maintain")
}

/// The label that replaces withheld content.
pub fn withheld_label(author: &str, repo: &str, why: &str) -> String {
    format!(
        "[Withheld by lockdown mode: written by @{author} ({why}), who has no verified push access to {repo}. \
         The server was started with --lockdown; read it on GitHub if the user trusts it.]"
    )
}

/// Lockdown decisions for one repository during one tool call.
#[derive(Debug)]
pub(crate) struct Lockdown<'a> {
    gh: &'a GitHub,
    owner: String,
    repo: String,
    /// login (lower-case) → the permission GitHub answered, or why it could not be read.
    cache: HashMap<String, Result<String, String>>,
}

impl<'a> Lockdown<'a> {
    pub(crate) fn new(gh: &'a GitHub, owner: &str, repo: &str) -> Self {
        Lockdown {
            gh,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            cache: HashMap::new(),
        }
    }

    /// `Some(label)` when content by `author` must be withheld.
    pub(crate) async fn withhold(
        &mut self,
        author: Option<&str>,
        association: Option<&str>,
    ) -> Option<String> {
        if !self.gh.options.lockdown {
            return None;
        }
        let full = format!("{}/{}", self.owner, self.repo);
        let Some(author) = author.filter(|a| !a.is_empty()) else {
            return Some(withheld_label("unknown", &full, "author unknown"));
        };
        let assoc = association.unwrap_or("unknown");
        match by_association(association) {
            ByAssociation::Push => return None,
            ByAssociation::NoPush => {
                return Some(withheld_label(
                    author,
                    &full,
                    &format!("author_association {assoc}"),
                ));
            }
            ByAssociation::Ask => {}
        }
        let permission = self.permission(author).await;
        match permission {
            Ok(p) if can_push(&p) => None,
            Ok(p) => Some(withheld_label(
                author,
                &full,
                &format!("author_association {assoc}, repository permission {p}"),
            )),
            Err(why) => Some(withheld_label(
                author,
                &full,
                &format!("author_association {assoc}; push access could not be checked: {why}"),
            )),
        }
    }

    /// Replaces a comment's body when its author has no push access.
    pub(crate) async fn screen_comment(&mut self, c: &mut CommentOut) {
        if let Some(label) = self
            .withhold(c.author.as_deref(), c.author_association.as_deref())
            .await
        {
            c.body = label;
            c.truncated = false;
            c.withheld = true;
        }
    }

    async fn permission(&mut self, login: &str) -> Result<String, String> {
        let key = login.to_ascii_lowercase();
        if let Some(known) = self.cache.get(&key) {
            return known.clone();
        }
        let path = format!(
            "{}/collaborators/{}/permission",
            repo_path(&self.owner, &self.repo),
            seg(login)
        );
        let answer = match self.gh.client.get::<Value>(&path, &[], Class::Read).await {
            Ok(v) => Ok(v
                .get("permission")
                .and_then(Value::as_str)
                .unwrap_or("none")
                .to_owned()),
            Err(e) if e.status() == Some(404) => Ok("none".to_owned()),
            Err(e) => Err(match e.status() {
                Some(status) => format!("GitHub answered {status}"),
                None => "GitHub could not be reached".to_owned(),
            }),
        };
        self.cache.insert(key, answer.clone());
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associations_and_permissions() {
        assert_eq!(by_association(Some("OWNER")), ByAssociation::Push);
        for none in ["NONE", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN"] {
            assert_eq!(by_association(Some(none)), ByAssociation::NoPush, "{none}");
        }
        for ask in ["MEMBER", "COLLABORATOR", "CONTRIBUTOR"] {
            assert_eq!(by_association(Some(ask)), ByAssociation::Ask, "{ask}");
        }
        assert_eq!(by_association(None), ByAssociation::Ask);
        assert!(can_push("admin") && can_push("write"));
        assert!(!can_push("read") && !can_push("none") && !can_push("triage"));
        let label = withheld_label("dave", "acme/api", "author_association NONE");
        assert!(label.contains("@dave") && label.contains("acme/api") && label.contains("NONE"));
    }
}
