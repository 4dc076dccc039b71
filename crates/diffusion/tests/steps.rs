//! One reverse step at t > 1, against numbers this test computes itself from the
//! definitions (DDPM, Ho et al. 2020, eqs. 6-7; DDIM with eta = 0, Song et al. 2021,
//! eq. 12), with a noise prediction that is deliberately not the true noise, so that the
//! x_0 estimate is not exact and every coefficient shows in the result. The same numbers
//! with the schedule's index shifted by one step (alpha_bar_{t-1} for alpha_bar_t, ...)
//! must be far outside the tolerance: an off-by-one in the sampler cannot pass.

use burn::prelude::*;
use diffusion::sampling::{NoisePredictor, Sampler, denoise};
use diffusion::schedule::NoiseSchedule;
use std::cell::RefCell;

const T: usize = 50;
const BETA_START: f64 = 1e-3;
const BETA_END: f64 = 0.2;
/// Agreement of the sampler (f32 tensors) with the f64 reference.
const TOLERANCE: f64 = 2e-5;
/// What an index shifted by one step must move the result by, at least.
const SHIFT_GAP: f64 = 1e-3;

/// The schedule from its definition: betas evenly spaced, alpha_bar_t = prod (1 - beta_s),
/// alpha_bar_0 = 1.
struct Reference {
    betas: Vec<f64>,
}

impl Reference {
    fn new() -> Self {
        let betas = (0..T)
            .map(|i| BETA_START + (BETA_END - BETA_START) * i as f64 / (T - 1) as f64)
            .collect();
        Self { betas }
    }

    fn beta(&self, t: usize) -> f64 {
        self.betas[t - 1]
    }

    fn alpha_bar(&self, t: usize) -> f64 {
        self.betas[..t].iter().map(|b| 1.0 - b).product()
    }

    /// The x_0 implied by x_t and the predicted noise (no clipping is reached here).
    fn x0(&self, x: f64, eps: f64, t: usize) -> f64 {
        let a = self.alpha_bar(t);
        (x - (1.0 - a).sqrt() * eps) / a.sqrt()
    }

    /// DDPM: the posterior q(x_{t-1} | x_t, x_0) at the predicted x_0, plus sigma z with
    /// sigma^2 = beta~_t. `shift` reads every schedule value one step early.
    fn ddpm(&self, x: f64, eps: f64, z: f64, t: usize, shift: usize) -> f64 {
        let t = t - shift;
        let (a, a_prev, beta) = (self.alpha_bar(t), self.alpha_bar(t - 1), self.beta(t));
        let x0 = self.x0(x, eps, t);
        let mean = a_prev.sqrt() * beta / (1.0 - a) * x0
            + (1.0 - beta).sqrt() * (1.0 - a_prev) / (1.0 - a) * x;
        let variance = beta * (1.0 - a_prev) / (1.0 - a);
        mean + variance.sqrt() * z
    }

    /// DDIM (eta = 0) from t to s: x_s = sqrt(ab_s) x0 + sqrt(1 - ab_s) eps.
    fn ddim(&self, x: f64, eps: f64, t: usize, s: usize, shift: usize) -> f64 {
        let (t, s) = (t - shift, s - shift);
        let x0 = self.x0(x, eps, t);
        let a_s = self.alpha_bar(s);
        a_s.sqrt() * x0 + (1.0 - a_s).sqrt() * eps
    }
}

/// Answers every call with the same noise estimate, and records the (0-based) steps it
/// was asked about.
struct FixedPrediction {
    eps: Tensor<4>,
    asked: RefCell<Vec<usize>>,
}

impl NoisePredictor for FixedPrediction {
    fn predict(&self, _x: Tensor<4>, steps: &[usize], _labels: Option<&[usize]>) -> Tensor<4> {
        self.asked.borrow_mut().extend_from_slice(steps);
        self.eps.clone()
    }
}

fn tensor(values: &[f64], device: &Device) -> Tensor<4> {
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::<1>::from_floats(values.as_slice(), device).reshape([1, 1, 2, 3])
}

fn values(x: &Tensor<4>) -> Vec<f64> {
    let v = x.clone().into_data().convert::<f32>().try_into_vec::<f32>();
    v.unwrap().into_iter().map(f64::from).collect()
}

