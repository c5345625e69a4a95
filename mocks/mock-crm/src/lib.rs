//! A stateful mock of HubSpot's CRM API (contacts, companies, deals, notes), for integration
//! tests, demo mode and docker-compose.
//!
//! Written from HubSpot's public CRM v3/v4 documentation; it models the documented
//! behaviours listed below and nothing it does not list.
//!
//! # Paths
//!
//! Every API route answers under two path styles, mapped onto the same handlers:
//!
//! | Classic | Date-versioned (`{v}` is `YYYY-MM`, e.g. `2026-03`) |
//! |---|---|
//! | `/crm/v3/objects/{rest}` | `/crm/objects/{v}/{rest}` |
//! | `/crm/v4/objects/{type}/{id}/associations/{rest}` | `/crm/objects/{v}/{type}/{id}/associations/{rest}` |
//! | `/crm/v3/pipelines/{rest}` | `/crm/pipelines/{v}/{rest}` |
//! | `/crm/v3/properties/{rest}` | `/crm/properties/{v}/{rest}` |
//!
//! The date-versioned path is rewritten before routing, so the request log keeps the path the
//! client used. Any `YYYY-MM` value is accepted; anything else in that position is a 404.
//!
//! # What it imitates
//!
//! * **Objects** `contacts`, `companies`, `deals`, `notes` (also by singular name or `0-n`
//!   type id): `GET /crm/v3/objects/{type}` (`limit` 1–100, default 10; `after` cursor →
//!   `paging.next.after` and `link`; `properties`, `propertiesWithHistory`, `associations`,
//!   `archived`), `GET .../{id}` (same options, `idProperty=email` for contacts), `POST`
//!   create (`{properties, associations: [{to: {id}, types: [{associationCategory,
//!   associationTypeId}]}]}` → 201), `PATCH .../{id}` (also with `idProperty`), `DELETE`
//!   (archive → 204), `POST .../batch/read` (`inputs` ≤ 100, `properties`,
//!   `propertiesWithHistory`, `idProperty`; unknown ids → 207 with an `OBJECT_NOT_FOUND`
//!   error listing them), `POST .../batch/upsert` (`inputs: [{id, idProperty, properties}]`,
//!   each result with `new`). Property values are strings; requested properties without a
//!   value come back as `null`; unknown requested properties are left out; records always
//!   carry `hs_object_id`, `createdate`, `hs_lastmodifieddate` (contacts also
//!   `lastmodifieddate`), and every write is kept as property history (deal stages are seeded
//!   with theirs), returned newest first under `propertiesWithHistory`.
//! * **Search** `POST /crm/v3/objects/{type}/search`: `filterGroups` (OR of ANDs; at most 5
//!   groups, 6 filters per group, 18 in all, else 400) with `EQ NEQ LT LTE GT GTE BETWEEN IN
//!   NOT_IN HAS_PROPERTY NOT_HAS_PROPERTY CONTAINS_TOKEN NOT_CONTAINS_TOKEN` (numbers compare
//!   numerically, datetimes as instants with epoch-millisecond filter values, text
//!   case-insensitively; `CONTAINS_TOKEN` takes `*` wildcards), the pseudo-property
//!   `associations.{contact|company|deal|note}` (EQ / IN / NEQ / NOT_IN on associated ids),
//!   `query` (each word a prefix of a word in the type's default searchable properties),
//!   one `sorts` entry (object or `"-prop"` form; default `hs_object_id` ascending),
//!   `properties`, `limit` ≤ 200 (default 10), `after` (an offset). `total` counts every
//!   match; paging stops at 10,000 results and `after` ≥ 10,000 is a 400, like HubSpot's cap.
//! * **Associations v4**: `GET /crm/v4/objects/{from}/{id}/associations/{to}` (`toObjectId`,
//!   `associationTypes` with HubSpot's type ids, e.g. 279/280 contact↔company, 1/2 primary,
//!   3/4 deal↔contact, 5/6 and 341/342 deal↔company, 202/190/214 note→contact/company/deal;
//!   `limit` ≤ 500, `after`), `PUT .../associations/default/{to}/{toId}` (unlabeled, both
//!   directions) and `DELETE .../associations/{to}/{toId}`.
//! * **Pipelines** `GET /crm/v3/pipelines/deals[/{pipelineId}[/stages]]`: HubSpot's default
//!   "Sales Pipeline" and a "Renewals" pipeline with numeric ids; stage `metadata` holds
//!   `isClosed` and `probability` as strings. A deal's `dealstage` must belong to its
//!   `pipeline` (on create and on `PATCH`, also when only the pipeline changes): otherwise a
//!   400 `INVALID_OPTION` naming the pipeline's stage ids.
//! * **Properties** `GET /crm/v3/properties/{type}[/{name}]` with enumeration `options` for
//!   `lifecyclestage`, `hs_lead_status`, `industry`, `pipeline`, `dealstage`, `dealtype`,
//!   `hs_priority`.
//! * **Validation** in HubSpot's shape: `400 {"status": "error", "message": "Property values
//!   were not valid: [<JSON per property>]", "correlationId", "category":
//!   "VALIDATION_ERROR", "errors": [{"message", "code", "context": {"propertyName": [..]}}]}`
//!   with codes `PROPERTY_DOESNT_EXIST`, `INVALID_OPTION`, `INVALID_EMAIL`, `INVALID_DATE`,
//!   `INVALID_DECIMAL`, `READ_ONLY_VALUE`, and (a mock choice) `REQUIRED_PROPERTY` for a note
//!   without `hs_timestamp`. Contact `email` is unique (case-insensitive): a duplicate
//!   create or update answers `409 {"message": "Contact already exists. Existing ID: N",
//!   "category": "CONFLICT"}`.
//! * **Auth**: `Authorization: Bearer <token>` with [`Options::access_token`] or a token from
//!   `POST /oauth/v1/token` (form: `grant_type=refresh_token`, `client_id`, `client_secret`,
//!   `refresh_token`; answers `{token_type, access_token, refresh_token, expires_in}`, or 400
//!   `{"status": "BAD_CLIENT_ID" | "BAD_CLIENT_SECRET" | "BAD_REFRESH_TOKEN" |
//!   "BAD_GRANT_TYPE", "message"}`). Otherwise `401` with category
//!   `INVALID_AUTHENTICATION` (or `EXPIRED_AUTHENTICATION` for tokens expired through the
//!   admin API).
//! * **Rate limits**: every authenticated API answer carries `X-HubSpot-RateLimit-Daily`,
//!   `-Daily-Remaining`, `-Interval-Milliseconds` (10000), `-Max`, `-Remaining`,
//!   `-Secondly`, `-Secondly-Remaining`. The general bucket allows
//!   [`Options::per_ten_seconds`] requests per rolling 10 s (429 `"You have reached your
//!   ten_secondly_rolling limit."`); `POST .../search` also has its own bucket of
//!   [`Options::search_per_second`] (the `Secondly` headers describe it on search answers):
//!   429 `{"status": "error", "message": "You have reached your secondly limit.",
//!   "category": "RATE_LIMITS"}` with `Retry-After: 1`. Refused requests do not count.
//!
//! # Seed
//!
//! Generated in code, identical on every start and after every reset; timestamps are at or
//! before [`seed_anchor`] (2026-11-15T12:00Z). [`SEED_COMPANIES`] companies (the first,
//! [`ACME_COMPANY_ID`], is "Acme Corp"), [`SEED_CONTACTS`] contacts (six at Acme),
//! [`SEED_DEALS`] deals over both pipelines (Acme has three open ones, the "Platform Renewal"
//! in the renewals pipeline's "At Risk" stage [`AT_RISK_STAGE`], and one won), [`SEED_NOTES`]
//! notes with HTML bodies and `hs_timestamp`, associated to contacts, companies and deals
//! (Acme's six most recent ones describe the renewal risk). Record ids are unique across all
//! types.
//!
//! # Admin API
//!
//! Everything from [`mock_kit`] (faults, request log, reset), plus:
//!
//! | Route | Effect |
//! |---|---|
//! | `GET /__admin/objects/{type}` | every record of the type (archived too) as [`CrmObject`] |
//! | `POST /__admin/expire-tokens` | OAuth-issued tokens answer 401 `EXPIRED_AUTHENTICATION` from now on |
//! | `POST /__admin/generate-contacts` | `{"count": n}`: add `n` generated contacts (to reach the 10k cap) |
//!
//! `POST /__admin/reset` restores the seed and forgets tokens and rate windows. A
//! `commit_then_drop` fault on a create stores the record and drops the answer, so a blind
//! retry meets the unique-email 409.
//!
//! # Left out
//!
//! Other object types (tickets, owners, custom objects), labelled associations beyond the
//! built-in primary ones, association-label and property writes, pipeline writes, merges,
//! GDPR delete, imports, webhooks, and batch create/update/archive.

