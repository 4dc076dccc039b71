//! A run directory's records, as files: `summary.json` (the figures, the data, the host, the
//! course's words) and where finished and started runs of an experiment lie under `--out`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which data a run trained on, as `summary.json` records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// Every data set the run read, in the order first read, joined by ", ".
    pub name: String,
    /// Made by the program (by design, as the perceptron's points, or as a stand-in).
    pub synthetic: bool,
    /// A synthetic stand-in for a data set that was absent (`--synthetic`): the run checks
    /// the pipeline, its figures are not results.
    #[serde(default)]
    pub stand_in: bool,
    /// Training images of the data set read last (each set's are in `sets`).
    pub train: usize,
    /// Test (or held-out) images of the data set read last.
    pub test: usize,
    /// Each data set read through the catalog, with its own counts: one for most runs,
    /// several for transfer from one set to another or an ablation over two (empty in
    /// summaries written before it was recorded, and for data a run made itself).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<DataSetUse>,
}

/// One data set of a run that reads several, and how many images it took from each split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSetUse {
    pub name: String,
    pub train: usize,
    pub test: usize,
}

impl DataInfo {
    /// Records that `split` (`train`/`all` or `test`; others only name the set) of data set
    /// `name` gave `count` images, keeping what earlier data sets of the run recorded.
    pub fn record_split(&mut self, name: &str, split: &str, count: usize) {
        let index = match self.sets.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.sets.push(DataSetUse {
                    name: name.to_string(),
                    ..DataSetUse::default()
                });
                self.sets.len() - 1
            }
        };
        let set = &mut self.sets[index];
        match split {
            "train" | "all" => set.train = count,
            "test" => set.test = count,
            _ => {}
        }
        (self.train, self.test) = (set.train, set.test);
        self.name = self
            .sets
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
    }

    /// Sets the train / test counts of the data set read last (after a hold-out split).
    pub fn recount_last(&mut self, train: usize, test: usize) {
        (self.train, self.test) = (train, test);
        if let Some(last) = self.sets.last_mut() {
            (last.train, last.test) = (train, test);
        }
    }

    /// For people: `cifar-10 4000 / 1000`, or every set's counts when there are several
    /// (`fashion-mnist 60000 / 10000, pneumoniamnist 4708 / 624`); the name alone when no
    /// image was counted.
    pub fn describe(&self) -> String {
        let one = |name: &str, train: usize, test: usize| {
            if train + test == 0 {
                name.to_string()
            } else {
                format!("{name} {train} / {test}")
            }
        };
        if self.sets.len() > 1 {
            self.sets
                .iter()
                .map(|s| one(&s.name, s.train, s.test))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            one(&self.name, self.train, self.test)
        }
    }
}

/// What the report says of a run, written into its summary by the experiment that ran
/// (each topic crate holds its own words; the report reads only run directories).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Words {
    /// The week of the course: its number (`"4"`, `"1-2"`), title and lesson.
    pub week: String,
    pub week_title: String,
    pub lesson: String,
    /// What the experiment's figures show and what to look for in them.
    pub guide: String,
    /// The summary table's headline template (`{key}`, `{key:%}`, `{key:M}`, `{key:±}`;
    /// alternatives after `||` for runs that lack a figure: see `report::headline`); empty
    /// for the first usual figure the run reports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub headline: String,
    /// What a quick run cannot show and why, said before its quick headline (a study
    /// over seeds, a deep network: "too short to separate the settings"); empty when the
    /// quick preset shows the lesson in miniature.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub quick_caveat: String,
}

/// `summary.json`: the stable top level that the report, README and scripts read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub preset: String,
    pub backend: String,
    /// The machine it ran on (absent in summaries written before it was recorded).
    #[serde(default)]
    pub host: crate::host::Host,
    pub seed: u64,
    pub data: DataInfo,
    pub epochs: usize,
    pub wall_seconds: f64,
    /// Wall time of each epoch, in seconds.
    pub epoch_seconds: Vec<f64>,
    /// Final figures: a flat map of name to number (`test_accuracy`, `test_psnr_db`, ...).
    /// A figure that could not be measured (NaN) is written as `null` and read back as NaN.
    #[serde(deserialize_with = "figures_with_nulls")]
    pub metrics: BTreeMap<String, f64>,
    /// Pictures and other files the run wrote, relative to the run directory.
    pub files: Vec<String>,
    /// Anything a reader must know (e.g. why data was synthetic).
    pub notes: Vec<String>,
    /// The course's words on this run (empty in summaries written before they were).
    #[serde(default)]
    pub words: Words,
}

/// Reads a metrics map whose unmeasured figures JSON wrote as `null` (serde_json writes NaN
/// so) back as NaN.
fn figures_with_nulls<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<BTreeMap<String, f64>, D::Error> {
    let raw: BTreeMap<String, Option<f64>> = Deserialize::deserialize(deserializer)?;
    Ok(raw
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or(f64::NAN)))
        .collect())
}

/// The finished run directories (those with `summary.json`) of `experiment` under an
/// `--out` folder, oldest first (the stamps sort by time).
pub fn finished_runs(out: &Path, experiment: &str) -> Vec<PathBuf> {
    runs_holding(out, experiment, "summary.json")
}

/// Every run directory of `experiment` under `out` that got as far as its `config.json`
/// (finished, failed or interrupted), oldest first.
pub fn started_runs(out: &Path, experiment: &str) -> Vec<PathBuf> {
    runs_holding(out, experiment, "config.json")
}

/// The run directories of `experiment` under `out` that hold `file`, oldest first.
fn runs_holding(out: &Path, experiment: &str, file: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join(experiment))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|d| d.join(file).exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The newest finished run of `experiment` under `out` and its `summary.json`, parsed.
pub fn newest_summary(out: &Path, experiment: &str) -> Option<(PathBuf, serde_json::Value)> {
    let dir = finished_runs(out, experiment).pop()?;
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    Some((dir, serde_json::from_str(&text).ok()?))
}
