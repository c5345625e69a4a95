//! Deterministic seed data: users, three projects, 60 issues with varied ADF descriptions,
//! comments (one issue has enough for several pages), labels and timestamps spread over
//! about seven weeks.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::model::{
    Comment, Component, DONE, IN_PROGRESS, IN_REVIEW, ISSUE_TYPES, Issue, PRIORITIES, Project,
    SEVERITY_OPTIONS, SEVERITY_REQUIRED_FOR, TO_DO, User,
};

/// Everything the seed produces.
#[derive(Debug)]
pub(crate) struct Seed {
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub issues: Vec<Issue>,
    pub next_issue_id: u64,
    pub next_comment_id: u64,
}

/// The issue that carries [`MANY_COMMENTS`] comments.
pub const BUSY_ISSUE: &str = "OPS-2";
/// How many comments [`BUSY_ISSUE`] has.
pub const MANY_COMMENTS: usize = 65;
/// How many issues the seed creates.
pub const SEED_ISSUES: usize = 60;

const FIRST_ISSUE_ID: u64 = 10_000;
const FIRST_COMMENT_ID: u64 = 20_000;

/// When the first seed issue was created.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0)
        .single()
        .expect("valid seed epoch")
}

const PEOPLE: [(&str, &str, &str, bool); 10] = [
    ("Mock User", "mock.user", "Europe/London", true),
    ("Ada Lovelace", "ada", "Europe/London", true),
    ("Grace Hopper", "grace", "America/New_York", true),
    ("Alan Turing", "alan", "Europe/London", true),
    ("Margaret Hamilton", "margaret", "America/Chicago", true),
    ("Linus Torvalds", "linus", "America/Los_Angeles", true),
    ("Barbara Liskov", "barbara", "America/New_York", true),
    ("Ken Thompson", "ken", "America/Los_Angeles", true),
    ("Frances Allen", "frances", "America/New_York", true),
    ("Dennis Ritchie", "dennis", "America/New_York", false),
];

fn users(email: &str) -> Vec<User> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (display_name, name, time_zone, active))| User {
            account_id: format!("5b10ac8d82e05b22cc7d{:04x}", 0x4e00 + i * 0x11),
            name: (*name).to_owned(),
            key: format!("JIRAUSER{}", 10_000 + i),
            display_name: (*display_name).to_owned(),
            email: if i == 0 {
                email.to_owned()
            } else {
                format!("{name}@example.com")
            },
            time_zone,
            active: *active,
        })
        .collect()
}

/// Key, name, description, lead (user index) and components (name, description).
type ProjectDef = (
    &'static str,
    &'static str,
    &'static str,
    usize,
    [(&'static str, &'static str); 3],
);

fn projects() -> Vec<Project> {
    let defs: [ProjectDef; 3] = [
        (
            "OPS",
            "Operations",
            "Infrastructure, monitoring and on-call work.",
            2,
            [
                ("Infrastructure", "Servers, networks and cloud accounts"),
                ("Monitoring", "Alerts, dashboards and probes"),
                ("On-call", "Rotation and incident follow-ups"),
            ],
        ),
        (
            "WEB",
            "Web Platform",
            "The customer-facing web application and its API.",
            1,
            [
                ("Frontend", "Browser application"),
                ("API", "Public REST API"),
                ("Auth", "Login, sessions and SSO"),
            ],
        ),
        (
            "DATA",
            "Data Engineering",
            "Pipelines, the warehouse and reporting.",
            6,
            [
                ("Pipelines", "Ingestion and transformation jobs"),
                ("Warehouse", "Schemas and storage"),
                ("Dashboards", "Reports for the business"),
            ],
        ),
    ];
    defs.iter()
        .enumerate()
        .map(|(p, (key, name, description, lead, components))| Project {
            id: (10_000 + p).to_string(),
            key: (*key).to_owned(),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            lead: *lead,
            components: components
                .iter()
                .enumerate()
                .map(|(c, (name, description))| Component {
                    id: (10_100 + p * 10 + c).to_string(),
                    name: (*name).to_owned(),
                    description: (*description).to_owned(),
                })
                .collect(),
            last_number: 0,
        })
        .collect()
}

const SUMMARIES: [[&str; 8]; 3] = [
    [
        "Disk usage alert on build agents",
        "Rotate TLS certificates for the load balancer",
        "Nightly backup job times out",
        "Add latency probe for the EU region",
        "Upgrade Kubernetes nodes to the new image",
        "Pager fires twice for the same incident",
        "Document the database failover runbook",
        "Reduce noise from the memory alert",
    ],
    [
        "Login page crashes on Safari",
        "Add dark mode to the settings page",
        "API returns 500 when the cursor is stale",
        "Session cookie missing SameSite attribute",
        "Paginate the invoices endpoint",
        "Broken layout on narrow screens",
        "Support SSO with Okta",
        "Slow first paint on the dashboard",
    ],
    [
        "Orders pipeline drops late events",
        "Create a revenue dashboard for finance",
        "Warehouse table bloat after migration",
        "Deduplicate customer records",
        "Schema change breaks the nightly export",
        "Add freshness checks to ingestion",
        "Backfill March sessions",
        "Document the event schema",
    ],
];

