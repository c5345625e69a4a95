//! The incident workflow's shared facts: which repository, knowledge query,
//! project and summaries it uses against the mocks' seed, and how to pick the
//! error out of a failed job's log. `mcp-suite demo` and
//! `examples/incident-response` both run this workflow.

/// The repository whose failed Actions run starts the workflow (the mock's
/// seeded `acme/api`).
pub const OWNER: &str = mock_github::ORG;
/// See [`OWNER`].
pub const REPO: &str = "api";
/// How many lines of the failed job's log are fetched.
pub const TAIL_LINES: u32 = 20;
/// The words searched in the knowledge base (they find the seed's "Known
/// issue: failing deploy rolls back after health check timeout").
pub const KNOWLEDGE_QUERY: &str = "health check timeout";
/// The short description of the ServiceNow incident.
pub const INCIDENT_SUMMARY: &str = "checkout-api deploy failing: health check timeout";
/// The Jira project the bug is filed in (one of the mock's seed projects).
pub const PROJECT: &str = "OPS";
/// The summary of the Jira bug.
pub const BUG_SUMMARY: &str = "Deploy failing: health check timeout";
/// The custom field (Severity) a Bug requires on the mock (and on many real sites).
pub const SEVERITY_FIELD: &str = "customfield_10010";

/// A log line without its leading timestamp (`2024-05-01T14:02:03.1234567Z …`).
pub fn strip_timestamp(line: &str) -> &str {
    match line.split_once(' ') {
        Some((first, rest))
            if first.ends_with('Z') && first.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            rest
        }
        _ => line,
    }
}

/// The most telling error line of a log tail: the first line saying what
/// went wrong, rather than the runner's closing "exit code" line.
pub fn error_line(log: &str) -> Option<String> {
    let lines: Vec<&str> = log.lines().map(strip_timestamp).collect();
    let generic = |l: &str| l.starts_with("##[error]Process completed");
    lines
        .iter()
        .find(|l| {
            let lower = l.to_ascii_lowercase();
            !generic(l)
                && (lower.starts_with("error")
                    || lower.starts_with("##[error]")
                    || lower.contains("panicked at"))
        })
        .or_else(|| lines.iter().find(|l| generic(l)))
        .map(|l| l.trim().to_owned())
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_line_prefers_the_cause_over_the_exit_code() {
        let log = "2024-05-01T14:02:03.0000000Z deploy: waiting\n\
                   2024-05-01T14:02:04.0000000Z Error: deployment failed: health check timed out\n\
                   2024-05-01T14:02:05.0000000Z ##[error]Process completed with exit code 1.";
        assert_eq!(
            error_line(log).as_deref(),
            Some("Error: deployment failed: health check timed out")
        );
        let only_exit = "2024-05-01T14:02:05.0000000Z ##[error]Process completed with exit code 1.";
        assert_eq!(
            error_line(only_exit).as_deref(),
            Some("##[error]Process completed with exit code 1.")
        );
        assert_eq!(error_line("all good"), None);
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
