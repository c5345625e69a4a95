//! mock-jira (in progress)
