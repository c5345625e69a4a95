//! The JSON shapes of GitHub's schemas (`simple-user`, `issue`, `pull-request`,
//! `workflow-run`...), with URLs pointing back at the mock.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::model::{
    Comment, Commit, FileChange, Issue, Job, Repo, Review, Role, Run, User, Workflow, World,
};

/// Base URLs of the answers: the API (with `/api/v3` on GHES) and the web UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Urls {
    pub api: String,
    pub html: String,
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

/// `simple-user` for a known account.
pub(crate) fn user(urls: &Urls, user: &User) -> Value {
    let api = format!("{}/users/{}", urls.api, user.login);
    json!({
        "login": user.login,
        "id": user.id,
        "node_id": format!("U_mock{}", user.id),
        "avatar_url": format!("{}/avatars/u/{}", urls.html, user.id),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{}/{}", urls.html, user.login),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": user.kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// `simple-user` by login (an unknown login renders as a plain user with id 0).
pub(crate) fn user_by_login(urls: &Urls, world: &World, login: &str) -> Value {
    match world.user(login) {
        Some(u) => user(urls, u),
        None => user(
            urls,
            &User {
                id: 0,
                login: login.to_owned(),
                name: login.to_owned(),
                email: None,
                kind: "User",
                org_member: false,
                created_at: DateTime::<Utc>::default(),
            },
        ),
    }
}

/// `public-user` (or `private-user` for `/user`).
pub(crate) fn full_user(urls: &Urls, world: &World, account: &User, private: bool) -> Value {
    let mut value = user(urls, account);
    let public_repos = world
        .repos
        .iter()
        .filter(|r| !r.private && r.owner == account.login)
        .count();
    let extra = json!({
        "name": account.name,
        "company": if account.org_member { Value::from("@acme") } else { Value::Null },
        "blog": "",
        "location": null,
        "email": account.email,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 3,
        "following": 1,
        "created_at": time(account.created_at),
        "updated_at": time(account.created_at),
    });
    merge(&mut value, extra);
    if private {
        merge(
            &mut value,
            json!({
                "private_gists": 0,
                "total_private_repos": world.repos.iter().filter(|r| r.private).count(),
                "owned_private_repos": 0,
                "disk_usage": 1024,
                "collaborators": 0,
                "two_factor_authentication": true,
                "plan": {"name": "pro", "space": 976_562_499, "collaborators": 0, "private_repos": 9999},
            }),
        );
    }
    value
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// GitHub's `author_association` of `login` on `repo`.
pub(crate) fn association(world: &World, repo: &Repo, login: &str) -> &'static str {
    if login == repo.owner {
        return "OWNER";
    }
    match (world.user(login), repo.roles.get(login)) {
        (Some(u), _) if u.org_member => "MEMBER",
        (_, Some(role)) if role.can_push() => "COLLABORATOR",
        (_, Some(_)) => "CONTRIBUTOR",
        _ => "NONE",
    }
}

/// `permissions` of a repository for a role.
pub(crate) fn permissions(role: Role) -> Value {
    json!({
        "admin": role >= Role::Admin,
        "maintain": role >= Role::Maintain,
        "push": role >= Role::Write,
        "triage": role >= Role::Triage,
        "pull": true,
    })
}

/// `repository` (minimal, for nested use).
pub(crate) fn repo_minimal(urls: &Urls, world: &World, repo: &Repo) -> Value {
    let api = format!("{}/repos/{}", urls.api, repo.full_name());
    json!({
        "id": repo.id,
        "node_id": format!("R_mock{}", repo.id),
        "name": repo.name,
        "full_name": repo.full_name(),
        "private": repo.private,
        "owner": user_by_login(urls, world, &repo.owner),
        "html_url": format!("{}/{}", urls.html, repo.full_name()),
        "description": repo.description,
        "fork": false,
        "url": api,
        "contents_url": format!("{api}/contents/{{+path}}"),
        "issues_url": format!("{api}/issues{{/number}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "commits_url": format!("{api}/commits{{/sha}}"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
    })
}

/// `full-repository`.
pub(crate) fn repo_full(urls: &Urls, world: &World, repo: &Repo, role: Role) -> Value {
    let mut value = repo_minimal(urls, world, repo);
    let open_issues = repo.issues.iter().filter(|i| i.state == "open").count();
    let pushed = repo
        .branches
        .get(&repo.default_branch)
        .and_then(|b| b.commits.first())
        .map_or(repo.created_at, |c| c.date);
    let host = urls.html.trim_start_matches("http://");
    merge(
        &mut value,
        json!({
            "clone_url": format!("{}/{}.git", urls.html, repo.full_name()),
            "git_url": format!("git://{host}/{}.git", repo.full_name()),
            "ssh_url": format!("git@{host}:{}.git", repo.full_name()),
            "svn_url": format!("{}/{}", urls.html, repo.full_name()),
            "homepage": null,
            "language": repo.language,
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 12,
            "watchers_count": 12,
            "watchers": 12,
            "subscribers_count": 4,
            "network_count": 0,
            "size": repo.branches.get(&repo.default_branch).map_or(0, |b| b.files.values().map(String::len).sum::<usize>() / 1024),
            "default_branch": repo.default_branch,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "topics": [],
            "has_issues": true,
            "has_projects": false,
            "has_wiki": false,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "visibility": if repo.private { "private" } else { "public" },
            "mirror_url": null,
            "license": null,
            "pushed_at": time(pushed),
            "created_at": time(repo.created_at),
            "updated_at": time(pushed),
            "permissions": permissions(role),
            "allow_merge_commit": true,
            "allow_squash_merge": true,
            "allow_rebase_merge": true,
            "delete_branch_on_merge": false,
        }),
    );
    value
}

/// `label`.
pub(crate) fn label(urls: &Urls, repo: &Repo, name: &str) -> Value {
    let found = repo.labels.iter().find(|l| l.name == name);
    json!({
        "id": found.map_or(0, |l| l.id),
        "node_id": format!("LA_mock{}", found.map_or(0, |l| l.id)),
        "url": format!("{}/repos/{}/labels/{}", urls.api, repo.full_name(), name.replace(' ', "%20")),
        "name": name,
        "description": found.map(|l| l.description.clone()),
        "color": found.map_or("ededed", |l| l.color.as_str()),
        "default": matches!(name, "bug" | "enhancement" | "documentation" | "good first issue" | "question"),
    })
}

fn milestone(urls: &Urls, world: &World, repo: &Repo, number: Option<u64>) -> Value {
    let Some(m) = number.and_then(|n| repo.milestones.iter().find(|m| m.number == n)) else {
        return Value::Null;
    };
    let in_milestone = repo.issues.iter().filter(|i| i.milestone == Some(m.number));
    let open = in_milestone.clone().filter(|i| i.state == "open").count();
    json!({
        "url": format!("{}/repos/{}/milestones/{}", urls.api, repo.full_name(), m.number),
        "html_url": format!("{}/{}/milestone/{}", urls.html, repo.full_name(), m.number),
        "id": m.id,
        "node_id": format!("MI_mock{}", m.id),
        "number": m.number,
        "title": m.title,
        "description": null,
        "creator": user_by_login(urls, world, "alice"),
        "open_issues": open,
        "closed_issues": in_milestone.count() - open,
        "state": m.state,
        "created_at": time(repo.created_at),
        "updated_at": time(repo.created_at),
        "closed_at": null,
        "due_on": null,
    })
}

/// `issue` (pull requests included, with their `pull_request` key).
pub(crate) fn issue(urls: &Urls, world: &World, repo: &Repo, issue: &Issue) -> Value {
    let repo_api = format!("{}/repos/{}", urls.api, repo.full_name());
    let api = format!("{repo_api}/issues/{}", issue.number);
    let kind = if issue.is_pull() { "pull" } else { "issues" };
    let mut value = json!({
        "id": issue.id,
        "node_id": format!("I_mock{}", issue.id),
        "url": api,
        "repository_url": repo_api,
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "timeline_url": format!("{api}/timeline"),
        "html_url": format!("{}/{}/{kind}/{}", urls.html, repo.full_name(), issue.number),
        "number": issue.number,
        "state": issue.state,
        "state_reason": issue.state_reason,
        "title": issue.title,
        "body": issue.body,
        "user": user_by_login(urls, world, &issue.user),
        "labels": issue.labels.iter().map(|l| label(urls, repo, l)).collect::<Vec<_>>(),
        "assignee": issue.assignees.first().map(|a| user_by_login(urls, world, a)),
        "assignees": issue.assignees.iter().map(|a| user_by_login(urls, world, a)).collect::<Vec<_>>(),
        "milestone": milestone(urls, world, repo, issue.milestone),
        "locked": issue.locked,
        "active_lock_reason": null,
        "comments": issue.comments.len(),
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": opt_time(issue.closed_at),
        "closed_by": issue.closed_by.as_deref().map(|l| user_by_login(urls, world, l)),
        "author_association": association(world, repo, &issue.user),
        "reactions": {"url": format!("{api}/reactions"), "total_count": 0, "+1": 0, "-1": 0,
            "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
    });
    if let Some(pull) = &issue.pull {
        let pull_api = format!("{repo_api}/pulls/{}", issue.number);
        let html = format!("{}/{}/pull/{}", urls.html, repo.full_name(), issue.number);
        merge(
            &mut value,
            json!({
                "draft": pull.draft,
                "pull_request": {
                    "url": pull_api,
                    "html_url": html,
                    "diff_url": format!("{html}.diff"),
                    "patch_url": format!("{html}.patch"),
                    "merged_at": opt_time(pull.merged_at),
                },
            }),
        );
    }
    value
}

/// `issue-comment`.
pub(crate) fn comment(
    urls: &Urls,
    world: &World,
    repo: &Repo,
    issue: &Issue,
    comment: &Comment,
) -> Value {
    let repo_api = format!("{}/repos/{}", urls.api, repo.full_name());
    let kind = if issue.is_pull() { "pull" } else { "issues" };
    json!({
        "id": comment.id,
        "node_id": format!("IC_mock{}", comment.id),
        "url": format!("{repo_api}/issues/comments/{}", comment.id),
        "html_url": format!("{}/{}/{kind}/{}#issuecomment-{}", urls.html, repo.full_name(), issue.number, comment.id),
        "issue_url": format!("{repo_api}/issues/{}", issue.number),
        "body": comment.body,
        "user": user_by_login(urls, world, &comment.user),
        "created_at": time(comment.created_at),
        "updated_at": time(comment.updated_at),
        "author_association": association(world, repo, &comment.user),
    })
}

fn branch_ref(urls: &Urls, world: &World, repo: &Repo, name: &str, sha: &str) -> Value {
    json!({
        "label": format!("{}:{name}", repo.owner),
        "ref": name,
        "sha": sha,
        "user": user_by_login(urls, world, &repo.owner),
        "repo": repo_minimal(urls, world, repo),
    })
}

/// `pull-request` (`full`) or `pull-request-simple`.
pub(crate) fn pull(urls: &Urls, world: &World, repo: &Repo, issue: &Issue, full: bool) -> Value {
    let Some(pull) = &issue.pull else {
        return Value::Null;
    };
    let repo_api = format!("{}/repos/{}", urls.api, repo.full_name());
    let api = format!("{repo_api}/pulls/{}", issue.number);
    let html = format!("{}/{}/pull/{}", urls.html, repo.full_name(), issue.number);
    let issue_api = format!("{repo_api}/issues/{}", issue.number);
    let mut value = json!({
        "url": api,
        "id": issue.id,
        "node_id": format!("PR_mock{}", issue.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue_api,
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{repo_api}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue_api}/comments"),
        "statuses_url": format!("{repo_api}/statuses/{}", pull.head_sha),
        "number": issue.number,
        "state": issue.state,
        "locked": issue.locked,
        "title": issue.title,
        "user": user_by_login(urls, world, &issue.user),
        "body": issue.body,
        "labels": issue.labels.iter().map(|l| label(urls, repo, l)).collect::<Vec<_>>(),
        "milestone": milestone(urls, world, repo, issue.milestone),
        "active_lock_reason": null,
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": opt_time(issue.closed_at),
        "merged_at": opt_time(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": issue.assignees.first().map(|a| user_by_login(urls, world, a)),
        "assignees": issue.assignees.iter().map(|a| user_by_login(urls, world, a)).collect::<Vec<_>>(),
        "requested_reviewers": [],
        "requested_teams": [],
        "head": branch_ref(urls, world, repo, &pull.head_ref, &pull.head_sha),
        "base": branch_ref(urls, world, repo, &pull.base_ref, &pull.base_sha),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": issue_api},
            "comments": {"href": format!("{issue_api}/comments")},
            "review_comments": {"href": format!("{api}/comments")},
            "review_comment": {"href": format!("{repo_api}/pulls/comments{{/number}}")},
            "commits": {"href": format!("{api}/commits")},
            "statuses": {"href": format!("{repo_api}/statuses/{}", pull.head_sha)},
        },
        "author_association": association(world, repo, &issue.user),
        "auto_merge": null,
        "draft": pull.draft,
    });
    if full {
        let (mergeable, state) = if pull.merged || issue.state == "closed" {
            (Value::Null, "unknown")
        } else if pull.draft {
            (Value::from(pull.mergeable.unwrap_or(true)), "draft")
        } else {
            match pull.mergeable {
                Some(true) => (Value::Bool(true), "clean"),
                Some(false) => (Value::Bool(false), "dirty"),
                None => (Value::Null, "unknown"),
            }
        };
        merge(
            &mut value,
            json!({
                "merged": pull.merged,
                "mergeable": mergeable,
                "rebaseable": mergeable,
                "mergeable_state": state,
                "merged_by": pull.merged_by.as_deref().map(|l| user_by_login(urls, world, l)),
                "comments": issue.comments.len(),
                "review_comments": 0,
                "maintainer_can_modify": pull.maintainer_can_modify,
                "commits": pull.commits,
                "additions": pull.additions(),
                "deletions": pull.deletions(),
                "changed_files": pull.files.len(),
            }),
        );
    }
    value
}

/// `diff-entry`.
pub(crate) fn file(urls: &Urls, repo: &Repo, head_sha: &str, change: &FileChange) -> Value {
    json!({
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": format!("{}/{}/blob/{head_sha}/{}", urls.html, repo.full_name(), change.filename),
        "raw_url": format!("{}/{}/raw/{head_sha}/{}", urls.html, repo.full_name(), change.filename),
        "contents_url": format!("{}/repos/{}/contents/{}?ref={head_sha}", urls.api, repo.full_name(), change.filename),
        "patch": change.patch,
    })
}

/// `pull-request-review`.
pub(crate) fn review(
    urls: &Urls,
    world: &World,
    repo: &Repo,
    number: u64,
    review: &Review,
) -> Value {
    let html = format!(
        "{}/{}/pull/{number}#pullrequestreview-{}",
        urls.html,
        repo.full_name(),
        review.id
    );
    let pull_api = format!("{}/repos/{}/pulls/{number}", urls.api, repo.full_name());
    json!({
        "id": review.id,
        "node_id": format!("PRR_mock{}", review.id),
        "user": user_by_login(urls, world, &review.user),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": pull_api,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_api}},
        "submitted_at": opt_time(review.submitted_at),
        "commit_id": review.commit_id,
        "author_association": association(world, repo, &review.user),
    })
}

/// `commit`.
pub(crate) fn commit(urls: &Urls, world: &World, repo: &Repo, commit: &Commit) -> Value {
    let api = format!(
        "{}/repos/{}/commits/{}",
        urls.api,
        repo.full_name(),
        commit.sha
    );
    let person = world.user(&commit.author);
    let signature = json!({
        "name": person.map_or(commit.author.as_str(), |u| u.name.as_str()),
        "email": person.and_then(|u| u.email.clone()),
        "date": time(commit.date),
    });
    json!({
        "url": api,
        "sha": commit.sha,
        "node_id": format!("C_mock{}", &commit.sha[..12]),
        "html_url": format!("{}/{}/commit/{}", urls.html, repo.full_name(), commit.sha),
        "comments_url": format!("{api}/comments"),
        "commit": {
            "url": format!("{}/repos/{}/git/commits/{}", urls.api, repo.full_name(), commit.sha),
            "author": signature,
            "committer": signature,
            "message": commit.message,
            "comment_count": 0,
            "tree": {"sha": crate::model::sha_of(&format!("tree:{}", commit.sha)), "url": format!("{}/repos/{}/git/trees/{}", urls.api, repo.full_name(), commit.sha)},
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "author": user_by_login(urls, world, &commit.author),
        "committer": user_by_login(urls, world, &commit.author),
        "parents": commit.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{}/repos/{}/commits/{p}", urls.api, repo.full_name()),
            "html_url": format!("{}/{}/commit/{p}", urls.html, repo.full_name()),
        })).collect::<Vec<_>>(),
    })
}

/// `workflow`.
pub(crate) fn workflow(urls: &Urls, repo: &Repo, workflow: &Workflow) -> Value {
    json!({
        "id": workflow.id,
        "node_id": format!("W_mock{}", workflow.id),
        "name": workflow.name,
        "path": workflow.path,
        "state": "active",
        "created_at": time(workflow.created_at),
        "updated_at": time(workflow.created_at),
        "url": format!("{}/repos/{}/actions/workflows/{}", urls.api, repo.full_name(), workflow.id),
        "html_url": format!("{}/{}/blob/{}/{}", urls.html, repo.full_name(), repo.default_branch, workflow.path),
        "badge_url": format!("{}/{}/workflows/{}/badge.svg", urls.html, repo.full_name(), workflow.name),
    })
}

/// `workflow-run`.
pub(crate) fn run(urls: &Urls, world: &World, repo: &Repo, run: &Run) -> Value {
    let api = format!(
        "{}/repos/{}/actions/runs/{}",
        urls.api,
        repo.full_name(),
        run.id
    );
    let workflow = repo.workflows.iter().find(|w| w.id == run.workflow_id);
    let head = repo
        .branches
        .values()
        .flat_map(|b| &b.commits)
        .find(|c| c.sha == run.head_sha);
    let pull_requests: Vec<Value> = repo
        .issues
        .iter()
        .filter_map(|i| i.pull.as_ref().map(|p| (i, p)))
        .filter(|(_, p)| p.head_sha == run.head_sha && run.event == "pull_request")
        .map(|(i, p)| {
            json!({
                "id": i.id,
                "number": i.number,
                "url": format!("{}/repos/{}/pulls/{}", urls.api, repo.full_name(), i.number),
                "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": {"id": repo.id, "name": repo.name, "url": format!("{}/repos/{}", urls.api, repo.full_name())}},
                "base": {"ref": p.base_ref, "sha": p.base_sha, "repo": {"id": repo.id, "name": repo.name, "url": format!("{}/repos/{}", urls.api, repo.full_name())}},
            })
        })
        .collect();
    json!({
        "id": run.id,
        "name": workflow.map(|w| w.name.clone()),
        "node_id": format!("WFR_mock{}", run.id),
        "check_suite_id": run.id + 1_000_000,
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": workflow.map(|w| format!("{}@refs/heads/{}", w.path, run.head_branch)),
        "display_title": run.display_title,
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "url": api,
        "html_url": format!("{}/{}/actions/runs/{}", urls.html, repo.full_name(), run.id),
        "pull_requests": pull_requests,
        "created_at": time(run.created_at),
        "updated_at": time(run.updated_at),
        "run_started_at": time(run.created_at),
        "actor": user_by_login(urls, world, &run.actor),
        "triggering_actor": user_by_login(urls, world, &run.actor),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{}/repos/{}/check-suites/{}", urls.api, repo.full_name(), run.id + 1_000_000),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "previous_attempt_url": (run.run_attempt > 1).then(|| format!("{api}/attempts/{}", run.run_attempt - 1)),
        "workflow_url": format!("{}/repos/{}/actions/workflows/{}", urls.api, repo.full_name(), run.workflow_id),
        "head_commit": head.map(|c| json!({
            "id": c.sha,
            "tree_id": crate::model::sha_of(&format!("tree:{}", c.sha)),
            "message": c.message,
            "timestamp": time(c.date),
            "author": {"name": c.author, "email": format!("{}@acme.example", c.author)},
            "committer": {"name": c.author, "email": format!("{}@acme.example", c.author)},
        })),
        "repository": repo_minimal(urls, world, repo),
        "head_repository": repo_minimal(urls, world, repo),
    })
}

/// `job`.
pub(crate) fn job(urls: &Urls, repo: &Repo, run: &Run, workflow_name: &str, job: &Job) -> Value {
    let api = format!(
        "{}/repos/{}/actions/jobs/{}",
        urls.api,
        repo.full_name(),
        job.id
    );
    let started = job.started_at.unwrap_or(run.created_at);
    json!({
        "id": job.id,
        "run_id": run.id,
        "run_url": format!("{}/repos/{}/actions/runs/{}", urls.api, repo.full_name(), run.id),
        "run_attempt": run.run_attempt,
        "node_id": format!("CR_mock{}", job.id),
        "head_sha": run.head_sha,
        "url": api,
        "html_url": format!("{}/{}/actions/runs/{}/job/{}", urls.html, repo.full_name(), run.id, job.id),
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": time(run.created_at),
        "started_at": time(started),
        "completed_at": opt_time(job.completed_at),
        "name": job.name,
        "steps": job.steps.iter().map(|s| json!({
            "name": s.name,
            "status": s.status,
            "conclusion": s.conclusion,
            "number": s.number,
            "started_at": (s.status != "queued").then(|| time(started + chrono::Duration::seconds(10 * s.number as i64))),
            "completed_at": (s.status == "completed").then(|| time(started + chrono::Duration::seconds(10 * s.number as i64 + 8))),
        })).collect::<Vec<_>>(),
        "check_run_url": format!("{}/repos/{}/check-runs/{}", urls.api, repo.full_name(), job.id),
        "labels": ["ubuntu-latest"],
        "runner_id": (job.status != "queued").then_some(7),
        "runner_name": (job.status != "queued").then_some("GitHub Actions 7"),
        "runner_group_id": (job.status != "queued").then_some(1),
        "runner_group_name": (job.status != "queued").then_some("GitHub Actions"),
        "workflow_name": workflow_name,
        "head_branch": run.head_branch,
    })
}

/// `check-run`: every job of a run on the commit is a check run, like on GitHub.
pub(crate) fn check_run(urls: &Urls, repo: &Repo, run: &Run, job: &Job) -> Value {
    let api = format!(
        "{}/repos/{}/check-runs/{}",
        urls.api,
        repo.full_name(),
        job.id
    );
    let failed = job.steps.iter().find(|s| s.conclusion == Some("failure"));
    json!({
        "id": job.id,
        "head_sha": run.head_sha,
        "node_id": format!("CR_mock{}", job.id),
        "external_id": format!("{}", job.id),
        "url": api,
        "html_url": format!("{}/{}/actions/runs/{}/job/{}", urls.html, repo.full_name(), run.id, job.id),
        "details_url": format!("{}/{}/actions/runs/{}/job/{}", urls.html, repo.full_name(), run.id, job.id),
        "status": job.status,
        "conclusion": job.conclusion,
        "started_at": opt_time(job.started_at),
        "completed_at": opt_time(job.completed_at),
        "output": {
            "title": failed.map(|s| format!("Step '{}' failed", s.name)),
            "summary": failed.map(|_| "Process completed with exit code 1.".to_owned()),
            "text": null,
            "annotations_count": usize::from(failed.is_some()),
            "annotations_url": format!("{api}/annotations"),
        },
        "name": job.name,
        "check_suite": {"id": run.id + 1_000_000},
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions", "owner": null,
            "node_id": "MDM6QXBwMTUzNjg=", "description": "Automate your workflow", "external_url": "https://help.github.com/en/actions",
            "html_url": "https://github.com/apps/github-actions", "created_at": "2018-07-30T09:30:17Z", "updated_at": "2019-12-10T19:04:12Z",
            "permissions": {}, "events": []},
        "pull_requests": [],
    })
}
