//! ADF → Markdown.

use serde_json::{Map, Value};

use super::{
    ATTRS_OPEN, BLOCK_CLOSE, BLOCK_OPEN, INLINE_SCHEME, MENTION_SCHEME, attr_str, attrs, children,
    encode_inline, from_markdown::markdown_to_adf, is_inline_type, json_for_comment, marks,
    node_type, normalize_adf, normalize_children, plain, text_of,
};

/// Converts an ADF document (or a bare node / array of nodes) to Markdown.
///
/// Never panics on malformed input; text is kept even where structure is not.
pub fn adf_to_markdown(doc: &Value) -> String {
    let blocks: &[Value] = match doc {
        Value::Array(items) => items,
        Value::Object(_) if node_type(doc) == "doc" => children(doc),
        Value::Object(_) => std::slice::from_ref(doc),
        Value::String(s) => {
            return if s.is_empty() {
                String::new()
            } else {
                let mut out = String::new();
                escape_plain_paragraphs(s, &mut out);
                out.push('\n');
                out
            };
        }
        _ => return String::new(),
    };
    let mut out = render_blocks(blocks);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Where an inline sequence is rendered; decides how hard breaks are written
/// and how the result is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Paragraph,
    Heading,
    Cell,
}

/// Renders sibling blocks separated by blank lines.
fn render_blocks(blocks: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_list: Option<(&str, bool)> = None;
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let ty = node_type(block);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        if is_inline_type(ty) {
            // Malformed: inline nodes at block level. Render the run as a paragraph.
            let start = i;
            while i < blocks.len() && is_inline_type(node_type(&blocks[i])) {
                i += 1;
            }
            let run = &blocks[start..i];
            match render_inline(run, Ctx::Paragraph) {
                Some(s) => out.push_str(&s),
                None => {
                    let text: String = run.iter().map(plain::adf_to_plain_text).collect();
                    escape_plain_paragraphs(&text, &mut out);
                }
            }
            prev_list = None;
            continue;
        }
        let list_kind = matches!(ty, "bulletList" | "orderedList").then_some(ty);
        // Adjacent lists of the same kind would merge in Markdown; alternate markers.
        let alternate = match (prev_list, list_kind) {
            (Some((prev_ty, prev_alt)), Some(cur)) if prev_ty == cur => !prev_alt,
            _ => false,
        };
        out.push_str(&render_block(block, alternate));
        prev_list = list_kind.map(|k| (k, alternate));
        i += 1;
    }
    out
}

/// Renders one block natively, or as a block placeholder when Markdown cannot
/// hold it exactly.
fn render_block(node: &Value, alternate: bool) -> String {
    let native = match node_type(node) {
        "paragraph" => render_paragraph(node),
        "heading" => render_heading(node),
        "bulletList" => render_list(node, false, alternate),
        "orderedList" => render_list(node, true, alternate),
        "codeBlock" => render_code_block(node),
        "blockquote" => render_blockquote(node),
        "rule" => Some("---".to_owned()),
        "table" => render_table(node),
        _ => None,
    };
    match native {
        Some(body) => with_sidecar(node, body),
        None => block_placeholder(node),
    }
}

/// Attributes a native Markdown block expresses itself.
fn expressed_attr(ty: &str, key: &str) -> bool {
    matches!(
        (ty, key),
        ("heading", "level") | ("orderedList", "order") | ("codeBlock", "language")
    )
}

