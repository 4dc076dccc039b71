//! Training: checkpoints, configs, data parallelism, metrics and figures.

mod checkpoint;
mod config;
mod data_parallel;
mod demo;
mod fid;
mod image_pairs;
mod metrics;
mod resource_errors;
mod viz;
