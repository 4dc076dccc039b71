//! Image grids: a batch of images side by side, with optional captions under each.

use super::{draw_error, font, save_rgb};
use crate::Result;
use crate::data::{ImageShape, Normalization};
use burn::prelude::*;
use plotters::prelude::*;
use std::path::Path;

/// Pixels between cells and around the grid.
pub const PAD: usize = 2;
/// Height of a caption strip under each cell, when any image has a caption.
pub const CAPTION_HEIGHT: usize = 14;

/// One cell of a grid: a CHW u8 image (1 or 3 channels) and an optional caption.
#[derive(Debug, Clone, PartialEq)]
pub struct GridImage {
    pub shape: ImageShape,
    pub pixels: Vec<u8>,
    pub caption: Option<String>,
}

/// Converts a `[n, c, h, w]` tensor to grid images, undoing `norm` to get [0, 1] values.
pub fn tensor_to_images(images: Tensor<4>, norm: &Normalization) -> Vec<GridImage> {
    let [n, c, h, w] = images.dims();
    let mut values: Vec<f32> = images
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default();
    let shape = ImageShape::new(c, h, w);
    values
        .chunks_exact_mut(shape.len().max(1))
        .take(n)
        .map(|chunk| {
            norm.invert(chunk);
            GridImage {
                shape,
                pixels: chunk.iter().map(|v| (v * 255.0).round() as u8).collect(),
                caption: None,
            }
        })
        .collect()
}

/// Lays images out in `columns` columns, each pixel drawn as `scale` x `scale`. Returns
/// `(width, height, rgb)` with width `columns * (w * scale + PAD) + PAD` and height
/// `rows * (h * scale + PAD + caption) + PAD`, where caption is [`CAPTION_HEIGHT`] if any
/// image has a caption, else 0.
pub fn image_grid(images: &[GridImage], columns: usize, scale: usize) -> (u32, u32, Vec<u8>) {
    let columns = columns.max(1);
    let scale = scale.max(1);
    let rows = images.len().div_ceil(columns).max(1);
    let (cell_h, cell_w) = images
        .first()
        .map(|i| (i.shape.height * scale, i.shape.width * scale))
        .unwrap_or((1, 1));
    let caption = if images.iter().any(|i| i.caption.is_some()) {
        CAPTION_HEIGHT
    } else {
        0
    };
    let width = columns * (cell_w + PAD) + PAD;
    let height = rows * (cell_h + PAD + caption) + PAD;
    let mut rgb = vec![255u8; width * height * 3];
    for (k, img) in images.iter().enumerate() {
        let (row, col) = (k / columns, k % columns);
        let (top, left) = (
            PAD + row * (cell_h + PAD + caption),
            PAD + col * (cell_w + PAD),
        );
        let plane = img.shape.height * img.shape.width;
        for y in 0..cell_h.min(img.shape.height * scale) {
            for x in 0..cell_w.min(img.shape.width * scale) {
                let p = (y / scale) * img.shape.width + x / scale;
                let out = ((top + y) * width + left + x) * 3;
                for c in 0..3 {
                    let channel = if img.shape.channels == 3 { c } else { 0 };
                    rgb[out + c] = img.pixels[channel * plane + p];
                }
            }
        }
    }
    if caption > 0 {
        font::ensure();
        let area =
            BitMapBackend::with_buffer(&mut rgb, (width as u32, height as u32)).into_drawing_area();
        for (k, img) in images.iter().enumerate() {
            if let Some(text) = &img.caption {
                let (row, col) = (k / columns, k % columns);
                let x = (PAD + col * (cell_w + PAD)) as i32;
                let y = (PAD + row * (cell_h + PAD + caption) + cell_h + 1) as i32;
                let max_chars = (cell_w / 6).max(3);
                let shown: String = text.chars().take(max_chars).collect();
                let _ = area.draw(&Text::new(
                    shown,
                    (x, y),
                    ("sans-serif", 11).into_font().color(&BLACK),
                ));
            }
        }
        let _ = area.present();
    }
    (width as u32, height as u32, rgb)
}

/// Saves a grid of images as PNG.
pub fn save_grid(path: &Path, images: &[GridImage], columns: usize, scale: usize) -> Result<()> {
    if images.is_empty() {
        return Err(draw_error(path, "no images to draw"));
    }
    let (w, h, rgb) = image_grid(images, columns, scale);
    save_rgb(path, w, h, rgb)
}
