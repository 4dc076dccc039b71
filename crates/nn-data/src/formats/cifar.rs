//! CIFAR-10 / CIFAR-100 binary: fixed-size records of label byte(s) followed by 3,072 bytes
//! (1,024 red, 1,024 green, 1,024 blue; rows of 32). Any whole number of records is accepted.

use super::check_labels;
use crate::error::FormatError;
use crate::{ImageDataset, ImageShape};
use std::path::Path;

const PIXELS: usize = 3 * 32 * 32;

/// Which CIFAR variant a file is, and for CIFAR-100 which of its two labels to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CifarKind {
    /// One label byte, 10 classes.
    Ten,
    /// Coarse then fine label byte; keep the 100 fine labels.
    HundredFine,
    /// Coarse then fine label byte; keep the 20 coarse labels.
    HundredCoarse,
}

impl CifarKind {
    fn label_bytes(self) -> usize {
        match self {
            Self::Ten => 1,
            _ => 2,
        }
    }

    /// Bytes per record.
    pub fn record_len(self) -> usize {
        self.label_bytes() + PIXELS
    }
}

/// Reads and concatenates CIFAR binary files (e.g. `data_batch_1..5.bin`).
pub fn read_cifar(
    paths: &[&Path],
    kind: CifarKind,
    class_names: &[String],
) -> Result<ImageDataset, FormatError> {
    let record = kind.record_len();
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for &path in paths {
        let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
        if bytes.is_empty() || bytes.len() % record != 0 {
            return Err(FormatError::RecordSize {
                path: path.to_path_buf(),
                len: bytes.len() as u64,
                record: record as u64,
            });
        }
        pixels.reserve(bytes.len() / record * PIXELS);
        let first_label = labels.len();
        for chunk in bytes.chunks_exact(record) {
            let label = match kind {
                CifarKind::Ten | CifarKind::HundredCoarse => chunk[0],
                CifarKind::HundredFine => chunk[1],
            };
            labels.push(label as u16);
            pixels.extend_from_slice(&chunk[kind.label_bytes()..]);
        }
        // Indices in the error are record numbers within this file.
        check_labels(&labels[first_label..], class_names.len(), path)?;
    }
    Ok(ImageDataset {
        pixels,
        labels: Some(labels),
        shape: ImageShape::new(3, 32, 32),
        class_names: class_names.to_vec(),
        source: paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    })
}

/// Writes a 32x32 RGB data set as CIFAR records. For the CIFAR-100 layout, `coarse` gives
/// the coarse label of each image (the dataset's labels are the fine ones).
pub fn write_cifar(
    path: &Path,
    dataset: &ImageDataset,
    coarse: Option<&[u16]>,
) -> Result<(), FormatError> {
    if dataset.shape != ImageShape::new(3, 32, 32) {
        return Err(FormatError::invalid(
            path,
            "CIFAR records hold 32x32 RGB images",
        ));
    }
    let labels = dataset
        .labels
        .as_ref()
        .ok_or_else(|| FormatError::invalid(path, "CIFAR records need labels"))?;
    let mut bytes = Vec::with_capacity(dataset.len() * (PIXELS + 2));
    for (i, &label) in labels.iter().enumerate() {
        if let Some(coarse) = coarse {
            bytes.push(coarse[i] as u8);
        }
        bytes.push(label as u8);
        bytes.extend_from_slice(dataset.image(i));
    }
    super::write_bytes(path, &bytes, false)
}
