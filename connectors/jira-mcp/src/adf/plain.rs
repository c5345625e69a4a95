//! ADF → plain text, for search snippets and text-only views.

use serde_json::Value;

use super::{attr_str, children, node_type, text_of};

/// Flattens an ADF document (or any node) to plain text: blocks on their own
/// lines, list items prefixed with `- `, table cells separated by ` | `,
/// mentions, emoji, statuses, dates and cards by their visible text.
pub fn adf_to_plain_text(doc: &Value) -> String {
    let mut out = String::new();
    match doc {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => write_blocks(items, &mut out),
        _ => write_node(doc, &mut out),
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    out
}

fn write_blocks(blocks: &[Value], out: &mut String) {
    for block in blocks {
        write_node(block, out);
    }
}

/// Ends the current line if anything is on it.
fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn write_node(node: &Value, out: &mut String) {
    match node_type(node) {
        "text" => out.push_str(text_of(node)),
        "hardBreak" => out.push('\n'),
        "mention" => {
            let text = attr_str(node, "text").unwrap_or("");
            if !text.starts_with('@') {
                out.push('@');
            }
            out.push_str(text);
        }
        "emoji" => out.push_str(
            attr_str(node, "text")
                .or_else(|| attr_str(node, "shortName"))
                .unwrap_or(""),
        ),
        "status" => {
            out.push('[');
            out.push_str(attr_str(node, "text").unwrap_or(""));
            out.push(']');
        }
        "date" => {
            let ts = node.get("attrs").and_then(|a| a.get("timestamp"));
            let ms = ts.and_then(|t| t.as_i64().or_else(|| t.as_str()?.parse().ok()));
            match ms {
                Some(ms) => out.push_str(&format_date(ms)),
                None => out.push_str("date"),
            }
        }
        "inlineCard" | "blockCard" | "embedCard" => {
            newline_if_block(node, out);
            out.push_str(attr_str(node, "url").unwrap_or(""));
        }
        "placeholder" => out.push_str(attr_str(node, "text").unwrap_or("")),
        "media" => {
            newline(out);
            out.push_str("[attachment");
            if let Some(name) = attr_str(node, "alt") {
                out.push_str(": ");
                out.push_str(name);
            }
            out.push(']');
        }
        "listItem" | "taskItem" | "decisionItem" => {
            newline(out);
            out.push_str(match (node_type(node), attr_str(node, "state")) {
                ("taskItem", Some("DONE")) => "[x] ",
                ("taskItem", _) => "[ ] ",
                _ => "- ",
            });
            write_children_inline_first(node, out);
        }
        "tableRow" => {
            newline(out);
            for (i, cell) in children(node).iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                let mut cell_text = String::new();
                write_blocks(children(cell), &mut cell_text);
                out.push_str(cell_text.trim().replace('\n', " ").as_str());
            }
            out.push('\n');
        }
        "expand" | "nestedExpand" => {
            newline(out);
            if let Some(title) = attr_str(node, "title") {
                out.push_str(title);
                out.push('\n');
            }
            write_blocks(children(node), out);
        }
        ty => {
            let block = !super::is_inline_type(ty);
            if block {
                newline(out);
            }
            write_blocks(children(node), out);
            if children(node).is_empty()
                && let Some(text) = node.get("text").and_then(Value::as_str)
            {
                out.push_str(text);
            }
            if block {
                newline(out);
            }
        }
    }
}

fn newline_if_block(node: &Value, out: &mut String) {
    if node_type(node) != "inlineCard" {
        newline(out);
    }
}

/// List items: the first paragraph continues the marker line.
fn write_children_inline_first(node: &Value, out: &mut String) {
    for (i, child) in children(node).iter().enumerate() {
        if i == 0 && node_type(child) == "paragraph" {
            write_blocks(children(child), out);
            out.push('\n');
        } else {
            write_node(child, out);
        }
    }
    newline(out);
}

/// Formats a Unix timestamp in milliseconds as `YYYY-MM-DD` (UTC).
pub(super) fn format_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
