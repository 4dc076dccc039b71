//! The data layer: readers of the course's file formats, the catalog of named data sets,
//! downloads, synthetic sets, and batching into burn tensors.

pub mod batch;
pub mod catalog;
pub mod download;
pub mod formats;
mod image_dataset;
pub mod loading;
pub mod pretext;
pub mod synthetic;
pub mod verify;
pub mod weights;

pub use batch::{Normalization, batch_images, batch_labels};
pub use catalog::{DataDir, DatasetSpec, Split, catalog, find};
pub use image_dataset::{ImageDataset, ImageShape};
pub use loading::{
    DataRequest, hold_out, load_auxiliary, load_folder, load_if_present, load_split,
    load_train_test, sized, subset,
};
