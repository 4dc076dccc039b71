//! The shared epoch loop: seeding, progress, divergence stop, metrics, checkpoints, resume.

use super::checkpoint::Checkpoint;
use super::epoch::EpochContext;
use super::partial;
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

/// Runs `epoch_fn` for each epoch, from the start or (when the run resumes) after its last
/// good checkpoint. Each epoch: the device is seeded from (run seed, epoch), the function
/// trains and returns its figures, they are appended to `metrics.jsonl`, and the state is
/// checkpointed atomically. An initial checkpoint (epoch 0) is written first, so even a
/// run that diverges in its first epoch leaves a good one.
///
/// Ctrl-C: an epoch the loop cut short (see [`EpochContext::batches`]) is saved as it
/// stands to `partial.ckpt`, and a resume continues it at the next batch; a Ctrl-C
/// between epochs stops after the last one's checkpoint. Either way the result is
/// [`Error::Interrupted`], naming the `--resume` command.
pub fn fit<S: TrainState>(
    run: &mut Run,
    options: &FitOptions,
    state: S,
    mut epoch_fn: impl FnMut(S, &mut EpochContext) -> Result<(S, EpochLog)>,
) -> Result<S> {
    super::interrupt::install();
    let dir = run.checkpoint_dir();
    let (mut state, start, mut resumed_epoch) = if run.resumed {
        resume(run, &dir, state)?
    } else {
        (state, 0, None)
    };
    if start == 0 && resumed_epoch.is_none() {
        save(run, &state, 0, options)?;
    }
    let mut first_loss = resumed_epoch.as_ref().and_then(|p| p.first_loss);
    let mut saved_through = start;
    for epoch in start + 1..=options.epochs {
        if super::interrupt::requested() {
            if saved_through < epoch - 1 {
                save(run, &state, epoch - 1, options)?;
            }
            return Err(Error::Interrupted {
                at: format!("after epoch {}", epoch - 1),
                run_dir: run.resume_dir.clone(),
            });
        }
        let seed = derive_seed(run.seed, &format!("epoch-{epoch}"));
        seed_device(&run.device, seed, "device");
        let resumed = resumed_epoch.take().unwrap_or_default();
        let mut ctx = EpochContext {
            epoch,
            epochs: options.epochs,
            seed,
            step: resumed.steps,
            loss_sum: resumed.loss_sum,
            sums: resumed.sums,
            skip: resumed.batches,
            cut: Default::default(),
            device: run.device.clone(),
            bar: progress_bar(run, epoch, options),
            checkpoint_dir: dir.clone(),
            first_loss,
            explode_factor: options.explode_factor,
            pause_before: super::pause::batch_for(&run.experiment, epoch)?,
        };
        let started = Instant::now();
        let (next, log) = epoch_fn(state, &mut ctx)?;
        first_loss = ctx.first_loss;
        state = next;
        ctx.bar.finish_and_clear();
        let seconds = resumed.seconds + started.elapsed().as_secs_f64();
        if let Some(batches) = ctx.cut.get() {
            return Err(stop_mid_epoch(
                run,
                &state,
                &ctx,
                (batches, seconds),
                options,
            )?);
        }
        run.record_epoch_time(epoch, seconds);
        log_epoch(run, epoch, seconds, &log)?;
        eprintln!(
            "{}",
            epoch_line(&run.experiment, epoch, options.epochs, seconds, &log)
        );
        if epoch % options.checkpoint_every.max(1) == 0 || epoch == options.epochs {
            save(run, &state, epoch, options)?;
            saved_through = epoch;
            partial::remove(&dir);
        }
    }
    Ok(state)
}

/// Where a resumed run continues: `state` restored from the epoch it stopped in (its
/// partial checkpoint, with the epoch's sums so far) or else from the last finished epoch;
/// the metrics logged after that epoch are dropped. Returns the state, the last finished
/// epoch and the partial epoch, if any.
fn resume<S: TrainState>(
    run: &mut Run,
    dir: &std::path::Path,
    state: S,
) -> Result<(S, usize, Option<partial::PartialEpoch>)> {
    let mut resumed_epoch = None;
    let latest = Checkpoint::latest(dir);
    let completed = latest.as_ref().map_or(0, |(c, _)| c.epoch);
    let (checkpoint, from) = match partial::load(dir, completed) {
        Some((checkpoint, partial)) => {
            let from = format!(
                "in epoch {} after batch {} from {}",
                partial.epoch,
                partial.batches,
                partial::path(dir).display()
            );
            resumed_epoch = Some(partial);
            (Some(checkpoint), from)
        }
        None => match latest {
            Some((checkpoint, path)) => {
                let from = format!("after epoch {} from {}", checkpoint.epoch, path.display());
                (Some(checkpoint), from)
            }
            None => (None, String::new()),
        },
    };
    let Some(checkpoint) = checkpoint else {
        eprintln!(
            "no usable checkpoint in {}: starting from the beginning",
            dir.display()
        );
        return Ok((state, 0, resumed_epoch));
    };
    let state = state.restore(&checkpoint)?;
    let start = checkpoint.epoch;
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
    eprintln!("resuming {from}");
    Ok((state, start, resumed_epoch))
}

/// Saves the epoch as it stands when it stopped after `batches` (Ctrl-C, or a pause for a
/// test), and the error that says where and how to resume.
fn stop_mid_epoch<S: TrainState>(
    run: &Run,
    state: &S,
    ctx: &EpochContext,
    (batches, seconds): (usize, f64),
    options: &FitOptions,
) -> Result<Error> {
    let partial = partial::PartialEpoch {
        epoch: ctx.epoch,
        batches,
        steps: ctx.step,
        loss_sum: ctx.loss_sum,
        first_loss: ctx.first_loss,
        sums: ctx.sums.clone(),
        seconds,
    };
    let checkpoint = checkpoint_of(run, state, ctx.epoch - 1)?;
    let path = partial::save(&ctx.checkpoint_dir, checkpoint, &partial)?;
    Ok(Error::Interrupted {
        at: format!(
            "in epoch {} after {batches} of {} batches (saved to {})",
            ctx.epoch,
            options.steps_per_epoch,
            path.display()
        ),
        run_dir: run.resume_dir.clone(),
    })
}

/// One `metrics.jsonl` line per split of the epoch's log (a NaN figure as `null`).
fn log_epoch(run: &mut Run, epoch: usize, seconds: f64, log: &EpochLog) -> Result<()> {
    for (split, figures) in log {
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
    Ok(())
}

/// The state as a checkpoint of `epoch` finished epochs, with the epoch times so far.
fn checkpoint_of<S: TrainState>(run: &Run, state: &S, epoch: usize) -> Result<Checkpoint> {
    let mut checkpoint = Checkpoint::new(epoch);
    state.save(&mut checkpoint)?;
    let times = run.summary(epoch, Default::default()).epoch_seconds;
    let mut extra = match checkpoint.extra.take() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    extra.insert("epoch_seconds".into(), times.into());
    checkpoint.extra = serde_json::Value::Object(extra);
    Ok(checkpoint)
}

fn save<S: TrainState>(run: &Run, state: &S, epoch: usize, options: &FitOptions) -> Result<()> {
    checkpoint_of(run, state, epoch)?.save(&run.checkpoint_dir(), options.keep_checkpoints)?;
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
