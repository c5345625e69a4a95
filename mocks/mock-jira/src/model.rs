//! The data the mock keeps, and the instance-wide configuration (issue types, workflow,
//! priorities, resolutions, the one custom field) that every project shares.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A user, with both its Cloud identity (`account_id`) and its Data Center one (`name`, `key`).
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub account_id: String,
    pub name: String,
    pub key: String,
    pub display_name: String,
    pub email: String,
    pub time_zone: &'static str,
    pub active: bool,
}

impl User {
    /// Every identifier JQL and user look-ups accept for this user.
    pub fn identifiers(&self) -> Vec<String> {
        vec![
            self.account_id.clone(),
            self.name.clone(),
            self.key.clone(),
            self.email.clone(),
            self.display_name.clone(),
        ]
    }
}

/// A project component.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A project; every project uses all [`ISSUE_TYPES`] and the one workflow.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    /// Index into the users.
    pub lead: usize,
    pub components: Vec<Component>,
    /// Last issue number handed out, so keys are never reused after a delete.
    pub last_number: u64,
}

/// One comment on an issue; the body is stored as ADF.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub author: usize,
    pub update_author: usize,
    pub body: Value,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// One issue; rich text is stored as ADF whichever API wrote it.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub id: u64,
    pub key: String,
    /// Index into the projects.
    pub project: usize,
    pub issue_type: &'static str,
    pub summary: String,
    pub description: Option<Value>,
    pub status: &'static str,
    pub resolution: Option<&'static str>,
    pub resolution_date: Option<DateTime<Utc>>,
    /// Indexes into the users.
    pub assignee: Option<usize>,
    pub reporter: Option<usize>,
    pub priority: &'static str,
    pub labels: Vec<String>,
    /// Component ids.
    pub components: Vec<String>,
    pub due_date: Option<String>,
    /// Option id of the Severity custom field.
    pub severity: Option<&'static str>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub comments: Vec<Comment>,
    pub properties: BTreeMap<String, Value>,
}

/// An issue type.
#[derive(Debug)]
pub(crate) struct IssueType {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub icon: &'static str,
}

/// Issue types shared by every project.
pub(crate) const ISSUE_TYPES: [IssueType; 3] = [
    IssueType {
        id: "10001",
        name: "Story",
        description: "A user story: functionality described from the user's point of view.",
        icon: "story",
    },
    IssueType {
        id: "10002",
        name: "Task",
        description: "A small, distinct piece of work.",
        icon: "task",
    },
    IssueType {
        id: "10004",
        name: "Bug",
        description: "A problem or error.",
        icon: "bug",
    },
];

/// The custom field every Bug must carry.
pub(crate) const SEVERITY_FIELD: &str = "customfield_10010";
/// Its display name.
pub(crate) const SEVERITY_NAME: &str = "Severity";
/// The issue type that requires it.
pub(crate) const SEVERITY_REQUIRED_FOR: &str = "10004";
/// Its allowed values: (option id, value).
pub(crate) const SEVERITY_OPTIONS: [(&str, &str); 3] = [
    ("10020", "Critical"),
    ("10021", "Major"),
    ("10022", "Minor"),
];

/// A status category (the colour of a status).
#[derive(Debug)]
pub(crate) struct StatusCategory {
    pub id: u64,
    pub key: &'static str,
    pub name: &'static str,
    pub color: &'static str,
}

/// A workflow status.
#[derive(Debug)]
pub(crate) struct Status {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub category: StatusCategory,
}

pub(crate) const TO_DO: &str = "10000";
pub(crate) const IN_PROGRESS: &str = "3";
pub(crate) const IN_REVIEW: &str = "10001";
pub(crate) const DONE: &str = "10002";

pub(crate) const STATUSES: [Status; 4] = [
    Status {
        id: TO_DO,
        name: "To Do",
        description: "Work that has not been started.",
        category: StatusCategory {
            id: 2,
            key: "new",
            name: "To Do",
            color: "blue-gray",
        },
    },
    Status {
        id: IN_PROGRESS,
        name: "In Progress",
        description: "The issue is currently being worked on.",
        category: StatusCategory {
            id: 4,
            key: "indeterminate",
            name: "In Progress",
            color: "yellow",
        },
    },
    Status {
        id: IN_REVIEW,
        name: "In Review",
        description: "The work is waiting for review.",
        category: StatusCategory {
            id: 4,
            key: "indeterminate",
            name: "In Progress",
            color: "yellow",
        },
    },
    Status {
        id: DONE,
        name: "Done",
        description: "Work that is finished.",
        category: StatusCategory {
            id: 3,
            key: "done",
            name: "Done",
            color: "green",
        },
    },
];

