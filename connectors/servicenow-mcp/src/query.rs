//! Encoded queries (`sysparm_query`) built from structured filters.
//!
//! ServiceNow's encoded query is `field<op>value` terms joined by `^` (AND)
//! and `^OR` (OR), with `^NQ` starting a new OR-ed query and `ORDERBY…`
//! sorting. User text is never spliced in as syntax:
//!
//! * field names must match `[a-z0-9_.]+` (dot-walking allowed), so a field
//!   cannot smuggle an operator;
//! * operators come from [`Op`], never from the caller;
//! * in values, `^` is written `^^` (ServiceNow's escape for a literal caret),
//!   so `^OR`, `^NQ` or `^ORDERBY` inside a value stay text; `=` in a value
//!   is data, because the operator has already been read;
//! * `IN` lists refuse values containing `,` (the list separator), and values
//!   starting with `javascript:` are refused (the instance would evaluate them).
//!
//! Only [`Query::raw`] appends unescaped text, and tools call it only when the
//! operator enabled `--allow-raw-query`.

use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `LIKE` (contains, case-insensitive)
    Like,
    /// `STARTSWITH`
    StartsWith,
    /// `IN` (comma-separated list)
    In,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

impl Op {
    /// The operator as written in an encoded query.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "LIKE",
            Op::StartsWith => "STARTSWITH",
            Op::In => "IN",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
        }
    }
}

/// Why a filter could not be encoded; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Whether `name` is a valid (possibly dot-walked) field name.
pub fn valid_field(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 120
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// A value escaped for an encoded query: `^` becomes `^^`.
pub fn escape(value: &str) -> String {
    value.replace('^', "^^")
}

/// Whether `s` is a 32-character hex `sys_id`.
pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An encoded query under construction: AND-ed clauses, each one or more
/// OR-ed conditions, then sort keys.
#[derive(Debug, Clone, Default)]
pub struct Query {
    clauses: Vec<String>,
    raw: Vec<String>,
    order: Vec<String>,
}

impl Query {
    /// An empty query (matches everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `field <op> value` (AND).
    pub fn and(mut self, field: &str, op: Op, value: &str) -> Result<Self, QueryError> {
        let term = condition(field, op, value)?;
        self.clauses.push(term);
        Ok(self)
    }

    /// Adds `field = value` (AND).
    pub fn eq(self, field: &str, value: &str) -> Result<Self, QueryError> {
        self.and(field, Op::Eq, value)
    }

    /// Adds `field IN a,b,c` (AND); an empty list adds nothing.
    pub fn any_value(self, field: &str, values: &[String]) -> Result<Self, QueryError> {
        match values {
            [] => Ok(self),
            [one] => self.and(field, Op::Eq, one),
            many => self.and(field, Op::In, &many.join(",")).and_then(|q| {
                if many.iter().any(|v| v.contains(',')) {
                    Err(QueryError(format!(
                        "`{field}`: a value in a list cannot contain ','"
                    )))
                } else {
                    Ok(q)
                }
            }),
        }
    }

    /// Adds one clause of OR-ed conditions (`a^ORb^ORc`), AND-ed with the rest.
    pub fn any_of(mut self, alternatives: &[(&str, Op, &str)]) -> Result<Self, QueryError> {
        let terms = alternatives
            .iter()
            .map(|(f, op, v)| condition(f, *op, v))
            .collect::<Result<Vec<_>, _>>()?;
        if !terms.is_empty() {
            self.clauses.push(terms.join("^OR"));
        }
        Ok(self)
    }

    /// Sorts by `field` (after earlier sort keys).
    pub fn order_by(mut self, field: &str, descending: bool) -> Result<Self, QueryError> {
        if !valid_field(field) {
            return Err(QueryError(format!(
                "`order_by`: {field:?} is not a field name (lower-case letters, digits, `_` and `.`)"
            )));
        }
        let key = if descending { "ORDERBYDESC" } else { "ORDERBY" };
        self.order.push(format!("{key}{field}"));
        Ok(self)
    }

    /// Appends an operator-trusted encoded query as it is (only with
    /// `--allow-raw-query`).
    pub fn raw(mut self, encoded: &str) -> Self {
        let encoded = encoded.trim().trim_matches('^');
        if !encoded.is_empty() {
            self.raw.push(encoded.to_owned());
        }
        self
    }

    /// Whether no condition was added.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty() && self.raw.is_empty()
    }

    /// The `sysparm_query` value.
    pub fn build(&self) -> String {
        self.clauses
            .iter()
            .chain(&self.raw)
            .chain(&self.order)
            .cloned()
            .collect::<Vec<_>>()
            .join("^")
    }
}

