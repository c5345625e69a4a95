//! Markdown → ADF.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value, json};

use super::{
    ATTRS_OPEN, BLOCK_CLOSE, BLOCK_OPEN, INLINE_SCHEME, MENTION_SCHEME, decode_comment,
    decode_inline, sort_marks,
};

/// Converts Markdown (CommonMark + GFM tables and strikethrough) to an ADF
/// document `{"type":"doc","version":1,"content":[…]}`, restoring any
/// placeholders written by [`adf_to_markdown`](super::adf_to_markdown).
pub fn markdown_to_adf(md: &str) -> Value {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut builder = Builder::new();
    for event in Parser::new_ext(md, options) {
        builder.event(event);
    }
    builder.finish()
}

/// What a frame on the builder's stack collects.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// Holds block children (doc, blockquote, lists, list items, tables, rows).
    Blocks,
    /// Holds inline children (paragraph, heading).
    Inline,
    /// A paragraph opened implicitly for a tight list item's text.
    ImplicitParagraph,
    /// A table cell: holds one paragraph frame on top of it.
    Cell,
    /// Collects raw text (code block, HTML block).
    Raw,
    /// A `[@Name](accountid:ID)` mention collecting its name.
    Mention,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    ty: &'static str,
    attrs: Map<String, Value>,
    content: Vec<Value>,
    text: String,
}

impl Frame {
    fn new(kind: Kind, ty: &'static str) -> Self {
        Self {
            kind,
            ty,
            attrs: Map::new(),
            content: Vec::new(),
            text: String::new(),
        }
    }

    fn into_node(self) -> Value {
        let mut node = Map::new();
        node.insert("type".into(), Value::String(self.ty.into()));
        match self.kind {
            Kind::Raw => {
                if !self.attrs.is_empty() {
                    node.insert("attrs".into(), Value::Object(self.attrs));
                }
                if !self.text.is_empty() {
                    node.insert(
                        "content".into(),
                        json!([{"type": "text", "text": self.text}]),
                    );
                }
            }
            Kind::Mention => {
                let mut attrs = self.attrs;
                attrs.insert("text".into(), Value::String(self.text));
                node.insert("attrs".into(), Value::Object(attrs));
            }
            _ => {
                if !self.attrs.is_empty() {
                    node.insert("attrs".into(), Value::Object(self.attrs));
                }
                if !self.content.is_empty() || self.ty == "doc" {
                    node.insert("content".into(), Value::Array(self.content));
                }
            }
        }
        if self.ty == "doc" {
            node.insert("version".into(), json!(1));
        }
        Value::Object(node)
    }
}

/// Skipping the readable part of a placeholder.
#[derive(Debug)]
enum Skip {
    /// Inside `[readable](adf:…)`: until the link ends.
    Inline { depth: usize },
    /// After `<!--adf:…-->`: until the matching `<!--/adf-->`, or until the
    /// enclosing container ends (a damaged placeholder never eats its parent).
    Block {
        depth: usize,
        open: usize,
        html: Option<String>,
    },
}

/// An open inline mark, remembered so its end event pops the right one.
#[derive(Debug)]
struct OpenMark {
    mark: Value,
    /// For images: content length at start, to fall back to the URL as text.
    image_url: Option<(usize, String)>,
    /// Which HTML tag opened it, for marks opened by inline HTML.
    html_tag: Option<&'static str>,
}

#[derive(Debug)]
struct Builder {
    stack: Vec<Frame>,
    marks: Vec<OpenMark>,
    skip: Option<Skip>,
    pending_attrs: Option<Map<String, Value>>,
    in_table_head: bool,
}

impl Builder {
    fn new() -> Self {
        Self {
            stack: vec![Frame::new(Kind::Blocks, "doc")],
            marks: Vec::new(),
            skip: None,
            pending_attrs: None,
            in_table_head: false,
        }
    }

    fn finish(mut self) -> Value {
        while self.stack.len() > 1 {
            self.pop_frame();
        }
        self.stack.pop().map_or_else(
            || json!({"type": "doc", "version": 1, "content": []}),
            Frame::into_node,
        )
    }

