//! Training-mode batch normalisation fused with its activation, on raw f32 slices: two passes
//! over the activations forward (statistics; normalise + activate) and two backward
//! (parameter gradients; input gradient), where burn-backend's default `batch_norm_train`
//! and its backward make about 25 (a transposed copy, a mean, a centred copy, its square,
//! another copy and mean, then sub, div, mul, add; and as many for the gradient), and ReLU
//! adds two more.
//!
//! Layout: `x [n, c, plane]` (NCHW with `plane = h*w`, or `[n, c]` with `plane = 1`); the
//! statistics `[2, c]` are the batch mean and the biased variance, as burn and PyTorch
//! normalise with.
//!
//! Determinism: every per-channel sum runs over the batch in order, each plane summed in
//! fixed 16-wide lanes, so the bits do not depend on the thread count; elementwise passes
//! write each element once.

use super::activation::Activation;
pub use super::activation::NormActivation;
use super::uninit::written_by;
use rayon::prelude::*;

/// The shape of one normalisation: `batch` images of `channels` planes of `plane` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormShape {
    pub batch: usize,
    pub channels: usize,
    pub plane: usize,
}

impl NormShape {
    /// From a tensor's dims `[n, c, ...]` (rank 2 or more).
    pub fn from_dims(dims: &[usize]) -> Self {
        assert!(dims.len() >= 2, "batch norm: rank {} < 2", dims.len());
        Self {
            batch: dims[0],
            channels: dims[1],
            plane: dims[2..].iter().product(),
        }
    }

    fn len(&self) -> usize {
        self.batch * self.channels * self.plane
    }

    /// Values per channel (the `M` of the mean).
    fn count(&self) -> usize {
        self.batch * self.plane
    }

    /// Planes of at least ~4,096 values per rayon task (small maps are many tiny planes).
    fn planes_per_task(&self) -> usize {
        4096usize.div_ceil(self.plane.max(1))
    }
}

/// Two sums of `f(i) = (a, b)` over `0..len`, each in 16 fixed lanes (so LLVM vectorises
/// them), then the lanes in order in f64: the same bits on every run. One pass, so that `f`
/// (which may hold an `exp`, as SiLU's derivative does) runs once per element: two
/// one-sum passes computed the group norm's `dz` twice, 19% of the U-Net's step
/// (`bench/NOTES.md`, change 14). Shared by the group norm.
#[inline(always)]
pub(super) fn lane_sums(len: usize, f: impl Fn(usize) -> (f32, f32)) -> (f64, f64) {
    const LANES: usize = 16;
    let (mut acc_a, mut acc_b) = ([0.0f32; LANES], [0.0f32; LANES]);
    let full = len / LANES * LANES;
    for start in (0..full).step_by(LANES) {
        for l in 0..LANES {
            let (a, b) = f(start + l);
            acc_a[l] += a;
            acc_b[l] += b;
        }
    }
    for (l, i) in (full..len).enumerate() {
        let (a, b) = f(i);
        acc_a[l] += a;
        acc_b[l] += b;
    }
    let in_f64 = |acc: [f32; LANES]| acc.iter().map(|&v| v as f64).sum::<f64>();
    (in_f64(acc_a), in_f64(acc_b))
}

/// Per-channel `[mean..., variance...]` (`[2, c]`, the variance biased). Sums are taken
/// about the channel's first value (a shift that keeps `E[x^2] - E[x]^2` accurate when the
/// mean is large against the spread) and across planes in f64.
pub fn channel_stats(s: NormShape, x: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "batch norm statistics: x length");
    let (c, plane) = (s.channels, s.plane);
    let m = s.count() as f64;
    let per_channel: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            if s.count() == 0 {
                return (0.0, 0.0);
            }
            let shift = x[ch * plane];
            let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
            for b in 0..s.batch {
                let p = &x[(b * c + ch) * plane..][..plane];
                let (plane_sum, plane_sum_sq) = lane_sums(plane, |i| {
                    let centred = p[i] - shift;
                    (centred, centred * centred)
                });
                sum += plane_sum;
                sum_sq += plane_sum_sq;
            }
            let mean = sum / m;
            let var = (sum_sq / m - mean * mean).max(0.0);
            ((mean + shift as f64) as f32, var as f32)
        })
        .collect();
    let mut stats = vec![0.0f32; 2 * c];
    for (ch, (mean, var)) in per_channel.into_iter().enumerate() {
        stats[ch] = mean;
        stats[c + ch] = var;
    }
    stats
}

