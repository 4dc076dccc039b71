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

/// The real cats when a data folder has them (as CI has), else the synthetic stand-in of
/// the same shape (a failure where `NGVM_REQUIRE` names `data`).
fn data_dir() -> std::path::PathBuf {
    test_support::find_data("cats").unwrap_or_else(|| {
        test_support::skip(
            test_support::Need::Data,
            "real cats not found; the Frechet check runs on the synthetic stand-in",
        );
        std::path::PathBuf::new()
    })
}

/// With the reference held out, a generator that hands back its training images scores
/// about what two samples of real images score (the floor), not better: the distance
/// rewards looking like unseen cats, not memorising the seen ones. Noise scores far above.
/// (The fixed network itself was trained on all the cats, so fitting the reference to the
/// training images no longer favours a copier by a margin a test can rely on; the printed
/// in-sample figure is for the reader.)
#[test]
fn copying_the_training_images_does_not_beat_the_held_out_floor() {
    use gans::realism::FrechetReference;
    use nn_core::run::{Run, RunOptions};

    let out = tempfile::tempdir().unwrap();
    let mut run = Run::open(RunOptions {
        data_dir: data_dir(),
        allow_synthetic: true,
        ..RunOptions::new("gans/frechet-test", out.path())
    })
    .unwrap();
    let cats = nn_core::data::load_split(&mut run, "cats", "all", 1_200).unwrap();
    let cats = cats.box_downscaled(32);
    let (train, held_out) = nn_core::data::hold_out(&mut run, cats, 0.25);
    let samples = held_out.len();
    let reference =
        FrechetReference::measure(&mut run, "cats", (&train, &held_out), samples).unwrap();
    let device = run.device.clone();
    let space = &reference.fixed.features;

    // A copier: the first training images, not the seeded subset the floor used.
    let copies = train.take(samples);
    let copy = reference.distance(&copies, &device).unwrap();
    let in_sample = frechet_distance(
        &space.gaussian(&train, &device).unwrap(),
        &space.gaussian(&copies, &device).unwrap(),
    );
    let floor = reference.fixed.floor;
    // The set-up before the hold-out: the reference fitted to all training images, the
    // floor from two halves of them.
    let (half_a, half_b) = train.split_off(0.5, run.seed);
    let old_floor = frechet_distance(
        &space.gaussian(&half_a, &device).unwrap(),
        &space.gaussian(&half_b, &device).unwrap(),
    );
    eprintln!(
        "held out: floor {floor:.3}, copier {copy:.3}; in-sample: floor {old_floor:.3}, copier {in_sample:.3}; noise {:.3}",
        reference.noise_baseline
    );
    assert!(
        copy > 0.8 * floor,
        "the copier beats the floor: {copy} vs {floor}"
    );
    assert!(reference.noise_baseline > 2.0 * floor);
}
