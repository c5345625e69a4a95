//! Jira wiki markup (Server / Data Center) ↔ ADF, and through ADF ↔ Markdown.

use serde_json::{Map, Value, json};

use super::{
    adf_to_markdown, attr_str, children, markdown_to_adf, marks, node_type, plain, sort_marks,
    text_of,
};

/// Converts Markdown to Jira wiki markup (for v2 / Data Center writes).
pub fn markdown_to_wiki(md: &str) -> String {
    adf_to_wiki(&markdown_to_adf(md))
}

/// Converts Jira wiki markup (Data Center rich text) to Markdown.
pub fn wiki_to_markdown(wiki: &str) -> String {
    adf_to_markdown(&wiki_to_adf(wiki))
}

// ---------------------------------------------------------------------------
// ADF → wiki
// ---------------------------------------------------------------------------

/// Converts an ADF document to Jira wiki markup. Nodes wiki markup has no form
/// for are written as their plain text.
pub fn adf_to_wiki(doc: &Value) -> String {
    let blocks: &[Value] = match doc {
        Value::Array(items) => items,
        Value::Object(_) if node_type(doc) == "doc" => children(doc),
        Value::Object(_) => std::slice::from_ref(doc),
        Value::String(s) => return escape_wiki(s, true),
        _ => return String::new(),
    };
    blocks_to_wiki(blocks)
}

fn blocks_to_wiki(blocks: &[Value]) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let part = block_to_wiki(block);
        if !part.is_empty() {
            parts.push(part);
        }
    }
    parts.join("\n\n")
}

fn block_to_wiki(node: &Value) -> String {
    match node_type(node) {
        "paragraph" => inline_to_wiki(children(node)),
        "heading" => {
            let level = node
                .get("attrs")
                .and_then(|a| a.get("level"))
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6);
            format!("h{level}. {}", inline_to_wiki(children(node)))
        }
        "bulletList" | "orderedList" => {
            let mut out = String::new();
            list_to_wiki(node, "", &mut out);
            out
        }
        "codeBlock" => {
            let text: String = children(node).iter().map(text_of).collect();
            match attr_str(node, "language").filter(|l| !l.is_empty()) {
                Some(lang) => format!("{{code:{lang}}}\n{text}\n{{code}}"),
                None => format!("{{code}}\n{text}\n{{code}}"),
            }
        }
        "blockquote" => match children(node) {
            [p] if node_type(p) == "paragraph" => format!("bq. {}", inline_to_wiki(children(p))),
            blocks => format!("{{quote}}\n{}\n{{quote}}", blocks_to_wiki(blocks)),
        },
        "rule" => "----".to_owned(),
        "table" => {
            let mut rows = Vec::new();
            for row in children(node) {
                let mut line = String::new();
                for cell in children(row) {
                    let sep = if node_type(cell) == "tableHeader" {
                        "||"
                    } else {
                        "|"
                    };
                    line.push_str(sep);
                    let text = blocks_to_wiki(children(cell))
                        .replace("\n\n", " \\\\ ")
                        .replace('\n', " \\\\ ");
                    line.push_str(if text.is_empty() { " " } else { &text });
                }
                if let Some(last) = children(row).last() {
                    line.push_str(if node_type(last) == "tableHeader" {
                        "||"
                    } else {
                        "|"
                    });
                }
                rows.push(line);
            }
            rows.join("\n")
        }
        "panel" => {
            let macro_name = match attr_str(node, "panelType").unwrap_or("info") {
                "note" => "note",
                "warning" | "error" => "warning",
                "success" | "tip" => "tip",
                "info" => "info",
                _ => "panel",
            };
            format!(
                "{{{macro_name}}}\n{}\n{{{macro_name}}}",
                blocks_to_wiki(children(node))
            )
        }
        "expand" | "nestedExpand" => {
            let title = attr_str(node, "title").unwrap_or("");
            let body = blocks_to_wiki(children(node));
            if title.is_empty() {
                body
            } else {
                format!("*{}*\n\n{body}", escape_wiki(title, false))
            }
        }
        "mediaSingle" | "mediaGroup" => children(node)
            .iter()
            .map(block_to_wiki)
            .collect::<Vec<_>>()
            .join("\n"),
        "media" => match attr_str(node, "alt").or_else(|| attr_str(node, "url")) {
            Some(name) => format!("!{name}!"),
            None => "[attachment]".to_owned(),
        },
        "taskList" | "decisionList" => children(node)
            .iter()
            .map(|item| {
                let mark = match attr_str(item, "state") {
                    Some("DONE") => "(/) ",
                    Some(_) => "(x) ",
                    None => "",
                };
                format!("* {mark}{}", inline_to_wiki(children(item)))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        ty if super::is_inline_type(ty) => inline_to_wiki(std::slice::from_ref(node)),
        _ => {
            let inner = children(node);
            if inner.is_empty() {
                escape_wiki(&plain::adf_to_plain_text(node), true)
            } else {
                blocks_to_wiki(inner)
            }
        }
    }
}

fn list_to_wiki(list: &Value, prefix: &str, out: &mut String) {
    let marker = if node_type(list) == "orderedList" {
        '#'
    } else {
        '*'
    };
    let prefix = format!("{prefix}{marker}");
    for item in children(list) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&prefix);
        out.push(' ');
        let mut first = true;
        for child in children(item) {
            match node_type(child) {
                "bulletList" | "orderedList" => list_to_wiki(child, &prefix, out),
                "paragraph" if first => out.push_str(&inline_to_wiki(children(child))),
                _ => {
                    // Wiki lists hold one line per item; further blocks follow on
                    // their own line ("\\" keeps them inside the item).
                    out.push_str(" \\\\ ");
                    out.push_str(&block_to_wiki(child).replace('\n', " \\\\ "));
                }
            }
            first = false;
        }
    }
}

