//! What a run read, split by split, in `<run dir>/data.json`: where from, how many images,
//! their fingerprint, and whether they were a synthetic stand-in. A resume reads the same
//! splits again and must find the same images (wherever `--data-dir` now points), and
//! keeps real data real and a stand-in a stand-in.

use super::Run;
use crate::error::{Error, Result};
use nn_data::ImageDataset;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file in the run directory.
pub const FILE: &str = "data.json";

/// One split a run read, after its `--limit` and size cuts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedSplit {
    /// A catalog name (`fashion-mnist`), or the folder of `--images`.
    pub dataset: String,
    /// `train`, `test`, `all`, ... (`folder` for `--images`).
    pub split: String,
    /// The size the experiment asked for (0 for all): one split can be read at two sizes.
    pub size: usize,
    /// The seed of the subset cuts (a multi-seed study reads one split once per seed).
    pub seed: u64,
    /// Images it got.
    pub images: usize,
    /// [`ImageDataset::fingerprint`] of them.
    pub fingerprint: String,
    /// A synthetic stand-in for an absent data set (`--synthetic`).
    pub stand_in: bool,
    /// The data folder it was read from (absolute).
    pub data_dir: PathBuf,
}

impl LoadedSplit {
    /// The record of `data`, read as (`dataset`, `split`, `size`) from `run`'s data folder.
    pub fn of(
        run: &Run,
        (dataset, split, size): (&str, &str, usize),
        data: &ImageDataset,
        stand_in: bool,
    ) -> Self {
        Self {
            dataset: dataset.to_string(),
            split: split.to_string(),
            size,
            seed: run.seed,
            images: data.len(),
            fingerprint: data.fingerprint(),
            stand_in,
            data_dir: run.data_dir.clone(),
        }
    }

    fn same_read(&self, other: &LoadedSplit) -> bool {
        (&self.dataset, &self.split, self.size, self.seed)
            == (&other.dataset, &other.split, other.size, other.seed)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    splits: Vec<LoadedSplit>,
}

fn read(path: &Path) -> Result<Record> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::Other(format!(
                "{}: damaged ({e}); it records the data this run read, so a resume cannot \
                 check its data: start a new run",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::default()),
        Err(e) => Err(Error::io(path, e)),
    }
}

impl Run {
    fn data_identity_path(&self) -> PathBuf {
        self.resume_dir.join(FILE)
    }

    /// On a resume, what the run read before as (`dataset`, `split`, `size`), if anything.
    pub(crate) fn saved_split(
        &self,
        (dataset, split, size): (&str, &str, usize),
    ) -> Result<Option<LoadedSplit>> {
        if !self.resumed {
            return Ok(None);
        }
        let record = read(&self.data_identity_path())?;
        Ok(record.splits.into_iter().find(|s| {
            (s.dataset.as_str(), s.split.as_str(), s.size, s.seed)
                == (dataset, split, size, self.seed)
        }))
    }

    /// Records `loaded` in `data.json`, or, when the run read that split before, checks that
    /// it got the same images: an error naming what differs, where each was read from.
    pub(crate) fn check_or_record_split(&self, loaded: LoadedSplit) -> Result<()> {
        let path = self.data_identity_path();
        let mut record = read(&path)?;
        if let Some(saved) = record.splits.iter().find(|s| s.same_read(&loaded)) {
            if (saved.images, &saved.fingerprint, saved.stand_in)
                == (loaded.images, &loaded.fingerprint, loaded.stand_in)
            {
                return Ok(());
            }
            let what = |s: &LoadedSplit| {
                format!(
                    "{} {}images (fingerprint {}) in {}",
                    s.images,
                    if s.stand_in {
                        "synthetic stand-in "
                    } else {
                        ""
                    },
                    s.fingerprint,
                    s.data_dir.display()
                )
            };
            return Err(Error::Other(format!(
                "resuming {}: the data differs from what the run trained on: `{}` split `{}` \
                 now gives {}, the run read {}. Point --data-dir (or NGVM_DATA_DIR) at the data \
                 it was started with, or start a new run",
                self.resume_dir.display(),
                loaded.dataset,
                loaded.split,
                what(&loaded),
                what(saved),
            )));
        }
        record.splits.push(loaded);
        let text =
            serde_json::to_string_pretty(&record).map_err(|e| Error::Other(e.to_string()))?;
        nn_data::fs::write_atomic(&path, text.as_bytes())
    }
}