    fn top(&mut self) -> &mut Frame {
        // The doc frame is never popped before `finish`.
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Pops the top frame and appends its node to the parent.
    fn pop_frame(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        if let Some(frame) = self.stack.pop() {
            let node = frame.into_node();
            self.top().content.push(node);
        }
    }

    /// Pushes a block frame, applying a pending attribute sidecar.
    fn push_block(&mut self, kind: Kind, ty: &'static str, attrs: Map<String, Value>) {
        let mut frame = Frame::new(kind, ty);
        frame.attrs = attrs;
        if let Some(extra) = self.pending_attrs.take() {
            frame.attrs.extend(extra);
        }
        self.stack.push(frame);
    }

    /// Before a block starts: a tight item's implicit paragraph ends.
    fn close_implicit(&mut self) {
        if self.top().kind == Kind::ImplicitParagraph {
            self.pop_frame();
        }
    }

    /// Makes sure inline content has a paragraph to go into.
    fn ensure_inline(&mut self) {
        if !matches!(
            self.top().kind,
            Kind::Inline | Kind::ImplicitParagraph | Kind::Mention
        ) {
            self.push_block(Kind::ImplicitParagraph, "paragraph", Map::new());
        }
    }

    fn push_text(&mut self, text: &str, extra_mark: Option<Value>) {
        if text.is_empty() {
            return;
        }
        if matches!(self.top().kind, Kind::Raw | Kind::Mention) {
            self.top().text.push_str(text);
            return;
        }
        self.ensure_inline();
        let mut marks: Vec<Value> = self.marks.iter().map(|m| m.mark.clone()).collect();
        marks.extend(extra_mark);
        sort_marks(&mut marks);
        marks.dedup();
        let content = &mut self.top().content;
        if let Some(prev) = content.last_mut()
            && prev.get("type").and_then(Value::as_str) == Some("text")
            && prev
                .get("marks")
                .map_or(marks.is_empty(), |m| m.as_array() == Some(&marks))
            && prev.as_object().is_some_and(|o| o.len() <= 3)
            && let Some(Value::String(existing)) = prev.get_mut("text")
        {
            existing.push_str(text);
            return;
        }
        let mut node = Map::new();
        node.insert("type".into(), Value::String("text".into()));
        node.insert("text".into(), Value::String(text.into()));
        if !marks.is_empty() {
            node.insert("marks".into(), Value::Array(marks));
        }
        content.push(Value::Object(node));
    }

    fn push_inline_node(&mut self, node: Value) {
        self.ensure_inline();
        self.top().content.push(node);
    }

    fn event(&mut self, event: Event<'_>) {
        if self.skip.is_some() {
            self.skip_event(event);
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.push_text(&text, None),
            Event::Code(text) => self.push_text(&text, Some(json!({"type": "code"}))),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.push_text(&text, None),
            Event::Html(html) => {
                if self.top().kind == Kind::Raw {
                    self.top().text.push_str(&html);
                } else {
                    self.push_text(&html, None);
                }
            }
            Event::InlineHtml(html) => self.inline_html(&html),
            Event::FootnoteReference(name) => self.push_text(&format!("[^{name}]"), None),
            Event::SoftBreak => self.push_text(" ", None),
            Event::HardBreak => self.push_inline_node(json!({"type": "hardBreak"})),
            Event::Rule => {
                self.close_implicit();
                self.push_block(Kind::Blocks, "rule", Map::new());
                self.pop_frame();
            }
            Event::TaskListMarker(done) => self.push_text(if done { "[x] " } else { "[ ] " }, None),
        }
    }

    fn skip_event(&mut self, event: Event<'_>) {
        let Some(skip) = self.skip.as_mut() else {
            return;
        };
        match skip {
            Skip::Inline { depth } => match event {
                Event::Start(_) => *depth += 1,
                Event::End(_) => {
                    *depth -= 1;
                    if *depth == 0 {
                        self.skip = None;
                    }
                }
                _ => {}
            },
            Skip::Block { depth, open, html } => match event {
                Event::Start(Tag::HtmlBlock) => {
                    *depth += 1;
                    *html = Some(String::new());
                }
                Event::Html(text) => {
                    if let Some(buf) = html.as_mut() {
                        buf.push_str(&text);
                    }
                }
                Event::End(TagEnd::HtmlBlock) => {
                    *depth -= 1;
                    let text = html.take().unwrap_or_default();
                    let text = text.trim();
                    if text.starts_with(BLOCK_OPEN) {
                        *open += 1;
                    } else if text == BLOCK_CLOSE {
                        *open -= 1;
                        if *open == 0 {
                            self.skip = None;
                        }
                    }
                }
                Event::Start(_) => *depth += 1,
                Event::End(end) => {
                    if *depth == 0 {
                        // The placeholder's container ends before its close
                        // marker: stop skipping and handle the end normally.
                        self.skip = None;
                        self.end(end);
                    } else {
                        *depth -= 1;
                    }
                }
                _ => {}
            },
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.close_implicit();
                self.push_block(Kind::Inline, "paragraph", Map::new());
            }
            Tag::Heading { level, .. } => {
                self.close_implicit();
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                let mut attrs = Map::new();
                attrs.insert("level".into(), json!(level));
                self.push_block(Kind::Inline, "heading", attrs);
            }
            Tag::BlockQuote(_) => {
                self.close_implicit();
                self.push_block(Kind::Blocks, "blockquote", Map::new());
            }
            Tag::CodeBlock(kind) => {
                self.close_implicit();
                let mut attrs = Map::new();
                if let CodeBlockKind::Fenced(info) = kind {
                    let info = info.trim();
                    if !info.is_empty() {
                        attrs.insert("language".into(), Value::String(info.into()));
                    }
                }
                self.push_block(Kind::Raw, "codeBlock", attrs);
            }
            Tag::HtmlBlock => {
                self.close_implicit();
                self.stack.push(Frame::new(Kind::Raw, "html"));
            }
            Tag::List(start) => {
                self.close_implicit();
                let mut attrs = Map::new();
                let ty = match start {
                    Some(n) => {
                        if n != 1 {
                            attrs.insert("order".into(), json!(n));
                        }
                        "orderedList"
                    }
                    None => "bulletList",
                };
                self.push_block(Kind::Blocks, ty, attrs);
            }
            Tag::Item => {
                self.close_implicit();
                self.stack.push(Frame::new(Kind::Blocks, "listItem"));
            }
            Tag::Table(_) => {
                self.close_implicit();
                self.push_block(Kind::Blocks, "table", Map::new());
            }
            Tag::TableHead => {
                self.in_table_head = true;
                self.stack.push(Frame::new(Kind::Blocks, "tableRow"));
            }
            Tag::TableRow => self.stack.push(Frame::new(Kind::Blocks, "tableRow")),
            Tag::TableCell => {
                let ty = if self.in_table_head {
                    "tableHeader"
                } else {
                    "tableCell"
                };
                self.stack.push(Frame::new(Kind::Cell, ty));
                self.stack.push(Frame::new(Kind::Inline, "paragraph"));
            }
            Tag::Emphasis => self.open_mark(json!({"type": "em"}), None),
            Tag::Strong => self.open_mark(json!({"type": "strong"}), None),
            Tag::Strikethrough => self.open_mark(json!({"type": "strike"}), None),
            Tag::Superscript => {
                self.open_mark(json!({"type": "subsup", "attrs": {"type": "sup"}}), None);
            }
            Tag::Subscript => {
                self.open_mark(json!({"type": "subsup", "attrs": {"type": "sub"}}), None);
            }
            Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                if let Some(data) = dest_url.strip_prefix(INLINE_SCHEME)
                    && let Some(node) = decode_inline(data)
                {
                    self.push_inline_node(node);
                    self.skip = Some(Skip::Inline { depth: 1 });
                    return;
                }
                if let Some(id) = dest_url.strip_prefix(MENTION_SCHEME)
                    && !id.is_empty()
                {
                    self.ensure_inline();
                    let mut frame = Frame::new(Kind::Mention, "mention");
                    frame.attrs.insert("id".into(), Value::String(id.into()));
                    self.stack.push(frame);
                    return;
                }
                let href = if link_type == LinkType::Email && !dest_url.starts_with("mailto:") {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                self.open_mark(link_mark(href, &title), None);
            }
            Tag::Image {
                dest_url, title, ..
            } => {
                self.ensure_inline();
                let len = self.top().content.len();
                self.marks.push(OpenMark {
                    mark: link_mark(dest_url.to_string(), &title),
                    image_url: Some((len, dest_url.to_string())),
                    html_tag: None,
                });
            }
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Table
            | TagEnd::TableRow => {
                self.close_implicit();
                self.pop_frame();
            }
            TagEnd::Item => {
                self.close_implicit();
                if self.top().ty == "listItem" && self.top().content.is_empty() {
                    self.top().content.push(json!({"type": "paragraph"}));
                }
                self.pop_frame();
            }
            TagEnd::CodeBlock => {
                if let Some(text) = self.top().text.strip_suffix('\n') {
                    let len = text.len();
                    self.top().text.truncate(len);
                }
                self.pop_frame();
            }
            TagEnd::HtmlBlock => self.end_html_block(),
            TagEnd::TableHead => {
                self.in_table_head = false;
                self.pop_frame();
            }
            TagEnd::TableCell => {
                // Paragraph into cell, cell into row.
                self.pop_frame();
                self.pop_frame();
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.close_mark(None);
            }
            TagEnd::Link => {
                if self.top().kind == Kind::Mention {
                    self.pop_frame();
                } else {
                    self.close_mark(None);
                }
            }
            TagEnd::Image => {
                if let Some(open) = self.marks.pop()
                    && let Some((len, url)) = open.image_url
                    && self.top().content.len() == len
                {
                    self.marks.push(OpenMark {
                        mark: open.mark,
                        image_url: None,
                        html_tag: None,
                    });
                    self.push_text(&url, None);
                    self.marks.pop();
                }
            }
            TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {}
        }
    }

