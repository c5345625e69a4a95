//! Unit and property tests for the converters.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn doc(content: Value) -> Value {
    let mut node = json!({"type": "doc", "version": 1});
    node["content"] = content;
    node
}

fn para(content: Value) -> Value {
    let mut node = json!({"type": "paragraph"});
    node["content"] = content;
    node
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn marked(t: &str, marks: Value) -> Value {
    let mut node = text(t);
    node["marks"] = marks;
    node
}

/// Asserts the exact ADF → Markdown → ADF round trip and returns the Markdown.
#[track_caller]
fn assert_round_trip(adf: &Value) -> String {
    let md = adf_to_markdown(adf);
    let back = markdown_to_adf(&md);
    assert_eq!(
        normalize_adf(&back),
        normalize_adf(adf),
        "round trip failed; markdown was:\n{md}"
    );
    md
}

/// Asserts Markdown → ADF → Markdown is a fixed point after one pass.
#[track_caller]
fn assert_stable(md: &str) {
    let adf1 = markdown_to_adf(md);
    let md1 = adf_to_markdown(&adf1);
    let adf2 = markdown_to_adf(&md1);
    let md2 = adf_to_markdown(&adf2);
    assert_eq!(normalize_adf(&adf1), normalize_adf(&adf2), "md1:\n{md1}");
    assert_eq!(md1, md2);
}

// --- Markdown → ADF ---------------------------------------------------------

#[test]
fn md_paragraphs_and_headings() {
    let adf = markdown_to_adf("# Title\n\nHello world\n\n### Sub");
    assert_eq!(
        adf,
        doc(json!([
            {"type": "heading", "attrs": {"level": 1}, "content": [text("Title")]},
            para(json!([text("Hello world")])),
            {"type": "heading", "attrs": {"level": 3}, "content": [text("Sub")]},
        ]))
    );
}

#[test]
fn md_emphasis_strong_strike_code() {
    let adf = markdown_to_adf("a **b** *c* ~~d~~ `e`");
    assert_eq!(
        adf,
        doc(json!([para(json!([
            text("a "),
            marked("b", json!([{"type": "strong"}])),
            text(" "),
            marked("c", json!([{"type": "em"}])),
            text(" "),
            marked("d", json!([{"type": "strike"}])),
            text(" "),
            marked("e", json!([{"type": "code"}])),
        ]))]))
    );
}

#[test]
fn md_links_and_autolinks() {
    let adf = markdown_to_adf("[site](https://x.test \"T\") <https://a.test> <me@x.test>");
    let content = &adf["content"][0]["content"];
    assert_eq!(
        content[0],
        marked(
            "site",
            json!([{"type": "link", "attrs": {"href": "https://x.test", "title": "T"}}])
        )
    );
    assert_eq!(
        content[2],
        marked(
            "https://a.test",
            json!([{"type": "link", "attrs": {"href": "https://a.test"}}])
        )
    );
    assert_eq!(content[4]["marks"][0]["attrs"]["href"], "mailto:me@x.test");
}

#[test]
fn md_code_block_with_language() {
    let adf = markdown_to_adf("```rust\nfn main() {}\n```");
    assert_eq!(
        adf["content"][0],
        json!({"type": "codeBlock", "attrs": {"language": "rust"}, "content": [text("fn main() {}")]})
    );
}

#[test]
fn md_nested_lists_and_start_number() {
    let adf = markdown_to_adf("3. one\n4. two\n   - nested\n");
    assert_eq!(
        adf["content"][0],
        json!({"type": "orderedList", "attrs": {"order": 3}, "content": [
            {"type": "listItem", "content": [para(json!([text("one")]))]},
            {"type": "listItem", "content": [
                para(json!([text("two")])),
                {"type": "bulletList", "content": [{"type": "listItem", "content": [para(json!([text("nested")]))]}]},
            ]},
        ]})
    );
}

#[test]
fn md_table_quote_rule_hard_break() {
    let adf = markdown_to_adf("| A | B |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n---\n\nline\\\nnext");
    let table = &adf["content"][0];
    assert_eq!(table["type"], "table");
    assert_eq!(table["content"][0]["content"][0]["type"], "tableHeader");
    assert_eq!(
        table["content"][1]["content"][1]["content"][0],
        para(json!([text("2")]))
    );
    assert_eq!(
        adf["content"][1],
        json!({"type": "blockquote", "content": [para(json!([text("quoted")]))]})
    );
    assert_eq!(adf["content"][2], json!({"type": "rule"}));
    assert_eq!(
        adf["content"][3],
        para(json!([text("line"), {"type": "hardBreak"}, text("next")]))
    );
}

#[test]
fn md_mention_shortcut() {
    let adf = markdown_to_adf("hi [@Ann](accountid:123abc)");
    assert_eq!(
        adf["content"][0]["content"][1],
        json!({"type": "mention", "attrs": {"id": "123abc", "text": "@Ann"}})
    );
}

#[test]
fn md_empty_input() {
    assert_eq!(markdown_to_adf(""), doc(json!([])));
    assert_eq!(adf_to_markdown(&doc(json!([]))), "");
}

// --- ADF → Markdown -----------------------------------------------------------

#[test]
fn adf_basic_constructs_render_as_markdown() {
    let adf = doc(json!([
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Plan")]},
        para(json!([text("Do "), marked("this", json!([{"type": "strong"}])), text(" now")])),
        {"type": "bulletList", "content": [{"type": "listItem", "content": [para(json!([text("x")]))]}]},
        {"type": "codeBlock", "attrs": {"language": "sh"}, "content": [text("ls")]},
        {"type": "rule"},
    ]));
    let md = assert_round_trip(&adf);
    assert_eq!(
        md,
        "## Plan\n\nDo **this** now\n\n- x\n\n```sh\nls\n```\n\n---\n"
    );
}

#[test]
fn adf_escapes_markdown_syntax_in_text() {
    for t in [
        "# not heading",
        "1. not list",
        "* star",
        "> quote",
        "a_b_c",
        "_x_",
        "[x](y)",
        "a | b",
        "`tick`",
        "&amp;",
        "  padded  ",
        "- dash",
        "+ plus",
        "==",
        "<b>",
    ] {
        let md = assert_round_trip(&doc(json!([para(json!([text(t)]))])));
        assert!(!md.starts_with('#') && !md.starts_with("1."), "{md}");
    }
    assert_eq!(
        adf_to_markdown(&doc(json!([para(json!([text("snake_case id")]))]))),
        "snake_case id\n"
    );
}

#[test]
fn adf_marks_combinations_round_trip() {
    let adf = doc(json!([para(json!([
        marked("bold ", json!([{"type": "strong"}])),
        marked("both", json!([{"type": "strong"}, {"type": "em"}])),
        text(" "),
        marked(
            "link",
            json!([{"type": "link", "attrs": {"href": "https://e.test/a_(b)"}}, {"type": "code"}])
        ),
        marked("u", json!([{"type": "underline"}])),
        marked("2", json!([{"type": "subsup", "attrs": {"type": "sup"}}])),
        marked("x.", json!([{"type": "em"}])),
        text("y"),
    ]))]));
    assert_round_trip(&adf);
}

#[test]
fn adf_code_with_backticks_and_tables() {
    let adf = doc(json!([
        para(json!([marked("a`b``", json!([{"type": "code"}]))])),
        {"type": "codeBlock", "content": [text("```\ninner\n```")]},
        {"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [para(json!([text("H|1")]))]},
                {"type": "tableHeader", "content": [{"type": "paragraph"}]},
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "content": [para(json!([marked("a|b", json!([{"type": "code"}]))]))]},
                {"type": "tableCell", "content": [para(json!([text("x"), {"type": "hardBreak"}, text("y")]))]},
            ]},
        ]},
    ]));
    let md = assert_round_trip(&adf);
    assert!(md.contains("| H\\|1 |"), "{md}");
}

