//! A stateful mock of the ServiceNow Table API, for integration tests, demo mode and
//! docker-compose.
//!
//! # What it imitates
//!
//! * **Table API** over one in-memory instance: `GET`/`POST /api/now/table/{table}` and
//!   `GET`/`PATCH`/`PUT`/`DELETE /api/now/table/{table}/{sys_id}` for `incident`, `problem`,
//!   `change_request`, `kb_knowledge`, `sys_user` and `sys_user_group` (read and write),
//!   `sys_choice`, `sys_journal_field` and `kb_category` (read only: writes get an ACL 403),
//!   and `sys_audit` (every request gets an ACL 403). Other table names get
//!   `400 "Invalid table <name>"`. `PUT` updates like `PATCH`, as on a real instance.
//!   Answers are `{"result": ...}`; errors are
//!   `{"error": {"message", "detail"}, "status": "failure"}`.
//! * **Reads**: `sysparm_query` (encoded queries, see below), `sysparm_fields` (dot-walked
//!   names such as `assigned_to.name` allowed), `sysparm_limit` (default 10000),
//!   `sysparm_offset`, `sysparm_display_value` (`false`: references are `{link, value}`;
//!   `true`: references `{display_value, link}` and choice labels; `all`: every field
//!   `{display_value, value}`, references also `link`) and
//!   `sysparm_exclude_reference_link=true` (no `link`; with `false`/`true` references become
//!   plain strings). Lists carry `X-Total-Count` and a `Link` header with
//!   `first`/`prev`/`next`/`last`. `GET /api/now/stats/{table}` answers the matching count.
//! * **Encoded queries**: `=`, `!=`, `LIKE`, `NOT LIKE`, `STARTSWITH`, `ENDSWITH`, `IN`,
//!   `NOT IN`, `>`, `<`, `>=`, `<=`, `ISEMPTY`, `ISNOTEMPTY`, `ANYTHING`, `^` (AND), `^OR`,
//!   `^NQ`, `ORDERBY`/`ORDERBYDESC`, `^EQ`, dot-walking, and `^^` as a literal `^` in a value
//!   (see [`escape_value`]). Text comparisons ignore case. Conditions on unknown fields match
//!   nothing (`glide.invalid_query.returns_no_rows=true`).
//! * **Writes**: unknown and `sys_*` fields are ignored; references accept a `sys_id` or a
//!   display value (users also by `user_name`); choice fields refuse values outside their
//!   list with a `400` naming the allowed values; `impact`/`urgency` set `priority` by the
//!   standard lookup; resolving or closing an incident (state 6/7) needs `close_code` and
//!   `close_notes` or answers a `400 "Data Policy Exception: ..."`; `sys_updated_on`,
//!   `sys_updated_by` and `sys_mod_count` change on every write; `number` is generated.
//! * **Journals**: writing `work_notes` or `comments` appends a `sys_journal_field` record
//!   (`name`, `element`, `element_id`, `value`, `sys_created_on`, `sys_created_by`) instead of
//!   overwriting. Reading the field gives the journal text, newest first:
//!   `"<time> - <user's name> (Work notes)\n<text>\n\n"` (in every display mode).
//!   `GET /api/now/table/sys_journal_field?sysparm_query=element_id=<sys_id>` lists entries.
//! * **Auth**: HTTP Basic ([`DEFAULT_USERNAME`]/[`DEFAULT_PASSWORD`]; every seeded user
//!   shares the password), `Bearer` tokens from `POST /oauth_token.do`
//!   (`grant_type=client_credentials|password|refresh_token`, client
//!   [`DEFAULT_CLIENT_ID`]/[`DEFAULT_CLIENT_SECRET`] in the form or a Basic header), and the
//!   `x-sn-apikey` header ([`DEFAULT_API_KEY`]). The user [`NO_BASIC_USER`] is refused on
//!   basic auth with a `401` whose detail names the missing role (OAuth works for it); the
//!   user [`READ_ONLY_USER`] gets an ACL `403` on every write.
//! * **Rate limits**: with [`Options::rate_per_second`] above 0, API answers carry
//!   `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`, `X-RateLimit-Rule`,
//!   and requests beyond the limit get `429` with `Retry-After: 1`.
//!
//! The seed ([`SEED_INCIDENTS`] incidents `INC0010001`... over seven assignment groups and
//! every state, 23 users, [`SEED_PROBLEMS`] problems, [`SEED_CHANGES`] change requests,
//! [`SEED_ARTICLES`] knowledge articles with HTML bodies, including "Known issue" articles
//! about a failing deploy, plus choice rows and journal entries) is generated in code and is
//! the same on every start and after every reset. Incident `INC0010043`'s short description
//! contains `rate=5^burst=10`, for query-injection tests.
//!
//! # Admin API
//!
//! Everything from [`mock_kit`] (faults, request log, reset), plus:
//!
//! | Route | Effect |
//! |---|---|
//! | `GET /__admin/tables/{table}[?sysparm_query=...]` | stored records, values as strings |
//! | `POST /__admin/oauth/expire` | every issued access token expires (refresh tokens stay) |
//!
//! `POST /__admin/reset` restores the seed and forgets tokens.

mod query;
mod routes;
mod schema;
mod seed;
mod state;
mod store;

use std::io;

use axum::Router;
use mock_kit::{MockKit, Served};

pub use query::escape_value;
pub use seed::{
    NO_BASIC_USER, READ_ONLY_USER, SEED_ARTICLES, SEED_CHANGES, SEED_INCIDENTS, SEED_PROBLEMS,
};
pub use state::MockServiceNow;

/// Default basic-auth user (the administrator).
pub const DEFAULT_USERNAME: &str = "admin";
/// Default password, shared by every seeded user.
pub const DEFAULT_PASSWORD: &str = "mock-password";
/// Default OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "mock-client";
/// Default OAuth client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "mock-secret";
/// Default value of the `x-sn-apikey` header.
pub const DEFAULT_API_KEY: &str = "mock-api-key";
/// Default lifetime of OAuth access tokens, in seconds (ServiceNow's default is 1800).
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 1800;

/// How the mock behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// API requests accepted per second before answering 429; 0 means no limit.
    pub rate_per_second: u32,
    /// `user_name` of the administrator (basic auth, client credentials, API key).
    pub username: String,
    /// Password of every seeded user.
    pub password: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Accepted `x-sn-apikey` value (acts as the administrator).
    pub api_key: String,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl_secs: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_per_second: 0,
            username: DEFAULT_USERNAME.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
        }
    }
}

/// The mock's router (already wrapped with [`mock_kit::with_kit_and_reset`]), its kit
/// (request log and faults) and its state handle. Serve the router with
/// [`mock_kit::serve`] so connection faults work.
pub fn app(options: Options) -> (Router, MockKit, MockServiceNow) {
    let state = MockServiceNow::new(options);
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
pub async fn spawn_with_handles(options: Options) -> io::Result<(Served, MockKit, MockServiceNow)> {
    let (router, kit, state) = app(options);
    let served = mock_kit::serve_local(router).await?;
    Ok((served, kit, state))
}
