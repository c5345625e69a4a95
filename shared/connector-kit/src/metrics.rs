//! Prometheus metrics for `/metrics`: tool calls by tool and outcome, and
//! their latency. Kept deliberately small; the text format is written by hand.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// (tool, outcome) → (calls, seconds).
type Calls = BTreeMap<(String, &'static str), (u64, f64)>;

/// Call counters. Shared by every mounted connector of a process.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: parking_lot::Mutex<Calls>,
}

impl Metrics {
    /// Counts one call of `tool` with `outcome` that took `took`.
    pub fn record_call(&self, tool: &str, outcome: &'static str, took: Duration) {
        let mut calls = self.calls.lock();
        let entry = calls.entry((tool.to_owned(), outcome)).or_default();
        entry.0 += 1;
        entry.1 += took.as_secs_f64();
    }

    /// The Prometheus text exposition.
    pub fn render(&self, prefix: &str) -> String {
        let calls = self.calls.lock();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP mcp_tool_calls_total Tool calls by tool and outcome."
        );
        let _ = writeln!(out, "# TYPE mcp_tool_calls_total counter");
        for ((tool, outcome), (n, _)) in calls.iter() {
            let _ = writeln!(
                out,
                "mcp_tool_calls_total{{connector=\"{prefix}\",tool=\"{tool}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP mcp_tool_call_seconds_total Time spent in tool calls."
        );
        let _ = writeln!(out, "# TYPE mcp_tool_call_seconds_total counter");
        for ((tool, outcome), (_, secs)) in calls.iter() {
            let _ = writeln!(
                out,
                "mcp_tool_call_seconds_total{{connector=\"{prefix}\",tool=\"{tool}\",outcome=\"{outcome}\"}} {secs:.6}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters() {
        let m = Metrics::default();
        m.record_call("list_hooks", "ok", Duration::from_millis(2));
        m.record_call("list_hooks", "ok", Duration::from_millis(2));
        let text = m.render("zapier");
        assert!(
            text.contains(
                "mcp_tool_calls_total{connector=\"zapier\",tool=\"list_hooks\",outcome=\"ok\"} 2"
            ),
            "{text}"
        );
    }
}
