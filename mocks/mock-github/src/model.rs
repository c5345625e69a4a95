//! The in-memory world: users, repositories with branches and commits, issues and pull
//! requests, workflows and their runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A repository role, from weakest to strongest (GitHub's `role_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read-only (`pull`).
    Read,
    /// Manage issues and PRs without write access (`triage`).
    Triage,
    /// Push access (`push`).
    Write,
    /// Push plus repository settings (`maintain`).
    Maintain,
    /// Everything (`admin`).
    Admin,
}

impl Role {
    /// GitHub's `role_name`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Triage => "triage",
            Self::Write => "write",
            Self::Maintain => "maintain",
            Self::Admin => "admin",
        }
    }

    /// The legacy `permission` value of the collaborator-permission endpoint.
    pub fn legacy(self) -> &'static str {
        match self {
            Self::Read | Self::Triage => "read",
            Self::Write | Self::Maintain => "write",
            Self::Admin => "admin",
        }
    }

    /// Whether the role can push (and so merge, label, assign, run workflows).
    pub fn can_push(self) -> bool {
        self >= Self::Write
    }
}

/// A user or organization account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub name: String,
    pub email: Option<String>,
    /// `User`, `Organization` or `Bot`.
    pub kind: &'static str,
    /// Whether the user belongs to the `acme` organization.
    pub org_member: bool,
    pub created_at: DateTime<Utc>,
}

/// A label defined in a repository.
#[derive(Debug, Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: String,
}

/// A milestone of a repository.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub state: &'static str,
}

/// A commit on a branch.
#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: String,
    pub date: DateTime<Utc>,
    pub parents: Vec<String>,
    /// Paths the commit touched.
    pub files: Vec<String>,
}

/// A branch: its file tree (path to text) and its commits, newest first.
#[derive(Debug, Clone, Default)]
pub struct Branch {
    pub files: BTreeMap<String, String>,
    pub commits: Vec<Commit>,
}

impl Branch {
    /// The head commit's sha (or the all-zero sha for an empty branch).
    pub fn head(&self) -> String {
        self.commits
            .first()
            .map_or_else(|| "0".repeat(40), |c| c.sha.clone())
    }
}

/// One comment on an issue or pull request.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub user: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One changed file of a pull request.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub filename: String,
    /// `added`, `modified` or `removed`.
    pub status: &'static str,
    pub additions: usize,
    pub deletions: usize,
    /// The unified-diff hunks (without the `diff --git` header).
    pub patch: String,
    /// Blob sha after the change (before it, for removed files).
    pub sha: String,
}

/// A pull request review.
#[derive(Debug, Clone)]
pub struct Review {
    pub id: u64,
    pub user: String,
    pub body: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `PENDING`.
    pub state: &'static str,
    pub commit_id: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// What makes an issue a pull request.
#[derive(Debug, Clone)]
pub struct Pull {
    pub head_ref: String,
    pub base_ref: String,
    pub head_sha: String,
    pub base_sha: String,
    pub draft: bool,
    pub merged: bool,
    pub merged_at: Option<DateTime<Utc>>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
    /// `Some(false)` for a PR with conflicts.
    pub mergeable: Option<bool>,
    pub maintainer_can_modify: bool,
    pub commits: usize,
    pub files: Vec<FileChange>,
    pub reviews: Vec<Review>,
}

impl Pull {
    pub fn additions(&self) -> usize {
        self.files.iter().map(|f| f.additions).sum()
    }

    pub fn deletions(&self) -> usize {
        self.files.iter().map(|f| f.deletions).sum()
    }
}

/// An issue; with `pull` set, a pull request (they share numbers, like on GitHub).
#[derive(Debug, Clone)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    /// `open` or `closed`.
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<u64>,
    pub locked: bool,
    pub comments: Vec<Comment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub pull: Option<Pull>,
}

impl Issue {
    pub fn is_pull(&self) -> bool {
        self.pull.is_some()
    }
}

/// A workflow file under `.github/workflows/`.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub id: u64,
    pub name: String,
    pub path: String,
    /// Events the workflow runs on (`push`, `pull_request`, `workflow_dispatch`...).
    pub triggers: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
}

impl Workflow {
    /// The file name, e.g. `ci.yml`, which the API accepts in place of the id.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// One step of a job.
#[derive(Debug, Clone)]
pub struct Step {
    pub number: u64,
    pub name: String,
    pub status: &'static str,
    pub conclusion: Option<&'static str>,
}

/// One job of a workflow run.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub status: &'static str,
    pub conclusion: Option<&'static str>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub steps: Vec<Step>,
    /// The plain-text log, empty until the job ran.
    pub log: String,
}

/// A workflow run.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: u64,
    pub workflow_id: u64,
    pub run_number: u64,
    pub run_attempt: u64,
    pub display_title: String,
    pub head_branch: String,
    pub head_sha: String,
    pub event: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: &'static str,
    pub conclusion: Option<&'static str>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub jobs: Vec<Job>,
}

/// A repository and everything in it.
#[derive(Debug, Clone)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub description: String,
    pub language: String,
    pub private: bool,
    pub default_branch: String,
    pub created_at: DateTime<Utc>,
    /// Collaborator roles by login; anyone else has none (and cannot see a private repo).
    pub roles: BTreeMap<String, Role>,
    pub branches: BTreeMap<String, Branch>,
    pub labels: Vec<Label>,
    pub milestones: Vec<Milestone>,
    pub issues: Vec<Issue>,
    pub workflows: Vec<Workflow>,
    pub runs: Vec<Run>,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub fn issue(&self, number: u64) -> Option<&Issue> {
        self.issues.iter().find(|i| i.number == number)
    }

    pub fn issue_mut(&mut self, number: u64) -> Option<&mut Issue> {
        self.issues.iter_mut().find(|i| i.number == number)
    }

    pub fn next_number(&self) -> u64 {
        self.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1
    }

    /// Resolves a branch name, a full sha or an abbreviated sha (≥ 7 characters) to the
    /// branch holding it and the commit sha.
    pub fn resolve_ref(&self, reference: &str) -> Option<(String, String)> {
        let reference = reference.strip_prefix("refs/heads/").unwrap_or(reference);
        if let Some(branch) = self.branches.get(reference) {
            return Some((reference.to_owned(), branch.head()));
        }
        if reference.len() < 7 || !reference.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.branches.iter().find_map(|(name, branch)| {
            branch
                .commits
                .iter()
                .find(|c| c.sha.starts_with(reference))
                .map(|c| (name.clone(), c.sha.clone()))
        })
    }

    pub fn workflow(&self, id_or_file: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|w| w.id.to_string() == id_or_file || w.file_name() == id_or_file)
    }

    pub fn run(&self, id: u64) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    pub fn run_mut(&mut self, id: u64) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.id == id)
    }
}

/// A deterministic 40-hex-digit "sha" of some text.
pub fn sha_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..20])
}

/// Everything the mock knows, behind one lock.
#[derive(Debug, Clone)]
pub struct World {
    pub users: Vec<User>,
    pub repos: Vec<Repo>,
    /// Next id for anything created (issues, comments, reviews, runs, jobs...).
    pub next_id: u64,
}

impl World {
    /// A fresh id.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user(&self, login: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos
            .iter_mut()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }
}
