mod checkpoint;
mod config;
mod demo;
mod metrics;
mod resource_errors;
mod viz;
