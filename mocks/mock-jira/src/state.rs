//! The shared state handle: the in-memory store behind a lock, look-ups, JQL search, and the
//! rate limiter.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::Options;
use crate::jql::{self, Catalog, Context, Field, JqlError, Query, Record, SortKey};
use crate::model::{self, Issue, Project, User};
use crate::seed::{Seed, seed};

/// Width of the rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// The limit advertised in `X-RateLimit-Limit` when no rate limit is configured.
pub(crate) const NOMINAL_LIMIT: u32 = 1000;

/// The authenticated user is always the first seed user.
pub(crate) const ME: usize = 0;

/// Handle on the mock's state, shared by its routes, its admin API and tests.
///
/// Cheap to clone: all clones share the same state.
#[derive(Debug, Clone)]
pub struct MockJira {
    options: Arc<Options>,
    store: Arc<Mutex<Store>>,
    limiter: Arc<Mutex<Limiter>>,
}

/// Everything Jira knows.
#[derive(Debug)]
pub(crate) struct Store {
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    /// Issues in creation order.
    pub issues: Vec<Issue>,
    pub next_issue_id: u64,
    pub next_comment_id: u64,
}

impl From<Seed> for Store {
    fn from(seed: Seed) -> Self {
        Self {
            users: seed.users,
            projects: seed.projects,
            issues: seed.issues,
            next_issue_id: seed.next_issue_id,
            next_comment_id: seed.next_comment_id,
        }
    }
}

#[derive(Debug, Default)]
struct Limiter {
    window: VecDeque<Instant>,
    /// `Retry-After` values of queued forced 429s.
    forced: VecDeque<String>,
}

/// What the rate limiter decided for one request.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    pub limit: u32,
    pub remaining: u32,
    pub reset: DateTime<Utc>,
    /// `Some(retry_after)` when the request must be refused with 429.
    pub refused: Option<String>,
}

impl MockJira {
    /// Fresh seed state with these options.
    pub fn new(options: Options) -> Self {
        let store = Store::from(seed(&options.email));
        Self {
            options: Arc::new(options),
            store: Arc::new(Mutex::new(store)),
            limiter: Arc::default(),
        }
    }

    /// The options the mock runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Restores the seed data and clears the rate limiter.
    pub fn reset(&self) {
        *self.store.lock() = Store::from(seed(&self.options.email));
        *self.limiter.lock() = Limiter::default();
    }

    /// How many issues exist.
    pub fn issue_count(&self) -> usize {
        self.store.lock().issues.len()
    }

    /// One issue (by key or id) in the compact admin shape, see [`MockJira::issues`].
    pub fn issue(&self, key_or_id: &str) -> Option<Value> {
        let store = self.store.lock();
        store
            .find_issue(key_or_id)
            .map(|index| store.compact(&store.issues[index]))
    }

    /// Every issue in the compact admin shape: key, id, project, type, summary, status,
    /// resolution, assignee/reporter (account ids), priority, labels, components, severity,
    /// created/updated, comment count, properties and the ADF description.
    pub fn issues(&self) -> Vec<Value> {
        let store = self.store.lock();
        store.issues.iter().map(|i| store.compact(i)).collect()
    }

    /// Makes the next `times` API requests answer `429` with this `Retry-After` (e.g. `"0"`)
    /// and Jira's rate-limit headers, whatever the configured rate.
    pub fn throttle_next(&self, times: u32, retry_after: &str) {
        let mut limiter = self.limiter.lock();
        for _ in 0..times {
            limiter.forced.push_back(retry_after.to_owned());
        }
    }

    /// Runs `f` with the store locked.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.lock())
    }

    /// Counts one API request against the rate limit.
    pub(crate) fn admit(&self, now: Instant) -> Admission {
        let mut limiter = self.limiter.lock();
        while limiter
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            limiter.window.pop_front();
        }
        let configured = self.options.rate_per_second;
        let limit = if configured == 0 {
            NOMINAL_LIMIT
        } else {
            configured
        };
        let reset_in = limiter.window.front().map_or(RATE_WINDOW, |t| {
            RATE_WINDOW.saturating_sub(now.duration_since(*t))
        });
        let reset = Utc::now()
            + chrono::Duration::from_std(reset_in).unwrap_or_else(|_| chrono::Duration::seconds(1));
        let used = u32::try_from(limiter.window.len()).unwrap_or(u32::MAX);
        if let Some(retry_after) = limiter.forced.pop_front() {
            return Admission {
                limit,
                remaining: 0,
                reset,
                refused: Some(retry_after),
            };
        }
        if configured > 0 && used >= configured {
            let seconds = reset_in.as_secs_f64().ceil().max(1.0);
            return Admission {
                limit,
                remaining: 0,
                reset,
                refused: Some(format!("{seconds:.0}")),
            };
        }
        limiter.window.push_back(now);
        Admission {
            limit,
            remaining: limit.saturating_sub(used + 1),
            reset,
            refused: None,
        }
    }
}

