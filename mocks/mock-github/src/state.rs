//! The shared state handle: the world, the tokens, and the rate-limit accounting.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Options;
use crate::model::{Role, World};
use crate::seed::{self, APP_BOT, Outcome};

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub login: String,
    pub kind: TokenKind,
    /// The credential, used to key rate-limit budgets.
    pub key: String,
}

/// What kind of credential a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A personal access token (answers carry `X-OAuth-Scopes`).
    Pat,
    /// A GitHub App installation token.
    Installation,
    /// A GitHub App JWT (only for minting installation tokens).
    AppJwt,
}

/// Which rate-limit budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    Core,
    Search,
}

impl Resource {
    pub fn name(self) -> &'static str {
        match self {
            Self::Core => "core",
            Self::Search => "search",
        }
    }
}

/// The `x-ratelimit-*` values of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    pub used: u32,
    /// Epoch seconds when the window resets.
    pub reset: i64,
    pub resource: Resource,
    /// The request was refused because the budget was already spent.
    pub exceeded: bool,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    used: u32,
    reset: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Access {
    /// Minted installation tokens and when they expire.
    installation_tokens: HashMap<String, DateTime<Utc>>,
    revoked: HashSet<String>,
    minted: u64,
    buckets: HashMap<(String, Resource), Bucket>,
    /// Content-creating requests of the last minute, per credential.
    creations: HashMap<String, VecDeque<Instant>>,
    /// Forced secondary-limit answers: how many, and the `retry-after` seconds.
    forced_secondary: Option<(u32, u64)>,
}

/// A compact view of one issue or pull request, for assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueSummary {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: usize,
    pub is_pull_request: bool,
}

/// A compact view of one pull request's branches, merge state and reviews, for assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullSummary {
    pub number: u64,
    pub title: String,
    pub state: String,
    pub head_ref: String,
    pub base_ref: String,
    pub head_sha: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    /// `(reviewer, state, body)` of each review, oldest first.
    pub reviews: Vec<(String, String, String)>,
}

/// A compact view of one workflow run, for assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub id: u64,
    pub workflow_id: u64,
    pub event: String,
    pub head_branch: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub run_attempt: u64,
    /// `(name, status, conclusion)` of each job.
    pub jobs: Vec<(String, String, Option<String>)>,
}

/// Handle on the mock's state; cheap to clone, all clones share it.
#[derive(Clone)]
pub struct MockGitHub {
    inner: Arc<Inner>,
}

struct Inner {
    options: Options,
    world: Mutex<World>,
    access: Mutex<Access>,
}

impl std::fmt::Debug for MockGitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGitHub")
            .field("options", &self.inner.options)
            .field("issues", &self.issue_count())
            .field("pull_requests", &self.pull_count())
            .finish()
    }
}

impl MockGitHub {
    /// A mock holding the seed.
    pub fn new(options: Options) -> Self {
        Self {
            inner: Arc::new(Inner {
                options,
                world: Mutex::new(seed::world()),
                access: Mutex::new(Access::default()),
            }),
        }
    }

    /// The options the mock runs with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Restores the seed and forgets minted tokens, revocations and rate-limit usage.
    pub fn reset(&self) {
        *self.inner.world.lock() = seed::world();
        *self.inner.access.lock() = Access::default();
    }

