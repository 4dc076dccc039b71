//! The provenance of every figure `cargo xtask docs` copied: `docs/figures.json` (read back
//! and merged on the next run, so `--only` keeps the other figures' records) and the
//! same as a table in `docs/figures.md`.

use super::manifest::RunSpec;
use nn_data::{Error, Result, Summary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const JSON: &str = "docs/figures.json";
const MARKDOWN: &str = "docs/figures.md";

/// The commit the figures are drawn from; `dirty` when what `ngvm` is built from differs
/// from it (READMEs and the `docs/` folders, which this command writes, do not count).
#[derive(Serialize, Deserialize)]
pub struct Commit {
    pub hash: String,
    pub dirty: bool,
}

impl Commit {
    pub fn of(root: &Path) -> Commit {
        let hash = git(root, &["rev-parse", "--short=12", "HEAD"], None)
            .unwrap_or_else(|| "unknown".into());
        let changes = git(
            root,
            &["status", "--porcelain", "--untracked-files=no"],
            None,
        )
        .map(|c| code_changes(&c));
        Commit {
            hash,
            dirty: changes.is_none_or(|n| n > 0),
        }
    }

    /// `<hash>` or `<hash>-dirty`.
    pub fn label(&self) -> String {
        if self.dirty {
            format!("{}-dirty", self.hash)
        } else {
            self.hash.clone()
        }
    }

    /// A name for the code the runs ran: the hash of HEAD's files that go into `ngvm`
    /// (`crates/`, `src/`, `Cargo.*`) without Markdown and `docs/`, so that a commit which
    /// changes only READMEs, figures, tests elsewhere or xtask reuses the runs already made
    /// (`-dirty` with uncommitted code changes).
    pub fn code_label(&self, root: &Path) -> String {
        let listing = git(root, &["ls-tree", "-r", "HEAD"], None).unwrap_or_default();
        let code: String = listing
            .lines()
            .filter(|l| {
                let path = l.split('\t').nth(1).unwrap_or_default();
                ["crates/", "src/", "Cargo."]
                    .iter()
                    .any(|p| path.starts_with(p))
                    && !path.ends_with(".md")
                    && !path.contains("docs/")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let hash = git(root, &["hash-object", "--stdin"], Some(&code))
            .map(|h| h.chars().take(12).collect())
            .unwrap_or_else(|| self.hash.clone());
        if self.dirty {
            format!("{hash}-dirty")
        } else {
            hash
        }
    }
}

/// How many lines of `git status --porcelain` (`XY path`) name a file `ngvm` is built from.
fn code_changes(status: &str) -> usize {
    status
        .lines()
        .filter(|l| goes_into_ngvm(l.get(3..).unwrap_or(l)))
        .count()
}

/// Whether a file of the repository is part of what `ngvm` is built from.
fn goes_into_ngvm(path: &str) -> bool {
    ["crates/", "src/", "Cargo."]
        .iter()
        .any(|p| path.starts_with(p))
        && !path.ends_with(".md")
        && !path.contains("docs/")
}

/// Runs git in `root` (with `stdin` fed in); its output without the trailing newline, or
/// None if it failed. Not trimmed at the start: `git status --porcelain` begins a line with
/// a space for a change not yet staged (` M path`), and its columns are read by position.
fn git(root: &Path, args: &[&str], stdin: Option<&str>) -> Option<String> {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut input = child.stdin.take()?;
    input.write_all(stdin.unwrap_or("").as_bytes()).ok()?;
    drop(input);
    let output = child.wait_with_output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string()
    })
}

/// One figure's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub experiment: String,
    pub preset: String,
    /// The topic crate's own command for the run.
    pub command: String,
    /// The file of the run directory that was copied.
    pub from: String,
    pub data: String,
    pub backend: String,
    /// The machine (CPU, vector extensions, threads) as the run recorded it; empty for
    /// runs made before runs recorded it. The same seed gives other digits on another CPU.
    #[serde(default)]
    pub host: String,
    pub seed: u64,
    pub wall_seconds: f64,
    /// The run directory's name: its UTC start.
    pub started: String,
    pub commit: String,
    /// The run's headline as the course report prints it, which the report of a quick run
    /// shows beside its own (absent in records written before it was recorded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub headline: String,
}

