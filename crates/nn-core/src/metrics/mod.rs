//! Evaluation metrics as plain functions over a whole set of predictions.
//!
//! burn-train's metrics are built for its `Learner` event loop (per-batch state, metric
//! entries for its renderer), not as functions over a finished set of predictions that a
//! custom loop or a report can call, so these are written here and each is tested against
//! hand-computed cases and published reference values.

mod classification;
pub mod colour;
pub mod fid;
pub mod frechet;
mod image_quality;
pub mod spread;

pub use classification::{
    ClassReport, ConfusionMatrix, accuracy, roc_auc, roc_curve, top_k_accuracy,
};
pub use colour::ColourComparison;
pub use image_quality::{SsimConfig, SsimEdges, SsimWeights, psnr, ssim, ssim_with};
pub use spread::{Spread, paired_differences};
