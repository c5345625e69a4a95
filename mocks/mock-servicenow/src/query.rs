//! ServiceNow encoded queries (`sysparm_query`): parsing and evaluation.
//!
//! An encoded query is a list of terms separated by `^`:
//!
//! * a condition `field` + operator + value, e.g. `state=1`, `short_descriptionLIKEvpn`,
//!   `priorityIN1,2`, `assigned_toISEMPTY`; field names are lower case (`[a-z0-9_.]`) and may
//!   dot-walk through references (`assigned_to.name=Beth Anglin`);
//! * `^` joins with AND, `^OR` joins with OR (OR binds tighter: `a^b^ORc` is `a AND (b OR c)`);
//! * `^NQ` starts a new query whose results are added (`(a AND b) OR (c)`);
//! * `ORDERBYfield` / `ORDERBYDESCfield` sort; `^EQ` ends the query and is ignored;
//! * `^^` is a literal `^` inside a value (ServiceNow's documented escape).
//!
//! Text comparisons are case-insensitive, as on a default ServiceNow instance. `>`, `<`,
//! `>=`, `<=` compare numerically when both sides are numbers and as text otherwise (which
//! orders `YYYY-MM-DD hh:mm:ss` dates correctly); an empty field never satisfies them.
//! A condition on a field the table does not have, or a term that is not a condition,
//! matches nothing (like an instance with `glide.invalid_query.returns_no_rows=true`).

use std::cmp::Ordering;

/// Looks up a field (possibly dot-walked) of one record; `None` when the field does not exist.
pub(crate) trait Fields {
    fn get(&self, path: &str) -> Option<String>;
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    Gt,
    Lt,
    Ge,
    Le,
    IsEmpty,
    IsNotEmpty,
    Anything,
}

/// Operators as they appear in the encoded form, longest first where one is a prefix of
/// another (`>=` before `>`, `ISNOTEMPTY` before `IN`...).
const OPERATORS: &[(&str, Op)] = &[
    ("ISNOTEMPTY", Op::IsNotEmpty),
    ("ISEMPTY", Op::IsEmpty),
    ("ANYTHING", Op::Anything),
    ("NOT LIKE", Op::NotLike),
    ("NOTLIKE", Op::NotLike),
    ("NOT IN", Op::NotIn),
    ("NOTIN", Op::NotIn),
    ("STARTSWITH", Op::StartsWith),
    ("ENDSWITH", Op::EndsWith),
    ("LIKE", Op::Like),
    ("IN", Op::In),
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("=", Op::Eq),
    (">", Op::Gt),
    ("<", Op::Lt),
];

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    /// `field` `op` `value`.
    Condition {
        field: String,
        op: Op,
        value: String,
    },
    /// Text that is not a condition: matches nothing.
    Invalid(String),
}

/// A sort key from `ORDERBY` / `ORDERBYDESC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortKey {
    pub field: String,
    pub descending: bool,
}

/// A parsed encoded query: `groups` (joined by `^NQ`) of AND-ed clauses of OR-ed terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub groups: Vec<Vec<Vec<Term>>>,
    pub order: Vec<SortKey>,
}

impl Query {
    /// Parses an encoded query; never fails (invalid terms match nothing).
    pub fn parse(text: &str) -> Self {
        let mut query = Query::default();
        let mut group: Vec<Vec<Term>> = Vec::new();
        for segment in split_terms(text) {
            let mut rest = segment.as_str();
            if let Some(field) = rest.strip_prefix("ORDERBYDESC") {
                query.order.push(SortKey {
                    field: field.to_owned(),
                    descending: true,
                });
                continue;
            }
            if let Some(field) = rest.strip_prefix("ORDERBY") {
                query.order.push(SortKey {
                    field: field.to_owned(),
                    descending: false,
                });
                continue;
            }
            if rest == "EQ" || rest.is_empty() {
                continue;
            }
            let mut or = false;
            if let Some(after) = rest.strip_prefix("NQ") {
                if !group.is_empty() {
                    query.groups.push(std::mem::take(&mut group));
                }
                rest = after;
            } else if let Some(after) = rest.strip_prefix("OR") {
                or = true;
                rest = after;
            }
            if rest.is_empty() {
                continue;
            }
            let term = parse_condition(rest);
            match group.last_mut() {
                Some(clause) if or => clause.push(term),
                _ => group.push(vec![term]),
            }
        }
        if !group.is_empty() {
            query.groups.push(group);
        }
        query
    }

