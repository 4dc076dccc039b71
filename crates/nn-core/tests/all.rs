//! nn-core's integration tests, in one binary to keep link time down.

mod common;
mod data;
mod train;
