mod checkpoint;
mod config;
mod conv_path;
mod data_parallel;
mod demo;
mod metrics;
mod resource_errors;
mod viz;
