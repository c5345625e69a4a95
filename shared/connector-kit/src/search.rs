//! The answer shapes of the read-only `search` / `fetch` pair that ChatGPT
//! deep research (and company knowledge) expects from every connector:
//! `search` returns `{"results": [{"id", "title", "url"}]}` and `fetch`
//! returns `{"id", "title", "text", "url", "metadata"}`. The arguments stay
//! in each connector, whose descriptions tell the model what is searched.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// One search hit.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchHit {
    /// Id to pass to `fetch`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Canonical URL to cite.
    pub url: String,
}

/// The answer of `search`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchResults {
    /// Hits, best first.
    pub results: Vec<SearchHit>,
}

/// The answer of `fetch`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Document {
    /// The id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The record as text.
    pub text: String,
    /// Canonical URL to cite.
    pub url: String,
    /// Extra fields (status, timestamps, …).
    pub metadata: Value,
}
