//! The tools, one file per toolset:
//!
//! | toolset | tools |
//! |---|---|
//! | `contacts` | `search_contacts`, `get_contact`, `create_contact`, `update_contact` |
//! | `companies` | `search_companies`, `get_company` |
//! | `deals` | `search_deals`, `get_deal`, `update_deal_stage`, `list_pipelines` |
//! | `notes` | `create_note`, `list_notes` |
//! | `schema` | `list_properties` |
//! | `accounts` | `account_summary` |
//! | `search` | `search`, `fetch` (the ChatGPT deep-research pair) |
//!
//! This file also holds what the toolsets share: the curated record shape,
//! search-argument validation, note HTML, and result helpers.

pub mod accounts;
pub mod companies;
pub mod contacts;
pub mod deals;
pub mod notes;
pub mod schema;
pub mod search;

use connector_kit::ToolSpec;
use connector_kit::confirm::Effect;
use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::Json;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Crm;
use crate::client::{Filter, ObjectKind, Operator, Query, Record, SEARCH_RESULT_CAP};

pub(crate) use connector_kit::respond::{structured, tool_error};

/// Every tool's toolset and effect; the kit derives annotations and tiers.
pub const SPECS: &[ToolSpec] = &[
    ToolSpec::read("search_contacts", "contacts"),
    ToolSpec::read("get_contact", "contacts"),
    ToolSpec::new("create_contact", "contacts", Effect::Create),
    ToolSpec::new("update_contact", "contacts", Effect::Update),
    ToolSpec::read("search_companies", "companies"),
    ToolSpec::read("get_company", "companies"),
    ToolSpec::read("search_deals", "deals"),
    ToolSpec::read("get_deal", "deals"),
    ToolSpec::new("update_deal_stage", "deals", Effect::Update),
    ToolSpec::read("list_pipelines", "deals"),
    ToolSpec::new("create_note", "notes", Effect::Create),
    ToolSpec::read("list_notes", "notes"),
    ToolSpec::read("list_properties", "schema"),
    ToolSpec::read("account_summary", "accounts"),
    ToolSpec::read("search", "search"),
    ToolSpec::read("fetch", "search"),
];

/// Most filter groups in one search (HubSpot's limit).
pub const MAX_GROUPS: usize = 5;
/// Most filters in one group (HubSpot's limit).
pub const MAX_FILTERS_PER_GROUP: usize = 6;
/// Most filters in one search (HubSpot's limit).
pub const MAX_FILTERS: usize = 18;

/// Longest note text returned, in characters.
const NOTE_BUDGET: usize = 4_000;

/// A record id: digits.
pub const ID_PATTERN: &str = r"^[0-9]{1,20}$";

/// The properties each type returns by default.
pub fn default_properties(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::Contacts => &[
            "email",
            "firstname",
            "lastname",
            "jobtitle",
            "company",
            "phone",
            "lifecyclestage",
            "hs_lead_status",
        ],
        ObjectKind::Companies => &[
            "name",
            "domain",
            "industry",
            "city",
            "country",
            "numberofemployees",
            "annualrevenue",
            "lifecyclestage",
        ],
        ObjectKind::Deals => &[
            "dealname",
            "amount",
            "pipeline",
            "dealstage",
            "closedate",
            "dealtype",
            "hs_priority",
        ],
        ObjectKind::Notes => &["hs_note_body", "hs_timestamp"],
    }
}

/// One CRM record, as the model sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RecordOut {
    /// Record id.
    pub id: String,
    /// `contact`, `company`, `deal` or `note`.
    pub kind: String,
    /// Display name (contact name and email, company name, deal name); untrusted text.
    pub title: String,
    /// Link to the record.
    pub url: String,
    /// Property values (strings, as the CRM stores them); unset ones are left out.
    pub properties: Map<String, Value>,
    /// Created (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last updated (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A note, as the model sees it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NoteOut {
    /// Note id.
    pub id: String,
    /// The note as plain text (HTML removed; untrusted text), cut at 4000 characters.
    pub text: String,
    /// When the note was logged (ISO 8601 or epoch ms, as stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Link to the note.
    pub url: String,
}

/// One way to sort.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SortArg {
    /// Property to sort by, e.g. `createdate`, `amount`, `lastname`.
    #[schemars(length(min = 1, max = 100))]
    pub property: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub direction: Direction,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// A group of filters that must all match.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterGroup {
    /// Filters that must all match (at most 6).
    #[schemars(length(min = 1, max = 6))]
    pub filters: Vec<Filter>,
}

/// Arguments of `search_contacts`, `search_companies` and `search_deals`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Filters that must all match, e.g. `[{"property": "lifecyclestage", "operator": "EQ", "value": "customer"}]`.
    #[serde(default)]
    #[schemars(length(max = 6))]
    pub filters: Vec<Filter>,
    /// Alternatives: a record matches when any group matches (with `filters` as one more group).
    /// At most 5 groups, 6 filters per group, 18 filters in all.
    #[serde(default)]
    #[schemars(length(max = 5))]
    pub filter_groups: Vec<FilterGroup>,
    /// Free text: each word must start a word of the name, email, domain or similar.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub query: Option<String>,
    /// Properties to return besides the curated ones.
    #[serde(default)]
    #[schemars(length(max = 30))]
    pub properties: Vec<String>,
    /// Sort order (one entry; default: by id).
    #[serde(default)]
    #[schemars(length(max = 1))]
    pub sorts: Vec<SortArg>,
    /// Most records to return (1-100, default 20).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    20
}

