//! The common training state: one model and its optimiser, checkpointed together. The
//! classifier path, the autoencoders, the VAEs and the diffusion model all train this way;
//! a GAN holds two of them.

use super::checkpoint::Checkpoint;
use super::fit::TrainState;
use crate::Result;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;

/// A model with its optimiser (whose state, e.g. Adam's moments, is part of a checkpoint).
#[derive(Clone)]
pub struct ModelState<M> {
    pub model: M,
    pub optim: ModuleOptimizer,
}

impl<M: Module> ModelState<M> {
    pub fn new(model: M, optim: ModuleOptimizer) -> Self {
        Self { model, optim }
    }

    /// Back-propagates `loss` and takes one optimiser step at learning rate `lr`.
    pub fn step(self, lr: f64, loss: Tensor<1>) -> Self {
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.apply(lr, grads)
    }

    /// One optimiser step at learning rate `lr` with gradients computed elsewhere (e.g.
    /// summed over devices): every loop's update passes through here.
    pub fn apply(mut self, lr: f64, grads: GradientsParams) -> Self {
        self.model = self.optim.step(lr, self.model, grads);
        self
    }

    /// Saves under `name` and `name-optimizer` (so several states share one checkpoint).
    pub fn save_as(&self, checkpoint: &mut Checkpoint, name: &str) -> Result<()> {
        self.save_named(checkpoint, name, &format!("{name}-optimizer"))
    }

    /// Restores what [`ModelState::save_as`] wrote under `name`.
    pub fn restore_as(self, checkpoint: &Checkpoint, name: &str) -> Result<Self> {
        self.restore_named(checkpoint, name, &format!("{name}-optimizer"))
    }

    fn save_named(&self, checkpoint: &mut Checkpoint, model: &str, optim: &str) -> Result<()> {
        checkpoint.put_module(model, &self.model)?;
        checkpoint.put_optimizer(optim, &self.optim)
    }

    fn restore_named(self, checkpoint: &Checkpoint, model: &str, optim: &str) -> Result<Self> {
        Ok(Self {
            model: checkpoint.load_module(model, self.model)?,
            optim: checkpoint.load_optimizer(optim, self.optim)?,
        })
    }
}

/// A single model's state is stored as `model` and `optimizer`.
impl<M: Module> TrainState for ModelState<M> {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        self.save_named(checkpoint, "model", "optimizer")
    }

    fn restore(self, checkpoint: &Checkpoint) -> Result<Self> {
        self.restore_named(checkpoint, "model", "optimizer")
    }
}
