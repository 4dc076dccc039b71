//! `cargo xtask verify`: one line per data set present.

use nn_core::data::{DataDir, catalog, verify};
use std::path::Path;

/// Prints one line per data set present; returns whether all were OK.
pub fn run(data_dir: Option<&Path>) -> nn_core::Result<bool> {
    let dir = DataDir::resolve(data_dir);
    println!("data dir: {}", dir.display());
    let mut all_ok = true;
    let mut any = false;
    for spec in catalog() {
        if !verify::is_present(spec, &dir) {
            continue;
        }
        any = true;
        let report = verify::verify(spec, &dir);
        all_ok &= report.ok();
        println!("{}", report.line());
    }
    if !any {
        println!("no data set found; get them with `cargo xtask download --all`");
    }
    Ok(all_ok)
}
