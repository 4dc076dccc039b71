mod checkpoint;
mod config;
mod demo;
mod metrics;
mod viz;