fn inline_to_wiki(nodes: &[Value]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node_type(node) {
            "text" => {
                let mut text = if marks(node).iter().any(|m| node_type(m) == "code") {
                    format!("{{{{{}}}}}", text_of(node).replace('}', "\\}"))
                } else {
                    escape_wiki(text_of(node), out.is_empty() || out.ends_with('\n'))
                };
                let mut link = None;
                for mark in marks(node) {
                    text = match node_type(mark) {
                        "strong" => format!("*{text}*"),
                        "em" => format!("_{text}_"),
                        "strike" => format!("-{text}-"),
                        "underline" => format!("+{text}+"),
                        "subsup" if attr_str(mark, "type") == Some("sub") => format!("~{text}~"),
                        "subsup" => format!("^{text}^"),
                        "textColor" => {
                            let color = attr_str(mark, "color").unwrap_or("black");
                            format!("{{color:{color}}}{text}{{color}}")
                        }
                        "link" => {
                            link = attr_str(mark, "href");
                            text
                        }
                        _ => text,
                    };
                }
                match link {
                    Some(href) if href == text_of(node) => {
                        out.push('[');
                        out.push_str(href);
                        out.push(']');
                    }
                    Some(href) => {
                        out.push('[');
                        out.push_str(&text);
                        out.push('|');
                        out.push_str(href);
                        out.push(']');
                    }
                    None => out.push_str(&text),
                }
            }
            "hardBreak" => out.push('\n'),
            "mention" => match attr_str(node, "id") {
                Some(id) => {
                    out.push_str("[~accountid:");
                    out.push_str(id);
                    out.push(']');
                }
                None => out.push_str(&escape_wiki(&plain::adf_to_plain_text(node), false)),
            },
            "inlineCard" => {
                out.push('[');
                out.push_str(attr_str(node, "url").unwrap_or(""));
                out.push(']');
            }
            _ => out.push_str(&escape_wiki(&plain::adf_to_plain_text(node), false)),
        }
    }
    out
}

