//! Group normalisation fused with its activation, on raw f32 slices (the U-Net's
//! `GroupNorm` + SiLU): statistics per sample and group, then normalise + scale per channel +
//! activate in one pass; backward in two passes (per-plane sums; input gradient). burn's
//! `GroupNorm` takes about 10 tensor ops forward and as many backward, SiLU 3 more.
//!
//! Layout: `x [n, c, plane]`; group `g` of sample `b` is the contiguous run of channels
//! `g * c/G .. (g+1) * c/G`. Statistics `[2, n*G]`: the mean, then the biased variance.
//! Determinism as in [`super::norm`]: fixed lanes, sums in order, one writer per element.

use super::activation::Activation;
use super::norm::lane_sums;
use super::uninit::written_by;
use rayon::prelude::*;

/// `batch` samples of `channels` planes of `plane` values, in `groups` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupShape {
    pub batch: usize,
    pub channels: usize,
    pub groups: usize,
    pub plane: usize,
}

impl GroupShape {
    /// From a tensor's dims `[n, c, ...]` and the group count (which divides `c`).
    pub fn from_dims(dims: &[usize], groups: usize) -> Self {
        assert!(dims.len() >= 2, "group norm: rank {} < 2", dims.len());
        assert!(
            groups > 0 && dims[1].is_multiple_of(groups),
            "group norm: {groups} groups do not divide {} channels",
            dims[1]
        );
        Self {
            batch: dims[0],
            channels: dims[1],
            groups,
            plane: dims[2..].iter().product(),
        }
    }

    fn len(&self) -> usize {
        self.batch * self.channels * self.plane
    }

    /// Values in one group of one sample.
    fn group_len(&self) -> usize {
        self.channels / self.groups * self.plane
    }

    /// The (sample, group) index of plane `i` (`i = b * c + ch`).
    fn group_of_plane(&self, i: usize) -> usize {
        let (b, ch) = (i / self.channels, i % self.channels);
        b * self.groups + ch / (self.channels / self.groups)
    }

    fn planes_per_task(&self) -> usize {
        4096usize.div_ceil(self.plane.max(1))
    }
}

/// `[mean..., variance...]` per (sample, group), `[2, n*G]`; each group's values are summed
/// about its first value in chunks of at most one plane, in f64 across chunks.
pub fn group_stats(s: GroupShape, x: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "group norm statistics: x length");
    let len = s.group_len();
    let count = s.batch * s.groups;
    let chunk = s.plane.clamp(1, 4096);
    let per_group: Vec<(f32, f32)> = (0..count)
        .into_par_iter()
        .map(|i| {
            let values = &x[i * len..][..len];
            if values.is_empty() {
                return (0.0, 0.0);
            }
            let shift = values[0];
            let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
            for part in values.chunks(chunk) {
                let (part_sum, part_sum_sq) = lane_sums(part.len(), |j| {
                    let centred = part[j] - shift;
                    (centred, centred * centred)
                });
                sum += part_sum;
                sum_sq += part_sum_sq;
            }
            let mean = sum / len as f64;
            let var = (sum_sq / len as f64 - mean * mean).max(0.0);
            ((mean + shift as f64) as f32, var as f32)
        })
        .collect();
    let mut stats = vec![0.0f32; 2 * count];
    for (i, (mean, var)) in per_group.into_iter().enumerate() {
        stats[i] = mean;
        stats[count + i] = var;
    }
    stats
}

/// `1 / sqrt(var + eps)` per (sample, group).
fn inverse_std(stats: &[f32], count: usize, eps: f64) -> Vec<f32> {
    assert_eq!(stats.len(), 2 * count, "group norm: statistics length");
    (0..count)
        .map(|i| (1.0 / (stats[count + i] as f64 + eps).sqrt()) as f32)
        .collect()
}

