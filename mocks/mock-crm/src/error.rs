//! HubSpot's error bodies: `{"status": "error", "message", "correlationId", "category", ...}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::schema::PropertyError;

/// An error answered in HubSpot's shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub category: &'static str,
    pub message: String,
    /// Extra top-level fields (`errors`, `context`, `subCategory`, ...).
    pub extra: serde_json::Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, category: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            category,
            message: message.into(),
            extra: serde_json::Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// A `400 VALIDATION_ERROR` with a plain message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    /// `400 VALIDATION_ERROR` for refused property values, the way HubSpot words it: the
    /// message embeds a JSON array of per-property results, `errors` lists them again.
    pub fn invalid_properties(errors: &[PropertyError]) -> Self {
        let embedded: Vec<Value> = errors
            .iter()
            .map(|e| {
                json!({"isValid": false, "message": e.message, "error": e.code,
                       "name": e.name, "localizedErrorMessage": e.message})
            })
            .collect();
        let listed: Vec<Value> = errors
            .iter()
            .map(|e| {
                json!({"message": e.message, "code": e.code,
                       "context": {"propertyName": [e.name]}})
            })
            .collect();
        Self::bad_request(format!(
            "Property values were not valid: {}",
            Value::Array(embedded)
        ))
        .with("errors", Value::Array(listed))
    }

    /// `404 OBJECT_NOT_FOUND`.
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "Object not found.  objectId are usually numeric.",
        )
        .with("context", json!({"id": [id]}))
    }

    /// `404` for a path the mock does not know.
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "Resource not found",
        )
    }

    /// `401 INVALID_AUTHENTICATION`.
    pub fn unauthenticated(category: &'static str, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, category, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("status".into(), json!("error"));
        body.insert("message".into(), json!(self.message));
        body.insert("correlationId".into(), json!(uuid::Uuid::new_v4()));
        body.insert("category".into(), json!(self.category));
        body.extend(self.extra);
        (self.status, Json(Value::Object(body))).into_response()
    }
}
