//! In-memory state: records, associations, OAuth tokens and rate-limit windows, and the
//! write rules (property checks, unique email, deal stages).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use parking_lot::{Mutex, MutexGuard};
use serde_json::{Map, Value};

use crate::Options;
use crate::error::ApiError;
use crate::model::{
    AssociationKind, CrmObject, ObjectType, association_kind, default_kind, inverse_kind, iso,
};
use crate::schema::{self, PropertyError, check_value, invalid_option, value_to_string};
use crate::search::Associations;
use crate::seed;

/// The daily request allowance reported in `X-HubSpot-RateLimit-Daily`.
pub const DAILY_LIMIT: u64 = 250_000;
/// The general bucket's window.
pub const INTERVAL: Duration = Duration::from_secs(10);
const SECOND: Duration = Duration::from_secs(1);

/// One association edge: `(from type, from id, to type, to id, association type id)`.
pub(crate) type Edge = (ObjectType, u64, ObjectType, u64, u32);

/// Handle on the mock's state, shared by its routes, its admin API and tests.
///
/// Cheap to clone: all clones share the same state.
#[derive(Debug, Clone)]
pub struct MockCrm {
    options: Arc<Options>,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub objects: BTreeMap<ObjectType, BTreeMap<u64, CrmObject>>,
    pub edges: BTreeSet<Edge>,
    pub next_id: u64,
    issued_tokens: HashSet<String>,
    expired_tokens: HashSet<String>,
    general: VecDeque<Instant>,
    search: VecDeque<Instant>,
    daily_used: u64,
}

/// How an API request fared against the rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateCheck {
    /// `X-HubSpot-RateLimit-*` headers to answer with.
    pub headers: Vec<(&'static str, String)>,
    /// Set when the request is refused: which limit.
    pub refused: Option<Limit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The general ten-second bucket.
    Interval,
    /// The search endpoints' per-second bucket.
    Search,
}

/// Whether a bearer token is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid,
    Expired,
    Unknown,
}

impl MockCrm {
    /// The seeded state with these options.
    pub fn new(options: Options) -> Self {
        Self {
            options: Arc::new(options),
            inner: Arc::new(Mutex::new(Inner::seeded())),
        }
    }

    /// The options the mock runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Restores the seed and forgets tokens and rate windows.
    pub fn reset(&self) {
        *self.inner.lock() = Inner::seeded();
    }

    /// How many live (not archived) records of this type exist.
    pub fn count(&self, object_type: ObjectType) -> usize {
        self.inner.lock().objects[&object_type]
            .values()
            .filter(|o| !o.archived)
            .count()
    }

    /// A copy of one record (archived ones included).
    pub fn object(&self, object_type: ObjectType, id: u64) -> Option<CrmObject> {
        self.inner.lock().objects[&object_type].get(&id).cloned()
    }

