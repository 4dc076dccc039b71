//! The transfer crate's tests, in one binary.

mod cli;
mod freezing;
mod models;
mod weights;
