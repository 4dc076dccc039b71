//! The hand-written backprop against finite differences (f64) and against burn's autodiff
//! (f32) on the same weights and batch; and the hand-written SGD with momentum against
//! burn's.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use mlp::model::{Mlp, to_scratch};
use mlp::scratch::{Dense, ScratchMlp, SgdMomentum, flatten};
use ndarray::Array2;
use rand::RngExt;

const SIZES: [usize; 4] = [6, 5, 4, 3];

fn batch(n: usize) -> (Array2<f64>, Vec<usize>) {
    let mut rng = nn_core::backend::rng(3, "batch");
    let x = Array2::from_shape_simple_fn((n, SIZES[0]), || rng.random_range(-2.0..2.0));
    let y = (0..n).map(|i| i % SIZES[3]).collect();
    (x, y)
}

/// Relative error of two gradient vectors: max |a - b| / max(max |b|, 1e-12).
fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let scale = b.iter().map(|y| y.abs()).fold(1e-12, f64::max);
    diff / scale
}

#[test]
fn backprop_matches_finite_differences_in_f64() {
    let mut rng = nn_core::backend::rng(1, "init");
    let mlp = ScratchMlp::<f64>::new(&SIZES, &mut rng);
    let (x, y) = batch(7);
    let (_, grads) = mlp.loss_and_gradients(x.view(), &y);
    let analytic = flatten(&grads.layers);
    // Central differences on every weight and bias: (L(p + h) - L(p - h)) / 2h.
    let h = 1e-6;
    let base = flatten(&mlp.layers);
    let loss_at = |values: &[f64]| {
        let layers = mlp::scratch::unflatten(&mlp.layers, values).unwrap();
        ScratchMlp { layers }.loss_and_gradients(x.view(), &y).0
    };
    let numeric: Vec<f64> = (0..base.len())
        .map(|i| {
            let (mut plus, mut minus) = (base.clone(), base.clone());
            plus[i] += h;
            minus[i] -= h;
            (loss_at(&plus) - loss_at(&minus)) / (2.0 * h)
        })
        .collect();
    let error = relative_error(&analytic, &numeric);
    // Stated bar: relative error below 1e-4 in f64 (seen: about 1e-9).
    assert!(error < 1e-4, "relative error {error:e}");
}

#[test]
fn backprop_matches_burn_autodiff_on_the_same_weights() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    device.seed(5);
    let model = Mlp::new(&SIZES, 0.0, &device);
    let scratch: ScratchMlp<f64> = to_scratch(&model).cast();
    let (x, y) = batch(9);
    let (loss, grads) = scratch.loss_and_gradients(x.view(), &y);

    let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let input = Tensor::<2>::from_data(TensorData::new(xs, [9, SIZES[0]]), &device);
    let targets = Tensor::<1, Int>::from_data(
        TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [9]),
        &device,
    );
    let burn_loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(model.forward_flat(input), targets);
    let burn_value = burn_loss.clone().into_scalar::<f32>() as f64;
    let gradients = burn_loss.backward();
    assert!(
        (loss - burn_value).abs() < 1e-5,
        "loss {loss} vs burn {burn_value}"
    );
    let values = |t: Option<Tensor<2>>| -> Vec<f64> {
        t.unwrap()
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    for (layer, Dense { weight, bias }) in model.layers.iter().zip(&grads.layers) {
        let burn_w = values(layer.weight.val().grad(&gradients));
        let burn_b = values(
            layer
                .bias
                .as_ref()
                .unwrap()
                .val()
                .grad(&gradients)
                .map(|b| b.unsqueeze::<2>()),
        );
        let ours_w: Vec<f64> = weight.iter().copied().collect();
        let ours_b: Vec<f64> = bias.iter().copied().collect();
        // Stated bar: relative error below 1e-3, burn computing in f32 (seen: about 1e-7).
        let (ew, eb) = (
            relative_error(&ours_w, &burn_w),
            relative_error(&ours_b, &burn_b),
        );
        assert!(ew < 1e-3 && eb < 1e-3, "weight {ew:e}, bias {eb:e}");
    }
}

#[test]
fn sgd_momentum_matches_burns_optimizer() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    device.seed(8);
    let mut model = Mlp::new(&SIZES, 0.0, &device);
    let mut scratch = to_scratch(&model);
    let (x, y) = batch(10);
    let x32 = x.mapv(|v| v as f32);
    let input = Tensor::<2>::from_data(
        TensorData::new(x32.iter().copied().collect::<Vec<_>>(), [10, SIZES[0]]),
        &device,
    );
    let targets = Tensor::<1, Int>::from_data(
        TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [10]),
        &device,
    );
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut burn_optim = nn_core::train::sgd(0.9);
    let mut our_optim = SgdMomentum::new(0.1f32, 0.9);
    for _ in 0..5 {
        let loss = loss_fn.forward(model.forward_flat(input.clone()), targets.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = burn_optim.step(0.1, model, grads);
        let (_, grads) = scratch.loss_and_gradients(x32.view(), &y);
        our_optim.step(&mut scratch, grads);
    }
    let burn_values = flatten(&to_scratch(&model).layers);
    let ours = flatten(&scratch.layers);
    let diff = burn_values
        .iter()
        .zip(&ours)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        diff < 1e-5,
        "weights differ by {diff} after 5 momentum steps"
    );
}

#[test]
fn dead_units_are_counted() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let probe = Tensor::<2>::random(
        [50, 6],
        burn::tensor::Distribution::Uniform(-1.0, 1.0),
        &device,
    );
    let dead = Mlp::new(&SIZES, 0.0, &device).shift_hidden_biases(-100.0);
    assert_eq!(
        mlp::experiments::activations::dead_fractions(&dead, probe.clone()),
        vec![1.0, 1.0]
    );
    let alive = Mlp::new(&SIZES, 0.0, &device).shift_hidden_biases(100.0);
    assert_eq!(
        mlp::experiments::activations::dead_fractions(&alive, probe),
        vec![0.0, 0.0]
    );
}

#[test]
fn leaky_slope_survives_validation_and_optimizer_steps() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    let model = Mlp::new(&SIZES, 0.1, &device);
    assert_eq!(model.valid().negative_slope, 0.1);
    let x = Tensor::<2>::random([4, SIZES[0]], burn::tensor::Distribution::Default, &device);
    let loss = model.forward_flat(x).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let stepped = nn_core::train::sgd(0.9).step(0.1, model, grads);
    assert_eq!(stepped.negative_slope, 0.1);
}
