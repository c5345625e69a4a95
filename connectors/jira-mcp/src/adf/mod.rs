//! Markdown ↔ Atlassian Document Format (ADF) conversion, plus Jira wiki markup
//! for Jira Server / Data Center.
//!
//! Jira Cloud stores rich text (descriptions, comments, rich-text fields) as ADF,
//! a JSON tree; MCP clients read and write Markdown. This module converts both
//! ways so that **nothing is lost**: constructs Markdown can express map to
//! Markdown, everything else is carried through in a *placeholder* that embeds
//! the original node, so `markdown_to_adf(&adf_to_markdown(doc))` restores the
//! document exactly (modulo the normalisation described below).
//!
//! # Mapping
//!
//! | ADF                                            | Markdown                                                   |
//! |------------------------------------------------|------------------------------------------------------------|
//! | `paragraph`                                    | paragraph (blocks are separated by a blank line)          |
//! | `heading` (`attrs.level` 1–6)                   | ATX heading `#` … `######`                                  |
//! | `text` + `strong` / `em` / `strike`             | `**x**` / `*x*` / `~~x~~`                                  |
//! | `text` + `code`                                | `` `x` `` (fence length adapts to backticks in the text)   |
//! | `text` + `link` (`href`, optional `title`)      | `[x](href "title")`, or `<href>` when text equals href    |
//! | `text` + `underline` / `subsup`                | `<u>x</u>` / `<sub>x</sub>` / `<sup>x</sup>`                |
//! | `hardBreak`                                    | backslash line break (`<br>` in headings and table cells) |
//! | `bulletList` / `orderedList` (`attrs.order`) / `listItem` | `-` / `1.` lists, nested by indentation, start number kept |
//! | `codeBlock` (`attrs.language`)                 | fenced code block with info string                        |
//! | `blockquote`                                   | `>` block quote                                            |
//! | `rule`                                         | `---`                                                      |
//! | `table` / `tableRow` / `tableHeader` / `tableCell` | GFM table (first row headers, one paragraph per cell)   |
//! | `mention` with only `id` + `text`               | `[@Name](accountid:ID)`                                    |
//! | anything else, inline                          | inline placeholder `[readable](adf:BASE64URL)`             |
//! | anything else, block                           | block placeholder (below)                                  |
//!
//! When mark delimiters would not survive CommonMark's flanking rules (e.g.
//! `**foo **bar`), the run is re-rendered with HTML tags (`<strong>`, `<em>`,
//! `<del>`, `<code>` …), which the parser reads back; every rendered inline
//! sequence that carries marks or non-text nodes is verified by re-parsing it,
//! and if even the HTML form cannot reproduce it the whole block becomes a
//! block placeholder. Correctness therefore never depends on the escaping being
//! clever, only on the placeholders being exact.
//!
//! # Placeholders
//!
//! * **Block placeholder** — an HTML comment carrying the node as compact JSON
//!   (`<` and `>` escaped as `\u003c` / `\u003e`, so the comment can never be
//!   terminated early), followed by a readable Markdown rendering, closed by
//!   `<!--/adf-->`:
//!
//!   ```text
//!   <!--adf:{"type":"panel","attrs":{"panelType":"warning"},"content":[…]}-->
//!
//!   > **Warning:**
//!   >
//!   > Deploys are frozen.
//!
//!   <!--/adf-->
//!   ```
//!
//!   Readable renderings: panel → block quote with a `Note:`/`Warning:` … label,
//!   expand → bold title + content, media → `[attachment: name]`, task and
//!   decision lists → lists, tables Markdown cannot hold → flattened GFM table,
//!   unknown nodes → their plain text. On the way back everything between the
//!   markers is skipped and the embedded node is restored in place, so edits
//!   made *inside* a placeholder's readable part are ignored.
//! * **Inline placeholder** — a link whose destination is `adf:` followed by the
//!   base64url (unpadded) JSON of the node and whose text is a readable form:
//!   `[@Alice](adf:eyJ0eXBlIjoi…)`, `[STATUS: DONE](adf:…)`, `[:smile:](adf:…)`.
//!   Text nodes with marks Markdown cannot express (`textColor`, annotations,
//!   links with extra attributes …) are preserved the same way.
//! * **Attribute sidecar** — a block Markdown *can* express but whose `attrs`
//!   carry more than Markdown holds (a table's `layout`, a `localId` …) is
//!   preceded by `<!--adf-attrs:{…}-->`; the parser merges those attrs into the
//!   next block, so the block stays editable.
//!
//! # Normalisation
//!
//! [`normalize_adf`] defines which ADF documents count as equal; the
//! round trip is exact up to it:
//! * empty `marks` arrays, empty `attrs` objects and empty `content` arrays are
//!   removed (except the `doc`'s own `content`);
//! * empty text nodes are removed and adjacent text nodes with identical marks
//!   are merged;
//! * marks are put in a canonical order (link, strong, em, strike, underline,
//!   subsup, textColor, code, then others by type);
//! * `orderedList` `attrs.order == 1` is dropped (it is the default).
//!
//! Markdown → ADF never produces a form that normalisation would change, except
//! that the embedded nodes of placeholders are restored verbatim. Markdown-only
//! details with no ADF equivalent (table column alignment, tight vs loose lists,
//! soft line breaks, which become a space) are not kept; raw HTML that is not one
//! of the recognised tags stays as literal text.
//!
//! # Wiki markup
//!
//! Jira Server / Data Center's v2 API takes wiki markup: [`adf_to_wiki`],
//! [`markdown_to_wiki`] and [`wiki_to_markdown`] cover paragraphs, `h1.`–`h6.`,
//! `*bold*`, `_italic_`, `-strike-`, `+underline+`, `{{code}}`, `{code:lang}`,
//! `*`/`#` lists (nested), `[text|url]`, `bq.`/`{quote}`, `----`, `||`/`|`
//! tables, panels (`{info}`, `{note}`, `{warning}`, `{tip}`, `{panel}`) and
//! `[~accountid:…]` mentions.

