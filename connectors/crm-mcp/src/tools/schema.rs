//! Toolset `schema`: the properties of each object type, with the allowed
//! values of enumerations — also used to check writes before they are sent.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Crm;
use crate::client::{ObjectKind, PropertyDef};
use crate::tools::tool_error;

/// Arguments of `list_properties`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Object type: `contacts`, `companies`, `deals` or `notes`.
    pub object: ObjectKind,
    /// Only properties whose name or label contains this text.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub filter: Option<String>,
}

/// One property.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PropertyOut {
    /// Name to use in filters and writes.
    pub name: String,
    /// Display label.
    pub label: String,
    /// `string`, `number`, `enumeration`, `datetime`, …
    #[serde(rename = "type")]
    pub prop_type: String,
    /// True when the CRM computes the value (it cannot be written).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// True when values must be unique (e.g. a contact's email).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// Allowed values of an enumeration (`value` is what to write).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionOut>,
}

/// One allowed value.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OptionOut {
    /// Value to write.
    pub value: String,
    /// Display label.
    pub label: String,
}

/// The properties of a type.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PropertyList {
    /// Object type.
    pub object: ObjectKind,
    /// Its properties.
    pub properties: Vec<PropertyOut>,
}

#[tool_router(router = schema_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to learn an object type's properties (names for filters and
    /// writes) and the allowed values of enumerations such as lifecyclestage,
    /// industry or dealstage.
    #[tool(name = "list_properties", title = "List properties")]
    async fn list_properties(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<PropertyList>, CallToolResult> {
        let defs = self
            .client
            .properties(args.object)
            .await
            .map_err(|e| e.to_tool_result())?;
        let needle = args.filter.as_deref().map(str::to_ascii_lowercase);
        Ok(Json(PropertyList {
            object: args.object,
            properties: defs
                .into_iter()
                .filter(|d| {
                    needle.as_deref().is_none_or(|n| {
                        d.name.to_ascii_lowercase().contains(n)
                            || d.label.to_ascii_lowercase().contains(n)
                    })
                })
                .map(|d| PropertyOut {
                    read_only: d.read_only(),
                    unique: d.has_unique_value,
                    options: d
                        .options
                        .iter()
                        .map(|o| OptionOut {
                            value: o.value.clone(),
                            label: o.label.clone(),
                        })
                        .collect(),
                    name: d.name,
                    label: d.label,
                    prop_type: d.prop_type,
                })
                .collect(),
        }))
    }
}

impl Crm {
    /// Checks properties to write against the type's definitions before
    /// anything is previewed: unknown and read-only properties and values
    /// outside an enumeration are refused with the allowed values; an
    /// option's label is accepted for its value. Values become strings.
    pub(crate) async fn check_properties(
        &self,
        kind: ObjectKind,
        props: Map<String, Value>,
    ) -> Result<Map<String, Value>, CallToolResult> {
        let defs = self
            .client
            .properties(kind)
            .await
            .map_err(|e| e.to_tool_result())?;
        check_against(kind, props, &defs).map_err(tool_error)
    }
}

/// [`Crm::check_properties`] without the look-up.
pub fn check_against(
    kind: ObjectKind,
    props: Map<String, Value>,
    defs: &[PropertyDef],
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for (name, value) in props {
        let value = match value {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => {
                problems.push(format!("`{name}`: give a string, not {other}"));
                continue;
            }
        };
        let Some(def) = defs.iter().find(|d| d.name == name) else {
            problems.push(format!(
                "`{name}` is not a property of {} (list_properties shows them)",
                kind.plural()
            ));
            continue;
        };
        if def.read_only() {
            problems.push(format!("`{name}` ({}) is read-only", def.label));
            continue;
        }
        if !def.options.is_empty() && !value.is_empty() {
            let found = def.options.iter().find(|o| {
                o.value == value
                    || o.value.eq_ignore_ascii_case(&value)
                    || o.label.eq_ignore_ascii_case(&value)
            });
            match found {
                Some(o) => {
                    out.insert(name, json!(o.value));
                }
                None => {
                    let allowed: Vec<String> = def
                        .options
                        .iter()
                        .take(60)
                        .map(|o| format!("\"{}\" ({})", o.value, o.label))
                        .collect();
                    problems.push(format!(
                        "`{name}`: {value:?} is not allowed; allowed values: {}",
                        allowed.join(", ")
                    ));
                }
            }
            continue;
        }
        out.insert(name, json!(value));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(format!("Nothing was written. {}.", problems.join("; ")))
    }
}