const LABEL_POOL: [&str; 8] = [
    "backend",
    "frontend",
    "customer-reported",
    "tech-debt",
    "security",
    "performance",
    "needs-triage",
    "quick-win",
];

fn text(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

fn marked(value: &str, mark: Value) -> Value {
    let mut node = text(value);
    node["marks"] = Value::Array(vec![mark]);
    node
}

fn paragraph(content: Vec<Value>) -> Value {
    let mut node = json!({"type": "paragraph"});
    node["content"] = Value::Array(content);
    node
}

fn doc(content: Vec<Value>) -> Value {
    let mut node = json!({"type": "doc", "version": 1});
    node["content"] = Value::Array(content);
    node
}

fn list(kind: &str, items: &[&str]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|item| json!({"type": "listItem", "content": [paragraph(vec![text(item)])]}))
        .collect();
    json!({"type": kind, "content": items})
}

fn mention(user: &User) -> Value {
    json!({
        "type": "mention",
        "attrs": {"id": user.account_id, "text": format!("@{}", user.display_name), "accessLevel": ""}
    })
}

/// A description whose shape varies with `n`; issue 0 gets every node type at once.
fn description(n: usize, summary: &str, users: &[User]) -> Value {
    let intro = paragraph(vec![
        text(&format!("{summary}. Seen since the last deploy; see ")),
        marked(
            "the runbook",
            json!({"type": "link", "attrs": {"href": "https://example.com/runbook"}}),
        ),
        text(" for context."),
    ]);
    let heading = |t: &str| json!({"type": "heading", "attrs": {"level": 2}, "content": [text(t)]});
    let code = json!({
        "type": "codeBlock",
        "attrs": {"language": if n.is_multiple_of(2) { "bash" } else { "python" }},
        "content": [text(if n.is_multiple_of(2) { "kubectl get pods -n prod | grep -v Running" } else { "print(len(events))" })],
    });
    let table = json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
        {"type": "tableRow", "content": [
            {"type": "tableHeader", "content": [paragraph(vec![text("Environment")])]},
            {"type": "tableHeader", "content": [paragraph(vec![text("Affected")])]}
        ]},
        {"type": "tableRow", "content": [
            {"type": "tableCell", "content": [paragraph(vec![text("production")])]},
            {"type": "tableCell", "content": [paragraph(vec![text("yes")])]}
        ]},
        {"type": "tableRow", "content": [
            {"type": "tableCell", "content": [paragraph(vec![text("staging")])]},
            {"type": "tableCell", "content": [paragraph(vec![text("no")])]}
        ]}
    ]});
    let panel = json!({"type": "panel", "attrs": {"panelType": "warning"}, "content": [
        paragraph(vec![text("Customer impact is possible until this is fixed.")])
    ]});
    let people = paragraph(vec![
        text("Owner: "),
        mention(&users[1 + n % (users.len() - 1)]),
        text(" "),
        json!({"type": "emoji", "attrs": {"shortName": ":eyes:", "id": "1f440", "text": "👀"}}),
        text(" state: "),
        json!({"type": "status", "attrs": {"text": "investigating", "color": "blue", "localId": format!("st-{n}")}}),
    ]);
    let steps = paragraph(vec![
        text("Check "),
        marked("config.yaml", json!({"type": "code"})),
        text(" and "),
        marked("restart", json!({"type": "strong"})),
        text(" the "),
        marked("worker", json!({"type": "em"})),
        text("."),
    ]);
    let mut content = vec![intro];
    match n % 6 {
        0 if n == 0 => {
            content.extend([
                heading("Steps to reproduce"),
                list(
                    "orderedList",
                    &["Open the page", "Sign in", "Watch it fail"],
                ),
                steps,
                code,
                table,
                panel,
                people,
                json!({"type": "rule"}),
                list("bulletList", &["Expected: it works", "Actual: it does not"]),
            ]);
        }
        0 => content.extend([heading("Notes"), steps, people]),
        1 => content.extend([
            heading("Steps to reproduce"),
            list(
                "orderedList",
                &["Open the page", "Sign in", "Watch it fail"],
            ),
            code,
        ]),
        2 => content.extend([table, steps]),
        3 => content.extend([panel, list("bulletList", &["first check", "second check"])]),
        4 => content.push(people),
        _ => content.push(code),
    }
    doc(content)
}

fn comment_body(n: usize, users: &[User]) -> Value {
    match n % 4 {
        0 => doc(vec![paragraph(vec![text(&format!(
            "Update {}: still looking into this.",
            n + 1
        ))])]),
        1 => doc(vec![paragraph(vec![
            text("Could you take a look, "),
            mention(&users[1 + n % (users.len() - 1)]),
            text("?"),
        ])]),
        2 => doc(vec![paragraph(vec![
            text("Fixed by running "),
            marked("make deploy", json!({"type": "code"})),
            text(&format!(" (attempt {})", n + 1)),
        ])]),
        _ => doc(vec![
            paragraph(vec![text(&format!("Log excerpt #{}:", n + 1))]),
            json!({"type": "codeBlock", "attrs": {"language": "text"}, "content": [text("ERROR timeout after 30s")]}),
        ]),
    }
}