/// A workflow transition.
#[derive(Debug)]
pub(crate) struct Transition {
    pub id: &'static str,
    pub name: &'static str,
    pub from: &'static [&'static str],
    pub to: &'static str,
}

/// The one workflow: To Do → In Progress → In Review → Done, with ways back.
pub(crate) const TRANSITIONS: [Transition; 5] = [
    Transition {
        id: "11",
        name: "Back to To Do",
        from: &[IN_PROGRESS, IN_REVIEW],
        to: TO_DO,
    },
    Transition {
        id: "21",
        name: "Start Progress",
        from: &[TO_DO, IN_REVIEW],
        to: IN_PROGRESS,
    },
    Transition {
        id: "31",
        name: "Request Review",
        from: &[IN_PROGRESS],
        to: IN_REVIEW,
    },
    Transition {
        id: "41",
        name: "Done",
        from: &[TO_DO, IN_PROGRESS, IN_REVIEW],
        to: DONE,
    },
    Transition {
        id: "51",
        name: "Reopen",
        from: &[DONE],
        to: TO_DO,
    },
];

/// A priority; `rank` 1 is the most urgent.
#[derive(Debug)]
pub(crate) struct Priority {
    pub id: &'static str,
    pub name: &'static str,
    pub rank: i64,
}

pub(crate) const PRIORITIES: [Priority; 5] = [
    Priority {
        id: "1",
        name: "Highest",
        rank: 1,
    },
    Priority {
        id: "2",
        name: "High",
        rank: 2,
    },
    Priority {
        id: "3",
        name: "Medium",
        rank: 3,
    },
    Priority {
        id: "4",
        name: "Low",
        rank: 4,
    },
    Priority {
        id: "5",
        name: "Lowest",
        rank: 5,
    },
];

/// The priority new issues get when none is given.
pub(crate) const DEFAULT_PRIORITY: &str = "3";

/// A resolution.
#[derive(Debug)]
pub(crate) struct Resolution {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

pub(crate) const RESOLUTIONS: [Resolution; 4] = [
    Resolution {
        id: "10000",
        name: "Done",
        description: "Work has been completed on this issue.",
    },
    Resolution {
        id: "10001",
        name: "Won't Do",
        description: "This issue won't be actioned.",
    },
    Resolution {
        id: "10002",
        name: "Duplicate",
        description: "The problem is a duplicate of an existing issue.",
    },
    Resolution {
        id: "10003",
        name: "Cannot Reproduce",
        description: "This issue could not be reproduced.",
    },
];

/// Finds a definition by id or (case-insensitive) name.
pub(crate) fn issue_type(id_or_name: &str) -> Option<&'static IssueType> {
    ISSUE_TYPES
        .iter()
        .find(|t| t.id == id_or_name || t.name.eq_ignore_ascii_case(id_or_name))
}

/// See [`issue_type`].
pub(crate) fn status(id_or_name: &str) -> Option<&'static Status> {
    STATUSES
        .iter()
        .find(|s| s.id == id_or_name || s.name.eq_ignore_ascii_case(id_or_name))
}

/// See [`issue_type`].
pub(crate) fn priority(id_or_name: &str) -> Option<&'static Priority> {
    PRIORITIES
        .iter()
        .find(|p| p.id == id_or_name || p.name.eq_ignore_ascii_case(id_or_name))
}

/// See [`issue_type`].
pub(crate) fn resolution(id_or_name: &str) -> Option<&'static Resolution> {
    RESOLUTIONS
        .iter()
        .find(|r| r.id == id_or_name || r.name.eq_ignore_ascii_case(id_or_name))
}

/// A Severity option by id or value.
pub(crate) fn severity(id_or_value: &str) -> Option<(&'static str, &'static str)> {
    SEVERITY_OPTIONS
        .iter()
        .copied()
        .find(|(id, value)| *id == id_or_value || value.eq_ignore_ascii_case(id_or_value))
}

/// Transitions available from a status, in workflow order.
pub(crate) fn transitions_from(status: &str) -> impl Iterator<Item = &'static Transition> + '_ {
    TRANSITIONS.iter().filter(move |t| t.from.contains(&status))
}
