//! Write plans: what a write will do, precisely enough for a human to approve.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Effect, Tier};

/// One field a write sets. For updates `before` is read from the upstream so
/// the preview is a real before → after diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// Field name as the upstream knows it.
    pub field: String,
    /// Current value (absent for creates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Value after the write (absent when the field is cleared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// Everything the guard and the human need to decide on one write.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WritePlan {
    /// The upstream system, e.g. `zapier`, `jira`.
    pub system: String,
    /// The tool that wants to write.
    pub tool: String,
    /// What is written to, in user terms: `hook "page-oncall"`, `issue OPS-12`.
    pub target: String,
    /// The effect of this particular write.
    pub effect: Effect,
    /// Risk tier of this particular write (may be above the tool's default).
    pub tier: Tier,
    /// The write-scope key checked against the deployment's allow-list
    /// (a Jira project, a GitHub repo, a ServiceNow table, a hook name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// One sentence a human can approve or refuse.
    pub summary: String,
    /// The exact field changes.
    pub changes: Vec<FieldChange>,
}

impl WritePlan {
    /// A plan with no field changes yet; add them with [`WritePlan::change`].
    pub fn new(
        system: impl Into<String>,
        tool: impl Into<String>,
        effect: Effect,
        target: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        WritePlan {
            system: system.into(),
            tool: tool.into(),
            target: target.into(),
            effect,
            tier: effect.default_tier(),
            scope: None,
            summary: summary.into(),
            changes: Vec::new(),
        }
    }

    /// Sets the write-scope key.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Overrides the tier.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }

    /// Adds a field change.
    pub fn change(
        mut self,
        field: impl Into<String>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        self.changes.push(FieldChange {
            field: field.into(),
            before,
            after,
        });
        self
    }

    /// The preview as plain text, for elicitation messages and text blocks.
    pub fn preview_text(&self) -> String {
        let mut out = format!(
            "{} — {} ({}, tier {}) on {}: {}",
            self.system, self.tool, self.effect, self.tier, self.target, self.summary
        );
        for c in &self.changes {
            let show = |v: &Option<Value>| match v {
                None => "∅".to_owned(),
                Some(Value::String(s)) => clip(s, 200),
                Some(v) => clip(&v.to_string(), 200),
            };
            if c.before.is_some() {
                out.push_str(&format!(
                    "\n  • {}: {} → {}",
                    c.field,
                    show(&c.before),
                    show(&c.after)
                ));
            } else {
                out.push_str(&format!("\n  • {}: {}", c.field, show(&c.after)));
            }
        }
        out
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn preview_shows_diff_and_clips() {
        let p = WritePlan::new(
            "jira",
            "update_issue",
            Effect::Update,
            "issue OPS-1",
            "Change summary",
        )
        .change("summary", Some(json!("old")), Some(json!("new")))
        .change("description", None, Some(json!("x".repeat(500))));
        let t = p.preview_text();
        assert!(t.contains("summary: old → new"), "{t}");
        assert!(t.contains("…"));
        assert!(t.contains("tier 3"));
    }
}
