//! IDX, the MNIST / Fashion-MNIST format: a big-endian header (`0, 0, type, ndims`, then
//! one u32 per dimension) followed by the values. Raw or gzip (detected by magic bytes).

use super::{check_labels, open_maybe_gz, read_exact_len, read_up_to};
use crate::error::FormatError;
use crate::{ImageDataset, ImageShape};
use std::io::Read;
use std::path::Path;

/// Type code of unsigned bytes, the only element type the image sets use.
const UBYTE: u8 = 0x08;

/// A decoded IDX array of u8: its dimensions and values.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes with `expected_dims` dimensions (3 for images,
/// 1 for labels).
pub fn read_idx(path: &Path, expected_dims: u8) -> Result<IdxArray, FormatError> {
    let mut reader = open_maybe_gz(path)?;
    let mut header = [0u8; 4];
    let n = read_up_to(&mut reader, &mut header).map_err(|e| FormatError::io(path, e))?;
    if n < 4 {
        return Err(FormatError::Truncated {
            path: path.to_path_buf(),
            what: "the IDX header".into(),
            expected: 4,
            actual: n as u64,
        });
    }
    let expected_magic = [0, 0, UBYTE, expected_dims];
    if header != expected_magic {
        return Err(FormatError::BadMagic {
            path: path.to_path_buf(),
            found: format!(
                "{:02x}{:02x}{:02x}{:02x}",
                header[0], header[1], header[2], header[3]
            ),
            expected: format!(
                "0000{UBYTE:02x}{expected_dims:02x} (IDX u8, {expected_dims} dimensions)"
            ),
        });
    }
    let mut dims_raw = vec![0u8; 4 * expected_dims as usize];
    let n = read_up_to(&mut reader, &mut dims_raw).map_err(|e| FormatError::io(path, e))?;
    if n < dims_raw.len() {
        return Err(FormatError::Truncated {
            path: path.to_path_buf(),
            what: "the IDX dimensions".into(),
            expected: dims_raw.len() as u64,
            actual: n as u64,
        });
    }
    let dims: Vec<usize> = dims_raw
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| FormatError::invalid(path, format!("IDX dimensions {dims:?} overflow")))?;
    let data = read_exact_len(&mut reader, expected, path, &format!("{dims:?} IDX values"))?;
    Ok(IdxArray { dims, data })
}

/// Reads an images file and a labels file into one labelled data set.
pub fn read_idx_pair(
    images: &Path,
    labels: &Path,
    class_names: &[&str],
) -> Result<ImageDataset, FormatError> {
    let images_array = read_idx(images, 3)?;
    let labels_array = read_idx(labels, 1)?;
    let (count, height, width) = (
        images_array.dims[0],
        images_array.dims[1],
        images_array.dims[2],
    );
    if count != labels_array.dims[0] {
        return Err(FormatError::CountMismatch {
            path: labels.to_path_buf(),
            images: count,
            labels: labels_array.dims[0],
        });
    }
    let labels_u16: Vec<u16> = labels_array.data.iter().map(|&l| l as u16).collect();
    check_labels(&labels_u16, class_names.len(), labels)?;
    Ok(ImageDataset {
        pixels: images_array.data,
        labels: Some(labels_u16),
        shape: ImageShape::new(1, height, width),
        class_names: class_names.iter().map(|s| s.to_string()).collect(),
        source: images.display().to_string(),
    })
}

/// Writes an IDX u8 array (gzip-compressed when `gzip`): the fixture writer.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> Result<(), FormatError> {
    let mut bytes = vec![0, 0, UBYTE, dims.len() as u8];
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(data);
    super::write_bytes(path, &bytes, gzip)
}

/// Writes a grey [`ImageDataset`] as an IDX images + labels pair.
pub fn write_idx_pair(
    dataset: &ImageDataset,
    images: &Path,
    labels: &Path,
    gzip: bool,
) -> Result<(), FormatError> {
    let shape = dataset.shape;
    if shape.channels != 1 {
        return Err(FormatError::invalid(images, "IDX holds grey images only"));
    }
    write_idx(
        images,
        &[dataset.len(), shape.height, shape.width],
        &dataset.pixels,
        gzip,
    )?;
    let label_bytes: Vec<u8> = dataset.labels.iter().flatten().map(|&l| l as u8).collect();
    write_idx(labels, &[label_bytes.len()], &label_bytes, gzip)
}

#[allow(dead_code)]
fn _assert_read_is_object_safe(_: &mut dyn Read) {}
