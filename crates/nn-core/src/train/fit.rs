//! The shared epoch loop: seeding, progress, divergence stop, metrics, checkpoints, resume.

use super::checkpoint::Checkpoint;
use crate::backend::{derive_seed, seed_device};
use crate::error::{Error, Result};
use crate::run::Run;
use std::collections::BTreeMap;
use std::time::Instant;

/// What a training loop must be able to checkpoint and restore.
pub trait TrainState: Sized {
    /// Stores models, optimisers and anything else into the checkpoint.
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()>;
    /// Restores from a checkpoint written by [`TrainState::save`].
    fn restore(self, checkpoint: &Checkpoint) -> Result<Self>;
}

/// Loop settings.
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub epochs: usize,
    /// Steps in one epoch (for the progress bar and the ETA).
    pub steps_per_epoch: usize,
    /// Write a checkpoint every this many epochs (and after the last).
    pub checkpoint_every: usize,
    /// Checkpoint files to keep.
    pub keep_checkpoints: usize,
    /// Stop as diverged when a loss exceeds this many times the first loss of the run
    /// (besides NaN and infinity, which always stop). `None` turns the check off.
    pub explode_factor: Option<f64>,
}

impl FitOptions {
    pub fn new(epochs: usize, steps_per_epoch: usize) -> Self {
        Self {
            epochs,
            steps_per_epoch,
            checkpoint_every: 1,
            keep_checkpoints: 2,
            explode_factor: Some(1e4),
        }
    }
}

