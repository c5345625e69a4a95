//! The deterministic seed: users, groups, incidents, problems, changes, knowledge articles,
//! knowledge categories, choice rows and some journal entries. Same on every start and reset.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::schema::{self, Kind, TABLES};
use crate::store::{Row, Store, sys_id};

/// Number of seeded incidents (`INC0010001` ... `INC0010120`).
pub const SEED_INCIDENTS: usize = 120;
/// Number of seeded problems (`PRB0040001` ...).
pub const SEED_PROBLEMS: usize = 12;
/// Number of seeded change requests (`CHG0030001` ...).
pub const SEED_CHANGES: usize = 18;
/// Number of seeded knowledge articles (`KB0010001` ...).
pub const SEED_ARTICLES: usize = 28;
/// User name whose basic authentication is refused (lacks the REST API access role).
pub const NO_BASIC_USER: &str = "nobasic";
/// User name with read-only access: every write gets an ACL 403.
pub const READ_ONLY_USER: &str = "viewer";

/// The seed's assignment groups: (name, description).
const GROUPS: &[(&str, &str)] = &[
    ("Service Desk", "First line support for all employees"),
    ("Network Operations", "WAN, LAN, VPN and Wi-Fi"),
    ("Database Administration", "PostgreSQL and Oracle estates"),
    (
        "Application Support",
        "Business applications and the web shop",
    ),
    (
        "Platform Engineering",
        "CI/CD, Kubernetes and deploy pipelines",
    ),
    (
        "Security Operations",
        "Identity, endpoint protection and incident response",
    ),
    ("Hardware Support", "Laptops, printers and peripherals"),
];

const FIRST: &[&str] = &[
    "Beth", "David", "Fred", "Abel", "Bud", "Don", "Carla", "Priya", "Kenji", "Lena", "Marco",
    "Nadia", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
];
const LAST: &[&str] = &[
    "Anglin",
    "Loo",
    "Luddy",
    "Tuter",
    "Richman",
    "Goodliffe",
    "Mendes",
    "Raman",
    "Sato",
    "Fischer",
    "Rossi",
    "Haddad",
    "Farouk",
    "Silva",
    "Baker",
    "Ortega",
    "Lund",
    "Singh",
    "Malik",
    "Novak",
];

/// Incident topics per group (index into [`GROUPS`]): (category, short description, detail).
const TOPICS: &[(usize, &str, &str, &str)] = &[
    (
        0,
        "inquiry",
        "Password reset request",
        "User locked out after too many attempts.",
    ),
    (
        0,
        "software",
        "Outlook keeps asking for credentials",
        "Happens after every restart.",
    ),
    (
        1,
        "network",
        "VPN drops every hour",
        "Remote workers lose the tunnel around the hour mark.",
    ),
    (
        1,
        "network",
        "Office Wi-Fi slow on floor 3",
        "Speed tests show under 5 Mbit/s.",
    ),
    (
        2,
        "database",
        "Reporting database CPU at 100%",
        "Nightly ETL overlaps with business hours.",
    ),
    (
        2,
        "database",
        "Replication lag on orders-db",
        "Replica is 20 minutes behind the primary.",
    ),
    (
        3,
        "software",
        "Web shop checkout returns 500",
        "Customers cannot complete payment.",
    ),
    (
        3,
        "software",
        "Invoice PDF generation times out",
        "Large invoices never render.",
    ),
    (
        4,
        "software",
        "Deploy of checkout-service failing",
        "Pipeline stops at the image pull step: ImagePullBackOff.",
    ),
    (
        4,
        "software",
        "Deploy pipeline fails at database migration",
        "Migration job exits 1 and the rollout is aborted.",
    ),
    (
        5,
        "inquiry",
        "Suspicious login alert",
        "Impossible travel detected for a finance user.",
    ),
    (
        5,
        "software",
        "Endpoint agent reports outdated signatures",
        "Definitions older than 7 days.",
    ),
    (
        6,
        "hardware",
        "Laptop battery swelling",
        "Battery bulges and the touchpad no longer clicks.",
    ),
    (
        6,
        "hardware",
        "Printer on floor 2 jams",
        "Paper jam error on every print job.",
    ),
];

const CLOSE_CODES: &[&str] = &[
    "Solution provided",
    "Workaround provided",
    "Resolved by change",
    "User error",
];

const KB_CATEGORIES: &[&str] = &[
    "IT Support",
    "Network",
    "Email",
    "Deployments",
    "Hardware",
    "Security",
];

