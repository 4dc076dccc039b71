//! The experiment contract: a serialisable config with `quick()` and `full()` presets, a
//! `run(&config, &mut Run) -> Result<Summary>`, a registry to find experiments by name, and
//! the command line every topic binary (and `cargo xtask`) shares.

mod cli;
mod config_file;
mod settings;

pub use cli::{CommonArgs, Preset, cli_main, run_experiment};
pub use config_file::resolve_config;
pub use nn_data::CurriculumArgs;
pub use settings::{Resolved, resolve};

use crate::error::{ConfigError, Result};
use crate::run::{Run, Summary, Words};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An experiment's configuration: serialisable, with two presets.
pub trait ExperimentConfig: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// Minutes on 2 CPU cores, small data: for a first look and for CI.
    fn quick() -> Self;
    /// The real assignment.
    fn full() -> Self;
    /// Checks values beyond their types (positive epochs, ...), naming the key.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
    /// Data sets it reads that no config value names (a fixed test set, a default);
    /// those named by a value are found without it.
    fn fixed_datasets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// An experiment with its config type erased, so a registry can hold many.
pub trait Experiment: Send + Sync {
    /// `topic/name`, e.g. `cnn/fashion-mnist`.
    fn name(&self) -> &str;
    /// One line saying what it does.
    fn about(&self) -> &str;
    /// The preset as JSON.
    fn preset(&self, preset: Preset) -> serde_json::Value;
    /// Checks a JSON config (types via serde, values via `validate`) and returns it
    /// normalised.
    fn check(&self, config: &serde_json::Value) -> Result<serde_json::Value>;
    /// Runs with a JSON config (already resolved and checked).
    fn run(&self, config: &serde_json::Value, run: &mut Run) -> Result<Summary>;
    /// The catalog data sets a run with this config reads (so a curriculum downloads
    /// only those).
    fn datasets(&self, config: &serde_json::Value) -> Vec<String>;
    /// What the report says of it: its week's lesson, its guide and its headline.
    fn words(&self) -> Words;
}

/// A week of the course as the report shows it: a topic crate's `LESSON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lesson {
    /// The week's number in the course (`"4"`, or `"1-2"` for a topic over two weeks).
    pub week: &'static str,
    pub title: &'static str,
    /// The lesson in a few sentences.
    pub text: &'static str,
}

/// An [`Experiment`] from a config type and a run function, with the report's words.
pub struct Typed<C> {
    name: String,
    about: String,
    run: fn(&C, &mut Run) -> Result<Summary>,
    guide: &'static str,
    headline: &'static str,
    quick_caveat: &'static str,
    lesson: Option<Lesson>,
}

impl<C> Typed<C> {
    /// What its figures show and what to look for (the report's text above them).
    pub fn guide(mut self, guide: &'static str) -> Self {
        self.guide = guide;
        self
    }

    /// The summary table's headline template (see [`Words::headline`]).
    pub fn headline(mut self, template: &'static str) -> Self {
        self.headline = template;
        self
    }

    /// What the quick preset cannot show, said before its headline (see
    /// [`Words::quick_caveat`]).
    pub fn quick_caveat(mut self, caveat: &'static str) -> Self {
        self.quick_caveat = caveat;
        self
    }
}

/// A typed experiment for a registry; add its words with [`Typed::guide`] and
/// [`Typed::headline`] (its week's lesson comes from the registry it joins).
pub fn experiment<C: ExperimentConfig>(
    name: &str,
    about: &str,
    run: fn(&C, &mut Run) -> Result<Summary>,
) -> Typed<C> {
    Typed {
        name: name.to_string(),
        about: about.to_string(),
        run,
        guide: "",
        headline: "",
        quick_caveat: "",
        lesson: None,
    }
}

fn typed<C: ExperimentConfig>(config: &serde_json::Value) -> Result<C> {
    let parsed: C = serde_json::from_value(config.clone()).map_err(|e| ConfigError::Key {
        key: "(config)".into(),
        message: e.to_string(),
    })?;
    parsed.validate()?;
    Ok(parsed)
}