#[test]
fn adf_preserved_nodes_use_placeholders() {
    let status =
        json!({"type": "status", "attrs": {"text": "DONE", "color": "green", "localId": "s1"}});
    let emoji = json!({"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}});
    let panel = json!({"type": "panel", "attrs": {"panelType": "warning"}, "content": [para(json!([text("Careful")]))]});
    let adf = doc(json!([
        para(json!([text("State "), status, text(" "), emoji])),
        panel
    ]));
    let md = assert_round_trip(&adf);
    assert!(md.contains("[STATUS: DONE](adf:"), "{md}");
    assert!(md.contains("[😄](adf:"), "{md}");
    assert!(
        md.contains("<!--adf:{\"attrs\":{\"panelType\":\"warning\"}"),
        "{md}"
    );
    assert!(md.contains("> **Warning:**"), "{md}");
    assert!(md.contains("> Careful"), "{md}");
    assert!(md.contains("<!--/adf-->"), "{md}");
}

#[test]
fn adf_attribute_sidecar_keeps_table_editable() {
    let adf = doc(
        json!([{"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
            {"type": "tableRow", "content": [{"type": "tableHeader", "content": [para(json!([text("A")]))]}]},
            {"type": "tableRow", "content": [{"type": "tableCell", "content": [para(json!([text("1")]))]}]},
        ]}]),
    );
    let md = assert_round_trip(&adf);
    assert!(
        md.starts_with(
            "<!--adf-attrs:{\"isNumberColumnEnabled\":false,\"layout\":\"default\"}-->\n| A |"
        ),
        "{md}"
    );
}

#[test]
fn adf_unknown_and_text_color_are_not_dropped() {
    let adf = doc(json!([
        {"type": "futureBlock", "attrs": {"x": 1}, "content": [para(json!([text("inside")]))]},
        para(json!([marked("red", json!([{"type": "textColor", "attrs": {"color": "#ff0000"}}])), {"type": "futureInline", "attrs": {"v": "<-->"}}])),
        {"type": "paragraph"},
    ]));
    let md = assert_round_trip(&adf);
    assert!(md.contains("inside") && md.contains("[red](adf:"), "{md}");
}

#[test]
fn adjacent_lists_stay_separate() {
    let list = json!({"type": "bulletList", "content": [{"type": "listItem", "content": [para(json!([text("a")]))]}]});
    let ol = json!({"type": "orderedList", "attrs": {"order": 5}, "content": [{"type": "listItem", "content": [para(json!([text("b")]))]}]});
    assert_round_trip(&doc(json!([list.clone(), list, ol.clone(), ol])));
}

#[test]
fn realistic_jira_description_round_trips() {
    let adf = json!({"type": "doc", "version": 1, "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Summary"}]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "Checkout fails for "},
            {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Alice Smith", "accessLevel": ""}},
            {"type": "text", "text": " when the cart has > 10 items "},
            {"type": "emoji", "attrs": {"shortName": ":warning:", "id": "atlassian-warning", "text": ":warning:"}},
            {"type": "text", "text": ". Status: "},
            {"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue", "localId": "abc-123", "style": ""}},
            {"type": "text", "text": " since "},
            {"type": "date", "attrs": {"timestamp": "1700000000000"}},
        ]},
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Customer impact is "}, {"type": "text", "text": "high", "marks": [{"type": "strong"}]}]},
        ]},
        {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Steps to reproduce"}]},
        {"type": "orderedList", "attrs": {"order": 1}, "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Add 11 items, see "}, {"type": "text", "text": "docs", "marks": [{"type": "link", "attrs": {"href": "https://example.test/docs?a=1&b=2"}}]}]}]},
            {"type": "listItem", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Run:"}]},
                {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [{"type": "text", "text": "curl -X POST https://api/checkout \\\n  -d '{\"items\": 11}'"}]},
                {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "expect "}, {"type": "text", "text": "500", "marks": [{"type": "code"}]}]}]}]},
            ]},
        ]},
        {"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default", "localId": "t-1"}, "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "attrs": {}, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Env", "marks": [{"type": "strong"}]}]}]},
                {"type": "tableHeader", "attrs": {}, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Result"}]}]},
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "attrs": {}, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "prod"}]}]},
                {"type": "tableCell", "attrs": {}, "content": [{"type": "paragraph", "content": [{"type": "status", "attrs": {"text": "FAIL", "color": "red"}}]}]},
            ]},
        ]},
        {"type": "blockquote", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Seen twice today."}]}]},
        {"type": "rule"},
        {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [{"type": "media", "attrs": {"id": "f-1", "type": "file", "collection": "c", "alt": "screenshot.png"}}]},
        {"type": "expand", "attrs": {"title": "Logs"}, "content": [{"type": "codeBlock", "content": [{"type": "text", "text": "ERROR 500"}]}]},
        {"type": "taskList", "attrs": {"localId": "tl"}, "content": [{"type": "taskItem", "attrs": {"localId": "t1", "state": "TODO"}, "content": [{"type": "text", "text": "Fix it"}]}]},
        {"type": "paragraph", "content": [{"type": "inlineCard", "attrs": {"url": "https://example.test/browse/SHOP-1"}}]},
    ]});
    let md = assert_round_trip(&adf);
    for needle in [
        "## Summary",
        "@Alice Smith",
        "STATUS: IN PROGRESS",
        "2023-11-14",
        "**Info:**",
        "1. Add 11 items",
        "```bash",
        "| **Env** | Result |",
        "> Seen twice today.",
        "attachment: screenshot.png",
        "Logs",
        "[ ] Fix it",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
    // The Markdown itself is stable, too.
    assert_stable(&md);
}