mod from_markdown;
mod plain;
#[cfg(test)]
mod tests;
mod to_markdown;
mod wiki;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

pub use from_markdown::markdown_to_adf;
pub use plain::adf_to_plain_text;
pub use to_markdown::adf_to_markdown;
pub use wiki::{adf_to_wiki, markdown_to_wiki, wiki_to_markdown};

/// Start of a block placeholder comment; the node's JSON follows, then `-->`.
const BLOCK_OPEN: &str = "<!--adf:";
/// Closes the readable part of a block placeholder.
const BLOCK_CLOSE: &str = "<!--/adf-->";
/// Start of an attribute sidecar comment; the attrs JSON follows, then `-->`.
const ATTRS_OPEN: &str = "<!--adf-attrs:";
/// Link-destination scheme of inline placeholders.
const INLINE_SCHEME: &str = "adf:";
/// Link-destination scheme of mentions.
const MENTION_SCHEME: &str = "accountid:";

/// The node's `type`, or `""` when missing or not a string.
fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The node's `content` array, or an empty slice when missing or malformed.
fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The node's `attrs` object when present and non-empty.
fn attrs(node: &Value) -> Option<&Map<String, Value>> {
    node.get("attrs")
        .and_then(Value::as_object)
        .filter(|a| !a.is_empty())
}

/// A string attribute.
fn attr_str<'a>(node: &'a Value, key: &str) -> Option<&'a str> {
    node.get("attrs")?.get(key)?.as_str()
}

