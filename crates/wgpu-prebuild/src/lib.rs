//! Empty on purpose: this crate exists for its dependency's features (see Cargo.toml).