#[test]
fn malformed_adf_never_panics_and_keeps_text() {
    let cases = [
        json!(null),
        json!("just a string"),
        json!(42),
        json!({"type": "doc"}),
        json!({"type": "doc", "content": "nope"}),
        json!({"type": "doc", "content": [{"type": "paragraph", "content": {"a": 1}}, {"content": [text("orphan text")]}]}),
        json!({"type": "doc", "content": [text("top-level text"), {"type": "heading", "attrs": {"level": "x"}, "content": [text("bad level")]}]}),
        json!({"type": "doc", "content": [{"type": "bulletList", "content": [text("item as text")]}, {"type": "table", "content": [{"type": "tableRow"}]}]}),
        json!({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": 5}, {"type": "text", "text": "ok", "marks": "bad"}, {"type": "text", "text": "x", "marks": [{"type": "link"}]}]}]}),
        json!([para(json!([text("array root")]))]),
        json!({"type": "codeBlock", "attrs": {"language": 3}, "content": [text("bare code")]}),
    ];
    for case in &cases {
        let md = adf_to_markdown(case);
        let _ = markdown_to_adf(&md);
        let _ = adf_to_plain_text(case);
        let _ = adf_to_wiki(case);
    }
    assert!(adf_to_markdown(&cases[1]).contains("just a string"));
    assert!(adf_to_markdown(&cases[5]).contains("orphan text"));
    assert!(adf_to_markdown(&cases[6]).contains("top-level text"));
    assert!(adf_to_markdown(&cases[6]).contains("bad level"));
    assert!(adf_to_markdown(&cases[7]).contains("item as text"));
    assert!(adf_to_markdown(&cases[9]).contains("array root"));
    assert!(adf_to_markdown(&cases[10]).contains("bare code"));
}

#[test]
fn damaged_placeholders_degrade_gracefully() {
    // Unknown base64, missing close marker, stray close marker.
    let adf = markdown_to_adf(
        "[x](adf:!!!)\n\n<!--adf:{\"type\":\"rule\"}-->\n\nkept?\n\n<!--/adf-->\n\n<!--/adf-->\n\ntail",
    );
    let plain = adf_to_plain_text(&adf);
    assert!(plain.contains('x') && plain.contains("tail"), "{plain}");
    let quoted = markdown_to_adf("> <!--adf:{\"type\":\"rule\"}-->\n> text\n\nafter");
    assert!(adf_to_plain_text(&quoted).contains("after"));
}

#[test]
fn plain_text_rendering() {
    let adf = doc(json!([
        para(json!([text("Hi "), {"type": "mention", "attrs": {"id": "1", "text": "@Bo"}}, {"type": "hardBreak"}, text("x")])),
        {"type": "bulletList", "content": [{"type": "listItem", "content": [para(json!([text("one")]))]}]},
    ]));
    assert_eq!(adf_to_plain_text(&adf), "Hi @Bo\nx\n- one");
}

#[test]
fn markdown_is_stable_for_common_inputs() {
    for md in [
        "Hello *world*",
        "**bold**text and *a*b",
        "- a\n- b\n\n1. c\n2. d",
        "***both***",
        "text with <span>html</span> and <b>bold</b>",
        "<div>\nblock\n</div>",
        "![alt](https://img.test/x.png) and ![](https://i.test/y.png)",
        "Setext\n===",
        "    indented code",
        "- [ ] task\n- [x] done",
        "a  \nb",
        "| a |\n|:-:|\n| b |",
        "-\n\n*\n\n1.",
        "> - q\n> - r",
        "`` a ` b ``",
        "[ref]\n\n[ref]: https://x.test",
        "foo<!--c-->bar",
        "~single~ and ~~double~~",
    ] {
        assert_stable(md);
    }
}

// --- Wiki markup --------------------------------------------------------------

#[test]
fn markdown_to_wiki_covers_constructs() {
    let wiki = markdown_to_wiki(
        "# Title\n\nSome **bold**, *it*, ~~gone~~, `code` and [link](https://x.test).\n\n- a\n  - b\n1. c\n\n```java\nx();\n```\n\n> quote\n\n---\n\n| H |\n|---|\n| c |",
    );
    for needle in [
        "h1. Title",
        "*bold*",
        "_it_",
        "-gone-",
        "{{code}}",
        "[link|https://x.test]",
        "* a\n** b",
        "# c",
        "{code:java}\nx();\n{code}",
        "bq. quote",
        "----",
        "||H||",
        "|c|",
    ] {
        assert!(wiki.contains(needle), "missing {needle:?} in:\n{wiki}");
    }
}

#[test]
fn wiki_to_markdown_covers_constructs() {
    let md = wiki_to_markdown(
        "h2. Heading\n\nA *bold* and _it_ and -strike- and +u+ and {{mono}} and [a link|https://x.test] by [~accountid:abc].\nnext line\n\n* one\n** two\n# three\n\n{code:python}\nprint(1)\n{code}\n\nbq. cited\n\n{quote}\nlong quote\n{quote}\n\n----\n\n||H1||H2||\n|c1|c2|\n\n{warning}\nCareful\n{warning}",
    );
    for needle in [
        "## Heading",
        "**bold**",
        "*it*",
        "~~strike~~",
        "<u>u</u>",
        "`mono`",
        "[a link](https://x.test)",
        "[@abc](accountid:abc)",
        "\\\nnext line",
        "- one\n  - two",
        "1. three",
        "```python\nprint(1)\n```",
        "> cited",
        "> long quote",
        "---",
        "| H1 | H2 |",
        "| c1 | c2 |",
        "Warning:",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
}

#[test]
fn wiki_escapes_special_characters() {
    let wiki = adf_to_wiki(&doc(json!([para(json!([text(
        "a *b* [c] {d} well-known"
    )]))])));
    assert_eq!(wiki, "a \\*b\\* \\[c\\] \\{d\\} well-known");
    let back = wiki::wiki_to_adf(&wiki);
    assert_eq!(
        back["content"][0]["content"][0]["text"],
        "a *b* [c] {d} well-known"
    );
}

// --- Property tests -------------------------------------------------------------

/// Text full of Markdown-significant characters.
fn arb_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 *_\\[\\]#>|`~\\\\!<&;().:=+\\-\"'é😀\\t]{1,12}")
        .expect("regex")
}

fn arb_marks() -> impl Strategy<Value = Vec<Value>> {
    (
        any::<[bool; 6]>(),
        prop_oneof![
            Just("https://e.test/x"),
            Just("https://e.test/a b(c)"),
            Just("mailto:a@b.test")
        ],
        prop::option::of("[a-z \"]{1,5}"),
    )
        .prop_map(|(flags, href, title)| {
            let mut marks = Vec::new();
            let names = ["strong", "em", "strike", "underline"];
            for (flag, name) in flags.iter().zip(names) {
                if *flag {
                    marks.push(json!({"type": name}));
                }
            }
            if flags[4] {
                let mut attrs = json!({"href": href});
                if let Some(title) = title {
                    attrs["title"] = json!(title);
                }
                marks.push(json!({"type": "link", "attrs": attrs}));
            }
            if flags[5] && !flags[3] {
                marks.push(json!({"type": "code"}));
            }
            marks
        })
}

fn arb_inline() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (arb_text(), arb_marks()).prop_map(|(t, m)| if m.is_empty() { text(&t) } else { marked(&t, Value::Array(m)) }),
        1 => Just(json!({"type": "hardBreak"})),
        1 => "[A-Za-z ]{1,8}".prop_map(|n| json!({"type": "mention", "attrs": {"id": "acc-1", "text": format!("@{n}")}})),
        1 => Just(json!({"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}})),
        1 => arb_text().prop_map(|t| json!({"type": "status", "attrs": {"text": t, "color": "green"}})),
    ]
}

fn arb_paragraph() -> impl Strategy<Value = Value> {
    prop::collection::vec(arb_inline(), 1..6).prop_map(|c| para(Value::Array(c)))
}

fn arb_block() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => arb_paragraph(),
        1 => (1u64..=6, prop::collection::vec(arb_inline(), 0..4))
            .prop_map(|(level, c)| json!({"type": "heading", "attrs": {"level": level}, "content": c})),
        1 => (prop::option::of("[a-z+#]{1,6}"), "[a-z`~ \\n*#>-]{0,30}").prop_map(|(lang, code)| {
            let mut node = json!({"type": "codeBlock"});
            if let Some(lang) = lang {
                node["attrs"] = json!({"language": lang});
            }
            if !code.is_empty() {
                node["content"] = json!([text(&code)]);
            }
            node
        }),
        1 => Just(json!({"type": "rule"})),
        1 => arb_paragraph().prop_map(|p| json!({"type": "panel", "attrs": {"panelType": "note"}, "content": [p]})),
        1 => (prop::collection::vec(prop::collection::vec(arb_inline(), 0..3), 1..3), 1usize..3).prop_map(|(cells, rows)| {
            let row = |ty: &str| json!({"type": "tableRow", "content": cells.iter().map(|c| json!({"type": ty, "content": [para(Value::Array(c.clone()))]})).collect::<Vec<_>>()});
            let mut all = vec![row("tableHeader")];
            all.extend((0..rows).map(|_| row("tableCell")));
            json!({"type": "table", "content": all})
        }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                any::<bool>(),
                0u64..12,
                prop::collection::vec(
                    (arb_paragraph(), prop::collection::vec(inner.clone(), 0..2)),
                    1..4
                )
            )
                .prop_map(|(ordered, order, items)| {
                    let items: Vec<Value> = items
                        .into_iter()
                        .map(|(p, rest)| {
                            let mut content = vec![p];
                            content.extend(rest);
                            json!({"type": "listItem", "content": content})
                        })
                        .collect();
                    if ordered {
                        json!({"type": "orderedList", "attrs": {"order": order}, "content": items})
                    } else {
                        json!({"type": "bulletList", "content": items})
                    }
                }),
            prop::collection::vec(inner, 1..3)
                .prop_map(|c| json!({"type": "blockquote", "content": c})),
        ]
    })
}

