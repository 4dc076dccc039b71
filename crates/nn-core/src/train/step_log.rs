//! A per-step log (`steps.jsonl`, one JSON object per optimiser step) beside the per-epoch
//! `metrics.jsonl`: short runs of few epochs still get a loss curve with a point per
//! step. A resumed run rewrites the steps it repeats.

use super::EpochContext;
use crate::{Error, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// An open step log, appending.
pub struct StepLog {
    path: PathBuf,
    file: std::fs::File,
}

impl StepLog {
    /// Opens `path` for the steps of the context's epoch. Lines of that epoch or later
    /// are dropped (a resumed run repeats them), except the first ones of a mid-epoch
    /// resume, one per batch already trained.
    pub fn open(path: &Path, ctx: &EpochContext) -> Result<StepLog> {
        let mut of_epoch = 0;
        let kept: String = read_steps(path)
            .into_iter()
            .filter(|v| match v["epoch"].as_u64().map(|e| e as usize) {
                Some(e) if e < ctx.epoch => true,
                Some(e) if e == ctx.epoch => {
                    of_epoch += 1;
                    of_epoch <= ctx.resumed_batches()
                }
                _ => false,
            })
            .map(|v| format!("{v}\n"))
            .collect();
        std::fs::write(path, kept).map_err(|e| Error::io(path, e))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(StepLog {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one step's record.
    pub fn append(&mut self, record: &serde_json::Value) -> Result<()> {
        writeln!(self.file, "{record}").map_err(|e| Error::io(&self.path, e))
    }
}

/// Every record of a step log (none if the file is absent; unreadable lines skipped).
pub fn read_steps(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `(step, mean of key)` over windows of consecutive records, about `points` in all, so a
/// noisy per-step curve shows its trend. A last window shorter than half the others joins
/// the one before it: averaged over a step or two, it drew a spurious jump at the end.
pub fn smoothed(steps: &[serde_json::Value], key: &str, points: usize) -> Vec<(f64, f64)> {
    let window = (steps.len() / points.max(1)).max(1);
    let mut windows: Vec<&[serde_json::Value]> = steps.chunks(window).collect();
    let short_tail = windows.last().is_some_and(|w| w.len() * 2 < window);
    if short_tail && windows.len() >= 2 {
        let start = (windows.len() - 2) * window;
        windows.truncate(windows.len() - 2);
        windows.push(&steps[start..]);
    }
    windows
        .into_iter()
        .filter_map(|w| {
            let x = w.last()?["step"].as_f64()?;
            let values: Vec<f64> = w.iter().filter_map(|s| s[key].as_f64()).collect();
            (!values.is_empty()).then(|| (x, values.iter().sum::<f64>() / values.len() as f64))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::smoothed;

    #[test]
    fn a_short_last_window_joins_the_one_before() {
        // 626 steps in windows of 6: the last 2 would make a window of their own.
        let steps: Vec<serde_json::Value> = (1..=626)
            .map(|s| serde_json::json!({"step": s, "loss": if s > 624 { 0.0 } else { 1.0 }}))
            .collect();
        let points = smoothed(&steps, "loss", 100);
        assert_eq!(points.len(), 104);
        let (x, y) = *points.last().unwrap();
        assert_eq!(x, 626.0);
        assert!((y - 6.0 / 8.0).abs() < 1e-12, "last point {y}");
        assert!(points[..103].iter().all(|&(_, y)| y == 1.0));
        // Every step still counts once.
        assert_eq!(
            smoothed(&steps[..12], "loss", 2),
            vec![(6.0, 1.0), (12.0, 1.0)]
        );
    }
}
