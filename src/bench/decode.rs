//! Data decoding throughput: every split of each data set present read into an
//! `ImageDataset` (what an experiment does before its first step), best of a few runs.

use nn_core::data::{catalog, verify};
use std::path::Path;
use std::time::Instant;

/// One data set's decoding speed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decoding {
    pub dataset: String,
    pub images: usize,
    /// Bytes of the files read (compressed where the files are).
    pub file_bytes: u64,
    pub seconds: f64,
    pub images_per_second: f64,
    pub file_megabytes_per_second: f64,
}

/// Decodes each data set present in `data_dir` `repeat` times and keeps the best time.
pub fn measure(data_dir: &Path, repeat: usize) -> nn_core::Result<Vec<Decoding>> {
    let mut results = Vec::new();
    for spec in catalog() {
        if !verify::is_present(spec, data_dir) {
            continue;
        }
        let file_bytes: u64 = spec
            .splits
            .iter()
            .flat_map(|(split, _)| spec.split_files(data_dir, split))
            .map(|f| file_size(&f))
            .sum();
        let mut best = f64::INFINITY;
        let mut images = 0;
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            images = 0;
            for (split, _) in spec.splits {
                images += spec.load(data_dir, split)?.len();
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        results.push(Decoding {
            dataset: spec.name.to_string(),
            images,
            file_bytes,
            seconds: best,
            images_per_second: images as f64 / best,
            file_megabytes_per_second: file_bytes as f64 / 1e6 / best,
        });
    }
    Ok(results)
}

/// Size of a file, or of every file in a folder (an image folder data set).
fn file_size(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| file_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}
