//! Argument validation as the kit does it before dispatch: the `trigger_hook`
//! input schema from the tool router, compiled with the same jsonschema
//! options, checked against valid and invalid arguments; and the hook's
//! payload schema check the tool runs next.

use std::hint::black_box;

use connector_kit::Connector;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use zapier_mcp::Zapier;

fn bench(c: &mut Criterion) {
    let tool = Zapier::router()
        .list_all()
        .into_iter()
        .find(|t| t.name == "trigger_hook")
        .expect("trigger_hook is routed");
    let schema = Value::Object((*tool.input_schema).clone());
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the input schema compiles");
    let good = json!({
        "hook": "page-oncall",
        "payload": {"summary": "db-1 is down", "severity": "critical"},
        "confirmation_token": "v1.abc.def",
    });
    let bad = json!({"hook": "page oncall!", "payload": [], "extra": 1});
    assert!(validator.is_valid(&good));
    assert!(!validator.is_valid(&bad));
    c.bench_function("zapier/validate trigger_hook args (valid)", |b| {
        b.iter(|| validator.iter_errors(black_box(&good)).count())
    });
    c.bench_function(
        "zapier/validate trigger_hook args (invalid, errors listed)",
        |b| {
            b.iter(|| {
                validator
                    .iter_errors(black_box(&bad))
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            })
        },
    );

    // The hook's payload schema (from examples/hooks.toml), checked next.
    let payload_schema = json!({
        "type": "object",
        "required": ["summary", "severity"],
        "additionalProperties": false,
        "properties": {
            "summary": {"type": "string", "minLength": 1, "maxLength": 200},
            "severity": {"enum": ["low", "high", "critical"]},
            "service": {"type": "string", "maxLength": 100},
        },
    });
    let payload_validator = jsonschema::validator_for(&payload_schema).expect("compiles");
    let payload = good["payload"].clone();
    c.bench_function("zapier/validate hook payload", |b| {
        b.iter(|| payload_validator.iter_errors(black_box(&payload)).count())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