/// Prefixes `body` with an attribute sidecar when the node has attrs Markdown
/// does not express.
fn with_sidecar(node: &Value, body: String) -> String {
    let ty = node_type(node);
    let Some(all) = attrs(node) else {
        return body;
    };
    let extra: Map<String, Value> = all
        .iter()
        .filter(|(k, v)| {
            let default_order = ty == "orderedList" && *k == "order" && v.as_u64() == Some(1);
            !expressed_attr(ty, k) && !default_order
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if extra.is_empty() {
        return body;
    }
    let mut out = String::with_capacity(body.len() + 64);
    out.push_str(ATTRS_OPEN);
    out.push_str(&json_for_comment(&Value::Object(extra)));
    out.push_str("-->\n");
    out.push_str(&body);
    out
}

/// The block placeholder: the node as JSON in a comment, a readable rendering,
/// and the closing marker.
fn block_placeholder(node: &Value) -> String {
    let readable = readable_block(node);
    let json = json_for_comment(node);
    let mut out = String::with_capacity(json.len() + readable.len() + 32);
    out.push_str(BLOCK_OPEN);
    out.push_str(&json);
    out.push_str("-->\n\n");
    if !readable.trim().is_empty() {
        out.push_str(&readable);
        out.push_str("\n\n");
    }
    out.push_str(BLOCK_CLOSE);
    out
}

/// A readable Markdown rendering of a node Markdown cannot express.
fn readable_block(node: &Value) -> String {
    let ty = node_type(node);
    match ty {
        "panel" => {
            let label = match attr_str(node, "panelType").unwrap_or("info") {
                "note" => "Note",
                "warning" => "Warning",
                "error" => "Error",
                "success" => "Success",
                "tip" => "Tip",
                "custom" => "Panel",
                _ => "Info",
            };
            let body = render_blocks(children(node));
            let inner = if body.is_empty() {
                format!("**{label}:**")
            } else {
                format!("**{label}:**\n\n{body}")
            };
            prefix_lines(&inner, "> ", ">")
        }
        "expand" | "nestedExpand" => {
            let mut title = String::new();
            escape_text(
                attr_str(node, "title").unwrap_or(""),
                &mut title,
                false,
                false,
            );
            let body = render_blocks(children(node));
            format!("**▸ {title}**\n\n{body}")
        }
        "mediaSingle" | "mediaGroup" | "media" => {
            let mut out = String::new();
            collect_media(node, &mut out);
            out
        }
        "taskList" | "decisionList" => readable_item_list(node),
        "table" => readable_table(node),
        "layoutSection" | "layoutColumn" | "bodiedExtension" => render_blocks(children(node)),
        _ => {
            let text = plain::adf_to_plain_text(node);
            let mut out = String::new();
            escape_plain_paragraphs(&text, &mut out);
            out
        }
    }
}

/// Lists media nodes as `[attachment: name]` lines.
fn collect_media(node: &Value, out: &mut String) {
    if node_type(node) == "media" {
        let name = attr_str(node, "alt")
            .or_else(|| attr_str(node, "url"))
            .or_else(|| attr_str(node, "id"))
            .unwrap_or("file");
        if !out.is_empty() {
            out.push_str("\\\n");
        }
        out.push_str("\\[attachment: ");
        escape_text(name, out, false, true);
        out.push_str("\\]");
    }
    for child in children(node) {
        collect_media(child, out);
    }
}

/// Task and decision lists rendered as (readable-only) Markdown lists.
fn readable_item_list(node: &Value) -> String {
    let mut lines = Vec::new();
    for item in children(node) {
        match node_type(item) {
            "taskList" | "decisionList" => {
                lines.push(prefix_lines(&readable_item_list(item), "  ", ""));
            }
            ty => {
                let mark = match (ty, attr_str(item, "state")) {
                    ("taskItem", Some("DONE")) => "[x] ",
                    ("taskItem", _) => "[ ] ",
                    _ => "Decision: ",
                };
                let mut line = format!("- {mark}");
                let text: String = children(item)
                    .iter()
                    .map(plain::adf_to_plain_text)
                    .collect();
                escape_text(&text, &mut line, false, true);
                lines.push(line);
            }
        }
    }
    lines.join("\n")
}

/// A table Markdown cannot hold exactly, flattened to a GFM table of plain text.
fn readable_table(node: &Value) -> String {
    let rows: Vec<Vec<String>> = children(node)
        .iter()
        .map(|row| {
            children(row)
                .iter()
                .map(|cell| {
                    let mut s = String::new();
                    let text = plain::adf_to_plain_text(cell).replace('\n', " ");
                    escape_text(text.trim(), &mut s, false, false);
                    s
                })
                .collect()
        })
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_row(row.iter().map(String::as_str), width, &mut out);
        if i == 0 {
            out.push('\n');
            write_delimiter_row(width, &mut out);
        }
    }
    out
}

fn write_row<'a>(cells: impl Iterator<Item = &'a str>, width: usize, out: &mut String) {
    out.push('|');
    let mut n = 0;
    for cell in cells {
        out.push(' ');
        out.push_str(cell);
        out.push_str(" |");
        n += 1;
    }
    for _ in n..width {
        out.push_str("  |");
    }
}

