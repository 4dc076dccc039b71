//! The week's plot: CIFAR-10 test accuracy per epoch along the transfer path (its stages
//! joined end to end) against the same network trained from scratch.

use nn_core::train::read_curve;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Result, Run};
use std::path::Path;

/// Test accuracy per cumulative epoch over consecutive stages (epoch 0: before training,
/// at `start`).
pub fn joined_curve(label: &str, start: f64, stages: &[&Path]) -> Curve {
    let mut points = vec![(0.0, start)];
    let mut offset = 0.0;
    for dir in stages {
        let curve = read_curve(dir, "test", "accuracy");
        let last = curve.last().map_or(0.0, |p| p.0);
        points.extend(curve.into_iter().map(|(e, a)| (offset + e, a)));
        offset += last;
    }
    Curve {
        label: label.into(),
        points,
    }
}

/// `transfer_vs_scratch.png`/`.svg`: the transfer stages in `transfer_dirs` (starting from
/// `before`) against the scratch stage in `scratch_dir` (starting from `scratch_before`).
pub fn transfer_vs_scratch(
    run: &mut Run,
    (before, transfer_dirs): (f64, &[&Path]),
    (scratch_before, scratch_dir): (f64, &Path),
) -> Result<()> {
    let plot = CurvePlot {
        title: "CIFAR-10 test accuracy: transferred (frozen, then unfrozen) vs from scratch".into(),
        x_label: "epoch".into(),
        y_label: "test accuracy".into(),
        curves: vec![
            joined_curve("pre-trained, then fine-tuned", before, transfer_dirs),
            joined_curve("from scratch", scratch_before, &[scratch_dir]),
        ],
        log_y: false,
    };
    for file in plot.save(&run.path("transfer_vs_scratch"))? {
        run.add_file(&file);
    }
    Ok(())
}
