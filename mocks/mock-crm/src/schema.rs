//! Property definitions (with enumeration options) and deal pipelines, and the checks a
//! written value goes through.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::model::{ObjectType, iso};

/// A property's data type (HubSpot's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `datetime` (ISO 8601 or epoch milliseconds on input).
    DateTime,
    /// `enumeration` (one of `options`).
    Enumeration,
}

impl PropType {
    fn name(self) -> &'static str {
        match self {
            PropType::String => "string",
            PropType::Number => "number",
            PropType::DateTime => "datetime",
            PropType::Enumeration => "enumeration",
        }
    }
}

/// One property definition.
#[derive(Debug, Clone, PartialEq)]
pub struct PropDef {
    /// Internal name.
    pub name: &'static str,
    /// Display label.
    pub label: &'static str,
    /// Data type.
    pub prop_type: PropType,
    /// HubSpot's `fieldType` (`text`, `select`, `date`, `number`, `html`, ...).
    pub field_type: &'static str,
    /// Group (`contactinformation`, `dealinformation`, ...).
    pub group: &'static str,
    /// For enumerations: `(value, label)` pairs.
    pub options: Vec<(String, String)>,
    /// Set by the system only.
    pub read_only: bool,
    /// Values must be unique across records of the type (`email` on contacts).
    pub unique: bool,
}

impl PropDef {
    fn new(name: &'static str, label: &'static str, prop_type: PropType) -> Self {
        let field_type = match prop_type {
            PropType::String => "text",
            PropType::Number => "number",
            PropType::DateTime => "date",
            PropType::Enumeration => "select",
        };
        Self {
            name,
            label,
            prop_type,
            field_type,
            group: "",
            options: Vec::new(),
            read_only: false,
            unique: false,
        }
    }

    fn options(mut self, options: &[(&str, &str)]) -> Self {
        self.options = options
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        self
    }

    fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    fn field(mut self, field_type: &'static str) -> Self {
        self.field_type = field_type;
        self
    }

    /// The definition in HubSpot's `GET /crm/v3/properties/{type}` shape.
    pub fn to_json(&self, display_order: usize) -> Value {
        let options: Vec<Value> = self
            .options
            .iter()
            .enumerate()
            .map(|(i, (value, label))| {
                json!({"label": label, "value": value, "displayOrder": i, "hidden": false,
                       "description": ""})
            })
            .collect();
        json!({
            "name": self.name,
            "label": self.label,
            "type": self.prop_type.name(),
            "fieldType": self.field_type,
            "description": "",
            "groupName": self.group,
            "options": options,
            "displayOrder": display_order,
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": self.unique,
            "hidden": false,
            "hubspotDefined": true,
            "archived": false,
            "formField": !self.read_only,
            "createdAt": "2019-08-06T02:41:08.029Z",
            "updatedAt": "2019-08-06T02:41:08.029Z",
            "modificationMetadata": {
                "archivable": false,
                "readOnlyDefinition": true,
                "readOnlyValue": self.read_only,
            },
        })
    }
}

/// One deal stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Stage id (the `dealstage` value).
    pub id: &'static str,
    /// Display label.
    pub label: &'static str,
    /// Win probability, 0.0–1.0.
    pub probability: f64,
    /// Closed stages end the deal (won or lost).
    pub closed: bool,
}

/// One deal pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Pipeline id (the `pipeline` value).
    pub id: &'static str,
    /// Display label.
    pub label: &'static str,
    /// Stages in display order.
    pub stages: Vec<Stage>,
}

impl Pipeline {
    /// The stage with this id, if it belongs to the pipeline.
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The pipeline in `GET /crm/v3/pipelines/deals` shape.
    pub fn to_json(&self, display_order: usize) -> Value {
        json!({
            "id": self.id,
            "label": self.label,
            "displayOrder": display_order,
            "archived": false,
            "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
            "stages": self.stages.iter().enumerate().map(|(i, s)| s.to_json(i)).collect::<Vec<_>>(),
        })
    }
}