    /// Every live record of a type whose `property` equals `value` (case-insensitive).
    pub fn find(&self, object_type: ObjectType, property: &str, value: &str) -> Vec<CrmObject> {
        self.inner.lock().objects[&object_type]
            .values()
            .filter(|o| {
                !o.archived
                    && o.get(property)
                        .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .cloned()
            .collect()
    }

    /// Ids of the `to` records associated with one record.
    pub fn associated(&self, from: ObjectType, id: u64, to: ObjectType) -> Vec<u64> {
        self.inner.lock().associated(from, id, to)
    }

    /// Adds `count` generated contacts (for exercising the 10,000-result search cap).
    pub fn generate_contacts(&self, count: usize) {
        let mut inner = self.inner.lock();
        let now = Utc::now();
        for _ in 0..count {
            let id = inner.next_id;
            inner.next_id += 1;
            let mut object = blank(ObjectType::Contacts, id, now);
            object.set(
                "email",
                format!("generated.{id}@bulk.example.com"),
                now,
                "IMPORT",
            );
            object.set("firstname", "Generated".to_owned(), now, "IMPORT");
            object.set("lastname", format!("Contact {id}"), now, "IMPORT");
            object.set("lifecyclestage", "subscriber".to_owned(), now, "IMPORT");
            inner.insert(object);
        }
    }

    /// Makes every OAuth-issued access token expired (the static token stays valid).
    pub fn expire_tokens(&self) {
        let mut inner = self.inner.lock();
        let issued: Vec<String> = inner.issued_tokens.drain().collect();
        inner.expired_tokens.extend(issued);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    pub(crate) fn check_token(&self, token: &str) -> TokenCheck {
        if token == self.options.access_token {
            return TokenCheck::Valid;
        }
        let inner = self.inner.lock();
        if inner.issued_tokens.contains(token) {
            TokenCheck::Valid
        } else if inner.expired_tokens.contains(token) {
            TokenCheck::Expired
        } else {
            TokenCheck::Unknown
        }
    }

    /// Issues a new OAuth access token.
    pub(crate) fn issue_token(&self) -> String {
        let token = format!("mock-oauth-{}", uuid::Uuid::new_v4().simple());
        self.inner.lock().issued_tokens.insert(token.clone());
        token
    }

    /// Counts one API request against the general bucket (and the search bucket for
    /// searches) and says which headers to send and whether to refuse it.
    pub(crate) fn admit(&self, search: bool, now: Instant) -> RateCheck {
        let max = u64::from(self.options.per_ten_seconds.max(1));
        let search_max = u64::from(self.options.search_per_second.max(1));
        let secondly_max = if search {
            search_max
        } else {
            (max / 10).max(1)
        };
        let mut inner = self.inner.lock();
        prune(&mut inner.general, now, INTERVAL);
        prune(&mut inner.search, now, SECOND);
        let in_interval = inner.general.len() as u64;
        let last_second = |queue: &VecDeque<Instant>| {
            queue
                .iter()
                .filter(|t| now.duration_since(**t) < SECOND)
                .count() as u64
        };
        let refused = if in_interval >= max {
            Some(Limit::Interval)
        } else if search && inner.search.len() as u64 >= search_max {
            Some(Limit::Search)
        } else {
            None
        };
        if refused.is_none() {
            inner.general.push_back(now);
            inner.daily_used += 1;
            if search {
                inner.search.push_back(now);
            }
        }
        let used_second = if search {
            inner.search.len() as u64
        } else {
            last_second(&inner.general)
        };
        let headers = vec![
            ("x-hubspot-ratelimit-daily", DAILY_LIMIT.to_string()),
            (
                "x-hubspot-ratelimit-daily-remaining",
                DAILY_LIMIT.saturating_sub(inner.daily_used).to_string(),
            ),
            (
                "x-hubspot-ratelimit-interval-milliseconds",
                INTERVAL.as_millis().to_string(),
            ),
            ("x-hubspot-ratelimit-max", max.to_string()),
            (
                "x-hubspot-ratelimit-remaining",
                max.saturating_sub(inner.general.len() as u64).to_string(),
            ),
            ("x-hubspot-ratelimit-secondly", secondly_max.to_string()),
            (
                "x-hubspot-ratelimit-secondly-remaining",
                secondly_max.saturating_sub(used_second).to_string(),
            ),
        ];
        RateCheck { headers, refused }
    }
}

fn prune(queue: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while queue
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        queue.pop_front();
    }
}

/// A record with only the system properties set.
pub(crate) fn blank(object_type: ObjectType, id: u64, at: DateTime<Utc>) -> CrmObject {
    let mut object = CrmObject {
        id,
        object_type,
        properties: BTreeMap::new(),
        history: BTreeMap::new(),
        created_at: at,
        updated_at: at,
        archived: false,
    };
    object
        .properties
        .insert("hs_object_id".to_owned(), id.to_string());
    object.properties.insert("createdate".to_owned(), iso(at));
    if object_type == ObjectType::Notes {
        object
            .properties
            .insert("hs_createdate".to_owned(), iso(at));
    }
    object.touch(at);
    object
}

/// One requested association on create: the target and the type ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssociationInput {
    pub to_id: u64,
    pub type_ids: Vec<u32>,
}

impl Associations for Inner {
    fn associated(&self, from: ObjectType, id: u64, to: ObjectType) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .edges
            .range((from, id, to, 0, 0)..=(from, id, to, u64::MAX, u32::MAX))
            .map(|edge| edge.3)
            .collect();
        ids.dedup();
        ids
    }
}

