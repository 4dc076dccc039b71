//! What the workspace's tests share about their surroundings: where the real data sets
//! are, and whether a test may skip when something it needs is missing.
//!
//! A test that needs real data, root (to mount a tmpfs), a browser or a wgpu adapter
//! skips with a printed reason where they are missing, so that `cargo test` passes on any
//! machine. `NGVM_REQUIRE` turns those skips into failures: a comma-separated list of
//! [`Need`] names (`data,root,browser,wgpu`, or `all`). `.ci/run` sets it, so CI cannot
//! pass green on a test that did not run.

use std::path::{Path, PathBuf};

/// Something a test may need from the machine it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The real data sets (`NGVM_TEST_DATA`, `NGVM_DATA_DIR` or `../shared/datasets`).
    Data,
    /// Root, to mount a small tmpfs (the full-disk and read-only cases).
    Root,
    /// A headless Chromium (the report's browser check).
    Browser,
    /// A wgpu adapter (lavapipe on a CPU machine).
    Wgpu,
}

impl Need {
    /// Every need, in the order `NGVM_REQUIRE` lists them.
    pub const ALL: [Need; 4] = [Need::Data, Need::Root, Need::Browser, Need::Wgpu];

    /// The name `NGVM_REQUIRE` uses.
    pub fn name(self) -> &'static str {
        match self {
            Need::Data => "data",
            Need::Root => "root",
            Need::Browser => "browser",
            Need::Wgpu => "wgpu",
        }
    }
}

/// Whether `NGVM_REQUIRE` names `need` (or `all`). An unknown name is a failure, so a typo
/// in CI's setting cannot turn the switch off.
pub fn required(need: Need) -> bool {
    let Some(list) = std::env::var_os("NGVM_REQUIRE") else {
        return false;
    };
    let list = list.to_string_lossy().to_string();
    requires(&list, need).unwrap_or_else(|unknown| {
        panic!(
            "NGVM_REQUIRE={list:?}: `{unknown}` is not a need; use some of data, root, browser, wgpu (comma-separated) or all"
        )
    })
}

/// Whether the `NGVM_REQUIRE` value `list` names `need`; `Err(name)` for a name that is
/// not a need.
pub fn requires(list: &str, need: Need) -> Result<bool, String> {
    let mut found = false;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "all" => found = true,
            _ => match Need::ALL.iter().find(|n| n.name() == name) {
                Some(n) => found |= *n == need,
                None => return Err(name.to_string()),
            },
        }
    }
    Ok(found)
}

/// Says that a test (or its part) is skipped because `need` is missing, and why; fails
/// instead when `NGVM_REQUIRE` names `need`.
pub fn skip(need: Need, why: &str) {
    if required(need) {
        panic!("NGVM_REQUIRE names `{}`, but {why}", need.name());
    }
    eprintln!("SKIPPED: {why}");
}

/// The data folders a test looks in, in order: `NGVM_TEST_DATA`, `NGVM_DATA_DIR`, then
/// `../shared/datasets` beside the repository.
pub fn data_candidates() -> Vec<PathBuf> {
    [
        std::env::var_os("NGVM_TEST_DATA").map(PathBuf::from),
        std::env::var_os("NGVM_DATA_DIR").map(PathBuf::from),
        Some(repository().join("../shared/datasets")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The first data folder that holds `set` (a data set's folder name, e.g. `fashion-mnist`),
/// or `None`. For a test with a stand-in: call [`skip`] with [`Need::Data`] when it uses
/// the stand-in, so that CI fails rather than tests the stand-in.
pub fn find_data(set: &str) -> Option<PathBuf> {
    data_candidates().into_iter().find(|d| d.join(set).exists())
}

/// The data folder that holds `set`, or `None` after [`skip`] says what is untested.
pub fn real_data(set: &str, untested: &str) -> Option<PathBuf> {
    let found = find_data(set);
    if found.is_none() {
        skip(
            Need::Data,
            &format!(
                "real `{set}` not found in {} (set NGVM_TEST_DATA to a folder that has it); {untested} is untested",
                shown(&data_candidates())
            ),
        );
    }
    found
}

/// The repository's root folder (this crate lives in `<root>/crates/test-support`).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shown(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_require_list_names_needs_or_all_and_refuses_typos() {
        assert_eq!(requires("data,root", Need::Root), Ok(true));
        assert_eq!(requires("data, root", Need::Browser), Ok(false));
        assert_eq!(requires("all", Need::Wgpu), Ok(true));
        assert_eq!(requires("", Need::Data), Ok(false));
        assert_eq!(requires("data,gpu", Need::Data), Err("gpu".to_string()));
    }

    #[test]
    fn the_repository_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(repository().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"), "{manifest}");
    }
}
