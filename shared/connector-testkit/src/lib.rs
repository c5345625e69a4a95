//! connector-testkit