    fn end_html_block(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let html = frame.text;
        let trimmed = html.trim();
        if trimmed.starts_with(ATTRS_OPEN) {
            if let Some(Value::Object(attrs)) = decode_comment(trimmed, ATTRS_OPEN) {
                self.pending_attrs = Some(attrs);
                return;
            }
        } else if trimmed.starts_with(BLOCK_OPEN) {
            if let Some(node) = decode_comment(trimmed, BLOCK_OPEN) {
                self.pending_attrs = None;
                self.top().content.push(node);
                self.skip = Some(Skip::Block {
                    depth: 0,
                    open: 1,
                    html: None,
                });
                return;
            }
        } else if trimmed == BLOCK_CLOSE {
            return;
        }
        self.pending_attrs = None;
        // Other raw HTML has no ADF form: keep it as literal text, line by line.
        let mut paragraph = Frame::new(Kind::Inline, "paragraph");
        for (i, line) in trimmed.lines().enumerate() {
            if i > 0 {
                paragraph.content.push(json!({"type": "hardBreak"}));
            }
            if !line.is_empty() {
                paragraph
                    .content
                    .push(json!({"type": "text", "text": line}));
            }
        }
        if !paragraph.content.is_empty() {
            let node = paragraph.into_node();
            self.top().content.push(node);
        }
    }

