//! Image folders: PNG/JPEG files, either one sub-folder per class (labelled, classes in
//! sorted folder order) or flat (unlabelled). Optional resize and grey/RGB conversion.

use super::npz::nhwc_to_nchw;
use crate::error::FormatError;
use crate::{ImageDataset, ImageShape};

/// One image of a folder: its path and, in a labelled folder, its class index.
type FolderItem = (PathBuf, Option<u16>);

/// One decoded image: its shape and its pixels (NCHW, u8).
type Decoded = (ImageShape, Vec<u8>);
use std::path::{Path, PathBuf};

/// Colour handling when decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ColorMode {
    /// Keep what the first image has (grey stays grey, anything else becomes RGB).
    #[default]
    Keep,
    Grey,
    Rgb,
}

/// How to load a folder.
#[derive(Debug, Clone, Default)]
pub struct FolderOptions {
    /// Resize every image to `(width, height)`; without it, all images must share a size.
    pub resize: Option<(u32, u32)>,
    pub color: ColorMode,
    /// Read at most this many images (in sorted path order).
    pub limit: Option<usize>,
    /// Leave out images that cannot be decoded (each named in a warning) instead of
    /// stopping at the first one.
    pub skip_unreadable: bool,
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, FormatError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| FormatError::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// The image files of a folder: `(path, Some(class))` for a labelled folder, `(path, None)`
/// for a flat one, plus the class names.
pub type FolderListing = (Vec<(PathBuf, Option<u16>)>, Vec<String>);

/// Lists the images of a folder with their labels.
pub fn list_folder(root: &Path) -> Result<FolderListing, FormatError> {
    let entries = sorted_entries(root)?;
    let class_dirs: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    let mut items = Vec::new();
    let mut class_names = Vec::new();
    if class_dirs.is_empty() {
        items.extend(
            entries
                .iter()
                .filter(|p| is_image(p))
                .map(|p| (p.clone(), None)),
        );
    } else {
        for dir in class_dirs {
            let label = class_names.len() as u16;
            class_names.push(
                dir.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
            items.extend(
                sorted_entries(dir)?
                    .into_iter()
                    .filter(|p| is_image(p))
                    .map(|p| (p, Some(label))),
            );
        }
    }
    if items.is_empty() {
        return Err(FormatError::invalid(
            root,
            "no PNG or JPEG images here (nor in class sub-folders)",
        ));
    }
    Ok((items, class_names))
}

/// Decodes one image file into (shape, NCHW pixels) with the given options.
pub fn decode_image(
    path: &Path,
    options: &FolderOptions,
    grey: bool,
) -> Result<(ImageShape, Vec<u8>), FormatError> {
    let image = image::ImageReader::open(path)
        .map_err(|e| FormatError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| FormatError::io(path, e))?
        .decode()
        .map_err(|e| FormatError::UnreadableImage {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let image = match options.resize {
        Some((w, h)) if (image.width(), image.height()) != (w, h) => {
            image.resize_exact(w, h, image::imageops::FilterType::Triangle)
        }
        _ => image,
    };
    let (w, h) = (image.width() as usize, image.height() as usize);
    if grey {
        Ok((ImageShape::new(1, h, w), image.into_luma8().into_raw()))
    } else {
        let shape = ImageShape::new(3, h, w);
        Ok((shape, nhwc_to_nchw(&image.into_rgb8().into_raw(), shape)))
    }
}

/// Whether the folder is read as grey: by the option, or (`Keep`) by its first image.
fn wants_grey(items: &[FolderItem], options: &FolderOptions) -> Result<bool, FormatError> {
    Ok(match options.color {
        ColorMode::Grey => true,
        ColorMode::Rgb => false,
        ColorMode::Keep => {
            let first = &items[0].0;
            let color = image::ImageReader::open(first)
                .map_err(|e| FormatError::io(first, e))?
                .with_guessed_format()
                .map_err(|e| FormatError::io(first, e))?
                .decode()
                .map_err(|e| FormatError::UnreadableImage {
                    path: first.clone(),
                    reason: e.to_string(),
                })?
                .color();
            !color.has_color()
        }
    })
}

/// Decodes every image in parallel; unreadable ones are left out with a warning when the
/// options allow it, else an error that says how to skip them. Returns the decoded images
/// and the items they came from, in folder order.
fn decode_all(
    root: &Path,
    items: Vec<FolderItem>,
    options: &FolderOptions,
    grey: bool,
) -> Result<(Vec<Decoded>, Vec<FolderItem>), FormatError> {
    use rayon::prelude::*;
    let results: Vec<Result<Decoded, FormatError>> = items
        .par_iter()
        .map(|(path, _)| decode_image(path, options, grey))
        .collect();
    let mut decoded = Vec::with_capacity(results.len());
    let mut kept = Vec::with_capacity(results.len());
    let mut skipped = Vec::new();
    for (result, item) in results.into_iter().zip(items) {
        match result {
            Ok(image) => {
                decoded.push(image);
                kept.push(item);
            }
            Err(e @ FormatError::UnreadableImage { .. }) if options.skip_unreadable => {
                eprintln!("warning: skipped {e}");
                skipped.push(item.0);
            }
            Err(FormatError::UnreadableImage { path, reason }) => {
                return Err(FormatError::UnreadableImage {
                    path,
                    reason: format!(
                        "{reason}; remove it, or skip unreadable images (`skip_unreadable_images = true`)"
                    ),
                });
            }
            Err(e) => return Err(e),
        }
    }
    if decoded.is_empty() {
        return Err(FormatError::invalid(
            root,
            format!("none of its {} images could be decoded", skipped.len()),
        ));
    }
    if !skipped.is_empty() {
        eprintln!(
            "warning: {} of {} images in {} were unreadable and left out",
            skipped.len(),
            skipped.len() + decoded.len(),
            root.display()
        );
    }
    Ok((decoded, kept))
}

/// Reads a whole image folder into one data set.
pub fn read_image_folder(
    root: &Path,
    options: &FolderOptions,
) -> Result<ImageDataset, FormatError> {
    let (mut items, class_names) = list_folder(root)?;
    if let Some(limit) = options.limit {
        items.truncate(limit);
    }
    let grey = wants_grey(&items, options)?;
    let (decoded, items) = decode_all(root, items, options, grey)?;
    let shape = decoded[0].0;
    let mut pixels = Vec::with_capacity(decoded.len() * shape.len());
    for ((other, data), (path, _)) in decoded.iter().zip(&items) {
        if *other != shape {
            return Err(FormatError::MixedSizes {
                path: path.clone(),
                first: shape.to_string(),
                found: other.to_string(),
            });
        }
        pixels.extend_from_slice(data);
    }
    let labels = if class_names.is_empty() {
        None
    } else {
        Some(items.iter().map(|(_, l)| l.unwrap_or(0)).collect())
    };
    Ok(ImageDataset {
        pixels,
        labels,
        shape,
        class_names,
        source: root.display().to_string(),
    })
}

/// Writes a data set as a folder of PNGs (one sub-folder per class when labelled).
pub fn write_image_folder(root: &Path, dataset: &ImageDataset) -> Result<(), FormatError> {
    std::fs::create_dir_all(root).map_err(|e| FormatError::io(root, e))?;
    for i in 0..dataset.len() {
        let dir = match dataset.label(i) {
            Some(label) => root.join(dataset.class_name(label)),
            None => root.to_path_buf(),
        };
        std::fs::create_dir_all(&dir).map_err(|e| FormatError::io(&dir, e))?;
        let path = dir.join(format!("{i:06}.png"));
        save_png(&path, dataset.shape, dataset.image(i))?;
    }
    Ok(())
}

/// Saves one NCHW u8 image (1 or 3 channels) as PNG.
pub fn save_png(path: &Path, shape: ImageShape, chw: &[u8]) -> Result<(), FormatError> {
    let (w, h) = (shape.width as u32, shape.height as u32);
    let result = if shape.channels == 1 {
        image::GrayImage::from_raw(w, h, chw.to_vec()).map(|img| img.save(path))
    } else {
        let hwc = super::npz::nchw_to_nhwc(chw, shape);
        image::RgbImage::from_raw(w, h, hwc).map(|img| img.save(path))
    };
    match result {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(FormatError::invalid(path, format!("cannot write PNG: {e}"))),
        None => Err(FormatError::invalid(
            path,
            "pixel buffer does not match its shape",
        )),
    }
}
