//! The `tools` subcommand: what a deployment exposes and what it costs in
//! context.

use rmcp::model::Tool;
use serde::Serialize;

use crate::connector::Connector;
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
/// `<!-- tools:start -->` and `<!-- tools:end -->`), generated from the
/// connector's specs and router (every tool, whatever the policy), so a test
/// can fail when the README drifts.
pub fn markdown_table<C: Connector>() -> String {
    let tools = C::router().list_all();
    let mut out =
        String::from("| tool | toolset | effect | tier | what it does |\n|---|---|---|---|---|\n");
    for spec in C::tool_specs() {
        let Some(tool) = tools.iter().find(|t| t.name == spec.name) else {
            continue;
        };
        let description = tool.description.as_deref().unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | **{}.** {} |\n",
            spec.name,
            spec.toolset,
            spec.effect,
            spec.tier,
            tool.title.as_deref().unwrap_or(spec.name),
            description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace('|', "\\|")
        ));
    }
    out
}

/// Checks that the README at `path` holds [`markdown_table`] between
/// `<!-- tools:start -->` and `<!-- tools:end -->`. With `UPDATE_README` set
/// in the environment it rewrites the section instead. Connector tests call
/// this so the README's tool table can never drift from the code.
pub fn check_readme<C: Connector>(path: &str) -> Result<(), String> {
    const START: &str = "<!-- tools:start -->\n";
    const END: &str = "<!-- tools:end -->";
    let readme = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let from = readme
        .find(START)
        .ok_or(format!("{path} has no {START:?} marker"))?
        + START.len();
    let to = readme
        .find(END)
        .ok_or(format!("{path} has no {END:?} marker"))?;
    let expected = markdown_table::<C>();
    if readme[from..to] == expected {
        return Ok(());
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..from], &readme[to..]);
        return std::fs::write(path, updated).map_err(|e| format!("{path}: {e}"));
    }
    Err(format!(
        "{path}: the tool table is out of date; rerun the test with UPDATE_README=1, \
         or replace the lines between the markers with:\n\n{expected}"
    ))
}
