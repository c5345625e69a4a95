//! A stateful mock of Jira: the Cloud REST API v3 and the Server/Data Center REST API v2,
//! over one in-memory instance, for integration tests, demo mode and docker-compose.
//!
//! # What it imitates
//!
//! * **Both API families** over the same state: `/rest/api/3/...` (Cloud: rich text as
//!   Atlassian Document Format, users by `accountId`) and `/rest/api/2/...` (Data Center:
//!   rich text as wiki markup, users by `name`/`key`). Rich text is stored as ADF; v2 reads
//!   render it as wiki markup and v2 writes convert wiki markup into ADF paragraphs,
//!   headings, lists and code blocks.
//! * **Auth**: v3 takes HTTP Basic `email:api_token` or `Bearer <oauth token>`; v2 takes
//!   `Bearer <personal access token>` (and Basic too when the mock plays Cloud). Anything
//!   else is `401 {"errorMessages": [...], "errors": {}}`.
//! * **Search**: `GET|POST /rest/api/3/search/jql` (opaque `nextPageToken`, `isLast`, only
//!   `id` unless `fields` asks for more, unbounded queries refused), `GET|POST
//!   /rest/api/2/search` (`startAt`/`maxResults`/`total`), and `GET|POST /rest/api/3/search`
//!   answering `410 Gone`. JQL is a hand-written subset (see the `jql` module): project,
//!   status, statusCategory, assignee/reporter (with `currentUser()` and `EMPTY`), labels,
//!   issuetype/type, priority, key, resolution, component, created/updated (absolute and
//!   relative dates), `text`/`summary`/`description`/`comment ~`, the Severity custom field,
//!   `issue.property[key].path`; `= != IN NOT IN ~ !~ < <= > >= IS [NOT] EMPTY`, `AND OR
//!   NOT`, parentheses, `ORDER BY`. Errors use Jira's wording.
//! * **Issues**: get (`fields`, `expand=renderedFields,names,transitions`, `properties`),
//!   create (required fields per project and issue type, including the required Severity
//!   custom field on Bugs; `400 {"errors": {field: message}}`), edit (`fields` and `update`
//!   operations), delete, assign, comments (paged, `orderBy=created|-created`), transitions
//!   (valid per current status; `fields.resolution` and `update.comment`), issue properties.
//! * **Projects and metadata**: `project`, `project/search` (paged), `project/{key}`,
//!   `issue/createmeta/{project}/issuetypes[/{id}]` (paged; `issueTypes`/`fields` on v3,
//!   `values` on v2, like Data Center), `field`, `serverInfo`, `myself`, `user`,
//!   `user/search`, `user/assignable/search`.
//! * **Rate limits**: every API answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`
//!   and `X-RateLimit-Reset`; with [`Options::rate_per_second`] above 0, requests beyond it
//!   get `429` with `Retry-After` and `RateLimit-Reason: jira-burst-based`;
//!   [`MockJira::throttle_next`] (or `POST /__admin/throttle`) forces such 429s, e.g. with
//!   `Retry-After: 0`.
//!
//! The seed (three projects OPS, WEB and DATA; ten users; 60 issues with varied ADF; one
//! issue, [`BUSY_ISSUE`], with [`MANY_COMMENTS`] comments) is generated in code and is the
//! same on every start and after every reset.
//!
//! # Admin API
//!
//! Everything from [`mock_kit`] (faults, request log, reset), plus:
//!
//! | Route | Effect |
//! |---|---|
//! | `GET /__admin/issues` | every issue in a compact shape (see [`MockJira::issues`]) |
//! | `POST /__admin/throttle` | `{"times": n, "retry_after": "0"}`: the next `n` API requests get 429 |
//!
//! `POST /__admin/reset` restores the seed.

mod adf;
mod jql;
mod model;
mod render;
mod routes;
mod seed;
mod state;
mod write;

use std::io;

use axum::Router;
use mock_kit::{MockKit, Served};

pub use seed::{BUSY_ISSUE, MANY_COMMENTS, SEED_ISSUES};
pub use state::MockJira;

/// Which product the mock says it is (`serverInfo.deploymentType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deployment {
    /// Jira Cloud (`deploymentType: "Cloud"`).
    #[default]
    Cloud,
    /// Jira Data Center (`deploymentType: "Server"`).
    DataCenter,
}

impl std::str::FromStr for Deployment {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "cloud" => Ok(Self::Cloud),
            "datacenter" | "data-center" | "dc" | "server" => Ok(Self::DataCenter),
            other => Err(format!(
                "unknown deployment '{other}': expected 'cloud' or 'datacenter'"
            )),
        }
    }
}

/// The default e-mail of the authenticated Cloud user.
pub const DEFAULT_EMAIL: &str = "mock@example.com";
/// The default Cloud API token.
pub const DEFAULT_API_TOKEN: &str = "mock-token";
/// The default Cloud OAuth bearer token.
pub const DEFAULT_OAUTH_TOKEN: &str = "mock-oauth-token";
/// The default Data Center personal access token.
pub const DEFAULT_PAT: &str = "mock-pat";

/// How the mock behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// What `serverInfo` reports.
    pub deployment: Deployment,
    /// API requests accepted per second before answering 429; 0 means no limit.
    pub rate_per_second: u32,
    /// E-mail for Basic auth (also the authenticated user's address).
    pub email: String,
    /// API token for Basic auth.
    pub api_token: String,
    /// Bearer token accepted on the v3 (Cloud) paths, standing for an OAuth access token.
    pub oauth_token: String,
    /// Bearer personal access token accepted on the v2 (Data Center) paths.
    pub pat: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            deployment: Deployment::Cloud,
            rate_per_second: 0,
            email: DEFAULT_EMAIL.to_owned(),
            api_token: DEFAULT_API_TOKEN.to_owned(),
            oauth_token: DEFAULT_OAUTH_TOKEN.to_owned(),
            pat: DEFAULT_PAT.to_owned(),
        }
    }
}

/// The mock's router (already wrapped with [`mock_kit::with_kit_and_reset`]), its kit
/// (request log and faults) and its state handle. Serve the router with
/// [`mock_kit::serve`] so connection faults work.
pub fn app(options: Options) -> (Router, MockKit, MockJira) {
    let state = MockJira::new(options);
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
pub async fn spawn_with_handles(options: Options) -> io::Result<(Served, MockKit, MockJira)> {
    let (router, kit, state) = app(options);
    let served = mock_kit::serve_local(router).await?;
    Ok((served, kit, state))
}
