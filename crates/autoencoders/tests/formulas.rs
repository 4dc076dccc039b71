//! The formulas the losses rest on, against values worked out by hand or by statistics.

use autoencoders::noise::Noise;
use autoencoders::pca::Pca;
use autoencoders::sparsity::kl_sparsity;
use autoencoders::vae::{bernoulli_nll, kl_divergence, reparameterize};
use burn::prelude::*;

fn device() -> Device {
    nn_core::backend::device(nn_core::BackendKind::Flex).unwrap()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

#[test]
fn kl_matches_its_closed_form() {
    let device = device();
    // Row 1: mu = 0, sigma^2 = 1 in both dims: KL = 0.
    // Row 2: (mu, sigma^2) = (1, 1) and (0, 4): 1/2 (1 + 0 - 0) + 1/2 (4 - 1 - ln 4) = 2 - ln 2.
    let mu = Tensor::<2>::from_data([[0.0, 0.0], [1.0, 0.0]], &device);
    let log_var = Tensor::<2>::from_data([[0.0, 0.0], [0.0, 4f32.ln()]], &device);
    let kl = values(kl_divergence(mu, log_var));
    assert!(kl[0].abs() < 1e-6, "{kl:?}");
    assert!((kl[1] - (2.0 - 2f32.ln())).abs() < 1e-5, "{kl:?}");
}

#[test]
fn reparameterised_samples_have_the_right_mean_and_variance() {
    let device = device();
    nn_core::backend::seed_device(&device, 1, "reparameterisation test");
    let n = 200_000;
    let mu = Tensor::<2>::full([n, 1], 1.5, &device);
    let log_var = Tensor::<2>::full([n, 1], 0.25f32.ln(), &device);
    let z = values(reparameterize(mu, log_var));
    let mean = z.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = z.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Standard errors: 0.5 / sqrt(n) = 0.0011 for the mean, about 0.0008 for the variance;
    // the tolerance is over 4 of them.
    assert!((mean - 1.5).abs() < 0.005, "mean {mean}");
    assert!((var - 0.25).abs() < 0.004, "variance {var}");
}

#[test]
fn bernoulli_nll_is_binary_cross_entropy_summed_over_pixels() {
    let device = device();
    let logits = Tensor::<4>::from_data([[[[2.0, -1.0], [0.0, 30.0]]]], &device);
    let target = Tensor::<4>::from_data([[[[1.0, 0.0], [0.5, 1.0]]]], &device);
    let expected: f64 = [(2.0, 1.0), (-1.0, 0.0), (0.0, 0.5), (30.0, 1.0)]
        .iter()
        .map(|&(l, x): &(f64, f64)| {
            let p = 1.0 / (1.0 + (-l).exp());
            -(x * p.ln() + (1.0 - x) * (1.0 - p).max(1e-300).ln())
        })
        .sum();
    let nll = values(bernoulli_nll(logits, target))[0] as f64;
    assert!((nll - expected).abs() < 1e-4, "{nll} vs {expected}");
}

#[test]
fn kl_sparsity_is_zero_at_the_target_and_known_elsewhere() {
    let device = device();
    let at_target = Tensor::<2>::full([4, 3], 0.05, &device);
    assert!(values(kl_sparsity(at_target, 0.05))[0].abs() < 1e-5);
    // One unit at mean 0.5 with target 0.1: 0.1 ln(0.1/0.5) + 0.9 ln(0.9/0.5) = 0.3681.
    let half = Tensor::<2>::from_data([[0.0], [1.0]], &device);
    let kl = values(kl_sparsity(half, 0.1))[0];
    assert!((kl - 0.368_064).abs() < 1e-4, "{kl}");
}

#[test]
fn pca_recovers_a_plane_exactly_and_keeps_the_largest_direction() {
    let device = device();
    // Points a u + b v (+ a mean) with u, v orthonormal in 4-D; a has variance 9, b 1.
    let (u, v) = ([0.5f32, 0.5, 0.5, 0.5], [0.5f32, -0.5, 0.5, -0.5]);
    let mut rows = Vec::new();
    for i in 0..200 {
        let a = 3.0 * ((i as f32 * 0.37).sin());
        let b = (i as f32 * 1.13).cos();
        rows.extend((0..4).map(|k| 0.2 + a * u[k] + b * v[k]));
    }
    let x = Tensor::<2>::from_data(TensorData::new(rows, [200, 4]), &device);
    let two = Pca::fit(x.clone(), 2, 50, 3);
    assert!(two.mse(x.clone()) < 1e-8, "{}", two.mse(x.clone()));
    // With one component, what is left is the b v part: mean of b^2 over 4 pixels.
    let one = Pca::fit(x.clone(), 1, 50, 3);
    let b2: f64 = (0..200)
        .map(|i| ((i as f64 * 1.13).cos()).powi(2))
        .sum::<f64>()
        / 200.0;
    let b_mean: f64 = (0..200).map(|i| (i as f64 * 1.13).cos()).sum::<f64>() / 200.0;
    let expected = (b2 - b_mean * b_mean) / 4.0;
    assert!((one.mse(x) - expected).abs() < 1e-4, "expected {expected}");
}

#[test]
fn noises_corrupt_as_configured() {
    let device = device();
    nn_core::backend::seed_device(&device, 5, "noise test");
    let grey = Tensor::<4>::full([10, 1, 28, 28], 0.5, &device);
    let salted = values(Noise::SaltAndPepper { amount: 0.2 }.apply(grey.clone()));
    let changed = salted.iter().filter(|&&v| v != 0.5).count() as f64 / salted.len() as f64;
    assert!((changed - 0.2).abs() < 0.01, "{changed}");
    assert!(salted.iter().all(|&v| v == 0.0 || v == 0.5 || v == 1.0));
    let noisy = values(Noise::Gaussian { std: 0.3 }.apply(grey));
    assert!(noisy.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let std =
        (noisy.iter().map(|&v| (v as f64 - 0.5).powi(2)).sum::<f64>() / noisy.len() as f64).sqrt();
    assert!(
        (0.27..0.31).contains(&std),
        "{std} (0.3 a little reduced by clamping)"
    );
}