fn arb_doc() -> impl Strategy<Value = Value> {
    prop::collection::vec(arb_block(), 0..5).prop_map(|c| doc(Value::Array(c)))
}

fn arb_markdownish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("- ".to_owned()),
        Just("1. ".to_owned()),
        Just("# ".to_owned()),
        Just("> ".to_owned()),
        Just("**".to_owned()),
        Just("*".to_owned()),
        Just("_".to_owned()),
        Just("~~".to_owned()),
        Just("`".to_owned()),
        Just("```\n".to_owned()),
        Just("[a](http://x.test)".to_owned()),
        Just("<https://y.test>".to_owned()),
        Just("| a | b |\n|---|---|\n".to_owned()),
        Just("  ".to_owned()),
        Just("\\".to_owned()),
        Just("<u>".to_owned()),
        Just("</u>".to_owned()),
        Just("---".to_owned()),
        Just("<!--adf:".to_owned()),
        "[a-z ]{1,6}",
    ];
    prop::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prop_adf_round_trips(adf in arb_doc()) {
        let md = adf_to_markdown(&adf);
        let back = markdown_to_adf(&md);
        prop_assert_eq!(normalize_adf(&back), normalize_adf(&adf), "markdown:\n{}", md);
    }

    #[test]
    fn prop_markdown_reaches_fixed_point(md in arb_markdownish()) {
        let adf1 = markdown_to_adf(&md);
        let md1 = adf_to_markdown(&adf1);
        let adf2 = markdown_to_adf(&md1);
        let md2 = adf_to_markdown(&adf2);
        prop_assert_eq!(normalize_adf(&adf2), normalize_adf(&adf1), "md1:\n{}", md1);
        prop_assert_eq!(md2, md1);
        let _ = adf_to_plain_text(&adf1);
        let _ = markdown_to_wiki(&md);
        let _ = wiki_to_markdown(&md);
    }

    #[test]
    fn prop_plain_text_keeps_all_text(adf in arb_doc()) {
        let plain = adf_to_plain_text(&adf);
        let md = adf_to_markdown(&adf);
        prop_assert!(md.len() + 1 >= plain.trim().len() / 4);
    }
}
