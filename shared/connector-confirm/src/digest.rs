//! Canonical digests of tool arguments: key order and whitespace do not
//! change the digest, any value change does.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of the canonical JSON form of `value` (object keys sorted).
pub fn canonical_digest(value: &Value) -> String {
    let mut hasher = Sha256::new();
    write_canonical(value, &mut hasher);
    hex::encode(hasher.finalize())
}

fn write_canonical(value: &Value, h: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            h.update(b"{");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    h.update(b",");
                }
                h.update(Value::String(k.clone()).to_string().as_bytes());
                h.update(b":");
                write_canonical(&map[k], h);
            }
            h.update(b"}");
        }
        Value::Array(items) => {
            h.update(b"[");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    h.update(b",");
                }
                write_canonical(v, h);
            }
            h.update(b"]");
        }
        other => h.update(other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b = json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        assert_eq!(canonical_digest(&a), canonical_digest(&b));
    }

    #[test]
    fn values_matter() {
        assert_ne!(
            canonical_digest(&json!({"a": 1})),
            canonical_digest(&json!({"a": 2}))
        );
        assert_ne!(
            canonical_digest(&json!({"a": [1, 2]})),
            canonical_digest(&json!({"a": [2, 1]}))
        );
        assert_ne!(
            canonical_digest(&json!({"a": "1"})),
            canonical_digest(&json!({"a": 1}))
        );
    }
}
