//! The saga log: every write the workflow completed, in order, and the
//! compensating writes that undo them, newest first.
//!
//! Pure logic, no I/O: the workflow records a [`Done`] after each confirmed
//! write and, when a later write fails or is declined, asks
//! [`Saga::compensations`] what to send, in which order.

use serde_json::{Value, json};

/// A write the workflow completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// `servicenow create_incident`: the incident's number (`INC0010051`).
    Incident {
        /// Incident number.
        number: String,
    },
    /// `jira create_issue`: the bug's key (`OPS-42`).
    JiraBug {
        /// Issue key.
        key: String,
    },
    /// `zapier trigger_hook`: the page to the on-call (its receipt id).
    Page {
        /// The connector's receipt id.
        receipt: String,
    },
}

impl Done {
    /// What was written, for people: `ServiceNow incident INC0010051`.
    pub fn describe(&self) -> String {
        match self {
            Done::Incident { number } => format!("ServiceNow incident {number}"),
            Done::JiraBug { key } => format!("Jira bug {key}"),
            Done::Page { receipt } => format!("on-call page (receipt {receipt})"),
        }
    }
}

/// One compensating write: a tool call on one connector, confirmed like
/// every other write.
#[derive(Debug, Clone, PartialEq)]
pub struct Compensation {
    /// The connector (`jira`, `servicenow`).
    pub connector: &'static str,
    /// The write tool.
    pub tool: &'static str,
    /// Its arguments (without a confirmation token).
    pub args: Value,
    /// What it does, for people.
    pub what: String,
    /// Which completed write it compensates.
    pub undoes: String,
}

/// The Jira transition a compensated bug takes, unless the issue offers a
/// better-named one (see [`pick_close_transition`]).
pub const CLOSE_TRANSITION: &str = "Done";
/// The Jira resolution a compensated bug gets.
pub const CLOSE_RESOLUTION: &str = "Won't Do";
/// The ServiceNow resolution code a compensated incident gets.
pub const CLOSE_CODE: &str = "No resolution provided";

/// The completed writes of one run, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Saga {
    done: Vec<Done>,
}

impl Saga {
    /// Records a completed write.
    pub fn record(&mut self, done: Done) {
        self.done.push(done);
    }

    /// The completed writes, oldest first.
    pub fn done(&self) -> &[Done] {
        &self.done
    }

    /// The compensating writes for everything done so far, newest write
    /// first; `reason` says why the workflow is rolled back. A page cannot
    /// be recalled, so it has none (it is always the last write, so a page
    /// is never followed by a failure that would roll it back).
    pub fn compensations(&self, reason: &str) -> Vec<Compensation> {
        let mut out = Vec::new();
        let others: Vec<String> = self.done.iter().map(Done::describe).collect();
        for (i, done) in self.done.iter().enumerate().rev() {
            let related: Vec<&str> = others
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| d.as_str())
                .collect();
            let context = if related.is_empty() {
                String::new()
            } else {
                format!(" (with {})", related.join(", "))
            };
            let undoes = done.describe();
            match done {
                Done::JiraBug { key } => {
                    out.push(Compensation {
                        connector: "jira",
                        tool: "add_comment",
                        args: json!({
                            "key": key,
                            "body": format!(
                                "**Rolled back by incident-response.** This bug was filed by an \
                                 incident workflow run{context} that did not complete: {reason}.\n\n\
                                 It is closed as *{CLOSE_RESOLUTION}*; the next run of the workflow \
                                 files a new one."
                            ),
                        }),
                        what: format!("comment on {key}: why it is rolled back"),
                        undoes: undoes.clone(),
                    });
                    out.push(Compensation {
                        connector: "jira",
                        tool: "transition_issue",
                        args: json!({
                            "key": key,
                            "transition": CLOSE_TRANSITION,
                            "resolution": CLOSE_RESOLUTION,
                        }),
                        what: format!("close {key} ({CLOSE_RESOLUTION})"),
                        undoes,
                    });
                }
                Done::Incident { number } => {
                    out.push(Compensation {
                        connector: "servicenow",
                        tool: "add_work_note",
                        args: json!({
                            "id": number,
                            "text": format!(
                                "Rolled back by incident-response: this incident was opened by an \
                                 incident workflow run{context} that did not complete: {reason}. \
                                 It is resolved with \"{CLOSE_CODE}\"; the next run opens a new one."
                            ),
                        }),
                        what: format!("work note on {number}: why it is rolled back"),
                        undoes: undoes.clone(),
                    });
                    out.push(Compensation {
                        connector: "servicenow",
                        tool: "resolve_incident",
                        args: json!({
                            "id": number,
                            "close_code": CLOSE_CODE,
                            "close_notes": format!("Rolled back by incident-response: {reason}."),
                        }),
                        what: format!("resolve {number} ({CLOSE_CODE})"),
                        undoes,
                    });
                }
                Done::Page { .. } => {}
            }
        }
        out
    }
}