fn write_delimiter_row(width: usize, out: &mut String) {
    out.push('|');
    for _ in 0..width {
        out.push_str(" --- |");
    }
}

fn render_paragraph(node: &Value) -> Option<String> {
    let content = children(node);
    if content.is_empty() {
        return None;
    }
    render_inline(content, Ctx::Paragraph).filter(|s| !s.is_empty())
}

fn render_heading(node: &Value) -> Option<String> {
    let level = node.get("attrs")?.get("level")?.as_u64()?;
    if !(1..=6).contains(&level) {
        return None;
    }
    let inline = render_inline(children(node), Ctx::Heading)?;
    let mut out = "#".repeat(level as usize);
    if !inline.is_empty() {
        out.push(' ');
        out.push_str(&inline);
    }
    Some(out)
}

fn render_blockquote(node: &Value) -> Option<String> {
    let content = children(node);
    if content.is_empty() {
        return None;
    }
    Some(prefix_lines(&render_blocks(content), "> ", ">"))
}

/// Prefixes every line; empty lines get `empty_prefix` (no trailing spaces).
fn prefix_lines(text: &str, prefix: &str, empty_prefix: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + prefix.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            out.push_str(empty_prefix);
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
    }
    out
}

fn render_code_block(node: &Value) -> Option<String> {
    let mut text = String::new();
    for child in children(node) {
        if node_type(child) != "text" || !marks(child).is_empty() {
            return None;
        }
        text.push_str(text_of(child));
    }
    if text.contains(['\r', '\0']) {
        return None;
    }
    let language = match node.get("attrs").and_then(|a| a.get("language")) {
        None | Some(Value::Null) => "",
        Some(Value::String(lang)) => {
            let safe = !lang.is_empty()
                && lang.chars().all(|c| {
                    !c.is_whitespace() && !c.is_control() && !matches!(c, '`' | '\\' | '&')
                });
            if !safe {
                return None;
            }
            lang
        }
        Some(_) => return None,
    };
    let fence = "`".repeat(longest_run(&text, '`').max(2) + 1);
    let mut out = String::with_capacity(text.len() + 2 * fence.len() + language.len() + 2);
    out.push_str(&fence);
    out.push_str(language);
    out.push('\n');
    if !text.is_empty() {
        out.push_str(&text);
        out.push('\n');
    }
    out.push_str(&fence);
    Some(out)
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in text.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn render_list(node: &Value, ordered: bool, alternate: bool) -> Option<String> {
    let items = children(node);
    if items.is_empty() {
        return None;
    }
    let start = if ordered {
        match node.get("attrs").and_then(|a| a.get("order")) {
            None | Some(Value::Null) => 1,
            Some(v) => v.as_u64().filter(|n| *n < 100_000_000)?,
        }
    } else {
        0
    };
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if node_type(item) != "listItem" || attrs(item).is_some() {
            return None;
        }
        let marker = match (ordered, alternate) {
            (true, false) => format!("{}.", start + i as u64),
            (true, true) => format!("{})", start + i as u64),
            (false, false) => "-".to_owned(),
            (false, true) => "*".to_owned(),
        };
        let body = render_list_item(item)?;
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&marker);
        let starts_with_list = children(item)
            .first()
            .is_some_and(|b| matches!(node_type(b), "bulletList" | "orderedList"));
        if starts_with_list {
            // `- - -` would read as a thematic break: start the nested list on
            // the next line (an item may begin with one blank line).
            out.push('\n');
            out.push_str(&prefix_lines(&body, &" ".repeat(marker.len() + 1), ""));
        } else if let Some((first, rest)) = body.split_once('\n') {
            out.push(' ');
            out.push_str(first);
            out.push('\n');
            out.push_str(&prefix_lines(rest, &" ".repeat(marker.len() + 1), ""));
        } else if !body.is_empty() {
            out.push(' ');
            out.push_str(&body);
        }
    }
    Some(out)
}