/// Per channel, for `z = gamma * (x - mean) / sqrt(var + eps) + beta = scale * (x - mean) +
/// beta`: `Affine { mean, scale, beta, inv_std }`. Centring first keeps `z` accurate when
/// the mean is large against the spread.
fn affine(gamma: &[f32], beta: &[f32], stats: &[f32], eps: f64) -> Vec<Affine> {
    let c = gamma.len();
    assert_eq!(beta.len(), c, "batch norm: beta length");
    assert_eq!(stats.len(), 2 * c, "batch norm: statistics length");
    (0..c)
        .map(|ch| {
            let inv_std = 1.0 / (stats[c + ch] as f64 + eps).sqrt();
            Affine {
                mean: stats[ch],
                scale: (gamma[ch] as f64 * inv_std) as f32,
                beta: beta[ch],
                inv_std: inv_std as f32,
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
struct Affine {
    mean: f32,
    scale: f32,
    beta: f32,
    inv_std: f32,
}

impl Affine {
    #[inline(always)]
    fn z(&self, x: f32) -> f32 {
        self.scale * (x - self.mean) + self.beta
    }
}

/// `y = act(gamma * (x - mean) / sqrt(var + eps) + beta)`, one pass.
pub fn batch_norm_act_forward(
    s: NormShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "batch norm: x length");
    let coef = affine(gamma, beta, stats, eps);
    if x.is_empty() {
        return Vec::new();
    }
    let plane = s.plane;
    // SAFETY: the planes tile the output and every element of each is written.
    unsafe {
        written_by(x.len(), |y| {
            y.par_chunks_mut(plane)
                .zip(x.par_chunks(plane))
                .enumerate()
                .with_min_len(s.planes_per_task())
                .for_each(|(i, (yp, xp))| {
                    let a = coef[i % s.channels];
                    for (y, &x) in yp.iter_mut().zip(xp) {
                        y.write(act.apply(a.z(x)));
                    }
                })
        })
    }
}

/// Pass 1 of the backward: per channel `[sum(dz)..., sum(dz * x_hat)...]` (`[2, c]`) with
/// `dz = dy * act'(z)`: the gradients of beta and gamma.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_act_param_grads(
    s: NormShape,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "batch norm backward: x length");
    assert_eq!(
        dy.len(),
        s.len(),
        "batch norm backward: output gradient length"
    );
    let coef = affine(gamma, beta, stats, eps);
    let (c, plane) = (s.channels, s.plane);
    let sums: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let a = coef[ch];
            let (mut sum_dz, mut sum_dz_x) = (0.0f64, 0.0f64);
            for b in 0..s.batch {
                let off = (b * c + ch) * plane;
                let (xp, gp) = (&x[off..][..plane], &dy[off..][..plane]);
                let (plane_dz, plane_dz_x) = lane_sums(plane, |i| {
                    let dz = gp[i] * act.derivative(a.z(xp[i]));
                    (dz, dz * (xp[i] - a.mean))
                });
                sum_dz += plane_dz;
                sum_dz_x += plane_dz_x;
            }
            (sum_dz as f32, (sum_dz_x * a.inv_std as f64) as f32)
        })
        .collect();
    let mut out = vec![0.0f32; 2 * c];
    for (ch, (d_beta, d_gamma)) in sums.into_iter().enumerate() {
        out[ch] = d_beta;
        out[c + ch] = d_gamma;
    }
    out
}

