//! The stored shapes: object types, records, property history and association types.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The CRM object types the mock stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    /// `contacts` (`0-1`).
    Contacts,
    /// `companies` (`0-2`).
    Companies,
    /// `deals` (`0-3`).
    Deals,
    /// `notes` (`0-46`).
    Notes,
}

impl ObjectType {
    /// Every type, in a stable order.
    pub const ALL: [ObjectType; 4] = [
        ObjectType::Contacts,
        ObjectType::Companies,
        ObjectType::Deals,
        ObjectType::Notes,
    ];

    /// The plural name used in paths (`contacts`).
    pub fn plural(self) -> &'static str {
        match self {
            ObjectType::Contacts => "contacts",
            ObjectType::Companies => "companies",
            ObjectType::Deals => "deals",
            ObjectType::Notes => "notes",
        }
    }

    /// The singular name used in association type names and search pseudo-properties.
    pub fn singular(self) -> &'static str {
        match self {
            ObjectType::Contacts => "contact",
            ObjectType::Companies => "company",
            ObjectType::Deals => "deal",
            ObjectType::Notes => "note",
        }
    }

    /// HubSpot's object type id (`0-1` for contacts).
    pub fn type_id(self) -> &'static str {
        match self {
            ObjectType::Contacts => "0-1",
            ObjectType::Companies => "0-2",
            ObjectType::Deals => "0-3",
            ObjectType::Notes => "0-46",
        }
    }

    /// The upper-case name HubSpot uses in some error messages (`CONTACT`).
    pub fn upper(self) -> &'static str {
        match self {
            ObjectType::Contacts => "CONTACT",
            ObjectType::Companies => "COMPANY",
            ObjectType::Deals => "DEAL",
            ObjectType::Notes => "NOTE",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

impl FromStr for ObjectType {
    type Err = String;

    /// Accepts the plural, the singular (any case) and the `0-n` type id, like HubSpot.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        ObjectType::ALL
            .into_iter()
            .find(|t| lower == t.plural() || lower == t.singular() || lower == t.type_id())
            .ok_or_else(|| format!("Unable to infer object type from: {s}"))
    }
}

/// One earlier (or the current) value of a property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The value set.
    pub value: String,
    /// When it was set.
    pub timestamp: DateTime<Utc>,
    /// Where the change came from (`CRM_UI`, `INTEGRATION`, ...).
    pub source_type: String,
}

/// One stored CRM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmObject {
    /// The record id (unique across all types in this mock, like HubSpot's large ids).
    pub id: u64,
    /// Its type.
    pub object_type: ObjectType,
    /// Property values, always strings like HubSpot's v3 API; includes `hs_object_id`,
    /// `createdate` and `hs_lastmodifieddate`.
    pub properties: BTreeMap<String, String>,
    /// Every value each property has had, oldest first.
    pub history: BTreeMap<String, Vec<HistoryEntry>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Archived (deleted) records are only visible with `archived=true`.
    pub archived: bool,
}

impl CrmObject {
    /// A property's value, if set and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Sets a property and records it in the history.
    pub(crate) fn set(&mut self, name: &str, value: String, at: DateTime<Utc>, source: &str) {
        self.history
            .entry(name.to_owned())
            .or_default()
            .push(HistoryEntry {
                value: value.clone(),
                timestamp: at,
                source_type: source.to_owned(),
            });
        self.properties.insert(name.to_owned(), value);
    }

    /// Stamps the system properties after a write at `at`.
    pub(crate) fn touch(&mut self, at: DateTime<Utc>) {
        self.updated_at = at;
        let stamp = iso(at);
        self.properties
            .insert("hs_lastmodifieddate".to_owned(), stamp.clone());
        if self.object_type == ObjectType::Contacts {
            self.properties.insert("lastmodifieddate".to_owned(), stamp);
        }
    }
}

