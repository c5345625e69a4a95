//! HubSpot's wire types — only the fields the connector reads. The tools see
//! these through [`crate::client`]'s CRM-shaped functions.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One CRM record (`GET /crm/v3/objects/{type}/{id}`, search and batch results).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Record id.
    pub id: String,
    /// Property values (HubSpot sends strings or `null`).
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last updated (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Requested property histories, newest first.
    #[serde(default)]
    pub properties_with_history: BTreeMap<String, Vec<HistoryEntry>>,
}

impl Record {
    /// A property's value as a string, if set.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// One entry of a property's history.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The value set.
    #[serde(default)]
    pub value: Option<String>,
    /// When (ISO 8601).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// What set it (`CRM_UI`, `INTEGRATION`, …).
    #[serde(default)]
    pub source_type: Option<String>,
}

/// `POST /crm/v3/objects/{type}/search` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct SearchAnswer {
    /// Matches in all (HubSpot pages only the first 10,000).
    #[serde(default)]
    pub total: u64,
    /// This page.
    #[serde(default)]
    pub results: Vec<Record>,
    /// Paging.
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// `paging` of list answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Paging {
    /// The next page.
    #[serde(default)]
    pub next: Option<PagingNext>,
}

/// `paging.next`.
#[derive(Debug, Clone, Deserialize)]
pub struct PagingNext {
    /// Cursor of the next page.
    pub after: String,
}

/// `{"results": [...]}` answers (batch read, pipelines, properties).
#[derive(Debug, Clone, Deserialize)]
pub struct Results<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Paging, where the endpoint pages.
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// One v4 association (`GET /crm/v4/objects/{from}/{id}/associations/{to}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// The associated record's id (a number in v4).
    pub to_object_id: Value,
}

impl Association {
    /// The id as a string.
    pub fn id(&self) -> String {
        match &self.to_object_id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// A deal pipeline.
#[derive(Debug, Clone, Deserialize)]
pub struct Pipeline {
    /// Pipeline id (the `pipeline` property value).
    pub id: String,
    /// Display label.
    pub label: String,
    /// Stages in display order.
    #[serde(default)]
    pub stages: Vec<Stage>,
}

/// A pipeline stage.
#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    /// Stage id (the `dealstage` property value).
    pub id: String,
    /// Display label.
    pub label: String,
    /// `isClosed`, `probability` (strings).
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

impl Stage {
    /// Closed stages end the deal (won or lost).
    pub fn is_closed(&self) -> bool {
        self.metadata
            .get("isClosed")
            .is_some_and(|v| v.as_str() == Some("true") || v.as_bool() == Some(true))
    }

    /// Win probability, 0–1.
    pub fn probability(&self) -> Option<f64> {
        match self.metadata.get("probability")? {
            Value::String(s) => s.parse().ok(),
            v => v.as_f64(),
        }
    }
}

/// A property definition (`GET /crm/v3/properties/{type}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDef {
    /// Internal name.
    pub name: String,
    /// Display label.
    #[serde(default)]
    pub label: String,
    /// `string`, `number`, `enumeration`, `datetime`, …
    #[serde(default, rename = "type")]
    pub prop_type: String,
    /// UI field type.
    #[serde(default)]
    pub field_type: String,
    /// Enumeration options.
    #[serde(default)]
    pub options: Vec<PropertyOption>,
    /// Whether values must be unique.
    #[serde(default)]
    pub has_unique_value: bool,
    /// `readOnlyValue` and friends.
    #[serde(default)]
    pub modification_metadata: Map<String, Value>,
}

impl PropertyDef {
    /// Whether HubSpot computes the value (writes are refused).
    pub fn read_only(&self) -> bool {
        self.modification_metadata
            .get("readOnlyValue")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// One enumeration option.
#[derive(Debug, Clone, Deserialize)]
pub struct PropertyOption {
    /// Value to write.
    pub value: String,
    /// Display label.
    #[serde(default)]
    pub label: String,
}

/// HubSpot's error body: `{"status": "error", "message", "category", "errors": [...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// The message.
    #[serde(default)]
    pub message: String,
    /// `VALIDATION_ERROR`, `CONFLICT`, `RATE_LIMITS`, …
    #[serde(default)]
    pub category: String,
    /// Per-property errors.
    #[serde(default)]
    pub errors: Vec<ErrorDetail>,
}

/// One entry of `errors`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    /// Message.
    #[serde(default)]
    pub message: String,
    /// `INVALID_OPTION`, `PROPERTY_DOESNT_EXIST`, …
    #[serde(default)]
    pub code: String,
    /// `{"propertyName": [...]}`.
    #[serde(default)]
    pub context: BTreeMap<String, Vec<String>>,
}

impl ErrorBody {
    /// The properties named in `errors`.
    pub fn property_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .errors
            .iter()
            .flat_map(|e| e.context.get("propertyName").cloned().unwrap_or_default())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The id in a `Contact already exists. Existing ID: N` conflict.
    pub fn existing_id(&self) -> Option<String> {
        let (_, rest) = self.message.split_once("Existing ID:")?;
        let id: String = rest
            .trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!id.is_empty()).then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_id_is_read_from_the_conflict_message() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"message": "Contact already exists. Existing ID: 2042", "category": "CONFLICT"}"#,
        )
        .unwrap();
        assert_eq!(body.existing_id().as_deref(), Some("2042"));
        assert_eq!(ErrorBody::default().existing_id(), None);
    }
}
