//! `nn-data`: everything of the course that is only files and flags, without burn: the
//! data sets (formats, catalog, downloads, verification, synthetic stand-ins), the records
//! a run leaves and the HTML report read from them, seeds, presets and backend names.
//! `cargo xtask download`, `verify` and `report` build on it alone, in seconds; nn-core
//! re-exports all of it, so the topic crates see one `nn_core::data`.

pub mod catalog;
pub mod choices;
pub mod curriculum_args;
pub mod download;
pub mod error;
pub mod formats;
pub mod fs;
pub mod host;
mod image_dataset;
pub mod pretext;
pub mod records;
pub mod report;
pub mod seed;
pub mod synthetic;
pub mod verify;
pub mod weights;

pub use catalog::{DataDir, DatasetSpec, Split, catalog, find};
pub use choices::{BackendKind, Preset};
pub use curriculum_args::CurriculumArgs;
pub use error::{Error, Result};
pub use image_dataset::{ImageDataset, ImageShape};
pub use records::{DataInfo, Summary, Words};
