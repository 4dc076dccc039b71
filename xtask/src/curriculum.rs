//! `cargo xtask curriculum`: builds the course binary (`ngvm`) with the backend's feature,
//! downloads the data sets (unless `--offline`), then hands over to `ngvm curriculum`,
//! which runs every experiment and writes the report.

use nn_core::data::DataDir;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args)]
pub struct Args {
    /// `quick` (minutes per experiment) or `full` (the real assignments).
    #[arg(long, default_value = "quick", value_parser = ["quick", "full"])]
    pub preset: String,
    /// Backend of every run (`flex`, `ndarray`, `wgpu`, `cuda`); wgpu and cuda are
    /// compiled in for the run.
    #[arg(long)]
    pub backend: Option<String>,
    /// Only these topics (`cnn`) or experiments (`cnn/pneumonia`); repeatable.
    #[arg(long)]
    pub only: Vec<String>,
    /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Do not download: experiments whose data is absent run on synthetic stand-ins,
    /// marked as such.
    #[arg(long)]
    pub offline: bool,
    /// Skip the experiments that finished and continue an interrupted one from its
    /// checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Where the runs, `curriculum.json` and `report/` go.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> nn_core::Result<bool> {
    let binary = crate::course_binary::build(args.backend.as_deref())?;
    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let synthetic = args.offline || !download_data(&needed_datasets(&binary, &args)?, &data_dir);
    let mut cmd = Command::new(&binary);
    cmd.args(["curriculum", "--preset", &args.preset])
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--out")
        .arg(&args.out);
    if let Some(backend) = &args.backend {
        cmd.args(["--backend", backend]);
    }
    for only in &args.only {
        cmd.args(["--only", only]);
    }
    if synthetic {
        cmd.arg("--synthetic");
    }
    if args.resume {
        cmd.arg("--resume");
    }
    let status = cmd
        .status()
        .map_err(|e| nn_core::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    Ok(status.success())
}

/// The data sets the chosen experiments read (`ngvm curriculum --print-datasets`).
fn needed_datasets(binary: &Path, args: &Args) -> nn_core::Result<Vec<String>> {
    let mut cmd = Command::new(binary);
    cmd.args(["curriculum", "--print-datasets", "--preset", &args.preset]);
    for only in &args.only {
        cmd.args(["--only", only]);
    }
    let output = cmd
        .output()
        .map_err(|e| nn_core::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    if !output.status.success() {
        return Err(nn_core::Error::Other(
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
