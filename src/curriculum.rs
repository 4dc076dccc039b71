//! `ngvm curriculum` (what `cargo xtask curriculum` runs after building and downloading):
//! every experiment of the course, in course order, each in its own process (a crash or a
//! failure is recorded and the rest go on), one overall progress line above each
//! experiment's own bars, a state file to `--resume` from, and the HTML report at the end.

use nn_core::BackendKind;
use nn_core::data::DataDir;
use nn_core::experiment::Preset;
use nn_core::run::started_runs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `ngvm curriculum`'s flags: the curriculum's own, plus two of the runner's.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: nn_core::experiment::CurriculumArgs,
    /// Experiments whose data is absent run on synthetic stand-ins, marked as such (as
    /// `--offline`; `cargo xtask curriculum` sets it when a download failed).
    #[arg(long)]
    pub synthetic: bool,
    /// Print the data sets the selected experiments read, one per line, and run nothing
    /// (what `cargo xtask curriculum` downloads).
    #[arg(long)]
    pub print_datasets: bool,
}

/// The curriculum's lock file in its `--out` folder, held while it runs.
pub const LOCK_FILE: &str = "curriculum.lock";

/// Where an experiment of the curriculum stands (`curriculum.json` writes it in lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Running,
    Ok,
    Failed,
}

/// One experiment's line in `curriculum.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub name: String,
    pub status: Status,
    pub run_dir: Option<PathBuf>,
    pub seconds: f64,
    pub error: Option<String>,
}

impl Entry {
    fn pending(name: &str) -> Entry {
        Entry {
            name: name.to_string(),
            status: Status::Pending,
            run_dir: None,
            seconds: 0.0,
            error: None,
        }
    }

    /// Finished, with its summary still on disk.
    fn finished(&self) -> bool {
        self.status == Status::Ok
            && self
                .run_dir
                .as_ref()
                .is_some_and(|d| d.join("summary.json").exists())
    }

    /// Records how the experiment's process ended (`status`), in `run_dir`; true when it
    /// passed. A failure keeps the run's own reason (`error.txt`) when it wrote one.
    fn record(
        &mut self,
        status: std::io::Result<std::process::ExitStatus>,
        run_dir: Option<PathBuf>,
        seconds: f64,
    ) -> bool {
        self.run_dir = run_dir.clone();
        self.seconds = seconds;
        match status {
            Ok(s) if s.success() => {
                self.status = Status::Ok;
                self.error = None;
                return true;
            }
            Ok(s) => {
                let reason = run_dir
                    .as_ref()
                    .and_then(|d| std::fs::read_to_string(d.join("error.txt")).ok())
                    .map(|t| t.trim().to_string())
                    .unwrap_or_else(|| format!("exited with {s} (see its output above)"));
                eprintln!("{}: FAILED: {reason}", self.name);
                self.error = Some(reason);
            }
            Err(err) => self.error = Some(format!("could not start: {err}")),
        }
        self.status = Status::Failed;
        false
    }
}

/// The state of a curriculum run, rewritten (atomically) after every change.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub preset: Preset,
    pub backend: BackendKind,
    /// True when absent data sets were allowed to be synthetic (offline, or a download
    /// failed): those experiments ran on stand-ins.
    pub synthetic_allowed: bool,
    pub experiments: Vec<Entry>,
}

impl State {
    /// A curriculum of `names` as `args` asks, each entry taken over from `previous`
    /// (a `--resume`) where it has one.
    fn start(args: &Args, names: &[String], previous: Option<&State>) -> State {
        State {
            preset: args.common.preset,
            backend: args.common.backend.unwrap_or(BackendKind::Flex),
            synthetic_allowed: args.synthetic || args.common.offline,
            experiments: names
                .iter()
                .map(|n| {
                    previous
                        .and_then(|p| p.experiments.iter().find(|e| &e.name == n).cloned())
                        .unwrap_or_else(|| Entry::pending(n))
                })
                .collect(),
        }
    }

    pub fn path(out: &Path) -> PathBuf {
        out.join("curriculum.json")
    }

    pub fn load(out: &Path) -> Option<State> {
        serde_json::from_str(&std::fs::read_to_string(Self::path(out)).ok()?).ok()
    }

    fn save(&self, out: &Path) -> nn_core::Result<()> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        nn_core::train::checkpoint::write_atomic(&Self::path(out), text.as_bytes())
    }
}

/// The names `only` selects from `all` (topics or full names), or an error naming the
/// unknown one.
pub fn select(all: &[String], only: &[String]) -> Result<Vec<String>, String> {
    if only.is_empty() {
        return Ok(all.to_vec());
    }
    for wanted in only {
        if !all
            .iter()
            .any(|n| n == wanted || n.split('/').next() == Some(wanted.as_str()))
        {
            return Err(format!(
                "--only {wanted}: no such topic or experiment; known: {}",
                all.join(", ")
            ));
        }
    }
    Ok(all
        .iter()
        .filter(|n| {
            only.iter()
                .any(|w| *n == w || n.split('/').next() == Some(w.as_str()))
        })
        .cloned()
        .collect())
}

