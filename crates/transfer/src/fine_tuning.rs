//! Transfer in stages: with a new head on the pre-trained body, train first with the whole
//! convolutional body frozen (feature extraction), then with its last block unfrozen, then
//! everything (fine-tuning), each stage going on from the one before.
//!
//! Freezing itself and the head replacement are [`Vgg::freeze_features`] and
//! [`Vgg::replace_head`].

use crate::models::vgg::Vgg;

/// One stage of the transfer path.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferStage {
    /// The stage's name (and sub-directory of the run).
    pub name: &'static str,
    /// Prefix of the stage's figures in the summary (`<key>_test_accuracy`).
    pub key: &'static str,
    /// How many of the body's first convolutional units stay frozen.
    pub frozen_units: usize,
    pub epochs: usize,
    pub lr: f64,
}

/// Epochs and learning rate of the three stages.
#[derive(Debug, Clone, Copy)]
pub struct StageBudget {
    /// Feature extraction (body frozen).
    pub head_epochs: usize,
    pub head_lr: f64,
    /// Fine-tuning: the last block unfrozen, then everything, both at `fine_tune_lr`.
    pub last_block_epochs: usize,
    pub all_epochs: usize,
    pub fine_tune_lr: f64,
}

/// The stages for `model` (feature extraction: all units frozen; last block: the units
/// before its last stage frozen; all: none), leaving out any given no epochs.
pub fn transfer_stages(model: &Vgg, budget: StageBudget) -> Vec<TransferStage> {
    let mut stages = vec![
        TransferStage {
            name: "feature-extraction",
            key: "feature_extraction",
            frozen_units: model.features.len(),
            epochs: budget.head_epochs,
            lr: budget.head_lr,
        },
        TransferStage {
            name: "fine-tune-last-block",
            key: "fine_tune_last_block",
            frozen_units: *model.stage_starts().last().unwrap_or(&0),
            epochs: budget.last_block_epochs,
            lr: budget.fine_tune_lr,
        },
        TransferStage {
            name: "fine-tune-all",
            key: "fine_tune",
            frozen_units: 0,
            epochs: budget.all_epochs,
            lr: budget.fine_tune_lr,
        },
    ];
    stages.retain(|s| s.epochs > 0);
    stages
}
