//! Atlassian Document Format (ADF) helpers: rendering stored documents as Jira wiki markup
//! (the v2 API), as HTML (`renderedFields`), as plain text (JQL text search), and a simple
//! conversion of wiki markup written through the v2 API into an ADF document.
//!
//! Unknown nodes are never dropped silently: their child content is rendered as if the
//! wrapper were not there, and leaf nodes fall back to their `text` attribute.

use serde_json::{Value, json};

/// Whether `value` looks like an ADF document: `{"type":"doc","version":1,"content":[...]}`.
pub(crate) fn is_doc(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("doc")
        && value.get("version").and_then(Value::as_u64) == Some(1)
        && value.get("content").is_some_and(Value::is_array)
}

fn text_node(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

fn paragraph(text: &str) -> Value {
    let mut content = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            content.push(json!({"type": "hardBreak"}));
        }
        if !line.is_empty() {
            content.push(text_node(line));
        }
    }
    json!({"type": "paragraph", "content": content})
}

fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn attr<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.get("attrs").and_then(|attrs| attrs.get(name))
}

fn attr_str<'a>(node: &'a Value, name: &str) -> Option<&'a str> {
    attr(node, name).and_then(Value::as_str)
}

fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------

/// Every piece of visible text in the document, blocks separated by newlines.
pub(crate) fn to_plain_text(doc: &Value) -> String {
    let mut out = String::new();
    plain(doc, &mut out);
    out.trim().to_owned()
}

fn plain(node: &Value, out: &mut String) {
    match node_type(node) {
        "text" => out.push_str(node.get("text").and_then(Value::as_str).unwrap_or("")),
        "hardBreak" => out.push('\n'),
        "mention" | "emoji" | "status" => {
            out.push_str(attr_str(node, "text").unwrap_or(""));
        }
        "inlineCard" => out.push_str(attr_str(node, "url").unwrap_or("")),
        _ => {
            for child in children(node) {
                plain(child, out);
            }
            if !is_inline(node) {
                out.push('\n');
            }
        }
    }
}

fn is_inline(node: &Value) -> bool {
    matches!(
        node_type(node),
        "text" | "hardBreak" | "mention" | "emoji" | "status" | "inlineCard" | "date"
    )
}

// ---------------------------------------------------------------------------------------
// Wiki markup
// ---------------------------------------------------------------------------------------

/// The document as Jira wiki markup, the way the v2 API shows rich text.
pub(crate) fn to_wiki(doc: &Value) -> String {
    let blocks: Vec<String> = children(doc)
        .iter()
        .map(|block| wiki_block(block, ""))
        .filter(|block| !block.is_empty())
        .collect();
    blocks.join("\n\n")
}

