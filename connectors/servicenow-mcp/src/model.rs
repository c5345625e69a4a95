//! ServiceNow's wire types.
//!
//! The Table API answers `{"result": …}`; with `sysparm_display_value=all`
//! every field is `{"display_value", "value"}` (references may add `link`,
//! which `sysparm_exclude_reference_link=true` drops). A [`Record`] keeps the
//! fields as sent and reads either form, so the connector also copes with
//! instances or fields that answer plain strings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One record as the Table API sent it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record(pub Map<String, Value>);

impl Record {
    /// The stored value of `field` (`value`), or `""`.
    pub fn value(&self, field: &str) -> String {
        match self.0.get(field) {
            Some(Value::Object(o)) => o
                .get("value")
                .or_else(|| o.get("display_value"))
                .map(scalar)
                .unwrap_or_default(),
            Some(v) => scalar(v),
            None => String::new(),
        }
    }

    /// The display value of `field` (choice label, reference name), or `""`.
    pub fn display(&self, field: &str) -> String {
        match self.0.get(field) {
            Some(Value::Object(o)) => o
                .get("display_value")
                .or_else(|| o.get("value"))
                .map(scalar)
                .unwrap_or_default(),
            Some(v) => scalar(v),
            None => String::new(),
        }
    }

    /// The display value, `None` when empty.
    pub fn shown(&self, field: &str) -> Option<String> {
        let s = connector_kit::text::sanitize(&self.display(field));
        (!s.is_empty()).then_some(s)
    }

    /// `sys_id`.
    pub fn sys_id(&self) -> String {
        self.value("sys_id")
    }

    /// Names of the fields present.
    pub fn fields(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{"result": [...]}`.
#[derive(Debug, Deserialize)]
pub struct ListAnswer {
    /// The records.
    #[serde(default)]
    pub result: Vec<Record>,
}

/// `{"result": {...}}`.
#[derive(Debug, Deserialize)]
pub struct OneAnswer {
    /// The record.
    pub result: Record,
}

/// ServiceNow's error body: `{"error": {"message", "detail"}, "status": "failure"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// The error.
    #[serde(default)]
    pub error: ErrorDetail,
}

/// `error` of an [`ErrorBody`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    /// Short message, e.g. `User Not Authorized`.
    #[serde(default)]
    pub message: Option<String>,
    /// The explanation (ACL, data policy, allowed values, missing role).
    #[serde(default)]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_all_display_shapes() {
        let r: Record = serde_json::from_value(json!({
            "state": {"display_value": "In Progress", "value": "2"},
            "assigned_to": {"display_value": "Beth Anglin", "value": "abc", "link": "x"},
            "number": "INC1",
            "empty": {"display_value": "", "value": ""},
        }))
        .unwrap();
        assert_eq!(r.value("state"), "2");
        assert_eq!(r.display("state"), "In Progress");
        assert_eq!(r.display("assigned_to"), "Beth Anglin");
        assert_eq!(r.value("number"), "INC1");
        assert_eq!(r.display("number"), "INC1");
        assert_eq!(r.shown("empty"), None);
        assert_eq!(r.value("missing"), "");
    }
}
