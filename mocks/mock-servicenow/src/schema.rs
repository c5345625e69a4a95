//! The tables the mock knows: their fields, field kinds, choice lists and access rules.

/// What a field holds, which decides its display value and write validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain text (also numbers, dates and booleans, which ServiceNow sends as strings).
    Text,
    /// A `sys_id` pointing into another table.
    Reference(&'static str),
    /// A value from the field's choice list; `empty_ok` allows `""` ("-- None --").
    Choice { empty_ok: bool },
    /// A journal (`work_notes`, `comments`): writes append to `sys_journal_field`.
    Journal,
}

/// One field of a table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
}

/// Who may do what with a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read and write (write needs a user who is not read-only).
    ReadWrite,
    /// Read only: writes get an ACL 403.
    ReadOnly,
    /// Every request gets an ACL 403.
    Denied,
}

/// One table.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// The field shown as a reference's display value.
    pub display_field: &'static str,
    /// Prefix of the `number` field for tables that have one (`INC`, `PRB`...) and the first
    /// number given to a created record is one above the seed's highest.
    pub number_prefix: Option<&'static str>,
    pub access: Access,
    /// Table-specific fields; the `sys_*` fields are common to every table.
    pub fields: &'static [Field],
}

const fn text(name: &'static str, label: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Kind::Text,
    }
}

const fn reference(name: &'static str, label: &'static str, table: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Kind::Reference(table),
    }
}

const fn choice(name: &'static str, label: &'static str, empty_ok: bool) -> Field {
    Field {
        name,
        label,
        kind: Kind::Choice { empty_ok },
    }
}

const fn journal(name: &'static str, label: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Kind::Journal,
    }
}

/// Fields every table has, maintained by the mock and never written by clients.
pub(crate) const SYSTEM_FIELDS: &[Field] = &[
    text("sys_id", "Sys ID"),
    text("sys_created_on", "Created"),
    text("sys_created_by", "Created by"),
    text("sys_updated_on", "Updated"),
    text("sys_updated_by", "Updated by"),
    text("sys_mod_count", "Updates"),
    text("sys_class_name", "Class"),
];

const TASK_FIELDS_INCIDENT: &[Field] = &[
    text("number", "Number"),
    text("short_description", "Short description"),
    text("description", "Description"),
    choice("state", "State", false),
    choice("impact", "Impact", false),
    choice("urgency", "Urgency", false),
    choice("priority", "Priority", false),
    choice("category", "Category", true),
    text("subcategory", "Subcategory"),
    reference("assignment_group", "Assignment group", "sys_user_group"),
    reference("assigned_to", "Assigned to", "sys_user"),
    reference("caller_id", "Caller", "sys_user"),
    reference("opened_by", "Opened by", "sys_user"),
    text("opened_at", "Opened"),
    reference("resolved_by", "Resolved by", "sys_user"),
    text("resolved_at", "Resolved"),
    reference("closed_by", "Closed by", "sys_user"),
    text("closed_at", "Closed"),
    choice("close_code", "Resolution code", true),
    text("close_notes", "Resolution notes"),
    choice("contact_type", "Channel", true),
    reference("problem_id", "Problem", "problem"),
    text("active", "Active"),
    text("correlation_id", "Correlation ID"),
    text("correlation_display", "Correlation display"),
    journal("work_notes", "Work notes"),
    journal("comments", "Additional comments"),
];

const PROBLEM_FIELDS: &[Field] = &[
    text("number", "Number"),
    text("short_description", "Short description"),
    text("description", "Description"),
    choice("state", "State", false),
    choice("impact", "Impact", false),
    choice("urgency", "Urgency", false),
    choice("priority", "Priority", false),
    choice("category", "Category", true),
    reference("assignment_group", "Assignment group", "sys_user_group"),
    reference("assigned_to", "Assigned to", "sys_user"),
    reference("opened_by", "Opened by", "sys_user"),
    text("opened_at", "Opened"),
    text("known_error", "Known error"),
    text("cause_notes", "Cause notes"),
    text("fix_notes", "Fix notes"),
    text("workaround", "Workaround"),
    text("active", "Active"),
    text("correlation_id", "Correlation ID"),
    journal("work_notes", "Work notes"),
    journal("comments", "Additional comments"),
];

const CHANGE_FIELDS: &[Field] = &[
    text("number", "Number"),
    text("short_description", "Short description"),
    text("description", "Description"),
    choice("type", "Type", false),
    choice("state", "State", false),
    choice("risk", "Risk", false),
    choice("impact", "Impact", false),
    choice("priority", "Priority", false),
    choice("category", "Category", true),
    reference("assignment_group", "Assignment group", "sys_user_group"),
    reference("assigned_to", "Assigned to", "sys_user"),
    reference("requested_by", "Requested by", "sys_user"),
    text("start_date", "Planned start date"),
    text("end_date", "Planned end date"),
    text("justification", "Justification"),
    text("implementation_plan", "Implementation plan"),
    text("backout_plan", "Backout plan"),
    text("test_plan", "Test plan"),
    text("active", "Active"),
    text("correlation_id", "Correlation ID"),
    journal("work_notes", "Work notes"),
    journal("comments", "Additional comments"),
];