/// Backslash-escapes characters wiki markup would read as formatting.
fn escape_wiki(text: &str, line_start: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev_alnum = i > 0 && chars[i - 1].is_alphanumeric();
        let next_alnum = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let escape = match c {
            '\\' | '{' | '}' | '[' | ']' | '|' | '!' => true,
            '*' | '_' | '-' | '+' | '^' | '~' | '?' => !(prev_alnum && next_alnum),
            '#' => i == 0 && line_start,
            _ => false,
        };
        if escape
            && !(c == '-' && chars.get(i + 1) == Some(&' ') && i > 0)
            && !(c == '?' && chars.get(i + 1) != Some(&'?'))
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// wiki → ADF
// ---------------------------------------------------------------------------

/// Parses Jira wiki markup into an ADF document.
pub(crate) fn wiki_to_adf(wiki: &str) -> Value {
    let lines: Vec<&str> = wiki.lines().collect();
    let mut pos = 0;
    let content = parse_blocks(&lines, &mut pos, None);
    json!({"type": "doc", "version": 1, "content": content})
}

/// Parses blocks until `terminator` (a macro's closing line) or the end.
fn parse_blocks(lines: &[&str], pos: &mut usize, terminator: Option<&str>) -> Vec<Value> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    while *pos < lines.len() {
        let line = lines[*pos];
        let trimmed = line.trim();
        if let Some(term) = terminator
            && trimmed.eq_ignore_ascii_case(term)
        {
            *pos += 1;
            break;
        }
        let starts_block = trimmed.is_empty()
            || trimmed.starts_with('{')
            || heading_level(trimmed).is_some()
            || trimmed.starts_with("bq. ")
            || trimmed == "----"
            || list_prefix(trimmed).is_some()
            || trimmed.starts_with('|');
        if starts_block {
            flush_paragraph(&mut paragraph, &mut blocks);
        }
        *pos += 1;
        if trimmed.is_empty() {
            continue;
        }
        if let Some((name, param)) = macro_open(trimmed) {
            match name.as_str() {
                "code" | "noformat" => {
                    let close = format!("{{{name}}}");
                    let mut text = Vec::new();
                    while *pos < lines.len() && !lines[*pos].trim().eq_ignore_ascii_case(&close) {
                        text.push(lines[*pos]);
                        *pos += 1;
                    }
                    *pos += 1;
                    let mut node = Map::new();
                    node.insert("type".into(), json!("codeBlock"));
                    if let Some(lang) = param.filter(|_| name == "code") {
                        node.insert("attrs".into(), json!({"language": lang}));
                    }
                    let text = text.join("\n");
                    if !text.is_empty() {
                        node.insert("content".into(), json!([{"type": "text", "text": text}]));
                    }
                    blocks.push(Value::Object(node));
                }
                "quote" => {
                    let inner = parse_blocks(lines, pos, Some("{quote}"));
                    blocks.push(container("blockquote", None, inner));
                }
                "info" | "note" | "warning" | "tip" | "panel" => {
                    let close = format!("{{{name}}}");
                    let inner = parse_blocks(lines, pos, Some(&close));
                    let panel_type = match name.as_str() {
                        "tip" => "success",
                        "panel" => "info",
                        other => other,
                    };
                    blocks.push(container(
                        "panel",
                        Some(json!({"panelType": panel_type})),
                        inner,
                    ));
                }
                _ => paragraph.push(line),
            }
            continue;
        }
        if let Some(level) = heading_level(trimmed) {
            let mut node = Map::new();
            node.insert("type".into(), json!("heading"));
            node.insert("attrs".into(), json!({"level": level}));
            let inline = parse_inline(trimmed[4..].trim());
            if !inline.is_empty() {
                node.insert("content".into(), Value::Array(inline));
            }
            blocks.push(Value::Object(node));
        } else if let Some(rest) = trimmed.strip_prefix("bq. ") {
            let para = container("paragraph", None, parse_inline(rest));
            blocks.push(container("blockquote", None, vec![para]));
        } else if trimmed == "----" {
            blocks.push(json!({"type": "rule"}));
        } else if list_prefix(trimmed).is_some() {
            *pos -= 1;
            blocks.push(parse_list(lines, pos, 1));
        } else if trimmed.starts_with('|') {
            *pos -= 1;
            blocks.push(parse_table(lines, pos));
        } else {
            paragraph.push(line);
        }
    }
    flush_paragraph(&mut paragraph, &mut blocks);
    blocks
}