/// The transition that closes an issue, from `get_transitions`' list: one
/// leading to (or named) Done, Closed, Resolved or Cancelled; else
/// [`CLOSE_TRANSITION`].
pub fn pick_close_transition(transitions: &[Value]) -> String {
    const CLOSING: [&str; 5] = ["done", "closed", "close", "resolved", "cancelled"];
    let closes = |t: &&Value| {
        ["to", "name"].iter().any(|k| {
            t[*k]
                .as_str()
                .is_some_and(|s| CLOSING.contains(&s.to_ascii_lowercase().as_str()))
        })
    };
    transitions
        .iter()
        .find(closes)
        .and_then(|t| t["id"].as_str().or(t["name"].as_str()))
        .unwrap_or(CLOSE_TRANSITION)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saga() -> Saga {
        let mut s = Saga::default();
        s.record(Done::Incident {
            number: "INC0010051".into(),
        });
        s.record(Done::JiraBug {
            key: "OPS-42".into(),
        });
        s
    }

    #[test]
    fn compensations_run_newest_first_each_with_a_reason() {
        let c = saga().compensations("the on-call page failed: 503");
        let calls: Vec<(&str, &str)> = c.iter().map(|c| (c.connector, c.tool)).collect();
        assert_eq!(
            calls,
            [
                ("jira", "add_comment"),
                ("jira", "transition_issue"),
                ("servicenow", "add_work_note"),
                ("servicenow", "resolve_incident"),
            ]
        );
        let comment = c[0].args["body"].as_str().unwrap();
        assert!(
            comment.contains("the on-call page failed: 503"),
            "{comment}"
        );
        assert!(
            comment.contains("ServiceNow incident INC0010051"),
            "{comment}"
        );
        assert_eq!(c[1].args["key"], "OPS-42");
        assert_eq!(c[1].args["resolution"], CLOSE_RESOLUTION);
        let note = c[2].args["text"].as_str().unwrap();
        assert!(note.contains("the on-call page failed: 503"), "{note}");
        assert!(note.contains("Jira bug OPS-42"), "{note}");
        assert_eq!(c[3].args["id"], "INC0010051");
        assert_eq!(c[3].args["close_code"], CLOSE_CODE);
    }

    #[test]
    fn nothing_done_means_nothing_to_compensate_and_a_page_has_no_undo() {
        assert!(Saga::default().compensations("x").is_empty());
        let mut s = Saga::default();
        s.record(Done::Page {
            receipt: "r-1".into(),
        });
        assert!(s.compensations("x").is_empty());
        let mut one = Saga::default();
        one.record(Done::Incident {
            number: "INC1".into(),
        });
        let c = one.compensations("the human declined");
        assert_eq!(c.len(), 2);
        assert!(!c[0].args["text"].as_str().unwrap().contains("(with"));
    }

    #[test]
    fn the_closing_transition_is_found_by_target_or_name() {
        let list = [
            json!({"id": "21", "name": "Start Progress", "to": "In Progress"}),
            json!({"id": "41", "name": "Finish", "to": "Done"}),
        ];
        assert_eq!(pick_close_transition(&list), "41");
        let named = [json!({"id": "7", "name": "Closed"})];
        assert_eq!(pick_close_transition(&named), "7");
        assert_eq!(
            pick_close_transition(&[json!({"id": "1", "name": "Reopen"})]),
            CLOSE_TRANSITION
        );
    }
}
