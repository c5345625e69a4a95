//! A small JQL subset: tokenizer, recursive-descent parser, validation and evaluation.
//!
//! Grammar (keywords are case-insensitive):
//!
//! ```text
//! query   := [or] [ORDER BY sort ("," sort)*]
//! or      := and (OR and)*
//! and     := not (AND not)*
//! not     := (NOT | "!") not | "(" or ")" | clause
//! clause  := field op operand
//! op      := "=" | "!=" | "~" | "!~" | "<" | "<=" | ">" | ">=" | IN | NOT IN | IS | IS NOT
//! operand := value | EMPTY | NULL | function "(" [value ("," value)*] ")" | "(" operand ("," operand)* ")"
//! sort    := field [ASC | DESC]
//! ```
//!
//! Errors use Jira's wording: syntax errors read `Error in the JQL Query: ... (line 1,
//! character N)`, unknown fields `Field 'x' does not exist or you do not have permission to
//! view it.`

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A parse or validation error, already worded like Jira's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JqlError(pub String);

impl fmt::Display for JqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JqlError {}

fn syntax_error(message: &str, character: usize) -> JqlError {
    JqlError(format!(
        "Error in the JQL Query: {message} (line 1, character {character})"
    ))
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// An unquoted word: field name, value, function name or keyword.
    Word(String),
    /// A quoted string (quotes removed, escapes resolved).
    Quoted(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Like,
    NotLike,
    Lt,
    Le,
    Gt,
    Ge,
    Bang,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: Kind,
    /// 1-based character position of the token's first character.
    at: usize,
}

impl Token {
    fn keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// How an error message shows this token.
    fn describe(&self) -> String {
        match &self.kind {
            Kind::Word(w) | Kind::Quoted(w) => w.clone(),
            Kind::LParen => "(".into(),
            Kind::RParen => ")".into(),
            Kind::Comma => ",".into(),
            Kind::Eq => "=".into(),
            Kind::Ne => "!=".into(),
            Kind::Like => "~".into(),
            Kind::NotLike => "!~".into(),
            Kind::Lt => "<".into(),
            Kind::Le => "<=".into(),
            Kind::Gt => ">".into(),
            Kind::Ge => ">=".into(),
            Kind::Bang => "!".into(),
            Kind::End => "end of query".into(),
        }
    }
}

const RESERVED_WORDS: [&str; 11] = [
    "and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc",
];

fn is_word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '(' | ')' | ',' | '=' | '!' | '~' | '<' | '>' | '"' | '\''
        )
}

fn tokenize(input: &str) -> Result<Vec<Token>, JqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (kind, width) = match c {
            '(' => (Kind::LParen, 1),
            ')' => (Kind::RParen, 1),
            ',' => (Kind::Comma, 1),
            '=' => (Kind::Eq, 1),
            '~' => (Kind::Like, 1),
            '!' if next == Some('=') => (Kind::Ne, 2),
            '!' if next == Some('~') => (Kind::NotLike, 2),
            '!' => (Kind::Bang, 1),
            '<' if next == Some('=') => (Kind::Le, 2),
            '<' => (Kind::Lt, 1),
            '>' if next == Some('=') => (Kind::Ge, 2),
            '>' => (Kind::Gt, 1),
            '"' | '\'' => {
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(syntax_error(
                                &format!("The quoted string '{text}' has not been completed."),
                                at,
                            ));
                        }
                        Some('\\') if j + 1 < chars.len() => {
                            text.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(&q) if q == c => break,
                        Some(&other) => {
                            text.push(other);
                            j += 1;
                        }
                    }
                }
                (Kind::Quoted(text), j + 1 - i)
            }
            _ => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j]) {
                    j += 1;
                }
                (Kind::Word(chars[i..j].iter().collect()), j - i)
            }
        };
        tokens.push(Token { kind, at });
        i += width;
    }
    tokens.push(Token {
        kind: Kind::End,
        at: chars.len() + 1,
    });
    Ok(tokens)
}

