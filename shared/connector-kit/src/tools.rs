//! The `tools` subcommand: what a deployment exposes and what it costs in
//! context.

use rmcp::model::Tool;
use serde::Serialize;

use crate::policy::ToolSpec;

/// One row of `tools` output.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRow {
    /// Tool name.
    pub name: String,
    /// Toolset.
    pub toolset: String,
    /// Effect.
    pub effect: String,
    /// Tier.
    pub tier: u8,
    /// `readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`.
    pub annotations: [bool; 4],
    /// Bytes of the tool's JSON in `tools/list`.
    pub schema_bytes: usize,
    /// Estimated tokens (bytes / 4, rounded up).
    pub est_tokens: usize,
}

/// Rows for the enabled tools.
pub fn tool_rows(tools: &[Tool], specs: &[ToolSpec]) -> Vec<ToolRow> {
    tools
        .iter()
        .filter_map(|t| {
            let spec = specs.iter().find(|s| s.name == t.name)?;
            let bytes = serde_json::to_vec(t).map(|v| v.len()).unwrap_or(0);
            let a = t.annotations.clone().unwrap_or_default();
            Some(ToolRow {
                name: t.name.to_string(),
                toolset: spec.toolset.to_owned(),
                effect: spec.effect.as_str().to_owned(),
                tier: spec.tier.number(),
                annotations: [
                    a.read_only_hint.unwrap_or(false),
                    a.destructive_hint.unwrap_or(true),
                    a.idempotent_hint.unwrap_or(false),
                    a.open_world_hint.unwrap_or(true),
                ],
                schema_bytes: bytes,
                est_tokens: bytes.div_ceil(4),
            })
        })
        .collect()
}

/// Prints rows as a table or JSON on stdout.
#[allow(clippy::print_stdout)]
pub fn print_tools(connector: &str, rows: &[ToolRow], json: bool) {
    if json {
        let out = serde_json::json!({"connector": connector, "tools": rows});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return;
    }
    println!(
        "{:<22} {:<10} {:<12} {:>4}  {:<15} {:>7} {:>7}",
        "TOOL", "TOOLSET", "EFFECT", "TIER", "RO DE ID OW", "BYTES", "TOKENS"
    );
    let flag = |b: bool| if b { "y " } else { "- " };
    let (mut bytes, mut tokens) = (0, 0);
    for r in rows {
        let [ro, de, id, ow] = r.annotations;
        println!(
            "{:<22} {:<10} {:<12} {:>4}  {}{}{}{}     {:>7} {:>7}",
            r.name,
            r.toolset,
            r.effect,
            r.tier,
            flag(ro),
            flag(de),
            flag(id),
            flag(ow),
            r.schema_bytes,
            r.est_tokens
        );
        bytes += r.schema_bytes;
        tokens += r.est_tokens;
    }
    println!(
        "{} tools, {bytes} bytes, ~{tokens} tokens in tools/list",
        rows.len()
    );
}

/// The Markdown tool table of a connector README (between
/// `<!-- tools:start -->` and `<!-- tools:end -->`), generated from code so a
/// test can fail when the README drifts.
pub fn markdown_table(tools: &[Tool], specs: &[ToolSpec]) -> String {
    let mut out = String::from(
        "| tool | toolset | effect | tier | what it is for |\n|---|---|---|---|---|\n",
    );
    let mut sorted: Vec<&ToolSpec> = specs.iter().collect();
    sorted.sort_by_key(|s| (s.toolset, s.name));
    for spec in sorted {
        let Some(tool) = tools.iter().find(|t| t.name == spec.name) else {
            continue;
        };
        let what = tool.description.as_deref().unwrap_or_default();
        let first = first_sentence(what);
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {}. |\n",
            spec.name,
            spec.toolset,
            spec.effect,
            spec.tier,
            first.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

/// The text between `<!-- tools:start -->` and `<!-- tools:end -->` in `readme`.
pub fn readme_section(readme: &str) -> Option<&str> {
    let start = readme.find("<!-- tools:start -->")? + "<!-- tools:start -->".len();
    let end = readme[start..].find("<!-- tools:end -->")? + start;
    Some(readme[start..end].trim_matches('\n'))
}

/// The first sentence of `text`: up to a ". " followed by a capital letter.
fn first_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(". ") {
        if bytes.get(i + 2).is_some_and(|b| b.is_ascii_uppercase()) {
            return &text[..i];
        }
    }
    text.trim_end_matches('.')
}