fn container(ty: &str, attrs: Option<Value>, content: Vec<Value>) -> Value {
    let mut node = Map::new();
    node.insert("type".into(), json!(ty));
    if let Some(attrs) = attrs {
        node.insert("attrs".into(), attrs);
    }
    if !content.is_empty() {
        node.insert("content".into(), Value::Array(content));
    }
    Value::Object(node)
}

fn flush_paragraph(lines: &mut Vec<&str>, blocks: &mut Vec<Value>) {
    if lines.is_empty() {
        return;
    }
    // Newlines inside a wiki paragraph are line breaks.
    let text = lines.join("\n");
    lines.clear();
    blocks.push(container("paragraph", None, parse_inline(&text)));
}

fn heading_level(line: &str) -> Option<u8> {
    let b = line.as_bytes();
    (b.len() >= 4 && b[0] == b'h' && (b'1'..=b'6').contains(&b[1]) && b[2] == b'.' && b[3] == b' ')
        .then(|| b[1] - b'0')
}

/// `{name}` or `{name:param}` on a line of its own.
fn macro_open(line: &str) -> Option<(String, Option<String>)> {
    let inner = line.strip_prefix('{')?.strip_suffix('}')?;
    let (name, param) = match inner.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (inner, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    // `{code:title=x|java}` style parameters: take the first bare word (or language=).
    let lang = param.and_then(|p| {
        p.split('|').find_map(|part| match part.split_once('=') {
            Some(("language" | "lang", v)) => Some(v.trim().to_owned()),
            Some(_) => None,
            None => Some(part.trim().to_owned()).filter(|s| !s.is_empty()),
        })
    });
    Some((name.to_ascii_lowercase(), lang))
}

/// The marker characters of a list line (`*`, `#`, `-` runs followed by a space).
fn list_prefix(line: &str) -> Option<&str> {
    let end = line.find(|c: char| !matches!(c, '*' | '#' | '-'))?;
    let prefix = &line[..end];
    let valid = !prefix.is_empty()
        && line[end..].starts_with(' ')
        && (prefix == "-" || !prefix.contains('-'))
        && prefix != "----";
    valid.then_some(prefix)
}

/// Parses list lines at nesting `depth` (prefix length).
fn parse_list(lines: &[&str], pos: &mut usize, depth: usize) -> Value {
    let first = list_prefix(lines[*pos].trim()).unwrap_or("*");
    let ordered = first.as_bytes().get(depth - 1) == Some(&b'#');
    let mut items: Vec<Value> = Vec::new();
    while *pos < lines.len() {
        let line = lines[*pos].trim();
        let Some(prefix) = list_prefix(line) else {
            break;
        };
        if prefix.len() < depth {
            break;
        }
        if prefix.len() > depth {
            let nested = parse_list(lines, pos, depth + 1);
            match items
                .last_mut()
                .and_then(|i| i.get_mut("content"))
                .and_then(Value::as_array_mut)
            {
                Some(content) => content.push(nested),
                None => items
                    .push(json!({"type": "listItem", "content": [{"type": "paragraph"}, nested]})),
            }
            continue;
        }
        let item_ordered = prefix.ends_with('#');
        if item_ordered != ordered {
            break;
        }
        *pos += 1;
        let para = container("paragraph", None, parse_inline(line[prefix.len()..].trim()));
        items.push(json!({"type": "listItem", "content": [para]}));
    }
    container(
        if ordered { "orderedList" } else { "bulletList" },
        None,
        items,
    )
}

fn parse_table(lines: &[&str], pos: &mut usize) -> Value {
    let mut rows = Vec::new();
    while *pos < lines.len() && lines[*pos].trim().starts_with('|') {
        let line = lines[*pos].trim();
        *pos += 1;
        let mut cells = Vec::new();
        let mut rest = line;
        while !rest.is_empty() {
            let header = rest.starts_with("||");
            rest = rest.trim_start_matches('|');
            if rest.is_empty() {
                break;
            }
            let end = find_cell_end(rest);
            let text = rest[..end].trim();
            rest = &rest[end..];
            let para = container("paragraph", None, parse_inline(text));
            cells.push(container(
                if header { "tableHeader" } else { "tableCell" },
                None,
                vec![para],
            ));
        }
        rows.push(container("tableRow", None, cells));
    }
    container("table", None, rows)
}

/// End of a table cell: the next `|` not escaped and not inside `[…]` or `{{…}}`.
fn find_cell_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let (mut i, mut bracket) = (0, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => bracket += 1,
            b']' => bracket = bracket.saturating_sub(1),
            b'|' if bracket == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// Parses wiki inline markup into ADF inline nodes.
fn parse_inline(text: &str) -> Vec<Value> {
    let chars: Vec<char> = text.chars().collect();
    let mut parser = InlineParser {
        chars: &chars,
        out: Vec::new(),
        no_close_after: [usize::MAX; 6],
    };
    parser.run(0, chars.len(), &[]);
    parser.out
}

const SIMPLE_MARKS: [(char, &str); 6] = [
    ('*', "strong"),
    ('_', "em"),
    ('-', "strike"),
    ('+', "underline"),
    ('^', "sup"),
    ('~', "sub"),
];

#[derive(Debug)]
struct InlineParser<'a> {
    chars: &'a [char],
    out: Vec<Value>,
    /// For each simple mark: a position from which no closing delimiter exists,
    /// so failed searches are not repeated (keeps parsing linear).
    no_close_after: [usize; 6],
}

impl InlineParser<'_> {
    fn push_text(&mut self, text: &str, marks: &[Value]) {
        if text.is_empty() {
            return;
        }
        if let Some(last) = self.out.last_mut()
            && node_type(last) == "text"
            && last
                .get("marks")
                .and_then(Value::as_array)
                .map_or(marks.is_empty(), |m| m == marks)
            && let Some(Value::String(s)) = last.get_mut("text")
        {
            s.push_str(text);
            return;
        }
        let mut node = Map::new();
        node.insert("type".into(), json!("text"));
        node.insert("text".into(), json!(text));
        if !marks.is_empty() {
            node.insert("marks".into(), Value::Array(marks.to_vec()));
        }
        self.out.push(Value::Object(node));
    }

    fn with_mark(marks: &[Value], mark: Value) -> Vec<Value> {
        let mut all = marks.to_vec();
        if !all.contains(&mark) {
            all.push(mark);
        }
        sort_marks(&mut all);
        all
    }

    fn find(&self, from: usize, end: usize, pat: &str) -> Option<usize> {
        let pat: Vec<char> = pat.chars().collect();
        (from..end.saturating_sub(pat.len() - 1)).find(|&i| self.chars[i..i + pat.len()] == pat[..])
    }

    fn run(&mut self, start: usize, end: usize, marks: &[Value]) {
        let chars = self.chars;
        let mut text = String::new();
        let mut i = start;
        while i < end {
            let c = chars[i];
            let prev = if i == 0 { None } else { Some(chars[i - 1]) };
            // Escapes and line breaks.
            if c == '\\' && i + 1 < end {
                if chars[i + 1] == '\\' {
                    self.push_text(&std::mem::take(&mut text), marks);
                    self.out.push(json!({"type": "hardBreak"}));
                } else {
                    text.push(chars[i + 1]);
                }
                i += 2;
                continue;
            }
            if c == '\n' {
                self.push_text(&std::mem::take(&mut text), marks);
                self.out.push(json!({"type": "hardBreak"}));
                i += 1;
                continue;
            }
            // {{monospace}}
            if c == '{'
                && chars.get(i + 1) == Some(&'{')
                && let Some(close) = self.find(i + 2, end, "}}")
            {
                self.push_text(&std::mem::take(&mut text), marks);
                let inner: String = chars[i + 2..close].iter().collect();
                self.push_text(&inner, &Self::with_mark(marks, json!({"type": "code"})));
                i = close + 2;
                continue;
            }
            // {color:x}…{color}
            if c == '{'
                && chars[i..end].starts_with(&['{', 'c', 'o', 'l', 'o', 'r', ':'])
                && let Some(open_end) = self.find(i, end, "}")
                && let Some(close) = self.find(open_end + 1, end, "{color}")
            {
                self.push_text(&std::mem::take(&mut text), marks);
                let color: String = chars[i + 7..open_end].iter().collect();
                let mark = json!({"type": "textColor", "attrs": {"color": color}});
                self.run(open_end + 1, close, &Self::with_mark(marks, mark));
                i = close + 7;
                continue;
            }
            // [text|url], [url], [~accountid:x]
            if c == '['
                && let Some(close) = self.find(i + 1, end, "]")
            {
                let inner: String = chars[i + 1..close].iter().collect();
                self.push_text(&std::mem::take(&mut text), marks);
                if let Some(user) = inner.strip_prefix('~') {
                    let id = user.strip_prefix("accountid:").unwrap_or(user);
                    self.out.push(
                        json!({"type": "mention", "attrs": {"id": id, "text": format!("@{id}")}}),
                    );
                } else {
                    let (label, href) = match inner.rsplit_once('|') {
                        Some((label, href)) => (label.to_owned(), href.trim().to_owned()),
                        None => (inner.clone(), inner.trim().to_owned()),
                    };
                    let mark = json!({"type": "link", "attrs": {"href": href}});
                    let marks = Self::with_mark(marks, mark);
                    if label.is_empty() {
                        self.push_text(&href, &marks);
                    } else {
                        let sub: Vec<char> = label.chars().collect();
                        let mut nested = InlineParser {
                            chars: &sub,
                            out: Vec::new(),
                            no_close_after: [usize::MAX; 6],
                        };
                        nested.run(0, sub.len(), &marks);
                        for node in nested.out {
                            match node.get("text").and_then(Value::as_str) {
                                Some(t) if node_type(&node) == "text" => {
                                    let node_marks = node
                                        .get("marks")
                                        .and_then(Value::as_array)
                                        .cloned()
                                        .unwrap_or_default();
                                    self.push_text(t, &node_marks);
                                }
                                _ => self.out.push(node),
                            }
                        }
                    }
                }
                i = close + 1;
                continue;
            }
            // *strong*, _em_, -strike-, +underline+, ^sup^, ~sub~
            if let Some(k) = SIMPLE_MARKS.iter().position(|(d, _)| *d == c)
                && prev.is_none_or(|p| !p.is_alphanumeric())
                && chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
                && i + 1 < end
                && let Some(close) = self.find_close(k, i + 1, end)
            {
                self.push_text(&std::mem::take(&mut text), marks);
                let mark = match SIMPLE_MARKS[k].1 {
                    "sup" => json!({"type": "subsup", "attrs": {"type": "sup"}}),
                    "sub" => json!({"type": "subsup", "attrs": {"type": "sub"}}),
                    ty => json!({"type": ty}),
                };
                self.run(i + 1, close, &Self::with_mark(marks, mark));
                i = close + 1;
                continue;
            }
            text.push(c);
            i += 1;
        }
        self.push_text(&text, marks);
    }

    /// Finds the closing delimiter for simple mark `k`: not preceded by
    /// whitespace, not followed by an alphanumeric.
    fn find_close(&mut self, k: usize, from: usize, end: usize) -> Option<usize> {
        if from >= self.no_close_after[k] {
            return None;
        }
        let d = SIMPLE_MARKS[k].0;
        let chars = self.chars;
        let found = (from + 1..end).find(|&j| {
            chars[j] == d
                && !chars[j - 1].is_whitespace()
                && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric())
                && !chars[from..j].contains(&'\n')
        });
        if found.is_none() && end == chars.len() {
            self.no_close_after[k] = self.no_close_after[k].min(from);
        }
        found
    }
}