/// Pass 2 of the backward: `dx = gamma / std * (dz - mean(dz) - x_hat * mean(dz * x_hat))`,
/// given pass 1's sums `[sum(dz)..., sum(dz * x_hat)...]`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_act_input_grad(
    s: NormShape,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    sums: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "batch norm backward: x length");
    assert_eq!(
        dy.len(),
        s.len(),
        "batch norm backward: output gradient length"
    );
    let c = s.channels;
    assert_eq!(sums.len(), 2 * c, "batch norm backward: sums length");
    let coef = affine(gamma, beta, stats, eps);
    let m = s.count().max(1) as f64;
    // dx = k_dz * dz + k_x * (x - mean) + k_0, per channel.
    let k: Vec<(f32, f32, f32)> = (0..c)
        .map(|ch| {
            let inv_std = coef[ch].inv_std as f64;
            let (mean_dz, mean_dz_xhat) = (sums[ch] as f64 / m, sums[c + ch] as f64 / m);
            let k_dz = gamma[ch] as f64 * inv_std;
            let k_x = -k_dz * inv_std * mean_dz_xhat;
            let k_0 = -k_dz * mean_dz;
            (k_dz as f32, k_x as f32, k_0 as f32)
        })
        .collect();
    if x.is_empty() {
        return Vec::new();
    }
    let plane = s.plane;
    // SAFETY: the planes tile the output and every element of each is written.
    unsafe {
        written_by(x.len(), |dx| {
            dx.par_chunks_mut(plane)
                .zip(x.par_chunks(plane).zip(dy.par_chunks(plane)))
                .enumerate()
                .with_min_len(s.planes_per_task())
                .for_each(|(i, (dxp, (xp, gp)))| {
                    let ch = i % c;
                    let a = coef[ch];
                    let (k_dz, k_x, k_0) = k[ch];
                    for ((d, &x), &g) in dxp.iter_mut().zip(xp).zip(gp) {
                        let dz = g * act.derivative(a.z(x));
                        d.write(k_dz * dz + k_x * (x - a.mean) + k_0);
                    }
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straightforward f64 batch norm + activation and its gradient, for comparison.
    fn reference(
        s: NormShape,
        x: &[f32],
        dy: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f64,
        act: NormActivation,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let (c, plane) = (s.channels, s.plane);
        let idx = |b: usize, ch: usize, i: usize| (b * c + ch) * plane + i;
        let m = s.count() as f64;
        let (mut y, mut dx) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        let (mut dg, mut db) = (vec![0.0; c], vec![0.0; c]);
        for ch in 0..c {
            let vals: Vec<(usize, f64)> = (0..s.batch)
                .flat_map(|b| (0..plane).map(move |i| idx(b, ch, i)))
                .map(|j| (j, x[j] as f64))
                .collect();
            let mean = vals.iter().map(|v| v.1).sum::<f64>() / m;
            let var = vals.iter().map(|v| (v.1 - mean).powi(2)).sum::<f64>() / m;
            let inv = 1.0 / (var + eps).sqrt();
            let mut dz = Vec::new();
            for &(j, v) in &vals {
                let xh = (v - mean) * inv;
                let z = gamma[ch] as f64 * xh + beta[ch] as f64;
                y[j] = act.apply(z as f32) as f64;
                let d = dy[j] as f64 * act.derivative(z as f32) as f64;
                db[ch] += d;
                dg[ch] += d * xh;
                dz.push((j, d, xh));
            }
            for (j, d, xh) in dz {
                dx[j] = gamma[ch] as f64 * inv * (d - db[ch] / m - xh * dg[ch] / m);
            }
        }
        (y, dx, dg, db)
    }

    fn close(a: &[f32], b: &[f64], tol: f64, what: &str) {
        let scale = b.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (*x as f64 - y).abs() <= tol * scale,
                "{what}[{i}]: {x} vs {y} (scale {scale})"
            );
        }
    }

    #[test]
    fn fused_passes_match_an_f64_reference() {
        let mut seed = 7u64;
        let mut rand = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        };
        for (dims, act) in [
            ([3, 5, 7], NormActivation::Relu),
            ([1, 3, 33], NormActivation::LeakyRelu(0.2)),
            ([4, 2, 1], NormActivation::Identity),
            ([2, 17, 5], NormActivation::Relu),
            ([3, 4, 6], NormActivation::Silu),
        ] {
            let s = NormShape::from_dims(&dims);
            // A large offset checks the shifted variance.
            let x: Vec<f32> = (0..s.len()).map(|_| 100.0 + rand()).collect();
            let dy: Vec<f32> = (0..s.len()).map(|_| rand()).collect();
            let gamma: Vec<f32> = (0..s.channels).map(|_| 1.0 + rand()).collect();
            let beta: Vec<f32> = (0..s.channels).map(|_| rand() * 0.5).collect();
            let eps = 1e-5;
            let (y_ref, dx_ref, dg_ref, db_ref) = reference(s, &x, &dy, &gamma, &beta, eps, act);
            let stats = channel_stats(s, &x);
            let y = batch_norm_act_forward(s, &x, &gamma, &beta, &stats, eps, act);
            close(&y, &y_ref, 1e-4, "y");
            let sums = batch_norm_act_param_grads(s, &x, &dy, &gamma, &beta, &stats, eps, act);
            close(&sums[..s.channels], &db_ref, 1e-4, "d beta");
            close(&sums[s.channels..], &dg_ref, 1e-4, "d gamma");
            let dx = batch_norm_act_input_grad(s, &x, &dy, &gamma, &beta, &stats, &sums, eps, act);
            close(&dx, &dx_ref, 1e-3, "dx");
        }
    }
}
