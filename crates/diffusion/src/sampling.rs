//! The reverse process: from noise (or from a partly noised image) back to an image, one
//! predicted-noise step at a time. DDPM walks every step t = T..1 and adds fresh noise at
//! each (ancestral sampling); DDIM (eta = 0) jumps along a shorter, deterministic path of
//! steps, trading quality for speed. Both clip their estimate of x_0 to the data range
//! [-1, 1], statically as the DDPM reference code does, or by Imagen's dynamic
//! thresholding; classifier-free guidance can be rescaled and limited to an interval of t.

use crate::schedule::NoiseSchedule;
use crate::unet::UNet;
use burn::prelude::*;
use burn::tensor::Distribution;

/// Anything that predicts the noise in `x` at 0-based steps (one per image), optionally per
/// label: the U-Net, or in tests an oracle that knows the answer.
pub trait NoisePredictor {
    fn predict(&self, x: Tensor<4>, steps: &[usize], labels: Option<&[usize]>) -> Tensor<4>;
}

impl NoisePredictor for UNet {
    fn predict(&self, x: Tensor<4>, steps: &[usize], labels: Option<&[usize]>) -> Tensor<4> {
        self.forward(x, steps, labels)
    }
}

/// How each step's estimate of x_0 is held to the data range [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clipping {
    /// Every value clamped to [-1, 1] (the DDPM reference code): at high guidance many
    /// values sit at the ends, which Imagen reports as saturation.
    Static,
    /// Imagen's dynamic thresholding (Saharia et al. 2022): per image, s = the `p`
    /// quantile of |x_0| (at least 1); x_0 is clamped to [-s, s] and divided by s, so an
    /// image that overshoots is scaled back as a whole instead of flattened at the ends.
    Dynamic(f64),
    /// No clipping.
    Off,
}

impl Clipping {
    /// Applies the clipping to `x0` (`[n, c, h, w]`).
    pub fn apply(self, x0: Tensor<4>) -> Tensor<4> {
        match self {
            Clipping::Static => x0.clamp(-1.0, 1.0),
            Clipping::Off => x0,
            Clipping::Dynamic(p) => {
                let [n, c, h, w] = x0.dims();
                let values: Vec<f32> = x0
                    .clone()
                    .abs()
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .unwrap_or_default();
                let per_image = (c * h * w).max(1);
                let scales: Vec<f32> = values
                    .chunks(per_image)
                    .map(|image| interpolated_quantile(image, p).max(1.0))
                    .collect();
                let s = Tensor::<1>::from_floats(scales.as_slice(), &x0.device())
                    .reshape([n, 1, 1, 1])
                    .expand([n, c, h, w]);
                x0.max_pair(s.clone().neg()).min_pair(s.clone()) / s
            }
        }
    }
}

/// The `q` quantile of `values` with linear interpolation between ranks (as
/// `torch.quantile`, which Imagen's code uses).
pub fn interpolated_quantile(values: &[f32], q: f64) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let t = (position - low as f64) as f32;
    sorted[low] + (sorted[high] - sorted[low]) * t
}

/// How to guide a class-conditional model, and how its x_0 estimates are clipped (the
/// clipping belongs here because guidance is what pushes them out of range; unguided
/// sampling clips statically).
#[derive(Debug, Clone, Copy)]
pub struct Guidance {
    /// s in eps = eps_null + s (eps_class - eps_null): 1 is plain conditioning, larger
    /// values push samples towards what makes them typical of their class (Ho & Salimans
    /// write it w = s - 1).
    pub scale: f64,
    /// The label that means "no class".
    pub null_class: usize,
    /// CFG rescale (Lin et al. 2023, as diffusers applies it to the noise): the guided
    /// estimate scaled to the conditional one's per-image spread, mixed in by this share
    /// (phi; 0: off).
    pub rescale: f64,
    /// Guide only at steps t in (low, high]; elsewhere plain conditioning (Kynkaanniemi et
    /// al. 2024: guidance helps in the middle of the process and harms at its ends).
    pub interval: (usize, usize),
    pub clipping: Clipping,
}

impl Guidance {
    /// Plain guidance at `scale` at every step, static clipping, no rescale.
    pub fn plain(scale: f64, null_class: usize) -> Self {
        Self {
            scale,
            null_class,
            rescale: 0.0,
            interval: (0, usize::MAX),
            clipping: Clipping::Static,
        }
    }

