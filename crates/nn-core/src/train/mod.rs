//! What every training loop shares.
//!
//! [`fit`] is the epoch loop for any model: classifiers, a GAN's alternating updates, a
//! VAE's two-term loss, a diffusion model's per-step noise. It seeds each epoch, draws a
//! progress bar, stops on a NaN/inf loss, logs `metrics.jsonl`, writes atomic checkpoints
//! and resumes from the last good one. [`classifier`] builds the supervised image
//! classifier path on top of it.
//!
//! burn-train's `Learner` is not used for the loop: its checkpoints are written
//! non-atomically with no checksum, it does not restore the data-order RNG (so a resumed
//! run is not the same run), it has no divergence stop, and a GAN's two optimisers do
//! not fit its single-model step. Its optimisers, records and modules are used throughout.

pub mod checkpoint;
pub mod classifier;
pub mod data_parallel;
mod ema;
mod epoch;
mod evaluation;
mod fit;
pub mod fixed_features;
pub mod interrupt;
mod judge;
mod model_state;
mod optim;
mod params;
mod partial;
pub mod pause;
pub mod stage;
pub mod step_log;

pub use crate::models::ImageClassifier;
pub use checkpoint::Checkpoint;
pub use classifier::{ClassifierOptions, TrainedClassifier, train_classifier};
pub use ema::Ema;
pub use epoch::{Batches, EpochContext};
pub use evaluation::{Evaluation, evaluate};
pub use fit::{EpochLog, FitOptions, TrainState, fit};
pub use fixed_features::{FixedFeatures, FixedReference};
pub use flex_kernels::FusedAdam;
pub use judge::{Judge, JudgeSettings};
pub use model_state::ModelState;
pub use optim::{OptimizerKind, adam, sgd};
pub use params::{learnable_parameter_count, parameter_values};
pub use stage::{StageResult, overlay, read_curve, train_stage};
pub use step_log::{StepLog, read_steps, smoothed};
