//! Image quality: PSNR and SSIM between a reference and a reconstruction, values in [0, 1].
//!
//! SSIM is not one figure: libraries differ in the window, the covariance estimate and the
//! edges, and the numbers differ by a few hundredths. [`SsimConfig`] names the three
//! conventions this project meets, each tested against the library that defines it.

/// Peak signal-to-noise ratio in dB for values in [0, `peak`]: `10 log10(peak^2 / MSE)`.
/// Identical images give `f64::INFINITY`.
pub fn psnr(reference: &[f32], other: &[f32], peak: f64) -> f64 {
    let mse = reference
        .iter()
        .zip(other)
        .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
        .sum::<f64>()
        / reference.len().max(1) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (peak * peak / mse).log10()
    }
}

/// Structural similarity (Wang et al. 2004) of two single-channel `height x width` images
/// with values in [0, `peak`], in scikit-image's default convention
/// ([`SsimConfig::scikit_image`]: 7x7 uniform windows, sample covariances, K1 = 0.01,
/// K2 = 0.03). For several channels, call it per channel and average.
pub fn ssim(reference: &[f32], other: &[f32], height: usize, width: usize, peak: f64) -> f64 {
    ssim_with(
        reference,
        other,
        height,
        width,
        peak,
        &SsimConfig::scikit_image(),
    )
}

/// The weights of one SSIM window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SsimWeights {
    /// Every pixel of the `size x size` window weighs the same.
    Uniform,
    /// A separable Gaussian of this standard deviation, normalised to sum to 1.
    Gaussian { sigma: f64 },
}

/// Where the windows are centred, and so which pixels the mean runs over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SsimEdges {
    /// Only windows that lie wholly inside the image (scikit-image crops the border).
    Inside,
    /// A window at every pixel, the images padded with zeros (burn-train's `SsimMetric`,
    /// whose 'same' convolutions pad with zeros): the padding is the same in both images,
    /// so the border's windows agree more and the mean reads higher.
    ZeroPadded,
}

/// One SSIM convention: window, weights, covariance estimate and edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SsimConfig {
    /// Side of the square window, odd.
    pub size: usize,
    pub weights: SsimWeights,
    /// Sample covariances (divide by n - 1, scikit-image's default) rather than population
    /// ones (divide by n, Wang et al. and burn).
    pub sample_covariance: bool,
    pub edges: SsimEdges,
}

impl SsimConfig {
    /// scikit-image's `structural_similarity` with its defaults: 7x7 uniform windows,
    /// sample covariances, windows inside the image. The SSIM this project reports.
    pub fn scikit_image() -> Self {
        Self {
            size: 7,
            weights: SsimWeights::Uniform,
            sample_covariance: true,
            edges: SsimEdges::Inside,
        }
    }

    /// Wang et al. (2004): an 11x11 Gaussian window with sigma 1.5 and population
    /// covariances, windows inside the image (scikit-image with `gaussian_weights=True,
    /// use_sample_covariance=False`).
    pub fn wang_et_al() -> Self {
        Self {
            size: 11,
            weights: SsimWeights::Gaussian { sigma: 1.5 },
            sample_covariance: false,
            edges: SsimEdges::Inside,
        }
    }

    /// burn-train 0.22's `SsimMetric` with its defaults: Wang et al.'s window, but a window
    /// at every pixel over a zero-padded image.
    pub fn burn() -> Self {
        Self {
            edges: SsimEdges::ZeroPadded,
            ..Self::wang_et_al()
        }
    }

    /// The window's weights, row by row (`size * size`, summing to 1).
    fn window(&self) -> Vec<f64> {
        let centre = (self.size / 2) as f64;
        let line: Vec<f64> = (0..self.size)
            .map(|i| match self.weights {
                SsimWeights::Uniform => 1.0,
                SsimWeights::Gaussian { sigma } => {
                    let x = i as f64 - centre;
                    (-(x * x) / (2.0 * sigma * sigma)).exp()
                }
            })
            .collect();
        let sum: f64 = line.iter().sum();
        let line: Vec<f64> = line.iter().map(|v| v / sum).collect();
        line.iter()
            .flat_map(|r| line.iter().map(move |c| r * c))
            .collect()
    }
}

/// SSIM of two single-channel `height x width` images in [0, `peak`] under `config`, with
/// K1 = 0.01 and K2 = 0.03. An image smaller than the window (inside-only edges) is one
/// window with uniform weights.
pub fn ssim_with(
    reference: &[f32],
    other: &[f32],
    height: usize,
    width: usize,
    peak: f64,
    config: &SsimConfig,
) -> f64 {
    let size = config.size;
    let (c1, c2) = ((0.01 * peak).powi(2), (0.03 * peak).powi(2));
    let inside = config.edges == SsimEdges::Inside;
    if inside && (height < size || width < size) {
        return ssim_whole_image(reference, other, c1, c2);
    }
    let weights = config.window();
    let n = (size * size) as f64;
    let cov_norm = if config.sample_covariance {
        n / (n - 1.0)
    } else {
        1.0
    };
    // Top-left corners of the windows, as signed offsets (negative: in the zero padding).
    let half = (size / 2) as isize;
    let (first, rows, cols) = if inside {
        (0, height - size + 1, width - size + 1)
    } else {
        (-half, height, width)
    };
    let mut total = 0.0;
    for y in 0..rows as isize {
        for x in 0..cols as isize {
            let (mut ma, mut mb, mut maa, mut mbb, mut mab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..size as isize {
                let py = y + first + dy;
                if py < 0 || py >= height as isize {
                    continue;
                }
                for dx in 0..size as isize {
                    let px = x + first + dx;
                    if px < 0 || px >= width as isize {
                        continue;
                    }
                    let w = weights[(dy * size as isize + dx) as usize];
                    let i = py as usize * width + px as usize;
                    let (a, b) = (reference[i] as f64, other[i] as f64);
                    ma += w * a;
                    mb += w * b;
                    maa += w * a * a;
                    mbb += w * b * b;
                    mab += w * a * b;
                }
            }
            let va = (cov_norm * (maa - ma * ma)).max(0.0);
            let vb = (cov_norm * (mbb - mb * mb)).max(0.0);
            let cab = cov_norm * (mab - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * cab + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    }
    total / (rows * cols) as f64
}

/// SSIM of one window covering the whole (small) image.
fn ssim_whole_image(a: &[f32], b: &[f32], c1: f64, c2: f64) -> f64 {
    let n = a.len().max(2) as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let va = a.iter().map(|&v| (v as f64 - ma).powi(2)).sum::<f64>() / (n - 1.0);
    let vb = b.iter().map(|&v| (v as f64 - mb).powi(2)).sum::<f64>() / (n - 1.0);
    let cab = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - ma) * (y as f64 - mb))
        .sum::<f64>()
        / (n - 1.0);
    ((2.0 * ma * mb + c1) * (2.0 * cab + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
}