    /// Whether step t is guided (two passes) rather than plainly conditioned.
    pub fn guides_at(&self, t: usize) -> bool {
        (self.scale - 1.0).abs() > 1e-12 && self.interval.0 < t && t <= self.interval.1
    }
}

/// The model's noise estimate for `x` at step `t` (1..=T), guided when labels are given
/// and guidance applies at t (then the batch runs twice in one call: with and without
/// labels).
pub fn predict_noise(
    model: &impl NoisePredictor,
    x: Tensor<4>,
    t: usize,
    labels: Option<&[usize]>,
    guidance: Option<Guidance>,
) -> Tensor<4> {
    let n = x.dims()[0];
    let steps = vec![t - 1; n];
    match (labels, guidance) {
        (Some(labels), Some(g)) if g.guides_at(t) => {
            let both: Vec<usize> = labels
                .iter()
                .copied()
                .chain(std::iter::repeat_n(g.null_class, n))
                .collect();
            let eps = model.predict(
                Tensor::cat(vec![x.clone(), x], 0),
                &[steps.clone(), steps].concat(),
                Some(&both),
            );
            let conditional = eps.clone().narrow(0, 0, n);
            let unconditional = eps.narrow(0, n, n);
            let guided = unconditional.clone() + (conditional.clone() - unconditional) * g.scale;
            if g.rescale > 0.0 {
                rescaled(guided, conditional, g.rescale)
            } else {
                guided
            }
        }
        (labels, _) => model.predict(x, &steps, labels),
    }
}

/// CFG rescale: `guided` brought to `conditional`'s per-image standard deviation, mixed
/// in by `phi`: `phi * guided * std_c / std_g + (1 - phi) * guided`.
fn rescaled(guided: Tensor<4>, conditional: Tensor<4>, phi: f64) -> Tensor<4> {
    let [n, c, h, w] = guided.dims();
    let spread = |t: Tensor<4>| {
        t.reshape([n, c * h * w])
            .var(1)
            .sqrt()
            .reshape([n, 1, 1, 1])
    };
    let factor = spread(conditional) / spread(guided.clone()).clamp_min(1e-12);
    guided.clone() * factor.expand([n, c, h, w]) * phi + guided * (1.0 - phi)
}

/// x_0 implied by x_t and a noise estimate, clipped as `clipping` says.
fn predict_x0(
    schedule: &NoiseSchedule,
    x: Tensor<4>,
    eps: Tensor<4>,
    t: usize,
    clipping: Clipping,
) -> Tensor<4> {
    let a = schedule.alpha_bar(t);
    clipping.apply((x - eps * (1.0 - a).sqrt()) / a.sqrt())
}

/// The clipping `guidance` asks for, static without it.
fn clipping_of(guidance: Option<Guidance>) -> Clipping {
    guidance.map_or(Clipping::Static, |g| g.clipping)
}

/// The model's one-jump estimate of x_0 from x_t (the mean of x_0 given x_t, for a
/// perfect model), clipped to [-1, 1].
pub fn estimate_x0(
    model: &impl NoisePredictor,
    schedule: &NoiseSchedule,
    x: Tensor<4>,
    t: usize,
    labels: Option<&[usize]>,
    guidance: Option<Guidance>,
) -> Tensor<4> {
    let eps = predict_noise(model, x.clone(), t, labels, guidance);
    predict_x0(schedule, x, eps, t, clipping_of(guidance))
}

/// Which sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    /// Every step from t down to 1, with fresh noise at each.
    Ddpm,
    /// This many evenly spaced steps, deterministic (eta = 0).
    Ddim(usize),
}

impl Sampler {
    /// "DDPM (1000 steps)", "DDIM (50 steps)".
    pub fn describe(&self, steps: usize) -> String {
        match self {
            Sampler::Ddpm => format!("DDPM ({steps} steps)"),
            Sampler::Ddim(n) => format!("DDIM ({} steps)", n.min(&steps)),
        }
    }
}

/// The steps DDIM visits from `from` down: `from`, then evenly spaced below it, `count`
/// in all (fewer if `from` is smaller).
pub fn ddim_steps(from: usize, count: usize) -> Vec<usize> {
    let count = count.clamp(1, from.max(1));
    let mut steps: Vec<usize> = (1..=count)
        .rev()
        .map(|i| ((from as f64 * i as f64 / count as f64).round() as usize).max(1))
        .collect();
    steps.dedup();
    steps
}

