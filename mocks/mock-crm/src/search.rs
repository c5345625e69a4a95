//! The CRM search request: parsing, HubSpot's limits, filter evaluation and sorting.

use std::cmp::Ordering;

use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::model::{CrmObject, ObjectType};
use crate::schema::{self, PropType, parse_datetime, value_to_string};

/// At most this many filter groups.
pub const MAX_FILTER_GROUPS: usize = 5;
/// At most this many filters in one group.
pub const MAX_FILTERS_PER_GROUP: usize = 6;
/// At most this many filters in all groups together.
pub const MAX_FILTERS_TOTAL: usize = 18;
/// Largest page.
pub const MAX_SEARCH_LIMIT: usize = 200;
/// No result past this offset is ever returned.
pub const MAX_SEARCH_RESULTS: usize = 10_000;

/// A `POST .../search` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SearchRequest {
    pub filter_groups: Vec<FilterGroup>,
    pub sorts: Vec<SortSpec>,
    pub query: Option<String>,
    pub properties: Vec<String>,
    pub limit: Option<usize>,
    pub after: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FilterGroup {
    pub filters: Vec<Filter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Filter {
    pub property_name: String,
    pub operator: String,
    pub value: Option<Value>,
    pub high_value: Option<Value>,
    pub values: Option<Vec<Value>>,
}

/// A sort: `{"propertyName", "direction"}` or the short string form (`"-createdate"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum SortSpec {
    Full {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
    Short(String),
}

impl SortSpec {
    fn parts(&self) -> (&str, bool) {
        match self {
            SortSpec::Full {
                property_name,
                direction,
            } => (
                property_name.as_str(),
                direction
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
            ),
            SortSpec::Short(s) => match s.strip_prefix('-') {
                Some(name) => (name, true),
                None => (s.as_str(), false),
            },
        }
    }
}

const OPERATORS: &[&str] = &[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
];

impl SearchRequest {
    /// HubSpot's request checks: group and filter counts, operators and their values, the
    /// page size and the 10,000-result window. Returns `(offset, limit)`.
    pub fn validate(&self) -> Result<(usize, usize), ApiError> {
        let groups = self.filter_groups.len();
        if groups > MAX_FILTER_GROUPS {
            return Err(ApiError::bad_request(format!(
                "Too many filter groups: {groups} were provided, the limit is {MAX_FILTER_GROUPS}."
            )));
        }
        let mut total = 0;
        for group in &self.filter_groups {
            let n = group.filters.len();
            if n > MAX_FILTERS_PER_GROUP {
                return Err(ApiError::bad_request(format!(
                    "Too many filters in a filter group: {n} were provided, the limit is {MAX_FILTERS_PER_GROUP}."
                )));
            }
            total += n;
            for filter in &group.filters {
                filter.validate()?;
            }
        }
        if total > MAX_FILTERS_TOTAL {
            return Err(ApiError::bad_request(format!(
                "Too many filters: {total} were provided across all filter groups, the limit is {MAX_FILTERS_TOTAL}."
            )));
        }
        if self.sorts.len() > 1 {
            return Err(ApiError::bad_request("Only one sort is supported."));
        }
        let limit = self.limit.unwrap_or(10);
        if limit == 0 || limit > MAX_SEARCH_LIMIT {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_SEARCH_LIMIT}, was {limit}."
            )));
        }
        let offset = match &self.after {
            None | Some(Value::Null) => 0,
            Some(v) => value_to_string(v).parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!("after must be a non-negative integer, was {v}."))
            })?,
        };
        if offset >= MAX_SEARCH_RESULTS {
            return Err(ApiError::bad_request(format!(
                "Search results are limited to {MAX_SEARCH_RESULTS} records: after={offset} is past the end. Narrow the filters instead of paging further."
            )));
        }
        Ok((offset, limit))
    }

    /// The sort key and direction (`hs_object_id` ascending by default).
    pub fn sort(&self) -> (&str, bool) {
        self.sorts
            .first()
            .map_or(("hs_object_id", false), SortSpec::parts)
    }
}

