//! What one epoch of a training loop gets from [`fit`](super::fit): its number and seed,
//! the batches still to train, running sums, and a step counter that draws progress and
//! stops on a diverging loss.

use crate::backend::{derive_seed, seed_device};
use crate::error::{Error, Result};
use burn::prelude::Device;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

/// One epoch's context. Loops walk their batches through [`EpochContext::batches`] (which
/// resumes mid-epoch and stops on Ctrl-C), report each step's loss with
/// [`EpochContext::step`], and keep any per-epoch sums with [`EpochContext::add`], so an
/// interrupted epoch can be saved and finished later with the same figures.
pub struct EpochContext {
    pub epoch: usize,
    pub epochs: usize,
    /// The seed of this epoch, derived from the run seed and the epoch number, so a
    /// resumed run draws the same data order and noise as an uninterrupted one.
    pub seed: u64,
    pub(super) step: usize,
    pub(super) loss_sum: f64,
    pub(super) sums: BTreeMap<String, f64>,
    /// Batches of this epoch already trained before a mid-epoch resume.
    pub(super) skip: usize,
    /// Set by [`Batches`] to the index of the first batch not trained when Ctrl-C cut
    /// the epoch short.
    pub(super) cut: Rc<Cell<Option<usize>>>,
    pub(super) device: Device,
    pub(super) bar: indicatif::ProgressBar,
    pub(super) checkpoint_dir: PathBuf,
    /// The first loss of the run and the factor above which a loss counts as diverged.
    pub(super) first_loss: Option<f64>,
    pub(super) explode_factor: Option<f64>,
    /// The batch to pause before (`NGVM_PAUSE_AT`, see [`super::pause`]).
    pub(super) pause_before: Option<usize>,
}

impl EpochContext {
    /// Records one step's loss: advances the progress bar, and fails with
    /// [`Error::Diverged`] when the loss is NaN or infinite, or has exploded to more than
    /// [`FitOptions::explode_factor`](super::FitOptions::explode_factor) times the run's
    /// first loss.
    pub fn step(&mut self, loss: f64) -> Result<()> {
        self.step += 1;
        let first = *self.first_loss.get_or_insert(loss);
        let exploded = self
            .explode_factor
            .is_some_and(|factor| loss.abs() > factor * first.abs().max(1.0));
        if !loss.is_finite() || exploded {
            self.bar.abandon();
            return Err(Error::Diverged {
                epoch: self.epoch,
                step: self.step,
                value: loss,
                checkpoint_dir: self.checkpoint_dir.clone(),
            });
        }
        self.loss_sum += loss;
        self.bar
            .set_message(format!("loss {:.4}", self.loss_sum / self.step as f64));
        self.bar.inc(1);
        Ok(())
    }

    /// Mean of the losses passed to [`EpochContext::step`] so far this epoch.
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.step.max(1) as f64
    }

    /// Steps taken so far this epoch (those before a mid-epoch resume included).
    pub fn steps(&self) -> usize {
        self.step
    }

    /// Adds `value` to this epoch's running sum `key` (correct answers, per-term losses):
    /// kept in a mid-epoch checkpoint, so a resumed epoch reports the same figures.
    pub fn add(&mut self, key: &str, value: f64) {
        *self.sums.entry(key.to_string()).or_default() += value;
    }

    /// The running sum `key` (0 when nothing was added).
    pub fn sum(&self, key: &str) -> f64 {
        self.sums.get(key).copied().unwrap_or(0.0)
    }

    /// Every running sum of this epoch, by key.
    pub fn sums(&self) -> &BTreeMap<String, f64> {
        &self.sums
    }

    /// `0..n` in this epoch's shuffled order.
    pub fn data_order(&self, n: usize) -> Vec<usize> {
        crate::data::batch::shuffled_indices(n, derive_seed(self.seed, "order"))
    }

    /// A CPU RNG for a purpose within this epoch (augmentation, noise).
    pub fn rng(&self, purpose: &str) -> rand::rngs::StdRng {
        crate::backend::rng(self.seed, purpose)
    }

    /// A CPU RNG for a purpose within batch `batch` of this epoch: what a batch draws does
    /// not depend on the batches before it, so a run resumed mid-epoch draws the same.
    pub fn batch_rng(&self, batch: usize, purpose: &str) -> rand::rngs::StdRng {
        crate::backend::rng(self.seed, &format!("{purpose} {batch}"))
    }

    /// The epoch's batches, numbered: `(index, batch)`. On a mid-epoch resume the batches
    /// already trained are skipped; after Ctrl-C the iteration ends at the next batch
    /// (check [`EpochContext::interrupted`] after the loop). Before each batch the
    /// device is seeded from (epoch seed, batch index), for the same reason as
    /// [`EpochContext::batch_rng`].
    pub fn batches<I: IntoIterator>(&self, batches: I) -> Batches<I::IntoIter> {
        self.bar.set_position(self.skip as u64);
        Batches {
            inner: batches.into_iter().enumerate(),
            skip: self.skip,
            cut: self.cut.clone(),
            device: self.device.clone(),
            seed: self.seed,
            epoch: self.epoch,
            pause_before: self.pause_before,
        }
    }

    /// Batches of this epoch trained before a mid-epoch resume (0 for a fresh epoch).
    pub fn resumed_batches(&self) -> usize {
        self.skip
    }

    /// Whether Ctrl-C cut this epoch short: the loop should return at once (no
    /// evaluation); [`fit`](super::fit) then saves the state to resume from.
    pub fn interrupted(&self) -> bool {
        self.cut.get().is_some()
    }
}

/// The iterator of [`EpochContext::batches`].
pub struct Batches<I> {
    inner: std::iter::Enumerate<I>,
    skip: usize,
    cut: Rc<Cell<Option<usize>>>,
    device: Device,
    seed: u64,
    epoch: usize,
    pause_before: Option<usize>,
}

impl<I: Iterator> Iterator for Batches<I> {
    type Item = (usize, I::Item);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cut.get().is_some() {
            return None;
        }
        let (index, batch) = loop {
            let (index, batch) = self.inner.next()?;
            if index >= self.skip {
                break (index, batch);
            }
        };
        if self.pause_before == Some(index) {
            super::pause::wait(self.epoch, index);
        }
        if super::interrupt::requested() {
            self.cut.set(Some(index));
            return None;
        }
        seed_device(&self.device, self.seed, &format!("batch-{index}"));
        Some((index, batch))
    }
}
