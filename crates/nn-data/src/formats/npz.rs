//! NPZ as MedMNIST ships it: a zip of `.npy` arrays `{train,val,test}_{images,labels}`,
//! uint8, images `N x H x W` (grey) or `N x H x W x 3` (colour), labels `N x 1`.

use super::{check_labels, read_exact_len, read_up_to};
use crate::error::FormatError;
use crate::{ImageDataset, ImageShape};
use std::io::{Read, Seek, Write};
use std::path::Path;

const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// A decoded `.npy` array of u8.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads one u8 `.npy` stream (C order). `path`/`name` only label errors.
pub fn read_npy(reader: &mut impl Read, path: &Path, name: &str) -> Result<NpyArray, FormatError> {
    let header = read_npy_header(reader, path, name)?;
    let header = String::from_utf8_lossy(&header);
    let shape = u8_shape(&header, path, name)?;
    let expected = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| FormatError::invalid(path, format!("{name}: shape {shape:?} overflows")))?;
    let data = read_exact_len(reader, expected, path, &format!("{name} {shape:?}"))?;
    Ok(NpyArray { shape, data })
}

/// Reads an `.npy` preamble (magic, version, header length) and returns its header dict
/// as bytes; every way it can be cut short or malformed is an error naming `name`.
fn read_npy_header(
    reader: &mut impl Read,
    path: &Path,
    name: &str,
) -> Result<Vec<u8>, FormatError> {
    let mut preamble = [0u8; 10];
    let n = read_up_to(reader, &mut preamble).map_err(|e| FormatError::io(path, e))?;
    if n < 10 {
        return Err(FormatError::Truncated {
            path: path.to_path_buf(),
            what: format!("the header of {name}"),
            expected: 10,
            actual: n as u64,
        });
    }
    if &preamble[..6] != NPY_MAGIC {
        return Err(FormatError::BadMagic {
            path: path.to_path_buf(),
            found: format!("{:02x?} in {name}", &preamble[..6]),
            expected: "\\x93NUMPY".into(),
        });
    }
    let header_len = match preamble[6] {
        1 => u16::from_le_bytes([preamble[8], preamble[9]]) as usize,
        2 | 3 => {
            let mut rest = [0u8; 2];
            reader
                .read_exact(&mut rest)
                .map_err(|e| FormatError::io(path, e))?;
            u32::from_le_bytes([preamble[8], preamble[9], rest[0], rest[1]]) as usize
        }
        v => {
            return Err(FormatError::invalid(
                path,
                format!("{name}: unsupported .npy version {v}"),
            ));
        }
    };
    if header_len > 1 << 20 {
        return Err(FormatError::invalid(
            path,
            format!("{name}: .npy header of {header_len} bytes"),
        ));
    }
    let mut header = vec![0u8; header_len];
    let n = read_up_to(reader, &mut header).map_err(|e| FormatError::io(path, e))?;
    if n < header_len {
        return Err(FormatError::Truncated {
            path: path.to_path_buf(),
            what: format!("the header of {name}"),
            expected: header_len as u64,
            actual: n as u64,
        });
    }
    Ok(header)
}

/// The array's shape from its header dict, once the header says uint8 in C order.
fn u8_shape(header: &str, path: &Path, name: &str) -> Result<Vec<usize>, FormatError> {
    let descr = dict_value(header, "descr")
        .ok_or_else(|| FormatError::invalid(path, format!("{name}: no 'descr' in .npy header")))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"' || c == ' ');
    if !matches!(descr, "|u1" | "<u1" | ">u1" | "u1" | "|b1") {
        return Err(FormatError::invalid(
            path,
            format!("{name}: element type {descr}, expected uint8 (|u1)"),
        ));
    }
    if dict_value(header, "fortran_order").is_some_and(|v| v.trim() == "True") {
        return Err(FormatError::invalid(
            path,
            format!("{name}: Fortran order is not supported"),
        ));
    }
    let shape_text = dict_value(header, "shape")
        .ok_or_else(|| FormatError::invalid(path, format!("{name}: no 'shape' in .npy header")))?;
    let shape = shape_text
        .trim_matches(|c| c == '(' || c == ')' || c == ' ')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| FormatError::invalid(path, format!("{name}: bad shape {shape_text}")))?;
    Ok(shape)
}

/// The text of a key's value in a numpy header dict (`{'descr': '|u1', 'shape': (3, 28, 28), }`).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find(',').or_else(|| rest.find('}'))?
    };
    Some(&rest[..end])
}

