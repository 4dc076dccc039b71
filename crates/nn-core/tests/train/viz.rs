//! Plots decode, are not blank, and have the documented sizes.

use nn_core::data::ImageShape;
use nn_core::metrics::ConfusionMatrix;
use nn_core::viz::{Curve, CurvePlot, GridImage, image_grid, plot_confusion};

fn distinct_colours(path: &std::path::Path) -> usize {
    let img = image::open(path).unwrap().into_rgb8();
    img.pixels()
        .map(|p| p.0)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[test]
fn curves_write_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let plot = CurvePlot {
        title: "Test curves".into(),
        x_label: "epoch".into(),
        y_label: "loss".into(),
        curves: vec![
            Curve {
                label: "train".into(),
                points: (1..=10).map(|e| (e as f64, 1.0 / e as f64)).collect(),
            },
            Curve {
                label: "test".into(),
                points: (1..=10).map(|e| (e as f64, 1.2 / e as f64)).collect(),
            },
        ],
        log_y: false,
    };
    let files = plot.save(&dir.path().join("c")).unwrap();
    assert_eq!(files.len(), 2);
    assert!(distinct_colours(&files[0]) > 20);
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(svg.contains("Test curves") && svg.contains("epoch") && svg.contains("train"));
}

#[test]
fn grid_has_the_documented_size_and_content() {
    let shape = ImageShape::new(1, 4, 5);
    let images: Vec<GridImage> = (0..7)
        .map(|i| GridImage {
            shape,
            pixels: vec![(i * 30) as u8; 20],
            caption: None,
        })
        .collect();
    let (w, h, rgb) = image_grid(&images, 3, 2);
    let pad = nn_core::viz::grid::PAD as u32;
    assert_eq!((w, h), (3 * (10 + pad) + pad, 3 * (8 + pad) + pad));
    // Image 4 (row 1, col 1) is uniformly 120 grey.
    let (x, y) = (
        (pad + (10 + pad) + 3) as usize,
        (pad + (8 + pad) + 3) as usize,
    );
    assert_eq!(&rgb[(y * w as usize + x) * 3..][..3], &[120, 120, 120]);
}

#[test]
fn confusion_heat_map_draws() {
    let dir = tempfile::tempdir().unwrap();
    let cm = ConfusionMatrix::new(3, &[0, 1, 2, 2, 1, 0], &[0, 1, 2, 1, 1, 2]);
    let path = dir.path().join("cm.png");
    plot_confusion(
        &cm,
        &["cat".into(), "dog".into(), "frog".into()],
        "Confusion",
        &path,
    )
    .unwrap();
    assert!(distinct_colours(&path) > 10);
}

#[test]
fn axis_ticks_are_short_numbers() {
    use nn_core::viz::tick_label;
    assert_eq!(tick_label(20.0), "20");
    assert_eq!(tick_label(0.6000000000001), "0.6");
    assert_eq!(tick_label(0.08), "0.08");
    assert_eq!(tick_label(123.456), "123.5");
    assert_eq!(tick_label(0.00015), "1.5e-4");
    assert_eq!(tick_label(250_000.0), "2.5e5");
    assert_eq!(tick_label(0.0), "0");
    assert_eq!(tick_label(-2.5), "-2.5");
}

/// A log axis over more than a decade labels values in the lower decade too (it once
/// labelled only 0.1 to 1, leaving a loss that ends at 0.05 unreadable).
#[test]
fn a_log_axis_labels_every_decade_it_spans() {
    let dir = tempfile::tempdir().unwrap();
    let plot = CurvePlot {
        title: "Log curves".into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        curves: vec![Curve {
            label: "loss".into(),
            points: (0..=600)
                .map(|s| (s as f64, 0.04 + 0.96 * (-(s as f64) / 60.0).exp()))
                .collect(),
        }],
        log_y: true,
    };
    let files = plot.save(&dir.path().join("log")).unwrap();
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    let labels: Vec<f64> = svg
        .split('>')
        .filter_map(|t| t.split('<').next())
        .filter_map(|t| t.trim().parse::<f64>().ok())
        .collect();
    assert!(
        labels.iter().any(|&v| v > 0.0 && v < 0.1),
        "no tick label below 0.1: {labels:?}"
    );
    assert!(
        labels.iter().any(|&v| v >= 0.5),
        "no tick label near 1: {labels:?}"
    );
}