/// The body of a list item (without marker or indentation).
fn render_list_item(item: &Value) -> Option<String> {
    let content = children(item);
    match content {
        [] => return None,
        [only] if is_empty_paragraph(only) => return Some(String::new()),
        _ => {}
    }
    // The first block must not be one that the marker line would misread.
    if matches!(node_type(&content[0]), "rule") {
        return None;
    }
    let mut out = String::new();
    let mut prev_list: Option<(&str, bool)> = None;
    for (i, block) in content.iter().enumerate() {
        let ty = node_type(block);
        let list_kind = matches!(ty, "bulletList" | "orderedList").then_some(ty);
        let alternate = match (prev_list, list_kind) {
            (Some((p, a)), Some(c)) if p == c => !a,
            _ => false,
        };
        if i > 0 {
            // A nested list may follow its paragraph directly (tight) when it can
            // interrupt a paragraph; otherwise separate with a blank line.
            let tight = node_type(&content[i - 1]) == "paragraph"
                && list_kind.is_some()
                && can_interrupt_paragraph(block);
            out.push_str(if tight { "\n" } else { "\n\n" });
        }
        if is_inline_type(ty) {
            return None;
        }
        out.push_str(&render_block(block, alternate));
        prev_list = list_kind.map(|k| (k, alternate));
    }
    Some(out)
}

fn is_empty_paragraph(node: &Value) -> bool {
    node_type(node) == "paragraph"
        && children(node).is_empty()
        && attrs(node).is_none()
        && node.as_object().is_some_and(|m| {
            m.keys()
                .all(|k| matches!(k.as_str(), "type" | "content" | "attrs"))
        })
}

/// Whether a list starts in a way CommonMark lets interrupt a paragraph.
fn can_interrupt_paragraph(list: &Value) -> bool {
    if attrs(list).is_some_and(|a| a.keys().any(|k| k != "order")) {
        return false;
    }
    let starts_at_one = node_type(list) == "bulletList"
        || list
            .get("attrs")
            .and_then(|a| a.get("order"))
            .is_none_or(|o| o.as_u64() == Some(1));
    let first_nonempty = children(list).first().is_some_and(|item| {
        children(item)
            .first()
            .is_some_and(|b| !is_empty_paragraph(b))
    });
    starts_at_one && first_nonempty
}

fn render_table(node: &Value) -> Option<String> {
    let rows = children(node);
    let width = children(rows.first()?).len();
    if width == 0 {
        return None;
    }
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        if node_type(row) != "tableRow" || attrs(row).is_some() {
            return None;
        }
        let cells = children(row);
        if cells.len() != width {
            return None;
        }
        let expected = if r == 0 { "tableHeader" } else { "tableCell" };
        let mut rendered = Vec::with_capacity(width);
        for cell in cells {
            if node_type(cell) != expected || attrs(cell).is_some() {
                return None;
            }
            let paragraph = match children(cell) {
                [p] if node_type(p) == "paragraph" && attrs(p).is_none() => p,
                _ => return None,
            };
            rendered.push(render_inline(children(paragraph), Ctx::Cell)?);
        }
        if r > 0 {
            out.push('\n');
        }
        write_row(rendered.iter().map(String::as_str), width, &mut out);
        if r == 0 {
            out.push('\n');
            write_delimiter_row(width, &mut out);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Inline content
// ---------------------------------------------------------------------------

/// A mark Markdown can express.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mark<'a> {
    Link {
        href: &'a str,
        title: Option<&'a str>,
    },
    Strong,
    Em,
    Strike,
    Underline,
    Sub,
    Sup,
    Code,
}

impl Mark<'_> {
    fn rank(&self) -> u8 {
        match self {
            Mark::Link { .. } => 0,
            Mark::Strong => 1,
            Mark::Em => 2,
            Mark::Strike => 3,
            Mark::Underline => 4,
            Mark::Sub | Mark::Sup => 5,
            Mark::Code => 7,
        }
    }
}

