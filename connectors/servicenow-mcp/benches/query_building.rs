//! Encoded-query building (`sysparm_query`) as the search tools do it: the
//! filter set of a busy `search_incidents` call, a value carrying `^OR` /
//! `^NQ` that must be escaped, and a refused field name (the error path).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use servicenow_mcp::query::{Op, Query, QueryError};

/// What `search_incidents` builds for state, priority, group, caller,
/// opened-after, text and active, newest first.
fn incident_query(text: &str) -> Result<String, QueryError> {
    let states = ["1".to_owned(), "2".to_owned(), "3".to_owned()];
    let priorities = ["1".to_owned(), "2".to_owned()];
    let q = Query::new()
        .any_value("state", &states)?
        .any_value("priority", &priorities)?
        .eq("assignment_group.name", "Service Desk")?
        .any_of(&[
            ("caller_id.user_name", Op::Eq, "beth.anglin"),
            ("caller_id.name", Op::Eq, "beth.anglin"),
        ])?
        .and("opened_at", Op::Ge, "2026-11-01 00:00:00")?
        .any_of(&[
            ("short_description", Op::Like, text),
            ("description", Op::Like, text),
        ])?
        .eq("active", "true")?
        .order_by("opened_at", true)?
        .order_by("number", true)?;
    Ok(q.build())
}

fn bench(c: &mut Criterion) {
    let plain = incident_query("vpn").expect("builds");
    assert!(plain.ends_with("^ORDERBYDESCopened_at^ORDERBYDESCnumber"));
    let hostile = incident_query("vpn^NQactive=false^ORsys_id!=x").expect("builds");
    assert!(hostile.contains("vpn^^NQactive=false^^ORsys_id!=x"));

    let mut group = c.benchmark_group("servicenow/query");
    group.bench_function("search_incidents filters (9 terms)", |b| {
        b.iter(|| incident_query(black_box("vpn")))
    });
    group.bench_function(
        "search_incidents filters, value with ^NQ / ^OR escaped",
        |b| b.iter(|| incident_query(black_box("vpn^NQactive=false^ORsys_id!=x"))),
    );
    group.bench_function("refused field name (error path)", |b| {
        b.iter(|| {
            Query::new()
                .eq(black_box("state^ORactive"), "1")
                .map(|q| q.build())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