mod error;
mod model;
mod routes;
mod schema;
mod search;
mod seed;
mod state;

use std::io;

use axum::Router;
use mock_kit::{MockKit, Served};

pub use model::{ASSOCIATION_KINDS, AssociationKind, CrmObject, HistoryEntry, ObjectType};
pub use routes::{MAX_ASSOCIATION_LIMIT, MAX_BATCH_INPUTS, MAX_LIST_LIMIT};
pub use schema::{AT_RISK_STAGE, RENEWALS_PIPELINE, SALES_PIPELINE};
pub use search::{
    MAX_FILTER_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS_TOTAL, MAX_SEARCH_LIMIT,
    MAX_SEARCH_RESULTS,
};
pub use seed::{
    ACME_COMPANY_ID, SEED_COMPANIES, SEED_CONTACTS, SEED_DEALS, SEED_NOTES, seed_anchor,
};
pub use state::{DAILY_LIMIT, MockCrm};

/// The static access token the mock accepts by default.
pub const DEFAULT_ACCESS_TOKEN: &str = "mock-hubspot-token";
/// The OAuth client id the mock accepts by default.
pub const DEFAULT_CLIENT_ID: &str = "mock-client";
/// The OAuth client secret the mock accepts by default.
pub const DEFAULT_CLIENT_SECRET: &str = "mock-secret";
/// The OAuth refresh token the mock accepts by default.
pub const DEFAULT_REFRESH_TOKEN: &str = "mock-refresh-token";
/// Default search requests per second (HubSpot documents 5 per second for search).
pub const DEFAULT_SEARCH_PER_SECOND: u32 = 5;
/// Default general requests per rolling ten seconds (HubSpot's Professional tier).
pub const DEFAULT_PER_TEN_SECONDS: u32 = 190;

