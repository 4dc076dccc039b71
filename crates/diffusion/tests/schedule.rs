//! Schedules against their closed forms, and the forward process's statistics.

use burn::prelude::*;
use burn::tensor::Distribution;
use diffusion::schedule::NoiseSchedule;

#[test]
fn linear_alpha_bar_is_the_product_of_one_minus_beta() {
    let s = NoiseSchedule::linear(1000, 1e-4, 0.02);
    assert_eq!(s.steps(), 1000);
    assert!((s.beta(1) - 1e-4).abs() < 1e-15 && (s.beta(1000) - 0.02).abs() < 1e-15);
    // beta_t = 1e-4 + (t - 1) * (0.02 - 1e-4) / 999, so log alpha_bar_t = sum ln(1 - beta).
    for t in [1, 2, 10, 100, 500, 1000] {
        let expected: f64 = (1..=t)
            .map(|s| 1.0 - (1e-4 + (s - 1) as f64 * (0.02 - 1e-4) / 999.0))
            .product();
        assert!(
            (s.alpha_bar(t) - expected).abs() < 1e-12 * expected.max(1e-300),
            "t={t}"
        );
    }
    assert_eq!(s.alpha_bar(0), 1.0);
    // DDPM's well-known end point: almost no signal left at T.
    assert!(
        s.alpha_bar(1000) < 5e-5 && s.alpha_bar(1000) > 3e-5,
        "{}",
        s.alpha_bar(1000)
    );
}

#[test]
fn cosine_alpha_bar_follows_the_squared_cosine() {
    let steps = 1000;
    let s = NoiseSchedule::cosine(steps);
    let f = |t: f64| {
        (((t / steps as f64 + 0.008) / 1.008) * std::f64::consts::FRAC_PI_2)
            .cos()
            .powi(2)
    };
    // Exact while no beta is clipped at 0.999 (only the very last steps are).
    for t in [1, 10, 100, 500, 900, 990] {
        let expected = f(t as f64) / f(0.0);
        assert!(
            (s.alpha_bar(t) - expected).abs() < 1e-9,
            "t={t}: {} vs {expected}",
            s.alpha_bar(t)
        );
    }
    assert!((0..steps).all(|t| s.beta(t + 1) <= 0.999));
    // The cosine schedule keeps more signal in the middle than the linear one.
    let linear = NoiseSchedule::linear(steps, 1e-4, 0.02);
    assert!(s.alpha_bar(500) > 2.0 * linear.alpha_bar(500));
}

#[test]
fn custom_betas_are_checked_and_used() {
    let s = NoiseSchedule::custom(vec![0.1, 0.2, 0.5]).unwrap();
    assert!((s.alpha_bar(3) - 0.9 * 0.8 * 0.5).abs() < 1e-15);
    for bad in [vec![], vec![0.1, 1.0], vec![0.0], vec![f64::NAN]] {
        let err = NoiseSchedule::custom(bad.clone()).unwrap_err().to_string();
        assert!(err.contains("betas"), "{bad:?}: {err}");
    }
}

/// q(x_t | x_0) = N(sqrt(ab) x_0, (1 - ab) I): over 200,000 draws per t the sample mean
/// and variance land within 5 standard errors of those values.
#[test]
fn forward_samples_have_the_predicted_mean_and_variance() {
    let _serial = crate::serial();
    let device = Device::flex();
    nn_core::backend::seed_device(&device, 7, "q test");
    let s = NoiseSchedule::linear(1000, 1e-4, 0.02);
    let n = 200_000;
    for (t, x0) in [(1usize, 0.8f32), (100, -0.5), (500, 0.3), (1000, 1.0)] {
        let clean = Tensor::<4>::full([n, 1, 1, 1], x0, &device);
        let noise = Tensor::<4>::random([n, 1, 1, 1], Distribution::Normal(0.0, 1.0), &device);
        let xt: Vec<f32> = s
            .q_sample(clean, noise, &vec![t; n])
            .into_data()
            .try_into_vec()
            .unwrap();
        let mean = xt.iter().map(|v| *v as f64).sum::<f64>() / n as f64;
        let var = xt.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let (want_mean, want_var) = (s.alpha_bar(t).sqrt() * x0 as f64, 1.0 - s.alpha_bar(t));
        let se_mean = (want_var / n as f64).sqrt();
        let se_var = want_var * (2.0 / (n - 1) as f64).sqrt();
        assert!(
            (mean - want_mean).abs() < 5.0 * se_mean + 1e-6,
            "t={t}: mean {mean} vs {want_mean}"
        );
        assert!(
            (var - want_var).abs() < 5.0 * se_var + 1e-9,
            "t={t}: variance {var} vs {want_var}"
        );
    }
}

#[test]
fn ddim_visits_evenly_spaced_steps_down_from_the_start() {
    use diffusion::sampling::ddim_steps;
    assert_eq!(
        ddim_steps(1000, 10),
        vec![1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]
    );
    assert_eq!(ddim_steps(1000, 4), vec![1000, 750, 500, 250]);
    assert_eq!(ddim_steps(5, 50), vec![5, 4, 3, 2, 1]);
    assert_eq!(ddim_steps(1, 3), vec![1]);
}
