//! What each experiment's full preset reached, from the README's record of its figures
//! (`docs/figures.json`, written by `cargo xtask docs`), so that the report can put it
//! beside a quick run's headline. The record is read at run time from the repository this
//! crate was built in: a binary copied elsewhere shows "not recorded" instead.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `docs/figures.json` of the repository this crate was built in.
pub fn default_record() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/figures.json")
}

/// The record's file as `cargo xtask docs` writes it (only what the report shows is read;
/// xtask owns the full type, which depends on its manifest).
#[derive(Deserialize)]
struct Record {
    figures: BTreeMap<String, Figure>,
    /// The runs that draw no README figure (`mlp/scratch`), by experiment.
    #[serde(default)]
    runs: BTreeMap<String, Figure>,
}

/// One figure's record: the run behind it.
#[derive(Deserialize)]
struct Figure {
    experiment: String,
    preset: String,
    /// The command that drew it: a run with flags after `--preset full` (another data
    /// set, a config file) is not the preset's own run, so its headline is not shown.
    #[serde(default)]
    command: String,
    /// The run's headline as the report prints it (absent in records written before).
    #[serde(default)]
    headline: String,
    #[serde(default)]
    host: String,
    wall_seconds: f64,
    /// The run directory's name: its UTC start, `2026-12-07T18-57-25Z`.
    started: String,
}

/// A full-preset run of one experiment as the record keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct FullRun {
    pub headline: String,
    /// The day it started, `2026-12-07`.
    pub day: String,
    /// The CPU without its feature list (`AMD EPYC`), empty when not recorded.
    pub machine: String,
    pub wall_seconds: f64,
}

/// Every experiment's newest recorded full-preset run that has a headline, by name; empty
/// when the record is missing or unreadable (the report then says "not recorded").
pub fn full_runs(record: &Path) -> BTreeMap<String, FullRun> {
    std::fs::read_to_string(record)
        .ok()
        .map(|text| parse(&text))
        .unwrap_or_default()
}

/// [`full_runs`] of the record's text.
fn parse(text: &str) -> BTreeMap<String, FullRun> {
    let Ok(record) = serde_json::from_str::<Record>(text) else {
        return BTreeMap::new();
    };
    let mut newest: BTreeMap<String, (String, FullRun)> = BTreeMap::new();
    for figure in record
        .figures
        .into_values()
        .chain(record.runs.into_values())
    {
        let with_flags = !figure.command.is_empty() && !figure.command.ends_with("--preset full");
        if figure.preset != "full" || figure.headline.is_empty() || with_flags {
            continue;
        }
        let run = FullRun {
            headline: figure.headline,
            day: figure.started.chars().take(10).collect(),
            machine: figure
                .host
                .split(" (")
                .next()
                .unwrap_or_default()
                .to_string(),
            wall_seconds: figure.wall_seconds,
        };
        let is_newer = newest
            .get(&figure.experiment)
            .is_none_or(|(started, _)| figure.started > *started);
        if is_newer {
            newest.insert(figure.experiment, (figure.started, run));
        }
    }
    newest.into_iter().map(|(k, (_, run))| (k, run)).collect()
}

/// The line shown beside a run of another preset: what the full preset reached, when and
/// where, or that no full run of this code's README has a recorded headline yet.
pub fn beside(full: Option<&FullRun>) -> String {
    match full {
        Some(run) => {
            // Runs under a minute in seconds: "0 min" read as if nothing ran.
            let wall = if run.wall_seconds < 59.5 {
                format!("{:.0} s", run.wall_seconds)
            } else {
                format!("{:.0} min", run.wall_seconds / 60.0)
            };
            let machine = if run.machine.is_empty() {
                String::new()
            } else {
                format!(", {}", run.machine)
            };
            format!(
                "full preset ({}{machine}, {wall}): {}",
                run.day, run.headline
            )
        }
        None => "full preset: no recorded headline yet (its README has the figures)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"figures": {
      "a.png": {"experiment": "topic/first", "preset": "full", "headline": "old",
                "host": "AMD EPYC (avx2), 2 threads", "wall_seconds": 60.0,
                "started": "2026-12-01T00-00-00Z", "commit": "x"},
      "b.png": {"experiment": "topic/first", "preset": "full", "headline": "new",
                "host": "Intel(R) Xeon(R) Processor (avx512f), 2 threads", "wall_seconds": 3300.0,
                "started": "2026-12-07T19-10-50Z", "commit": "y"},
      "c.png": {"experiment": "topic/second", "preset": "full", "host": "", "wall_seconds": 9.0,
                "started": "2026-12-07T00-00-00Z"},
      "d.png": {"experiment": "topic/third", "preset": "quick", "headline": "q",
                "wall_seconds": 9.0, "started": "2026-12-07T00-00-00Z"},
      "e.png": {"experiment": "topic/first", "preset": "full", "headline": "other data",
                "command": "cargo run --release -p topic -- first --preset full --dataset x",
                "wall_seconds": 9.0, "started": "2026-12-08T00-00-00Z"},
      "f.png": {"experiment": "topic/fourth", "preset": "full", "headline": "own",
                "command": "cargo run --release -p topic -- fourth --preset full",
                "wall_seconds": 9.0, "started": "2026-12-08T00-00-00Z"}
    }, "runs": {
      "topic/fifth": {"experiment": "topic/fifth", "preset": "full", "headline": "no figure",
                "wall_seconds": 3.0, "started": "2026-12-08T00-00-00Z"}
    }}"#;

    #[test]
    fn the_newest_full_run_with_a_headline_is_kept_per_experiment() {
        let runs = parse(RECORD);
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert_eq!(runs["topic/fourth"].headline, "own");
        assert_eq!(runs["topic/fifth"].headline, "no figure");
        assert_eq!(
            beside(Some(&runs["topic/fifth"])),
            "full preset (2026-12-08, 3 s): no figure"
        );
        // The newer run of topic/first on other data (`--dataset x`) is not its preset's.
        let first = &runs["topic/first"];
        assert_eq!(first.headline, "new");
        assert_eq!(first.day, "2026-12-07");
        assert_eq!(first.machine, "Intel(R) Xeon(R) Processor");
        assert_eq!(
            beside(Some(first)),
            "full preset (2026-12-07, Intel(R) Xeon(R) Processor, 55 min): new"
        );
    }

    #[test]
    fn a_missing_or_broken_record_gives_no_runs_and_says_so() {
        assert!(parse("not json").is_empty());
        assert!(full_runs(Path::new("/nonexistent/figures.json")).is_empty());
        assert!(beside(None).contains("no recorded headline"));
    }

    #[test]
    fn the_repository_record_parses() {
        // The file itself: a format change in xtask that this reader missed shows here.
        let text = std::fs::read_to_string(default_record()).unwrap();
        assert!(serde_json::from_str::<Record>(&text).is_ok());
    }
}
