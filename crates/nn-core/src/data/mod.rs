//! The data layer: the burn-free part (formats, catalog, downloads, verification,
//! synthetic sets: the `nn-data` crate, re-exported here), batching into burn tensors, and
//! loading that a run records.

pub mod batch;
pub mod loading;

pub use nn_data::{
    DataDir, DatasetSpec, ImageDataset, ImageShape, Split, catalog, download, find, formats,
    pretext, synthetic, verify, weights,
};

pub use batch::{Normalization, batch_images, batch_labels};
pub use loading::{
    DataRequest, hold_out, load_auxiliary, load_folder, load_if_present, load_split,
    load_train_test, sized, subset,
};