const KNOWLEDGE_FIELDS: &[Field] = &[
    text("number", "Number"),
    text("short_description", "Short description"),
    text("text", "Article body"),
    choice("workflow_state", "Workflow", false),
    reference("kb_category", "Category", "kb_category"),
    reference("author", "Author", "sys_user"),
    text("published", "Published"),
    text("valid_to", "Valid to"),
    text("sys_view_count", "View count"),
    text("meta", "Meta"),
    text("active", "Active"),
];

const CATEGORY_FIELDS: &[Field] = &[
    text("label", "Label"),
    text("value", "Value"),
    text("active", "Active"),
];

const USER_FIELDS: &[Field] = &[
    text("user_name", "User ID"),
    text("name", "Name"),
    text("first_name", "First name"),
    text("last_name", "Last name"),
    text("email", "Email"),
    text("title", "Title"),
    text("department", "Department"),
    text("phone", "Business phone"),
    reference("manager", "Manager", "sys_user"),
    text("vip", "VIP"),
    text("active", "Active"),
    text("roles", "Roles"),
];

const GROUP_FIELDS: &[Field] = &[
    text("name", "Name"),
    text("description", "Description"),
    reference("manager", "Manager", "sys_user"),
    text("email", "Group email"),
    text("type", "Type"),
    text("active", "Active"),
];

const CHOICE_FIELDS: &[Field] = &[
    text("name", "Table"),
    text("element", "Element"),
    text("value", "Value"),
    text("label", "Label"),
    text("sequence", "Sequence"),
    text("language", "Language"),
    text("inactive", "Inactive"),
];

const JOURNAL_FIELDS: &[Field] = &[
    text("name", "Table"),
    text("element", "Element"),
    text("element_id", "Element ID"),
    text("value", "Value"),
];

const AUDIT_FIELDS: &[Field] = &[
    text("tablename", "Table"),
    text("documentkey", "Document key"),
    text("fieldname", "Field"),
    text("oldvalue", "Old value"),
    text("newvalue", "New value"),
];

/// Every table the mock serves.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "incident",
        display_field: "number",
        number_prefix: Some("INC"),
        access: Access::ReadWrite,
        fields: TASK_FIELDS_INCIDENT,
    },
    Table {
        name: "problem",
        display_field: "number",
        number_prefix: Some("PRB"),
        access: Access::ReadWrite,
        fields: PROBLEM_FIELDS,
    },
    Table {
        name: "change_request",
        display_field: "number",
        number_prefix: Some("CHG"),
        access: Access::ReadWrite,
        fields: CHANGE_FIELDS,
    },
    Table {
        name: "kb_knowledge",
        display_field: "number",
        number_prefix: Some("KB"),
        access: Access::ReadWrite,
        fields: KNOWLEDGE_FIELDS,
    },
    Table {
        name: "kb_category",
        display_field: "label",
        number_prefix: None,
        access: Access::ReadOnly,
        fields: CATEGORY_FIELDS,
    },
    Table {
        name: "sys_user",
        display_field: "name",
        number_prefix: None,
        access: Access::ReadWrite,
        fields: USER_FIELDS,
    },
    Table {
        name: "sys_user_group",
        display_field: "name",
        number_prefix: None,
        access: Access::ReadWrite,
        fields: GROUP_FIELDS,
    },
    Table {
        name: "sys_choice",
        display_field: "label",
        number_prefix: None,
        access: Access::ReadOnly,
        fields: CHOICE_FIELDS,
    },
    Table {
        name: "sys_journal_field",
        display_field: "value",
        number_prefix: None,
        access: Access::ReadOnly,
        fields: JOURNAL_FIELDS,
    },
    Table {
        name: "sys_audit",
        display_field: "documentkey",
        number_prefix: None,
        access: Access::Denied,
        fields: AUDIT_FIELDS,
    },
];

/// Looks a table up by name.
pub(crate) fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

impl Table {
    /// A field of this table, including the common `sys_*` fields.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields
            .iter()
            .chain(SYSTEM_FIELDS)
            .find(|f| f.name == name)
    }

    /// Every field, table-specific first, then the `sys_*` fields.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().chain(SYSTEM_FIELDS)
    }
}

