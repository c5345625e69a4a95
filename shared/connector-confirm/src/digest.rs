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
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b = json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        assert_eq!(canonical_digest(&a), canonical_digest(&b));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z\\x{7f}-\\x{10ffff}\"\\\\]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Rebuilds every object with its keys in reverse order.
    fn reorder(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m.iter().rev() {
                    out.insert(k.clone(), reorder(v));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(reorder).collect()),
            other => other.clone(),
        }
    }

    proptest! {
        #[test]
        fn digest_ignores_key_order_and_whitespace(v in json_value()) {
            let pretty: Value = serde_json::from_str(&serde_json::to_string_pretty(&v).unwrap()).unwrap();
            prop_assert_eq!(canonical_digest(&v), canonical_digest(&reorder(&v)));
            prop_assert_eq!(canonical_digest(&v), canonical_digest(&pretty));
        }

        #[test]
        fn digest_changes_with_any_leaf(v in json_value(), extra in "[a-z]{1,6}") {
            let mut changed = v.clone();
            match &mut changed {
                Value::Object(m) => { m.insert(format!("_{extra}"), json!(1)); }
                Value::Array(items) => items.push(json!(extra)),
                other => *other = json!([other.clone()]),
            }
            prop_assert_ne!(canonical_digest(&v), canonical_digest(&changed));
        }
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
