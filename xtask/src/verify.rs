//! `cargo xtask verify`: one line per data set and weights file present.

use nn_data::{DataDir, catalog, verify};
use std::path::Path;

/// Prints one line per data set present; returns whether all were OK.
pub fn run(data_dir: Option<&Path>) -> nn_data::Result<bool> {
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
    for w in nn_data::weights::weights() {
        match w.verified_path(&dir) {
            Ok(Some(path)) => println!("{}: OK ({}, checksum verified)", w.name, path.display()),
            Ok(None) => {}
            Err(e) => {
                all_ok = false;
                println!("{}: PROBLEM: {e}", w.name);
            }
        }
    }
    if !any {
        println!("no data set found; get them with `cargo xtask download --all`");
    }
    Ok(all_ok)
}