impl Filter {
    fn validate(&self) -> Result<(), ApiError> {
        let op = self.operator.as_str();
        if !OPERATORS.contains(&op) {
            return Err(ApiError::bad_request(format!(
                "Unknown filter operator {op:?} on {}; expected one of {}.",
                self.property_name,
                OPERATORS.join(", ")
            )));
        }
        if self.property_name.is_empty() {
            return Err(ApiError::bad_request("A filter needs a propertyName."));
        }
        let missing = match op {
            "HAS_PROPERTY" | "NOT_HAS_PROPERTY" => None,
            "IN" | "NOT_IN" => self.values.is_none().then_some("values"),
            "BETWEEN" => {
                (self.value.is_none() || self.high_value.is_none()).then_some("value and highValue")
            }
            _ => self.value.is_none().then_some("value"),
        };
        match missing {
            Some(what) => Err(ApiError::bad_request(format!(
                "The {op} filter on {} needs {what}.",
                self.property_name
            ))),
            None => Ok(()),
        }
    }
}

/// Looks up associations while filtering on `associations.{type}`.
pub(crate) trait Associations {
    fn associated(&self, from: ObjectType, id: u64, to: ObjectType) -> Vec<u64>;
}

/// Whether `object` satisfies any filter group (all filters of it); no groups match all.
pub(crate) fn matches(
    object: &CrmObject,
    groups: &[FilterGroup],
    associations: &dyn Associations,
) -> bool {
    groups.is_empty()
        || groups.iter().any(|group| {
            group
                .filters
                .iter()
                .all(|filter| matches_filter(object, filter, associations))
        })
}