impl Entry {
    pub fn new(
        spec: &RunSpec,
        from: &str,
        run_dir: &Path,
        summary: &Summary,
        commit: &Commit,
    ) -> Self {
        let (topic, name) = spec
            .experiment
            .split_once('/')
            .unwrap_or((&spec.experiment, ""));
        let mut command = format!(
            "cargo run --release -p {topic} -- {name} --preset {}",
            spec.preset
        );
        for arg in &spec.args {
            command.push(' ');
            command.push_str(arg);
        }
        let data = &summary.data;
        let data = if data.synthetic {
            format!("{} (synthetic by design)", data.name)
        } else {
            data.describe()
        };
        Entry {
            experiment: spec.experiment.clone(),
            preset: summary.preset.clone(),
            command,
            from: from.to_string(),
            data,
            backend: summary.backend.clone(),
            host: if summary.host.cpu.is_empty() {
                String::new()
            } else {
                summary.host.label()
            },
            seed: summary.seed,
            wall_seconds: summary.wall_seconds,
            started: run_dir
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            commit: commit.label(),
            // A run with flags (`args`: other data, a config file) is not the preset's
            // own, and its headline template may not name its variants rightly.
            headline: if !spec.args.is_empty() {
                String::new()
            } else {
                nn_data::report::headline(summary)
            },
        }
    }
}

/// All records: by figure path (relative to the workspace root), and by experiment for the
/// runs that draw no README figure (`mlp/scratch`), whose headline the report still shows.
#[derive(Default, Serialize, Deserialize)]
pub struct Book {
    pub figures: BTreeMap<String, Entry>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runs: BTreeMap<String, Entry>,
}

