//! A stateful mock of the GitHub REST API (github.com and GitHub Enterprise Server), for
//! integration tests, demo mode and docker-compose. Written from GitHub's OpenAPI
//! description (`shared/specs/github`).
//!
//! # What it imitates
//!
//! * **Auth**: `Authorization: Bearer <token>` or `token <token>`. The personal access
//!   token ([`Options::token`], default [`DEFAULT_TOKEN`]) acts as [`Options::login`];
//!   [`Options::user_tokens`] adds more. `POST /app/installations/{id}/access_tokens` with
//!   any well-formed JWT as bearer mints an installation token (`{token, expires_at}`,
//!   valid one hour like GitHub's, or [`Options::installation_token_ttl`]) acting as
//!   `acme-bot[bot]` with write access; an expired one answers 401. Anything else:
//!   `401 {"message": "Bad credentials", "documentation_url": ...}`. PAT answers carry
//!   `X-OAuth-Scopes` ([`Options::scopes`]).
//! * **Rate limits**: every API answer carries `x-ratelimit-limit/remaining/used/reset/
//!   resource`. Each credential has a `core` budget ([`Options::rate_limit_per_hour`]) and
//!   a `search` budget ([`Options::search_per_minute`]); once spent, `403` with
//!   `x-ratelimit-remaining: 0`. Content-creating `POST`s faster than
//!   [`Options::secondary_per_minute`] get the secondary-limit `403` with `retry-after`
//!   (also forced by [`MockGitHub::force_secondary_limit`]).
//! * **Pagination**: `per_page` (default 30, max 100) and `page`, with an RFC 5988 `Link`
//!   header (`first`, `prev`, `next`, `last`) that keeps the other query parameters.
//! * **GHES**: the whole API is also served under `/api/v3`; links keep the prefix.
//! * **Errors** in GitHub's shape: `404 {"message": "Not Found"}`, `422 {"message":
//!   "Validation Failed", "errors": [{"resource", "field", "code"}]}`.
//!
//! # Endpoints
//!
//! | Area | Routes |
//! |---|---|
//! | users | `GET /user`, `GET /users/{u}`, `GET /rate_limit` |
//! | app | `POST /app/installations/{id}/access_tokens` |
//! | repos | `GET /repos/{o}/{r}` (with `permissions`), `GET .../contents/{path}` (`?ref=`), `GET .../commits` (`sha`, `path`, `author`), `GET .../collaborators/{u}/permission` |
//! | checks | `GET .../commits/{ref}/check-runs`, `GET .../commits/{ref}/status` |
//! | issues | `GET|POST .../issues`, `GET|PATCH .../issues/{n}`, `GET|POST .../issues/{n}/comments` |
//! | pulls | `GET|POST .../pulls`, `GET|PATCH .../pulls/{n}` (diff/patch media types), `GET .../pulls/{n}/files`, `GET|POST .../pulls/{n}/reviews`, `PUT .../pulls/{n}/merge` |
//! | actions | `GET .../actions/workflows`, `GET .../actions/runs`, `GET .../actions/workflows/{id}/runs`, `GET .../actions/runs/{id}`, `GET .../actions/runs/{id}/jobs`, `GET .../actions/jobs/{id}/logs` (302), `POST .../actions/workflows/{id}/dispatches`, `POST .../actions/runs/{id}/rerun`, `POST .../actions/runs/{id}/rerun-failed-jobs` |
//! | search | `GET /search/issues`, `GET /search/code` |
//!
//! A diff of more than [`Options::max_diff_files`] files or [`Options::max_diff_lines`]
//! lines answers `406` like GitHub ("diff too large"); list the files instead.
//!
//! # Seed
//!
//! Organization `acme` with `api` (private, Rust, 42 commits, 32 issues, PRs 33-38 among
//! them [`MERGEABLE_PR`], [`CONFLICTING_PR`], [`HUGE_PR`] and [`OUTSIDER_PR`], workflows
//! `ci.yml`, `deploy.yml`, `codeql.yml` with 15 runs, some failed with 2,000+ line logs),
//! `web` (public) and `infra` (private). People: `alice` (admin), `bob` (write), `carol`
//! (triage on `api`), `dave` (read only: no push access anywhere, no access to `infra`).
//! The seed is generated in code and identical on every start and after every reset.
//!
//! # Admin API
//!
//! Everything from [`mock_kit`] (faults, request log, reset), plus:
//!
//! | Route | Effect |
//! |---|---|
//! | `GET /__admin/state` | counts and per-repository summary ([`MockGitHub::summary`]) |
//! | `POST /__admin/tokens/revoke` | `{"token": "..."}`: that token answers 401 from now on |
//! | `POST /__admin/secondary-limit` | `{"times": n, "retry_after": s}`: force secondary-limit 403s |
//! | `POST /__admin/runs/{owner}/{repo}/{id}/complete` | `{"conclusion": "success"}`: finish a run |
//!
//! `POST /__admin/reset` restores the seed.