/// The seed data; `email` is the authenticated user's address.
pub(crate) fn seed(email: &str) -> Seed {
    let users = users(email);
    let mut projects = projects();
    let mut issues = Vec::with_capacity(SEED_ISSUES);
    let mut next_comment_id = FIRST_COMMENT_ID;
    let statuses = [TO_DO, IN_PROGRESS, IN_REVIEW, DONE];
    // 24 OPS, 20 WEB, 16 DATA issues, interleaved in creation order.
    let project_of = |n: usize| match n % 15 {
        0..=5 => 0,
        6..=10 => 1,
        _ => 2,
    };
    let user_count = users.len();
    for n in 0..SEED_ISSUES {
        let p = project_of(n);
        let project = &mut projects[p];
        project.last_number += 1;
        let key = format!("{}-{}", project.key, project.last_number);
        let summary = SUMMARIES[p][(n / 3) % 8].to_owned();
        let issue_type = &ISSUE_TYPES[n % 3];
        let status = statuses[(n * 7 + n / 5) % 4];
        let created = epoch() + Duration::hours(19 * n as i64);
        let updated = created + Duration::hours(5 + (n as i64 % 9) * 11);
        let assignee = (n % 7 != 3)
            .then_some((n * 3 + 1) % user_count)
            .filter(|u| *u != 9 || n % 2 == 0);
        let reporter = Some((n * 5 + 2) % (user_count - 1));
        let labels: Vec<String> = (0..n % 3)
            .map(|k| LABEL_POOL[(n + k * 3) % LABEL_POOL.len()].to_owned())
            .collect();
        let components = vec![project.components[n % 3].id.clone()];
        let comment_count = if key == BUSY_ISSUE {
            MANY_COMMENTS
        } else {
            n % 4
        };
        let comments = (0..comment_count)
            .map(|c| {
                let at = created + Duration::minutes(37 * (c as i64 + 1));
                let author = (n + c * 2) % (user_count - 1);
                next_comment_id += 1;
                Comment {
                    id: next_comment_id,
                    author,
                    update_author: author,
                    body: comment_body(c, &users),
                    created: at,
                    updated: at,
                }
            })
            .collect();
        let done = status == DONE;
        issues.push(Issue {
            id: FIRST_ISSUE_ID + n as u64 + 1,
            key,
            project: p,
            issue_type: issue_type.id,
            description: Some(description(n, &summary, &users)),
            summary,
            status,
            resolution: done.then_some(if n % 5 == 0 { "10001" } else { "10000" }),
            resolution_date: done.then_some(updated),
            assignee,
            reporter,
            priority: PRIORITIES[(n * 11 + 2) % PRIORITIES.len()].id,
            labels,
            components,
            due_date: (n % 4 == 1).then(|| {
                (created + Duration::days(14))
                    .format("%Y-%m-%d")
                    .to_string()
            }),
            severity: (issue_type.id == SEVERITY_REQUIRED_FOR)
                .then_some(SEVERITY_OPTIONS[n % SEVERITY_OPTIONS.len()].0),
            created,
            updated,
            comments,
            properties: BTreeMap::new(),
        });
    }
    Seed {
        users,
        projects,
        next_issue_id: FIRST_ISSUE_ID + SEED_ISSUES as u64 + 1,
        issues,
        next_comment_id: next_comment_id + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_varied() {
        let a = seed("me@example.com");
        let b = seed("me@example.com");
        assert_eq!(a.issues.len(), SEED_ISSUES);
        assert_eq!(
            a.issues.iter().map(|i| &i.key).collect::<Vec<_>>(),
            b.issues.iter().map(|i| &i.key).collect::<Vec<_>>()
        );
        let busy = a.issues.iter().find(|i| i.key == BUSY_ISSUE).unwrap();
        assert_eq!(busy.comments.len(), MANY_COMMENTS);
        for status in [TO_DO, IN_PROGRESS, IN_REVIEW, DONE] {
            assert!(a.issues.iter().any(|i| i.status == status), "{status}");
        }
        assert!(a.issues.iter().any(|i| i.assignee.is_none()));
        assert!(a.issues.iter().any(|i| i.assignee == Some(0)));
        let first = serde_json::to_string(&a.issues[0].description).unwrap();
        for node in [
            "heading",
            "orderedList",
            "codeBlock",
            "table",
            "panel",
            "mention",
            "emoji",
            "status",
            "\"code\"",
            "link",
        ] {
            assert!(first.contains(node), "{node}");
        }
        let mut projects: Vec<usize> = a.issues.iter().map(|i| i.project).collect();
        projects.dedup();
        assert!(projects.len() > 3);
    }
}
