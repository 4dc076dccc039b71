//! Data augmentation: seeded, composable random transforms on batches of images.
//!
//! Images are `f32` CHW in [0, 1] ([`Image`]); a [`Pipeline`] applies its transforms in
//! order, each drawing from one seeded RNG, so the same seed gives the same batch. burn has
//! no image augmentation in its CPU data path (burn-vision's ops need the `vision` feature,
//! which drags an HTTP stack), so these are written here.

use crate::data::{ImageDataset, ImageShape};
use rand::RngExt;
use rand::rngs::StdRng;

/// One image: CHW `f32` values in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub shape: ImageShape,
    pub data: Vec<f32>,
}

impl Image {
    /// Image `index` of a data set, scaled to [0, 1].
    pub fn from_dataset(dataset: &ImageDataset, index: usize) -> Self {
        Self {
            shape: dataset.shape,
            data: dataset
                .image(index)
                .iter()
                .map(|&v| v as f32 / 255.0)
                .collect(),
        }
    }

    /// Nearest-neighbour resize to `size` x `size`, grey expanded to RGB: lines images of
    /// different data sets up in one gallery.
    pub fn resized_rgb(&self, size: usize) -> Image {
        let ImageShape {
            channels,
            height,
            width,
        } = self.shape;
        let mut data = vec![0.0; 3 * size * size];
        for c in 0..3 {
            let source = if channels == 3 { c } else { 0 };
            for y in 0..size {
                for x in 0..size {
                    let (sy, sx) = (y * height / size, x * width / size);
                    data[c * size * size + y * size + x] =
                        self.data[source * height * width + sy * width + sx];
                }
            }
        }
        Image {
            shape: ImageShape::new(3, size, size),
            data,
        }
    }

    /// Back to u8 CHW pixels.
    pub fn to_u8(&self) -> Vec<u8> {
        self.data
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    }

    fn plane(&self) -> usize {
        self.shape.height * self.shape.width
    }

    /// Bilinear sample of channel `c` at (y, x), `fill` outside the image.
    fn sample(&self, c: usize, y: f32, x: f32, fill: f32) -> f32 {
        let (h, w) = (self.shape.height as f32, self.shape.width as f32);
        if y < -0.5 || x < -0.5 || y > h - 0.5 || x > w - 0.5 {
            return fill;
        }
        let (y, x) = (y.clamp(0.0, h - 1.0), x.clamp(0.0, w - 1.0));
        let (y0, x0) = (y.floor() as usize, x.floor() as usize);
        let (y1, x1) = (
            (y0 + 1).min(self.shape.height - 1),
            (x0 + 1).min(self.shape.width - 1),
        );
        let (dy, dx) = (y - y0 as f32, x - x0 as f32);
        let at = |yy: usize, xx: usize| self.data[c * self.plane() + yy * self.shape.width + xx];
        at(y0, x0) * (1.0 - dy) * (1.0 - dx)
            + at(y0, x1) * (1.0 - dy) * dx
            + at(y1, x0) * dy * (1.0 - dx)
            + at(y1, x1) * dy * dx
    }

    /// Resamples through an inverse map from output (y, x) to input (y, x).
    fn warp(&mut self, inverse: impl Fn(f32, f32) -> (f32, f32)) {
        let (h, w) = (self.shape.height, self.shape.width);
        let mut out = vec![0.0; self.data.len()];
        for c in 0..self.shape.channels {
            for y in 0..h {
                for x in 0..w {
                    let (sy, sx) = inverse(y as f32, x as f32);
                    out[c * h * w + y * w + x] = self.sample(c, sy, sx, 0.0);
                }
            }
        }
        self.data = out;
    }
}

/// A random transform of one image.
pub trait Transform: Send + Sync + std::fmt::Debug {
    /// Short name, for galleries and logs.
    fn name(&self) -> String;
    fn apply(&self, image: &mut Image, rng: &mut StdRng);
}

/// Mirrors left-right with probability `p`.
#[derive(Debug, Clone)]
pub struct HorizontalFlip {
    pub p: f32,
}

impl HorizontalFlip {
    /// Flips unconditionally (used by tests and the gallery).
    pub fn flip(image: &mut Image) {
        let w = image.shape.width;
        for row in image.data.chunks_exact_mut(w) {
            row.reverse();
        }
    }
}

impl Transform for HorizontalFlip {
    fn name(&self) -> String {
        format!("horizontal flip p={}", self.p)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        if rng.random::<f32>() < self.p {
            Self::flip(image);
        }
    }
}

/// Mirrors top-bottom with probability `p`.
#[derive(Debug, Clone)]
pub struct VerticalFlip {
    pub p: f32,
}