impl<C: ExperimentConfig> Experiment for Typed<C> {
    fn name(&self) -> &str {
        &self.name
    }
    fn about(&self) -> &str {
        &self.about
    }
    fn preset(&self, preset: Preset) -> serde_json::Value {
        let config = match preset {
            Preset::Quick => C::quick(),
            Preset::Full => C::full(),
        };
        serde_json::to_value(config).expect("configs serialise to JSON")
    }
    fn check(&self, config: &serde_json::Value) -> Result<serde_json::Value> {
        let parsed: C = typed(config)?;
        Ok(serde_json::to_value(parsed).expect("configs serialise to JSON"))
    }
    fn run(&self, config: &serde_json::Value, run: &mut Run) -> Result<Summary> {
        let parsed: C = typed(config)?;
        (self.run)(&parsed, run)
    }
    fn datasets(&self, config: &serde_json::Value) -> Vec<String> {
        let mut names = typed::<C>(config)
            .map(|c| c.fixed_datasets())
            .unwrap_or_default();
        collect_catalog_names(config, &mut names);
        names.sort();
        names.dedup();
        names
    }
    fn words(&self) -> Words {
        let lesson = self.lesson.unwrap_or(Lesson {
            week: "",
            title: "",
            text: "",
        });
        Words {
            week: lesson.week.into(),
            week_title: lesson.title.into(),
            lesson: lesson.text.into(),
            guide: self.guide.into(),
            headline: self.headline.into(),
            quick_caveat: self.quick_caveat.into(),
        }
    }
}

/// Every string in `value` that names a catalog data set.
fn collect_catalog_names(value: &serde_json::Value, names: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if crate::data::find(s).is_ok() => names.push(s.clone()),
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| collect_catalog_names(v, names))
        }
        serde_json::Value::Object(map) => {
            map.values().for_each(|v| collect_catalog_names(v, names))
        }
        _ => {}
    }
}

/// Experiments by name, in course order.
#[derive(Default)]
pub struct Registry {
    experiments: Vec<Box<dyn Experiment>>,
    /// The week every experiment added with [`Registry::with`] belongs to.
    lesson: Option<Lesson>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry of one week of the course: its experiments carry `lesson`.
    pub fn topic(lesson: Lesson) -> Self {
        Self {
            experiments: Vec::new(),
            lesson: Some(lesson),
        }
    }

    /// Adds an experiment (builder style), in this registry's week.
    pub fn with<C: ExperimentConfig>(mut self, mut experiment: Typed<C>) -> Self {
        experiment.lesson = experiment.lesson.or(self.lesson);
        self.experiments.push(Box::new(experiment));
        self
    }

    /// Adds every experiment of another registry (a topic crate's).
    pub fn extend(mut self, other: Registry) -> Self {
        self.experiments.extend(other.experiments);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Experiment> {
        self.experiments.iter().map(|e| e.as_ref())
    }

    /// Finds by full name (`cnn/fashion-mnist`) or, when unique, by the part after `/`.
    pub fn find(&self, name: &str) -> Result<&dyn Experiment> {
        let exact = self.iter().find(|e| e.name() == name);
        let short: Vec<&dyn Experiment> = self
            .iter()
            .filter(|e| e.name().rsplit('/').next() == Some(name))
            .collect();
        exact
            .or(if short.len() == 1 {
                Some(short[0])
            } else {
                None
            })
            .ok_or_else(|| {
                ConfigError::UnknownExperiment {
                    name: name.to_string(),
                    known: self
                        .iter()
                        .map(|e| e.name().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                }
                .into()
            })
    }

    pub fn len(&self) -> usize {
        self.experiments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.experiments.is_empty()
    }
}

/// One check of a config value for [`ExperimentConfig::validate`]: an error naming `key`
/// with `message` unless `ok`.
pub fn require(ok: bool, key: &str, message: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Key {
            key: key.into(),
            message: message.into(),
        })
    }
}

/// The checks every trained experiment needs of its common settings: positive `epochs`
/// and `batch_size`, a positive finite `lr`. Each error names its key.
pub fn require_training(epochs: usize, batch_size: usize, lr: f64) -> Result<(), ConfigError> {
    require(epochs > 0, "epochs", "must be positive")?;
    require(batch_size > 0, "batch_size", "must be positive")?;
    require_rate("lr", lr)
}

/// A learning rate (or any rate) under `key` must be a positive finite number.
pub fn require_rate(key: &str, rate: f64) -> Result<(), ConfigError> {
    require(
        rate > 0.0 && rate.is_finite(),
        key,
        "must be a positive number",
    )
}
