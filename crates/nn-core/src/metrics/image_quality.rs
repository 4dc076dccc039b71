//! Image quality: PSNR and SSIM between a reference and a reconstruction, values in [0, 1].

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
/// with values in [0, `peak`]: the mean over 7x7 windows (uniform weights, stride 1, as
/// scikit-image's default), with K1 = 0.01, K2 = 0.03 and sample covariances. For several
/// channels, call it per channel and average.
pub fn ssim(reference: &[f32], other: &[f32], height: usize, width: usize, peak: f64) -> f64 {
    const WIN: usize = 7;
    let (c1, c2) = ((0.01 * peak).powi(2), (0.03 * peak).powi(2));
    if height < WIN || width < WIN {
        return ssim_window(reference, other, c1, c2);
    }
    let n = (WIN * WIN) as f64;
    let cov_norm = n / (n - 1.0);
    let mut total = 0.0;
    let mut count = 0usize;
    for y in 0..=height - WIN {
        for x in 0..=width - WIN {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..WIN {
                for dx in 0..WIN {
                    let i = (y + dy) * width + x + dx;
                    let (a, b) = (reference[i] as f64, other[i] as f64);
                    sa += a;
                    sb += b;
                    saa += a * a;
                    sbb += b * b;
                    sab += a * b;
                }
            }
            let (ma, mb) = (sa / n, sb / n);
            let va = cov_norm * (saa / n - ma * ma);
            let vb = cov_norm * (sbb / n - mb * mb);
            let cab = cov_norm * (sab / n - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * cab + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            count += 1;
        }
    }
    total / count as f64
}

/// SSIM of one window covering the whole (small) image.
fn ssim_window(a: &[f32], b: &[f32], c1: f64, c2: f64) -> f64 {
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