/// One rendered unit of an inline sequence.
#[derive(Debug)]
enum Piece<'a> {
    Text {
        text: &'a str,
        marks: Vec<Mark<'a>>,
    },
    Break,
    /// Already rendered Markdown (placeholders, mentions).
    Raw(String),
}

impl<'a> Piece<'a> {
    fn marks(&self) -> &[Mark<'a>] {
        match self {
            Piece::Text { marks, .. } => marks,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `**`, `*`, `~~`, backtick code spans.
    Nice,
    /// HTML tags for every mark; immune to flanking rules.
    Safe,
}

/// Renders inline nodes; `None` when no Markdown form reproduces them exactly.
fn render_inline(nodes: &[Value], ctx: Ctx) -> Option<String> {
    let nodes = normalize_children(nodes);
    let pieces: Vec<Piece<'_>> = nodes.iter().map(to_piece).collect();
    let needs_check = pieces.iter().any(
        |p| !matches!(p, Piece::Text { marks, text } if marks.is_empty() && !text.contains('\0')),
    );
    if let Some(nice) = render_pieces(&pieces, ctx, Mode::Nice)
        && (!needs_check || verify(&nice, ctx, &nodes))
    {
        return Some(nice);
    }
    let safe = render_pieces(&pieces, ctx, Mode::Safe)?;
    verify(&safe, ctx, &nodes).then_some(safe)
}

/// Re-parses a rendering and checks it yields exactly `expected`.
fn verify(rendered: &str, ctx: Ctx, expected: &[Value]) -> bool {
    let md = match ctx {
        Ctx::Paragraph => rendered.to_owned(),
        Ctx::Heading => format!("# {rendered}"),
        Ctx::Cell => format!("| x |\n| --- |\n| {rendered} |"),
    };
    let doc = markdown_to_adf(&md);
    let Some(block) = children(&doc).first().filter(|_| children(&doc).len() == 1) else {
        return false;
    };
    let inline = match ctx {
        Ctx::Paragraph if node_type(block) == "paragraph" => children(block),
        Ctx::Heading if node_type(block) == "heading" => children(block),
        Ctx::Cell if node_type(block) == "table" => {
            let row = children(block).get(1);
            let cell = row.and_then(|r| children(r).first());
            match cell.map(children) {
                Some([p]) => children(p),
                _ => return false,
            }
        }
        _ => return false,
    };
    inline.len() == expected.len()
        && inline
            .iter()
            .zip(expected)
            .all(|(got, want)| normalize_adf(got) == *want)
}

/// Classifies a (normalised) inline node.
fn to_piece(node: &Value) -> Piece<'_> {
    match node_type(node) {
        "text" if node.get("text").is_some_and(Value::is_string) => {
            let mut out = Vec::new();
            for mark in marks(node) {
                match native_mark(mark) {
                    Some(m) => out.push(m),
                    None => return Piece::Raw(inline_placeholder(node)),
                }
            }
            if node.as_object().is_some_and(|m| m.len() > 3) {
                return Piece::Raw(inline_placeholder(node));
            }
            out.sort_by_key(Mark::rank);
            Piece::Text {
                text: text_of(node),
                marks: out,
            }
        }
        "hardBreak" if node.as_object().is_some_and(|m| m.len() == 1) => Piece::Break,
        "mention" => match mention_shortcut(node) {
            Some(md) => Piece::Raw(md),
            None => Piece::Raw(inline_placeholder(node)),
        },
        _ => Piece::Raw(inline_placeholder(node)),
    }
}

/// A mark Markdown expresses, or `None`.
fn native_mark(mark: &Value) -> Option<Mark<'_>> {
    let obj = mark.as_object()?;
    let attrs = obj.get("attrs").and_then(Value::as_object);
    let no_attrs = attrs.is_none_or(Map::is_empty);
    if obj.keys().any(|k| !matches!(k.as_str(), "type" | "attrs")) {
        return None;
    }
    let m = match node_type(mark) {
        "strong" if no_attrs => Mark::Strong,
        "em" if no_attrs => Mark::Em,
        "strike" if no_attrs => Mark::Strike,
        "underline" if no_attrs => Mark::Underline,
        "code" if no_attrs => Mark::Code,
        "subsup" => {
            let attrs = attrs?;
            if attrs.len() != 1 {
                return None;
            }
            match attrs.get("type")?.as_str()? {
                "sub" => Mark::Sub,
                "sup" => Mark::Sup,
                _ => return None,
            }
        }
        "link" => {
            let attrs = attrs?;
            let href = attrs.get("href")?.as_str()?;
            let title = match attrs.get("title") {
                None => None,
                Some(Value::String(t)) if !t.is_empty() && !t.contains(['\n', '\r']) => {
                    Some(t.as_str())
                }
                Some(_) => return None,
            };
            if attrs.keys().any(|k| k != "href" && k != "title")
                || href.contains(['\n', '\r'])
                || href.starts_with(INLINE_SCHEME)
                || href.starts_with(MENTION_SCHEME)
            {
                return None;
            }
            Mark::Link { href, title }
        }
        _ => return None,
    };
    Some(m)
}