/// Knowledge articles: (category index, title, body paragraph, is "known issue").
const ARTICLES: &[(usize, &str, &str, bool)] = &[
    (
        3,
        "Known issue: checkout-service deploy fails with ImagePullBackOff",
        "Deploys of <code>checkout-service</code> fail because the registry credentials in the <b>prod</b> namespace expired. Workaround: re-run the <i>refresh-registry-secret</i> job, then retry the deploy.",
        true,
    ),
    (
        3,
        "Known issue: deploy pipeline fails at the database migration step",
        "The migration job exits with code 1 when a previous migration left a lock row. Workaround: clear the lock in <code>schema_migrations_lock</code> and re-run the pipeline.",
        true,
    ),
    (
        3,
        "Known issue: failing deploy rolls back after health check timeout",
        "New pods take longer than the 60s readiness timeout during cache warm-up. Raise the timeout to 120s as a workaround.",
        true,
    ),
    (
        3,
        "How to roll back a failed deploy",
        "Use <code>deployctl rollback &lt;service&gt;</code>. The previous release is kept for 7 days.",
        false,
    ),
    (
        3,
        "Deploy freeze calendar",
        "No production deploys on Fridays after 14:00 or during month-end close.",
        false,
    ),
    (
        0,
        "How to reset your password",
        "Go to the self-service portal and choose <b>Forgot password</b>.",
        false,
    ),
    (
        0,
        "Requesting new software",
        "Open a catalog request; approvals go to your manager.",
        false,
    ),
    (
        0,
        "Service desk opening hours",
        "Monday to Friday, 07:00 to 19:00 CET.",
        false,
    ),
    (
        1,
        "Connecting to the VPN",
        "Install the VPN client from the portal and sign in with your SSO account.",
        false,
    ),
    (
        1,
        "Known issue: VPN disconnects every hour",
        "The session timer on the concentrator resets tunnels hourly. A fix is scheduled; reconnect as a workaround.",
        true,
    ),
    (
        1,
        "Office Wi-Fi networks explained",
        "<ul><li>CORP: managed laptops</li><li>GUEST: visitors</li></ul>",
        false,
    ),
    (
        2,
        "Setting up Outlook on a new laptop",
        "Outlook configures itself from your SSO account.",
        false,
    ),
    (
        2,
        "Shared mailbox access",
        "Ask the mailbox owner to approve the request in the portal.",
        false,
    ),
    (
        2,
        "Email size limits",
        "Attachments up to 25 MB; use the file share for larger files.",
        false,
    ),
    (
        4,
        "Printer jams: first steps",
        "Open tray 2, remove the paper, and check the rollers.",
        false,
    ),
    (
        4,
        "Laptop battery safety",
        "Stop using a swollen battery immediately and contact Hardware Support.",
        false,
    ),
    (
        4,
        "Docking station compatibility",
        "Only USB-C docks from the approved list are supported.",
        false,
    ),
    (
        5,
        "Reporting a phishing e-mail",
        "Use the <b>Report phish</b> button in Outlook.",
        false,
    ),
    (
        5,
        "Multi-factor authentication enrolment",
        "Enrol the authenticator app before your first remote login.",
        false,
    ),
    (
        5,
        "Known issue: endpoint agent signature updates stalled",
        "The update proxy rejects the new CDN certificate. Security Operations is rolling out a fix.",
        true,
    ),
    (
        0,
        "Old ticketing portal (retired)",
        "The old portal was replaced in 2023.",
        false,
    ),
    (
        1,
        "Legacy dial-up access (retired)",
        "Dial-up access is no longer offered.",
        false,
    ),
    (
        3,
        "Draft: blue-green deploys for checkout-service",
        "Work in progress: switching checkout-service to blue-green deploys.",
        false,
    ),
    (
        3,
        "Draft: deploy pipeline caching",
        "Notes on caching build layers in the pipeline.",
        false,
    ),
    (
        2,
        "Draft: calendar sharing guide",
        "How to share calendars with external partners.",
        false,
    ),
    (
        0,
        "Working from home checklist",
        "VPN, MFA, and a wired connection when possible.",
        false,
    ),
    (
        5,
        "Password policy",
        "At least 14 characters; no reuse of the last 10 passwords.",
        false,
    ),
    (
        4,
        "Requesting a replacement laptop",
        "Use the hardware catalog item; old devices go back to IT.",
        false,
    ),
];

fn base_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("valid seed date")
}

