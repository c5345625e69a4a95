//! The in-memory instance: records by table, field look-ups (with dot-walking), rendering
//! with display values, and the write path (choice checks, data policy, journals, `sys_*`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::query::{Fields, Query};
use crate::schema::{self, Access, Kind, Table};

/// One record: every value is a string, as in ServiceNow.
pub(crate) type Row = BTreeMap<String, String>;

/// States of an incident that need resolution information (data policy).
const RESOLVED_STATES: &[&str] = &["6", "7"];
/// States of an incident that are no longer active.
const INACTIVE_STATES: &[&str] = &["6", "7", "8"];

/// A ServiceNow error answer: `{"error": {"message", "detail"}, "status": "failure"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnError {
    pub status: u16,
    pub message: String,
    pub detail: String,
}

impl SnError {
    pub fn new(status: u16, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": {"message": self.message, "detail": self.detail}, "status": "failure"})
    }

    pub fn not_found() -> Self {
        Self::new(
            404,
            "No Record found",
            "Record doesn't exist or ACL restricts the record retrieval",
        )
    }

    pub fn acl(detail: impl Into<String>) -> Self {
        Self::new(403, "User Not Authorized", detail)
    }
}

/// `sysparm_display_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DisplayMode {
    #[default]
    Value,
    Display,
    All,
}

impl DisplayMode {
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("true") => Self::Display,
            Some("all") => Self::All,
            _ => Self::Value,
        }
    }
}

/// How to render records: `sysparm_fields`, `sysparm_display_value`,
/// `sysparm_exclude_reference_link`, and the base URL for reference links.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadOptions {
    pub fields: Option<Vec<String>>,
    pub display: DisplayMode,
    pub exclude_link: bool,
    pub base_url: String,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub user_name: String,
    pub sys_id: String,
    pub read_only: bool,
}

/// Everything the instance knows.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub tables: BTreeMap<&'static str, Vec<Row>>,
    /// Counter for generated `sys_id`s of created records.
    pub next_id: u64,
    /// The last number given out per number prefix (`INC` → 10120).
    pub numbers: BTreeMap<&'static str, u32>,
}