/// How the mock behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Static bearer token (a private-app token).
    pub access_token: String,
    /// OAuth client id for `POST /oauth/v1/token`.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// The refresh token the OAuth endpoint accepts.
    pub refresh_token: String,
    /// Search requests per second before 429 (at least 1).
    pub search_per_second: u32,
    /// API requests per rolling ten seconds before 429 (at least 1).
    pub per_ten_seconds: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_token: DEFAULT_ACCESS_TOKEN.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            refresh_token: DEFAULT_REFRESH_TOKEN.to_owned(),
            search_per_second: DEFAULT_SEARCH_PER_SECOND,
            per_ten_seconds: DEFAULT_PER_TEN_SECONDS,
        }
    }
}

/// The mock's router (already wrapped with [`mock_kit::with_kit_and_reset`]), its kit
/// (request log and faults) and its state handle. Serve the router with [`mock_kit::serve`]
/// so connection faults work.
pub fn app(options: Options) -> (Router, MockKit, MockCrm) {
    let state = MockCrm::new(options);
    let kit = MockKit::new();
    let reset_state = state.clone();
    let router =
        mock_kit::with_kit_and_reset(routes::router(state.clone()), kit.clone(), move || {
            reset_state.reset();
        });
    (router, kit, state)
}

/// Serves a fresh mock on `127.0.0.1` with a free port.
pub async fn spawn(options: Options) -> io::Result<Served> {
    spawn_with_handles(options)
        .await
        .map(|(served, _, _)| served)
}

/// Like [`spawn`], also returning the kit and state handles for in-process assertions.
pub async fn spawn_with_handles(options: Options) -> io::Result<(Served, MockKit, MockCrm)> {
    let (router, kit, state) = app(options);
    let served = mock_kit::serve_local(router).await?;
    Ok((served, kit, state))
}
