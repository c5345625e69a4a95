//! The example's tests: the workflow in-process against the mocks on
//! 127.0.0.1:0 (real MCP clients over streamable HTTP to the suite, the
//! connectors over HTTP to the mocks), and the binary as a process.

mod binary;
mod workflow;

use incident_response::Env;
use mcp_suite::local::Mocks;
use mock_kit::RecordedRequest;

/// Every request that could write (anything but GET) a mock received.
pub fn writes(requests: Vec<RecordedRequest>) -> Vec<String> {
    requests
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Write requests that reached ServiceNow, Jira and Zapier.
pub fn upstream_writes(mocks: &Mocks) -> Vec<String> {
    let mut all = writes(mocks.servicenow.kit.requests());
    all.extend(writes(mocks.jira.kit.requests()));
    all.extend(writes(mocks.zapier.kit.requests()));
    all
}

/// The mocks behind an env (always there without `--config`).
pub fn mocks(env: &Env) -> &Mocks {
    env.mocks.as_ref().expect("the env runs on mocks")
}
