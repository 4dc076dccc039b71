//! Helpers shared by the tests.

use std::path::PathBuf;

/// The data folder that holds `what` (a set's folder or file), or `None` after saying the
/// check is skipped (a failure where `NGVM_REQUIRE` names `data`, as in CI).
pub fn shared_data(what: &str) -> Option<PathBuf> {
    test_support::real_data(what, "this real-file check")
}