/// Figures of one epoch, by split: `[("train", {"loss": 0.4}), ("test", {...})]`.
pub type EpochLog = Vec<(&'static str, BTreeMap<String, f64>)>;

/// What one epoch of a loop gets: its number, its seed, and a step counter that draws
/// progress and stops on a non-finite loss.
pub struct EpochContext {
    pub epoch: usize,
    pub epochs: usize,
    /// The seed of this epoch, derived from the run seed and the epoch number, so a
    /// resumed run draws the same data order and noise as an uninterrupted one.
    pub seed: u64,
    step: usize,
    loss_sum: f64,
    bar: indicatif::ProgressBar,
    checkpoint_dir: std::path::PathBuf,
    run_dir: std::path::PathBuf,
    /// The first loss of the run and the factor above which a loss counts as diverged.
    first_loss: Option<f64>,
    explode_factor: Option<f64>,
}

impl EpochContext {
    /// Records one step's loss: advances the progress bar, and fails with
    /// [`Error::Diverged`] when the loss is NaN or infinite, or has exploded to more than
    /// [`FitOptions::explode_factor`] times the run's first loss.
    pub fn step(&mut self, loss: f64) -> Result<()> {
        if super::interrupt::requested() {
            self.bar.abandon();
            return Err(Error::Interrupted {
                epoch: super::checkpoint::list(&self.checkpoint_dir)
                    .last()
                    .map_or(0, |(epoch, _)| *epoch),
                run_dir: self.run_dir.clone(),
            });
        }
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

    /// Mean of the losses passed to [`EpochContext::step`] so far.
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.step.max(1) as f64
    }

    /// Steps taken so far this epoch.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// `0..n` in this epoch's shuffled order.
    pub fn data_order(&self, n: usize) -> Vec<usize> {
        crate::data::batch::shuffled_indices(n, derive_seed(self.seed, "order"))
    }

    /// A CPU RNG for a purpose within this epoch (augmentation, noise).
    pub fn rng(&self, purpose: &str) -> rand::rngs::StdRng {
        crate::backend::rng(self.seed, purpose)
    }
}

/// Runs `epoch_fn` for each epoch, from the start or (when the run resumes) after its last
/// good checkpoint. Each epoch: the device is seeded from (run seed, epoch), the function
/// trains and returns its figures, they are appended to `metrics.jsonl`, and the state is
/// checkpointed atomically. An initial checkpoint (epoch 0) is written first, so even a
/// run that diverges in its first epoch leaves a good one.
pub fn fit<S: TrainState>(
    run: &mut Run,
    options: &FitOptions,
    mut state: S,
    mut epoch_fn: impl FnMut(S, &mut EpochContext) -> Result<(S, EpochLog)>,
) -> Result<S> {
    super::interrupt::install();
    let dir = run.checkpoint_dir();
    let mut start = 0;
    if run.resumed {
        match Checkpoint::latest(&dir) {
            Some((checkpoint, path)) => {
                state = state.restore(&checkpoint)?;
                start = checkpoint.epoch;
                if let Some(times) = checkpoint
                    .extra
                    .get("epoch_seconds")
                    .and_then(|v| v.as_array())
                {
                    for (i, t) in times.iter().enumerate() {
                        run.record_epoch_time(i + 1, t.as_f64().unwrap_or(0.0));
                    }
                }
                run.truncate_metrics_after(start)?;
                eprintln!("resuming after epoch {start} from {}", path.display());
            }
            None => eprintln!(
                "no usable checkpoint in {}: starting from the beginning",
                dir.display()
            ),
        }
    }
    if start == 0 {
        save(run, &state, 0, options)?;
    }
    let mut first_loss = None;
    for epoch in start + 1..=options.epochs {
        let seed = derive_seed(run.seed, &format!("epoch-{epoch}"));
        seed_device(&run.device, seed, "device");
        let bar = progress_bar(run, epoch, options);
        let mut ctx = EpochContext {
            epoch,
            epochs: options.epochs,
            seed,
            step: 0,
            loss_sum: 0.0,
            bar,
            checkpoint_dir: dir.clone(),
            run_dir: run.dir.clone(),
            first_loss,
            explode_factor: options.explode_factor,
        };
        let started = Instant::now();
        let (next, log) = epoch_fn(state, &mut ctx)?;
        first_loss = ctx.first_loss;
        state = next;
        ctx.bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        run.record_epoch_time(epoch, seconds);
        for (split, figures) in &log {
            let mut record = serde_json::Map::new();
            record.insert("epoch".into(), epoch.into());
            record.insert("split".into(), (*split).into());
            for (k, v) in figures {
                record.insert(
                    k.clone(),
                    serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, Into::into),
                );
            }
            record.insert("seconds".into(), seconds.into());
            run.log_metrics(&serde_json::Value::Object(record))?;
        }
        eprintln!(
            "{}",
            epoch_line(&run.experiment, epoch, options.epochs, seconds, &log)
        );
        if epoch % options.checkpoint_every.max(1) == 0 || epoch == options.epochs {
            save(run, &state, epoch, options)?;
        }
    }
    Ok(state)
}

fn save<S: TrainState>(run: &Run, state: &S, epoch: usize, options: &FitOptions) -> Result<()> {
    let mut checkpoint = Checkpoint::new(epoch);
    state.save(&mut checkpoint)?;
    let times = run.summary(epoch, Default::default()).epoch_seconds;
    let mut extra = match checkpoint.extra.take() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    extra.insert("epoch_seconds".into(), times.into());
    checkpoint.extra = serde_json::Value::Object(extra);
    checkpoint.save(&run.checkpoint_dir(), options.keep_checkpoints)?;
    Ok(())
}

fn progress_bar(run: &Run, epoch: usize, options: &FitOptions) -> indicatif::ProgressBar {
    if !run.progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(options.steps_per_epoch as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_prefix(format!(
        "{} epoch {epoch}/{}",
        run.experiment, options.epochs
    ));
    bar
}

fn epoch_line(name: &str, epoch: usize, epochs: usize, seconds: f64, log: &EpochLog) -> String {
    let mut line = format!("{name} epoch {epoch}/{epochs} ({seconds:.1} s)");
    for (split, figures) in log {
        for (k, v) in figures {
            line.push_str(&format!("  {split} {k} {v:.4}"));
        }
    }
    line
}
