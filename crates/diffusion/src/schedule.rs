//! Noise schedules and the closed-form forward process. A schedule is the list of
//! variances beta_1..beta_T added at each step; what training and sampling need is
//! alpha_bar_t = prod_{s<=t} (1 - beta_s), because q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0,
//! (1 - alpha_bar_t) I) lets any step be reached in one jump.
//!
//! Steps are numbered 1..=T as in the DDPM paper; the model sees `t - 1` (0..T).

use burn::prelude::*;
use nn_core::error::ConfigError;

/// Which betas: Ho et al.'s linear ramp, Nichol & Dhariwal's cosine, or a user list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    Linear,
    Cosine,
    Custom,
}

/// The betas of a schedule and the products derived from them (f64: alpha_bar at t = 1000
/// is ~4e-5 and the sampler divides by its square root).
#[derive(Debug, Clone)]
pub struct NoiseSchedule {
    pub kind: ScheduleKind,
    betas: Vec<f64>,
    alpha_bars: Vec<f64>,
}

impl NoiseSchedule {
    /// `steps` betas evenly spaced from `start` to `end` (DDPM: 1e-4 to 0.02, T = 1000).
    pub fn linear(steps: usize, start: f64, end: f64) -> Self {
        let betas = (0..steps)
            .map(|i| start + (end - start) * i as f64 / (steps.max(2) - 1) as f64)
            .collect();
        Self::from_betas(ScheduleKind::Linear, betas)
    }

    /// alpha_bar_t = f(t) / f(0) with f(t) = cos^2(((t / T + s) / (1 + s)) pi / 2), betas
    /// clipped at 0.999 so the last steps stay finite (Nichol & Dhariwal 2021, s = 0.008).
    pub fn cosine(steps: usize) -> Self {
        let s = 0.008;
        let f = |t: f64| {
            (((t / steps as f64 + s) / (1.0 + s)) * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        let betas = (1..=steps)
            .map(|t| (1.0 - f(t as f64) / f(t as f64 - 1.0)).min(0.999))
            .collect();
        Self::from_betas(ScheduleKind::Cosine, betas)
    }

    /// A user's list of betas, each in (0, 1).
    pub fn custom(betas: Vec<f64>) -> Result<Self, ConfigError> {
        if betas.is_empty() || betas.iter().any(|b| !(*b > 0.0 && *b < 1.0)) {
            return Err(ConfigError::Key {
                key: "betas".into(),
                message: "must be a non-empty list of numbers strictly between 0 and 1".into(),
            });
        }
        Ok(Self::from_betas(ScheduleKind::Custom, betas))
    }

    fn from_betas(kind: ScheduleKind, betas: Vec<f64>) -> Self {
        let alpha_bars = betas
            .iter()
            .scan(1.0, |product, beta| {
                *product *= 1.0 - beta;
                Some(*product)
            })
            .collect();
        Self {
            kind,
            betas,
            alpha_bars,
        }
    }

    /// T, the number of steps.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    /// beta_t, for t in 1..=T.
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t - 1]
    }

    /// alpha_bar_t for t in 1..=T; alpha_bar_0 = 1 (the clean image).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 { 1.0 } else { self.alpha_bars[t - 1] }
    }

    /// Signal-to-noise ratio alpha_bar / (1 - alpha_bar) at t.
    pub fn snr(&self, t: usize) -> f64 {
        let a = self.alpha_bar(t);
        a / (1.0 - a)
    }

    /// x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, one t (1..=T) per image.
    pub fn q_sample(&self, x0: Tensor<4>, noise: Tensor<4>, t: &[usize]) -> Tensor<4> {
        let device = x0.device();
        let signal = self.per_image(t, |t| self.alpha_bar(t).sqrt(), &device);
        let sigma = self.per_image(t, |t| (1.0 - self.alpha_bar(t)).sqrt(), &device);
        x0 * signal + noise * sigma
    }

    /// A `[n, 1, 1, 1]` tensor of `f(t_i)`, to scale a batch image by image.
    pub fn per_image(&self, t: &[usize], f: impl Fn(usize) -> f64, device: &Device) -> Tensor<4> {
        let values: Vec<f32> = t.iter().map(|&t| f(t) as f32).collect();
        Tensor::<1>::from_floats(values.as_slice(), device).reshape([t.len(), 1, 1, 1])
    }
}