// The `json!` literals of GitHub's large schemas nest deeply.
#![recursion_limit = "256"]

mod diff;
mod model;
mod routes;
mod seed;
mod state;

use std::collections::BTreeMap;
use std::io;

use axum::Router;
use mock_kit::{MockKit, Served};

pub use model::Role;
pub use seed::{
    API_ISSUES, APP_BOT, CONFLICTING_PR, FAILED_LOG_LINES, HUGE_PR, HUGE_PR_FILES, MERGEABLE_PR,
    ORG, OUTSIDER_PR,
};
pub use state::{IssueSummary, MockGitHub, PullSummary, RunSummary};

/// The default personal access token.
pub const DEFAULT_TOKEN: &str = "mock-gh-token";
/// The default user the token acts as.
pub const DEFAULT_LOGIN: &str = "alice";
/// The default `X-OAuth-Scopes`.
pub const DEFAULT_SCOPES: &str = "repo, workflow";
/// GitHub's primary limit for a user token.
pub const DEFAULT_RATE_LIMIT_PER_HOUR: u32 = 5_000;
/// GitHub's search limit for an authenticated user.
pub const DEFAULT_SEARCH_PER_MINUTE: u32 = 30;
/// GitHub's documented content-creation pace.
pub const DEFAULT_SECONDARY_PER_MINUTE: u32 = 80;
/// How long GitHub's installation tokens live.
pub const DEFAULT_INSTALLATION_TOKEN_TTL: std::time::Duration =
    std::time::Duration::from_secs(3600);

/// How the mock behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The personal access token.
    pub token: String,
    /// The login [`Options::token`] acts as (one of the seeded people).
    pub login: String,
    /// More personal access tokens: token to login.
    pub user_tokens: BTreeMap<String, String>,
    /// `X-OAuth-Scopes` sent on answers to PAT requests.
    pub scopes: String,
    /// Core requests per credential per hour.
    pub rate_limit_per_hour: u32,
    /// Search requests per credential per minute.
    pub search_per_minute: u32,
    /// Content-creating requests per credential per minute; 0 disables the check.
    pub secondary_per_minute: u32,
    /// Largest diff (in files) the diff media type serves; 0: no limit.
    pub max_diff_files: usize,
    /// Largest diff (in lines) the diff media type serves; 0: no limit.
    pub max_diff_lines: usize,
    /// How long a minted installation token is valid (GitHub: one hour). Shorter lifetimes
    /// let tests see a client renew its token.
    pub installation_token_ttl: std::time::Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            login: DEFAULT_LOGIN.to_owned(),
            user_tokens: BTreeMap::new(),
            scopes: DEFAULT_SCOPES.to_owned(),
            rate_limit_per_hour: DEFAULT_RATE_LIMIT_PER_HOUR,
            search_per_minute: DEFAULT_SEARCH_PER_MINUTE,
            secondary_per_minute: DEFAULT_SECONDARY_PER_MINUTE,
            max_diff_files: 300,
            max_diff_lines: 20_000,
            installation_token_ttl: DEFAULT_INSTALLATION_TOKEN_TTL,
        }
    }
}

/// The mock's router (already wrapped with [`mock_kit::with_kit_and_reset`]), its kit
/// (request log and faults) and its state handle. Serve the router with
/// [`mock_kit::serve`] so connection faults work.
pub fn app(options: Options) -> (Router, MockKit, MockGitHub) {
    let state = MockGitHub::new(options);
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
pub async fn spawn_with_handles(options: Options) -> io::Result<(Served, MockKit, MockGitHub)> {
    let (router, kit, state) = app(options);
    let served = mock_kit::serve_local(router).await?;
    Ok((served, kit, state))
}