impl Transform for VerticalFlip {
    fn name(&self) -> String {
        format!("vertical flip p={}", self.p)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        if rng.random::<f32>() < self.p {
            let (h, w) = (image.shape.height, image.shape.width);
            for plane in image.data.chunks_exact_mut(h * w) {
                for y in 0..h / 2 {
                    for x in 0..w {
                        plane.swap(y * w + x, (h - 1 - y) * w + x);
                    }
                }
            }
        }
    }
}

/// Rotates about the centre by a uniform angle in `[-max_degrees, max_degrees]`
/// (bilinear, black outside).
#[derive(Debug, Clone)]
pub struct Rotation {
    pub max_degrees: f32,
}

impl Rotation {
    /// Rotates by exactly `degrees` (counter-clockwise on screen).
    pub fn rotate(image: &mut Image, degrees: f32) {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (cy, cx) = (
            (image.shape.height as f32 - 1.0) / 2.0,
            (image.shape.width as f32 - 1.0) / 2.0,
        );
        image.warp(|y, x| {
            let (dy, dx) = (y - cy, x - cx);
            (cy + dy * cos + dx * sin, cx - dy * sin + dx * cos)
        });
    }
}

impl Transform for Rotation {
    fn name(&self) -> String {
        format!("rotation ±{}°", self.max_degrees)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        if self.max_degrees > 0.0 {
            Self::rotate(
                image,
                rng.random_range(-self.max_degrees..=self.max_degrees),
            );
        }
    }
}

/// Zooms about the centre by a uniform factor in `[min, max]` (>1 enlarges).
#[derive(Debug, Clone)]
pub struct Scale {
    pub min: f32,
    pub max: f32,
}

impl Transform for Scale {
    fn name(&self) -> String {
        format!("scale {}-{}", self.min, self.max)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        let factor = if self.max > self.min {
            rng.random_range(self.min..=self.max)
        } else {
            self.min
        };
        let (cy, cx) = (
            (image.shape.height as f32 - 1.0) / 2.0,
            (image.shape.width as f32 - 1.0) / 2.0,
        );
        image.warp(|y, x| (cy + (y - cy) / factor, cx + (x - cx) / factor));
    }
}

/// Pads by `padding` pixels (zeros) and crops back to the original size at a random
/// offset: the classic CIFAR translation augmentation.
#[derive(Debug, Clone)]
pub struct RandomCrop {
    pub padding: usize,
}

impl RandomCrop {
    /// Crops with the given offset into the padded image (`0..=2*padding` each way).
    pub fn crop_at(image: &mut Image, padding: usize, oy: usize, ox: usize) {
        let (h, w) = (image.shape.height, image.shape.width);
        let mut out = vec![0.0; image.data.len()];
        for c in 0..image.shape.channels {
            for y in 0..h {
                for x in 0..w {
                    let (sy, sx) = (
                        (y + oy) as isize - padding as isize,
                        (x + ox) as isize - padding as isize,
                    );
                    if sy >= 0 && sx >= 0 && (sy as usize) < h && (sx as usize) < w {
                        out[c * h * w + y * w + x] =
                            image.data[c * h * w + sy as usize * w + sx as usize];
                    }
                }
            }
        }
        image.data = out;
    }
}

impl Transform for RandomCrop {
    fn name(&self) -> String {
        format!("random crop pad {}", self.padding)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        let oy = rng.random_range(0..=2 * self.padding);
        let ox = rng.random_range(0..=2 * self.padding);
        Self::crop_at(image, self.padding, oy, ox);
    }
}

/// Adds a uniform offset in `[-max_delta, max_delta]` to every value.
#[derive(Debug, Clone)]
pub struct Brightness {
    pub max_delta: f32,
}

impl Transform for Brightness {
    fn name(&self) -> String {
        format!("brightness ±{}", self.max_delta)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        let delta = if self.max_delta > 0.0 {
            rng.random_range(-self.max_delta..=self.max_delta)
        } else {
            0.0
        };
        image
            .data
            .iter_mut()
            .for_each(|v| *v = (*v + delta).clamp(0.0, 1.0));
    }
}

/// Scales the distance of every value from the image mean by a factor in `[min, max]`.
#[derive(Debug, Clone)]
pub struct Contrast {
    pub min: f32,
    pub max: f32,
}

impl Transform for Contrast {
    fn name(&self) -> String {
        format!("contrast {}-{}", self.min, self.max)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        let factor = if self.max > self.min {
            rng.random_range(self.min..=self.max)
        } else {
            self.min
        };
        let mean = image.data.iter().sum::<f32>() / image.data.len().max(1) as f32;
        image
            .data
            .iter_mut()
            .for_each(|v| *v = (mean + (*v - mean) * factor).clamp(0.0, 1.0));
    }
}

