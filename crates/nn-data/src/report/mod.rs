//! The course as one HTML page (`<runs>/report/index.html`, its images copied beside it),
//! written by `cargo xtask report` and at the end of `cargo xtask curriculum`. It reads
//! only run directories (each experiment's newest finished run, or its newest failed one,
//! with the words its topic crate wrote into its summary) and `curriculum.json` when
//! present, so it can be rebuilt at any time; beside a run of another preset it puts what
//! the full preset reached, from the README's record (`full_record`).

pub mod full_record;
mod headline;
mod html;

pub use headline::headline;

use crate::{Error, Result, Summary};
use html::{CHECK_IMAGES, STYLE, escape, section, summary_row, week_heading};
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Found {
    name: String,
    dir: Option<PathBuf>,
    summary: Option<Summary>,
    error: Option<String>,
}

impl Found {
    fn topic(&self) -> &str {
        self.name.split('/').next().unwrap_or("")
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Each experiment under `runs` (topic/name folders): its newest finished run, else its
/// newest run with the reason it failed.
fn find_runs(runs: &Path) -> Vec<Found> {
    // The curriculum's order and recorded errors, when it ran.
    let entries: Vec<Value> = read_json(&runs.join("curriculum.json"))
        .and_then(|s| s["experiments"].as_array().cloned())
        .unwrap_or_default();
    let mut found: Vec<Found> = experiment_names(runs, &entries)
        .into_iter()
        .filter_map(|name| find_run(runs, name, &entries))
        .collect();
    // Weeks in course order (by the week their runs recorded; a topic without one last),
    // each in curriculum order, else by name.
    let weeks: Vec<(String, (u32, u32))> = found
        .iter()
        .filter_map(|f| {
            let week = week_span(&f.summary.as_ref()?.words.week)?;
            Some((f.topic().to_string(), week))
        })
        .collect();
    let week_of = |topic: &str| {
        weeks
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, w)| *w)
            .unwrap_or((u32::MAX, u32::MAX))
    };
    found.sort_by_key(|f| week_of(f.topic()));
    found
}

/// Every experiment with a folder under `runs`: the curriculum's, in its order, then the
/// others by topic and name.
fn experiment_names(runs: &Path, entries: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect();
    let mut topics: Vec<String> = std::fs::read_dir(runs)
        .map(|e| {
            e.flatten()
                .filter(|e| e.path().is_dir() && e.file_name() != "report")
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    topics.sort();
    for topic in topics {
        let mut dirs: Vec<String> = std::fs::read_dir(runs.join(&topic))
            .map(|e| {
                e.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| format!("{topic}/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        names.extend(
            dirs.into_iter()
                .filter(|d| !names.contains(d))
                .collect::<Vec<_>>(),
        );
    }
    names
}

/// The newest finished run of experiment `name`, else its newest run (or the curriculum's
/// record) with the reason it failed; `None` when it never started.
fn find_run(runs: &Path, name: String, entries: &[Value]) -> Option<Found> {
    let dirs = crate::records::finished_runs(runs, &name);
    if let Some(dir) = dirs.last() {
        return Some(Found {
            name,
            summary: read_summary(&dir.join("summary.json")),
            dir: Some(dir.clone()),
            error: None,
        });
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(runs.join(&name))
        .map(|e| e.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    all.sort();
    let recorded = entries
        .iter()
        .find(|e| e["name"] == name.as_str())
        .and_then(|e| e["error"].as_str().map(str::to_string));
    let dir = all.pop();
    let error = dir
        .as_ref()
        .and_then(|d| std::fs::read_to_string(d.join("error.txt")).ok())
        .or(recorded);
    (dir.is_some() || error.is_some()).then(|| Found {
        name,
        dir,
        summary: None,
        error: Some(error.unwrap_or_else(|| "did not finish".into())),
    })
}

/// `"4"` -> (4, 4), `"1-2"` -> (1, 2): the weeks a topic spans, to order the report by
/// (a week before one that starts with it and goes on).
fn week_span(week: &str) -> Option<(u32, u32)> {
    let (first, last) = week.split_once('-').unwrap_or((week, week));
    Some((first.trim().parse().ok()?, last.trim().parse().ok()?))
}

/// A run's `summary.json`, typed; `None` when it is missing or unreadable (the words of a
/// summary written before they were recorded default to none).
fn read_summary(path: &Path) -> Option<Summary> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Writes `<runs>/report/index.html` (and `img/`); returns the page's path.
pub fn write(runs: &Path) -> Result<PathBuf> {
    let report = runs.join("report");
    let img = report.join("img");
    if img.exists() {
        std::fs::remove_dir_all(&img).map_err(|e| Error::io(&img, e))?;
    }
    std::fs::create_dir_all(&img).map_err(|e| Error::io(&img, e))?;
    let found = find_runs(runs);
    let full = full_record::full_runs(&full_record::default_record());
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Next Gen Visual Models: course report</title><style>{STYLE}</style></head><body>\
         <h1>Next Gen Visual Models: course report</h1><p>{} experiments from <code>{}</code>.</p>",
        found.len(),
        escape(&runs.display().to_string())
    );
    html.push_str("<table id=\"summary\"><thead><tr><th>experiment</th><th>status</th><th>headline</th><th>data</th><th>backend</th><th>preset</th><th>wall</th></tr></thead><tbody>");
    for f in &found {
        html.push_str(&summary_row(f, full.get(&f.name)));
    }
    html.push_str("</tbody></table>");
    let mut topics: Vec<&str> = found.iter().map(Found::topic).collect();
    topics.dedup();
    for topic in topics {
        let of_week: Vec<&Found> = found.iter().filter(|f| f.topic() == topic).collect();
        html.push_str(&week_heading(topic, &of_week));
        for f in of_week {
            html.push_str(&section(f, full.get(&f.name), &img)?);
        }
    }
    html.push_str(CHECK_IMAGES);
    html.push_str("</body></html>\n");
    let page = report.join("index.html");
    crate::fs::write_atomic(&page, html.as_bytes())?;
    Ok(page)
}
