//! One place resolves a run's settings, in this order: the experiment's preset, then the
//! `--config` file, then the flags (`--epochs`, `--lr`, ...), then `--set KEY=VALUE`; the
//! seed goes through the same steps and then leaves the experiment's settings for the run's.
//! On `--resume` the run's saved config is taken as it was, and a resume may change only
//! where the data is (`--data-dir` or `NGVM_DATA_DIR`: the run checks it is the same data),
//! and how it runs (backend, devices, output folder): never what it computes.

use super::config_file::{resolve_config, set_key};
use super::{CommonArgs, Experiment};
use crate::data::DataDir;
use crate::error::{ConfigError, Error, Result};
use serde_json::Value;
use std::path::PathBuf;

/// Everything a run starts from, resolved once.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The experiment's settings, checked.
    pub config: Value,
    pub preset: String,
    pub seed: u64,
    /// `--limit`: at most this many training (and test) examples.
    pub limit: Option<usize>,
    /// `--synthetic`: stand-ins where a data set is absent.
    pub synthetic: bool,
    /// The data folder, absolute (so a resume from elsewhere finds it).
    pub data_dir: PathBuf,
    /// On a resume whose data moved: where it was, and where it is now.
    pub moved_data: Option<(PathBuf, PathBuf)>,
}

/// The settings of a run of `experiment` as `args` ask: a fresh run's, or on `--resume` the
/// saved run's with the data folder the resume names.
pub fn resolve(experiment: &dyn Experiment, args: &CommonArgs) -> Result<Resolved> {
    match &args.resume {
        Some(dir) => resumed(experiment, dir, args),
        None => fresh(experiment, args),
    }
}

/// A new run: preset, file, flags, `--set`, each over the one before.
fn fresh(experiment: &dyn Experiment, args: &CommonArgs) -> Result<Resolved> {
    // The seed is the run's, not the experiment's: it joins the settings only to be set
    // like them (file, then `--seed`, then `--set`), and leaves before the check.
    let mut preset = experiment.preset(args.preset);
    if let Some(settings) = preset.as_object_mut() {
        settings.insert("seed".into(), Value::from(42u64));
    }
    let mut config = resolve_config(&preset, args.config.as_deref())?;
    for (key, flag, value) in flag_values(args)? {
        if let Some(value) = value {
            set_key(&mut config, key, value, flag)?;
        }
    }
    for assignment in &args.set {
        let (key, value) = parse_assignment(assignment)?;
        set_key(&mut config, &key, value, "--set")?;
    }
    let seed = take_seed(&mut config)?.unwrap_or(42);
    Ok(Resolved {
        config: experiment.check(&config)?,
        preset: args.preset.name().to_string(),
        seed,
        limit: args.limit,
        synthetic: args.synthetic,
        data_dir: absolute(&DataDir::resolve(args.data_dir.as_deref())),
        moved_data: None,
    })
}

/// The settings the flags set directly: (key, flag, value when given).
fn flag_values(args: &CommonArgs) -> Result<[(&'static str, &'static str, Option<Value>); 6]> {
    let images = args
        .images
        .as_ref()
        .map(|p| Value::from(absolute(p).display().to_string()));
    Ok([
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
        ("images", "--images", images),
    ])
}

/// A resume: the saved run's settings, with the data folder the resume names.
fn resumed(
    experiment: &dyn Experiment,
    dir: &std::path::Path,
    args: &CommonArgs,
) -> Result<Resolved> {
    let mut saved = saved_config(dir, experiment.name())?;
    if let Some(now) = data_dir_given(args.data_dir.as_deref()) {
        let now = absolute(&now);
        if now != saved.data_dir {
            saved.moved_data = Some((saved.data_dir.clone(), now.clone()));
        }
        saved.data_dir = now;
    }
    Ok(saved)
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

/// The config a run of `experiment` was started with, from its `config.json`; an error
/// naming the other experiment when the directory is another's run.
fn saved_config(dir: &std::path::Path, experiment: &str) -> Result<Resolved> {
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
    let field = |key: &str| saved.get(key);
    Ok(Resolved {
        config,
        preset: field("preset")
            .and_then(Value::as_str)
            .unwrap_or("quick")
            .to_string(),
        seed: field("seed").and_then(Value::as_u64).unwrap_or(42),
        limit: field("limit").and_then(Value::as_u64).map(|l| l as usize),
        synthetic: field("synthetic").and_then(Value::as_bool).unwrap_or(false),
        data_dir: field("data_dir")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .unwrap_or_else(|| DataDir::resolve(None)),
        moved_data: None,
    })
}