impl Store {
    /// Index of an issue by key (case-insensitive) or numeric id.
    pub fn find_issue(&self, key_or_id: &str) -> Option<usize> {
        self.issues.iter().position(|issue| {
            issue.key.eq_ignore_ascii_case(key_or_id) || issue.id.to_string() == key_or_id
        })
    }

    /// Index of a project by key (case-insensitive) or id.
    pub fn find_project(&self, key_or_id: &str) -> Option<usize> {
        self.projects
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(key_or_id) || p.id == key_or_id)
    }

    /// Index of a user by account id, user name, key or e-mail.
    pub fn find_user(&self, identifier: &str) -> Option<usize> {
        self.users.iter().position(|u| {
            u.account_id == identifier
                || u.name.eq_ignore_ascii_case(identifier)
                || u.key == identifier
                || u.email.eq_ignore_ascii_case(identifier)
        })
    }

    /// Runs a parsed query: matching issue indexes, sorted by the ORDER BY clause, or
    /// newest first.
    pub fn search(&self, query: &Query) -> Vec<usize> {
        let context = Context {
            current_user: self.users[ME].identifiers(),
            now: Utc::now(),
        };
        let mut hits: Vec<usize> = (0..self.issues.len())
            .filter(|&i| query.matches(&self.view(i), &context))
            .collect();
        hits.sort_by(|&a, &b| {
            let (va, vb) = (self.view(a), self.view(b));
            let ordering = if query.has_order() {
                query.compare(&va, &vb)
            } else {
                vb.issue.created.cmp(&va.issue.created)
            };
            ordering.then_with(|| vb.issue.id.cmp(&va.issue.id))
        });
        hits
    }

    /// Parses JQL against this instance.
    pub fn parse_jql(&self, jql: &str) -> Result<Query, JqlError> {
        jql::parse(jql, self)
    }

    fn view(&self, index: usize) -> IssueView<'_> {
        IssueView {
            store: self,
            issue: &self.issues[index],
        }
    }

    /// The compact admin shape of an issue.
    pub fn compact(&self, issue: &Issue) -> Value {
        let user = |u: Option<usize>| u.map(|u| self.users[u].account_id.clone());
        let project = &self.projects[issue.project];
        json!({
            "id": issue.id.to_string(),
            "key": issue.key,
            "project": project.key,
            "issuetype": model::issue_type(issue.issue_type).map(|t| t.name),
            "summary": issue.summary,
            "status": model::status(issue.status).map(|s| s.name),
            "resolution": issue.resolution.and_then(model::resolution).map(|r| r.name),
            "assignee": user(issue.assignee),
            "reporter": user(issue.reporter),
            "priority": model::priority(issue.priority).map(|p| p.name),
            "labels": issue.labels,
            "components": issue.components.iter().filter_map(|id| {
                project.components.iter().find(|c| &c.id == id).map(|c| c.name.clone())
            }).collect::<Vec<_>>(),
            "severity": issue.severity.and_then(model::severity).map(|(_, v)| v),
            "duedate": issue.due_date,
            "created": crate::render::timestamp(issue.created),
            "updated": crate::render::timestamp(issue.updated),
            "comments": issue.comments.len(),
            "properties": issue.properties,
            "description": issue.description,
        })
    }
}

impl Catalog for Store {
    fn custom_field_id(&self, name_or_id: &str) -> Option<String> {
        (name_or_id.eq_ignore_ascii_case(model::SEVERITY_FIELD)
            || name_or_id.eq_ignore_ascii_case(model::SEVERITY_NAME))
        .then(|| model::SEVERITY_FIELD.to_owned())
    }

    fn value_exists(&self, field: &Field, value: &str) -> bool {
        match field {
            Field::Project => self.find_project(value).is_some(),
            Field::Status => model::status(value).is_some(),
            Field::StatusCategory => model::STATUSES.iter().any(|s| {
                s.category.name.eq_ignore_ascii_case(value)
                    || s.category.key.eq_ignore_ascii_case(value)
                    || s.category.id.to_string() == value
            }),
            Field::IssueType => model::issue_type(value).is_some(),
            Field::Priority => model::priority(value).is_some(),
            Field::Resolution => {
                model::resolution(value).is_some() || value.eq_ignore_ascii_case("Unresolved")
            }
            Field::Assignee | Field::Reporter => self.users.iter().any(|u| {
                u.identifiers()
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(value))
            }),
            Field::Custom(_) => model::severity(value).is_some(),
            Field::Component => self
                .projects
                .iter()
                .flat_map(|p| &p.components)
                .any(|c| c.name.eq_ignore_ascii_case(value) || c.id == value),
            _ => true,
        }
    }
}

/// An issue seen through the JQL evaluator.
struct IssueView<'a> {
    store: &'a Store,
    issue: &'a Issue,
}