/// `y = act(gamma_c * (x - mean_g) / sqrt(var_g + eps) + beta_c)`, one pass.
pub fn group_norm_act_forward(
    s: GroupShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "group norm: x length");
    assert_eq!(gamma.len(), s.channels, "group norm: gamma length");
    assert_eq!(beta.len(), s.channels, "group norm: beta length");
    let count = s.batch * s.groups;
    let inv_std = inverse_std(stats, count, eps);
    if x.is_empty() {
        return Vec::new();
    }
    // SAFETY: the planes tile the output and every element of each is written.
    unsafe {
        written_by(x.len(), |y| {
            y.par_chunks_mut(s.plane)
                .zip(x.par_chunks(s.plane))
                .enumerate()
                .with_min_len(s.planes_per_task())
                .for_each(|(i, (yp, xp))| {
                    let (ch, g) = (i % s.channels, s.group_of_plane(i));
                    let (mean, scale, beta) = (stats[g], gamma[ch] * inv_std[g], beta[ch]);
                    for (y, &x) in yp.iter_mut().zip(xp) {
                        y.write(act.apply(scale * (x - mean) + beta));
                    }
                })
        })
    }
}

/// Pass 1 of the backward: per (sample, channel) `[sum(dz)..., sum(dz * x_hat)...]`,
/// `[2, n, c]`, with `dz = dy * act'(z)`. Summed over the samples they are the gradients
/// of beta and gamma.
#[allow(clippy::too_many_arguments)]
pub fn group_norm_act_plane_sums(
    s: GroupShape,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "group norm backward: x length");
    assert_eq!(
        dy.len(),
        s.len(),
        "group norm backward: output gradient length"
    );
    let count = s.batch * s.groups;
    let inv_std = inverse_std(stats, count, eps);
    let planes = s.batch * s.channels;
    let sums: Vec<(f32, f32)> = (0..planes)
        .into_par_iter()
        .with_min_len(s.planes_per_task())
        .map(|i| {
            let (ch, g) = (i % s.channels, s.group_of_plane(i));
            let (mean, istd) = (stats[g], inv_std[g]);
            let (scale, beta) = (gamma[ch] * istd, beta[ch]);
            let xp = &x[i * s.plane..][..s.plane];
            let gp = &dy[i * s.plane..][..s.plane];
            let (sum_dz, sum_dz_x) = lane_sums(s.plane, |j| {
                let dz = gp[j] * act.derivative(scale * (xp[j] - mean) + beta);
                (dz, dz * (xp[j] - mean))
            });
            (sum_dz as f32, (sum_dz_x * istd as f64) as f32)
        })
        .collect();
    let mut out = vec![0.0f32; 2 * planes];
    for (i, (a, b)) in sums.into_iter().enumerate() {
        out[i] = a;
        out[planes + i] = b;
    }
    out
}

