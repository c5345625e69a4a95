//! A mock of Zapier's "Webhooks by Zapier" Catch Hook endpoint, for integration tests, demo
//! mode and docker-compose.
//!
//! # What it imitates
//!
//! * `POST`, `PUT` or `GET /hooks/catch/{account}/{hook}/` (trailing slash optional) takes a
//!   JSON object or array, a form-encoded body (a flat object of strings) or, for `GET`, just
//!   query parameters; query parameters always become fields. It answers
//!   `200 {"attempt": uuid, "id": uuid, "request_id": short id, "status": "success"}`:
//!   like the real service, *success means received*, not that a Zap ran.
//! * `.../{hook}/silent/` answers `200 {"status": "success"}` only.
//! * Any numeric account id with an alphanumeric hook id is a live hook, unless turned off
//!   through the admin API: then `410 Gone {"status": "error", "message": "This hook has been
//!   turned off."}`. Other ids get `404`.
//! * At most [`Options::rate_per_second`] requests per hook in any one-second window (Zapier
//!   documents about 30/s per hook); above it `429` with `Retry-After: 1`.
//! * A body that is neither JSON nor form data, or a JSON scalar, gets `400`.
//! * Errors use `{"status": "error", "message": ...}`.
//!
//! # Admin API
//!
//! Everything from [`mock_kit`] (faults, request log, reset), plus:
//!
//! | Route | Effect |
//! |---|---|
//! | `GET /__admin/deliveries[?hook=account/hook]` | accepted [`Delivery`]s, oldest first |
//! | `POST /__admin/hooks/{account}/{hook}/disable` | turn a hook off (`410` from then on) |
//! | `POST /__admin/hooks/{account}/{hook}/enable` | turn it back on |
//! | `GET /__admin/hooks` | `{"disabled": ["account/hook", ...]}` |
//!
//! `POST /__admin/reset` also clears deliveries, disabled hooks and rate windows.
//!
//! With a `commit_then_drop` fault, the delivery is stored but the sender sees a connection
//! error: the case where a retry delivers twice.

mod routes;
mod state;

use std::io;

use axum::Router;
use mock_kit::{MockKit, Served};

pub use state::{Delivery, MAX_DELIVERIES, MockZapier};

/// Zapier's documented per-hook rate: about 30 requests per second.
pub const DEFAULT_RATE_PER_SECOND: u32 = 30;

/// How the mock behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Requests each hook accepts per second before answering 429; 0 means no limit.
    pub rate_per_second: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_per_second: DEFAULT_RATE_PER_SECOND,
        }
    }
}

/// The mock's router (already wrapped with [`mock_kit::with_kit`]), its kit (request log and
/// faults) and its state handle. Serve the router with [`mock_kit::serve`] so connection
/// faults work.
pub fn app(options: Options) -> (Router, MockKit, MockZapier) {
    let state = MockZapier::new(options);
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
pub async fn spawn_with_handles(options: Options) -> io::Result<(Served, MockKit, MockZapier)> {
    let (router, kit, state) = app(options);
    let served = mock_kit::serve_local(router).await?;
    Ok((served, kit, state))
}
