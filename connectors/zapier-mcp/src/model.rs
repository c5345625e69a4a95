//! Wire types of Zapier's catch-hook endpoint.

use serde::{Deserialize, Serialize};

/// What `POST /hooks/catch/<account>/<hook>/` answers on success. It means
/// the payload was *received* and queued; the Zap runs later (or not).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatchResponse {
    /// `"success"`.
    pub status: String,
    /// Id of the received request.
    #[serde(default)]
    pub id: Option<String>,
    /// Zapier's request id (support references).
    #[serde(default)]
    pub request_id: Option<String>,
    /// Attempt id.
    #[serde(default)]
    pub attempt: Option<String>,
}
