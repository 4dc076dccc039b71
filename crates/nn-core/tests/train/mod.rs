//! Training: checkpoints, configs, the kernels and their routes, metrics and figures.

mod checkpoint;
mod config;
mod conv_path;
mod data_parallel;
mod demo;
mod fid;
mod image_pairs;
mod kernels;
mod metrics;
mod norm_kernels;
mod pool_kernels;
mod resource_errors;
mod viz;
