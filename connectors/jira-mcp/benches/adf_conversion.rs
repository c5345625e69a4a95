//! ADF conversion as `get_issue` (ADF → Markdown) and the write tools
//! (Markdown → ADF, Markdown → wiki for Data Center) run it: a typical
//! incident description with headings, marks, links, nested lists, a code
//! block and a table, and an ADF document with a panel and a status lozenge
//! (the placeholder paths) converted to Markdown and back.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jira_mcp::adf::{
    adf_to_markdown, adf_to_plain_text, adf_to_wiki, markdown_to_adf, markdown_to_wiki,
    normalize_adf, wiki_to_markdown,
};
use serde_json::{Value, json};

/// About 1 KiB of Markdown, the size of a filled-in bug template.
const DESCRIPTION: &str = r#"## Summary

Checkout **fails** for *some* EU customers after the `billing-api` deploy of ~~Tuesday~~ Wednesday.
See the [runbook](https://runbooks.example.com/billing "Billing runbook") and <https://status.example.com>.

## Steps to reproduce

1. Log in as a customer in `eu-west-1`
2. Add any item to the cart
   - with a coupon
   - without a coupon
3. Press **Pay now**

## Logs

```text
2026-11-22T06:34:12Z ERROR billing-api: upstream timeout after 30000 ms (req 7f3a)
2026-11-22T06:34:13Z WARN  billing-api: retry 1/3
```

> Rollback is blocked until the schema migration is reverted.

| region | error rate | since |
|---|---|---|
| eu-west-1 | 12 % | 06:30 |
| eu-central-1 | 3 % | 06:41 |

---

Reported by [@Alice Example](accountid:5b10a2844c20165700ede21g).
"#;

/// What Jira Cloud returns for a description holding nodes Markdown cannot
/// express (a panel, a status lozenge, a coloured run): the placeholder path.
fn rich_adf() -> Value {
    json!({
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Impact"}]},
            {"type": "panel", "attrs": {"panelType": "warning"}, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "Deploys are "},
                    {"type": "text", "text": "frozen", "marks": [{"type": "strong"}]},
                    {"type": "text", "text": " until further notice."}
                ]}
            ]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "State: "},
                {"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue", "localId": "a1b2"}},
                {"type": "text", "text": " owner "},
                {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@Alice Example"}},
                {"type": "text", "text": " — "},
                {"type": "text", "text": "red text", "marks": [{"type": "textColor", "attrs": {"color": "#ff5630"}}]}
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "EU checkout", "marks": [{"type": "em"}]}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "status page", "marks": [{"type": "link", "attrs": {"href": "https://status.example.com"}}]}
                ]}]}
            ]},
            {"type": "codeBlock", "attrs": {"language": "text"}, "content": [{"type": "text", "text": "upstream timeout after 30000 ms"}]}
        ]
    })
}

fn bench(c: &mut Criterion) {
    let adf = markdown_to_adf(DESCRIPTION);
    let rich = rich_adf();
    let rich_md = adf_to_markdown(&rich);
    // The benches measure conversions that are exact: fail loudly otherwise.
    assert_eq!(
        normalize_adf(&markdown_to_adf(&adf_to_markdown(&adf))),
        normalize_adf(&adf)
    );
    assert_eq!(
        normalize_adf(&markdown_to_adf(&rich_md)),
        normalize_adf(&rich)
    );
    let wiki = markdown_to_wiki(DESCRIPTION);

    let mut group = c.benchmark_group("jira/adf");
    group.throughput(Throughput::Bytes(DESCRIPTION.len() as u64));
    group.bench_function("markdown_to_adf (1 KiB description)", |b| {
        b.iter(|| markdown_to_adf(black_box(DESCRIPTION)))
    });
    group.bench_function("adf_to_markdown (1 KiB description)", |b| {
        b.iter(|| adf_to_markdown(black_box(&adf)))
    });
    group.bench_function("adf_to_plain_text (1 KiB description)", |b| {
        b.iter(|| adf_to_plain_text(black_box(&adf)))
    });
    group.bench_function("markdown_to_wiki (1 KiB description)", |b| {
        b.iter(|| markdown_to_wiki(black_box(DESCRIPTION)))
    });
    group.bench_function("adf_to_wiki (1 KiB description)", |b| {
        b.iter(|| adf_to_wiki(black_box(&adf)))
    });
    group.bench_function("wiki_to_markdown (1 KiB description)", |b| {
        b.iter(|| wiki_to_markdown(black_box(&wiki)))
    });
    group.finish();

    let mut group = c.benchmark_group("jira/adf placeholders");
    group.bench_function("adf_to_markdown (panel, status, mention, colour)", |b| {
        b.iter(|| adf_to_markdown(black_box(&rich)))
    });
    group.bench_function("markdown_to_adf (panel, status, mention, colour)", |b| {
        b.iter(|| markdown_to_adf(black_box(&rich_md)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
