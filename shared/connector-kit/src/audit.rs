//! The audit log: JSON lines, each chained to the previous one by SHA-256 so
//! that removing or editing a line shows, with secrets redacted.
//!
//! Each line is `{"seq", "prev", "hash", "event"}` where
//! `hash = sha256(prev || canonical(event))`. [`verify`] re-computes the chain.

use std::io::Write;
use std::path::Path;

use connector_confirm::{AuditEvent, AuditSink, canonical_digest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Keys whose values are never written, at any depth.
const REDACT: &[&str] = &[
    "authorization",
    "password",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "confirmation_token",
    "url",
    "hook_url",
    "cookie",
];

/// A hash-chained JSON-lines sink writing to a file or stderr.
pub struct ChainedAudit {
    state: parking_lot::Mutex<State>,
}

struct State {
    out: Box<dyn Write + Send>,
    seq: u64,
    prev: String,
}

impl std::fmt::Debug for ChainedAudit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainedAudit")
            .field("seq", &self.state.lock().seq)
            .finish()
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl ChainedAudit {
    /// Audit to stderr (the default; stdout belongs to stdio MCP).
    pub fn stderr() -> Self {
        Self::to_writer(Box::new(std::io::stderr()))
    }

    /// Audit to any writer, starting a new chain.
    pub fn to_writer(out: Box<dyn Write + Send>) -> Self {
        ChainedAudit {
            state: parking_lot::Mutex::new(State {
                out,
                seq: 0,
                prev: GENESIS.to_owned(),
            }),
        }
    }

    /// Append to `path`, continuing the chain of its last line.
    pub fn append(path: &Path) -> std::io::Result<Self> {
        let (seq, prev) = match std::fs::read_to_string(path) {
            Ok(text) => match text.lines().rev().find(|l| !l.trim().is_empty()) {
                Some(last) => {
                    let v: Value = serde_json::from_str(last).map_err(|e| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{}: last line is not an audit record: {e}", path.display()),
                        )
                    })?;
                    (
                        v["seq"].as_u64().unwrap_or(0),
                        v["hash"].as_str().unwrap_or(GENESIS).to_owned(),
                    )
                }
                None => (0, GENESIS.to_owned()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, GENESIS.to_owned()),
            Err(e) => return Err(e),
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(ChainedAudit {
            state: parking_lot::Mutex::new(State {
                out: Box::new(file),
                seq,
                prev,
            }),
        })
    }
}

impl AuditSink for ChainedAudit {
    fn record(&self, event: AuditEvent) {
        let mut event = serde_json::to_value(&event).unwrap_or(Value::Null);
        redact(&mut event);
        let mut st = self.state.lock();
        let seq = st.seq + 1;
        let hash = link(&st.prev, &event);
        let line = json!({"seq": seq, "prev": st.prev, "hash": hash, "event": event});
        let written = writeln!(st.out, "{line}").and_then(|_| st.out.flush());
        match written {
            Ok(()) => {
                st.seq = seq;
                st.prev = hash;
            }
            Err(e) => tracing::error!(error = %e, "could not write the audit log"),
        }
    }
}

fn link(prev: &str, event: &Value) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical_digest(event).as_bytes());
    hex::encode(h.finalize())
}

/// Replaces the values of secret-looking keys with `"[redacted]"`.
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if REDACT.contains(&k.to_ascii_lowercase().as_str()) {
                    *val = Value::String("[redacted]".into());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Checks an audit log's chain. Returns the number of records, or the line
/// number (1-based) of the first broken link.
pub fn verify(text: &str) -> Result<u64, String> {
    let mut prev = GENESIS.to_owned();
    let mut count = 0;
    let mut started = false;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
        let claimed_prev = v["prev"].as_str().unwrap_or_default();
        if started && claimed_prev != prev {
            return Err(format!(
                "line {}: chain broken (a record before it was removed or changed)",
                i + 1
            ));
        }
        if !started {
            // A file may continue an older chain: trust its first `prev`.
            prev = claimed_prev.to_owned();
            started = true;
        }
        let hash = link(&prev, &v["event"]);
        if v["hash"].as_str() != Some(hash.as_str()) {
            return Err(format!(
                "line {}: record was altered (hash mismatch)",
                i + 1
            ));
        }
        prev = hash;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_confirm::AuditStep;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn event(detail: Value) -> AuditEvent {
        AuditEvent {
            at: chrono::Utc::now(),
            step: AuditStep::Executed,
            system: "zapier".into(),
            tool: "trigger_hook".into(),
            principal: "local".into(),
            target: "hook alerts".into(),
            summary: "s".into(),
            key: Some("k".into()),
            via: Some("token".into()),
            detail,
        }
    }

    #[test]
    fn chain_verifies_and_detects_tampering() {
        let buf = Buf::default();
        let sink = ChainedAudit::to_writer(Box::new(buf.clone()));
        for i in 0..3 {
            sink.record(event(json!({"n": i})));
        }
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(verify(&text), Ok(3));
        let tampered = text.replacen("\"n\":1", "\"n\":7", 1);
        assert!(verify(&tampered).unwrap_err().contains("line 2"));
        let lines: Vec<&str> = text.lines().collect();
        let dropped = format!("{}\n{}\n", lines[0], lines[2]);
        assert!(verify(&dropped).unwrap_err().contains("chain broken"));
    }

    #[test]
    fn secrets_are_redacted() {
        let buf = Buf::default();
        let sink = ChainedAudit::to_writer(Box::new(buf.clone()));
        sink.record(event(json!({"url": "https://hooks.example/catch/1/2", "nested": {"Authorization": "Bearer x"}, "id": "ok"})));
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(
            !text.contains("hooks.example") && !text.contains("Bearer x"),
            "{text}"
        );
        assert!(text.contains("\"id\":\"ok\""));
    }

    #[test]
    fn append_continues_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        ChainedAudit::append(&p).unwrap().record(event(json!(1)));
        ChainedAudit::append(&p).unwrap().record(event(json!(2)));
        assert_eq!(verify(&std::fs::read_to_string(&p).unwrap()), Ok(2));
    }
}
