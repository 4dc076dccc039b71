//! `cargo xtask curriculum`: builds the course binary (`ngvm`) with the backend's feature,
//! downloads the data sets (unless `--offline`), then hands over to `ngvm curriculum`,
//! which runs every experiment and writes the report.

use nn_data::DataDir;
use std::path::Path;
use std::process::Command;

/// The curriculum's flags (`nn_data::CurriculumArgs`).
pub type Args = nn_data::CurriculumArgs;

pub fn run(args: Args) -> nn_data::Result<bool> {
    let binary = crate::course_binary::build(args.backend.map(|b| b.name()))?;
    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let synthetic = args.offline || !download_data(&needed_datasets(&binary, &args)?, &data_dir);
    let mut cmd = Command::new(&binary);
    cmd.arg("curriculum").args(args.to_flags());
    if args.data_dir.is_none() {
        cmd.arg("--data-dir").arg(&data_dir);
    }
    if synthetic {
        cmd.arg("--synthetic");
    }
    let status = cmd
        .status()
        .map_err(|e| nn_data::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    Ok(status.success())
}

/// The data sets the chosen experiments read (`ngvm curriculum --print-datasets`).
fn needed_datasets(binary: &Path, args: &Args) -> nn_data::Result<Vec<String>> {
    let mut cmd = Command::new(binary);
    cmd.args([
        "curriculum",
        "--print-datasets",
        "--preset",
        args.preset.name(),
    ]);
    for only in &args.only {
        cmd.args(["--only", only]);
    }
    let output = cmd
        .output()
        .map_err(|e| nn_data::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    if !output.status.success() {
        return Err(nn_data::Error::Other(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// Downloads the named data sets that are not already verified; false if any could not
/// be fetched (the curriculum then lets absent ones be synthetic).
fn download_data(names: &[String], dir: &Path) -> bool {
    if names.is_empty() {
        return true;
    }
    let args = crate::download::Args {
        names: names.to_vec(),
        all: false,
        data_dir: Some(dir.to_path_buf()),
        attempts: 2,
    };
    match crate::download::run(args) {
        Ok(true) => true,
        Ok(false) => {
            eprintln!(
                "some data sets could not be downloaded: experiments that need them run on synthetic data, marked as such"
            );
            false
        }
        Err(e) => {
            eprintln!(
                "downloading failed ({e}): experiments whose data is absent run on synthetic data, marked as such"
            );
            false
        }
    }
}
