//! `Run`: what an experiment gets to run with (device, seed, data, run directory), and the
//! files it leaves: `config.json`, `metrics.jsonl`, `summary.json`, plots, `checkpoints/`.

use crate::backend::BackendKind;
use crate::error::{Error, Result};
use burn::prelude::Device;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod data_identity;
mod lock;
pub use data_identity::LoadedSplit;
pub use lock::FolderLock;

/// The lock file of a run directory, held while a process writes there.
pub const LOCK_FILE: &str = "run.lock";

pub use nn_data::records::{
    DataInfo, DataSetUse, Summary, Words, finished_runs, newest_summary, started_runs,
};

/// Everything an experiment runs with.
pub struct Run {
    pub experiment: String,
    pub preset: String,
    pub backend: BackendKind,
    /// The inference device; [`Run::train_device`] adds autodiff.
    pub device: Device,
    pub seed: u64,
    pub data_dir: PathBuf,
    /// Run on synthetic stand-ins when a data set is absent (`--synthetic`).
    pub allow_synthetic: bool,
    /// Use at most this many training (and test) examples (`--limit`).
    pub limit: Option<usize>,
    /// The run directory.
    pub dir: PathBuf,
    /// The directory `--resume` takes: the run's own, or for a stage its parent run's.
    pub resume_dir: PathBuf,
    /// True when continuing an earlier run (`--resume`).
    pub resumed: bool,
    /// The parent of all run directories (`--out`), to find sibling runs.
    pub out_root: PathBuf,
    /// Draw progress bars (off in tests and when stderr is not a terminal).
    pub progress: bool,
    /// The training devices of data-parallel training (`--devices`): empty for one device.
    devices: Vec<Device>,
    /// Whether a training loop took [`Run::parallel_devices`].
    devices_used: bool,
    /// The run directory's lock, held by the run (a stage runs under its parent's).
    _lock: Option<FolderLock>,
    started: Instant,
    data: DataInfo,
    epoch_seconds: Vec<f64>,
    files: Vec<String>,
    notes: Vec<String>,
}

/// Settings to open a run with.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub experiment: String,
    pub preset: String,
    pub backend: BackendKind,
    pub seed: u64,
    pub data_dir: PathBuf,
    pub allow_synthetic: bool,
    pub limit: Option<usize>,
    /// Parent of `runs/` (`--out`); the run goes to `<out>/<experiment>/<UTC timestamp>/`.
    pub out: PathBuf,
    /// An existing run directory to continue instead of a new one.
    pub resume: Option<PathBuf>,
    pub progress: bool,
}

impl RunOptions {
    /// A new run of `experiment` under `out` with the defaults of the command line
    /// (preset `custom`, the preferred backend, seed 42, the default data directory, no
    /// synthetic stand-ins, no limit, no progress bars); change fields with struct update
    /// syntax: `RunOptions { seed: 7, ..RunOptions::new("my-topic/mine", out) }`.
    pub fn new(experiment: &str, out: &Path) -> Self {
        Self {
            experiment: experiment.to_string(),
            preset: "custom".into(),
            backend: BackendKind::preferred(),
            seed: 42,
            data_dir: nn_data::DataDir::resolve(None),
            allow_synthetic: false,
            limit: None,
            out: out.to_path_buf(),
            resume: None,
            progress: false,
        }
    }
}

