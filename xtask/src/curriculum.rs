//! `cargo xtask curriculum`: every experiment of the course, in course order, each in its
//! own process (a crash or a failure is recorded and the rest go on), one overall progress
//! line above each experiment's own bars, a state file to `--resume` from, and the HTML
//! report at the end.

use nn_core::data::DataDir;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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

/// One experiment's line in `curriculum.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub name: String,
    /// `pending`, `running`, `ok` or `failed`.
    pub status: String,
    pub run_dir: Option<PathBuf>,
    pub seconds: f64,
    pub error: Option<String>,
}

/// The state of a curriculum run, rewritten (atomically) after every change.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub preset: String,
    pub backend: String,
    /// True when data sets could not be downloaded (or `--offline`): absent ones were
    /// replaced by synthetic stand-ins.
    pub synthetic_allowed: bool,
    pub experiments: Vec<Entry>,
}

impl State {
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

/// `3m07s`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// The run directories of `experiment` under `out`, oldest first.
fn run_dirs(out: &Path, experiment: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join(experiment))
        .map(|e| {
            e.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("config.json").exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Builds the course binary (`ngvm`) with the backend's feature and returns its path.
fn build(backend: Option<&str>) -> nn_core::Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        "build",
        "--release",
        "-p",
        "next-gen-visual-models",
        "--bin",
        "ngvm",
    ]);
    if let Some(feature) = backend.filter(|b| ["wgpu", "cuda"].contains(b)) {
        cmd.args(["--features", feature]);
    }
    eprintln!("building the course: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| nn_core::Error::Other(format!("cannot start cargo: {e}")))?;
    if !status.success() {
        return Err(nn_core::Error::Other(
            "building `ngvm` failed (see above)".into(),
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target.join("release").join("ngvm"))
}

/// Every experiment of the course, in order, from `ngvm list`.
fn list(binary: &Path) -> nn_core::Result<Vec<String>> {
    let output = Command::new(binary)
        .arg("list")
        .output()
        .map_err(|e| nn_core::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n.contains('/'))
        .collect())
}

pub fn run(args: Args) -> nn_core::Result<bool> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out).map_err(|e| nn_core::Error::io(&args.out, e))?;
    let binary = build(args.backend.as_deref())?;
    let names = select(&list(&binary)?, &args.only).map_err(nn_core::Error::Other)?;
    let data_dir = DataDir::resolve(args.data_dir.as_deref());

    let synthetic_allowed = args.offline || !download_data(&data_dir);
    let previous = if args.resume {
        State::load(&args.out)
    } else {
        None
    };
    let mut state = State {
        preset: args.preset.clone(),
        backend: args.backend.clone().unwrap_or_else(|| "flex".into()),
        synthetic_allowed,
        experiments: names
            .iter()
            .map(|n| {
                previous
                    .as_ref()
                    .and_then(|p| p.experiments.iter().find(|e| &e.name == n).cloned())
                    .unwrap_or(Entry {
                        name: n.clone(),
                        status: "pending".into(),
                        run_dir: None,
                        seconds: 0.0,
                        error: None,
                    })
            })
            .collect(),
    };
    state.save(&args.out)?;

    let total = names.len();
    let mut finished_seconds = Vec::new();
    for i in 0..total {
        let entry = state.experiments[i].clone();
        let finished = entry.status == "ok"
            && entry
                .run_dir
                .as_ref()
                .is_some_and(|d| d.join("summary.json").exists());
        if args.resume && finished {
            eprintln!(
                "[{}/{total}] {}: finished earlier, skipped",
                i + 1,
                entry.name
            );
            continue;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let left = if finished_seconds.is_empty() {
            String::new()
        } else {
            let mean = finished_seconds.iter().sum::<f64>() / finished_seconds.len() as f64;
            format!(", about {} left", clock(mean * (total - i) as f64))
        };
        // An interrupted run of this experiment (no summary) continues from its checkpoint.
        let interrupted = args
            .resume
            .then(|| {
                run_dirs(&args.out, &entry.name)
                    .into_iter()
                    .rev()
                    .find(|d| !d.join("summary.json").exists())
            })
            .flatten();
        eprintln!(
            "\n[{}/{total}] {}{}  (elapsed {}{left})",
            i + 1,
            entry.name,
            if interrupted.is_some() {
                " (resumed)"
            } else {
                ""
            },
            clock(elapsed)
        );
        let before = run_dirs(&args.out, &entry.name);
        let mut cmd = Command::new(&binary);
        cmd.arg(&entry.name);
        match &interrupted {
            Some(dir) => {
                cmd.arg("--resume").arg(dir);
            }
            None => {
                cmd.args(["--preset", &args.preset])
                    .arg("--data-dir")
                    .arg(&data_dir);
                if let Some(backend) = &args.backend {
                    cmd.args(["--backend", backend]);
                }
                if synthetic_allowed {
                    cmd.arg("--synthetic");
                }
            }
        }
        cmd.arg("--out").arg(&args.out);
        state.experiments[i].status = "running".into();
        state.save(&args.out)?;
        let one = Instant::now();
        let status = cmd.status();
        let seconds = one.elapsed().as_secs_f64();
        let run_dir = interrupted.or_else(|| {
            run_dirs(&args.out, &entry.name)
                .into_iter()
                .rev()
                .find(|d| !before.contains(d))
        });
        let e = &mut state.experiments[i];
        e.run_dir = run_dir.clone();
        e.seconds = seconds;
        match status {
            Ok(s) if s.success() => {
                e.status = "ok".into();
                e.error = None;
                finished_seconds.push(seconds);
            }
            Ok(s) => {
                e.status = "failed".into();
                let reason = run_dir
                    .as_ref()
                    .and_then(|d| std::fs::read_to_string(d.join("error.txt")).ok())
                    .map(|t| t.trim().to_string())
                    .unwrap_or_else(|| format!("exited with {s} (see its output above)"));
                eprintln!("{}: FAILED: {reason}", e.name);
                e.error = Some(reason);
            }
            Err(err) => {
                e.status = "failed".into();
                e.error = Some(format!("could not start: {err}"));
            }
        }
        state.save(&args.out)?;
    }

    let report = nn_core::report::write(&args.out)?;
    let failed: Vec<&Entry> = state
        .experiments
        .iter()
        .filter(|e| e.status != "ok")
        .collect();
    eprintln!(
        "\ncurriculum ({} preset): {} of {total} experiments passed in {}; report: {}",
        args.preset,
        total - failed.len(),
        clock(started.elapsed().as_secs_f64()),
        report.display()
    );
    for e in &failed {
        eprintln!("  FAILED {}: {}", e.name, e.error.as_deref().unwrap_or("?"));
    }
    Ok(failed.is_empty())
}

/// Downloads every data set of the course that is not already verified; false if any
/// could not be fetched (the curriculum then lets absent ones be synthetic).
fn download_data(dir: &Path) -> bool {
    let args = crate::download::Args {
        names: vec![],
        all: true,
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
    fn clock_reads_like_a_stopwatch() {
        assert_eq!(clock(187.0), "3m07s");
        assert_eq!(clock(5.4), "0m05s");
        assert_eq!(clock(3_725.0), "1h02m");
    }
}