/// `[@Name](accountid:ID)` for mentions carrying only `id` and `text`.
fn mention_shortcut(node: &Value) -> Option<String> {
    let obj = node.as_object()?;
    if obj.keys().any(|k| k != "type" && k != "attrs") {
        return None;
    }
    let attrs = obj.get("attrs")?.as_object()?;
    if attrs.len() != 2 {
        return None;
    }
    let id = attrs.get("id")?.as_str()?;
    let text = attrs.get("text")?.as_str()?;
    let id_ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'));
    if !id_ok || text.is_empty() || text.contains(['\n', '\r', '\0']) {
        return None;
    }
    let mut out = String::from("[");
    escape_text(text, &mut out, true, true);
    out.push_str("](");
    out.push_str(MENTION_SCHEME);
    out.push_str(id);
    out.push(')');
    Some(out)
}

/// `[readable](adf:BASE64URL)`.
fn inline_placeholder(node: &Value) -> String {
    let readable = readable_inline(node);
    let data = encode_inline(node);
    let mut out = String::with_capacity(readable.len() + data.len() + 12);
    out.push('[');
    escape_text(&readable, &mut out, true, true);
    out.push_str("](");
    out.push_str(INLINE_SCHEME);
    out.push_str(&data);
    out.push(')');
    out
}

fn readable_inline(node: &Value) -> String {
    let text = match node_type(node) {
        "text" => text_of(node).to_owned(),
        "mention" => {
            let name = attr_str(node, "text").unwrap_or("");
            if name.starts_with('@') {
                name.to_owned()
            } else if name.is_empty() {
                format!("@{}", attr_str(node, "id").unwrap_or("unknown"))
            } else {
                format!("@{name}")
            }
        }
        "status" => format!("STATUS: {}", attr_str(node, "text").unwrap_or("")),
        _ => plain::adf_to_plain_text(node),
    };
    // Keep inline placeholders on one line.
    text.replace(['\n', '\r'], " ")
}