impl Inner {
    fn seeded() -> Self {
        let seed = seed::build();
        Self {
            objects: seed.objects,
            edges: seed.edges,
            next_id: seed.next_id,
            issued_tokens: HashSet::new(),
            expired_tokens: HashSet::new(),
            general: VecDeque::new(),
            search: VecDeque::new(),
            daily_used: 0,
        }
    }

    pub fn associated(&self, from: ObjectType, id: u64, to: ObjectType) -> Vec<u64> {
        <Self as Associations>::associated(self, from, id, to)
    }

    /// The association type ids from one record to another.
    pub fn association_types(
        &self,
        from: ObjectType,
        id: u64,
        to: ObjectType,
        to_id: u64,
    ) -> Vec<u32> {
        self.edges
            .range((from, id, to, to_id, 0)..=(from, id, to, to_id, u32::MAX))
            .map(|edge| edge.4)
            .collect()
    }

    pub fn insert(&mut self, object: CrmObject) {
        self.objects
            .get_mut(&object.object_type)
            .expect("every type has a table")
            .insert(object.id, object);
    }

    /// A live record, or `404`.
    pub fn live(&self, object_type: ObjectType, id: u64) -> Option<&CrmObject> {
        self.objects[&object_type].get(&id).filter(|o| !o.archived)
    }

    /// Resolves a path id, by record id or by a unique property (`idProperty=email`).
    pub fn resolve(
        &self,
        object_type: ObjectType,
        id: &str,
        id_property: Option<&str>,
    ) -> Result<u64, ApiError> {
        match id_property {
            None | Some("hs_object_id") => id
                .parse::<u64>()
                .ok()
                .filter(|id| self.live(object_type, *id).is_some())
                .ok_or_else(|| ApiError::not_found(id)),
            Some(property) => {
                let unique = schema::properties(object_type)
                    .iter()
                    .any(|d| d.name == property && d.unique);
                if !unique {
                    return Err(ApiError::bad_request(format!(
                        "{property} is not a unique identifier property for {object_type}."
                    )));
                }
                self.objects[&object_type]
                    .values()
                    .find(|o| {
                        !o.archived && o.get(property).is_some_and(|v| v.eq_ignore_ascii_case(id))
                    })
                    .map(|o| o.id)
                    .ok_or_else(|| ApiError::not_found(id))
            }
        }
    }

    /// Associates two records (both directions) with a kind; idempotent.
    pub fn associate(&mut self, kind: &AssociationKind, from_id: u64, to_id: u64) {
        let inverse = inverse_kind(kind);
        self.edges
            .insert((kind.from, from_id, kind.to, to_id, kind.type_id));
        self.edges
            .insert((kind.to, to_id, kind.from, from_id, inverse.type_id));
    }

    /// Removes every association between two records (both directions).
    pub fn dissociate(&mut self, from: ObjectType, from_id: u64, to: ObjectType, to_id: u64) {
        self.edges.retain(|e| {
            !(e.0 == from && e.1 == from_id && e.2 == to && e.3 == to_id)
                && !(e.0 == to && e.1 == to_id && e.2 == from && e.3 == from_id)
        });
    }