/// A page of search results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordPage {
    /// Matching records in all.
    pub total: u64,
    /// This page.
    pub records: Vec<RecordOut>,
    /// Pass as `cursor` for the next page; absent on the last reachable page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// True when more than 10,000 records match: search pages only reach the first 10,000.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub capped: bool,
    /// What to do about the cap, when it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Crm {
    /// A record in the curated shape.
    pub(crate) fn record_out(&self, kind: ObjectKind, r: &Record) -> RecordOut {
        let properties: Map<String, Value> = r
            .properties
            .iter()
            .filter(|(k, v)| {
                !v.is_null() && v.as_str() != Some("") && !matches!(k.as_str(), "hs_object_id")
            })
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => Value::String(sanitize(s)),
                    other => other.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        RecordOut {
            id: r.id.clone(),
            kind: kind.singular().to_owned(),
            title: title_of(kind, r),
            url: self.client.record_url(kind, &r.id),
            properties,
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
        }
    }

    /// A note in the curated shape.
    pub(crate) fn note_out(&self, r: &Record) -> NoteOut {
        let (text, _) = clip(
            &sanitize(&html_to_text(r.prop("hs_note_body").unwrap_or(""))),
            NOTE_BUDGET,
        );
        NoteOut {
            id: r.id.clone(),
            text,
            timestamp: r.prop("hs_timestamp").map(str::to_owned),
            url: self.client.record_url(ObjectKind::Notes, &r.id),
        }
    }

    /// Runs a validated search of `kind`.
    pub(crate) async fn run_search(
        &self,
        kind: ObjectKind,
        args: SearchArgs,
    ) -> Result<Json<RecordPage>, CallToolResult> {
        let groups = filter_groups(&args.filters, &args.filter_groups).map_err(tool_error)?;
        let offset = match args.cursor.as_deref() {
            None => 0,
            Some(c) => match c.parse::<u64>() {
                Ok(n) if n < SEARCH_RESULT_CAP => n,
                _ => {
                    return Err(tool_error(
                        "`cursor`: not a cursor from this tool (search pages reach the first 10,000 results only); omit it to start from the beginning",
                    ));
                }
            },
        };
        let mut properties: Vec<String> = default_properties(kind)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for p in &args.properties {
            if !properties.contains(p) {
                properties.push(p.clone());
            }
        }
        let query = Query {
            groups,
            text: args.query.clone(),
            properties,
            sort: args
                .sorts
                .first()
                .map(|s| (s.property.clone(), matches!(s.direction, Direction::Desc))),
            limit: args.limit.clamp(1, 100),
            after: (offset > 0).then(|| offset.to_string()),
        };
        let page = self
            .client
            .search(kind, &query)
            .await
            .map_err(|e| e.to_tool_result())?;
        let next_cursor = page
            .next
            .filter(|n| n.parse::<u64>().is_ok_and(|n| n < SEARCH_RESULT_CAP));
        let reached = offset + page.records.len() as u64;
        let capped = page.total > SEARCH_RESULT_CAP;
        let note = capped.then(|| {
            if next_cursor.is_none() && reached < page.total {
                format!(
                    "The 10,000-result search cap is reached: {} records match but only the first 10,000 can be paged. Narrow the filters (e.g. a createdate range) to reach the rest.",
                    page.total
                )
            } else {
                format!(
                    "{} records match; search pages reach only the first 10,000. Narrow the filters to see them all.",
                    page.total
                )
            }
        });
        Ok(Json(RecordPage {
            total: page.total,
            records: page
                .records
                .iter()
                .map(|r| self.record_out(kind, r))
                .collect(),
            next_cursor,
            capped,
            note,
        }))
    }
}

