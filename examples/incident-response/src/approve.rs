//! Who approves a write: a person at a terminal (y/N), `--yes`, or a script
//! (tests). Every write of the workflow, compensations included, is shown as
//! a preview and goes upstream only after [`Approve::approve`] says yes.

use std::io::{BufRead, IsTerminal, Write};

/// A write waiting for approval: what the connector's preview says.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The connector (`servicenow`, `jira`, `zapier`).
    pub connector: &'static str,
    /// The write tool (`create_incident`).
    pub tool: String,
    /// The preview's one-line summary.
    pub summary: String,
    /// Whether this write compensates an earlier one.
    pub compensation: bool,
}

/// Decides whether a previewed write goes ahead.
pub trait Approve: Send {
    /// `true` to send the write, `false` to refuse it.
    fn approve(&mut self, write: &Pending) -> bool;
}

/// `--yes`: approves every write, compensations included.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproveAll;

impl Approve for ApproveAll {
    fn approve(&mut self, _write: &Pending) -> bool {
        true
    }
}

/// Asks on the terminal: `Approve? [y/N]`. Anything but `y`/`yes` refuses,
/// and so does a stdin that is not a terminal (pass `--yes` to run unattended).
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal;

impl Approve for Terminal {
    #[allow(clippy::print_stdout)]
    fn approve(&mut self, write: &Pending) -> bool {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            println!(
                "    refused: stdin is not a terminal, so nobody can approve this write \
                 (pass --yes to approve every write)"
            );
            return false;
        }
        let what = if write.compensation {
            "this compensating write"
        } else {
            "this write"
        };
        print!(
            "    Approve {what} ({} {})? [y/N] ",
            write.connector, write.tool
        );
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        // Reading blocks this thread; on the multi-threaded runtime the
        // suite keeps serving on the others.
        let mut read = || stdin.lock().read_line(&mut line);
        let result = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(&mut read)
            }
            _ => read(),
        };
        match result {
            Ok(_) => is_yes(&line),
            Err(_) => false,
        }
    }
}

/// `y` or `yes` (any case, surrounding blanks ignored).
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Answers from a list, in order, and refuses once the list is used up;
/// remembers every write it was asked about (for tests and scripts).
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    answers: std::collections::VecDeque<bool>,
    /// Every write asked about, in order, with the answer given.
    pub asked: Vec<(Pending, bool)>,
}

impl Scripted {
    /// Answers `answers` in order, then `false`.
    pub fn new(answers: impl IntoIterator<Item = bool>) -> Self {
        Scripted {
            answers: answers.into_iter().collect(),
            asked: Vec::new(),
        }
    }
}

impl Approve for Scripted {
    fn approve(&mut self, write: &Pending) -> bool {
        let answer = self.answers.pop_front().unwrap_or(false);
        self.asked.push((write.clone(), answer));
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_approves() {
        for yes in ["y", "Y", " yes\n", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "y es"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn a_script_refuses_once_used_up() {
        let p = Pending {
            connector: "jira",
            tool: "create_issue".into(),
            summary: "s".into(),
            compensation: false,
        };
        let mut s = Scripted::new([true]);
        assert!(s.approve(&p));
        assert!(!s.approve(&p));
        assert_eq!(s.asked.len(), 2);
    }
}