/// A deterministic 32-hex-digit `sys_id` derived from a seed string (FNV-1a, twice).
pub(crate) fn sys_id(seed: &str) -> String {
    fn fnv(bytes: &[u8], basis: u64) -> u64 {
        bytes.iter().fold(basis, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    let a = fnv(seed.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv(seed.as_bytes(), a ^ 0x9e37_79b9_7f4a_7c15);
    format!("{a:016x}{b:016x}")
}

/// The current time in ServiceNow's format (`YYYY-MM-DD hh:mm:ss`, UTC).
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One record seen through the store, for query evaluation and sorting.
pub(crate) struct RowView<'a> {
    pub store: &'a Store,
    pub table: &'static Table,
    pub row: &'a Row,
}

impl Fields for RowView<'_> {
    fn get(&self, path: &str) -> Option<String> {
        self.store.value(self.table, self.row, path)
    }
}

impl Store {
    pub fn rows(&self, table: &str) -> &[Row] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }

    pub fn find(&self, table: &str, id: &str) -> Option<&Row> {
        self.rows(table)
            .iter()
            .find(|row| row.get("sys_id").is_some_and(|v| v == id))
    }

    fn position(&self, table: &str, id: &str) -> Option<usize> {
        self.rows(table)
            .iter()
            .position(|row| row.get("sys_id").is_some_and(|v| v == id))
    }

    /// A field's value, dot-walking through references (`assigned_to.name`); journal fields
    /// give their journal text. `None` when the table has no such field.
    pub fn value(&self, table: &Table, row: &Row, path: &str) -> Option<String> {
        let (name, rest) = match path.split_once('.') {
            Some((name, rest)) => (name, Some(rest)),
            None => (path, None),
        };
        let field = table.field(name)?;
        let raw = row.get(name).cloned().unwrap_or_default();
        match (rest, field.kind) {
            (None, Kind::Journal) => Some(self.journal_text(table.name, row.get("sys_id")?, name)),
            (None, _) => Some(raw),
            (Some(rest), Kind::Reference(target)) => {
                let target = schema::table(target)?;
                match self.find(target.name, &raw) {
                    Some(referenced) => self.value(target, referenced, rest),
                    None => {
                        // An empty reference dot-walks to empty values of real fields.
                        let leaf = rest.split('.').next().unwrap_or(rest);
                        target.field(leaf).map(|_| String::new())
                    }
                }
            }
            (Some(_), _) => None,
        }
    }

    /// The field definition a (possibly dot-walked) path ends on, and its table.
    fn leaf(table: &'static Table, path: &str) -> Option<(&'static Table, &'static schema::Field)> {
        match path.split_once('.') {
            None => table.field(path).map(|f| (table, f)),
            Some((name, rest)) => match table.field(name)?.kind {
                Kind::Reference(target) => Self::leaf(schema::table(target)?, rest),
                _ => None,
            },
        }
    }

    /// Journal entries of one record's field, newest first, in ServiceNow's text form.
    pub fn journal_text(&self, table: &str, id: &str, element: &str) -> String {
        let mut text = String::new();
        for entry in self.rows("sys_journal_field").iter().rev() {
            let field = |name: &str| entry.get(name).map_or("", String::as_str);
            if field("name") != table || field("element_id") != id || field("element") != element {
                continue;
            }
            let author = self.user_display(field("sys_created_by"));
            let label = if element == "work_notes" {
                "Work notes"
            } else {
                "Additional comments"
            };
            text.push_str(&format!(
                "{} - {} ({label})\n{}\n\n",
                field("sys_created_on"),
                author,
                field("value")
            ));
        }
        text
    }

    /// A user's full name from their `user_name` (the name itself when unknown).
    fn user_display(&self, user_name: &str) -> String {
        self.rows("sys_user")
            .iter()
            .find(|u| u.get("user_name").is_some_and(|n| n == user_name))
            .and_then(|u| u.get("name").cloned())
            .unwrap_or_else(|| user_name.to_owned())
    }

    /// The display value of the record `id` in `table` (empty when it does not exist).
    fn reference_display(&self, table: &Table, id: &str) -> String {
        self.find(table.name, id)
            .and_then(|row| row.get(table.display_field).cloned())
            .unwrap_or_default()
    }

    /// Records of a table matching an encoded query, sorted by its `ORDERBY` keys.
    pub fn select(&self, table: &'static Table, query: &str) -> Vec<&Row> {
        let query = Query::parse(query);
        let view = |row| RowView {
            store: self,
            table,
            row,
        };
        let mut rows: Vec<&Row> = self
            .rows(table.name)
            .iter()
            .filter(|row| query.matches(&view(row)))
            .collect();
        rows.sort_by(|a, b| query.compare(&view(a), &view(b)));
        rows
    }

    /// Renders a record the way the Table API answers it.
    pub fn render(&self, table: &'static Table, row: &Row, options: &ReadOptions) -> Value {
        let names: Vec<String> = match &options.fields {
            Some(fields) => fields.clone(),
            None => table.all_fields().map(|f| f.name.to_owned()).collect(),
        };
        let mut out = Map::new();
        for name in names {
            let Some((leaf_table, field)) = Self::leaf(table, &name) else {
                continue;
            };
            let Some(raw) = self.value(table, row, &name) else {
                continue;
            };
            let rendered = self.render_value(leaf_table, field, raw, options);
            out.insert(name, rendered);
        }
        Value::Object(out)
    }

    fn render_value(
        &self,
        table: &Table,
        field: &schema::Field,
        raw: String,
        options: &ReadOptions,
    ) -> Value {
        let pair =
            |display: String, value: String| json!({"display_value": display, "value": value});
        match field.kind {
            Kind::Reference(target) => {
                let target = schema::table(target).expect("schema references known tables");
                if raw.is_empty() {
                    return match options.display {
                        DisplayMode::All => pair(String::new(), String::new()),
                        _ => json!(""),
                    };
                }
                let display = self.reference_display(target, &raw);
                let link = format!("{}/api/now/table/{}/{raw}", options.base_url, target.name);
                match (options.display, options.exclude_link) {
                    (DisplayMode::Value, true) => json!(raw),
                    (DisplayMode::Value, false) => json!({"link": link, "value": raw}),
                    (DisplayMode::Display, true) => json!(display),
                    (DisplayMode::Display, false) => {
                        json!({"display_value": display, "link": link})
                    }
                    (DisplayMode::All, true) => pair(display, raw),
                    (DisplayMode::All, false) => {
                        json!({"display_value": display, "link": link, "value": raw})
                    }
                }
            }
            Kind::Choice { .. } => {
                let label = schema::choice_label(table.name, field.name, &raw).to_owned();
                match options.display {
                    DisplayMode::Value => json!(raw),
                    DisplayMode::Display => json!(label),
                    DisplayMode::All => pair(label, raw),
                }
            }
            Kind::Text | Kind::Journal => match options.display {
                DisplayMode::All => pair(raw.clone(), raw),
                _ => json!(raw),
            },
        }
    }

    /// Creates (`id` = `None`) or updates a record from a JSON body; returns the record's
    /// `sys_id`. Unknown fields and `sys_*` fields in the body are ignored, as ServiceNow does.
    pub fn write(
        &mut self,
        table: &'static Table,
        id: Option<&str>,
        body: &Map<String, Value>,
        caller: &Caller,
    ) -> Result<String, SnError> {
        check_write_access(table, caller)?;
        let existing = match id {
            Some(id) => Some(
                self.position(table.name, id)
                    .ok_or_else(SnError::not_found)?,
            ),
            None => None,
        };
        let mut row = match existing {
            Some(index) => self.rows(table.name)[index].clone(),
            None => self.defaults(table, caller),
        };
        let mut journal = Vec::new();
        for (name, value) in body {
            let Some(field) = table.fields.iter().find(|f| f.name == name) else {
                continue;
            };
            if field.name == "number" {
                continue;
            }
            let text = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match field.kind {
                Kind::Journal => {
                    if !text.trim().is_empty() {
                        journal.push((field.name, text));
                    }
                }
                Kind::Choice { empty_ok } => {
                    let allowed = schema::choices(table.name, field.name);
                    let valid = (empty_ok && text.is_empty())
                        || allowed.iter().any(|(value, _)| *value == text);
                    if !valid {
                        return Err(invalid_choice(table, field, &text, allowed));
                    }
                    row.insert(field.name.to_owned(), text);
                }
                Kind::Reference(target) => {
                    let resolved = self.resolve_reference(target, &text);
                    row.insert(field.name.to_owned(), resolved);
                }
                Kind::Text => {
                    row.insert(field.name.to_owned(), text);
                }
            }
        }
        let stamp = now();
        apply_business_rules(table, &mut row, body, caller, &stamp);
        check_data_policy(table, &row)?;

        let sys_id = row.get("sys_id").cloned().unwrap_or_default();
        row.insert("sys_updated_on".into(), stamp.clone());
        row.insert("sys_updated_by".into(), caller.user_name.clone());
        match existing {
            Some(index) => {
                let count = row
                    .get("sys_mod_count")
                    .and_then(|c| c.parse::<u64>().ok())
                    .unwrap_or(0);
                row.insert("sys_mod_count".into(), (count + 1).to_string());
                self.tables.entry(table.name).or_default()[index] = row;
            }
            None => {
                row.insert("sys_created_on".into(), stamp.clone());
                row.insert("sys_created_by".into(), caller.user_name.clone());
                row.insert("sys_mod_count".into(), "0".into());
                self.tables.entry(table.name).or_default().push(row);
            }
        }
        for (element, text) in journal {
            self.add_journal(
                table.name,
                &sys_id,
                element,
                &text,
                &caller.user_name,
                &stamp,
            );
        }
        Ok(sys_id)
    }

    /// Deletes a record (and its journal entries).
    pub fn delete(
        &mut self,
        table: &'static Table,
        id: &str,
        caller: &Caller,
    ) -> Result<(), SnError> {
        check_write_access(table, caller)?;
        let index = self
            .position(table.name, id)
            .ok_or_else(SnError::not_found)?;
        self.tables.entry(table.name).or_default().remove(index);
        if let Some(entries) = self.tables.get_mut("sys_journal_field") {
            entries.retain(|e| e.get("element_id").is_none_or(|v| v != id));
        }
        Ok(())
    }

    /// Appends one journal entry (a `sys_journal_field` record).
    pub fn add_journal(
        &mut self,
        table: &str,
        element_id: &str,
        element: &str,
        value: &str,
        user_name: &str,
        stamp: &str,
    ) {
        self.next_id += 1;
        let id = sys_id(&format!("journal:{}", self.next_id));
        let row: Row = [
            ("sys_id", id.as_str()),
            ("name", table),
            ("element", element),
            ("element_id", element_id),
            ("value", value),
            ("sys_created_on", stamp),
            ("sys_created_by", user_name),
            ("sys_updated_on", stamp),
            ("sys_updated_by", user_name),
            ("sys_mod_count", "0"),
            ("sys_class_name", "sys_journal_field"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        self.tables
            .entry("sys_journal_field")
            .or_default()
            .push(row);
    }

    /// A reference written as a `sys_id` is kept; otherwise ServiceNow looks the value up by
    /// display value (and, for users, `user_name`); unknown values are stored as given.
    fn resolve_reference(&self, target: &str, text: &str) -> String {
        let Some(table) = schema::table(target) else {
            return text.to_owned();
        };
        if text.is_empty() || self.find(target, text).is_some() {
            return text.to_owned();
        }
        self.rows(target)
            .iter()
            .find(|row| {
                row.get(table.display_field).is_some_and(|v| v == text)
                    || (target == "sys_user" && row.get("user_name").is_some_and(|v| v == text))
            })
            .and_then(|row| row.get("sys_id").cloned())
            .unwrap_or_else(|| text.to_owned())
    }

    /// A new record: every field empty, then the table's defaults.
    fn defaults(&mut self, table: &'static Table, caller: &Caller) -> Row {
        self.next_id += 1;
        let mut row: Row = table
            .all_fields()
            .filter(|f| f.kind != Kind::Journal)
            .map(|f| (f.name.to_owned(), String::new()))
            .collect();
        row.insert(
            "sys_id".into(),
            sys_id(&format!("{}:new:{}", table.name, self.next_id)),
        );
        row.insert("sys_class_name".into(), table.name.into());
        if let Some(prefix) = table.number_prefix {
            let next = self.numbers.entry(prefix).or_insert(10_000);
            *next += 1;
            row.insert("number".into(), format!("{prefix}{:07}", *next));
        }
        let stamp = now();
        let mut set = |name: &str, value: &str| {
            if table.field(name).is_some() {
                row.insert(name.into(), value.into());
            }
        };
        set("active", "true");
        match table.name {
            "incident" => {
                set("state", "1");
                set("impact", "3");
                set("urgency", "3");
                set("priority", "5");
                set("opened_at", &stamp);
                set("opened_by", &caller.sys_id);
                set("contact_type", "self-service");
            }
            "problem" => {
                set("state", "101");
                set("impact", "3");
                set("urgency", "3");
                set("priority", "5");
                set("opened_at", &stamp);
                set("opened_by", &caller.sys_id);
                set("known_error", "false");
            }
            "change_request" => {
                set("type", "normal");
                set("state", "-5");
                set("risk", "4");
                set("impact", "3");
                set("priority", "4");
                set("requested_by", &caller.sys_id);
            }
            "kb_knowledge" => {
                set("workflow_state", "draft");
                set("author", &caller.sys_id);
                set("sys_view_count", "0");
            }
            _ => {}
        }
        row
    }
}

fn check_write_access(table: &Table, caller: &Caller) -> Result<(), SnError> {
    match table.access {
        Access::Denied => Err(SnError::acl(format!(
            "ACL restricts access to table '{}' for user '{}'",
            table.name, caller.user_name
        ))),
        Access::ReadOnly => Err(SnError::acl(format!(
            "ACL restricts write access to table '{}': it is read-only",
            table.name
        ))),
        Access::ReadWrite if caller.read_only => Err(SnError::acl(format!(
            "ACL restricts write access to table '{}' for user '{}' (role snc_read_only)",
            table.name, caller.user_name
        ))),
        Access::ReadWrite => Ok(()),
    }
}

fn invalid_choice(
    table: &Table,
    field: &schema::Field,
    value: &str,
    allowed: &[(&str, &str)],
) -> SnError {
    let list = allowed
        .iter()
        .map(|(value, label)| format!("{value} ({label})"))
        .collect::<Vec<_>>()
        .join(", ");
    SnError::new(
        400,
        format!(
            "Data Policy Exception: Invalid value '{value}' for field {} ({})",
            field.label, field.name
        ),
        format!(
            "Field '{}' of table '{}' does not accept '{value}'. Allowed values: {list}",
            field.name, table.name
        ),
    )
}

/// What the instance's business rules do on a write: priority from impact and urgency,
/// resolution and closure stamps, `active`.
fn apply_business_rules(
    table: &Table,
    row: &mut Row,
    body: &Map<String, Value>,
    caller: &Caller,
    stamp: &str,
) {
    let get = |row: &Row, name: &str| row.get(name).cloned().unwrap_or_default();
    if matches!(table.name, "incident" | "problem")
        && (body.contains_key("impact") || body.contains_key("urgency"))
        && let Some(priority) = priority_for_row(row)
    {
        row.insert("priority".into(), priority.into());
    }
    if table.name == "incident" {
        let state = get(row, "state");
        if state == "6" && get(row, "resolved_at").is_empty() {
            row.insert("resolved_at".into(), stamp.into());
            row.insert("resolved_by".into(), caller.sys_id.clone());
        }
        if state == "7" && get(row, "closed_at").is_empty() {
            row.insert("closed_at".into(), stamp.into());
            row.insert("closed_by".into(), caller.sys_id.clone());
        }
        let active = !INACTIVE_STATES.contains(&state.as_str());
        row.insert("active".into(), active.to_string());
    }
}

fn priority_for_row(row: &Row) -> Option<&'static str> {
    schema::priority_for(row.get("impact")?, row.get("urgency")?)
}

/// Resolving or closing an incident needs a resolution code and notes.
fn check_data_policy(table: &Table, row: &Row) -> Result<(), SnError> {
    if table.name != "incident" {
        return Ok(());
    }
    let state = row.get("state").map_or("", String::as_str);
    if !RESOLVED_STATES.contains(&state) {
        return Ok(());
    }
    let missing: Vec<&str> = ["close_code", "close_notes"]
        .into_iter()
        .filter(|name| row.get(*name).is_none_or(|v| v.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let labels: Vec<&str> = missing
        .iter()
        .filter_map(|name| table.field(name).map(|f| f.label))
        .collect();
    Err(SnError::new(
        400,
        format!(
            "Data Policy Exception: The following fields are mandatory: {}",
            labels.join(", ")
        ),
        format!(
            "Operation against table 'incident' was aborted by data policy 'Resolution \
             information mandatory when resolved or closed' (state {}): mandatory fields: {}",
            schema::choice_label("incident", "state", state),
            missing.join(", ")
        ),
    ))
}
