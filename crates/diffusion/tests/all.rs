//! The diffusion crate's tests, in one binary.

mod cli;
mod models;
mod sampling;
mod schedule;