fn matches_filter(object: &CrmObject, filter: &Filter, associations: &dyn Associations) -> bool {
    let name = filter.property_name.as_str();
    if let Some(target) = name.strip_prefix("associations.") {
        let Ok(to) = target.parse::<ObjectType>() else {
            return false;
        };
        let linked: Vec<String> = associations
            .associated(object.object_type, object.id, to)
            .iter()
            .map(u64::to_string)
            .collect();
        let wanted = wanted_values(filter);
        let any = linked.iter().any(|id| wanted.contains(id));
        return match filter.operator.as_str() {
            "NEQ" | "NOT_IN" => !any,
            "HAS_PROPERTY" => !linked.is_empty(),
            "NOT_HAS_PROPERTY" => linked.is_empty(),
            _ => any,
        };
    }
    let prop_type = property_type(object.object_type, name);
    let actual = if name == "hs_object_id" {
        Some(object.id.to_string())
    } else {
        object.get(name).map(str::to_owned)
    };
    let value = filter
        .value
        .as_ref()
        .map(value_to_string)
        .unwrap_or_default();
    match (filter.operator.as_str(), actual.as_deref()) {
        ("HAS_PROPERTY", actual) => actual.is_some(),
        ("NOT_HAS_PROPERTY", actual) => actual.is_none(),
        ("NEQ", None) | ("NOT_IN", None) | ("NOT_CONTAINS_TOKEN", None) => true,
        (_, None) => false,
        ("EQ", Some(a)) => compare(prop_type, a, &value) == Some(Ordering::Equal),
        ("NEQ", Some(a)) => compare(prop_type, a, &value) != Some(Ordering::Equal),
        ("LT", Some(a)) => compare(prop_type, a, &value) == Some(Ordering::Less),
        ("LTE", Some(a)) => matches!(
            compare(prop_type, a, &value),
            Some(Ordering::Less | Ordering::Equal)
        ),
        ("GT", Some(a)) => compare(prop_type, a, &value) == Some(Ordering::Greater),
        ("GTE", Some(a)) => matches!(
            compare(prop_type, a, &value),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        ("BETWEEN", Some(a)) => {
            let high = filter
                .high_value
                .as_ref()
                .map(value_to_string)
                .unwrap_or_default();
            matches!(
                compare(prop_type, a, &value),
                Some(Ordering::Greater | Ordering::Equal)
            ) && matches!(
                compare(prop_type, a, &high),
                Some(Ordering::Less | Ordering::Equal)
            )
        }
        ("IN", Some(a)) => wanted_values(filter)
            .iter()
            .any(|w| compare(prop_type, a, w) == Some(Ordering::Equal)),
        ("NOT_IN", Some(a)) => !wanted_values(filter)
            .iter()
            .any(|w| compare(prop_type, a, w) == Some(Ordering::Equal)),
        ("CONTAINS_TOKEN", Some(a)) => contains_token(a, &value),
        ("NOT_CONTAINS_TOKEN", Some(a)) => !contains_token(a, &value),
        _ => false,
    }
}

fn wanted_values(filter: &Filter) -> Vec<String> {
    match &filter.values {
        Some(values) => values.iter().map(value_to_string).collect(),
        None => filter.value.iter().map(value_to_string).collect(),
    }
}

fn property_type(object_type: ObjectType, name: &str) -> PropType {
    schema::properties(object_type)
        .into_iter()
        .find(|d| d.name == name)
        .map_or(PropType::String, |d| d.prop_type)
}

/// Compares a stored value with a filter value: numerically for numbers, by instant for
/// datetimes (the filter may use epoch milliseconds), case-insensitively for text.
fn compare(prop_type: PropType, actual: &str, wanted: &str) -> Option<Ordering> {
    match prop_type {
        PropType::Number => {
            let a = actual.parse::<f64>().ok()?;
            let w = wanted.parse::<f64>().ok()?;
            a.partial_cmp(&w)
        }
        PropType::DateTime => Some(parse_datetime(actual)?.cmp(&parse_datetime(wanted)?)),
        PropType::String | PropType::Enumeration => {
            Some(actual.to_lowercase().cmp(&wanted.to_lowercase()))
        }
    }
}

/// Splits text into lower-case word tokens (HTML tags dropped).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `CONTAINS_TOKEN`: every token of `wanted` is a token of `actual`; a `*` wildcard matches
/// the whole value instead (`*@acme.com`).
fn contains_token(actual: &str, wanted: &str) -> bool {
    if wanted.contains('*') {
        return glob(&actual.to_lowercase(), &wanted.to_lowercase());
    }
    let have = tokens(actual);
    let want = tokens(wanted);
    !want.is_empty() && want.iter().all(|w| have.contains(w))
}

fn glob(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().expect("split yields one part");
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let (last, middle) = rest.split_last().expect("pattern has a `*`");
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Free-text `query`: every query word is a prefix of some word in the type's searchable
/// properties.
pub(crate) fn matches_query(object: &CrmObject, query: &str) -> bool {
    let wanted = tokens(query);
    if wanted.is_empty() {
        return true;
    }
    let have: Vec<String> = schema::searchable_properties(object.object_type)
        .iter()
        .filter_map(|name| object.get(name))
        .flat_map(tokens)
        .collect();
    wanted
        .iter()
        .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// Orders objects by one property; missing values sort last either way, ties by id.
pub(crate) fn sort(objects: &mut [&CrmObject], property: &str, descending: bool) {
    let object_type = objects.first().map(|o| o.object_type);
    let prop_type = object_type.map_or(PropType::String, |t| property_type(t, property));
    let value = |o: &CrmObject| {
        if property == "hs_object_id" {
            Some(o.id.to_string())
        } else {
            o.get(property).map(str::to_owned)
        }
    };
    objects.sort_by(|a, b| {
        let ordering = match (value(a), value(b)) {
            (Some(x), Some(y)) => {
                let o = compare(prop_type, &x, &y).unwrap_or_else(|| x.cmp(&y));
                if descending { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        ordering.then(a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_drop_html_and_case() {
        assert_eq!(
            tokens("<p>Renewal <b>RISK</b> flagged</p>"),
            ["renewal", "risk", "flagged"]
        );
    }

    #[test]
    fn contains_token_with_and_without_wildcards() {
        assert!(contains_token("Jane.Doe@Acme.com", "*@acme.com"));
        assert!(!contains_token("jane@globex.com", "*@acme.com"));
        assert!(contains_token("Acme Corp renewal", "renewal"));
        assert!(!contains_token("Acme Corp renewal", "renew"));
        assert!(glob("abc", "a*c") && glob("abc", "*") && !glob("ab", "a*bc"));
    }

    #[test]
    fn comparisons_follow_the_property_type() {
        assert_eq!(compare(PropType::Number, "9", "10"), Some(Ordering::Less));
        assert_eq!(
            compare(PropType::String, "9", "10"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(
                PropType::DateTime,
                "2026-01-01T00:00:00.000Z",
                "1767225600000"
            ),
            Some(Ordering::Equal)
        );
    }
}
