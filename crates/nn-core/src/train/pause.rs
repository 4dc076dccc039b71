//! `NGVM_PAUSE_AT=EXPERIMENT@EPOCH:BATCH`: stop before that batch of that run (or stage) and wait for Ctrl-C (or
//! a kill). A test that must interrupt a run at a known point waits for the line this
//! prints instead of racing the run with a fixed delay, so it passes on a machine of any
//! speed; a user can do the same to study the resume path. Unset, nothing changes.

use crate::error::{Error, Result};
use std::time::Duration;

/// The variable's name.
pub const VARIABLE: &str = "NGVM_PAUSE_AT";

/// The batch index to pause before in `epoch` of the run or stage named `experiment` (the
/// name its epoch lines start with: `topic/name`, or `cnn/fashion-mnist [cnn]` for a
/// stage), or `None`. A malformed value is an error naming the variable and the form.
pub fn batch_for(experiment: &str, epoch: usize) -> Result<Option<usize>> {
    let Ok(value) = std::env::var(VARIABLE) else {
        return Ok(None);
    };
    let (name, at) = parse(&value).ok_or_else(|| {
        Error::Other(format!(
            "{VARIABLE}={value:?} is not EXPERIMENT@EPOCH:BATCH (for example \
             \"topic/experiment [stage]@2:0\"); fix or unset it"
        ))
    })?;
    Ok((name == experiment && at.0 == epoch).then_some(at.1))
}

/// `(experiment, (epoch, batch))` from `EXPERIMENT@EPOCH:BATCH`.
fn parse(value: &str) -> Option<(&str, (usize, usize))> {
    let (name, at) = value.rsplit_once('@')?;
    let (epoch, batch) = at.split_once(':')?;
    let epoch = epoch.trim().parse().ok().filter(|&e| e > 0)?;
    (!name.is_empty()).then_some((name, (epoch, batch.trim().parse().ok()?)))
}

/// Says where the run stands (the line a test waits for) and blocks until Ctrl-C.
pub(super) fn wait(epoch: usize, batch: usize) {
    eprintln!("paused before batch {batch} of epoch {epoch} ({VARIABLE}): waiting for Ctrl-C");
    while !super::interrupt::requested() {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_form_is_experiment_at_epoch_colon_batch() {
        assert_eq!(parse("topic/name@1:3"), Some(("topic/name", (1, 3))));
        assert_eq!(parse("a@b@2:0"), Some(("a@b", (2, 0))));
        for bad in ["topic/name", "x@1", "x@0:1", "@1:1", "x@1:-1", "x@one:1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
