//! The spread of one figure over several seeds: what every claimed effect (a gain from
//! transfer, augmentation, skip connections) is quoted with.

/// Mean, sample standard deviation and count of a figure measured once per seed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    pub mean: f64,
    /// Sample standard deviation (divides by n - 1); 0 for a single value.
    pub std: f64,
    pub n: usize,
}

impl Spread {
    /// The spread of `values` (NaN mean for none).
    pub fn of(values: &[f64]) -> Spread {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Spread { mean, std, n }
    }

    /// `0.652 ± 0.012 (n = 3)`, with `digits` decimals.
    pub fn display(&self, digits: usize) -> String {
        format!(
            "{:.digits$} ± {:.digits$} (n = {})",
            self.mean, self.std, self.n
        )
    }
}

/// Per-seed differences `treated[i] - baseline[i]`: for runs paired by seed (the same
/// initialisation and data order), their spread is far smaller than the two spreads apart.
pub fn paired_differences(treated: &[f64], baseline: &[f64]) -> Vec<f64> {
    treated.iter().zip(baseline).map(|(t, b)| t - b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_sample_mean_and_standard_deviation() {
        assert_eq!(
            Spread::of(&[1.0, 3.0]),
            Spread {
                mean: 2.0,
                std: 2f64.sqrt(),
                n: 2
            }
        );
        let one = Spread::of(&[5.0]);
        assert_eq!((one.mean, one.std, one.n), (5.0, 0.0, 1));
        assert!(Spread::of(&[]).mean.is_nan());
        // numpy: np.std([0.61, 0.65, 0.66], ddof=1) = 0.026457513110645873
        let s = Spread::of(&[0.61, 0.65, 0.66]);
        assert!((s.std - 0.026457513110645873).abs() < 1e-12, "{s:?}");
        assert_eq!(s.display(3), "0.640 ± 0.026 (n = 3)");
        assert_eq!(paired_differences(&[3.0, 5.0], &[1.0, 1.5]), [2.0, 3.5]);
    }
}
