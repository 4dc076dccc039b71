//! Pictures of what a run learned: loss and metric curves (PNG and SVG), image grids, and
//! confusion-matrix heat maps. Curves and heat maps are drawn with `plotters`; grids are
//! composed pixel by pixel (they are images, not plots) with plotters for the captions.

mod curves;
mod font;

/// Registers the bundled font with plotters, for crates that draw their own charts.
pub fn ensure_font() {
    font::ensure();
}
pub mod grid;
mod heatmap;
mod spread;

pub use curves::{Curve, CurvePlot, PALETTE, plot_metrics_file, tick_label};
pub use grid::{GridImage, image_grid, save_grid, tensor_to_images};
pub use heatmap::plot_confusion;
pub use spread::{SpreadPlot, SpreadSeries};

/// A failure while drawing or saving a picture.
pub(crate) fn draw_error(path: &std::path::Path, e: impl std::fmt::Display) -> crate::Error {
    crate::Error::Other(format!("{}: cannot draw ({e})", path.display()))
}

/// Saves an RGB buffer (`width * height * 3` bytes) as PNG.
pub fn save_rgb(
    path: &std::path::Path,
    width: u32,
    height: u32,
    rgb: Vec<u8>,
) -> crate::Result<()> {
    image::RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| draw_error(path, "buffer size"))?
        .save(path)
        .map_err(|e| draw_error(path, e))
}
