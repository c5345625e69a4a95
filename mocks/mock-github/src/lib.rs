//! mock-github (in progress)
