//! The data layer: readers, downloads, augmentation, the real files and their properties.

mod augment;
mod data_record;
mod download;
mod formats;
mod http_server;
mod oxford_pet;
mod pretext;
mod properties;
mod real_files;
mod synthetic;
