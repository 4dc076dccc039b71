//! The readers take paths: each input is written to one reused temp file.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `data` to this process's scratch file and returns its path.
pub fn scratch(data: &[u8], name: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"));
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("the scratch file is writable");
    path
}