impl Stage {
    /// The stage in HubSpot's shape; `metadata` values are strings, as in the real API.
    pub fn to_json(&self, display_order: usize) -> Value {
        json!({
            "id": self.id,
            "label": self.label,
            "displayOrder": display_order,
            "metadata": {
                "isClosed": self.closed.to_string(),
                "probability": format!("{:.1}", self.probability),
            },
            "archived": false,
            "writePermissions": "CRUD_ALL",
            "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
        })
    }
}

/// Id of HubSpot's built-in sales pipeline.
pub const SALES_PIPELINE: &str = "default";
/// Id of the seeded renewals pipeline (numeric, like custom pipelines on HubSpot).
pub const RENEWALS_PIPELINE: &str = "705209413";
/// The renewals stage the "renewal risk" scenario uses.
pub const AT_RISK_STAGE: &str = "1032793483";

/// The two deal pipelines: HubSpot's default sales pipeline and a renewals pipeline.
pub fn pipelines() -> Vec<Pipeline> {
    let stage = |id, label, probability, closed| Stage {
        id,
        label,
        probability,
        closed,
    };
    vec![
        Pipeline {
            id: SALES_PIPELINE,
            label: "Sales Pipeline",
            stages: vec![
                stage("appointmentscheduled", "Appointment Scheduled", 0.2, false),
                stage("qualifiedtobuy", "Qualified To Buy", 0.4, false),
                stage(
                    "presentationscheduled",
                    "Presentation Scheduled",
                    0.6,
                    false,
                ),
                stage(
                    "decisionmakerboughtin",
                    "Decision Maker Bought-In",
                    0.8,
                    false,
                ),
                stage("contractsent", "Contract Sent", 0.9, false),
                stage("closedwon", "Closed Won", 1.0, true),
                stage("closedlost", "Closed Lost", 0.0, true),
            ],
        },
        Pipeline {
            id: RENEWALS_PIPELINE,
            label: "Renewals",
            stages: vec![
                stage("1032793481", "Renewal Upcoming", 0.8, false),
                stage("1032793482", "In Negotiation", 0.6, false),
                stage(AT_RISK_STAGE, "At Risk", 0.3, false),
                stage("1032793484", "Renewed", 1.0, true),
                stage("1032793485", "Churned", 0.0, true),
            ],
        },
    ]
}

const LIFECYCLE: &[(&str, &str)] = &[
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
];

const LEAD_STATUS: &[(&str, &str)] = &[
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
];

/// Industry values (a subset of HubSpot's list).
pub const INDUSTRIES: &[(&str, &str)] = &[
    ("COMPUTER_SOFTWARE", "Computer Software"),
    (
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "Information Technology and Services",
    ),
    ("FINANCIAL_SERVICES", "Financial Services"),
    ("HOSPITAL_HEALTH_CARE", "Hospital & Health Care"),
    ("RETAIL", "Retail"),
    ("MARKETING_AND_ADVERTISING", "Marketing and Advertising"),
    ("TELECOMMUNICATIONS", "Telecommunications"),
    ("LOGISTICS_AND_SUPPLY_CHAIN", "Logistics and Supply Chain"),
    ("EDUCATION_MANAGEMENT", "Education Management"),
    ("MACHINERY", "Machinery"),
];