/// Blends each RGB pixel with its grey value: factor 0 is grey, 1 unchanged, >1 more vivid.
/// Grey images pass unchanged.
#[derive(Debug, Clone)]
pub struct Saturation {
    pub min: f32,
    pub max: f32,
}

impl Transform for Saturation {
    fn name(&self) -> String {
        format!("saturation {}-{}", self.min, self.max)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        let factor = if self.max > self.min {
            rng.random_range(self.min..=self.max)
        } else {
            self.min
        };
        if image.shape.channels != 3 {
            return;
        }
        let plane = image.plane();
        for p in 0..plane {
            let (r, g, b) = (
                image.data[p],
                image.data[plane + p],
                image.data[2 * plane + p],
            );
            let grey = 0.299 * r + 0.587 * g + 0.114 * b;
            for c in 0..3 {
                let v = &mut image.data[c * plane + p];
                *v = (grey + (*v - grey) * factor).clamp(0.0, 1.0);
            }
        }
    }
}

/// Adds Gaussian noise of standard deviation `std` (Box-Muller; rand 0.10 has no normal
/// distribution without the extra `rand_distr` crate). Values are NOT clamped, so the noise
/// keeps the asked deviation; clamp later if needed.
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    pub std: f32,
}

/// One standard normal draw.
pub fn standard_normal(rng: &mut StdRng) -> f32 {
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
}

impl Transform for GaussianNoise {
    fn name(&self) -> String {
        format!("gaussian noise σ={}", self.std)
    }
    fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        image
            .data
            .iter_mut()
            .for_each(|v| *v += self.std * standard_normal(rng));
    }
}

/// Transforms applied in order.
#[derive(Debug, Default)]
pub struct Pipeline {
    pub transforms: Vec<Box<dyn Transform>>,
}

impl Pipeline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a transform (builder style).
    pub fn then(mut self, transform: impl Transform + 'static) -> Self {
        self.transforms.push(Box::new(transform));
        self
    }

    /// The usual CIFAR recipe: random crop with 4 pixels of padding and a horizontal flip.
    pub fn cifar_standard() -> Self {
        Self::new()
            .then(RandomCrop { padding: 4 })
            .then(HorizontalFlip { p: 0.5 })
    }

    pub fn is_empty(&self) -> bool {
        self.transforms.is_empty()
    }

    /// Applies every transform to one image.
    pub fn apply(&self, image: &mut Image, rng: &mut StdRng) {
        for transform in &self.transforms {
            transform.apply(image, rng);
        }
    }

    /// Augments the images at `indices` of a data set into a new u8 data set (labels kept),
    /// reproducibly from `seed`.
    pub fn apply_batch(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        seed: u64,
    ) -> ImageDataset {
        let mut rng = crate::backend::rng(seed, "augment");
        let mut out = dataset.select(indices);
        if self.is_empty() {
            return out;
        }
        let size = out.shape.len();
        for (k, chunk) in out.pixels.chunks_exact_mut(size).enumerate() {
            let mut image = Image::from_dataset(dataset, indices[k]);
            self.apply(&mut image, &mut rng);
            chunk.copy_from_slice(&image.to_u8());
        }
        out
    }
}

/// Every transform at a visible strength, with its name: the gallery's columns.
pub fn gallery_transforms() -> Vec<Box<dyn Transform>> {
    vec![
        Box::new(HorizontalFlip { p: 1.0 }),
        Box::new(VerticalFlip { p: 1.0 }),
        Box::new(Rotation { max_degrees: 30.0 }),
        Box::new(Scale { min: 1.3, max: 1.3 }),
        Box::new(RandomCrop { padding: 4 }),
        Box::new(Brightness { max_delta: 0.3 }),
        Box::new(Contrast { min: 0.4, max: 0.4 }),
        Box::new(Saturation { min: 0.0, max: 0.0 }),
        Box::new(Saturation { min: 2.0, max: 2.0 }),
        Box::new(GaussianNoise { std: 0.1 }),
    ]
}

/// A gallery: for each `(name, image)`, the original followed by the image through each
/// of [`gallery_transforms`], captioned, one row per image.
pub fn gallery(images: &[(String, Image)], seed: u64) -> Vec<crate::viz::GridImage> {
    let mut cells = Vec::new();
    for (name, original) in images {
        cells.push(crate::viz::GridImage {
            shape: original.shape,
            pixels: original.to_u8(),
            caption: Some(name.clone()),
        });
        for (k, transform) in gallery_transforms().iter().enumerate() {
            let mut image = original.clone();
            transform.apply(
                &mut image,
                &mut crate::backend::rng(seed, &format!("gallery-{k}")),
            );
            cells.push(crate::viz::GridImage {
                shape: image.shape,
                pixels: image.to_u8(),
                caption: Some(transform.name()),
            });
        }
    }
    cells
}