    /// `POST /crm/v3/objects/{type}`: checks everything, then stores.
    pub fn create(
        &mut self,
        object_type: ObjectType,
        properties: &Map<String, Value>,
        associations: &[AssociationInput],
        now: DateTime<Utc>,
    ) -> Result<u64, ApiError> {
        let values = self.checked_values(object_type, properties, None)?;
        if object_type == ObjectType::Notes && !values.contains_key("hs_timestamp") {
            return Err(ApiError::invalid_properties(&[PropertyError::new(
                "hs_timestamp",
                "REQUIRED_PROPERTY",
                "hs_timestamp is required when creating a note.".to_owned(),
            )]));
        }
        let mut kinds = Vec::new();
        for input in associations {
            if input.type_ids.is_empty() {
                return Err(ApiError::bad_request(
                    "Each association needs at least one type.",
                ));
            }
            for type_id in &input.type_ids {
                let kind = association_kind(*type_id)
                    .filter(|k| k.from == object_type)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "association type id {type_id} doesn't exist for {} to another object",
                            object_type.singular()
                        ))
                    })?;
                if self.live(kind.to, input.to_id).is_none() {
                    return Err(ApiError::bad_request(format!(
                        "One or more associations are invalid: no {} with id {}.",
                        kind.to.singular(),
                        input.to_id
                    )));
                }
                kinds.push((kind, input.to_id));
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut object = blank(object_type, id, now);
        for (name, value) in values {
            if !value.is_empty() {
                object.set(&name, value, now, "INTEGRATION");
            }
        }
        self.insert(object);
        for (kind, to_id) in kinds {
            self.associate(kind, id, to_id);
            if let Some(unlabeled) = default_kind(kind.from, kind.to) {
                self.associate(unlabeled, id, to_id);
            }
        }
        Ok(id)
    }

    /// `PATCH /crm/v3/objects/{type}/{id}`.
    pub fn update(
        &mut self,
        object_type: ObjectType,
        id: u64,
        properties: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let values = self.checked_values(object_type, properties, Some(id))?;
        let object = self
            .objects
            .get_mut(&object_type)
            .and_then(|t| t.get_mut(&id))
            .ok_or_else(|| ApiError::not_found(&id.to_string()))?;
        let mut changed = false;
        for (name, value) in values {
            if object.properties.get(&name).map_or("", String::as_str) != value {
                object.set(&name, value, now, "INTEGRATION");
                changed = true;
            }
        }
        if changed {
            object.touch(now);
        }
        Ok(())
    }

    /// Archives a record.
    pub fn archive(&mut self, object_type: ObjectType, id: u64, now: DateTime<Utc>) -> bool {
        match self
            .objects
            .get_mut(&object_type)
            .and_then(|t| t.get_mut(&id))
        {
            Some(object) if !object.archived => {
                object.archived = true;
                object.touch(now);
                true
            }
            _ => false,
        }
    }

    /// Checks written properties: existence, type, options, read-only, deal stage within
    /// the deal's pipeline, unique email. Returns the stored forms.
    fn checked_values(
        &self,
        object_type: ObjectType,
        properties: &Map<String, Value>,
        existing: Option<u64>,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let defs = schema::properties(object_type);
        let mut errors = Vec::new();
        let mut values = BTreeMap::new();
        for (name, raw) in properties {
            let Some(def) = defs.iter().find(|d| d.name == name) else {
                errors.push(PropertyError::new(
                    name,
                    "PROPERTY_DOESNT_EXIST",
                    format!("Property \"{name}\" does not exist"),
                ));
                continue;
            };
            match check_value(def, &value_to_string(raw)) {
                Ok(value) => {
                    values.insert(name.clone(), value);
                }
                Err(error) => errors.push(error),
            }
        }
        if object_type == ObjectType::Deals && errors.is_empty() {
            let current = existing.and_then(|id| self.live(ObjectType::Deals, id));
            let pipeline_id = values
                .get("pipeline")
                .cloned()
                .or_else(|| current.and_then(|d| d.get("pipeline")).map(str::to_owned))
                .unwrap_or_else(|| schema::SALES_PIPELINE.to_owned());
            // A new stage, or the current one when only the pipeline changes, must belong to
            // the resulting pipeline.
            let stage = match values.get("dealstage") {
                Some(stage) => Some(stage.as_str()),
                None if values.contains_key("pipeline") => current.and_then(|d| d.get("dealstage")),
                None => None,
            };
            if let Some(stage) = stage.filter(|s| !s.is_empty()) {
                let pipelines = schema::pipelines();
                if let Some(pipeline) = pipelines.iter().find(|p| p.id == pipeline_id)
                    && pipeline.stage(stage).is_none()
                {
                    errors.push(invalid_option(
                        "dealstage",
                        stage,
                        pipeline.stages.iter().map(|s| s.id),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_properties(&errors));
        }
        if object_type == ObjectType::Contacts
            && let Some(email) = values.get("email").filter(|e| !e.is_empty())
            && let Some(other) = self.objects[&ObjectType::Contacts].values().find(|o| {
                !o.archived
                    && Some(o.id) != existing
                    && o.get("email")
                        .is_some_and(|v| v.eq_ignore_ascii_case(email))
            })
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "CONFLICT",
                format!("Contact already exists. Existing ID: {}", other.id),
            ));
        }
        Ok(values)
    }
}
