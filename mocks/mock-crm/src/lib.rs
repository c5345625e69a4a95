//! mock-crm (in progress)