/// HubSpot's timestamp format: RFC 3339 with milliseconds and `Z`.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Association type ids HubSpot defines between the four standard objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssociationKind {
    /// `associationTypeId`.
    pub type_id: u32,
    /// From this object type.
    pub from: ObjectType,
    /// To this object type.
    pub to: ObjectType,
    /// The v3 name (`contact_to_company`).
    pub name: &'static str,
    /// The v4 label (`Primary` for the primary company), `None` for unlabeled.
    pub label: Option<&'static str>,
}

use ObjectType::{Companies, Contacts, Deals, Notes};

/// HubSpot-defined association types (from the v4 associations documentation).
pub const ASSOCIATION_KINDS: &[AssociationKind] = &[
    kind(
        1,
        Contacts,
        Companies,
        "contact_to_company",
        Some("Primary"),
    ),
    kind(
        279,
        Contacts,
        Companies,
        "contact_to_company_unlabeled",
        None,
    ),
    kind(
        2,
        Companies,
        Contacts,
        "company_to_contact",
        Some("Primary"),
    ),
    kind(
        280,
        Companies,
        Contacts,
        "company_to_contact_unlabeled",
        None,
    ),
    kind(4, Contacts, Deals, "contact_to_deal", None),
    kind(3, Deals, Contacts, "deal_to_contact", None),
    kind(5, Deals, Companies, "deal_to_company", Some("Primary")),
    kind(341, Deals, Companies, "deal_to_company_unlabeled", None),
    kind(6, Companies, Deals, "company_to_deal", Some("Primary")),
    kind(342, Companies, Deals, "company_to_deal_unlabeled", None),
    kind(201, Contacts, Notes, "contact_to_note", None),
    kind(202, Notes, Contacts, "note_to_contact", None),
    kind(189, Companies, Notes, "company_to_note", None),
    kind(190, Notes, Companies, "note_to_company", None),
    kind(213, Deals, Notes, "deal_to_note", None),
    kind(214, Notes, Deals, "note_to_deal", None),
];

const fn kind(
    type_id: u32,
    from: ObjectType,
    to: ObjectType,
    name: &'static str,
    label: Option<&'static str>,
) -> AssociationKind {
    AssociationKind {
        type_id,
        from,
        to,
        name,
        label,
    }
}

/// The association kind with this id, if HubSpot defines it.
pub fn association_kind(type_id: u32) -> Option<&'static AssociationKind> {
    ASSOCIATION_KINDS.iter().find(|k| k.type_id == type_id)
}

/// The default (unlabeled) association kind between two types, if they can be associated.
pub fn default_kind(from: ObjectType, to: ObjectType) -> Option<&'static AssociationKind> {
    ASSOCIATION_KINDS
        .iter()
        .find(|k| k.from == from && k.to == to && k.label.is_none())
}

/// The kind going the other way (`contact_to_company` ↔ `company_to_contact`).
pub fn inverse_kind(kind: &AssociationKind) -> &'static AssociationKind {
    ASSOCIATION_KINDS
        .iter()
        .find(|k| k.from == kind.to && k.to == kind.from && k.label == kind.label)
        .expect("every association kind has an inverse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_parse_like_hubspot() {
        assert_eq!("contacts".parse(), Ok(Contacts));
        assert_eq!("COMPANY".parse(), Ok(Companies));
        assert_eq!("0-3".parse(), Ok(Deals));
        assert_eq!("note".parse(), Ok(Notes));
        assert!("tickets".parse::<ObjectType>().is_err());
    }

    #[test]
    fn every_kind_has_an_inverse_and_every_pair_a_default() {
        for kind in ASSOCIATION_KINDS {
            let inverse = inverse_kind(kind);
            assert_eq!((inverse.from, inverse.to), (kind.to, kind.from));
        }
        for from in ObjectType::ALL {
            for to in ObjectType::ALL {
                assert_eq!(default_kind(from, to).is_some(), from != to, "{from}->{to}");
            }
        }
    }
}