// ---------------------------------------------------------------------------------------
// Syntax tree
// ---------------------------------------------------------------------------------------

/// A field the subset understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Project,
    Status,
    StatusCategory,
    Assignee,
    Reporter,
    Labels,
    IssueType,
    Priority,
    Key,
    Resolution,
    Component,
    Summary,
    Description,
    Comment,
    Text,
    Created,
    Updated,
    /// `customfield_10010` (also written `cf[10010]` or by its name).
    Custom(String),
    /// `issue.property[key].path.to.value`.
    Property {
        key: String,
        path: Vec<String>,
    },
}

/// How a field compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    /// Matched by identity: `=`, `!=`, `IN`, `NOT IN`, `IS [NOT] EMPTY`.
    Identity,
    /// Matched by words: `~`, `!~`, `IS [NOT] EMPTY`.
    Text,
    /// Matched by time: identity operators plus `<`, `<=`, `>`, `>=`.
    Date,
}

impl Field {
    fn kind(&self) -> FieldKind {
        match self {
            Self::Summary | Self::Description | Self::Comment | Self::Text => FieldKind::Text,
            Self::Created | Self::Updated => FieldKind::Date,
            _ => FieldKind::Identity,
        }
    }

    fn sortable(&self) -> bool {
        matches!(
            self,
            Self::Project
                | Self::Status
                | Self::Assignee
                | Self::Reporter
                | Self::IssueType
                | Self::Priority
                | Self::Key
                | Self::Resolution
                | Self::Summary
                | Self::Created
                | Self::Updated
        )
    }

    /// Resolves a field name as written in a query.
    fn resolve(name: &str, catalog: &dyn Catalog) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let field = match lower.as_str() {
            "project" => Self::Project,
            "status" => Self::Status,
            "statuscategory" => Self::StatusCategory,
            "assignee" => Self::Assignee,
            "reporter" => Self::Reporter,
            "labels" | "label" => Self::Labels,
            "issuetype" | "type" => Self::IssueType,
            "priority" => Self::Priority,
            "key" | "issuekey" | "id" | "issue" => Self::Key,
            "resolution" => Self::Resolution,
            "component" | "components" => Self::Component,
            "summary" => Self::Summary,
            "description" => Self::Description,
            "comment" => Self::Comment,
            "text" => Self::Text,
            "created" | "createddate" => Self::Created,
            "updated" | "updateddate" => Self::Updated,
            _ => {
                if lower.starts_with("issue.property[") {
                    let rest = &name["issue.property[".len()..];
                    let (key, path) = rest.split_once(']')?;
                    let path = path.strip_prefix('.').unwrap_or(path);
                    return Some(Self::Property {
                        key: key.to_owned(),
                        path: path
                            .split('.')
                            .filter(|p| !p.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    });
                }
                let id = lower
                    .strip_prefix("cf[")
                    .and_then(|r| r.strip_suffix(']'))
                    .map(|n| format!("customfield_{n}"))
                    .unwrap_or_else(|| name.to_owned());
                return catalog.custom_field_id(&id).map(Self::Custom);
            }
        };
        Some(field)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Like => "~",
            Self::NotLike => "!~",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Is => "is",
            Self::IsNot => "is not",
        }
    }
}

/// The right-hand side of a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operand {
    Value(String),
    Empty,
    Function(String, Vec<String>),
    List(Vec<Operand>),
}

/// One `field op operand` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub field: Field,
    /// The field as written, for error messages.
    pub field_name: String,
    pub op: Op,
    pub operand: Operand,
}

/// A boolean expression over clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    pub filter: Option<Expr>,
    pub order: Vec<(Field, Direction)>,
}

impl Query {
    /// Whether the query restricts the result set (Jira Cloud refuses unbounded queries on
    /// the enhanced search).
    pub fn is_bounded(&self) -> bool {
        self.filter.is_some()
    }
}