    fn open_mark(&mut self, mark: Value, html_tag: Option<&'static str>) {
        self.marks.push(OpenMark {
            mark,
            image_url: None,
            html_tag,
        });
    }

    /// Closes the innermost mark opened by markdown syntax (`tag == None`) or
    /// by the given HTML tag.
    fn close_mark(&mut self, html_tag: Option<&'static str>) {
        let pos = self.marks.iter().rposition(|m| match html_tag {
            Some(tag) => m.html_tag == Some(tag),
            None => m.html_tag.is_none() && m.image_url.is_none(),
        });
        if let Some(pos) = pos {
            self.marks.remove(pos);
        }
    }

    /// Inline HTML: the tags the ADF → Markdown direction writes become marks
    /// or hard breaks; anything else stays literal text.
    fn inline_html(&mut self, html: &str) {
        let tag = html.trim().to_ascii_lowercase();
        let (closing, name) = match tag.strip_prefix("</") {
            Some(rest) => (true, rest.trim_end_matches('>').trim()),
            None => (
                false,
                tag.trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim_end_matches('/')
                    .trim(),
            ),
        };
        if name == "br" && !closing {
            self.push_inline_node(json!({"type": "hardBreak"}));
            return;
        }
        let known: Option<(&'static str, Value)> = match name {
            "strong" | "b" => Some(("strong", json!({"type": "strong"}))),
            "em" | "i" => Some(("em", json!({"type": "em"}))),
            "del" | "s" | "strike" => Some(("del", json!({"type": "strike"}))),
            "u" | "ins" => Some(("u", json!({"type": "underline"}))),
            "sub" => Some(("sub", json!({"type": "subsup", "attrs": {"type": "sub"}}))),
            "sup" => Some(("sup", json!({"type": "subsup", "attrs": {"type": "sup"}}))),
            "code" => Some(("code", json!({"type": "code"}))),
            _ => None,
        };
        match known {
            Some((key, _)) if closing => {
                if self.marks.iter().any(|m| m.html_tag == Some(key)) {
                    self.close_mark(Some(key));
                } else {
                    self.push_text(html, None);
                }
            }
            Some((key, mark)) => self.open_mark(mark, Some(key)),
            None => self.push_text(html, None),
        }
    }
}

fn link_mark(href: String, title: &str) -> Value {
    let mut attrs = Map::new();
    attrs.insert("href".into(), Value::String(href));
    if !title.is_empty() {
        attrs.insert("title".into(), Value::String(title.into()));
    }
    json!({"type": "link", "attrs": attrs})
}
