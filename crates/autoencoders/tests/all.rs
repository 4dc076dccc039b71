//! The autoencoders crate's tests, in one binary.

mod cli;
mod formulas;
mod models;
