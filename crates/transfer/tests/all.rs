//! The transfer crate's tests, in one binary.

mod models;
