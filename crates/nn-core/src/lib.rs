//! `nn-core`: what every topic crate of the course shares: backends, data (formats,
//! catalog, downloads, synthetic sets, batching), augmentation, training, metrics, plots,
//! run directories and the experiment contract. Its burn-free part (files and flags) is
//! the `nn-data` crate, re-exported here.

pub mod allocator;
pub mod augment;
pub mod backend;
pub mod data;
pub mod demo;
pub mod experiment;
/// The CPU kernels of `flex`, a crate of their own (`flex-kernels`).
pub use flex_kernels as kernels;
pub mod metrics;
pub mod models;
pub mod run;
pub mod train;
pub mod viz;

/// The burn-free part, a crate of its own (`nn-data`): errors, the machine a run ran on,
/// and the HTML report read from run directories.
pub use nn_data::{error, host, report};

pub use backend::BackendKind;
pub use error::{Error, Result};
pub use experiment::{Experiment, ExperimentConfig, Lesson, Registry, experiment};
pub use run::{Run, Summary, Words};