/// Every property of `object_type`, in display order.
pub fn properties(object_type: ObjectType) -> Vec<PropDef> {
    use PropType::{DateTime, Enumeration, Number, String};
    let mut defs = match object_type {
        ObjectType::Contacts => vec![
            PropDef {
                unique: true,
                ..PropDef::new("email", "Email", String)
            },
            PropDef::new("firstname", "First Name", String),
            PropDef::new("lastname", "Last Name", String),
            PropDef::new("phone", "Phone Number", String).field("phonenumber"),
            PropDef::new("jobtitle", "Job Title", String),
            PropDef::new("company", "Company Name", String),
            PropDef::new("city", "City", String),
            PropDef::new("country", "Country/Region", String),
            PropDef::new("lifecyclestage", "Lifecycle Stage", Enumeration)
                .options(LIFECYCLE)
                .field("radio"),
            PropDef::new("hs_lead_status", "Lead Status", Enumeration).options(LEAD_STATUS),
            PropDef::new("lastmodifieddate", "Last Modified Date", DateTime)
                .field("date")
                .read_only(),
        ],
        ObjectType::Companies => vec![
            PropDef::new("name", "Company name", String),
            PropDef::new("domain", "Company Domain Name", String),
            PropDef::new("industry", "Industry", Enumeration).options(INDUSTRIES),
            PropDef::new("phone", "Phone Number", String).field("phonenumber"),
            PropDef::new("city", "City", String),
            PropDef::new("country", "Country/Region", String),
            PropDef::new("numberofemployees", "Number of Employees", Number),
            PropDef::new("annualrevenue", "Annual Revenue", Number),
            PropDef::new("lifecyclestage", "Lifecycle Stage", Enumeration)
                .options(LIFECYCLE)
                .field("radio"),
            PropDef::new("description", "Description", String).field("textarea"),
        ],
        ObjectType::Deals => {
            let pipelines = pipelines();
            let pipeline_options: Vec<(&str, &str)> =
                pipelines.iter().map(|p| (p.id, p.label)).collect();
            let stage_options: Vec<(&str, &str)> = pipelines
                .iter()
                .flat_map(|p| p.stages.iter().map(|s| (s.id, s.label)))
                .collect();
            vec![
                PropDef::new("dealname", "Deal Name", String),
                PropDef::new("amount", "Amount", Number),
                PropDef::new("pipeline", "Pipeline", Enumeration).options(&pipeline_options),
                PropDef::new("dealstage", "Deal Stage", Enumeration).options(&stage_options),
                PropDef::new("closedate", "Close Date", DateTime),
                PropDef::new("dealtype", "Deal Type", Enumeration).options(&[
                    ("newbusiness", "New Business"),
                    ("existingbusiness", "Existing Business"),
                ]),
                PropDef::new("hs_priority", "Priority", Enumeration).options(&[
                    ("low", "Low"),
                    ("medium", "Medium"),
                    ("high", "High"),
                ]),
                PropDef::new("description", "Deal Description", String).field("textarea"),
            ]
        }
        ObjectType::Notes => vec![
            PropDef::new("hs_note_body", "Note body", String).field("html"),
            PropDef::new("hs_timestamp", "Activity date", DateTime),
            PropDef::new("hs_createdate", "Create date", DateTime).read_only(),
        ],
    };
    defs.extend([
        PropDef::new("createdate", "Create Date", DateTime).read_only(),
        PropDef::new("hs_lastmodifieddate", "Last Modified Date", DateTime).read_only(),
        PropDef::new("hs_object_id", "Record ID", Number).read_only(),
    ]);
    let group = match object_type {
        ObjectType::Contacts => "contactinformation",
        ObjectType::Companies => "companyinformation",
        ObjectType::Deals => "dealinformation",
        ObjectType::Notes => "engagement",
    };
    for def in &mut defs {
        def.group = group;
    }
    defs
}

/// The properties answered when a request names none (HubSpot's defaults).
pub fn default_properties(object_type: ObjectType) -> &'static [&'static str] {
    match object_type {
        ObjectType::Contacts => &[
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        ],
        ObjectType::Companies => &[
            "createdate",
            "domain",
            "hs_lastmodifieddate",
            "hs_object_id",
            "name",
        ],
        ObjectType::Deals => &[
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ],
        ObjectType::Notes => &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    }
}

/// Properties the free-text `query` of a search looks in.
pub fn searchable_properties(object_type: ObjectType) -> &'static [&'static str] {
    match object_type {
        ObjectType::Contacts => &["firstname", "lastname", "email", "phone", "company"],
        ObjectType::Companies => &["name", "domain", "phone"],
        ObjectType::Deals => &["dealname", "pipeline", "dealstage", "description"],
        ObjectType::Notes => &["hs_note_body"],
    }
}

/// Why one property value was refused (one entry of HubSpot's `errors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyError {
    /// The property.
    pub name: String,
    /// HubSpot's error code (`INVALID_OPTION`, `PROPERTY_DOESNT_EXIST`, ...).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl PropertyError {
    pub(crate) fn new(name: &str, code: &'static str, message: String) -> Self {
        Self {
            name: name.to_owned(),
            code,
            message,
        }
    }
}