/// One DDPM step from t to t - 1: the mean of the posterior q(x_{t-1} | x_t, x_0) at the
/// predicted x_0, plus noise of its variance beta~_t (none at t = 1).
fn ddpm_step(
    schedule: &NoiseSchedule,
    x: Tensor<4>,
    eps: Tensor<4>,
    t: usize,
    clipping: Clipping,
) -> Tensor<4> {
    let (a, a_prev, beta) = (
        schedule.alpha_bar(t),
        schedule.alpha_bar(t - 1),
        schedule.beta(t),
    );
    let x0 = predict_x0(schedule, x.clone(), eps, t, clipping);
    let mean = x0 * (a_prev.sqrt() * beta / (1.0 - a))
        + x.clone() * ((1.0 - beta).sqrt() * (1.0 - a_prev) / (1.0 - a));
    if t == 1 {
        return mean;
    }
    let variance = beta * (1.0 - a_prev) / (1.0 - a);
    let noise = Tensor::<4>::random(x.shape(), Distribution::Normal(0.0, 1.0), &x.device());
    mean + noise * variance.sqrt()
}

/// One DDIM step from t to s < t (s = 0 returns the x_0 estimate).
fn ddim_step(
    schedule: &NoiseSchedule,
    x: Tensor<4>,
    eps: Tensor<4>,
    (t, s): (usize, usize),
    clipping: Clipping,
) -> Tensor<4> {
    let a = schedule.alpha_bar(t);
    let x0 = predict_x0(schedule, x.clone(), eps, t, clipping);
    if s == 0 {
        return x0;
    }
    // The noise direction consistent with the clipped x_0.
    let eps = (x - x0.clone() * a.sqrt()) / (1.0 - a).sqrt();
    let a_s = schedule.alpha_bar(s);
    x0 * a_s.sqrt() + eps * (1.0 - a_s).sqrt()
}

/// Runs the reverse process from `x` at step `from` (T for pure noise) to an image.
/// `observe(t, x)` sees x after each step (t is the step it is now at), e.g. for a strip.
/// DDPM's noise comes from the device's RNG: seed the device first for repeatable samples.
#[allow(clippy::too_many_arguments)]
pub fn denoise(
    model: &impl NoisePredictor,
    schedule: &NoiseSchedule,
    mut x: Tensor<4>,
    from: usize,
    sampler: Sampler,
    labels: Option<&[usize]>,
    guidance: Option<Guidance>,
    observe: &mut dyn FnMut(usize, &Tensor<4>),
) -> Tensor<4> {
    match sampler {
        Sampler::Ddpm => {
            for t in (1..=from).rev() {
                let eps = predict_noise(model, x.clone(), t, labels, guidance);
                x = ddpm_step(schedule, x, eps, t, clipping_of(guidance));
                observe(t - 1, &x);
            }
        }
        Sampler::Ddim(count) => {
            let steps = ddim_steps(from, count);
            for (i, &t) in steps.iter().enumerate() {
                let s = steps.get(i + 1).copied().unwrap_or(0);
                let eps = predict_noise(model, x.clone(), t, labels, guidance);
                x = ddim_step(schedule, x, eps, (t, s), clipping_of(guidance));
                observe(s, &x);
            }
        }
    }
    x
}

/// New images from pure noise, one per label (or `count` unconditional ones when
/// `labels` is `None`), generated in batches of at most `batch`.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    model: &impl NoisePredictor,
    schedule: &NoiseSchedule,
    shape: [usize; 3],
    count: usize,
    labels: Option<&[usize]>,
    sampler: Sampler,
    guidance: Option<Guidance>,
    batch: usize,
    device: &Device,
) -> Tensor<4> {
    let [c, h, w] = shape;
    let mut parts = Vec::new();
    let mut start = 0;
    while start < count {
        let n = batch.max(1).min(count - start);
        let noise = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), device);
        let chunk = labels.map(|l| &l[start..start + n]);
        parts.push(denoise(
            model,
            schedule,
            noise,
            schedule.steps(),
            sampler,
            chunk,
            guidance,
            &mut |_, _| {},
        ));
        start += n;
    }
    Tensor::cat(parts, 0)
}