fn wiki_block(node: &Value, list_prefix: &str) -> String {
    match node_type(node) {
        "paragraph" => wiki_inline(children(node)),
        "heading" => {
            let level = attr(node, "level").and_then(Value::as_u64).unwrap_or(1);
            format!("h{}. {}", level.clamp(1, 6), wiki_inline(children(node)))
        }
        "bulletList" | "orderedList" => {
            let marker = if node_type(node) == "bulletList" {
                '*'
            } else {
                '#'
            };
            let prefix = format!("{list_prefix}{marker}");
            children(node)
                .iter()
                .map(|item| wiki_list_item(item, &prefix))
                .collect::<Vec<_>>()
                .join("\n")
        }
        "codeBlock" => {
            let code: String = children(node)
                .iter()
                .filter_map(|t| t.get("text").and_then(Value::as_str))
                .collect();
            match attr_str(node, "language") {
                Some(language) if !language.is_empty() => {
                    format!("{{code:{language}}}\n{code}\n{{code}}")
                }
                _ => format!("{{code}}\n{code}\n{{code}}"),
            }
        }
        "blockquote" => format!("{{quote}}\n{}\n{{quote}}", wiki_blocks(children(node))),
        "panel" => {
            let macro_name = match attr_str(node, "panelType").unwrap_or("info") {
                "note" => "note",
                "warning" | "error" => "warning",
                "success" => "tip",
                _ => "info",
            };
            format!(
                "{{{macro_name}}}\n{}\n{{{macro_name}}}",
                wiki_blocks(children(node))
            )
        }
        "rule" => "----".to_owned(),
        "table" => children(node)
            .iter()
            .map(wiki_table_row)
            .collect::<Vec<_>>()
            .join("\n"),
        "mediaSingle" | "mediaGroup" => children(node)
            .iter()
            .map(|media| {
                let name = attr_str(media, "alt")
                    .or_else(|| attr_str(media, "id"))
                    .unwrap_or("attachment");
                format!("!{name}!")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ if is_inline(node) => wiki_inline(std::slice::from_ref(node)),
        // Unknown block (expand, layoutSection, ...): keep its content.
        _ => wiki_blocks(children(node)),
    }
}

fn wiki_blocks(nodes: &[Value]) -> String {
    nodes
        .iter()
        .map(|node| wiki_block(node, ""))
        .filter(|block| !block.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn wiki_list_item(item: &Value, prefix: &str) -> String {
    let mut lines = Vec::new();
    let mut text = Vec::new();
    for child in children(item) {
        match node_type(child) {
            "bulletList" | "orderedList" => lines.push(wiki_block(child, prefix)),
            _ => text.push(wiki_block(child, "")),
        }
    }
    let mut out = format!("{prefix} {}", text.join(" "));
    for nested in lines {
        out.push('\n');
        out.push_str(&nested);
    }
    out
}

fn wiki_table_row(row: &Value) -> String {
    let mut out = String::new();
    let mut last = "|";
    for cell in children(row) {
        let separator = if node_type(cell) == "tableHeader" {
            "||"
        } else {
            "|"
        };
        out.push_str(separator);
        out.push_str(&wiki_blocks(children(cell)).replace('\n', " "));
        last = separator;
    }
    out.push_str(last);
    out
}

fn wiki_inline(nodes: &[Value]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node_type(node) {
            "text" => {
                let text = node.get("text").and_then(Value::as_str).unwrap_or("");
                out.push_str(&wiki_marks(text, node.get("marks")));
            }
            "hardBreak" => out.push('\n'),
            "mention" => match attr_str(node, "id") {
                Some(id) => out.push_str(&format!("[~accountid:{id}]")),
                None => out.push_str(attr_str(node, "text").unwrap_or("")),
            },
            "emoji" => out.push_str(
                attr_str(node, "text")
                    .or_else(|| attr_str(node, "shortName"))
                    .unwrap_or(""),
            ),
            "status" => out.push_str(&format!(
                "*{}*",
                attr_str(node, "text").unwrap_or("").to_uppercase()
            )),
            "inlineCard" => {
                if let Some(url) = attr_str(node, "url") {
                    out.push_str(&format!("[{url}]"));
                }
            }
            "date" => out.push_str(&date_attr(node)),
            _ => out.push_str(&wiki_inline(children(node))),
        }
    }
    out
}

fn wiki_marks(text: &str, marks: Option<&Value>) -> String {
    let mut out = text.to_owned();
    let Some(marks) = marks.and_then(Value::as_array) else {
        return out;
    };
    let mut link = None;
    for mark in marks {
        out = match node_type(mark) {
            "strong" => format!("*{out}*"),
            "em" => format!("_{out}_"),
            "code" => format!("{{{{{out}}}}}"),
            "strike" => format!("-{out}-"),
            "underline" => format!("+{out}+"),
            "subsup" if attr_str(mark, "type") == Some("sub") => format!("~{out}~"),
            "subsup" => format!("^{out}^"),
            "link" => {
                link = attr_str(mark, "href");
                out
            }
            _ => out,
        };
    }
    match link {
        Some(href) if href == text => format!("[{href}]"),
        Some(href) => format!("[{out}|{href}]"),
        None => out,
    }
}

fn date_attr(node: &Value) -> String {
    let millis = attr(node, "timestamp").and_then(|t| match t {
        Value::String(s) => s.parse::<i64>().ok(),
        other => other.as_i64(),
    });
    millis
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Converts wiki markup written through the v2 API into ADF: `hN.` headings, `*`/`#` list
/// lines (one level), `{code[:lang]}` blocks, and paragraphs for everything else. Inline
/// markup is kept as literal text.
pub(crate) fn from_wiki(wiki: &str) -> Value {
    let mut content = Vec::new();
    let mut paragraph_lines: Vec<&str> = Vec::new();
    let mut list: Option<(&'static str, Vec<Value>)> = None;
    let mut lines = wiki.lines();

    fn flush_paragraph(lines: &mut Vec<&str>, content: &mut Vec<Value>) {
        if !lines.is_empty() {
            content.push(paragraph(&lines.join("\n")));
            lines.clear();
        }
    }
    fn flush_list(list: &mut Option<(&'static str, Vec<Value>)>, content: &mut Vec<Value>) {
        if let Some((kind, items)) = list.take() {
            content.push(json!({"type": kind, "content": items}));
        }
    }

    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if trimmed.trim().is_empty() {
            flush_paragraph(&mut paragraph_lines, &mut content);
            flush_list(&mut list, &mut content);
            continue;
        }
        if let Some(language) = code_open(trimmed) {
            flush_paragraph(&mut paragraph_lines, &mut content);
            flush_list(&mut list, &mut content);
            let mut code = Vec::new();
            for code_line in lines.by_ref() {
                if code_line.trim() == "{code}" {
                    break;
                }
                code.push(code_line);
            }
            let mut block = json!({
                "type": "codeBlock",
                "content": [text_node(&code.join("\n"))],
            });
            if let Some(language) = language {
                block["attrs"] = json!({"language": language});
            }
            content.push(block);
            continue;
        }
        if let Some((level, text)) = heading(trimmed) {
            flush_paragraph(&mut paragraph_lines, &mut content);
            flush_list(&mut list, &mut content);
            content.push(json!({
                "type": "heading",
                "attrs": {"level": level},
                "content": [text_node(text)],
            }));
            continue;
        }
        if let Some((kind, text)) = list_line(trimmed) {
            flush_paragraph(&mut paragraph_lines, &mut content);
            if list.as_ref().is_some_and(|(current, _)| *current != kind) {
                flush_list(&mut list, &mut content);
            }
            let item = json!({"type": "listItem", "content": [paragraph(text)]});
            list.get_or_insert_with(|| (kind, Vec::new())).1.push(item);
            continue;
        }
        flush_list(&mut list, &mut content);
        paragraph_lines.push(trimmed);
    }
    flush_paragraph(&mut paragraph_lines, &mut content);
    flush_list(&mut list, &mut content);
    json!({"type": "doc", "version": 1, "content": content})
}

/// `{code}` → `Some(None)`, `{code:rust}` → `Some(Some("rust"))`.
fn code_open(line: &str) -> Option<Option<&str>> {
    let inner = line.trim().strip_prefix("{code")?.strip_suffix('}')?;
    if inner.is_empty() {
        return Some(None);
    }
    let language = inner.strip_prefix(':')?;
    let language = language.split('|').next().unwrap_or("");
    Some((!language.is_empty()).then_some(language))
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let rest = line.strip_prefix('h')?;
    let level = rest.chars().next()?.to_digit(10)?;
    let text = rest.get(1..)?.strip_prefix(". ")?;
    (1..=6)
        .contains(&level)
        .then_some((u8::try_from(level).ok()?, text.trim()))
}

fn list_line(line: &str) -> Option<(&'static str, &str)> {
    if let Some(text) = line.strip_prefix("* ").or_else(|| line.strip_prefix("- ")) {
        return Some(("bulletList", text.trim()));
    }
    line.strip_prefix("# ")
        .map(|text| ("orderedList", text.trim()))
}

// ---------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------

/// The document as HTML, the way `expand=renderedFields` shows rich text.
pub(crate) fn to_html(doc: &Value) -> String {
    html_nodes(children(doc))
}

fn html_nodes(nodes: &[Value]) -> String {
    nodes.iter().map(html_node).collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_node(node: &Value) -> String {
    let inner = || html_nodes(children(node));
    match node_type(node) {
        "paragraph" => format!("<p>{}</p>", inner()),
        "heading" => {
            let level = attr(node, "level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6);
            format!("<h{level}>{}</h{level}>", inner())
        }
        "bulletList" => format!("<ul>{}</ul>", inner()),
        "orderedList" => format!("<ol>{}</ol>", inner()),
        "listItem" => format!("<li>{}</li>", inner()),
        "codeBlock" => {
            let code: String = children(node)
                .iter()
                .filter_map(|t| t.get("text").and_then(Value::as_str))
                .collect();
            let class = attr_str(node, "language")
                .map(|l| format!(" class=\"language-{}\"", escape(l)))
                .unwrap_or_default();
            format!("<pre><code{class}>{}</code></pre>", escape(&code))
        }
        "blockquote" => format!("<blockquote>{}</blockquote>", inner()),
        "panel" => format!(
            "<div class=\"panel panel-{}\">{}</div>",
            escape(attr_str(node, "panelType").unwrap_or("info")),
            inner()
        ),
        "rule" => "<hr />".to_owned(),
        "table" => format!("<table>{}</table>", inner()),
        "tableRow" => format!("<tr>{}</tr>", inner()),
        "tableHeader" => format!("<th>{}</th>", inner()),
        "tableCell" => format!("<td>{}</td>", inner()),
        "hardBreak" => "<br />".to_owned(),
        "text" => html_text(node),
        "mention" => format!(
            "<a class=\"user-hover\" data-account-id=\"{}\">{}</a>",
            escape(attr_str(node, "id").unwrap_or("")),
            escape(attr_str(node, "text").unwrap_or(""))
        ),
        "emoji" => escape(
            attr_str(node, "text")
                .or_else(|| attr_str(node, "shortName"))
                .unwrap_or(""),
        ),
        "status" => format!(
            "<span class=\"status-lozenge\">{}</span>",
            escape(attr_str(node, "text").unwrap_or(""))
        ),
        "inlineCard" => {
            let url = escape(attr_str(node, "url").unwrap_or(""));
            format!("<a href=\"{url}\">{url}</a>")
        }
        "date" => escape(&date_attr(node)),
        _ => inner(),
    }
}

fn html_text(node: &Value) -> String {
    let mut out = escape(node.get("text").and_then(Value::as_str).unwrap_or(""));
    let Some(marks) = node.get("marks").and_then(Value::as_array) else {
        return out;
    };
    for mark in marks {
        out = match node_type(mark) {
            "strong" => format!("<b>{out}</b>"),
            "em" => format!("<em>{out}</em>"),
            "code" => format!("<tt>{out}</tt>"),
            "strike" => format!("<del>{out}</del>"),
            "underline" => format!("<ins>{out}</ins>"),
            "link" => format!(
                "<a href=\"{}\">{out}</a>",
                escape(attr_str(mark, "href").unwrap_or(""))
            ),
            _ => out,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(content: Value) -> Value {
        let mut node = json!({"type": "doc", "version": 1});
        node["content"] = content;
        node
    }

    #[test]
    fn wiki_covers_common_nodes() {
        let doc = doc(json!([
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Run "},
                {"type": "text", "text": "make", "marks": [{"type": "code"}]},
                {"type": "text", "text": " then "},
                {"type": "text", "text": "check", "marks": [{"type": "strong"}]},
                {"type": "text", "text": " the "},
                {"type": "text", "text": "docs", "marks": [{"type": "link", "attrs": {"href": "https://example.com"}}]},
                {"type": "text", "text": " "},
                {"type": "text", "text": "now", "marks": [{"type": "em"}]},
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "one"}]},
                    {"type": "orderedList", "content": [
                        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "nested"}]}]}
                    ]}
                ]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "two"}]}]}
            ]},
            {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [{"type": "text", "text": "fn main() {}"}]},
            {"type": "table", "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "A"}]}]},
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "B"}]}]}
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "1"}]}]},
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "2"}]}]}
                ]}
            ]}
        ]));
        assert_eq!(
            to_wiki(&doc),
            "h2. Steps\n\n\
             Run {{make}} then *check* the [docs|https://example.com] _now_\n\n\
             * one\n*# nested\n* two\n\n\
             {code:rust}\nfn main() {}\n{code}\n\n\
             ||A||B||\n|1|2|"
        );
    }

    #[test]
    fn wiki_round_trip_keeps_structure() {
        let adf = from_wiki(
            "h1. Title\n\nFirst line\nsecond line\n\n* a\n* b\n\n{code:sql}\nselect 1;\n{code}",
        );
        let content = adf["content"].as_array().unwrap();
        let kinds: Vec<&str> = content.iter().map(node_type).collect();
        assert_eq!(kinds, ["heading", "paragraph", "bulletList", "codeBlock"]);
        assert_eq!(content[3]["attrs"]["language"], "sql");
        assert_eq!(
            to_wiki(&adf),
            "h1. Title\n\nFirst line\nsecond line\n\n* a\n* b\n\n{code:sql}\nselect 1;\n{code}"
        );
    }

    #[test]
    fn html_escapes_and_renders_marks() {
        let doc = doc(json!([{"type": "paragraph", "content": [
            {"type": "text", "text": "<b>", "marks": [{"type": "strong"}]}
        ]}]));
        assert_eq!(to_html(&doc), "<p><b>&lt;b&gt;</b></p>");
    }

    #[test]
    fn plain_text_includes_inline_nodes() {
        let doc = doc(json!([{"type": "paragraph", "content": [
            {"type": "text", "text": "ping "},
            {"type": "mention", "attrs": {"id": "abc", "text": "@Ada"}}
        ]}]));
        assert_eq!(to_plain_text(&doc), "ping @Ada");
        assert!(is_doc(&doc));
        assert!(!is_doc(&json!("text")));
    }
}