/// Pass 2 of the backward: `dx = istd * (gamma dz - mean_g(gamma dz) - x_hat *
/// mean_g(gamma dz x_hat))`, from pass 1's `[2, n, c]` sums.
#[allow(clippy::too_many_arguments)]
pub fn group_norm_act_input_grad(
    s: GroupShape,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    sums: &[f32],
    eps: f64,
    act: impl Activation,
) -> Vec<f32> {
    assert_eq!(x.len(), s.len(), "group norm backward: x length");
    assert_eq!(
        dy.len(),
        s.len(),
        "group norm backward: output gradient length"
    );
    let (count, planes) = (s.batch * s.groups, s.batch * s.channels);
    assert_eq!(sums.len(), 2 * planes, "group norm backward: sums length");
    let inv_std = inverse_std(stats, count, eps);
    let per_group = s.channels / s.groups;
    let m = s.group_len().max(1) as f64;
    // Per (sample, group): mean of gamma dz and of gamma dz x_hat.
    let means: Vec<(f64, f64)> = (0..count)
        .map(|g| {
            let (b, group) = (g / s.groups, g % s.groups);
            let (mut a, mut c) = (0.0f64, 0.0f64);
            let channels = gamma.iter().enumerate().skip(group * per_group);
            for (ch, &weight) in channels.take(per_group) {
                let plane = b * s.channels + ch;
                a += weight as f64 * sums[plane] as f64;
                c += weight as f64 * sums[planes + plane] as f64;
            }
            (a / m, c / m)
        })
        .collect();
    if x.is_empty() {
        return Vec::new();
    }
    // SAFETY: the planes tile the output and every element of each is written.
    unsafe {
        written_by(x.len(), |dx| {
            dx.par_chunks_mut(s.plane)
                .zip(x.par_chunks(s.plane).zip(dy.par_chunks(s.plane)))
                .enumerate()
                .with_min_len(s.planes_per_task())
                .for_each(|(i, (dxp, (xp, gp)))| {
                    let (ch, g) = (i % s.channels, s.group_of_plane(i));
                    let (mean, istd) = (stats[g], inv_std[g] as f64);
                    let (scale, beta) = (gamma[ch] * istd as f32, beta[ch]);
                    let (mean_dxhat, mean_dxhat_xhat) = means[g];
                    let k_dz = (istd * gamma[ch] as f64) as f32;
                    let k_x = (-istd * istd * mean_dxhat_xhat) as f32;
                    let k_0 = (-istd * mean_dxhat) as f32;
                    for ((d, &x), &g) in dxp.iter_mut().zip(xp).zip(gp) {
                        let centred = x - mean;
                        let dz = g * act.derivative(scale * centred + beta);
                        d.write(k_dz * dz + k_x * centred + k_0);
                    }
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::NormActivation;

    /// f64 group norm + activation and its gradients, written from the definition.
    #[allow(clippy::type_complexity)]
    fn reference(
        s: GroupShape,
        x: &[f32],
        dy: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f64,
        act: NormActivation,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let len = s.group_len();
        let (mut y, mut dx) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        let (mut dg, mut db) = (vec![0.0; s.channels], vec![0.0; s.channels]);
        for g in 0..s.batch * s.groups {
            let idx: Vec<usize> = (g * len..(g + 1) * len).collect();
            let mean = idx.iter().map(|&j| x[j] as f64).sum::<f64>() / len as f64;
            let var = idx
                .iter()
                .map(|&j| (x[j] as f64 - mean).powi(2))
                .sum::<f64>()
                / len as f64;
            let inv = 1.0 / (var + eps).sqrt();
            let channel = |j: usize| (j / s.plane) % s.channels;
            let mut dxhat = Vec::new();
            for &j in &idx {
                let ch = channel(j);
                let xh = (x[j] as f64 - mean) * inv;
                let z = gamma[ch] as f64 * xh + beta[ch] as f64;
                y[j] = act.apply(z as f32) as f64;
                let dz = dy[j] as f64 * act.derivative(z as f32) as f64;
                db[ch] += dz;
                dg[ch] += dz * xh;
                dxhat.push((j, dz * gamma[ch] as f64, xh));
            }
            let m1 = dxhat.iter().map(|v| v.1).sum::<f64>() / len as f64;
            let m2 = dxhat.iter().map(|v| v.1 * v.2).sum::<f64>() / len as f64;
            for (j, d, xh) in dxhat {
                dx[j] = inv * (d - m1 - xh * m2);
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
        let mut seed = 11u64;
        let mut rand = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        };
        for (dims, groups, act) in [
            ([2, 6, 5], 3, NormActivation::Silu),
            ([1, 4, 9], 4, NormActivation::Identity),
            ([3, 8, 4], 2, NormActivation::Relu),
            ([2, 5, 1], 1, NormActivation::Silu),
        ] {
            let s = GroupShape::from_dims(&dims, groups);
            let x: Vec<f32> = (0..s.len()).map(|_| 50.0 + 2.0 * rand()).collect();
            let dy: Vec<f32> = (0..s.len()).map(|_| rand()).collect();
            let gamma: Vec<f32> = (0..s.channels).map(|_| 1.0 + rand()).collect();
            let beta: Vec<f32> = (0..s.channels).map(|_| rand() * 0.5).collect();
            let eps = 1e-5;
            let (y_ref, dx_ref, dg_ref, db_ref) = reference(s, &x, &dy, &gamma, &beta, eps, act);
            let stats = group_stats(s, &x);
            let y = group_norm_act_forward(s, &x, &gamma, &beta, &stats, eps, act);
            close(&y, &y_ref, 1e-4, "y");
            let sums = group_norm_act_plane_sums(s, &x, &dy, &gamma, &beta, &stats, eps, act);
            let planes = s.batch * s.channels;
            let per_channel = |row: usize| -> Vec<f32> {
                (0..s.channels)
                    .map(|ch| {
                        (0..s.batch)
                            .map(|b| sums[row * planes + b * s.channels + ch])
                            .sum()
                    })
                    .collect()
            };
            close(&per_channel(0), &db_ref, 1e-4, "d beta");
            close(&per_channel(1), &dg_ref, 1e-4, "d gamma");
            let dx = group_norm_act_input_grad(s, &x, &dy, &gamma, &beta, &stats, &sums, eps, act);
            close(&dx, &dx_ref, 1e-3, "dx");
        }
    }
}