/// The data sets `names` read with their `preset` configs, sorted, each once.
pub fn datasets(
    registry: &nn_core::Registry,
    names: &[String],
    preset: Preset,
) -> nn_core::Result<Vec<String>> {
    let mut all = Vec::new();
    for name in names {
        let experiment = registry.find(name)?;
        all.extend(experiment.datasets(&experiment.preset(preset)));
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// Seconds the `remaining` experiments will take: each one's time in an earlier
/// curriculum, else the mean of those finished in this one; `None` with neither.
pub fn estimate_left(
    remaining: &[String],
    earlier: &std::collections::HashMap<String, f64>,
    finished: &[f64],
) -> Option<f64> {
    let mean = (!finished.is_empty()).then(|| finished.iter().sum::<f64>() / finished.len() as f64);
    remaining
        .iter()
        .map(|name| earlier.get(name).copied().or(mean))
        .sum()
}

/// `3m07s`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Runs the selected experiments of `registry`, each as `binary <name> ...` in its own
/// process; true when all passed.
pub fn run(args: Args, registry: &nn_core::Registry, binary: &Path) -> nn_core::Result<bool> {
    let started = Instant::now();
    let all: Vec<String> = registry.iter().map(|e| e.name().to_string()).collect();
    let names = select(&all, &args.common.only).map_err(nn_core::Error::Other)?;
    if args.print_datasets {
        for name in datasets(registry, &names, args.common.preset)? {
            println!("{name}");
        }
        return Ok(true);
    }
    let out = &args.common.out;
    std::fs::create_dir_all(out).map_err(|e| nn_core::Error::io(out, e))?;
    // One curriculum per folder: a second one (a double-clicked script, a `--resume` while
    // the first still runs) is refused here, before it touches the state file.
    let _lock = nn_core::run::FolderLock::acquire(&out.join(LOCK_FILE), out)?;
    nn_core::train::interrupt::install();
    let earlier = State::load(out);
    let earlier_seconds = seconds_of_finished(earlier.as_ref(), args.common.preset);
    let previous = if args.common.resume { earlier } else { None };
    let mut state = State::start(&args, &names, previous.as_ref());
    state.save(out)?;

    let total = names.len();
    let mut finished_seconds = Vec::new();
    for i in 0..total {
        let entry = state.experiments[i].clone();
        if args.common.resume && entry.finished() {
            eprintln!(
                "[{}/{total}] {}: finished earlier, skipped",
                i + 1,
                entry.name
            );
            continue;
        }
        // An interrupted run of this experiment (no summary) continues from its checkpoint.
        let interrupted = args
            .common
            .resume
            .then(|| unfinished_run(out, &entry.name))
            .flatten();
        let left = estimate_left(&names[i..], &earlier_seconds, &finished_seconds);
        let resumed = if interrupted.is_some() {
            " (resumed)"
        } else {
            ""
        };
        let elapsed = elapsed_and_left(started, left);
        eprintln!("\n[{}/{total}] {}{resumed}  ({elapsed})", i + 1, entry.name);
        let before = started_runs(out, &entry.name);
        let mut cmd = experiment_command(binary, &args, &entry.name, interrupted.as_deref());
        state.experiments[i].status = Status::Running;
        state.save(out)?;
        let one = Instant::now();
        let status = cmd.status();
        let seconds = one.elapsed().as_secs_f64();
        if nn_core::train::interrupt::requested() {
            // Ctrl-C reached the experiment too: it stopped at a step and kept its last
            // checkpoint. Leave the entry "running" so `--resume` continues it.
            eprintln!(
                "\ncurriculum interrupted during {}: run the same command with --resume to continue from its checkpoint",
                entry.name
            );
            return Ok(false);
        }
        let run_dir = interrupted.or_else(|| {
            let now = started_runs(out, &entry.name);
            now.into_iter().rev().find(|d| !before.contains(d))
        });
        if state.experiments[i].record(status, run_dir, seconds) {
            finished_seconds.push(seconds);
        }
        state.save(out)?;
    }
    finish(&args, &state, started)
}

/// The newest run of `name` under `out` that did not finish (no summary).
fn unfinished_run(out: &Path, name: &str) -> Option<PathBuf> {
    started_runs(out, name)
        .into_iter()
        .rev()
        .find(|d| !d.join("summary.json").exists())
}

/// `elapsed 3m 05s, about 4m 10s left` (the second part when there is an estimate).
fn elapsed_and_left(started: Instant, left: Option<f64>) -> String {
    let left = left
        .map(|s| format!(", about {} left", clock(s)))
        .unwrap_or_default();
    format!("elapsed {}{left}", clock(started.elapsed().as_secs_f64()))
}

/// The seconds each experiment took in an earlier curriculum of the same preset in the
/// same folder: what the time left is estimated from.
fn seconds_of_finished(earlier: Option<&State>, preset: Preset) -> HashMap<String, f64> {
    earlier
        .iter()
        .filter(|s| s.preset == preset)
        .flat_map(|s| s.experiments.iter())
        .filter(|e| e.status == Status::Ok && e.seconds > 0.0)
        .map(|e| (e.name.clone(), e.seconds))
        .collect()
}

/// The command that runs one experiment: continuing `interrupted` when given (with the data
/// folder only if the curriculum names one: the run checks it holds the same data), else a
/// fresh run of the preset; the backend, devices and output folder in both cases.
fn experiment_command(
    binary: &Path,
    args: &Args,
    name: &str,
    interrupted: Option<&Path>,
) -> Command {
    let data_dir = DataDir::resolve(args.common.data_dir.as_deref());
    let mut cmd = Command::new(binary);
    cmd.arg(name);
    match interrupted {
        Some(dir) => {
            cmd.arg("--resume").arg(dir);
            if args.common.data_dir.is_some() {
                cmd.arg("--data-dir").arg(&data_dir);
            }
        }
        None => {
            cmd.args(["--preset", args.common.preset.name()])
                .arg("--data-dir")
                .arg(&data_dir);
            if args.synthetic || args.common.offline {
                cmd.arg("--synthetic");
            }
        }
    }
    if let Some(backend) = args.common.backend {
        cmd.args(["--backend", backend.name()]);
    }
    if let Some(devices) = &args.common.devices {
        cmd.args(["--devices", devices]);
    }
    cmd.arg("--out").arg(&args.common.out);
    cmd
}

/// Writes the report and says how the curriculum went; true when every experiment passed.
fn finish(args: &Args, state: &State, started: Instant) -> nn_core::Result<bool> {
    let report = nn_core::report::write(&args.common.out)?;
    let failed: Vec<&Entry> = state
        .experiments
        .iter()
        .filter(|e| e.status != Status::Ok)
        .collect();
    eprintln!(
        "\ncurriculum ({} preset): {} of {} experiments passed in {}; report: {}",
        args.common.preset.name(),
        state.experiments.len() - failed.len(),
        state.experiments.len(),
        clock(started.elapsed().as_secs_f64()),
        report.display()
    );
    for e in &failed {
        eprintln!("  FAILED {}: {}", e.name, e.error.as_deref().unwrap_or("?"));
    }
    Ok(failed.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_topics_and_experiments_in_course_order() {
        let all: Vec<String> = ["mlp/burn", "cnn/pneumonia", "cnn/conv-ops", "gans/dcgan"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let pick = |only: &[&str]| {
            select(
                &all,
                &only.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(pick(&[]).unwrap(), all);
        assert_eq!(
            pick(&["gans/dcgan", "cnn"]).unwrap(),
            vec!["cnn/pneumonia", "cnn/conv-ops", "gans/dcgan"]
        );
        let err = pick(&["vae"]).unwrap_err();
        assert!(
            err.contains("--only vae") && err.contains("mlp/burn"),
            "{err}"
        );
    }

    #[test]
    fn the_data_sets_to_download_are_those_the_chosen_experiments_read() {
        let registry = crate::registry();
        let needed = |only: &[&str]| {
            let all: Vec<String> = registry.iter().map(|e| e.name().to_string()).collect();
            let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
            datasets(&registry, &select(&all, &only).unwrap(), Preset::Quick).unwrap()
        };
        assert_eq!(needed(&["mlp"]), ["fashion-mnist"]);
        assert_eq!(needed(&["cnn/pneumonia"]), ["pneumoniamnist"]);
        assert_eq!(needed(&["gans"]), ["cats"]);
        assert_eq!(needed(&["transfer/vgg19-cifar10"]), ["cats", "cifar-10"]);
        assert!(needed(&["transfer/architectures"]).is_empty());
        assert_eq!(
            needed(&[]),
            [
                "cats",
                "cifar-10",
                "cifar-100",
                "fashion-mnist",
                "pneumoniamnist"
            ]
        );
    }

    #[test]
    fn the_estimate_uses_earlier_times_then_the_mean_so_far() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let earlier: std::collections::HashMap<String, f64> =
            [("b".to_string(), 100.0)].into_iter().collect();
        assert_eq!(estimate_left(&names, &earlier, &[]), None);
        assert_eq!(estimate_left(&names[1..2], &earlier, &[]), Some(100.0));
        assert_eq!(estimate_left(&names, &earlier, &[2.0, 4.0]), Some(106.0));
    }

    #[test]
    fn clock_reads_like_a_stopwatch() {
        assert_eq!(clock(187.0), "3m07s");
        assert_eq!(clock(5.4), "0m05s");
        assert_eq!(clock(3_725.0), "1h02m");
    }
}
