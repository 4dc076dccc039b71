//! The Frechet distance against cases worked out by hand.

use gans::frechet::{Gaussian, frechet_distance, symmetric_eigen};

fn gaussian(mean: Vec<f64>, covariance: Vec<f64>) -> Gaussian {
    let dim = mean.len();
    Gaussian {
        mean,
        covariance,
        dim,
    }
}

#[test]
fn eigenvalues_of_a_known_matrix() {
    let (mut values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
    values.sort_by(f64::total_cmp);
    assert!((values[0] - 1.0).abs() < 1e-10 && (values[1] - 3.0).abs() < 1e-10);
    // Columns are unit vectors along (1, -1) and (1, 1).
    let norm0 = vectors[0] * vectors[0] + vectors[2] * vectors[2];
    assert!((norm0 - 1.0).abs() < 1e-10);
}

#[test]
fn frechet_distance_of_known_gaussians() {
    // Diagonal covariances commute: |dmu|^2 + sum (sigma_a - sigma_b)^2 = 1 + 1 + 1 = 3.
    let a = gaussian(vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 4.0]);
    let b = gaussian(vec![1.0, 0.0], vec![4.0, 0.0, 0.0, 1.0]);
    assert!((frechet_distance(&a, &b) - 3.0).abs() < 1e-9);
    assert!(frechet_distance(&a, &a).abs() < 1e-9);
    // Rotating both by 30 degrees changes nothing.
    let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    let rotate = |d: [f64; 2]| {
        // R diag(d) R^T
        vec![
            c * c * d[0] + s * s * d[1],
            c * s * (d[0] - d[1]),
            c * s * (d[0] - d[1]),
            s * s * d[0] + c * c * d[1],
        ]
    };
    let ra = gaussian(vec![0.0, 0.0], rotate([1.0, 4.0]));
    let rb = gaussian(vec![c, s], rotate([4.0, 1.0]));
    assert!((frechet_distance(&ra, &rb) - 3.0).abs() < 1e-9);
}

#[test]
fn gaussian_fit_of_known_points() {
    let g = Gaussian::fit(&[0.0, 0.0, 2.0, 0.0, 0.0, 2.0, 2.0, 2.0], 2);
    assert_eq!(g.mean, vec![1.0, 1.0]);
    // Unbiased: each coordinate has squared deviations 1, 1, 1, 1 over n - 1 = 3.
    let expected = [4.0 / 3.0, 0.0, 0.0, 4.0 / 3.0];
    for (a, b) in g.covariance.iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{:?}", g.covariance);
    }
}