    /// Runs `f` with the world locked.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.inner.world.lock())
    }

    /// Issues (not pull requests) across all repositories.
    pub fn issue_count(&self) -> usize {
        self.with(|w| {
            w.repos
                .iter()
                .flat_map(|r| &r.issues)
                .filter(|i| !i.is_pull())
                .count()
        })
    }

    /// Issue and pull-request comments across all repositories.
    pub fn comment_count(&self) -> usize {
        self.with(|w| {
            w.repos
                .iter()
                .flat_map(|r| &r.issues)
                .map(|i| i.comments.len())
                .sum()
        })
    }

    /// Pull requests across all repositories.
    pub fn pull_count(&self) -> usize {
        self.with(|w| {
            w.repos
                .iter()
                .flat_map(|r| &r.issues)
                .filter(|i| i.is_pull())
                .count()
        })
    }

    /// Workflow runs across all repositories.
    pub fn run_count(&self) -> usize {
        self.with(|w| w.repos.iter().map(|r| r.runs.len()).sum())
    }

    /// One issue or pull request by number.
    pub fn issue(&self, owner: &str, repo: &str, number: u64) -> Option<IssueSummary> {
        self.with(|w| {
            let issue = w.repo(owner, repo)?.issue(number)?;
            Some(IssueSummary {
                number: issue.number,
                title: issue.title.clone(),
                body: issue.body.clone(),
                user: issue.user.clone(),
                state: issue.state.clone(),
                labels: issue.labels.clone(),
                assignees: issue.assignees.clone(),
                comments: issue.comments.len(),
                is_pull_request: issue.is_pull(),
            })
        })
    }

    /// One pull request by number.
    pub fn pull(&self, owner: &str, repo: &str, number: u64) -> Option<PullSummary> {
        self.with(|w| {
            let issue = w.repo(owner, repo)?.issue(number)?;
            let pull = issue.pull.as_ref()?;
            Some(PullSummary {
                number: issue.number,
                title: issue.title.clone(),
                state: issue.state.clone(),
                head_ref: pull.head_ref.clone(),
                base_ref: pull.base_ref.clone(),
                head_sha: pull.head_sha.clone(),
                merged: pull.merged,
                merge_commit_sha: pull.merge_commit_sha.clone(),
                reviews: pull
                    .reviews
                    .iter()
                    .map(|r| (r.user.clone(), r.state.to_owned(), r.body.clone()))
                    .collect(),
            })
        })
    }

    /// One workflow run by id.
    pub fn run(&self, owner: &str, repo: &str, run_id: u64) -> Option<RunSummary> {
        self.with(|w| {
            let run = w.repo(owner, repo)?.run(run_id)?;
            Some(RunSummary {
                id: run.id,
                workflow_id: run.workflow_id,
                event: run.event.clone(),
                head_branch: run.head_branch.clone(),
                status: run.status.to_owned(),
                conclusion: run.conclusion.map(str::to_owned),
                run_attempt: run.run_attempt,
                jobs: run
                    .jobs
                    .iter()
                    .map(|j| {
                        (
                            j.name.clone(),
                            j.status.to_owned(),
                            j.conclusion.map(str::to_owned),
                        )
                    })
                    .collect(),
            })
        })
    }

    /// Pushes a commit to `branch` that sets `path` to `text`, as `author`; open pull
    /// requests from that branch follow their new head. Returns the new head SHA, or
    /// `None` when there is no such branch.
    pub fn push_commit(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        path: &str,
        text: &str,
        author: &str,
    ) -> Option<String> {
        self.with(|w| {
            let repo = w.repo_mut(owner, repo)?;
            let now = Utc::now();
            let head = {
                let b = repo.branches.get_mut(branch)?;
                let parent = b.head();
                let sha = crate::model::sha_of(&format!(
                    "{parent}:{path}:{text}:{}",
                    now.timestamp_nanos_opt().unwrap_or_default()
                ));
                b.files.insert(path.to_owned(), text.to_owned());
                b.commits.insert(
                    0,
                    crate::model::Commit {
                        sha: sha.clone(),
                        message: format!("Update {path}"),
                        author: author.to_owned(),
                        date: now,
                        parents: vec![parent],
                        files: vec![path.to_owned()],
                    },
                );
                sha
            };
            let branches = repo.branches.clone();
            for issue in &mut repo.issues {
                if issue.state != "open" {
                    continue;
                }
                if let Some(pull) = issue.pull.as_mut()
                    && pull.head_ref == branch
                    && let Some(base) = branches.get(&pull.base_ref)
                {
                    pull.head_sha = head.clone();
                    pull.commits += 1;
                    pull.files = crate::diff::changes(&base.files, &branches[branch].files);
                    issue.updated_at = now;
                }
            }
            Some(head)
        })
    }

    /// Makes a token answer 401 from now on (a PAT or a minted installation token).
    pub fn revoke_token(&self, token: &str) {
        self.inner.access.lock().revoked.insert(token.to_owned());
    }

    /// The next `times` content-creating requests get a secondary-rate-limit 403 with
    /// `retry-after: retry_after_secs`, whatever the configured rate.
    pub fn force_secondary_limit(&self, times: u32, retry_after_secs: u64) {
        self.inner.access.lock().forced_secondary =
            (times > 0).then_some((times, retry_after_secs));
    }

    /// Finishes a queued or running workflow run with `conclusion` (`success`, `failure`,
    /// `cancelled`); its jobs end the same way. False when there is no such run.
    pub fn complete_run(&self, owner: &str, repo: &str, run_id: u64, conclusion: &str) -> bool {
        let outcome = if conclusion == "success" {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let conclusion: &'static str = match conclusion {
            "success" => "success",
            "cancelled" => "cancelled",
            _ => "failure",
        };
        self.with(|w| {
            let Some(found) = w.repo(owner, repo).and_then(|r| {
                let run = r.run(run_id)?;
                let workflow = r.workflows.iter().find(|wf| wf.id == run.workflow_id)?;
                Some((workflow.name.clone(), run.created_at))
            }) else {
                return false;
            };
            let jobs = seed::jobs_for(w, &found.0, outcome, found.1);
            let Some(run) = w.repo_mut(owner, repo).and_then(|r| r.run_mut(run_id)) else {
                return false;
            };
            run.status = "completed";
            run.conclusion = Some(conclusion);
            run.updated_at = Utc::now();
            run.jobs = jobs;
            true
        })
    }

    /// A summary of the state, as `GET /__admin/state` answers it.
    pub fn summary(&self) -> Value {
        let repos: Vec<Value> = self.with(|w| {
            w.repos
                .iter()
                .map(|r| {
                    json!({
                        "full_name": r.full_name(),
                        "private": r.private,
                        "branches": r.branches.keys().collect::<Vec<_>>(),
                        "commits": r.branches.get(&r.default_branch).map_or(0, |b| b.commits.len()),
                        "issues": r.issues.iter().filter(|i| !i.is_pull()).count(),
                        "open_issues": r.issues.iter().filter(|i| !i.is_pull() && i.state == "open").count(),
                        "pull_requests": r.issues.iter().filter(|i| i.is_pull()).count(),
                        "workflows": r.workflows.len(),
                        "runs": r.runs.len(),
                    })
                })
                .collect()
        });
        let access = self.inner.access.lock();
        json!({
            "issues": self.issue_count(),
            "comments": self.comment_count(),
            "pull_requests": self.pull_count(),
            "runs": self.run_count(),
            "repos": repos,
            "installation_tokens": access.installation_tokens.len(),
            "revoked_tokens": access.revoked.len(),
        })
    }

    // ---------------------------------------------------------------------------------
    // Credentials
    // ---------------------------------------------------------------------------------

    /// Who a bearer credential stands for, if anyone.
    pub(crate) fn authenticate(&self, token: &str) -> Option<Caller> {
        let access = self.inner.access.lock();
        if access.revoked.contains(token) {
            return None;
        }
        let options = &self.inner.options;
        let login = if token == options.token {
            Some((options.login.clone(), TokenKind::Pat))
        } else if let Some(login) = options.user_tokens.get(token) {
            Some((login.clone(), TokenKind::Pat))
        } else {
            access
                .installation_tokens
                .get(token)
                .filter(|expires| **expires > Utc::now())
                .map(|_| (APP_BOT.to_owned(), TokenKind::Installation))
        };
        login.map(|(login, kind)| Caller {
            login,
            kind,
            key: token.to_owned(),
        })
    }

    /// Mints an installation token valid for [`Options::installation_token_ttl`] (an hour).
    pub(crate) fn mint_installation_token(&self, installation: u64) -> (String, DateTime<Utc>) {
        let mut access = self.inner.access.lock();
        access.minted += 1;
        let token = format!(
            "ghs_mock{installation}x{:04}{}",
            access.minted,
            &crate::model::sha_of(&format!("{installation}:{}", access.minted))[..20]
        );
        let ttl = Duration::from_std(self.inner.options.installation_token_ttl)
            .unwrap_or(Duration::hours(1));
        let expires = Utc::now() + ttl;
        access.installation_tokens.insert(token.clone(), expires);
        (token, expires)
    }

    /// The role `login` has on a repository, if any; the App bot writes everywhere.
    pub(crate) fn role(&self, world: &World, owner: &str, repo: &str, login: &str) -> Option<Role> {
        if login == APP_BOT {
            return Some(Role::Write);
        }
        let repo = world.repo(owner, repo)?;
        repo.roles.get(login).copied().or_else(|| {
            // Anyone can read a public repository.
            (!repo.private).then_some(Role::Read)
        })
    }

    // ---------------------------------------------------------------------------------
    // Rate limits
    // ---------------------------------------------------------------------------------

    /// Draws one request from `key`'s budget for `resource`; `exceeded` when it was empty.
    pub(crate) fn charge(&self, key: &str, resource: Resource) -> RateStatus {
        let options = &self.inner.options;
        let (limit, window) = match resource {
            Resource::Core => (options.rate_limit_per_hour, Duration::hours(1)),
            Resource::Search => (options.search_per_minute, Duration::minutes(1)),
        };
        let now = Utc::now();
        let mut access = self.inner.access.lock();
        let bucket = access
            .buckets
            .entry((key.to_owned(), resource))
            .or_insert(Bucket {
                used: 0,
                reset: now + window,
            });
        if bucket.reset <= now {
            *bucket = Bucket {
                used: 0,
                reset: now + window,
            };
        }
        let exceeded = bucket.used >= limit;
        if !exceeded {
            bucket.used += 1;
        }
        RateStatus {
            limit,
            remaining: limit.saturating_sub(bucket.used),
            used: bucket.used,
            reset: bucket.reset.timestamp(),
            resource,
            exceeded,
        }
    }

    /// The current budget without drawing from it (for `GET /rate_limit`).
    pub(crate) fn peek(&self, key: &str, resource: Resource) -> RateStatus {
        let options = &self.inner.options;
        let (limit, window) = match resource {
            Resource::Core => (options.rate_limit_per_hour, Duration::hours(1)),
            Resource::Search => (options.search_per_minute, Duration::minutes(1)),
        };
        let now = Utc::now();
        let access = self.inner.access.lock();
        let bucket = access
            .buckets
            .get(&(key.to_owned(), resource))
            .filter(|b| b.reset > now)
            .copied()
            .unwrap_or(Bucket {
                used: 0,
                reset: now + window,
            });
        RateStatus {
            limit,
            remaining: limit.saturating_sub(bucket.used),
            used: bucket.used,
            reset: bucket.reset.timestamp(),
            resource,
            exceeded: false,
        }
    }

    /// Records a content-creating request; `Err(retry_after_secs)` when it goes over the
    /// secondary limit (and is then not recorded).
    pub(crate) fn secondary_check(&self, key: &str) -> Result<(), u64> {
        let mut access = self.inner.access.lock();
        if let Some((times, retry_after)) = access.forced_secondary {
            access.forced_secondary = (times > 1).then_some((times - 1, retry_after));
            return Err(retry_after);
        }
        let per_minute = self.inner.options.secondary_per_minute;
        if per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let minute = StdDuration::from_secs(60);
        let window = access.creations.entry(key.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            window.pop_front();
        }
        if window.len() >= per_minute as usize {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = minute.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        window.push_back(now);
        Ok(())
    }
}
