//! Self-supervised pre-training from unlabelled photos (Gidaris et al. 2018, "RotNet"):
//! every image at 0, 90, 180 and 270 degrees, labelled by its rotation. To tell which way
//! is up, a network has to learn what eyes, ears and edges look like, without a single
//! human label, and those are the features worth transferring.

use super::ImageDataset;

/// Names of the four pretext classes.
pub const ROTATIONS: [&str; 4] = ["0°", "90°", "180°", "270°"];

/// A square image's pixel at (y, x) after `quarter_turns` counter-clockwise quarter turns.
fn rotated_source(quarter_turns: usize, side: usize, y: usize, x: usize) -> (usize, usize) {
    let last = side - 1;
    match quarter_turns % 4 {
        0 => (y, x),
        1 => (x, last - y),
        2 => (last - y, last - x),
        _ => (last - x, y),
    }
}

/// The rotation pretext task on square images: four copies of each, labelled 0..4 by
/// their number of quarter turns.
pub fn rotation_pretext(data: &ImageDataset) -> ImageDataset {
    let shape = data.shape;
    let side = shape.height;
    assert_eq!(
        side, shape.width,
        "the rotation pretext needs square images"
    );
    let mut pixels = Vec::with_capacity(4 * data.pixels.len());
    let mut labels = Vec::with_capacity(4 * data.len());
    for index in 0..data.len() {
        let image = data.image(index);
        for turns in 0..4 {
            for c in 0..shape.channels {
                for y in 0..side {
                    for x in 0..side {
                        let (sy, sx) = rotated_source(turns, side, y, x);
                        pixels.push(image[(c * side + sy) * side + sx]);
                    }
                }
            }
            labels.push(turns as u16);
        }
    }
    ImageDataset {
        pixels,
        labels: Some(labels),
        shape,
        class_names: ROTATIONS.iter().map(|s| s.to_string()).collect(),
        source: format!("{} (rotation pretext)", data.source),
    }
}
