//! `nn-core`: what every topic crate of the course shares: backends, data (formats,
//! catalog, downloads, synthetic sets, batching), augmentation, training, metrics, plots,
//! run directories and the experiment contract.

pub mod allocator;
pub mod augment;
pub mod backend;
pub mod data;
pub mod demo;
pub mod error;
pub mod experiment;
pub mod host;
/// The CPU kernels of `flex`, a crate of their own (`flex-kernels`).
pub use flex_kernels as kernels;
pub mod metrics;
pub mod models;
pub mod report;
pub mod run;
pub mod train;
pub mod viz;

pub use backend::BackendKind;
pub use error::{Error, Result};
pub use experiment::{Experiment, ExperimentConfig, Lesson, Registry, experiment};
pub use run::{Run, Summary, Words};