fn stamp(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Builds a record with every schema field (empty unless given) and the `sys_*` fields.
fn record(table: &str, key: &str, created: NaiveDateTime, values: &[(&str, String)]) -> Row {
    let def = schema::table(table).expect("seeded tables exist");
    let mut row: Row = def
        .all_fields()
        .filter(|f| f.kind != Kind::Journal)
        .map(|f| (f.name.to_owned(), String::new()))
        .collect();
    let created = stamp(created);
    for (name, value) in [
        ("sys_id", sys_id(&format!("{table}:{key}"))),
        ("sys_created_on", created.clone()),
        ("sys_created_by", "admin".to_owned()),
        ("sys_updated_on", created),
        ("sys_updated_by", "admin".to_owned()),
        ("sys_mod_count", "0".to_owned()),
        ("sys_class_name", table.to_owned()),
    ] {
        row.insert(name.to_owned(), value);
    }
    for (name, value) in values {
        debug_assert!(def.field(name).is_some(), "{table}.{name}");
        row.insert((*name).to_owned(), value.clone());
    }
    row
}

fn id_of(row: &Row) -> String {
    row.get("sys_id").cloned().unwrap_or_default()
}

/// The whole seed; `admin_user` is the `user_name` of the administrator.
pub(crate) fn seed(admin_user: &str) -> Store {
    let mut store = Store::default();
    let t0 = base_time() - Duration::days(400);

    // Users: the three login accounts, then twenty people.
    let mut users = vec![
        record(
            "sys_user",
            "admin",
            t0,
            &[
                ("user_name", admin_user.to_owned()),
                ("name", "System Administrator".into()),
                ("first_name", "System".into()),
                ("last_name", "Administrator".into()),
                ("email", "admin@example.com".into()),
                ("title", "Administrator".into()),
                ("active", "true".into()),
                ("roles", "admin,snc_platform_rest_api_access".into()),
            ],
        ),
        record(
            "sys_user",
            READ_ONLY_USER,
            t0,
            &[
                ("user_name", READ_ONLY_USER.into()),
                ("name", "Read Only Viewer".into()),
                ("first_name", "Read Only".into()),
                ("last_name", "Viewer".into()),
                ("email", "viewer@example.com".into()),
                ("active", "true".into()),
                (
                    "roles",
                    "snc_read_only,itil,snc_platform_rest_api_access".into(),
                ),
            ],
        ),
        record(
            "sys_user",
            NO_BASIC_USER,
            t0,
            &[
                ("user_name", NO_BASIC_USER.into()),
                ("name", "No Basic Auth".into()),
                ("first_name", "No Basic".into()),
                ("last_name", "Auth".into()),
                ("email", "nobasic@example.com".into()),
                ("active", "true".into()),
                ("roles", "itil".into()),
            ],
        ),
    ];
    for (i, (first, last)) in FIRST.iter().zip(LAST).enumerate() {
        let user_name = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let manager = if i >= 7 {
            id_of(&users[3 + i % 7])
        } else {
            String::new()
        };
        users.push(record(
            "sys_user",
            &user_name,
            t0 + Duration::days(i as i64),
            &[
                ("user_name", user_name.clone()),
                ("name", format!("{first} {last}")),
                ("first_name", (*first).to_owned()),
                ("last_name", (*last).to_owned()),
                ("email", format!("{user_name}@example.com")),
                ("title", if i < 7 { "Team Lead" } else { "Engineer" }.into()),
                ("department", GROUPS[i % GROUPS.len()].0.to_owned()),
                ("phone", format!("+1 555 01{i:02}")),
                ("manager", manager),
                ("vip", (i == 12).to_string()),
                ("active", (i != 19).to_string()),
                ("roles", "itil".into()),
            ],
        ));
    }
    let people: Vec<String> = users[3..].iter().map(id_of).collect();

    let groups: Vec<Row> = GROUPS
        .iter()
        .enumerate()
        .map(|(i, (name, description))| {
            record(
                "sys_user_group",
                name,
                t0,
                &[
                    ("name", (*name).to_owned()),
                    ("description", (*description).to_owned()),
                    ("manager", people[i].clone()),
                    (
                        "email",
                        format!("{}@example.com", name.to_lowercase().replace(' ', "-")),
                    ),
                    ("type", "itil".into()),
                    ("active", "true".into()),
                ],
            )
        })
        .collect();
    let group_ids: Vec<String> = groups.iter().map(id_of).collect();
    // Members of group g: its lead (person g) and persons 7+g and 14+g (when they exist).
    let member = |g: usize, n: usize| {
        let candidates = [g, 7 + g, 14 + g];
        let existing: Vec<usize> = candidates
            .into_iter()
            .filter(|p| *p < people.len())
            .collect();
        people[existing[n % existing.len()]].clone()
    };

    let categories: Vec<Row> = KB_CATEGORIES
        .iter()
        .map(|label| {
            record(
                "kb_category",
                label,
                t0,
                &[
                    ("label", (*label).to_owned()),
                    ("value", label.to_lowercase().replace(' ', "_")),
                    ("active", "true".into()),
                ],
            )
        })
        .collect();
    let category_ids: Vec<String> = categories.iter().map(id_of).collect();

    // Problems.
    let problem_topics = [
        (
            4,
            "Recurring deploy failures of checkout-service",
            "software",
        ),
        (1, "VPN concentrator drops tunnels hourly", "network"),
        (2, "Replication lag on orders-db under load", "database"),
        (3, "Checkout 500 errors during payment peaks", "software"),
        (5, "Endpoint signature updates blocked by proxy", "software"),
        (6, "Batch of laptops with swelling batteries", "hardware"),
    ];
    let problem_states = ["101", "102", "103", "104", "106", "107"];
    let mut problems = Vec::new();
    for i in 0..SEED_PROBLEMS {
        let (group, title, category) = problem_topics[i % problem_topics.len()];
        let number = format!("PRB{:07}", 40_001 + i);
        let opened = base_time() + Duration::days(3 * i as i64);
        let (impact, urgency) = (1 + i % 3, 1 + (i / 3) % 3);
        let state = problem_states[i % problem_states.len()];
        let title = if i < problem_topics.len() {
            title.to_owned()
        } else {
            format!("{title} (second occurrence)")
        };
        problems.push(record(
            "problem",
            &number,
            opened,
            &[
                ("number", number.clone()),
                ("short_description", title),
                ("description", "Root cause analysis in progress.".into()),
                ("state", state.into()),
                ("impact", impact.to_string()),
                ("urgency", urgency.to_string()),
                ("priority", priority(impact, urgency)),
                ("category", category.into()),
                ("assignment_group", group_ids[group].clone()),
                ("assigned_to", member(group, i)),
                ("opened_by", people[0].clone()),
                ("opened_at", stamp(opened)),
                ("known_error", (i % 3 == 0).to_string()),
                (
                    "workaround",
                    if i % 3 == 0 {
                        "Retry after refreshing credentials."
                    } else {
                        ""
                    }
                    .into(),
                ),
                ("active", (!matches!(state, "106" | "107")).to_string()),
            ],
        ));
    }
    let problem_ids: Vec<String> = problems.iter().map(id_of).collect();

    // Incidents.
    let states = ["1", "2", "3", "6", "7", "8", "2", "1", "6", "2"];
    let contact = ["email", "phone", "self-service", "walk-in", "monitoring"];
    let mut incidents = Vec::new();
    let mut journal = Vec::new();
    for i in 0..SEED_INCIDENTS {
        let (group, category, title, detail) = TOPICS[i % TOPICS.len()];
        let number = format!("INC{:07}", 10_001 + i);
        let opened = base_time() + Duration::hours(7 * i as i64);
        let state = states[i % states.len()];
        let (impact, urgency) = (1 + (i / 2) % 3, 1 + (i / 5) % 3);
        let resolved = matches!(state, "6" | "7");
        let assigned = if state == "1" && i % 3 == 0 {
            String::new()
        } else {
            member(group, i)
        };
        let short = if i == 42 {
            "Proxy rejects header rate=5^burst=10 from the API gateway".to_owned()
        } else if i >= TOPICS.len() {
            format!("{title} (#{})", i / TOPICS.len() + 1)
        } else {
            title.to_owned()
        };
        let resolved_at = stamp(opened + Duration::hours(5));
        let mut values = vec![
            ("number", number.clone()),
            ("short_description", short),
            (
                "description",
                format!("{detail} Reported via {}.", contact[i % contact.len()]),
            ),
            ("state", state.to_owned()),
            ("impact", impact.to_string()),
            ("urgency", urgency.to_string()),
            ("priority", priority(impact, urgency)),
            ("category", category.to_owned()),
            ("assignment_group", group_ids[group].clone()),
            ("assigned_to", assigned),
            ("caller_id", people[(i * 7 + 3) % people.len()].clone()),
            ("opened_by", people[(i * 7 + 3) % people.len()].clone()),
            ("opened_at", stamp(opened)),
            ("contact_type", contact[i % contact.len()].to_owned()),
            ("active", (!matches!(state, "6" | "7" | "8")).to_string()),
        ];
        if resolved {
            values.push(("close_code", CLOSE_CODES[i % CLOSE_CODES.len()].to_owned()));
            values.push(("close_notes", format!("Fixed: {}", detail.to_lowercase())));
            values.push(("resolved_at", resolved_at.clone()));
            values.push(("resolved_by", member(group, i + 1)));
        }
        if state == "7" {
            values.push(("closed_at", stamp(opened + Duration::days(2))));
            values.push(("closed_by", people[0].clone()));
        }
        if i % 4 == 0 {
            values.push((
                "correlation_id",
                format!("monitoring-alert-{:05}", 70_000 + i),
            ));
            values.push(("correlation_display", "Monitoring".into()));
        }
        if TOPICS[i % TOPICS.len()].0 == 4 {
            values.push(("problem_id", problem_ids[0].clone()));
        }
        let row = record("incident", &number, opened, &values);
        if i % 5 == 0 {
            let id = id_of(&row);
            journal.push((
                id.clone(),
                "comments",
                "Thanks, we are looking into it.".to_owned(),
                stamp(opened + Duration::minutes(10)),
            ));
            journal.push((
                id.clone(),
                "work_notes",
                format!("Triaged by {}.", GROUPS[group].0),
                stamp(opened + Duration::minutes(30)),
            ));
            if resolved {
                journal.push((
                    id,
                    "work_notes",
                    "Verified the fix with the caller.".to_owned(),
                    resolved_at.clone(),
                ));
            }
        }
        incidents.push(row);
    }

    // Change requests.
    let change_states = ["-5", "-4", "-3", "-2", "-1", "0", "3", "4"];
    let change_types = ["normal", "standard", "emergency"];
    let change_topics = [
        (4, "Roll out checkout-service 2.14", "Software"),
        (1, "Replace VPN concentrator firmware", "Network"),
        (2, "Upgrade orders-db to PostgreSQL 16", "Software"),
        (
            4,
            "Rotate registry credentials for prod namespace",
            "Service",
        ),
        (6, "Replace printer fleet on floor 2", "Hardware"),
        (5, "Enable phishing-resistant MFA", "Service"),
    ];
    let mut changes = Vec::new();
    for i in 0..SEED_CHANGES {
        let (group, title, category) = change_topics[i % change_topics.len()];
        let number = format!("CHG{:07}", 30_001 + i);
        let start = base_time() + Duration::days(2 * i as i64);
        let title = if i < change_topics.len() {
            title.to_owned()
        } else {
            format!("{title} (wave {})", i / change_topics.len() + 1)
        };
        let state = change_states[i % change_states.len()];
        changes.push(record(
            "change_request",
            &number,
            start - Duration::days(5),
            &[
                ("number", number.clone()),
                ("short_description", title),
                (
                    "description",
                    "Planned change; see implementation and backout plans.".into(),
                ),
                ("type", change_types[i % change_types.len()].into()),
                ("state", state.into()),
                ("risk", (2 + i % 3).to_string()),
                ("impact", (1 + i % 3).to_string()),
                ("priority", (1 + i % 4).to_string()),
                ("category", category.into()),
                ("assignment_group", group_ids[group].clone()),
                ("assigned_to", member(group, i)),
                ("requested_by", people[(i + 5) % people.len()].clone()),
                ("start_date", stamp(start)),
                ("end_date", stamp(start + Duration::hours(2))),
                ("justification", "Reduces incident volume.".into()),
                (
                    "implementation_plan",
                    "1. Announce. 2. Apply. 3. Verify.".into(),
                ),
                ("backout_plan", "Restore the previous version.".into()),
                (
                    "test_plan",
                    "Smoke tests in staging, then production.".into(),
                ),
                ("active", (!matches!(state, "3" | "4")).to_string()),
            ],
        ));
    }

    // Knowledge articles.
    let mut articles = Vec::new();
    for (i, (category, title, body, known_issue)) in ARTICLES.iter().enumerate().take(SEED_ARTICLES)
    {
        let number = format!("KB{:07}", 10_001 + i);
        let created = base_time() + Duration::days(5 * i as i64);
        let workflow = if title.contains("(retired)") {
            "retired"
        } else if title.starts_with("Draft:") {
            "draft"
        } else {
            "published"
        };
        let meta = if *known_issue {
            "known issue, workaround"
        } else {
            "how-to"
        };
        articles.push(record(
            "kb_knowledge",
            &number,
            created,
            &[
                ("number", number.clone()),
                ("short_description", (*title).to_owned()),
                (
                    "text",
                    format!("<h2>{}</h2><p>{body}</p>", html_escape(title)),
                ),
                ("workflow_state", workflow.into()),
                ("kb_category", category_ids[*category].clone()),
                ("author", people[i % people.len()].clone()),
                (
                    "published",
                    if workflow == "published" {
                        created.format("%Y-%m-%d").to_string()
                    } else {
                        String::new()
                    },
                ),
                ("valid_to", "2100-01-01".into()),
                ("sys_view_count", (i * 37 % 500).to_string()),
                ("meta", meta.into()),
                ("active", (workflow != "retired").to_string()),
            ],
        ));
    }

    // Choice rows, generated from the schema.
    let mut choices = Vec::new();
    for table in TABLES {
        for field in table.fields {
            if let Kind::Choice { .. } = field.kind {
                for (sequence, (value, label)) in
                    schema::choices(table.name, field.name).iter().enumerate()
                {
                    let key = format!("{}.{}.{value}", table.name, field.name);
                    choices.push(record(
                        "sys_choice",
                        &key,
                        t0,
                        &[
                            ("name", table.name.into()),
                            ("element", field.name.into()),
                            ("value", (*value).into()),
                            ("label", (*label).into()),
                            ("sequence", sequence.to_string()),
                            ("language", "en".into()),
                            ("inactive", "false".into()),
                        ],
                    ));
                }
            }
        }
    }

    store.numbers.insert("INC", 10_000 + SEED_INCIDENTS as u32);
    store.numbers.insert("PRB", 40_000 + SEED_PROBLEMS as u32);
    store.numbers.insert("CHG", 30_000 + SEED_CHANGES as u32);
    store.numbers.insert("KB", 10_000 + SEED_ARTICLES as u32);
    for (name, rows) in [
        ("sys_user", users),
        ("sys_user_group", groups),
        ("kb_category", categories),
        ("problem", problems),
        ("incident", incidents),
        ("change_request", changes),
        ("kb_knowledge", articles),
        ("sys_choice", choices),
        ("sys_journal_field", Vec::new()),
        ("sys_audit", Vec::new()),
    ] {
        store.tables.insert(name, rows);
    }
    for (id, element, text, at) in journal {
        let author = "admin";
        store.add_journal("incident", &id, element, &text, author, &at);
    }
    store
}

fn priority(impact: usize, urgency: usize) -> String {
    schema::priority_for(&impact.to_string(), &urgency.to_string())
        .unwrap_or("5")
        .to_owned()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn seed_is_deterministic_and_large_enough() {
        let a = seed("admin");
        let b = seed("admin");
        assert_eq!(a.tables, b.tables);
        assert_eq!(a.rows("incident").len(), SEED_INCIDENTS);
        assert!(a.rows("sys_user").len() >= 20);
        assert!(a.rows("kb_knowledge").len() >= 25);
        assert!(a.rows("change_request").len() >= 15);
        assert!(a.rows("problem").len() >= 10);
        let states: BTreeSet<&str> = a
            .rows("incident")
            .iter()
            .map(|r| r["state"].as_str())
            .collect();
        assert_eq!(states, ["1", "2", "3", "6", "7", "8"].into_iter().collect());
        let groups: BTreeSet<&str> = a
            .rows("incident")
            .iter()
            .map(|r| r["assignment_group"].as_str())
            .collect();
        assert!(groups.len() >= 5);
        let workflows: BTreeSet<&str> = a
            .rows("kb_knowledge")
            .iter()
            .map(|r| r["workflow_state"].as_str())
            .collect();
        assert_eq!(
            workflows,
            ["draft", "published", "retired"].into_iter().collect()
        );
        assert_eq!(a.rows("incident")[0]["number"], "INC0010001");
    }

    #[test]
    fn every_reference_in_the_seed_resolves() {
        let store = seed("admin");
        for table in TABLES {
            for row in store.rows(table.name) {
                for field in table.all_fields() {
                    if let Kind::Reference(target) = field.kind {
                        let value = &row[field.name];
                        assert!(
                            value.is_empty() || store.find(target, value).is_some(),
                            "{}.{} = {value}",
                            table.name,
                            field.name
                        );
                    }
                }
            }
        }
    }
}
