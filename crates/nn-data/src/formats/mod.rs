//! Readers and writers of the course's file formats. Every reader decodes into an
//! [`ImageDataset`](super::ImageDataset) (NCHW u8) and answers bad input with a
//! [`FormatError`] naming the file; writers exist so tests make their own fixtures.

pub mod cifar;
pub mod idx;
pub mod image_folder;
pub mod npz;
pub mod oxford_pet;
pub mod torch_files;

use crate::error::FormatError;
use std::io::Read;
use std::path::Path;

/// Opens a file, transparently gunzipping it when it starts with the gzip magic bytes
/// (detected from the content, not the name).
pub(crate) fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read>, FormatError> {
    let mut file = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic).map_err(|e| FormatError::io(path, e))?;
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let chained = head.chain(file);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(std::io::BufReader::new(
            flate2::read::GzDecoder::new(chained),
        )))
    } else {
        Ok(Box::new(std::io::BufReader::new(chained)))
    }
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
pub(crate) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads exactly `expected` bytes of content (failing with `Truncated` on fewer, and on
/// trailing data with `Invalid`), without trusting `expected` for the allocation: a header
/// that claims 10^12 images cannot make the reader reserve that memory.
pub(crate) fn read_exact_len(
    reader: &mut impl Read,
    expected: u64,
    path: &Path,
    what: &str,
) -> Result<Vec<u8>, FormatError> {
    let mut data = Vec::with_capacity(expected.min(64 << 20) as usize);
    reader
        .take(expected.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidInput => {
                FormatError::invalid(path, format!("corrupt compressed stream ({e})"))
            }
            _ => FormatError::io(path, e),
        })?;
    let actual = data.len() as u64;
    if actual < expected {
        return Err(FormatError::Truncated {
            path: path.to_path_buf(),
            what: what.to_string(),
            expected,
            actual,
        });
    }
    if actual > expected {
        return Err(FormatError::invalid(
            path,
            format!("{what}: trailing bytes after the {expected} the header announces"),
        ));
    }
    Ok(data)
}

/// Checks every label is below `classes`.
pub(crate) fn check_labels(labels: &[u16], classes: usize, path: &Path) -> Result<(), FormatError> {
    match labels.iter().position(|&l| l as usize >= classes) {
        Some(index) => Err(FormatError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index] as u64,
            classes,
        }),
        None => Ok(()),
    }
}

/// Writes bytes to `path`, gzip-compressed when asked (fixture writers share it).
pub(crate) fn write_bytes(path: &Path, bytes: &[u8], gzip: bool) -> Result<(), FormatError> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    let result = if gzip {
        let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        encoder
            .write_all(bytes)
            .and_then(|_| encoder.finish().map(|_| ()))
    } else {
        let mut file = file;
        file.write_all(bytes)
    };
    result.map_err(|e| FormatError::io(path, e))
}
