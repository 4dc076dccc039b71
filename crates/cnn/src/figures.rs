//! The weeks' pictures: classic kernels and pooling at work on a real image, and the ROC
//! curve and confusion matrix of the pneumonia classifier.

use crate::ops::{Maps, avg_pool2d, classic_kernels, conv2d, max_pool2d};
use nn_core::data::ImageDataset;
use nn_core::metrics::ConfusionMatrix;
use nn_core::viz::{Curve, CurvePlot, GridImage, plot_confusion, save_grid};
use nn_core::{Result, Run};

/// `kernels.png`: the first image of `images` in grey, each classic kernel's feature map
/// beside it (first row), and 2x2 max (second row) and average pooling (third row) of the
/// image and of each map, drawn enlarged to line up.
pub fn kernels_at_work(run: &mut Run, images: &ImageDataset) -> Result<()> {
    let grey: Vec<f32> = {
        let image = images.image(0);
        let plane = images.shape.height * images.shape.width;
        (0..plane)
            .map(|p| {
                (0..images.shape.channels)
                    .map(|c| image[c * plane + p] as f32 / 255.0)
                    .sum::<f32>()
                    / images.shape.channels as f32
            })
            .collect()
    };
    let (h, w) = (images.shape.height, images.shape.width);
    let input = Maps {
        shape: [1, 1, h, w],
        data: grey.clone(),
    };
    let mut rows: [Vec<GridImage>; 3] = [
        vec![cell(&grey, h, w, 1, format!("input {h}x{w}"))],
        Vec::new(),
        Vec::new(),
    ];
    let pooled_max = max_pool2d(&input, 2, 2, 0);
    let pooled_avg = avg_pool2d(&input, 2, 2, 0);
    let (ph, pw) = (pooled_max.shape[2], pooled_max.shape[3]);
    rows[1].push(cell(
        &pooled_max.data,
        ph,
        pw,
        2,
        format!("max pool -> {ph}x{pw}"),
    ));
    rows[2].push(cell(
        &pooled_avg.data,
        ph,
        pw,
        2,
        format!("avg pool -> {ph}x{pw}"),
    ));
    for (name, kernel) in classic_kernels() {
        let weight = Maps {
            shape: [1, 1, 3, 3],
            data: kernel.to_vec(),
        };
        let map = conv2d(&input, &weight, None, 1, 1);
        rows[0].push(cell(&map.data, h, w, 1, name.to_string()));
        let maxed = max_pool2d(&map, 2, 2, 0);
        rows[1].push(cell(&maxed.data, ph, pw, 2, format!("{name}: max")));
        let averaged = avg_pool2d(&map, 2, 2, 0);
        rows[2].push(cell(&averaged.data, ph, pw, 2, format!("{name}: avg")));
    }
    let columns = rows[0].len();
    let cells: Vec<GridImage> = rows.into_iter().flatten().collect();
    let path = run.path("kernels.png");
    save_grid(&path, &cells, columns, (112 / h.max(1)).max(1))?;
    run.add_file(&path);
    Ok(())
}

/// A single-channel map as a grey grid cell, stretched to 0..255 (min to max), enlarged by
/// `factor` (nearest) so small pooled maps line up with the rest.
fn cell(values: &[f32], height: usize, width: usize, factor: usize, caption: String) -> GridImage {
    let (lo, hi) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    let (h, w) = (height * factor, width * factor);
    let mut pixels = vec![0u8; h * w];
    for y in 0..h {
        for x in 0..w {
            pixels[y * w + x] =
                ((values[(y / factor) * width + x / factor] - lo) * scale).round() as u8;
        }
    }
    GridImage {
        shape: nn_core::data::ImageShape::new(1, h, w),
        pixels,
        caption: Some(caption),
    }
}

/// `roc.png`/`.svg`: the classifier's ROC curve (`curve`, from `roc_curve`) on the test
/// split of `dataset`, against chance.
pub fn roc(run: &mut Run, dataset: &str, curve: Vec<(f64, f64)>, auc: f64) -> Result<()> {
    let plot = CurvePlot {
        title: format!("ROC on the {dataset} test split (AUC {auc:.3})"),
        x_label: "false positive rate".into(),
        y_label: "true positive rate".into(),
        curves: vec![
            Curve {
                label: "CNN".into(),
                points: curve,
            },
            Curve {
                label: "chance".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
            },
        ],
        log_y: false,
    };
    for file in plot.save(&run.path("roc"))? {
        run.add_file(&file);
    }
    Ok(())
}

/// `confusion_threshold.png`: the test split's confusion matrix at the chosen threshold.
pub fn confusion_at_threshold(
    run: &mut Run,
    confusion: &ConfusionMatrix,
    class_names: &[String],
    threshold: f32,
) -> Result<()> {
    let path = run.path("confusion_threshold.png");
    plot_confusion(
        confusion,
        class_names,
        &format!("Test split at threshold {threshold:.2}"),
        &path,
    )?;
    run.add_file(&path);
    Ok(())
}
