//! `cargo xtask report [RUNS_DIR]`: the HTML course report of a runs folder
//! (`nn_data::report`).

use nn_data::{Error, Result};
use std::path::{Path, PathBuf};

pub fn run(runs: Option<&Path>) -> Result<bool> {
    let runs = runs
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("runs"));
    if !runs.is_dir() {
        return Err(Error::Other(format!(
            "{}: no such runs folder (run an experiment or `cargo xtask curriculum` first)",
            runs.display()
        )));
    }
    let page = nn_data::report::write(&runs)?;
    println!("{}", page.display());
    Ok(true)
}