/// Renders pieces in `mode`; `None` when the mode cannot express a piece.
fn render_pieces(pieces: &[Piece<'_>], ctx: Ctx, mode: Mode) -> Option<String> {
    let mut out = String::new();
    let mut stack: Vec<&Mark<'_>> = Vec::new();
    let last = pieces.len().saturating_sub(1);
    let mut i = 0;
    while i < pieces.len() {
        let piece = &pieces[i];
        let want: Vec<&Mark<'_>> = piece
            .marks()
            .iter()
            .filter(|m| mode == Mode::Safe || **m != Mark::Code)
            .collect();
        let keep = stack.iter().take_while(|m| want.contains(m)).count();
        while stack.len() > keep {
            if let Some(m) = stack.pop() {
                close_mark(m, mode, &mut out);
            }
        }
        // Autolink: a single piece whose only mark is a link to its own text.
        if let Piece::Text { text, marks } = piece
            && stack.is_empty()
            && let [Mark::Link { href, title: None }] = marks.as_slice()
            && text == href
            && is_autolink_safe(href)
            && pieces
                .get(i + 1)
                .is_none_or(|next| !next.marks().contains(&marks[0]))
        {
            out.push('<');
            out.push_str(href);
            out.push('>');
            i += 1;
            continue;
        }
        let mut to_open: Vec<&Mark<'_>> = want.into_iter().filter(|m| !stack.contains(m)).collect();
        // Marks that last longer open first (outermost), so fewer re-opens.
        let run = |m: &Mark<'_>| {
            pieces[i..]
                .iter()
                .take_while(|p| p.marks().contains(m))
                .count()
        };
        to_open.sort_by(|a, b| run(b).cmp(&run(a)).then(a.rank().cmp(&b.rank())));
        for m in to_open {
            open_mark(m, mode, &mut out);
            stack.push(m);
        }
        let line_start = out.is_empty() || out.ends_with('\n');
        let first = i == 0 || matches!(pieces[i - 1], Piece::Break);
        let ends_line = i == last || matches!(pieces.get(i + 1), Some(Piece::Break));
        match piece {
            Piece::Text { text, marks } => {
                if mode == Mode::Nice && marks.contains(&Mark::Code) {
                    code_span(text, ctx, &mut out)?;
                } else {
                    let start = if line_start && ctx != Ctx::Cell {
                        LineStart::Block
                    } else if first {
                        LineStart::Whitespace
                    } else {
                        LineStart::No
                    };
                    escape_text_at(text, &mut out, start, ends_line, ctx == Ctx::Heading);
                }
            }
            Piece::Break => {
                if ctx == Ctx::Paragraph && i != last {
                    out.push_str("\\\n");
                } else {
                    out.push_str("<br>");
                }
            }
            Piece::Raw(md) => out.push_str(md),
        }
        i += 1;
    }
    while let Some(m) = stack.pop() {
        close_mark(m, mode, &mut out);
    }
    Some(out)
}

fn open_mark(mark: &Mark<'_>, mode: Mode, out: &mut String) {
    out.push_str(match (mark, mode) {
        (Mark::Link { .. }, _) => "[",
        (Mark::Strong, Mode::Nice) => "**",
        (Mark::Strong, Mode::Safe) => "<strong>",
        (Mark::Em, Mode::Nice) => "*",
        (Mark::Em, Mode::Safe) => "<em>",
        (Mark::Strike, Mode::Nice) => "~~",
        (Mark::Strike, Mode::Safe) => "<del>",
        (Mark::Underline, _) => "<u>",
        (Mark::Sub, _) => "<sub>",
        (Mark::Sup, _) => "<sup>",
        (Mark::Code, _) => "<code>",
    });
}