    /// Whether a record satisfies the query (an empty query matches everything).
    pub fn matches(&self, record: &impl Fields) -> bool {
        self.groups.is_empty()
            || self.groups.iter().any(|group| {
                group
                    .iter()
                    .all(|clause| clause.iter().any(|term| term_matches(term, record)))
            })
    }

    /// Orders two records by the query's sort keys (`Equal` when there are none).
    pub fn compare(&self, a: &impl Fields, b: &impl Fields) -> Ordering {
        for key in &self.order {
            let left = a.get(&key.field).unwrap_or_default();
            let right = b.get(&key.field).unwrap_or_default();
            let ordering = compare_values(&left, &right);
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

/// Escapes a value for use inside an encoded query: `^` becomes `^^`.
pub fn escape_value(value: &str) -> String {
    value.replace('^', "^^")
}

/// Splits on single `^`, turning `^^` into a literal `^`.
fn split_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            if chars.peek() == Some(&'^') {
                chars.next();
                current.push('^');
            } else {
                terms.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    terms.push(current);
    terms
}

fn parse_condition(text: &str) -> Term {
    let field_len = text
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (field, rest) = text.split_at(field_len);
    if field.is_empty() {
        return Term::Invalid(text.to_owned());
    }
    for (token, op) in OPERATORS {
        if let Some(value) = rest.strip_prefix(token) {
            return Term::Condition {
                field: field.to_owned(),
                op: *op,
                value: value.to_owned(),
            };
        }
    }
    Term::Invalid(text.to_owned())
}

fn term_matches(term: &Term, record: &impl Fields) -> bool {
    let Term::Condition { field, op, value } = term else {
        return false;
    };
    let Some(actual) = record.get(field) else {
        return false;
    };
    let actual_lower = actual.to_lowercase();
    let wanted = value.to_lowercase();
    let list = || wanted.split(',').map(str::trim).collect::<Vec<_>>();
    match op {
        Op::Eq => actual_lower == wanted,
        Op::Ne => actual_lower != wanted,
        Op::Like => actual_lower.contains(&wanted),
        Op::NotLike => !actual_lower.contains(&wanted),
        Op::StartsWith => actual_lower.starts_with(&wanted),
        Op::EndsWith => actual_lower.ends_with(&wanted),
        Op::In => list().contains(&actual_lower.as_str()),
        Op::NotIn => !list().contains(&actual_lower.as_str()),
        Op::IsEmpty => actual.is_empty(),
        Op::IsNotEmpty => !actual.is_empty(),
        Op::Anything => true,
        Op::Gt | Op::Lt | Op::Ge | Op::Le => {
            if actual.is_empty() {
                return false;
            }
            let ordering = compare_values(&actual, value);
            match op {
                Op::Gt => ordering == Ordering::Greater,
                Op::Lt => ordering == Ordering::Less,
                Op::Ge => ordering != Ordering::Less,
                _ => ordering != Ordering::Greater,
            }
        }
    }
}

/// Numeric when both sides are numbers, case-insensitive text otherwise.
fn compare_values(left: &str, right: &str) -> Ordering {
    match (left.trim().parse::<f64>(), right.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => left.to_lowercase().cmp(&right.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct Map(BTreeMap<&'static str, &'static str>);

    impl Fields for Map {
        fn get(&self, path: &str) -> Option<String> {
            self.0.get(path).map(|v| (*v).to_owned())
        }
    }

    fn record(pairs: &[(&'static str, &'static str)]) -> Map {
        Map(pairs.iter().copied().collect())
    }

    fn incident() -> Map {
        record(&[
            ("state", "2"),
            ("priority", "3"),
            ("short_description", "VPN drops every hour"),
            ("assigned_to", ""),
            ("opened_at", "2024-03-01 10:00:00"),
            ("category", "network"),
            ("assigned_to.name", "Beth Anglin"),
        ])
    }

    fn matches(query: &str, record: &Map) -> bool {
        Query::parse(query).matches(record)
    }

    #[test]
    fn equality_and_inequality() {
        let r = incident();
        assert!(matches("state=2", &r));
        assert!(!matches("state=1", &r));
        assert!(matches("state!=1", &r));
        assert!(matches("category=NETWORK", &r), "case-insensitive");
        assert!(
            matches("assigned_to=", &r),
            "empty value equals empty field"
        );
    }

    #[test]
    fn text_operators() {
        let r = incident();
        assert!(matches("short_descriptionLIKEdrops", &r));
        assert!(matches("short_descriptionNOT LIKEprinter", &r));
        assert!(!matches("short_descriptionLIKEprinter", &r));
        assert!(matches("short_descriptionSTARTSWITHvpn", &r));
        assert!(matches("short_descriptionENDSWITHhour", &r));
        assert!(!matches("short_descriptionENDSWITHvpn", &r));
    }

    #[test]
    fn in_and_not_in() {
        let r = incident();
        assert!(matches("stateIN1,2,3", &r));
        assert!(!matches("stateIN1,3", &r));
        assert!(matches("stateNOT IN1,3", &r));
        assert!(!matches("stateNOT IN2", &r));
        assert!(matches("categoryINsoftware, network", &r));
    }

    #[test]
    fn ordering_operators() {
        let r = incident();
        assert!(matches("priority>2", &r));
        assert!(matches("priority>=3", &r));
        assert!(!matches("priority<3", &r));
        assert!(matches("priority<=3", &r));
        assert!(matches("opened_at>2024-02-29", &r));
        assert!(matches("opened_at<2024-03-01 10:00:01", &r));
        assert!(!matches("assigned_to<zzz", &r), "empty never compares");
        assert!(matches("priority>10^ORpriority<4", &r));
    }

    #[test]
    fn emptiness() {
        let r = incident();
        assert!(matches("assigned_toISEMPTY", &r));
        assert!(!matches("assigned_toISNOTEMPTY", &r));
        assert!(matches("short_descriptionISNOTEMPTY", &r));
    }

    #[test]
    fn and_or_and_new_query() {
        let r = incident();
        assert!(matches("state=2^priority=3", &r));
        assert!(!matches("state=2^priority=1", &r));
        assert!(matches("state=2^priority=1^ORpriority=3", &r));
        assert!(!matches("state=1^ORstate=7^priority=3", &r));
        assert!(matches("state=1^NQcategory=network", &r));
        assert!(!matches("state=1^NQcategory=database", &r));
        assert!(matches("state=2^EQ", &r));
    }

    #[test]
    fn dot_walked_fields() {
        let r = incident();
        assert!(matches("assigned_to.name=Beth Anglin", &r));
        assert!(matches("assigned_to.nameSTARTSWITHbeth", &r));
    }

    #[test]
    fn unknown_fields_and_garbage_match_nothing() {
        let r = incident();
        assert!(!matches("no_such_field=1", &r));
        assert!(!matches("just some words", &r));
        assert!(!matches("state", &r));
        assert!(matches("", &r));
    }

    #[test]
    fn double_caret_is_a_literal_caret() {
        let text = record(&[("short_description", "rate=5^priority=1 rejected")]);
        assert!(matches("short_descriptionLIKErate=5^^priority=1", &text));
        assert!(matches(
            "short_description=rate=5^^priority=1 rejected",
            &text
        ));
        let parsed = Query::parse("short_descriptionLIKEa^^b^state=1");
        assert_eq!(
            parsed.groups[0].len(),
            2,
            "one escaped caret, one separator"
        );
        assert_eq!(
            parsed.groups[0][0][0],
            Term::Condition {
                field: "short_description".into(),
                op: Op::Like,
                value: "a^b".into()
            }
        );
        // Unescaped, the same text would inject a second condition.
        let injected = Query::parse("short_descriptionLIKErate=5^priority=1");
        assert_eq!(injected.groups[0].len(), 2);
        assert!(!injected.matches(&text));
        assert_eq!(escape_value("a^b^^c"), "a^^b^^^^c");
        let escaped = format!("short_descriptionLIKE{}", escape_value("5^priority"));
        assert!(Query::parse(&escaped).matches(&text));
    }

    #[test]
    fn order_by_keys() {
        let parsed = Query::parse("active=true^ORDERBYDESCpriority^ORDERBYnumber");
        assert_eq!(parsed.groups.len(), 1);
        assert_eq!(
            parsed.order,
            vec![
                SortKey {
                    field: "priority".into(),
                    descending: true
                },
                SortKey {
                    field: "number".into(),
                    descending: false
                }
            ]
        );
        let low = record(&[("priority", "10"), ("number", "a")]);
        let high = record(&[("priority", "9"), ("number", "b")]);
        assert_eq!(parsed.compare(&low, &high), Ordering::Less, "numeric desc");
        let only_order = Query::parse("ORDERBYnumber");
        assert!(only_order.groups.is_empty());
        assert!(only_order.matches(&low));
    }
}
