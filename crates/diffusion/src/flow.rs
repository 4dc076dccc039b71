//! Flow matching with the rectified (straight) path (Lipman et al. 2023, "Flow Matching for
//! Generative Modeling"; Liu et al. 2023, "Flow Straight and Fast"): an image x_0 and noise
//! eps are joined by the straight line x_t = (1 - t) x_0 + t eps, t in [0, 1], and the
//! U-Net learns the velocity along it, v = eps - x_0, by mean squared error. Sampling
//! integrates dx/dt = v from pure noise at t = 1 back to t = 0 with Euler or Heun steps.
//!
//! Time runs on the grid t = k / T, k = 1..=T (T = the config's `steps`): the U-Net's time
//! embedding takes the 0-based index k - 1, exactly as for DDPM, so both objectives train
//! the same network; with T = 1000 the grid is far finer than any sampler's steps.

use crate::sampling::{Clipping, Guidance, NoisePredictor, predict_noise};
use burn::prelude::*;
use burn::tensor::Distribution;

/// x_t on the straight path at grid steps `k` (1..=T, one per image): `(1 - t) x0 + t eps`
/// with t = k / T, `[b, c, h, w]`.
pub fn interpolate(x0: Tensor<4>, noise: Tensor<4>, k: &[usize], steps: usize) -> Tensor<4> {
    let [n, c, h, w] = x0.dims();
    let t: Vec<f32> = k.iter().map(|&k| k as f32 / steps as f32).collect();
    let t = Tensor::<1>::from_floats(t.as_slice(), &x0.device())
        .reshape([n, 1, 1, 1])
        .expand([n, c, h, w]);
    x0 * (t.clone().neg() + 1.0) + noise * t
}

/// Per-image mean squared error between the predicted and the true velocity `eps - x0`, `[n]`.
pub fn velocity_mse(
    model: &impl NoisePredictor,
    x0: Tensor<4>,
    noise: Tensor<4>,
    k: &[usize],
    steps: usize,
    labels: Option<&[usize]>,
) -> Tensor<1> {
    let n = k.len();
    let xt = interpolate(x0.clone(), noise.clone(), k, steps);
    let indices: Vec<usize> = k.iter().map(|k| k - 1).collect();
    let error = model.predict(xt, &indices, labels) - (noise - x0);
    error
        .powi_scalar(2)
        .reshape([n as i64, -1])
        .mean_dim(1)
        .reshape([n])
}

/// How the flow is integrated from t = 1 to t = 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowSampler {
    /// This many Euler steps: one network evaluation each.
    Euler(usize),
    /// This many Heun steps (Euler, then the trapezoid of the two ends' velocities; the
    /// last step to t = 0 is plain Euler, as in Karras et al. 2022): 2n - 1 evaluations.
    Heun(usize),
}

impl FlowSampler {
    /// The sampler that spends at most `budget` network evaluations (at least one step).
    pub fn within(kind: &str, budget: usize) -> Option<FlowSampler> {
        match kind {
            "euler" => Some(FlowSampler::Euler(budget.max(1))),
            "heun" => Some(FlowSampler::Heun(budget.div_ceil(2).max(1))),
            _ => None,
        }
    }

    /// Network evaluations per image (each guided one runs the batch twice in one call).
    pub fn evaluations(&self) -> usize {
        match *self {
            FlowSampler::Euler(n) => n,
            FlowSampler::Heun(n) => 2 * n - 1,
        }
    }

    /// "Euler (8 steps)".
    pub fn describe(&self) -> String {
        match self {
            FlowSampler::Euler(n) => format!("Euler ({n} steps)"),
            FlowSampler::Heun(n) => format!("Heun ({n} steps, {} evaluations)", 2 * n - 1),
        }
    }

    fn steps(&self) -> usize {
        match *self {
            FlowSampler::Euler(n) | FlowSampler::Heun(n) => n,
        }
    }
}

/// The grid steps a sampler of `count` steps visits from T down to 0: `[T, .., 0]`,
/// evenly spaced, `count + 1` entries (fewer if T is smaller).
pub fn flow_grid(steps: usize, count: usize) -> Vec<usize> {
    let count = count.clamp(1, steps.max(1));
    let mut grid: Vec<usize> = (0..=count)
        .rev()
        .map(|i| (steps as f64 * i as f64 / count as f64).round() as usize)
        .collect();
    grid.dedup();
    grid
}

/// The (guided) velocity at grid step `k`, with the implied x_0 = x - t v clipped as
/// `clipping` says and the velocity re-derived from it (as DDIM re-derives its noise).
fn velocity(
    model: &impl NoisePredictor,
    x: Tensor<4>,
    (k, steps): (usize, usize),
    labels: Option<&[usize]>,
    guidance: Option<Guidance>,
) -> Tensor<4> {
    let v = predict_noise(model, x.clone(), k, labels, guidance);
    let clipping = guidance.map_or(Clipping::Off, |g| g.clipping);
    if clipping == Clipping::Off {
        return v;
    }
    let t = k as f64 / steps as f64;
    let x0 = clipping.apply(x.clone() - v * t);
    (x - x0) / t
}

/// Integrates from `x` (noise, at t = 1) to an image (t = 0), `[b, c, h, w]`.
pub fn integrate(
    model: &impl NoisePredictor,
    mut x: Tensor<4>,
    steps: usize,
    sampler: FlowSampler,
    labels: Option<&[usize]>,
    guidance: Option<Guidance>,
) -> Tensor<4> {
    let grid = flow_grid(steps, sampler.steps());
    for pair in grid.windows(2) {
        let (k, next) = (pair[0], pair[1]);
        let dt = (next as f64 - k as f64) / steps as f64;
        let v = velocity(model, x.clone(), (k, steps), labels, guidance);
        let heun = matches!(sampler, FlowSampler::Heun(_)) && next > 0;
        x = if heun {
            let predicted = x.clone() + v.clone() * dt;
            let v_next = velocity(model, predicted, (next, steps), labels, guidance);
            x + (v + v_next) * (dt / 2.0)
        } else {
            x + v * dt
        };
    }
    x
}

/// New images from pure noise, one per label, in batches of at most `batch`: `[n, c, h, w]`
/// (not clamped: the caller's picture and judge see [-1, 1] after their own clamp).
#[allow(clippy::too_many_arguments)]
pub fn flow_generate(
    model: &impl NoisePredictor,
    steps: usize,
    shape: [usize; 3],
    labels: &[usize],
    sampler: FlowSampler,
    guidance: Option<Guidance>,
    batch: usize,
    device: &Device,
) -> Tensor<4> {
    let [c, h, w] = shape;
    let mut parts = Vec::new();
    for chunk in labels.chunks(batch.max(1)) {
        let noise = Tensor::<4>::random(
            [chunk.len(), c, h, w],
            Distribution::Normal(0.0, 1.0),
            device,
        );
        parts.push(integrate(model, noise, steps, sampler, Some(chunk), guidance).clamp(-1.0, 1.0));
    }
    Tensor::cat(parts, 0)
}
