//! The command line shared by every topic binary: one subcommand per experiment, the same
//! flags everywhere. Flags override the config file, which overrides the preset.

use super::settings::{Resolved, resolve};
use super::{Experiment, Registry};
use crate::backend::BackendKind;
use crate::error::{Error, Result};
use crate::run::{Run, RunOptions, Summary};
use clap::{Args, FromArgMatches};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub use nn_data::Preset;

/// The flags every experiment takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Start from this preset.
    #[arg(long, value_enum, default_value_t = Preset::Quick)]
    pub preset: Preset,
    /// A TOML file of config values over the preset (unknown keys are an error).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Training epochs.
    #[arg(long)]
    pub epochs: Option<u64>,
    /// Examples per mini-batch.
    #[arg(long)]
    pub batch_size: Option<u64>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of every random choice (initial weights, data order, augmentation, noise).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Data set to run on, where the experiment offers a choice (e.g. cifar-10 for cifar-100).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// A folder of images to train on instead of the experiment's data set, where it takes
    /// one (the GANs: any pictures, in sub-folders or not).
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Any setting of the experiment as KEY=VALUE (a TOML value: `--set guidance=5`,
    /// `--set schedule='"cosine"'`, `--set channel_mults=[1,2,2]`); repeatable, applied last.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Use at most N training and N test examples (a seeded subset).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Backend to run on.
    #[arg(long, value_enum, default_value_t = BackendKind::preferred())]
    pub backend: BackendKind,
    /// Train on several devices of the backend at once, data-parallel (classifiers only):
    /// `--devices 0,1` for two GPUs. Each batch is split across them. A CPU backend has
    /// one device, so there every entry is the same CPU (this only tests the path).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub devices: Vec<usize>,
    /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Parent of the run directories.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub out: PathBuf,
    /// Run on synthetic stand-ins where a data set is absent (marked so in the summary).
    #[arg(long)]
    pub synthetic: bool,
    /// Continue the run in DIR from its last good checkpoint (its saved config is used).
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Print the resolved config as JSON and exit without running.
    #[arg(long)]
    pub print_config: bool,
}

/// Resolves the settings of `experiment` ([`resolve`]), opens the run, runs it and writes
/// `config.json` and `summary.json`.
pub fn run_experiment(experiment: &dyn Experiment, args: &CommonArgs) -> Result<Summary> {
    let settings = resolve(experiment, args)?;
    if args.print_config {
        println!(
            "{}",
            serde_json::to_string_pretty(&settings.config).unwrap_or_default()
        );
        return Ok(Summary::default());
    }
    let mut run = open_run(experiment, args, &settings)?;
    if !run.resumed {
        run.write_config(&settings.config)?;
    }
    eprintln!("{}: run directory {}", experiment.name(), run.dir.display());
    let summary = match experiment.run(&settings.config, &mut run) {
        Ok(summary) => Summary {
            words: experiment.words(),
            ..summary
        },
        Err(e) => {
            // The reason stays with the run (the curriculum and the report show it).
            let _ = std::fs::write(run.dir.join("error.txt"), format!("{e}\n"));
            return Err(e);
        }
    };
    run.write_summary(&summary)?;
    Ok(summary)
}

/// The run directory for `settings` (new, or the one `--resume` names), with the devices
/// the flags ask for and a note when a resume reads its data from a new place.
fn open_run(experiment: &dyn Experiment, args: &CommonArgs, settings: &Resolved) -> Result<Run> {
    let mut run = Run::open(RunOptions {
        experiment: experiment.name().to_string(),
        preset: settings.preset.clone(),
        backend: args.backend,
        seed: settings.seed,
        data_dir: settings.data_dir.clone(),
        allow_synthetic: settings.synthetic,
        limit: settings.limit,
        out: args.out.clone(),
        resume: args.resume.clone(),
        progress: std::io::stderr().is_terminal(),
    })?;
    run.set_devices(&args.devices)?;
    if let Some((before, now)) = &settings.moved_data {
        run.note(format!(
            "resumed with the data in {} (the run started with {}); each split read was \
             checked to hold the same images",
            now.display(),
            before.display()
        ));
    }
    Ok(run)
}

/// The `main` of a topic binary: a subcommand per experiment of `registry` (by the part of
/// its name after `/`), plus `list`.
pub fn cli_main(bin: &'static str, about: &'static str, registry: &Registry) -> ExitCode {
    crate::allocator::tune_for_training();
    let mut command = clap::Command::new(bin)
        .about(about)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(clap::Command::new("list").about("List the experiments with their presets"));
    // One topic's binary names its experiments by the part after `/`; the whole course's
    // (`ngvm`) by their full names.
    let topics: std::collections::BTreeSet<&str> = registry
        .iter()
        .map(|e| e.name().split('/').next().unwrap_or_default())
        .collect();
    for experiment in registry.iter() {
        let name = if topics.len() > 1 {
            experiment.name()
        } else {
            experiment
                .name()
                .rsplit('/')
                .next()
                .unwrap_or(experiment.name())
        };
        // `about` after the flags: `augment_args` sets the command's about to
        // `CommonArgs`' doc comment, which would name every experiment alike.
        command = command.subcommand(
            CommonArgs::augment_args(clap::Command::new(name.to_string()))
                .about(experiment.about().to_string()),
        );
    }
    let matches = command.get_matches();
    let (name, sub) = matches.subcommand().expect("subcommand_required");
    if name == "list" {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let width = registry.iter().map(|e| e.name().len()).max().unwrap_or(0);
        for experiment in registry.iter() {
            // A closed pipe (`ngvm list | head`) ends the list instead of panicking.
            let (name, about) = (experiment.name(), experiment.about());
            if writeln!(out, "{name:<width$} {about}").is_err() {
                break;
            }
        }
        return ExitCode::SUCCESS;
    }
    let args = match CommonArgs::from_arg_matches(sub) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let result = registry.find(name).and_then(|e| run_experiment(e, &args));
    match result {
        Ok(summary) => {
            if !args.print_config {
                print_summary(&summary);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                Error::Interrupted { .. } => ExitCode::from(130),
                Error::Diverged { .. } => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn print_summary(summary: &Summary) {
    println!(
        "{} ({} preset, {} backend, {} data: {} (train / test)) in {:.1} s",
        summary.experiment,
        summary.preset,
        summary.backend,
        if summary.data.synthetic {
            "SYNTHETIC"
        } else {
            "real"
        },
        summary.data.describe(),
        summary.wall_seconds
    );
    for (name, value) in &summary.metrics {
        if *value != 0.0 && value.abs() < 1e-3 {
            println!("  {name:<28} {value:.3e}");
        } else {
            println!("  {name:<28} {value:.4}");
        }
    }
}