/// A written JSON value as HubSpot's string form (`null` clears the property).
pub fn value_to_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Parses a datetime as HubSpot accepts it: epoch milliseconds, RFC 3339, or a plain date
/// (midnight UTC).
pub fn parse_datetime(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(millis) = value.parse::<i64>() {
        return Utc.timestamp_millis_opt(millis).single();
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Checks and normalises one written value; `Ok` holds the stored form.
pub fn check_value(def: &PropDef, raw: &str) -> Result<String, PropertyError> {
    if def.read_only {
        return Err(PropertyError::new(
            def.name,
            "READ_ONLY_VALUE",
            format!(
                "{} is a read only property; its value cannot be set.",
                def.name
            ),
        ));
    }
    if raw.is_empty() {
        return Ok(String::new());
    }
    match def.prop_type {
        PropType::String if def.name == "email" => {
            let valid = raw
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                && !raw.contains(char::is_whitespace);
            if valid {
                Ok(raw.to_owned())
            } else {
                Err(PropertyError::new(
                    def.name,
                    "INVALID_EMAIL",
                    format!("Email address {raw} is invalid"),
                ))
            }
        }
        PropType::String => Ok(raw.to_owned()),
        PropType::Number => raw.parse::<f64>().map(|_| raw.to_owned()).map_err(|_| {
            PropertyError::new(
                def.name,
                "INVALID_DECIMAL",
                format!("{raw} was not a valid number."),
            )
        }),
        PropType::DateTime => parse_datetime(raw).map(iso).ok_or_else(|| {
            PropertyError::new(
                def.name,
                "INVALID_DATE",
                format!("{raw} was not a valid date or datetime (ISO 8601 or epoch milliseconds)."),
            )
        }),
        PropType::Enumeration => {
            if def.options.iter().any(|(value, _)| value == raw) {
                Ok(raw.to_owned())
            } else {
                Err(invalid_option(
                    def.name,
                    raw,
                    def.options.iter().map(|(v, _)| v.as_str()),
                ))
            }
        }
    }
}

/// `INVALID_OPTION` naming the allowed values.
pub fn invalid_option<'a>(
    name: &str,
    raw: &str,
    allowed: impl Iterator<Item = &'a str>,
) -> PropertyError {
    let allowed: Vec<&str> = allowed.collect();
    PropertyError::new(
        name,
        "INVALID_OPTION",
        format!(
            "{raw} was not one of the allowed options: [{}]",
            allowed.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(object_type: ObjectType, name: &str) -> PropDef {
        properties(object_type)
            .into_iter()
            .find(|d| d.name == name)
            .unwrap()
    }

    #[test]
    fn enumerations_check_their_options() {
        let stage = def(ObjectType::Contacts, "lifecyclestage");
        assert_eq!(check_value(&stage, "lead").unwrap(), "lead");
        let err = check_value(&stage, "hot").unwrap_err();
        assert_eq!(err.code, "INVALID_OPTION");
        assert!(err.message.contains("subscriber"), "{}", err.message);
    }

    #[test]
    fn datetimes_are_normalised() {
        let close = def(ObjectType::Deals, "closedate");
        assert_eq!(
            check_value(&close, "2026-01-02").unwrap(),
            "2026-01-02T00:00:00.000Z"
        );
        assert_eq!(
            check_value(&close, "0").unwrap(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            check_value(&close, "soon").unwrap_err().code,
            "INVALID_DATE"
        );
    }

    #[test]
    fn read_only_and_email_checks() {
        let id = def(ObjectType::Deals, "hs_object_id");
        assert_eq!(check_value(&id, "1").unwrap_err().code, "READ_ONLY_VALUE");
        let email = def(ObjectType::Contacts, "email");
        assert_eq!(
            check_value(&email, "nope").unwrap_err().code,
            "INVALID_EMAIL"
        );
        assert!(check_value(&email, "a@b.co").is_ok());
    }

    #[test]
    fn pipelines_have_distinct_stage_ids() {
        let mut ids: Vec<&str> = pipelines()
            .iter()
            .flat_map(|p| p.stages.iter().map(|s| s.id))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
