//! The checkpoint of an epoch cut short by Ctrl-C: the training state after the batches
//! done so far, plus where the epoch stood (batches, loss sums, running sums, time), in
//! `checkpoints/partial.ckpt`. A resume continues the epoch at the next batch; once the
//! epoch finishes, its ordinary checkpoint replaces this file.

use super::checkpoint::{Checkpoint, write_atomic};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FILE: &str = "partial.ckpt";
const KEY: &str = "partial_epoch";

/// Where an interrupted epoch stood.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartialEpoch {
    /// The epoch that was cut short (the checkpoint's `epoch` is the one before it).
    pub epoch: usize,
    /// Batches trained in it.
    pub batches: usize,
    pub steps: usize,
    pub loss_sum: f64,
    pub first_loss: Option<f64>,
    pub sums: BTreeMap<String, f64>,
    /// Seconds spent on it before the interrupt.
    pub seconds: f64,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Writes `checkpoint` (the state after the batches done) with `partial` to
/// `partial.ckpt`, atomically.
pub fn save(dir: &Path, mut checkpoint: Checkpoint, partial: &PartialEpoch) -> Result<PathBuf> {
    let mut extra = match checkpoint.extra.take() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    extra.insert(
        KEY.into(),
        serde_json::to_value(partial).expect("a partial epoch serialises"),
    );
    checkpoint.extra = serde_json::Value::Object(extra);
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let file = path(dir);
    write_atomic(&file, &checkpoint.to_bytes())?;
    Ok(file)
}

/// The interrupted epoch's checkpoint in `dir`, when there is one that reads back and is
/// newer than `completed` epochs. A damaged one is reported and ignored (the last epoch's
/// checkpoint is then used).
pub fn load(dir: &Path, completed: usize) -> Option<(Checkpoint, PartialEpoch)> {
    let file = path(dir);
    if !file.exists() {
        return None;
    }
    let checkpoint = match Checkpoint::load(&file) {
        Ok(checkpoint) => checkpoint,
        Err(e) => {
            eprintln!("warning: {e}; using the last finished epoch's checkpoint");
            return None;
        }
    };
    let partial: PartialEpoch = match checkpoint
        .extra
        .get(KEY)
        .cloned()
        .map(serde_json::from_value)
    {
        Some(Ok(partial)) => partial,
        _ => {
            eprintln!(
                "warning: {} has no readable `{KEY}` record; using the last finished epoch's checkpoint",
                file.display()
            );
            return None;
        }
    };
    (checkpoint.epoch >= completed && partial.epoch == checkpoint.epoch + 1)
        .then_some((checkpoint, partial))
}

/// Removes the interrupted epoch's checkpoint once that epoch has finished.
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(path(dir));
}
