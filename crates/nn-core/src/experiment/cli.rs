//! The command line shared by every topic binary: one subcommand per experiment, the same
//! flags everywhere. Flags override the config file, which overrides the preset.

use super::config_file::{resolve_config, set_key};
use super::{Experiment, Registry};
use crate::backend::BackendKind;
use crate::data::DataDir;
use crate::error::{ConfigError, Error, Result};
use crate::run::{Run, RunOptions, Summary};
use clap::{Args, FromArgMatches};
use serde_json::Value;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which preset to start from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Minutes on 2 CPU cores, small data.
    Quick,
    /// The real assignment.
    Full,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }
}

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

/// Resolves the config of `experiment` from preset, file and flags, opens the run, runs it
/// and writes `config.json` and `summary.json`.
pub fn run_experiment(experiment: &dyn Experiment, args: &CommonArgs) -> Result<Summary> {
    let mut resumed_elsewhere = None;
    let (config, preset, seed, limit, synthetic, data_dir) = match &args.resume {
        Some(dir) => {
            let mut saved = saved_config(dir, experiment.name())?;
            // `--data-dir` (or NGVM_DATA_DIR) on a resume points at the data where it is
            // now; the loading checks it is the same data, split by split.
            if let Some(now) = data_dir_given(args.data_dir.as_deref()) {
                let now = absolute(&now);
                if now != saved.5 {
                    resumed_elsewhere = Some((saved.5.clone(), now.clone()));
                }
                saved.5 = now;
            }
            saved
        }
        None => {
            // The seed is the run's, not the experiment's: it joins the settings only to be
            // set like them (file, then `--seed`, then `--set`), and leaves before the check.
            let mut preset = experiment.preset(args.preset);
            if let Some(settings) = preset.as_object_mut() {
                settings.insert("seed".into(), Value::from(42u64));
            }
            let mut config = resolve_config(&preset, args.config.as_deref())?;
            let overrides: [(&str, &str, Option<Value>); 6] = [
                (
                    "dataset",
                    "--dataset",
                    args.dataset.clone().map(Value::from),
                ),
                ("epochs", "--epochs", args.epochs.map(Value::from)),
                (
                    "batch_size",
                    "--batch-size",
                    args.batch_size.map(Value::from),
                ),
                ("lr", "--lr", finite(args.lr, "--lr")?.map(Value::from)),
                ("seed", "--seed", args.seed.map(Value::from)),
                (
                    "images",
                    "--images",
                    args.images
                        .as_ref()
                        .map(|p| Value::from(absolute(p).display().to_string())),
                ),
            ];
            for (key, flag, value) in overrides {
                if let Some(value) = value {
                    set_key(&mut config, key, value, flag)?;
                }
            }
            for assignment in &args.set {
                let (key, value) = parse_assignment(assignment)?;
                set_key(&mut config, &key, value, "--set")?;
            }
            let seed = take_seed(&mut config)?.unwrap_or(42);
            let config = experiment.check(&config)?;
            // Absolute, so that a resume from another working directory finds it.
            let data_dir = absolute(&DataDir::resolve(args.data_dir.as_deref()));
            (
                config,
                args.preset.name().to_string(),
                seed,
                args.limit,
                args.synthetic,
                data_dir,
            )
        }
    };
    if args.print_config {
        println!(
            "{}",
            serde_json::to_string_pretty(&config).unwrap_or_default()
        );
        return Ok(Summary::default());
    }
    let mut run = Run::open(RunOptions {
        experiment: experiment.name().to_string(),
        preset,
        backend: args.backend,
        seed,
        data_dir,
        allow_synthetic: synthetic,
        limit,
        out: args.out.clone(),
        resume: args.resume.clone(),
        progress: std::io::stderr().is_terminal(),
    })?;
    run.set_devices(&args.devices)?;
    if let Some((before, now)) = resumed_elsewhere {
        run.note(format!(
            "resumed with the data in {} (the run started with {}); each split read was \
             checked to hold the same images",
            now.display(),
            before.display()
        ));
    }
    if !run.resumed {
        run.write_config(&config)?;
    }
    eprintln!("{}: run directory {}", experiment.name(), run.dir.display());
    let summary = match experiment.run(&config, &mut run) {
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

/// The data folder a command line names: `--data-dir`, else a non-empty NGVM_DATA_DIR.
fn data_dir_given(flag: Option<&std::path::Path>) -> Option<PathBuf> {
    flag.map(PathBuf::from).or_else(|| {
        std::env::var_os("NGVM_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    })
}

/// `path` made absolute against the working directory (unchanged if that fails).
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `value` unless it is NaN or infinite: then an error naming `flag` and the value given.
fn finite(value: Option<f64>, flag: &str) -> Result<Option<f64>> {
    match value {
        Some(v) if !v.is_finite() => Err(Error::Other(format!(
            "{flag} {v}: expected a finite number, e.g. {flag} 0.001"
        ))),
        other => Ok(other),
    }
}

/// Takes the `seed` key out of `config` (it belongs to the run, not to the experiment's
/// settings): a non-negative integer, else an error naming the key.
fn take_seed(config: &mut Value) -> Result<Option<u64>> {
    let Some(value) = config.as_object_mut().and_then(|o| o.remove("seed")) else {
        return Ok(None);
    };
    value.as_u64().map(Some).ok_or_else(|| {
        ConfigError::Key {
            key: "seed".into(),
            message: format!("must be a non-negative integer, got {value}"),
        }
        .into()
    })
}

/// `KEY=VALUE` with VALUE in TOML (a bare word that is not TOML is taken as a string).
fn parse_assignment(text: &str) -> Result<(String, Value)> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(Error::Other(format!(
            "--set {text}: expected KEY=VALUE, e.g. --set guidance=5"
        )));
    };
    let key = key.trim().to_string();
    let value = value.trim();
    let toml_value = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|t| t.get("v").cloned());
    if let Some(toml::Value::Float(f)) = toml_value
        && !f.is_finite()
    {
        return Err(Error::Other(format!(
            "--set {text}: `{value}` is not a finite number; give one such as --set {key}=0.5"
        )));
    }
    let parsed: Value = toml_value
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or_else(|| Value::from(value));
    Ok((key, parsed))
}

type Saved = (Value, String, u64, Option<usize>, bool, PathBuf);

/// The config a run of `experiment` was started with, from its `config.json`; an error
/// naming the other experiment when the directory is another's run.
fn saved_config(dir: &std::path::Path, experiment: &str) -> Result<Saved> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let saved: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Other(format!("{}: damaged ({e})", path.display())))?;
    if let Some(owner) = saved.get("experiment").and_then(Value::as_str)
        && owner != experiment
    {
        return Err(Error::Other(format!(
            "--resume {}: that is a run of `{owner}`, not of `{experiment}`: resume it with \
             `ngvm {owner} --resume {}`",
            dir.display(),
            dir.display()
        )));
    }
    let mut config = saved.get("config").cloned().unwrap_or(Value::Null);
    // Runs saved before the seed left the experiments' settings have it in both places.
    take_seed(&mut config)?;
    Ok((
        config,
        saved
            .get("preset")
            .and_then(Value::as_str)
            .unwrap_or("quick")
            .to_string(),
        saved.get("seed").and_then(Value::as_u64).unwrap_or(42),
        saved
            .get("limit")
            .and_then(Value::as_u64)
            .map(|l| l as usize),
        saved
            .get("synthetic")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        saved
            .get("data_dir")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .unwrap_or_else(|| DataDir::resolve(None)),
    ))
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
