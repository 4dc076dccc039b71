//! Colour statistics of generated images beside real ones: the signs of an over-guided or
//! over-clipped sampler that a recognition rate does not show. Per image, the mean HSV
//! saturation (`(max - min) / max` over the channels of a pixel, 0 for black) and the share
//! of channel values at the ends of the range (<= 3 or >= 252 of 255); over a set, the
//! share of images whose clipped share is above the real images' 90th percentile (about
//! 10% for real images themselves, by definition).

use crate::data::ImageDataset;
use std::collections::BTreeMap;

/// Channel values at or below this, or at or above 255 minus it, count as clipped.
pub const CLIP_MARGIN: u8 = 3;

/// Mean HSV saturation of one CHW image of `channels` channels (0 for grey images).
pub fn saturation(image: &[u8], channels: usize) -> f64 {
    if channels < 3 {
        return 0.0;
    }
    let plane = image.len() / channels;
    if plane == 0 {
        return 0.0;
    }
    let total: f64 = (0..plane)
        .map(|p| {
            let (mut low, mut high) = (u8::MAX, 0u8);
            for c in 0..channels {
                let v = image[c * plane + p];
                (low, high) = (low.min(v), high.max(v));
            }
            if high == 0 {
                0.0
            } else {
                (high - low) as f64 / high as f64
            }
        })
        .sum();
    total / plane as f64
}

/// The share of an image's channel values within [`CLIP_MARGIN`] of 0 or 255.
pub fn clipped_share(image: &[u8]) -> f64 {
    let clipped = image
        .iter()
        .filter(|&&v| v <= CLIP_MARGIN || v >= u8::MAX - CLIP_MARGIN)
        .count();
    clipped as f64 / image.len().max(1) as f64
}

/// The nearest-rank `q` quantile (`q` in (0, 1]) of `values` (NaN when empty).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Generated images' colour beside real ones'.
#[derive(Debug, Clone, PartialEq)]
pub struct ColourComparison {
    pub mean_saturation: f64,
    pub mean_saturation_real: f64,
    /// The median image's clipped share.
    pub clipped_share_median: f64,
    pub clipped_share_median_real: f64,
    /// The share of generated images whose clipped share is above the real images' 90th
    /// percentile.
    pub clipped_above_real_p90: f64,
}

impl ColourComparison {
    /// Compares `samples` with `real` (the same shape of image).
    pub fn measure(samples: &ImageDataset, real: &ImageDataset) -> Self {
        let per_image = |data: &ImageDataset| -> (Vec<f64>, Vec<f64>) {
            (0..data.len())
                .map(|i| {
                    let image = data.image(i);
                    (saturation(image, data.shape.channels), clipped_share(image))
                })
                .unzip()
        };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let (saturation_fake, clipped_fake) = per_image(samples);
        let (saturation_real, clipped_real) = per_image(real);
        let p90 = quantile(&clipped_real, 0.9);
        let above = clipped_fake.iter().filter(|&&c| c > p90).count();
        Self {
            mean_saturation: mean(&saturation_fake),
            mean_saturation_real: mean(&saturation_real),
            clipped_share_median: quantile(&clipped_fake, 0.5),
            clipped_share_median_real: quantile(&clipped_real, 0.5),
            clipped_above_real_p90: above as f64 / clipped_fake.len().max(1) as f64,
        }
    }

    /// Adds the figures under their summary names (`mean_saturation`, ...).
    pub fn add_to(&self, figures: &mut BTreeMap<String, f64>) {
        for (name, value) in [
            ("mean_saturation", self.mean_saturation),
            ("mean_saturation_real", self.mean_saturation_real),
            ("clipped_share_median", self.clipped_share_median),
            ("clipped_share_median_real", self.clipped_share_median_real),
            ("clipped_above_real_p90", self.clipped_above_real_p90),
        ] {
            figures.insert(name.to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ImageShape;

    /// A 1x2 RGB image: the pixels (r, g, b) given, stored CHW.
    fn rgb(pixels: [[u8; 3]; 2]) -> Vec<u8> {
        (0..3)
            .flat_map(|c| pixels.iter().map(move |p| p[c]))
            .collect()
    }

    #[test]
    fn saturation_is_hsv_s_averaged_over_pixels() {
        // Pure red: S = 1; mid grey: S = 0; (200, 100, 50): (200 - 50) / 200 = 0.75.
        assert_eq!(saturation(&rgb([[255, 0, 0], [128, 128, 128]]), 3), 0.5);
        assert_eq!(saturation(&rgb([[200, 100, 50], [0, 0, 0]]), 3), 0.375);
        assert_eq!(saturation(&[10, 200, 30], 1), 0.0);
    }

    #[test]
    fn clipped_share_counts_values_near_both_ends() {
        assert_eq!(clipped_share(&[0, 3, 4, 128, 251, 252, 255, 100]), 0.5);
    }

    #[test]
    fn quantile_is_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 1.0), 10.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn saturated_clipped_samples_stand_out_against_real_ones() {
        let shape = ImageShape::new(3, 1, 2);
        let set = |images: Vec<Vec<u8>>| ImageDataset {
            pixels: images.concat(),
            labels: None,
            shape,
            class_names: vec![],
            source: "test".into(),
        };
        // Ten real images of soft colour with no clipped value; samples: two pure reds.
        let real = set((0..10)
            .map(|i| rgb([[120 + i, 100, 100], [90, 90, 100]]))
            .collect());
        let samples = set(vec![rgb([[255, 0, 0], [255, 0, 0]]); 2]);
        let c = ColourComparison::measure(&samples, &real);
        assert_eq!(c.mean_saturation, 1.0);
        assert!(c.mean_saturation_real < 0.2, "{c:?}");
        assert_eq!(c.clipped_share_median, 1.0);
        assert_eq!(c.clipped_share_median_real, 0.0);
        assert_eq!(c.clipped_above_real_p90, 1.0);
        // Real images against themselves: none above their own 90th percentile here.
        assert_eq!(
            ColourComparison::measure(&real, &real).clipped_above_real_p90,
            0.0
        );
    }
}
