//! The perceptron convergence setting, XOR failure, and the MLP that solves XOR.

use mlp::experiments::perceptron::{fit_mlp, mlp_sign};
use mlp::perceptron::{self, TRUE_B, TRUE_W};

#[test]
fn separable_data_converges_within_novikoffs_bound() {
    for seed in 0..5 {
        let points = perceptron::separable(300, 0.05, seed);
        let run = perceptron::train(&points, 1.0, 10_000);
        assert!(run.converged, "seed {seed}");
        assert_eq!(run.perceptron.accuracy(&points), 1.0);
        let bound = perceptron::novikoff_bound(&points, TRUE_W, TRUE_B);
        assert!(
            (run.updates as f64) <= bound,
            "{} updates > bound {bound}",
            run.updates
        );
    }
}

#[test]
fn xor_never_reaches_full_accuracy_but_an_mlp_does() {
    let points = perceptron::xor(200, 0.2, 1);
    let run = perceptron::train(&points, 1.0, 500);
    assert!(!run.converged);
    let best = run.accuracy.iter().copied().fold(0.0, f64::max);
    assert!(best < 1.0, "a line cannot separate XOR (best {best})");
    assert!(
        best <= 0.80,
        "no line does much better than 3 of 4 clusters (best {best})"
    );
    let mlp = fit_mlp(&points, 8, 1500, 0.1, 1);
    let accuracy =
        points.iter().filter(|p| mlp_sign(&mlp, p.x) == p.y).count() as f64 / points.len() as f64;
    assert!(accuracy > 0.98, "2-layer MLP on XOR: {accuracy}");
}
