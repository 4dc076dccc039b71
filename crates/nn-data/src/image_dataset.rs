//! `ImageDataset`: decoded images as u8 pixels in NCHW order, with labels and class names.

use std::collections::BTreeMap;

/// Channels, height and width of every image of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
        }
    }

    /// Bytes (= values) in one image.
    pub const fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// True for a zero-sized shape.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.height, self.width, self.channels)
    }
}

/// A decoded image data set. Pixels are u8 in **NCHW** order (image, channel, row, column),
/// the layout burn's convolutions take; every reader of [`super::formats`] converts to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDataset {
    /// `len() * shape.len()` bytes, NCHW.
    pub pixels: Vec<u8>,
    /// One label per image, or `None` for an unlabelled set (a flat image folder).
    pub labels: Option<Vec<u16>>,
    pub shape: ImageShape,
    /// Names of the classes, indexed by label (empty when unlabelled).
    pub class_names: Vec<String>,
    /// Where the images came from (file or folder), for messages and summaries.
    pub source: String,
}

impl ImageDataset {
    /// A SHA-256 (first 16 bytes, hex) of the shape, pixels and labels: equal for the same
    /// images in the same order whatever file or folder they came from, so that a resumed
    /// run can tell it reads what it trained on.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for dim in [self.shape.channels, self.shape.height, self.shape.width] {
            hash.update((dim as u64).to_le_bytes());
        }
        hash.update(&self.pixels);
        match &self.labels {
            Some(labels) => {
                hash.update([1u8]);
                for label in labels {
                    hash.update(label.to_le_bytes());
                }
            }
            None => hash.update([0u8]),
        }
        hash.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len().checked_div(self.shape.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pixels of image `index` (CHW), panicking if out of range like slice indexing.
    pub fn image(&self, index: usize) -> &[u8] {
        let size = self.shape.len();
        &self.pixels[index * size..(index + 1) * size]
    }

    /// The label of image `index`, if the set is labelled.
    pub fn label(&self, index: usize) -> Option<usize> {
        self.labels.as_ref().map(|labels| labels[index] as usize)
    }

    /// Number of classes (0 when unlabelled).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The name of class `label`, or the number itself when unnamed.
    pub fn class_name(&self, label: usize) -> String {
        self.class_names
            .get(label)
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }

    /// Images per class, counted from the labels.
    pub fn class_counts(&self) -> BTreeMap<usize, usize> {
        let mut counts = BTreeMap::new();
        for &label in self.labels.iter().flatten() {
            *counts.entry(label as usize).or_insert(0) += 1;
        }
        counts
    }

    /// A new data set with the images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> ImageDataset {
        let size = self.shape.len();
        let mut pixels = Vec::with_capacity(indices.len() * size);
        for &index in indices {
            pixels.extend_from_slice(self.image(index));
        }
        ImageDataset {
            pixels,
            labels: self
                .labels
                .as_ref()
                .map(|labels| indices.iter().map(|&i| labels[i]).collect()),
            shape: self.shape,
            class_names: self.class_names.clone(),
            source: self.source.clone(),
        }
    }

    /// Only the images of `classes`, relabelled `0..classes.len()` in that order (e.g. the
    /// last five CIFAR-10 classes as a new five-class task). Unlabelled sets come back empty.
    pub fn with_classes(&self, classes: &[usize]) -> ImageDataset {
        let labels = self.labels.as_deref().unwrap_or(&[]);
        let indices: Vec<usize> = (0..labels.len())
            .filter(|&i| classes.contains(&(labels[i] as usize)))
            .collect();
        let mut out = self.select(&indices);
        out.labels = Some(
            indices
                .iter()
                .map(|&i| {
                    classes
                        .iter()
                        .position(|&c| c == labels[i] as usize)
                        .unwrap() as u16
                })
                .collect(),
        );
        out.class_names = classes.iter().map(|&c| self.class_name(c)).collect();
        out
    }

    /// The first `n` images (all of them if there are fewer), in file order (`--limit` is a
    /// seeded subset instead: `nn_core::data::loading::sized`).
    pub fn take(&self, n: usize) -> ImageDataset {
        let indices: Vec<usize> = (0..n.min(self.len())).collect();
        self.select(&indices)
    }

    /// Every image resized to `side` x `side`, bilinearly per channel (the `image` crate's
    /// triangle filter), e.g. 32x32 CIFAR images enlarged for ImageNet weights. Unchanged
    /// when already that size.
    pub fn resized(&self, side: usize) -> ImageDataset {
        let (h, w) = (self.shape.height, self.shape.width);
        if h == side && w == side {
            return self.clone();
        }
        let plane = h * w;
        let mut pixels = Vec::with_capacity(self.len() * self.shape.channels * side * side);
        for index in 0..self.len() {
            for channel in self.image(index).chunks_exact(plane) {
                let source = image::GrayImage::from_raw(w as u32, h as u32, channel.to_vec())
                    .expect("a plane holds height x width bytes");
                let scaled = image::imageops::resize(
                    &source,
                    side as u32,
                    side as u32,
                    image::imageops::FilterType::Triangle,
                );
                pixels.extend_from_slice(scaled.as_raw());
            }
        }
        ImageDataset {
            pixels,
            labels: self.labels.clone(),
            shape: ImageShape {
                channels: self.shape.channels,
                height: side,
                width: side,
            },
            class_names: self.class_names.clone(),
            source: self.source.clone(),
        }
    }

    /// Square images shrunk to `side` x `side` by an integer factor, averaging each block
    /// (a box filter: no aliasing, unlike dropping pixels). Unchanged when the side does
    /// not divide.
    pub fn box_downscaled(&self, side: usize) -> ImageDataset {
        let ImageShape {
            channels,
            height,
            width,
        } = self.shape;
        if side == 0 || height != width || height % side != 0 || height == side {
            return self.clone();
        }
        let factor = height / side;
        let area = (factor * factor) as u32;
        let shape = ImageShape::new(channels, side, side);
        let mut pixels = Vec::with_capacity(self.len() * shape.len());
        for index in 0..self.len() {
            let image = self.image(index);
            for c in 0..channels {
                for y in 0..side {
                    for x in 0..side {
                        let mut sum = 0u32;
                        for dy in 0..factor {
                            let row = (c * height + y * factor + dy) * width + x * factor;
                            sum += image[row..row + factor]
                                .iter()
                                .map(|&v| v as u32)
                                .sum::<u32>();
                        }
                        pixels.push(((sum + area / 2) / area) as u8);
                    }
                }
            }
        }
        ImageDataset {
            pixels,
            labels: self.labels.clone(),
            shape,
            class_names: self.class_names.clone(),
            source: format!("{} ({side}x{side})", self.source),
        }
    }

    /// The images in grey (the mean of the channels), for quick runs on colour sets.
    pub fn to_grey(&self) -> ImageDataset {
        let ImageShape {
            channels,
            height,
            width,
        } = self.shape;
        if channels == 1 {
            return self.clone();
        }
        let plane = height * width;
        let mut pixels = Vec::with_capacity(self.len() * plane);
        for index in 0..self.len() {
            let image = self.image(index);
            for p in 0..plane {
                let sum: u32 = (0..channels).map(|c| image[c * plane + p] as u32).sum();
                pixels.push(((sum + channels as u32 / 2) / channels as u32) as u8);
            }
        }
        ImageDataset {
            pixels,
            labels: self.labels.clone(),
            shape: ImageShape::new(1, height, width),
            class_names: self.class_names.clone(),
            source: format!("{} (grey)", self.source),
        }
    }

    /// The images as RGB on a black `side` x `side` canvas, centred (grey copied to all three
    /// channels; larger images cropped at the centre): lines a 28x28 grey set up with a
    /// network made for 32x32 colour images, without resampling a pixel.
    pub fn as_rgb_canvas(&self, side: usize) -> ImageDataset {
        let ImageShape {
            channels,
            height,
            width,
        } = self.shape;
        let shape = ImageShape::new(3, side, side);
        let mut pixels = vec![0u8; self.len() * shape.len()];
        for (index, out) in pixels.chunks_exact_mut(shape.len().max(1)).enumerate() {
            let image = self.image(index);
            for y in 0..side {
                let Some(sy) = (y + height / 2)
                    .checked_sub(side / 2)
                    .filter(|&v| v < height)
                else {
                    continue;
                };
                for x in 0..side {
                    let Some(sx) = (x + width / 2).checked_sub(side / 2).filter(|&v| v < width)
                    else {
                        continue;
                    };
                    for c in 0..3 {
                        let source = if channels == 3 { c } else { 0 };
                        out[(c * side + y) * side + x] = image[(source * height + sy) * width + sx];
                    }
                }
            }
        }
        ImageDataset {
            pixels,
            labels: self.labels.clone(),
            shape,
            class_names: self.class_names.clone(),
            source: format!("{} (RGB, {side}x{side} canvas)", self.source),
        }
    }

    /// Splits off the last `fraction` of a seeded shuffle as a second set (e.g. validation).
    pub fn split_off(&self, fraction: f64, seed: u64) -> (ImageDataset, ImageDataset) {
        use rand::seq::SliceRandom;
        let mut indices: Vec<usize> = (0..self.len()).collect();
        indices.shuffle(&mut crate::seed::rng(seed, "split"));
        let cut = self.len() - ((self.len() as f64) * fraction).round() as usize;
        let (first, second) = indices.split_at(cut);
        (self.select(first), self.select(second))
    }

    /// Per-channel mean and standard deviation of the pixels scaled to [0, 1].
    pub fn channel_stats(&self) -> (Vec<f32>, Vec<f32>) {
        let ImageShape {
            channels,
            height,
            width,
        } = self.shape;
        let plane = height * width;
        let mut sum = vec![0f64; channels];
        let mut sum_sq = vec![0f64; channels];
        for image in self.pixels.chunks_exact(self.shape.len().max(1)) {
            for (c, values) in image.chunks_exact(plane).enumerate() {
                let (s, sq) = values.iter().fold((0u64, 0u64), |(s, sq), &v| {
                    (s + v as u64, sq + (v as u64) * (v as u64))
                });
                sum[c] += s as f64;
                sum_sq[c] += sq as f64;
            }
        }
        let n = (self.len() * plane).max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n / 255.0) as f32).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(sq, &m)| ((sq / n / 65025.0 - (m as f64).powi(2)).max(0.0).sqrt()) as f32)
            .collect();
        (mean, std)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_classes_keeps_those_classes_relabelled_in_the_given_order() {
        let data = ImageDataset {
            pixels: vec![10, 11, 12, 13, 14],
            labels: Some(vec![0, 1, 2, 1, 0]),
            shape: ImageShape {
                channels: 1,
                height: 1,
                width: 1,
            },
            class_names: vec!["a".into(), "b".into(), "c".into()],
            source: "test".into(),
        };
        let two = data.with_classes(&[2, 1]);
        assert_eq!(two.pixels, [11, 12, 13]);
        assert_eq!(two.labels, Some(vec![1, 0, 1]));
        assert_eq!(two.class_names, ["c", "b"]);
    }

    #[test]
    fn resized_keeps_labels_channels_and_flat_colours() {
        let data = ImageDataset {
            pixels: [vec![10u8; 4], vec![200u8; 4]].concat(),
            labels: Some(vec![3]),
            shape: ImageShape {
                channels: 2,
                height: 2,
                width: 2,
            },
            class_names: vec![],
            source: "test".into(),
        };
        let big = data.resized(5);
        assert_eq!(
            (big.shape.channels, big.shape.height, big.shape.width),
            (2, 5, 5)
        );
        assert_eq!(big.len(), 1);
        assert_eq!(big.labels, Some(vec![3]));
        assert!(big.pixels[..25].iter().all(|&p| p == 10));
        assert!(big.pixels[25..].iter().all(|&p| p == 200));
        assert_eq!(data.resized(2), data);
    }
}