impl Run {
    /// Opens a run: creates (or reopens, when resuming) its directory and the device.
    pub fn open(options: RunOptions) -> Result<Run> {
        let device = crate::backend::device(options.backend)?;
        let (dir, resumed) = match &options.resume {
            Some(dir) => {
                if !dir.join("config.json").exists() {
                    return Err(Error::Other(format!(
                        "--resume {}: not a run directory (no config.json there)",
                        dir.display()
                    )));
                }
                (dir.clone(), true)
            }
            None => (new_run_dir(&options.out, &options.experiment)?, false),
        };
        // Before anything is written: a second process on this directory stops here.
        let lock = FolderLock::acquire(&dir.join(LOCK_FILE), &dir)?;
        std::fs::create_dir_all(dir.join("checkpoints")).map_err(|e| Error::io(&dir, e))?;
        let out_root = out_root(&dir, &options.experiment);
        Ok(Run {
            experiment: options.experiment,
            preset: options.preset,
            backend: options.backend,
            device,
            seed: options.seed,
            data_dir: options.data_dir,
            allow_synthetic: options.allow_synthetic,
            limit: options.limit,
            out_root,
            resume_dir: dir.clone(),
            dir,
            resumed,
            progress: options.progress,
            devices: Vec::new(),
            devices_used: false,
            _lock: Some(lock),
            started: Instant::now(),
            data: DataInfo::default(),
            epoch_seconds: Vec::new(),
            files: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// Trains data-parallel on devices `indices` of the run's backend (`--devices 0,1`);
    /// the first becomes the run's device. One index or none keeps one device.
    pub fn set_devices(&mut self, indices: &[usize]) -> Result<()> {
        if indices.len() < 2 {
            if let Some(&index) = indices.first() {
                self.device = crate::backend::device_at(self.backend, index)?;
            }
            return Ok(());
        }
        self.devices = indices
            .iter()
            .map(|&i| crate::backend::device_at(self.backend, i).map(Device::autodiff))
            .collect::<Result<_>>()?;
        self.device = crate::backend::device_at(self.backend, indices[0])?;
        Ok(())
    }

    /// The training devices of data-parallel training, or `None` for one device. Only
    /// the classifier path trains data-parallel; a run that asked for it and never took
    /// them says so in its summary notes.
    pub fn parallel_devices(&mut self) -> Option<Vec<Device>> {
        if self.devices.len() < 2 {
            return None;
        }
        self.devices_used = true;
        Some(self.devices.clone())
    }

    /// The training device: the run's device with autodiff.
    pub fn train_device(&self) -> Device {
        self.device.clone().autodiff()
    }

    /// A path inside the run directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The checkpoint folder.
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// Records a file the run wrote (relative to the run directory) for the summary.
    pub fn add_file(&mut self, path: &Path) {
        let rel = path
            .strip_prefix(&self.dir)
            .unwrap_or(path)
            .display()
            .to_string();
        if !self.files.contains(&rel) {
            self.files.push(rel);
        }
    }

    /// Notes where this run departs from the course's own set-up (data, resolution,
    /// weights, scale) and why; the report shows it beside the run's figures.
    pub fn note_departure(&mut self, course: &str, here: &str, why: &str) {
        self.note(format!(
            "departs from the course: the course used {course}; this run uses {here} ({why})"
        ));
    }

    /// Adds a note to the summary (and prints it).
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        eprintln!("note: {note}");
        self.notes.push(note);
    }

    /// Records how long an epoch took.
    pub fn record_epoch_time(&mut self, epoch: usize, seconds: f64) {
        if self.epoch_seconds.len() < epoch {
            self.epoch_seconds.resize(epoch, 0.0);
        }
        self.epoch_seconds[epoch - 1] = seconds;
    }

    /// The run's record of its data, which `nn_core::data::loading` keeps.
    pub(crate) fn data_record(&mut self) -> &mut DataInfo {
        &mut self.data
    }

    /// Adds `note` unless the run has it already.
    pub(crate) fn note_once(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.note(note);
        }
    }

    /// Records the data a run used when it did not come from the catalog (random inputs,
    /// a folder of one's own, a gallery of several sets).
    pub fn set_data(&mut self, info: DataInfo) {
        self.data = info;
    }

    /// The data recorded so far.
    pub fn data(&self) -> &DataInfo {
        &self.data
    }

    /// Appends one record to `metrics.jsonl` (one JSON object per line).
    pub fn log_metrics(&self, record: &serde_json::Value) -> Result<()> {
        let path = self.path("metrics.jsonl");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        writeln!(file, "{record}").map_err(|e| Error::io(&path, e))
    }

    /// Drops `metrics.jsonl` lines of epochs after `epoch` (a resumed run redoes them).
    pub fn truncate_metrics_after(&self, epoch: usize) -> Result<()> {
        let path = self.path("metrics.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(());
        };
        let kept: Vec<&str> = text
            .lines()
            .filter(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("epoch").and_then(|e| e.as_u64()))
                    .is_some_and(|e| e as usize <= epoch)
            })
            .collect();
        let mut out = kept.join("\n");
        if !out.is_empty() {
            out.push('\n');
        }
        nn_data::fs::write_atomic(&path, out.as_bytes())
    }

    /// Writes the run's configuration (everything needed to rerun it).
    pub fn write_config(&self, config: &serde_json::Value) -> Result<()> {
        let record = serde_json::json!({
            "experiment": self.experiment,
            "preset": self.preset,
            "backend": self.backend.name(),
            "seed": self.seed,
            "limit": self.limit,
            "synthetic": self.allow_synthetic,
            "data_dir": self.data_dir,
            "config": config,
        });
        let path = self.path("config.json");
        let text =
            serde_json::to_string_pretty(&record).map_err(|e| Error::Other(e.to_string()))?;
        nn_data::fs::write_atomic(&path, text.as_bytes())
    }

    /// Builds the summary from what the run recorded plus the experiment's final metrics.
    pub fn summary(&self, epochs: usize, metrics: BTreeMap<String, f64>) -> Summary {
        Summary {
            experiment: self.experiment.clone(),
            preset: self.preset.clone(),
            backend: self.backend.name().to_string(),
            host: crate::host::Host::read(),
            seed: self.seed,
            data: self.data.clone(),
            epochs,
            wall_seconds: self.started.elapsed().as_secs_f64(),
            epoch_seconds: self.epoch_seconds.clone(),
            metrics,
            files: self.files.clone(),
            notes: self.notes_with_devices(),
            words: Words::default(),
        }
    }

    /// The notes, plus one on `--devices` when more than one device was asked for.
    fn notes_with_devices(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        if self.devices.len() > 1 {
            notes.push(if self.devices_used {
                format!(
                    "trained data-parallel on {} devices (--devices)",
                    self.devices.len()
                )
            } else {
                "--devices was ignored: only the classifier path trains data-parallel; this run trained on the first device".to_string()
            });
        }
        notes
    }

    /// Writes `summary.json` atomically.
    pub fn write_summary(&self, summary: &Summary) -> Result<PathBuf> {
        let path = self.path("summary.json");
        let text =
            serde_json::to_string_pretty(summary).map_err(|e| Error::Other(e.to_string()))?;
        nn_data::fs::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// The `--out` folder of a run directory `<out>/<experiment>/<stamp>` (experiment names
/// hold a `/`, so that is one level per name part plus the stamp).
fn out_root(dir: &Path, experiment: &str) -> PathBuf {
    let levels = experiment.split('/').count() + 1;
    dir.ancestors().nth(levels).unwrap_or(dir).to_path_buf()
}

impl Run {
    /// A stage of this run in its own sub-folder `<run dir>/<name>/` with its own
    /// `metrics.jsonl` and `checkpoints/`: for experiments that train several models (a CNN
    /// and an MLP, with and without augmentation). Same device, seed, data and resume state.
    pub fn stage(&self, name: &str) -> Result<Run> {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(dir.join("checkpoints")).map_err(|e| Error::io(&dir, e))?;
        Ok(Run {
            experiment: format!("{} [{name}]", self.experiment),
            preset: self.preset.clone(),
            backend: self.backend,
            device: self.device.clone(),
            seed: self.seed,
            data_dir: self.data_dir.clone(),
            allow_synthetic: self.allow_synthetic,
            limit: self.limit,
            dir,
            resume_dir: self.resume_dir.clone(),
            resumed: self.resumed,
            out_root: self.out_root.clone(),
            progress: self.progress,
            devices: self.devices.clone(),
            devices_used: false,
            _lock: None,
            started: Instant::now(),
            data: self.data.clone(),
            epoch_seconds: Vec::new(),
            files: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// Takes a finished stage's files and notes into this run's summary.
    pub fn absorb(&mut self, stage: &Run) {
        let prefix = stage
            .dir
            .strip_prefix(&self.dir)
            .unwrap_or(&stage.dir)
            .to_path_buf();
        for file in &stage.files {
            let rel = prefix.join(file).display().to_string();
            if !self.files.contains(&rel) {
                self.files.push(rel);
            }
        }
        for note in &stage.notes {
            if !self.notes.contains(note) {
                self.notes.push(note.clone());
            }
        }
        if stage.data.synthetic {
            self.data.synthetic = true;
        }
        self.data.stand_in |= stage.data.stand_in;
        // Data sets the stage read itself join the run's list (the ones it inherited are
        // recorded again with the same counts).
        for set in &stage.data.sets {
            self.data.record_split(&set.name, "train", set.train);
            self.data.record_split(&set.name, "test", set.test);
        }
        self.devices_used |= stage.devices_used;
        if self.epoch_seconds.is_empty() {
            self.epoch_seconds = stage.epoch_seconds.clone();
        }
    }

    /// The newest finished run (one with `summary.json`) of `experiment` under this run's
    /// `--out` folder with the same seed and the same values for `keys` in its `config.json`.
    pub fn latest_sibling(
        &self,
        experiment: &str,
        config: &serde_json::Value,
        keys: &[&str],
    ) -> Option<PathBuf> {
        finished_runs(&self.out_root, experiment)
            .into_iter()
            .rev()
            .find(|dir| {
                let Ok(text) = std::fs::read_to_string(dir.join("config.json")) else {
                    return false;
                };
                let Ok(saved) = serde_json::from_str::<serde_json::Value>(&text) else {
                    return false;
                };
                saved["seed"].as_u64() == Some(self.seed)
                    && keys
                        .iter()
                        .all(|k| saved["config"].get(*k) == config.get(*k))
            })
    }
}

/// `<out>/<experiment>/<UTC timestamp>/`, unique even when two runs start in one second.
fn new_run_dir(out: &Path, experiment: &str) -> Result<PathBuf> {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace(':', "-");
    let base = out.join(experiment);
    for k in 0..1000 {
        let dir = if k == 0 {
            base.join(&stamp)
        } else {
            base.join(format!("{stamp}-{k}"))
        };
        match std::fs::create_dir_all(&base).and_then(|_| std::fs::create_dir(&dir)) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::Other(format!(
                    "cannot create the run directory {} ({e}): point --out at a folder you can write to{}",
                    dir.display(),
                    if e.raw_os_error() == Some(28) {
                        " (the disk is full: free space or choose another disk)"
                    } else {
                        ""
                    }
                )));
            }
        }
    }
    Err(Error::Other(format!(
        "{}: cannot create a fresh run directory",
        base.display()
    )))
}