/// What the parser needs to know about the instance.
pub(crate) trait Catalog {
    /// The id (`customfield_NNNNN`) of a custom field given its id or name.
    fn custom_field_id(&self, name_or_id: &str) -> Option<String>;
    /// Whether `value` names something that exists for `field` (a project key, a status
    /// name, a user...). Fields without a fixed domain accept anything.
    fn value_exists(&self, field: &Field, value: &str) -> bool;
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

/// Parses and validates a query.
pub(crate) fn parse(input: &str, catalog: &dyn Catalog) -> Result<Query, JqlError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        catalog,
    };
    let query = parser.query()?;
    if let Some(expr) = &query.filter {
        validate(expr, catalog)?;
    }
    Ok(query)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    catalog: &'a dyn Catalog,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn peek_at(&self, offset: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + offset).min(last)]
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != Kind::End {
            self.pos += 1;
        }
        token
    }

    fn expected(&self, what: &str) -> JqlError {
        let token = self.peek();
        if token.kind == Kind::End {
            syntax_error(
                &format!("Expecting {what} before the end of the query."),
                token.at,
            )
        } else {
            syntax_error(
                &format!("Expecting {what} but got '{}'.", token.describe()),
                token.at,
            )
        }
    }

    fn query(&mut self) -> Result<Query, JqlError> {
        let filter = if self.peek().kind == Kind::End || self.peek().keyword("order") {
            None
        } else {
            Some(self.or()?)
        };
        let order = if self.peek().keyword("order") {
            self.order_by()?
        } else {
            Vec::new()
        };
        if self.peek().kind != Kind::End {
            return Err(self.expected("either 'OR' or 'AND'"));
        }
        Ok(Query { filter, order })
    }

    fn or(&mut self) -> Result<Expr, JqlError> {
        let mut left = self.and()?;
        while self.peek().keyword("or") {
            self.advance();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, JqlError> {
        let mut left = self.not()?;
        while self.peek().keyword("and") {
            self.advance();
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, JqlError> {
        if self.peek().keyword("not") || self.peek().kind == Kind::Bang {
            self.advance();
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek().kind == Kind::LParen {
            self.advance();
            let inner = self.or()?;
            if self.peek().kind != Kind::RParen {
                return Err(self.expected("')'"));
            }
            self.advance();
            return Ok(inner);
        }
        self.clause()
    }

    fn field_name(&mut self) -> Result<String, JqlError> {
        match &self.peek().kind {
            Kind::Word(w) if !RESERVED_WORDS.contains(&w.to_ascii_lowercase().as_str()) => {
                let w = w.clone();
                self.advance();
                Ok(w)
            }
            Kind::Quoted(q) => {
                let q = q.clone();
                self.advance();
                Ok(q)
            }
            _ => Err(self.expected("a field name")),
        }
    }

    fn clause(&mut self) -> Result<Expr, JqlError> {
        let field_name = self.field_name()?;
        let field = Field::resolve(&field_name, self.catalog).ok_or_else(|| {
            JqlError(format!(
                "Field '{field_name}' does not exist or you do not have permission to view it."
            ))
        })?;
        let op = self.operator()?;
        let operand = match op {
            Op::In | Op::NotIn => {
                if self.peek().kind != Kind::LParen {
                    return Err(self.expected("'('"));
                }
                self.list()?
            }
            _ => self.operand()?,
        };
        Ok(Expr::Clause(Clause {
            field,
            field_name,
            op,
            operand,
        }))
    }

    fn operator(&mut self) -> Result<Op, JqlError> {
        let op = match &self.peek().kind {
            Kind::Eq => Op::Eq,
            Kind::Ne => Op::Ne,
            Kind::Like => Op::Like,
            Kind::NotLike => Op::NotLike,
            Kind::Lt => Op::Lt,
            Kind::Le => Op::Le,
            Kind::Gt => Op::Gt,
            Kind::Ge => Op::Ge,
            _ if self.peek().keyword("in") => Op::In,
            _ if self.peek().keyword("is") => {
                if self.peek_at(1).keyword("not") {
                    self.advance();
                    Op::IsNot
                } else {
                    Op::Is
                }
            }
            _ if self.peek().keyword("not") && self.peek_at(1).keyword("in") => {
                self.advance();
                Op::NotIn
            }
            _ => {
                let token = self.peek();
                let got = if token.kind == Kind::End {
                    "before the end of the query".to_owned()
                } else {
                    format!("but got '{}'", token.describe())
                };
                return Err(syntax_error(
                    &format!(
                        "Expecting operator {got}. The valid operators are '=', '!=', '<', \
                         '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
                    ),
                    token.at,
                ));
            }
        };
        self.advance();
        Ok(op)
    }

    fn list(&mut self) -> Result<Operand, JqlError> {
        self.advance(); // "("
        let mut items = vec![self.operand()?];
        loop {
            match self.peek().kind {
                Kind::Comma => {
                    self.advance();
                    items.push(self.operand()?);
                }
                Kind::RParen => {
                    self.advance();
                    return Ok(Operand::List(items));
                }
                _ => return Err(self.expected("either ',' or ')'")),
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, JqlError> {
        let token = self.peek().clone();
        match token.kind {
            Kind::Quoted(text) => {
                self.advance();
                Ok(Operand::Value(text))
            }
            Kind::LParen => self.list(),
            Kind::Word(word) => {
                let lower = word.to_ascii_lowercase();
                if lower == "empty" || lower == "null" {
                    self.advance();
                    return Ok(Operand::Empty);
                }
                if RESERVED_WORDS.contains(&lower.as_str()) {
                    return Err(self.expected("either a value, list or function"));
                }
                self.advance();
                if self.peek().kind != Kind::LParen {
                    return Ok(Operand::Value(word));
                }
                self.advance();
                let mut args = Vec::new();
                if self.peek().kind != Kind::RParen {
                    loop {
                        match self.advance().kind {
                            Kind::Word(a) | Kind::Quoted(a) => args.push(a),
                            _ => {
                                self.pos -= 1;
                                return Err(self.expected("a function argument"));
                            }
                        }
                        match self.peek().kind {
                            Kind::Comma => {
                                self.advance();
                            }
                            Kind::RParen => break,
                            _ => return Err(self.expected("either ',' or ')'")),
                        }
                    }
                }
                self.advance(); // ")"
                Ok(Operand::Function(word, args))
            }
            _ => Err(self.expected("either a value, list or function")),
        }
    }

    fn order_by(&mut self) -> Result<Vec<(Field, Direction)>, JqlError> {
        self.advance(); // ORDER
        if !self.peek().keyword("by") {
            return Err(self.expected("'by'"));
        }
        self.advance();
        let mut order = Vec::new();
        loop {
            let name = self.field_name()?;
            let field = Field::resolve(&name, self.catalog).ok_or_else(|| {
                JqlError(format!(
                    "Field '{name}' does not exist or you do not have permission to view it."
                ))
            })?;
            if !field.sortable() {
                return Err(JqlError(format!(
                    "Field '{name}' does not support sorting."
                )));
            }
            let direction = if self.peek().keyword("desc") {
                self.advance();
                Direction::Desc
            } else {
                if self.peek().keyword("asc") {
                    self.advance();
                }
                Direction::Asc
            };
            order.push((field, direction));
            if self.peek().kind != Kind::Comma {
                return Ok(order);
            }
            self.advance();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

fn validate(expr: &Expr, catalog: &dyn Catalog) -> Result<(), JqlError> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            validate(a, catalog)?;
            validate(b, catalog)
        }
        Expr::Not(inner) => validate(inner, catalog),
        Expr::Clause(clause) => validate_clause(clause, catalog),
    }
}

fn validate_clause(clause: &Clause, catalog: &dyn Catalog) -> Result<(), JqlError> {
    let name = &clause.field_name;
    let unsupported = || {
        JqlError(format!(
            "The operator '{}' is not supported by the '{name}' field.",
            clause.op.text()
        ))
    };
    let kind = clause.field.kind();
    let supported = match clause.op {
        Op::Is | Op::IsNot => true,
        Op::Like | Op::NotLike => kind == FieldKind::Text,
        Op::Lt | Op::Le | Op::Gt | Op::Ge => kind == FieldKind::Date,
        Op::Eq | Op::Ne | Op::In | Op::NotIn => kind != FieldKind::Text,
    };
    if !supported {
        return Err(unsupported());
    }
    if matches!(clause.op, Op::Is | Op::IsNot) && clause.operand != Operand::Empty {
        return Err(JqlError(format!(
            "The operator '{}' only supports the 'EMPTY' or 'NULL' values for the '{name}' field.",
            clause.op.text()
        )));
    }
    let operands = match &clause.operand {
        Operand::List(items) => items.iter().collect(),
        single => vec![single],
    };
    for operand in operands {
        match operand {
            Operand::Empty | Operand::List(_) => {}
            Operand::Function(function, _) => {
                let lower = function.to_ascii_lowercase();
                let fits = match lower.as_str() {
                    "currentuser" => matches!(clause.field, Field::Assignee | Field::Reporter),
                    "now" | "startofday" | "startofweek" => kind == FieldKind::Date,
                    _ => {
                        return Err(JqlError(format!(
                            "Unable to find JQL function '{function}()'."
                        )));
                    }
                };
                if !fits {
                    return Err(JqlError(format!(
                        "Function '{function}' cannot be used with the field '{name}'."
                    )));
                }
            }
            Operand::Value(value) => match kind {
                FieldKind::Date => {
                    if parse_date(value, Utc::now()).is_none() {
                        return Err(JqlError(format!(
                            "Date value '{value}' for field '{name}' is invalid. Valid formats \
                             include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', \
                             'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
                        )));
                    }
                }
                FieldKind::Text => {}
                FieldKind::Identity => {
                    if !catalog.value_exists(&clause.field, value) {
                        return Err(JqlError(format!(
                            "The value '{value}' does not exist for the field '{name}'."
                        )));
                    }
                }
            },
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

/// A sortable value; `Missing` sorts after everything else in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortKey {
    Int(i64),
    Text(String),
    Missing,
}

/// What evaluation needs from an issue.
pub(crate) trait Record {
    /// Identifiers of the field's value(s), e.g. `["OPS", "10000", "Operations"]` for
    /// `project`; empty when the field is empty.
    fn values(&self, field: &Field) -> Vec<String>;
    /// The searchable text of a text field.
    fn text(&self, field: &Field) -> String;
    /// The instant of a date field.
    fn time(&self, field: &Field) -> Option<DateTime<Utc>>;
    /// The key to sort by for a field.
    fn sort_key(&self, field: &Field) -> SortKey;
}

/// Who is asking, and when.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Every identifier of the current user (account id, user name, key, e-mail...).
    pub current_user: Vec<String>,
    pub now: DateTime<Utc>,
}

impl Query {
    /// Whether `record` matches the filter.
    pub fn matches(&self, record: &dyn Record, context: &Context) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|expr| eval(expr, record, context))
    }

    /// Compares two records by the ORDER BY clause (ties keep their order).
    pub fn compare(&self, a: &dyn Record, b: &dyn Record) -> Ordering {
        for (field, direction) in &self.order {
            let ordering = a.sort_key(field).cmp(&b.sort_key(field));
            let ordering = match direction {
                Direction::Asc => ordering,
                Direction::Desc => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Whether the query has an ORDER BY clause.
    pub fn has_order(&self) -> bool {
        !self.order.is_empty()
    }
}

fn eval(expr: &Expr, record: &dyn Record, context: &Context) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, record, context) && eval(b, record, context),
        Expr::Or(a, b) => eval(a, record, context) || eval(b, record, context),
        Expr::Not(inner) => !eval(inner, record, context),
        Expr::Clause(clause) => eval_clause(clause, record, context),
    }
}

fn eval_clause(clause: &Clause, record: &dyn Record, context: &Context) -> bool {
    match clause.field.kind() {
        FieldKind::Text => {
            let text = record.text(&clause.field);
            match (&clause.op, &clause.operand) {
                (Op::Is, _) => text.trim().is_empty(),
                (Op::IsNot, _) => !text.trim().is_empty(),
                (Op::Like, Operand::Value(words)) => text_matches(&text, words),
                (Op::NotLike, Operand::Value(words)) => !text_matches(&text, words),
                _ => false,
            }
        }
        FieldKind::Date => {
            let Some(time) = record.time(&clause.field) else {
                return matches!(clause.op, Op::Is) || clause.operand == Operand::Empty;
            };
            let instants = |operand: &Operand| -> Vec<DateTime<Utc>> {
                let items = match operand {
                    Operand::List(items) => items.iter().collect(),
                    single => vec![single],
                };
                items
                    .into_iter()
                    .filter_map(|item| date_operand(item, context.now))
                    .collect()
            };
            let targets = instants(&clause.operand);
            match clause.op {
                Op::Is => false,
                Op::IsNot => true,
                Op::Eq | Op::In => targets.contains(&time),
                Op::Ne | Op::NotIn => !targets.contains(&time),
                Op::Lt => targets.iter().any(|t| time < *t),
                Op::Le => targets.iter().any(|t| time <= *t),
                Op::Gt => targets.iter().any(|t| time > *t),
                Op::Ge => targets.iter().any(|t| time >= *t),
                Op::Like | Op::NotLike => false,
            }
        }
        FieldKind::Identity => {
            let values: Vec<String> = record
                .values(&clause.field)
                .into_iter()
                .map(|v| v.to_lowercase())
                .collect();
            let (wanted, wants_empty) = identity_operand(&clause.operand, context);
            let hit = values.iter().any(|v| wanted.contains(v));
            match clause.op {
                Op::Is => values.is_empty(),
                Op::IsNot => !values.is_empty(),
                Op::Eq | Op::In => hit || (wants_empty && values.is_empty()),
                // Like Jira, `!=` and `NOT IN` never match an empty field unless EMPTY is
                // listed the other way round.
                Op::Ne | Op::NotIn => {
                    if values.is_empty() {
                        false
                    } else {
                        !hit
                    }
                }
                _ => false,
            }
        }
    }
}

/// The lower-cased values an operand stands for, and whether it includes EMPTY.
fn identity_operand(operand: &Operand, context: &Context) -> (Vec<String>, bool) {
    match operand {
        Operand::Value(value) => (vec![value.to_lowercase()], false),
        Operand::Empty => (Vec::new(), true),
        Operand::Function(name, _) if name.eq_ignore_ascii_case("currentUser") => (
            context
                .current_user
                .iter()
                .map(|id| id.to_lowercase())
                .collect(),
            false,
        ),
        Operand::Function(..) => (Vec::new(), false),
        Operand::List(items) => {
            let mut all = Vec::new();
            let mut empty = false;
            for item in items {
                let (values, item_empty) = identity_operand(item, context);
                all.extend(values);
                empty |= item_empty;
            }
            (all, empty)
        }
    }
}

/// Jira-like word search: every word of the query must occur in the text (prefix and
/// `*` wildcards are treated the same way).
fn text_matches(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    !words.is_empty() && words.iter().all(|word| text.contains(word.as_str()))
}

fn date_operand(operand: &Operand, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match operand {
        Operand::Value(value) => parse_date(value, now),
        Operand::Function(name, _) => match name.to_ascii_lowercase().as_str() {
            "now" => Some(now),
            "startofday" => Some(now.date_naive().and_hms_opt(0, 0, 0)?.and_utc()),
            "startofweek" => {
                let today = now.date_naive();
                let offset = i64::from(chrono::Datelike::weekday(&today).num_days_from_sunday());
                Some(
                    (today - Duration::days(offset))
                        .and_hms_opt(0, 0, 0)?
                        .and_utc(),
                )
            }
            _ => None,
        },
        _ => None,
    }
}

/// Absolute (`2025-03-01`, `2025/03/01 14:30`) or relative (`-5d`, `4w 2d`, `-3h`) dates.
pub(crate) fn parse_date(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let normalized = value.replace('/', "-");
    if let Ok(date) = NaiveDate::parse_from_str(&normalized, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%d %H:%M") {
        return Some(Utc.from_utc_datetime(&at));
    }
    let (sign, rest) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let mut total = Duration::zero();
    let mut any = false;
    for part in rest.split_whitespace() {
        let unit = part.chars().last()?;
        let amount: i64 = part[..part.len() - unit.len_utf8()].parse().ok()?;
        total += match unit.to_ascii_lowercase() {
            'w' => Duration::weeks(amount),
            'd' => Duration::days(amount),
            'h' => Duration::hours(amount),
            'm' => Duration::minutes(amount),
            _ => return None,
        };
        any = true;
    }
    any.then(|| now + total * sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestCatalog;

    impl Catalog for TestCatalog {
        fn custom_field_id(&self, name_or_id: &str) -> Option<String> {
            (name_or_id.eq_ignore_ascii_case("customfield_10010")
                || name_or_id.eq_ignore_ascii_case("severity"))
            .then(|| "customfield_10010".to_owned())
        }

        fn value_exists(&self, field: &Field, value: &str) -> bool {
            match field {
                Field::Project => ["OPS", "WEB"].iter().any(|p| p.eq_ignore_ascii_case(value)),
                _ => true,
            }
        }
    }

    struct Issue {
        project: &'static str,
        assignee: Option<&'static str>,
        labels: Vec<&'static str>,
        summary: &'static str,
        created: i64,
        priority: i64,
    }

    impl Record for Issue {
        fn values(&self, field: &Field) -> Vec<String> {
            match field {
                Field::Project => vec![self.project.to_owned()],
                Field::Assignee => self.assignee.map(str::to_owned).into_iter().collect(),
                Field::Labels => self.labels.iter().map(|l| (*l).to_owned()).collect(),
                _ => Vec::new(),
            }
        }
        fn text(&self, _field: &Field) -> String {
            self.summary.to_owned()
        }
        fn time(&self, _field: &Field) -> Option<DateTime<Utc>> {
            DateTime::from_timestamp(self.created, 0)
        }
        fn sort_key(&self, field: &Field) -> SortKey {
            match field {
                Field::Priority => SortKey::Int(self.priority),
                _ => SortKey::Int(self.created),
            }
        }
    }

    fn issue(
        project: &'static str,
        assignee: Option<&'static str>,
        labels: &[&'static str],
    ) -> Issue {
        Issue {
            project,
            assignee,
            labels: labels.to_vec(),
            summary: "Login page crashes on Safari",
            created: 1_700_000_000,
            priority: 3,
        }
    }

    fn context() -> Context {
        Context {
            current_user: vec!["me".to_owned()],
            now: DateTime::from_timestamp(1_700_100_000, 0).unwrap(),
        }
    }

    fn q(jql: &str) -> Query {
        parse(jql, &TestCatalog).unwrap_or_else(|e| panic!("{jql}: {e}"))
    }

    fn err(jql: &str) -> String {
        parse(jql, &TestCatalog).unwrap_err().0
    }

    #[test]
    fn parses_precedence_and_parentheses() {
        let query = q("project = OPS OR project = WEB AND labels = x");
        let Some(Expr::Or(_, right)) = query.filter else {
            panic!("OR at the top");
        };
        assert!(matches!(*right, Expr::And(..)));
        let query = q("(project = OPS OR project = WEB) AND labels = x");
        assert!(matches!(query.filter, Some(Expr::And(..))));
    }

    #[test]
    fn evaluates_operators() {
        let ctx = context();
        let a = issue("OPS", Some("me"), &["backend", "urgent"]);
        let b = issue("WEB", None, &[]);
        let check = |jql: &str, expected: [bool; 2]| {
            let query = q(jql);
            assert_eq!(
                [query.matches(&a, &ctx), query.matches(&b, &ctx)],
                expected,
                "{jql}"
            );
        };
        check("project = ops", [true, false]);
        check("project != OPS", [false, true]);
        check("project in (OPS, WEB)", [true, true]);
        check("project NOT IN (WEB)", [true, false]);
        check("assignee = currentUser()", [true, false]);
        check("assignee is EMPTY", [false, true]);
        check("assignee IS NOT empty", [true, false]);
        check("assignee = EMPTY", [false, true]);
        check("assignee != me", [false, false]);
        check("labels = \"urgent\"", [true, false]);
        check("labels in (urgent, EMPTY)", [true, true]);
        check("summary ~ \"safari login\"", [true, true]);
        check("text ~ 'chrome'", [false, false]);
        check("summary !~ chrome", [true, true]);
        check("not project = OPS", [false, true]);
        check("created > 2023-01-01", [true, true]);
        check("created > -1d", [false, false]);
        check("created >= -2w", [true, true]);
        check("Severity is empty", [true, true]);
        check("cf[10010] is empty", [true, true]);
    }

    #[test]
    fn order_by() {
        let query = q("project = OPS ORDER BY priority DESC, created ASC");
        assert_eq!(
            query.order,
            [
                (Field::Priority, Direction::Desc),
                (Field::Created, Direction::Asc)
            ]
        );
        let query = q("order by key");
        assert!(!query.is_bounded());
        assert_eq!(query.order, [(Field::Key, Direction::Asc)]);
    }

    #[test]
    fn syntax_errors_use_jira_wording() {
        assert_eq!(
            err("project = "),
            "Error in the JQL Query: Expecting either a value, list or function before the end of the query. (line 1, character 11)"
        );
        assert_eq!(
            err("project OPS"),
            "Error in the JQL Query: Expecting operator but got 'OPS'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)"
        );
        assert_eq!(
            err("project = OPS foo"),
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 15)"
        );
        assert_eq!(
            err("summary ~ \"open"),
            "Error in the JQL Query: The quoted string 'open' has not been completed. (line 1, character 11)"
        );
        assert_eq!(
            err("(project = OPS"),
            "Error in the JQL Query: Expecting ')' before the end of the query. (line 1, character 15)"
        );
        assert_eq!(
            err("project in OPS"),
            "Error in the JQL Query: Expecting '(' but got 'OPS'. (line 1, character 12)"
        );
    }

    #[test]
    fn semantic_errors() {
        assert_eq!(
            err("colour = red"),
            "Field 'colour' does not exist or you do not have permission to view it."
        );
        assert_eq!(
            err("project = NOPE"),
            "The value 'NOPE' does not exist for the field 'project'."
        );
        assert_eq!(
            err("summary = x"),
            "The operator '=' is not supported by the 'summary' field."
        );
        assert_eq!(
            err("assignee = whoever()"),
            "Unable to find JQL function 'whoever()'."
        );
        assert_eq!(
            err("order by labels"),
            "Field 'labels' does not support sorting."
        );
        assert!(err("created > yesterday").starts_with("Date value 'yesterday'"));
    }

    #[test]
    fn relative_and_absolute_dates() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(parse_date("-1d", now), Some(now - Duration::days(1)));
        assert_eq!(
            parse_date("4w 2d", now),
            Some(now + Duration::weeks(4) + Duration::days(2))
        );
        assert_eq!(
            parse_date("2024/02/03 10:30", now).unwrap().to_rfc3339(),
            "2024-02-03T10:30:00+00:00"
        );
        assert!(parse_date("soon", now).is_none());
    }

    #[test]
    fn properties_parse() {
        let query = q("issue.property[mcp.origin].requestId = abc");
        let Some(Expr::Clause(clause)) = query.filter else {
            panic!("one clause");
        };
        assert_eq!(
            clause.field,
            Field::Property {
                key: "mcp.origin".to_owned(),
                path: vec!["requestId".to_owned()],
            }
        );
    }
}