fn condition(field: &str, op: Op, value: &str) -> Result<String, QueryError> {
    if !valid_field(field) {
        return Err(QueryError(format!(
            "{field:?} is not a field name (lower-case letters, digits, `_` and `.`)"
        )));
    }
    if value
        .trim_start()
        .get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
    {
        return Err(QueryError(format!(
            "`{field}`: values starting with `javascript:` are not accepted"
        )));
    }
    if matches!(op, Op::Like | Op::StartsWith) && value.is_empty() {
        return Err(QueryError(format!("`{field}`: give some text to look for")));
    }
    Ok(format!("{field}{}{}", op.as_str(), escape(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ServiceNow's reading of an encoded query: split on single `^`, `^^` is
    /// a literal caret.
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

    #[test]
    fn builds_conditions_or_clauses_and_order() {
        let q = Query::new()
            .any_value("state", &["1".into(), "2".into()])
            .unwrap()
            .eq("assignment_group.name", "Service Desk")
            .unwrap()
            .any_of(&[
                ("short_description", Op::Like, "vpn"),
                ("description", Op::Like, "vpn"),
            ])
            .unwrap()
            .order_by("opened_at", true)
            .unwrap();
        assert_eq!(
            q.build(),
            "stateIN1,2^assignment_group.name=Service Desk^short_descriptionLIKEvpn^ORdescriptionLIKEvpn^ORDERBYDESCopened_at"
        );
    }

    #[test]
    fn carets_in_values_are_escaped_and_equals_is_data() {
        let q = Query::new()
            .and("short_description", Op::Like, "rate=5^burst=10")
            .unwrap();
        assert_eq!(q.build(), "short_descriptionLIKErate=5^^burst=10");
        assert_eq!(split_terms(&q.build()).len(), 1);
        let q = Query::new()
            .eq("number", "x^NQactive=true^ORDERBYnumber")
            .unwrap();
        assert_eq!(split_terms(&q.build()).len(), 1, "{}", q.build());
    }

    #[test]
    fn bad_fields_and_values_are_refused() {
        assert!(Query::new().eq("state=1^active", "x").is_err());
        assert!(Query::new().eq("State", "x").is_err());
        assert!(Query::new().eq("a..b", "x").is_err());
        assert!(
            Query::new()
                .eq("opened_at", "javascript:gs.daysAgo(1)")
                .is_err()
        );
        assert!(
            Query::new()
                .any_value("state", &["1,2".into(), "3".into()])
                .is_err()
        );
        assert!(Query::new().order_by("x^ORDERBYy", false).is_err());
        assert!(Query::new().and("short_description", Op::Like, "").is_err());
    }

    #[test]
    fn field_names() {
        assert!(valid_field("assigned_to.user_name"));
        assert!(valid_field("u_custom_2"));
        assert!(!valid_field(""));
        assert!(!valid_field(".x"));
        assert!(!valid_field("a b"));
        assert!(is_sys_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_sys_id("INC0010043"));
    }

    proptest! {
        /// Whatever the values, the query has exactly one term per condition
        /// and each term reads back as field, operator and the original value.
        #[test]
        fn values_never_become_syntax(values in proptest::collection::vec(".{0,40}", 1..6)) {
            let mut q = Query::new();
            let mut expected = Vec::new();
            for (i, v) in values.iter().enumerate() {
                let field = format!("f{i}");
                match q.clone().eq(&field, v) {
                    Ok(next) => {
                        q = next;
                        expected.push(format!("{field}={v}"));
                    }
                    Err(_) => prop_assert!(v.trim_start().to_ascii_lowercase().starts_with("javascript:")),
                }
            }
            prop_assert_eq!(split_terms(&q.build()), if expected.is_empty() { vec![String::new()] } else { expected });
        }

        /// OR clauses keep their values too.
        #[test]
        fn or_clauses_keep_values(a in "[^j].{0,30}", b in "[^j].{0,30}") {
            let q = Query::new().any_of(&[("x", Op::Eq, &a), ("y", Op::Eq, &b)]).unwrap();
            prop_assert_eq!(split_terms(&q.build()), vec![format!("x={a}"), format!("ORy={b}")]);
        }

        /// Field names outside `[a-z0-9_.]` are always refused.
        #[test]
        fn fields_with_syntax_are_refused(f in "[a-z]{1,5}[=^ !<>A-Z,][a-z]{0,5}") {
            prop_assert!(Query::new().eq(&f, "v").is_err());
        }
    }
}
