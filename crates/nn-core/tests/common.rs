//! Helpers shared by the tests.

use std::path::PathBuf;

/// The real data sets of `../shared/datasets` (or `NGVM_TEST_DATA`), or `None` with a
/// printed reason so a skipped test says why.
pub fn shared_data(what: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("NGVM_TEST_DATA").map(PathBuf::from),
        std::env::var_os("NGVM_DATA_DIR").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")),
        Some(PathBuf::from("/work/shared/datasets")),
    ];
    for dir in candidates.into_iter().flatten() {
        if dir.join(what).exists() {
            return Some(dir);
        }
    }
    eprintln!(
        "SKIPPED: real data `{what}` not found (set NGVM_TEST_DATA or NGVM_DATA_DIR to a data folder that has it)"
    );
    None
}
