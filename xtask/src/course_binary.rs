//! The course binary `ngvm` built in release mode with a backend's feature: what
//! `curriculum` and `bench` hand over to.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Builds the course binary (`ngvm`) with the backend's feature and returns its path.
pub fn build(backend: Option<&str>) -> nn_data::Result<PathBuf> {
    let features: Vec<&str> = backend
        .and_then(crate::backend_feature::feature_of)
        .into_iter()
        .collect();
    build_with(&features)
}

/// Builds the course binary (`ngvm`) with these cargo features of the root package.
pub fn build_with(features: &[&str]) -> nn_data::Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        "build",
        "--release",
        "-p",
        "next-gen-visual-models",
        "--bin",
        "ngvm",
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    // `cargo run` gave us this package's CARGO_PKG_*/CARGO_MANIFEST_* variables; build
    // scripts that watch them (ring's) would rerun and rebuild half the tree each time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
            "CARGO_PRIMARY_",
        ]
        .iter()
        .any(|prefix| key.starts_with(prefix))
        {
            cmd.env_remove(key.as_ref());
        }
    }
    eprintln!("building the course: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| nn_data::Error::Other(format!("cannot start cargo: {e}")))?;
    if !status.success() {
        return Err(nn_data::Error::Other(
            "building `ngvm` failed (see above)".into(),
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target.join("release").join("ngvm"))
}
