//! `cargo xtask docs`: reruns the experiments behind every README figure with the presets
//! `docs/figures.toml` states, copies their figures into the crates' `docs/` folders and
//! records each figure's command, commit, data, backend and wall time
//! (`docs/figures.json`, `docs/figures.md`).

mod manifest;
mod record;
mod report_shot;

/// What `--only` calls the report screenshot.
const REPORT: &str = "report";

use manifest::{Manifest, RunSpec};
use nn_data::DataDir;
use nn_data::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args)]
pub struct Args {
    /// Only these topics (`cnn`) or experiments (`cnn/pneumonia`), or `report` (the top
    /// README's report screenshot); repeatable. A run that reads an earlier one's files
    /// (`mlp/burn` after `mlp/scratch`) needs both selected or the earlier one already
    /// finished in the work folder.
    #[arg(long)]
    pub only: Vec<String>,
    /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where the runs go (default `target/docs-runs/<hash of the code>`, the same for
    /// commits that change only Markdown and figures). The folder keeps the `ngvm` it ran
    /// and its commit (`build.json`): naming an existing one continues its runs with that
    /// binary, and the figures are recorded as from its commit, whatever the code is now. Runs that finished there
    /// are reused and an interrupted one continues from its checkpoint, so running the
    /// command again after Ctrl-C goes on where it stopped.
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Print what would run and be copied, then stop.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: Args) -> Result<bool> {
    let root = crate::course_binary::workspace_root();
    let manifest = Manifest::load(&root)?;
    manifest.check_covers(&root)?;
    // `--only report` names the report screenshot alone; with no `--only`, it comes last.
    let report_wanted = args.only.is_empty() || args.only.iter().any(|s| s == REPORT);
    let selectors: Vec<String> = args.only.iter().filter(|s| *s != REPORT).cloned().collect();
    let runs = if selectors.is_empty() && !args.only.is_empty() {
        Vec::new()
    } else {
        manifest.select(&selectors)?
    };
    let commit = record::Commit::of(&root);
    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let work = args
        .work
        .clone()
        .unwrap_or_else(|| root.join("target/docs-runs").join(commit.code_label(&root)));
    if args.list {
        for spec in &runs {
            println!("{}", command_line(spec, &data_dir, &work).join(" "));
            for figure in &spec.figures {
                println!("    {} -> {}", figure.from, figure.to);
            }
        }
        return Ok(true);
    }
    let (binary, commit) = work_build(&work, commit)?;
    let (mut book, not_drawn) = redraw(&root, &runs, &data_dir, &work, &binary, &commit)?;
    if let Some(report) = manifest.report.as_ref().filter(|_| report_wanted) {
        let drawn_from = match &report.curriculum {
            Some(preset) => Some(report_shot::run_curriculum(
                &binary, preset, &data_dir, &work,
            )?),
            None => manifest
                .run
                .iter()
                .all(|r| nn_data::records::newest_summary(&work, &r.experiment).is_some())
                .then(|| work.clone()),
        };
        match drawn_from {
            Some(runs_dir) => {
                report_shot::screenshot_report(&runs_dir, &root.join(&report.to))?;
                book.set_report(&report.to, &runs_dir, report.curriculum.as_deref(), &commit);
                book.save(&root)?;
            }
            None => eprintln!(
                "docs: {} not redrawn: not every run of the manifest has finished in {}",
                report.to,
                work.display()
            ),
        }
    }
    Ok(not_drawn.is_empty())
}

/// Runs (or reuses) each of `runs` in `work` with `binary`, copies its figures under `root`
/// and records them; returns the records and the figures that no run drew.
fn redraw(
    root: &Path,
    runs: &[&RunSpec],
    data_dir: &Path,
    work: &Path,
    binary: &Path,
    commit: &record::Commit,
) -> Result<(record::Book, Vec<String>)> {
    let mut book = record::Book::load(root)?;
    let mut not_drawn = Vec::new();
    for spec in runs {
        let run_dir = run_once(binary, spec, data_dir, work)?;
        let summary = read_summary(&run_dir)?;
        for figure in &spec.figures {
            let from = run_dir.join(&figure.from);
            // A run made before the manifest listed this figure (or by code that does not
            // draw it, or a `from` that is misspelt) leaves it out: the other figures are
            // still copied, and the command ends with a failure naming it.
            if !from.is_file() {
                eprintln!(
                    "docs: {} is not in {}: {} keeps its old picture",
                    figure.from,
                    run_dir.display(),
                    figure.to
                );
                not_drawn.push(figure.to.clone());
                continue;
            }
            copy_atomically(&from, &root.join(&figure.to))?;
            book.set(
                &figure.to,
                record::Entry::new(spec, &figure.from, &run_dir, &summary, commit),
            );
        }
        if spec.figures.is_empty() {
            book.set_run(record::Entry::new(
                spec,
                "summary.json",
                &run_dir,
                &summary,
                commit,
            ));
        }
        book.save(root)?;
        eprintln!(
            "docs: {} done ({} figures)",
            spec.experiment,
            spec.figures.len()
        );
    }
    if !not_drawn.is_empty() {
        eprintln!(
            "docs: not redrawn (their runs in {} do not draw them; run again from a fresh work \
             folder, e.g. after a commit): {}",
            work.display(),
            not_drawn.join(", ")
        );
    }
    Ok((book, not_drawn))
}

/// The binary the runs in `work` use and the commit it was built from: the folder's own
/// (`<work>/ngvm`, `<work>/build.json`) when it has them, else `ngvm` built now from the
/// working tree and copied there.
fn work_build(work: &Path, now: record::Commit) -> Result<(PathBuf, record::Commit)> {
    let kept = work.join("ngvm");
    let build_file = work.join("build.json");
    if build_file.is_file() {
        let text = std::fs::read_to_string(&build_file).map_err(|e| Error::io(&build_file, e))?;
        let commit: record::Commit = serde_json::from_str(&text)
            .map_err(|e| Error::Other(format!("{}: {e}", build_file.display())))?;
        if !kept.is_file() {
            return Err(Error::Other(format!(
                "{} names commit {} but its binary {} is missing: delete the folder to start \
                 afresh",
                build_file.display(),
                commit.label(),
                kept.display()
            )));
        }
        if commit.label() != now.label() {
            eprintln!(
                "docs: continuing the runs of {} with its own binary (the code now is {})",
                commit.label(),
                now.label()
            );
        }
        return Ok((kept, commit));
    }
    if now.dirty {
        eprintln!(
            "warning: the working tree has uncommitted code changes; the figures will be \
             recorded as from {}",
            now.label()
        );
    }
    let built = crate::course_binary::build(None)?;
    std::fs::create_dir_all(work).map_err(|e| Error::io(work, e))?;
    std::fs::copy(&built, &kept).map_err(|e| Error::io(&kept, e))?;
    let json = serde_json::to_string_pretty(&now).map_err(|e| Error::Other(e.to_string()))?;
    std::fs::write(&build_file, json).map_err(|e| Error::io(&build_file, e))?;
    Ok((kept, now))
}

/// The experiment's command line (what `--list` prints and the record keeps).
fn command_line(spec: &RunSpec, data_dir: &Path, work: &Path) -> Vec<String> {
    let mut line = vec![
        "ngvm".to_string(),
        spec.experiment.clone(),
        "--preset".into(),
        spec.preset.clone(),
    ];
    line.extend(spec.args.iter().cloned());
    line.extend([
        "--data-dir".into(),
        data_dir.display().to_string(),
        "--out".into(),
        run_folder(spec, work).display().to_string(),
    ]);
    line
}

/// Where `spec` runs inside the work folder: the folder itself, or its own subfolder for a
/// named run (an experiment listed twice must not find the other listing's finished run).
fn run_folder(spec: &RunSpec, work: &Path) -> PathBuf {
    match &spec.name {
        Some(name) => work.join(name),
        None => work.to_path_buf(),
    }
}

/// Runs the experiment unless a finished run is already in `work` (resuming an interrupted
/// one); returns the finished run's directory.
fn run_once(binary: &Path, spec: &RunSpec, data_dir: &Path, work: &Path) -> Result<PathBuf> {
    let folder = &run_folder(spec, work);
    if let Some((dir, _)) = nn_data::records::newest_summary(folder, &spec.experiment) {
        eprintln!(
            "docs: {} already finished in {}",
            spec.experiment,
            dir.display()
        );
        return Ok(dir);
    }
    let line = command_line(spec, data_dir, work);
    let mut cmd = Command::new(binary);
    cmd.args(&line[1..]);
    if let Some(unfinished) = nn_data::records::started_runs(folder, &spec.experiment).pop() {
        eprintln!("docs: continuing {}", unfinished.display());
        cmd.arg("--resume").arg(&unfinished);
    }
    eprintln!("docs: {}", line.join(" "));
    let status = cmd
        .status()
        .map_err(|e| Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    if !status.success() {
        return Err(Error::Other(format!(
            "{} failed ({status}); fix it and run `cargo xtask docs` again: finished runs \
             are kept in {}",
            spec.experiment,
            folder.display()
        )));
    }
    nn_data::records::newest_summary(folder, &spec.experiment)
        .map(|(dir, _)| dir)
        .ok_or_else(|| {
            Error::Other(format!(
                "{} exited 0 but left no summary.json under {}",
                spec.experiment,
                folder.display()
            ))
        })
}

/// The run's `summary.json`; a run on a synthetic stand-in is refused (its figures are
/// not results).
fn read_summary(run_dir: &Path) -> Result<nn_data::Summary> {
    let path = run_dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let summary: nn_data::Summary = serde_json::from_str(&text)
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    if summary.data.stand_in {
        return Err(Error::Other(format!(
            "{} ran on a synthetic stand-in for {}: its figures are not results; put the \
             data set in the data directory and delete {}",
            summary.experiment,
            summary.data.name,
            run_dir.display()
        )));
    }
    Ok(summary)
}

/// Copies through a temporary file and a rename, so a figure is never half written.
fn copy_atomically(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let tmp = to.with_extension("png.tmp");
    std::fs::copy(from, &tmp).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, to).map_err(|e| Error::io(to, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for `ngvm`: logs each call, then writes a finished run of the experiment
    /// (its first argument) under `--out`, with `fig.png` and a summary whose data is a
    /// synthetic stand-in when the experiment is `t/stand-in`.
    const FAKE_NGVM: &str = r#"#!/bin/sh
exp="$1"; out=""
while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
echo "$exp" >> "$out/calls.log"
dir="$out/$exp/2026-01-01T00-00-00Z"; mkdir -p "$dir"
printf 'PNG of %s' "$exp" > "$dir/fig.png"
stand_in=false; [ "$exp" = "t/stand-in" ] && stand_in=true
cat > "$dir/summary.json" <<JSON
{"experiment":"$exp","preset":"full","backend":"flex","seed":42,
 "data":{"name":"fashion-mnist","synthetic":$stand_in,"stand_in":$stand_in,"train":60000,"test":10000},
 "epochs":1,"wall_seconds":12.5,"epoch_seconds":[12.5],"metrics":{},"files":[],"notes":[]}
JSON
"#;

    fn fake_setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let work = dir.path().join("work");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let binary = work.join("ngvm");
        std::fs::write(&binary, FAKE_NGVM).unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, root, work)
    }

    fn manifest(text: &str) -> Manifest {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn redraw_copies_records_reuses_finished_runs_and_names_what_it_could_not_draw() {
        let (_dir, root, work) = fake_setup();
        let manifest = manifest(
            r#"
            [[run]]
            experiment = "t/x"
            preset = "full"
            args = ["--dataset", "d"]
            figures = [
                { from = "fig.png", to = "crates/t/docs/x.png" },
                { from = "absent.png", to = "crates/t/docs/y.png" },
            ]

            [[run]]
            experiment = "t/no-figure"
            preset = "full"
            figures = []
            "#,
        );
        let runs = manifest.select(&[]).unwrap();
        let commit = record::Commit {
            hash: "abc".into(),
            dirty: false,
        };
        let binary = work.join("ngvm");
        let (book, not_drawn) =
            redraw(&root, &runs, Path::new("/data"), &work, &binary, &commit).unwrap();
        assert_eq!(not_drawn, ["crates/t/docs/y.png"]);
        let copied = std::fs::read_to_string(root.join("crates/t/docs/x.png")).unwrap();
        assert_eq!(copied, "PNG of t/x");
        let entry = &book.figures["crates/t/docs/x.png"];
        assert_eq!(entry.commit, "abc");
        assert_eq!(
            entry.command,
            "cargo run --release -p t -- x --preset full --dataset d"
        );
        assert_eq!(entry.data, "fashion-mnist 60000 / 10000");
        let markdown = std::fs::read_to_string(root.join("docs/figures.md")).unwrap();
        assert!(markdown.contains("`crates/t/docs/x.png`") && markdown.contains("12.5 s"));
        let json = std::fs::read_to_string(root.join("docs/figures.json")).unwrap();
        assert!(json.contains("crates/t/docs/x.png"));
        // A run that draws no figure is still recorded, by experiment, with its headline.
        let run = &book.runs["t/no-figure"];
        assert_eq!(
            (run.from.as_str(), run.commit.as_str()),
            ("summary.json", "abc")
        );
        assert!(markdown.contains("no figure (`t/no-figure`"), "{markdown}");

        // Again: the finished run is reused (ngvm is not called a second time) and the
        // records saved before are read back, not lost.
        redraw(&root, &runs, Path::new("/data"), &work, &binary, &commit).unwrap();
        let calls = std::fs::read_to_string(work.join("calls.log")).unwrap();
        assert_eq!(calls.lines().count(), 2, "{calls}");
        assert!(
            record::Book::load(&root)
                .unwrap()
                .figures
                .contains_key("crates/t/docs/x.png")
        );
    }

    /// A stand-in for `ngvm curriculum`: logs its flags, writes `curriculum.json`, and exits
    /// with the code in `<out>/../exit` (0 when absent).
    const FAKE_CURRICULUM: &str = r#"#!/bin/sh
out=""; all="$*"
while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
mkdir -p "$out"; echo "$all" >> "$out/../curriculum-calls.log"
printf '{"experiments":[{"name":"t/x","seconds":2.5,"run_dir":"%s/t/x/2026-01-01T00-00-00Z"},{"name":"t/y","seconds":4.0,"run_dir":"%s/t/y/2026-01-01T00-00-03Z"}]}' "$out" "$out" > "$out/curriculum.json"
[ -f "$out/../exit" ] && exit "$(cat "$out/../exit")"
exit 0
"#;

    #[test]
    fn the_reports_own_curriculum_runs_once_then_resumes_and_a_failure_is_an_error() {
        let (_dir, root, work) = fake_setup();
        let binary = work.join("ngvm");
        std::fs::write(&binary, FAKE_CURRICULUM).unwrap();
        let data = Path::new("/data");

        let out = report_shot::run_curriculum(&binary, "quick", data, &work).unwrap();
        assert_eq!(out, work.join("curriculum-quick"));
        report_shot::run_curriculum(&binary, "quick", data, &work).unwrap();
        let calls = std::fs::read_to_string(work.join("curriculum-calls.log")).unwrap();
        let calls: Vec<&str> = calls.lines().collect();
        let first = format!(
            "curriculum --preset quick --synthetic --data-dir /data --out {}",
            out.display()
        );
        assert_eq!(calls, [first.clone(), format!("{first} --resume")]);

        let mut book = record::Book::default();
        let commit = record::Commit {
            hash: "abc".into(),
            dirty: false,
        };
        book.set_report("docs/report.png", &out, Some("quick"), &commit);
        let entry = &book.figures["docs/report.png"];
        assert_eq!(
            (
                entry.preset.as_str(),
                entry.wall_seconds,
                entry.started.as_str()
            ),
            ("quick", 6.5, "2026-01-01T00-00-00Z")
        );
        assert_eq!(entry.data, "the quick curriculum's runs");
        book.save(&root).unwrap();

        std::fs::write(work.join("exit"), "1").unwrap();
        let err = report_shot::run_curriculum(&binary, "quick", data, &work)
            .expect_err("a curriculum with a failed experiment must stop the report");
        assert!(err.to_string().contains("curriculum.json"), "{err}");
    }

    #[test]
    fn a_run_on_a_synthetic_stand_in_is_refused() {
        let (_dir, root, work) = fake_setup();
        let manifest = manifest(
            r#"
            [[run]]
            experiment = "t/stand-in"
            preset = "full"
            figures = [{ from = "fig.png", to = "crates/t/docs/s.png" }]
            "#,
        );
        let runs = manifest.select(&[]).unwrap();
        let commit = record::Commit {
            hash: "abc".into(),
            dirty: false,
        };
        let binary = work.join("ngvm");
        let err = redraw(&root, &runs, Path::new("/data"), &work, &binary, &commit)
            .err()
            .expect("a stand-in run must be refused");
        assert!(err.to_string().contains("synthetic stand-in"), "{err}");
        assert!(!root.join("crates/t/docs/s.png").exists());
    }
}
