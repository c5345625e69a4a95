//! Hot paths of a confirmed write: the canonical digest of the arguments, and
//! sealing / opening the confirmation token. The guard keeps its seal type
//! private, so this seals a struct of the same shape with the same codec
//! calls (`RequestStateCodec::seal_json_with` / `open_json_with`, TTL and
//! associated data set as the guard sets them).

use std::hint::black_box;
use std::time::Duration;

use connector_confirm::canonical_digest;
use criterion::{Criterion, criterion_group, criterion_main};
use rmcp::model::{RequestStateCodec, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Same fields as the guard's private seal.
#[derive(Debug, Serialize, Deserialize)]
struct Seal {
    v: u8,
    tool: String,
    digest: String,
    nonce: String,
    target: String,
}

fn bench(c: &mut Criterion) {
    let args = json!({
        "hook": "page-oncall",
        "payload": {"summary": "db-1 is down", "severity": "critical", "service": "billing"},
        "idempotency_key": "INC-4711",
    });
    c.bench_function("confirm/canonical_digest(trigger_hook args)", |b| {
        b.iter(|| canonical_digest(black_box(&args)))
    });

    let codec = RequestStateCodec::try_new(vec![7u8; 32]).expect("32-byte key");
    let ad = b"connector-confirm/v1\x1fanonymous\x1ftrigger_hook".to_vec();
    let seal = Seal {
        v: 1,
        tool: "trigger_hook".into(),
        digest: canonical_digest(&args),
        nonce: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
        target: "hook \"page-oncall\"".into(),
    };
    let options = SealOptions::new()
        .ttl(Duration::from_secs(300))
        .associated_data(&ad);
    c.bench_function("confirm/seal_json_with", |b| {
        b.iter(|| {
            codec
                .seal_json_with(black_box(&seal), &options)
                .expect("seals")
        })
    });
    let token = codec.seal_json_with(&seal, &options).expect("seals");
    c.bench_function("confirm/open_json_with", |b| {
        b.iter(|| {
            codec
                .open_json_with::<Seal>(black_box(&token), &ad)
                .expect("opens")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