fn close_mark(mark: &Mark<'_>, mode: Mode, out: &mut String) {
    match (mark, mode) {
        (Mark::Link { href, title }, _) => {
            out.push_str("](");
            write_destination(href, out);
            if let Some(title) = title {
                out.push_str(" \"");
                for c in title.chars() {
                    if matches!(c, '"' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            out.push(')');
        }
        (Mark::Strong, Mode::Nice) => out.push_str("**"),
        (Mark::Strong, Mode::Safe) => out.push_str("</strong>"),
        (Mark::Em, Mode::Nice) => out.push('*'),
        (Mark::Em, Mode::Safe) => out.push_str("</em>"),
        (Mark::Strike, Mode::Nice) => out.push_str("~~"),
        (Mark::Strike, Mode::Safe) => out.push_str("</del>"),
        (Mark::Underline, _) => out.push_str("</u>"),
        (Mark::Sub, _) => out.push_str("</sub>"),
        (Mark::Sup, _) => out.push_str("</sup>"),
        (Mark::Code, _) => out.push_str("</code>"),
    }
}

/// Writes a link destination, bare when unambiguous, else in `<…>` form.
fn write_destination(href: &str, out: &mut String) {
    let bare = !href.is_empty()
        && href.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, '(' | ')' | '<' | '>' | '\\')
        })
        && !has_entity_like(href);
    if bare {
        out.push_str(href);
        return;
    }
    out.push('<');
    for (i, c) in href.char_indices() {
        if matches!(c, '<' | '>' | '\\') || (c == '&' && looks_like_entity(&href[i..])) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('>');
}

fn has_entity_like(s: &str) -> bool {
    s.match_indices('&')
        .any(|(i, _)| looks_like_entity(&s[i..]))
}

/// Whether `s` (starting with `&`) could be read as an entity reference.
fn looks_like_entity(s: &str) -> bool {
    let rest = &s[1..];
    let body: &str = rest.split(';').next().unwrap_or("");
    let body = body.strip_prefix('#').unwrap_or(body);
    rest.contains(';')
        && !body.is_empty()
        && body.len() <= 32
        && body.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_autolink_safe(href: &str) -> bool {
    let Some((scheme, rest)) = href.split_once(':') else {
        return false;
    };
    (2..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && href.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(c, '<' | '>' | '\\' | '*' | '_' | '~')
        })
        && !has_entity_like(href)
}

/// A backtick code span; `None` when a code span cannot hold the text.
fn code_span(text: &str, ctx: Ctx, out: &mut String) -> Option<()> {
    if text.contains(['\n', '\r', '\0']) || text.is_empty() {
        return None;
    }
    let fence = "`".repeat(longest_run(text, '`') + 1);
    let all_spaces = text.chars().all(|c| c == ' ');
    let pad = !all_spaces
        && (text.starts_with('`')
            || text.ends_with('`')
            || (text.starts_with(' ') && text.ends_with(' ')));
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    if ctx == Ctx::Cell {
        out.push_str(&text.replace('|', "\\|"));
    } else {
        out.push_str(text);
    }
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
    Some(())
}

/// How much of Markdown's line-start syntax applies to a text run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStart {
    /// Mid-line.
    No,
    /// Leading whitespace would be stripped (start of a cell or after a tag).
    Whitespace,
    /// At the very start of a line: block syntax (`#`, `>`, `-`, `1.` …) applies.
    Block,
}

/// Escapes text for an inline position that is neither at line start nor end
/// unless stated.
fn escape_text(text: &str, out: &mut String, line_start: bool, line_end: bool) {
    let start = if line_start {
        LineStart::Block
    } else {
        LineStart::No
    };
    escape_text_at(text, out, start, line_end, false);
}

/// Escapes text so it always parses back as exactly this text.
fn escape_text_at(text: &str, out: &mut String, start: LineStart, line_end: bool, heading: bool) {
    let chars: Vec<char> = text.chars().collect();
    // Leading whitespace would be stripped at line start; trailing before a line end.
    let lead = if start == LineStart::No {
        0
    } else {
        chars.iter().take_while(|c| matches!(c, ' ' | '\t')).count()
    };
    let trail_from = if line_end {
        let t = chars[lead..]
            .iter()
            .rev()
            .take_while(|c| matches!(c, ' ' | '\t'))
            .count();
        chars.len() - t
    } else {
        chars.len()
    };
    let block_start = start == LineStart::Block && lead == 0;
    let mut byte = 0;
    for (i, &c) in chars.iter().enumerate() {
        let rest = &text[byte..];
        byte += c.len_utf8();
        if i < lead || i >= trail_from {
            push_entity(c, out);
            continue;
        }
        let prev = if i == 0 { None } else { Some(chars[i - 1]) };
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '|' | '~' => true,
            '_' => {
                !(prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric))
            }
            '&' => looks_like_entity(rest),
            '#' => heading || (block_start && i == 0),
            '>' | '-' | '+' | '=' => block_start && i == 0,
            '.' | ')' => block_start && chars[..i].iter().all(char::is_ascii_digit) && i > 0,
            '\n' | '\r' | '\0' => {
                push_entity(c, out);
                continue;
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

fn push_entity(c: char, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "&#{};", u32::from(c));
}

/// Plain text (possibly multi-line) as escaped paragraphs, one per line.
fn escape_plain_paragraphs(text: &str, out: &mut String) {
    let mut first = true;
    for line in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        if !first {
            out.push_str("\n\n");
        }
        first = false;
        escape_text(line, out, true, true);
    }
}