/// The node's `marks` array, or an empty slice.
fn marks(node: &Value) -> &[Value] {
    node.get("marks")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The `text` of a text node, or `""`.
fn text_of(node: &Value) -> &str {
    node.get("text").and_then(Value::as_str).unwrap_or("")
}

/// Node types that live inside paragraphs rather than at block level.
fn is_inline_type(ty: &str) -> bool {
    matches!(
        ty,
        "text"
            | "hardBreak"
            | "mention"
            | "emoji"
            | "status"
            | "date"
            | "inlineCard"
            | "mediaInline"
            | "placeholder"
            | "inlineExtension"
    )
}

/// Canonical rank of a mark type (see the module docs).
fn mark_rank(ty: &str) -> u8 {
    match ty {
        "link" => 0,
        "strong" => 1,
        "em" => 2,
        "strike" => 3,
        "underline" => 4,
        "subsup" => 5,
        "textColor" => 6,
        "code" => 7,
        _ => 8,
    }
}

/// Puts marks in canonical order (stable, so unknown marks keep their order
/// among themselves after sorting by type name).
fn sort_marks(marks: &mut [Value]) {
    marks.sort_by(|a, b| {
        let (ta, tb) = (node_type(a), node_type(b));
        mark_rank(ta).cmp(&mark_rank(tb)).then_with(|| {
            if mark_rank(ta) == 8 {
                ta.cmp(tb)
            } else {
                std::cmp::Ordering::Equal
            }
        })
    });
}

/// Normalises an ADF value as described in the module docs; two documents are
/// considered equivalent when their normalised forms are equal.
pub fn normalize_adf(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let is_doc = map.get("type").and_then(Value::as_str) == Some("doc");
            let mut out = Map::new();
            for (key, val) in map {
                match (key.as_str(), val) {
                    ("content", Value::Array(items)) => {
                        let items = normalize_children(items);
                        if !items.is_empty() || is_doc {
                            out.insert(key.clone(), Value::Array(items));
                        }
                    }
                    ("marks", Value::Array(items)) => {
                        if !items.is_empty() {
                            let mut items: Vec<Value> = items.iter().map(normalize_adf).collect();
                            sort_marks(&mut items);
                            out.insert(key.clone(), Value::Array(items));
                        }
                    }
                    ("attrs", Value::Object(a)) if a.is_empty() => {}
                    _ => {
                        out.insert(key.clone(), normalize_adf(val));
                    }
                }
            }
            if out.get("type").and_then(Value::as_str) == Some("orderedList") {
                let drop_attrs = match out.get_mut("attrs").and_then(Value::as_object_mut) {
                    Some(a) => {
                        if a.get("order").and_then(Value::as_u64) == Some(1) {
                            a.remove("order");
                        }
                        a.is_empty()
                    }
                    None => false,
                };
                if drop_attrs {
                    out.remove("attrs");
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize_adf).collect()),
        other => other.clone(),
    }
}

/// Normalises a `content` array: children normalised, empty text nodes
/// dropped, adjacent text nodes with identical marks merged.
fn normalize_children(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let node = normalize_adf(item);
        if is_plain_text_node(&node) {
            if text_of(&node).is_empty() {
                continue;
            }
            if let Some(prev) = out.last_mut()
                && is_plain_text_node(prev)
                && prev.get("marks") == node.get("marks")
            {
                let joined = format!("{}{}", text_of(prev), text_of(&node));
                prev["text"] = Value::String(joined);
                continue;
            }
        }
        out.push(node);
    }
    out
}

/// A text node with only `type`, `text` and optionally `marks` (so merging it
/// with a neighbour loses nothing).
fn is_plain_text_node(node: &Value) -> bool {
    node.as_object().is_some_and(|m| {
        m.get("type").and_then(Value::as_str) == Some("text")
            && m.get("text").is_some_and(Value::is_string)
            && m.keys()
                .all(|k| matches!(k.as_str(), "type" | "text" | "marks"))
    })
}

/// Compact JSON safe to embed in an HTML comment: `<` and `>` only occur inside
/// JSON strings, where `\u003c` / `\u003e` mean the same thing.
fn json_for_comment(value: &Value) -> String {
    let json = value.to_string();
    if json.contains(['<', '>']) {
        json.replace('<', "\\u003c").replace('>', "\\u003e")
    } else {
        json
    }
}

/// Encodes a node for an inline placeholder destination.
fn encode_inline(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Decodes an inline placeholder destination (without the scheme).
fn decode_inline(data: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(data.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Parses a comment body of the form `PREFIX{json}-->`.
fn decode_comment(html: &str, prefix: &str) -> Option<Value> {
    let line = html.trim();
    let body = line.strip_prefix(prefix)?.strip_suffix("-->")?;
    serde_json::from_str(body).ok()
}