impl Book {
    /// The saved records, or none yet.
    pub fn load(root: &Path) -> Result<Book> {
        let path = root.join(JSON);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::Other(format!(
                    "{} is damaged ({e}); delete it to start afresh",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Book::default()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    pub fn set(&mut self, figure: &str, entry: Entry) {
        self.figures.insert(figure.to_string(), entry);
    }

    /// Records a run that draws no README figure, under its experiment's name.
    pub fn set_run(&mut self, entry: Entry) {
        self.runs.insert(entry.experiment.clone(), entry);
    }

    /// Records the report screenshot, drawn from every run in `runs`: the manifest's runs,
    /// or (`curriculum` = its preset) a curriculum run of its own there.
    pub fn set_report(
        &mut self,
        figure: &str,
        runs: &Path,
        curriculum: Option<&str>,
        commit: &Commit,
    ) {
        let (preset, command, data, started, wall_seconds) = match curriculum {
            Some(preset) => {
                let (started, seconds) = curriculum_timing(runs);
                (
                    preset.to_string(),
                    format!(
                        "ngvm curriculum --preset {preset} --synthetic --out {}, then cargo xtask report {}",
                        runs.display(),
                        runs.display()
                    ),
                    format!("the {preset} curriculum's runs"),
                    started,
                    seconds,
                )
            }
            None => (
                "full".into(),
                format!("cargo xtask report {}", runs.display()),
                "the runs above".into(),
                self.figures
                    .values()
                    .map(|e| e.started.as_str())
                    .max()
                    .unwrap_or_default()
                    .to_string(),
                0.0,
            ),
        };
        self.set(
            figure,
            Entry {
                experiment: "report".into(),
                preset,
                command,
                from: "report/index.html (headless Chromium, 1200x900)".into(),
                data,
                backend: String::new(),
                host: String::new(),
                seed: 0,
                wall_seconds,
                started,
                commit: commit.label(),
                headline: String::new(),
            },
        );
    }

    /// Writes `docs/figures.json` and `docs/figures.md`, each through a rename.
    pub fn save(&self, root: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        write_atomically(&root.join(JSON), &(json + "\n"))?;
        write_atomically(&root.join(MARKDOWN), &self.markdown())
    }

    fn markdown(&self) -> String {
        let mut text = String::from(
            "# Where each README figure comes from\n\n\
             Written by `cargo xtask docs` (do not edit): it reruns the run behind every figure \
             that `docs/figures.toml` lists and copies the figure. `--only TOPIC` redraws one \
             topic's. Commit `-dirty`: drawn from uncommitted changes. Wall: the whole run, \
             evaluation included.\n\n\
             | figure | run (command) | data | backend, seed | host | wall | started (UTC), commit |\n\
             |---|---|---|---|---|---|---|\n",
        );
        let figures = self
            .figures
            .iter()
            .map(|(figure, e)| (format!("`{figure}`"), e));
        let runs = self
            .runs
            .iter()
            .map(|(experiment, e)| (format!("no figure (`{experiment}`: its headline)"), e));
        for (what, e) in figures.chain(runs) {
            text.push_str(&markdown_row(&what, e));
        }
        text
    }
}

/// One line of `docs/figures.md`: `what` the record is for, then its run.
fn markdown_row(what: &str, e: &Entry) -> String {
    let wall = if e.wall_seconds > 0.0 {
        format!("{:.1} s", e.wall_seconds)
    } else {
        String::new()
    };
    let backend = if e.backend.is_empty() {
        String::new()
    } else {
        format!("{}, {}", e.backend, e.seed)
    };
    format!(
        "| {what} | `{}` (`{}`) | {} | {backend} | {} | {wall} | {}, `{}` |\n",
        e.command, e.from, e.data, e.host, e.started, e.commit
    )
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// When the curriculum in `runs` started (its earliest run folder's UTC time stamp) and how
/// long its experiments took together, from its `curriculum.json`; empty and 0 if absent.
fn curriculum_timing(runs: &Path) -> (String, f64) {
    let Some(state) = std::fs::read_to_string(runs.join("curriculum.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return (String::new(), 0.0);
    };
    let entries = state["experiments"].as_array().cloned().unwrap_or_default();
    let seconds = entries.iter().filter_map(|e| e["seconds"].as_f64()).sum();
    let started = entries
        .iter()
        .filter_map(|e| e["run_dir"].as_str())
        .filter_map(|dir| Path::new(dir).file_name()?.to_str().map(str::to_string))
        .min()
        .unwrap_or_default();
    (started, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unstaged_change_to_code_makes_the_tree_dirty_wherever_it_is_listed() {
        // The first line starts with a space (unstaged): it must count like the others.
        let status = " M crates/diffusion/src/flow.rs\n M docs/figures.toml\nM  Cargo.toml\n";
        assert_eq!(code_changes(status), 2);
        assert_eq!(
            code_changes(" M crates/diffusion/README.md\n M docs/figures.md"),
            0
        );
        assert_eq!(code_changes(""), 0);
    }

    #[test]
    fn an_unstaged_code_change_listed_first_marks_the_commit_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(root)
                .output()
                .map(|o| o.status.success());
            assert!(matches!(ok, Ok(true)), "git {args:?} failed");
        };
        std::fs::create_dir_all(root.join("crates")).unwrap();
        std::fs::write(root.join("crates/a.rs"), "1").unwrap();
        std::fs::write(root.join("notes.txt"), "1").unwrap();
        run(&["init", "-q"]);
        run(&["add", "."]);
        run(&["commit", "-qm", "first"]);
        assert!(!Commit::of(root).dirty);
        // `git status --porcelain` lists it first, as ` M crates/a.rs`.
        std::fs::write(root.join("crates/a.rs"), "2").unwrap();
        std::fs::write(root.join("notes.txt"), "2").unwrap();
        let commit = Commit::of(root);
        assert!(
            commit.dirty,
            "an unstaged change to crates/a.rs was not seen"
        );
        assert!(commit.label().ends_with("-dirty"));
    }
}