/// x_t made from a known x_0 and noise at step `t`, and a noise estimate that is off by
/// up to 0.3 (so the estimated x_0 differs from the true one).
fn inputs(reference: &Reference, t: usize) -> (Vec<f64>, Vec<f64>) {
    let x0 = [0.30, -0.20, 0.10, 0.45, -0.35, 0.0];
    let noise = [0.8, -1.1, 0.3, -0.5, 1.4, -0.2];
    let miss = [0.3, 0.1, -0.2, 0.05, -0.3, 0.25];
    let a = reference.alpha_bar(t);
    let x = (0..6)
        .map(|i| a.sqrt() * x0[i] + (1.0 - a).sqrt() * noise[i])
        .collect();
    let eps = (0..6).map(|i| noise[i] + miss[i]).collect();
    (x, eps)
}

/// The first state `denoise` reaches from x at `from`, and the step it is at.
fn first_step(
    sampler: Sampler,
    from: usize,
    x: &[f64],
    eps: &[f64],
    device: &Device,
) -> (usize, Vec<f64>, Vec<usize>) {
    let model = FixedPrediction {
        eps: tensor(eps, device),
        asked: RefCell::new(Vec::new()),
    };
    let schedule = NoiseSchedule::linear(T, BETA_START, BETA_END);
    let mut first = None;
    denoise(
        &model,
        &schedule,
        tensor(x, device),
        from,
        sampler,
        None,
        None,
        &mut |t, x| {
            if first.is_none() {
                first = Some((t, values(x)));
            }
        },
    );
    let (at, out) = first.expect("denoise takes at least one step");
    let asked = model.asked.borrow().clone();
    (at, out, asked)
}

fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn one_ddpm_step_at_t_10_matches_the_posterior_and_not_a_shifted_one() {
    let _rng = super::serial();
    let device = Device::flex();
    let reference = Reference::new();
    let t = 10;
    let (x, eps) = inputs(&reference, t);

    nn_core::backend::seed_device(&device, 3, "ddpm step");
    let (at, got, asked) = first_step(Sampler::Ddpm, t, &x, &eps, &device);
    // The step's noise z: the first normal draw after the same seeding, of x's shape.
    nn_core::backend::seed_device(&device, 3, "ddpm step");
    let z = values(&Tensor::<4>::random(
        [1, 1, 2, 3],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    ));

    assert_eq!(at, t - 1, "a DDPM step goes from t to t - 1");
    assert_eq!(
        asked[0],
        t - 1,
        "the network is asked about step t (0-based)"
    );
    let expected: Vec<f64> = (0..6)
        .map(|i| reference.ddpm(x[i], eps[i], z[i], t, 0))
        .collect();
    let shifted: Vec<f64> = (0..6)
        .map(|i| reference.ddpm(x[i], eps[i], z[i], t, 1))
        .collect();
    assert!(
        max_gap(&got, &expected) < TOLERANCE,
        "DDPM step: {got:?} vs {expected:?}"
    );
    assert!(
        max_gap(&got, &shifted) > SHIFT_GAP,
        "an index shifted by one would pass: {got:?} vs {shifted:?}"
    );
}

#[test]
fn one_ddim_step_from_10_to_8_matches_the_definition_and_not_a_shifted_one() {
    let _rng = super::serial();
    let device = Device::flex();
    let reference = Reference::new();
    let t = 10;
    let (x, eps) = inputs(&reference, t);

    // Five DDIM steps from 10 visit 10, 8, 6, 4, 2: the first goes from 10 to 8.
    let (at, got, asked) = first_step(Sampler::Ddim(5), t, &x, &eps, &device);
    assert_eq!(at, 8);
    assert_eq!(asked[0], t - 1);
    let expected: Vec<f64> = (0..6)
        .map(|i| reference.ddim(x[i], eps[i], t, 8, 0))
        .collect();
    let shifted: Vec<f64> = (0..6)
        .map(|i| reference.ddim(x[i], eps[i], t, 8, 1))
        .collect();
    assert!(
        max_gap(&got, &expected) < TOLERANCE,
        "DDIM step: {got:?} vs {expected:?}"
    );
    assert!(
        max_gap(&got, &shifted) > SHIFT_GAP,
        "an index shifted by one would pass: {got:?} vs {shifted:?}"
    );
}