/// Reads split `split` (`train`, `val` or `test`) of a MedMNIST `.npz` file.
pub fn read_npz_split(
    path: &Path,
    split: &str,
    class_names: &[String],
) -> Result<ImageDataset, FormatError> {
    let file = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
        FormatError::invalid(path, format!("not a readable NPZ (zip) archive: {e}"))
    })?;
    let images = read_member(&mut archive, path, &format!("{split}_images"))?;
    let labels = read_member(&mut archive, path, &format!("{split}_labels"))?;
    let (count, shape) = match images.shape.as_slice() {
        [n, h, w] => (*n, ImageShape::new(1, *h, *w)),
        [n, h, w, c] => (*n, ImageShape::new(*c, *h, *w)),
        other => {
            return Err(FormatError::invalid(
                path,
                format!("{split}_images has shape {other:?}, expected N x H x W [x C]"),
            ));
        }
    };
    let label_count = labels.shape.first().copied().unwrap_or(0);
    if label_count != count || labels.data.len() != count {
        return Err(FormatError::CountMismatch {
            path: path.to_path_buf(),
            images: count,
            labels: labels.data.len(),
        });
    }
    let labels: Vec<u16> = labels.data.iter().map(|&l| l as u16).collect();
    check_labels(&labels, class_names.len(), path)?;
    let pixels = if shape.channels == 1 {
        images.data
    } else {
        nhwc_to_nchw(&images.data, shape)
    };
    Ok(ImageDataset {
        pixels,
        labels: Some(labels),
        shape,
        class_names: class_names.to_vec(),
        source: format!("{}:{split}", path.display()),
    })
}

fn read_member<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    name: &str,
) -> Result<NpyArray, FormatError> {
    let member = format!("{name}.npy");
    let mut entry = archive
        .by_name(&member)
        .map_err(|e| FormatError::invalid(path, format!("member {member}: {e}")))?;
    read_npy(&mut entry, path, &member)
}

/// Reorders interleaved NHWC pixels into planar NCHW.
pub fn nhwc_to_nchw(data: &[u8], shape: ImageShape) -> Vec<u8> {
    let (c, plane) = (shape.channels, shape.height * shape.width);
    let mut out = vec![0u8; data.len()];
    for (image_in, image_out) in data
        .chunks_exact(shape.len())
        .zip(out.chunks_exact_mut(shape.len()))
    {
        for p in 0..plane {
            for ch in 0..c {
                image_out[ch * plane + p] = image_in[p * c + ch];
            }
        }
    }
    out
}

/// Encodes a u8 array as `.npy` bytes (version 1, C order).
pub fn npy_bytes(shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape_text}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = NPY_MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// Writes a MedMNIST-style `.npz` with the given splits (grey images as `N x H x W`,
/// colour as `N x H x W x C`, labels as `N x 1`): the fixture writer.
pub fn write_npz(path: &Path, splits: &[(&str, &ImageDataset)]) -> Result<(), FormatError> {
    let file = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zip_err = |e: zip::result::ZipError| FormatError::invalid(path, format!("zip: {e}"));
    for (split, dataset) in splits {
        let s = dataset.shape;
        let (shape, pixels) = if s.channels == 1 {
            (
                vec![dataset.len(), s.height, s.width],
                dataset.pixels.clone(),
            )
        } else {
            (
                vec![dataset.len(), s.height, s.width, s.channels],
                nchw_to_nhwc(&dataset.pixels, s),
            )
        };
        zip.start_file(format!("{split}_images.npy"), options)
            .map_err(zip_err)?;
        zip.write_all(&npy_bytes(&shape, &pixels))
            .map_err(|e| FormatError::io(path, e))?;
        let labels: Vec<u8> = dataset.labels.iter().flatten().map(|&l| l as u8).collect();
        zip.start_file(format!("{split}_labels.npy"), options)
            .map_err(zip_err)?;
        zip.write_all(&npy_bytes(&[labels.len(), 1], &labels))
            .map_err(|e| FormatError::io(path, e))?;
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}

/// Reorders planar NCHW pixels into interleaved NHWC.
pub fn nchw_to_nhwc(data: &[u8], shape: ImageShape) -> Vec<u8> {
    let (c, plane) = (shape.channels, shape.height * shape.width);
    let mut out = vec![0u8; data.len()];
    for (image_in, image_out) in data
        .chunks_exact(shape.len())
        .zip(out.chunks_exact_mut(shape.len()))
    {
        for p in 0..plane {
            for ch in 0..c {
                image_out[p * c + ch] = image_in[ch * plane + p];
            }
        }
    }
    out
}
