//! Shared plumbing for the mock upstream services (Jira, GitHub, ServiceNow, CRM, Zapier).
//!
//! A mock is an ordinary [`axum::Router`] holding its in-memory state. [`with_kit`] wraps it
//! with:
//!
//! * a **request log**: every request outside `/__admin` is recorded as a [`RecordedRequest`]
//!   (method, path, query, headers with credentials redacted, body, the status the mock
//!   answered, the fault applied);
//! * a **fault queue**: [`Fault`]s matched by method and path prefix and consumed in order,
//!   which answer a status (optionally with `Retry-After`), add latency, reset the
//!   connection, or *commit then drop*: run the real handler so the write happens, then close
//!   the connection without a response, the case that produces duplicate writes on retry;
//! * a **1 MiB request body limit** (`413` above it);
//! * an **admin API**, never recorded:
//!
//! | Route | Effect |
//! |---|---|
//! | `POST /__admin/faults` | queue a [`Fault`] (JSON) or an array of them; `201 {"queued","pending"}` |
//! | `GET /__admin/faults` | the faults still queued |
//! | `DELETE /__admin/faults` | clear the queue; `204` |
//! | `GET /__admin/requests[?path_prefix=/x]` | the recorded requests, oldest first |
//! | `POST /__admin/reset` | clear log and faults and run the mock's reset hooks; `204` |
//!
//! Connection-level faults need control over each connection, which `axum::serve` does not
//! give: serve mocks with [`serve`] (tests, demo mode) or [`print_url_and_serve`] (binaries).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use axum::{Router, routing::get};
//! use mock_kit::{Fault, MockKit, serve, with_kit};
//!
//! let kit = MockKit::new();
//! let app = with_kit(Router::new().route("/ping", get(|| async { "pong" })), kit.clone());
//! let served = serve(app, "127.0.0.1:0".parse().unwrap()).await?;
//! kit.push_fault(Fault::status(503).retry_after("1").path_prefix("/ping"));
//! // GET {served.url}/ping now answers 503 once, then "pong".
//! served.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod conn;
mod fault;
mod kit;
mod layer;
mod server;

pub use fault::{Fault, FaultAction};
pub use kit::{MAX_RECORDED_REQUESTS, MockKit, RecordedRequest};
pub use layer::{ADMIN_PREFIX, MAX_BODY_BYTES, with_kit, with_kit_and_reset};
pub use server::{
    DEFAULT_LISTEN, Served, init_logging, print_url_and_serve, serve, serve_local, shutdown_signal,
};