const STATE_INCIDENT: &[(&str, &str)] = &[
    ("1", "New"),
    ("2", "In Progress"),
    ("3", "On Hold"),
    ("6", "Resolved"),
    ("7", "Closed"),
    ("8", "Canceled"),
];
const STATE_PROBLEM: &[(&str, &str)] = &[
    ("101", "New"),
    ("102", "Assess"),
    ("103", "Root Cause Analysis"),
    ("104", "Fix in Progress"),
    ("106", "Resolved"),
    ("107", "Closed"),
];
const STATE_CHANGE: &[(&str, &str)] = &[
    ("-5", "New"),
    ("-4", "Assess"),
    ("-3", "Authorize"),
    ("-2", "Scheduled"),
    ("-1", "Implement"),
    ("0", "Review"),
    ("3", "Closed"),
    ("4", "Canceled"),
];
const IMPACT: &[(&str, &str)] = &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")];
const URGENCY: &[(&str, &str)] = IMPACT;
const PRIORITY: &[(&str, &str)] = &[
    ("1", "1 - Critical"),
    ("2", "2 - High"),
    ("3", "3 - Moderate"),
    ("4", "4 - Low"),
    ("5", "5 - Planning"),
];
const CATEGORY_INCIDENT: &[(&str, &str)] = &[
    ("inquiry", "Inquiry / Help"),
    ("software", "Software"),
    ("hardware", "Hardware"),
    ("network", "Network"),
    ("database", "Database"),
];
const CATEGORY_PROBLEM: &[(&str, &str)] = &[
    ("software", "Software"),
    ("hardware", "Hardware"),
    ("network", "Network"),
    ("database", "Database"),
];
const CATEGORY_CHANGE: &[(&str, &str)] = &[
    ("Hardware", "Hardware"),
    ("Software", "Software"),
    ("Network", "Network"),
    ("Service", "Service"),
    ("Other", "Other"),
];
const CLOSE_CODE: &[(&str, &str)] = &[
    ("Solution provided", "Solution provided"),
    ("Workaround provided", "Workaround provided"),
    ("Duplicate", "Duplicate"),
    ("Known error", "Known error"),
    ("No resolution provided", "No resolution provided"),
    ("Resolved by caller", "Resolved by caller"),
    ("Resolved by change", "Resolved by change"),
    ("Resolved by problem", "Resolved by problem"),
    ("User error", "User error"),
];
const CONTACT_TYPE: &[(&str, &str)] = &[
    ("email", "Email"),
    ("phone", "Phone"),
    ("self-service", "Self-service"),
    ("walk-in", "Walk-in"),
    ("monitoring", "Monitoring"),
];
const CHANGE_TYPE: &[(&str, &str)] = &[
    ("standard", "Standard"),
    ("normal", "Normal"),
    ("emergency", "Emergency"),
];
const RISK: &[(&str, &str)] = &[
    ("1", "Very High"),
    ("2", "High"),
    ("3", "Moderate"),
    ("4", "Low"),
];
const WORKFLOW_STATE: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("review", "Review"),
    ("published", "Published"),
    ("pending_retirement", "Pending retirement"),
    ("retired", "Retired"),
    ("outdated", "Outdated"),
];

/// The choice list of `table.element`, as `(value, label)` in display order.
pub(crate) fn choices(table: &str, element: &str) -> &'static [(&'static str, &'static str)] {
    match (table, element) {
        ("incident", "state") => STATE_INCIDENT,
        ("problem", "state") => STATE_PROBLEM,
        ("change_request", "state") => STATE_CHANGE,
        (_, "impact") => IMPACT,
        (_, "urgency") => URGENCY,
        (_, "priority") => PRIORITY,
        ("incident", "category") => CATEGORY_INCIDENT,
        ("problem", "category") => CATEGORY_PROBLEM,
        ("change_request", "category") => CATEGORY_CHANGE,
        ("incident", "close_code") => CLOSE_CODE,
        ("incident", "contact_type") => CONTACT_TYPE,
        ("change_request", "type") => CHANGE_TYPE,
        ("change_request", "risk") => RISK,
        ("kb_knowledge", "workflow_state") => WORKFLOW_STATE,
        _ => &[],
    }
}

/// The label of a choice value, or the value itself when it is not in the list.
pub(crate) fn choice_label<'a>(table: &str, element: &str, value: &'a str) -> &'a str {
    choices(table, element)
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(value, |(_, label)| label)
}

/// ServiceNow's default priority lookup from impact and urgency.
pub(crate) fn priority_for(impact: &str, urgency: &str) -> Option<&'static str> {
    let (i, u) = (impact.parse::<u8>().ok()?, urgency.parse::<u8>().ok()?);
    if !(1..=3).contains(&i) || !(1..=3).contains(&u) {
        return None;
    }
    Some(match i + u {
        2 => "1",
        3 => "2",
        4 => "3",
        5 => "4",
        _ => "5",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_a_known_table() {
        for table in TABLES {
            for field in table.all_fields() {
                if let Kind::Reference(target) = field.kind {
                    assert!(
                        super::table(target).is_some(),
                        "{}.{}",
                        table.name,
                        field.name
                    );
                }
                if let Kind::Choice { .. } = field.kind {
                    assert!(
                        !choices(table.name, field.name).is_empty(),
                        "{}.{} has no choices",
                        table.name,
                        field.name
                    );
                }
            }
        }
    }

    #[test]
    fn priority_matrix() {
        assert_eq!(priority_for("1", "1"), Some("1"));
        assert_eq!(priority_for("1", "2"), Some("2"));
        assert_eq!(priority_for("2", "2"), Some("3"));
        assert_eq!(priority_for("3", "2"), Some("4"));
        assert_eq!(priority_for("3", "3"), Some("5"));
        assert_eq!(priority_for("4", "3"), None);
    }
}
