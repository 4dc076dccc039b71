//! `cargo xtask`: the one entry point a maintainer needs (curriculum, report, download,
//! verify, run, bench, gpu-bundle,
//! docs).

mod backend_feature;
mod bench;
mod course_binary;
mod curriculum;
mod docs;
mod download;
mod gpu_bundle;
mod report;
mod run_experiment;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Data sets and course tasks for Next Gen Visual Models"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run every experiment of the course in order, then write the HTML report.
    Curriculum(curriculum::Args),
    /// Write the HTML report of a runs folder (default `runs/`) to `<runs>/report/index.html`.
    Report {
        /// The runs folder.
        runs: Option<PathBuf>,
    },
    /// Download data sets (official sources, checksums verified), then verify them.
    Download(download::Args),
    /// Run one experiment by its full name (e.g. `mlp/burn`), passing the flags on;
    /// `--backend wgpu|cuda` builds the topic crate with that feature.
    Run {
        /// `topic/name`, e.g. `cnn/pneumonia`.
        experiment: String,
        /// Flags for the experiment (`--preset full --backend wgpu ...`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Check every data set present: layout, record counts, checksums.
    Verify {
        /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Training-step throughput of the course's models (per backend), data decoding, and
    /// PyTorch side by side with `--compare torch`; flags as `ngvm bench --help`.
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Pack what a lent GPU machine needs into `.gpu/` (the binary with wgpu + vulkan,
    /// stripped and gzipped, and the Vulkan loader's packages); `scripts/gpu-run.sh` runs it.
    GpuBundle(gpu_bundle::Args),
    /// Rerun the experiments behind every README figure (`docs/figures.toml`), copy the
    /// figures into the crates' `docs/` and record where each came from (`docs/figures.md`).
    Docs(docs::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Curriculum(args) => curriculum::run(args),
        Task::Report { runs } => report::run(runs.as_deref()),
        Task::Download(args) => download::run(args),
        Task::Verify { data_dir } => verify::run(data_dir.as_deref()),
        Task::Run { experiment, args } => run_experiment::run(&experiment, &args),
        Task::Bench { args } => bench::run(&args),
        Task::GpuBundle(args) => gpu_bundle::run(args),
        Task::Docs(args) => docs::run(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