/// The display name of a record.
pub(crate) fn title_of(kind: ObjectKind, r: &Record) -> String {
    let t = match kind {
        ObjectKind::Contacts => {
            let name = [r.prop("firstname"), r.prop("lastname")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            match (name.is_empty(), r.prop("email")) {
                (false, Some(e)) => format!("{name} <{e}>"),
                (false, None) => name,
                (true, Some(e)) => e.to_owned(),
                (true, None) => format!("contact {}", r.id),
            }
        }
        ObjectKind::Companies => r
            .prop("name")
            .map_or_else(|| format!("company {}", r.id), str::to_owned),
        ObjectKind::Deals => r
            .prop("dealname")
            .map_or_else(|| format!("deal {}", r.id), str::to_owned),
        ObjectKind::Notes => format!("note {}", r.id),
    };
    sanitize(&t)
}

/// `filters` (one group) and `filter_groups` as HubSpot's filter groups,
/// checked against HubSpot's limits and each operator's needs.
pub fn filter_groups(
    filters: &[Filter],
    groups: &[FilterGroup],
) -> Result<Vec<Vec<Filter>>, String> {
    let mut all: Vec<(String, Vec<Filter>)> = Vec::new();
    if !filters.is_empty() {
        all.push(("filters".into(), filters.to_vec()));
    }
    for (i, g) in groups.iter().enumerate() {
        all.push((format!("filter_groups[{i}].filters"), g.filters.clone()));
    }
    if all.len() > MAX_GROUPS {
        return Err(format!(
            "too many filter groups: {} (with `filters` counting as one); HubSpot allows at most {MAX_GROUPS}. Combine alternatives with the IN operator.",
            all.len()
        ));
    }
    let total: usize = all.iter().map(|(_, g)| g.len()).sum();
    if total > MAX_FILTERS {
        return Err(format!(
            "too many filters: {total}; HubSpot allows at most {MAX_FILTERS} in all ({MAX_FILTERS_PER_GROUP} per group)."
        ));
    }
    for (name, group) in &all {
        if group.is_empty() {
            return Err(format!(
                "`{name}`: a filter group needs at least one filter"
            ));
        }
        if group.len() > MAX_FILTERS_PER_GROUP {
            return Err(format!(
                "`{name}`: {} filters; HubSpot allows at most {MAX_FILTERS_PER_GROUP} per group",
                group.len()
            ));
        }
        for (j, f) in group.iter().enumerate() {
            check_filter(f).map_err(|e| format!("`{name}[{j}]` ({}): {e}", f.property))?;
        }
    }
    Ok(all.into_iter().map(|(_, g)| g).collect())
}

fn check_filter(f: &Filter) -> Result<(), String> {
    let op = f.operator.as_str();
    match f.operator {
        Operator::HasProperty | Operator::NotHasProperty => {
            if f.value.is_some() || !f.values.is_empty() {
                return Err(format!("{op} takes no value"));
            }
        }
        Operator::In | Operator::NotIn => {
            if f.values.is_empty() {
                return Err(format!("{op} needs `values` (a list)"));
            }
        }
        Operator::Between => {
            if f.value.is_none() || f.high_value.is_none() {
                return Err("BETWEEN needs `value` and `high_value`".into());
            }
        }
        _ => {
            if f.value.is_none() {
                return Err(format!("{op} needs `value`"));
            }
            if !f.values.is_empty() {
                return Err(format!(
                    "{op} takes `value`, not `values` (use IN for a list)"
                ));
            }
        }
    }
    Ok(())
}

/// User text as HTML: escaped, blank lines as paragraphs, line breaks kept.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(escape_html).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}

/// Escapes `& < > " '`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A note body as plain text: comments and tags removed, breaks kept, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut s = html.to_owned();
    while let Some(start) = s.find("<!--") {
        match s[start..].find("-->") {
            Some(end) => s.replace_range(start..start + end + 3, ""),
            None => s.truncate(start),
        }
    }
    let s = s
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n")
        .replace("</li>", "\n");
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(op: Operator, value: Option<&str>) -> Filter {
        Filter {
            property: "email".into(),
            operator: op,
            value: value.map(str::to_owned),
            high_value: None,
            values: vec![],
        }
    }

    #[test]
    fn filter_limits_are_checked() {
        let one = vec![f(Operator::Eq, Some("a"))];
        assert_eq!(filter_groups(&one, &[]).unwrap().len(), 1);
        let six = FilterGroup {
            filters: vec![f(Operator::Eq, Some("a")); 6],
        };
        let e = filter_groups(&[], &vec![six.clone(); 4]).unwrap_err();
        assert!(e.contains("at most 18"), "{e}");
        let e = filter_groups(&one, &vec![six.clone(); 5]).unwrap_err();
        assert!(e.contains("at most 5"), "{e}");
        let seven = FilterGroup {
            filters: vec![f(Operator::Eq, Some("a")); 7],
        };
        let e = filter_groups(&[], &[seven]).unwrap_err();
        assert!(e.contains("at most 6"), "{e}");
        let e = filter_groups(&[f(Operator::Eq, None)], &[]).unwrap_err();
        assert!(e.contains("EQ needs `value`"), "{e}");
        let e = filter_groups(&[f(Operator::In, None)], &[]).unwrap_err();
        assert!(e.contains("`values`"), "{e}");
        assert!(filter_groups(&[f(Operator::HasProperty, None)], &[]).is_ok());
    }

    #[test]
    fn note_html_is_escaped_and_read_back() {
        let html = text_to_html("Call <b>Bob</b> & \"Ann\"\nsoon\n\nNext para");
        assert_eq!(
            html,
            "<p>Call &lt;b&gt;Bob&lt;/b&gt; &amp; &quot;Ann&quot;<br>soon</p><p>Next para</p>"
        );
        assert_eq!(
            html_to_text(&format!("{html}<!-- mcp:abc -->")),
            "Call <b>Bob</b> & \"Ann\"\nsoon\nNext para"
        );
    }
}