impl IssueView<'_> {
    fn user_values(&self, user: Option<usize>) -> Vec<String> {
        user.map(|u| self.store.users[u].identifiers())
            .unwrap_or_default()
    }

    fn user_sort(&self, user: Option<usize>) -> SortKey {
        user.map_or(SortKey::Missing, |u| {
            SortKey::Text(self.store.users[u].display_name.to_lowercase())
        })
    }
}

impl Record for IssueView<'_> {
    fn values(&self, field: &Field) -> Vec<String> {
        let issue = self.issue;
        match field {
            Field::Project => {
                let p = &self.store.projects[issue.project];
                vec![p.key.clone(), p.id.clone(), p.name.clone()]
            }
            Field::Status => model::status(issue.status)
                .map(|s| vec![s.name.to_owned(), s.id.to_owned()])
                .unwrap_or_default(),
            Field::StatusCategory => model::status(issue.status)
                .map(|s| {
                    vec![
                        s.category.name.to_owned(),
                        s.category.key.to_owned(),
                        s.category.id.to_string(),
                    ]
                })
                .unwrap_or_default(),
            Field::Assignee => self.user_values(issue.assignee),
            Field::Reporter => self.user_values(issue.reporter),
            Field::Labels => issue.labels.clone(),
            Field::IssueType => model::issue_type(issue.issue_type)
                .map(|t| vec![t.name.to_owned(), t.id.to_owned()])
                .unwrap_or_default(),
            Field::Priority => model::priority(issue.priority)
                .map(|p| vec![p.name.to_owned(), p.id.to_owned()])
                .unwrap_or_default(),
            Field::Key => vec![issue.key.clone(), issue.id.to_string()],
            Field::Resolution => issue
                .resolution
                .and_then(model::resolution)
                .map(|r| vec![r.name.to_owned(), r.id.to_owned()])
                .unwrap_or_default(),
            Field::Component => {
                let project = &self.store.projects[issue.project];
                project
                    .components
                    .iter()
                    .filter(|c| issue.components.contains(&c.id))
                    .flat_map(|c| [c.name.clone(), c.id.clone()])
                    .collect()
            }
            Field::Custom(_) => issue
                .severity
                .and_then(model::severity)
                .map(|(id, value)| vec![id.to_owned(), value.to_owned()])
                .unwrap_or_default(),
            Field::Property { key, path } => {
                let Some(mut value) = issue.properties.get(key) else {
                    return Vec::new();
                };
                for step in path {
                    match value.get(step) {
                        Some(next) => value = next,
                        None => return Vec::new(),
                    }
                }
                let scalar = |v: &Value| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                };
                match value {
                    Value::Array(items) => items.iter().filter_map(scalar).collect(),
                    other => scalar(other).into_iter().collect(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn text(&self, field: &Field) -> String {
        let issue = self.issue;
        let description = || {
            issue
                .description
                .as_ref()
                .map(crate::adf::to_plain_text)
                .unwrap_or_default()
        };
        let comments = || {
            issue
                .comments
                .iter()
                .map(|c| crate::adf::to_plain_text(&c.body))
                .collect::<Vec<_>>()
                .join("\n")
        };
        match field {
            Field::Summary => issue.summary.clone(),
            Field::Description => description(),
            Field::Comment => comments(),
            _ => format!("{}\n{}\n{}", issue.summary, description(), comments()),
        }
    }

    fn time(&self, field: &Field) -> Option<DateTime<Utc>> {
        match field {
            Field::Created => Some(self.issue.created),
            Field::Updated => Some(self.issue.updated),
            _ => None,
        }
    }

    fn sort_key(&self, field: &Field) -> SortKey {
        let issue = self.issue;
        match field {
            Field::Created => SortKey::Int(issue.created.timestamp_millis()),
            Field::Updated => SortKey::Int(issue.updated.timestamp_millis()),
            // Higher priorities sort last in ascending order, like Jira.
            Field::Priority => SortKey::Int(-model::priority(issue.priority).map_or(0, |p| p.rank)),
            Field::Key => {
                let number = issue
                    .key
                    .rsplit_once('-')
                    .and_then(|(_, n)| n.parse::<i64>().ok())
                    .unwrap_or(0);
                let project = &self.store.projects[issue.project].key;
                SortKey::Text(format!("{project}-{number:012}"))
            }
            Field::Project => SortKey::Text(self.store.projects[issue.project].key.clone()),
            Field::Status => SortKey::Int(
                model::STATUSES
                    .iter()
                    .position(|s| s.id == issue.status)
                    .map_or(0, |p| p as i64),
            ),
            Field::IssueType => SortKey::Text(issue.issue_type.to_owned()),
            Field::Summary => SortKey::Text(issue.summary.to_lowercase()),
            Field::Assignee => self.user_sort(issue.assignee),
            Field::Reporter => self.user_sort(issue.reporter),
            Field::Resolution => issue
                .resolution
                .map_or(SortKey::Missing, |r| SortKey::Text(r.to_owned())),
            _ => SortKey::Missing,
        }
    }
}
