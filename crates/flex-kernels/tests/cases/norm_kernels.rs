//! The fused batch norm and group norm + activation (`flex_kernels::layers::batch_norm_act` through
//! `flex_kernels::norm`) against burn's `BatchNorm` followed by the activation, on random
//! shapes: rank 2 and 4, batch 1, odd maps, channel counts that are not multiples of 8, each
//! activation. Training mode: outputs, the gradients of input, gamma and beta, and the
//! running statistics agree within 1e-4 (relative to the largest of burn's); inference on a
//! device without autodiff: outputs from the running statistics. Group norm (the U-Net's,
//! with SiLU): outputs and the three gradients, groups of 1 to all channels.

use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig, GroupNorm, GroupNormConfig};
use burn::prelude::*;
use burn::tensor::Distribution;

use flex_kernels::NormActivation;
use flex_kernels::layers::{batch_norm_act, group_norm_act, norm};
use rand::{RngExt, SeedableRng};

fn relative_difference<const D: usize>(ours: Tensor<D>, burns: Tensor<D>) -> f32 {
    assert_eq!(ours.dims(), burns.dims());
    let scale = burns.clone().abs().max().into_scalar::<f32>().max(1.0);
    (ours - burns).abs().max().into_scalar::<f32>() / scale
}

/// Two layers with the same gamma and beta, away from their initial 1 and 0 so that the
/// activation's kink falls inside the data, and separate running statistics (a clone of a
/// `BatchNorm` would share them).
fn layers(channels: usize, device: &Device) -> [BatchNorm; 2] {
    let gamma = Tensor::<1>::random([channels], Distribution::Uniform(0.5, 1.5), device);
    let beta = Tensor::<1>::random([channels], Distribution::Uniform(-0.5, 0.5), device);
    [0, 1].map(|_| {
        let fresh = BatchNormConfig::new(channels)
            .with_momentum(0.3)
            .init(device);
        BatchNorm {
            gamma: Param::from_tensor(gamma.clone()),
            beta: Param::from_tensor(beta.clone()),
            ..fresh
        }
    })
}

/// Trains one step on `dims` with ours and with burn's; returns the worst difference of
/// output, input/gamma/beta gradients and running mean/variance.
fn compare<const D: usize>(dims: [usize; D], act: NormActivation, seed: u64) -> [f32; 6] {
    let device = Device::flex().autodiff();
    device.seed(seed);
    let [ours_layer, burns_layer] = layers(dims[1], &device);
    let x = Tensor::<D>::random(dims, Distribution::Normal(0.7, 2.0), &device).require_grad();
    let ours = batch_norm_act(&ours_layer, x.clone(), act);
    flex_kernels::set_enabled(false);
    let burns = batch_norm_act(&burns_layer, x.clone(), act);
    flex_kernels::set_enabled(true);
    let mix = Tensor::<D>::random(dims, Distribution::Normal(0.0, 1.0), &device);
    let out = relative_difference(ours.clone(), burns.clone());
    let (go, gb) = (
        (ours * mix.clone()).sum().backward(),
        (burns * mix).sum().backward(),
    );
    let grad = |p: &Tensor<D>, g| p.grad(g).unwrap();
    let dx = relative_difference(grad(&x, &go), grad(&x, &gb));
    let d_gamma = relative_difference(
        ours_layer.gamma.grad(&go).unwrap(),
        burns_layer.gamma.grad(&gb).unwrap(),
    );
    let d_beta = relative_difference(
        ours_layer.beta.grad(&go).unwrap(),
        burns_layer.beta.grad(&gb).unwrap(),
    );
    let mean = relative_difference(
        ours_layer.running_mean.value(),
        burns_layer.running_mean.value(),
    );
    let var = relative_difference(
        ours_layer.running_var.value(),
        burns_layer.running_var.value(),
    );
    [out, dx, d_gamma, d_beta, mean, var]
}

#[test]
fn fused_batch_norm_matches_burns_in_training() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let acts = [
        NormActivation::Relu,
        NormActivation::LeakyRelu(0.2),
        NormActivation::Identity,
    ];
    for case in 0..24 {
        let mut pick = |values: &[usize]| values[rng.random_range(0..values.len())];
        let act = acts[case % 3];
        let (n, c) = (pick(&[1, 2, 5, 16]), pick(&[1, 3, 7, 12, 33]));
        let diffs = if case % 4 == 3 {
            compare([n.max(2), c], act, case as u64)
        } else {
            compare(
                [n, c, pick(&[1, 3, 7, 14]), pick(&[1, 5, 8])],
                act,
                case as u64,
            )
        };
        assert!(
            diffs.iter().all(|d| *d < 1e-4),
            "case {case} (n {n}, c {c}, {act:?}): output, dx, d gamma, d beta, running mean, \
             running var differ by {diffs:?}"
        );
    }
}

#[test]
fn fused_batch_norm_matches_burns_in_inference() {
    let device = Device::flex();
    device.seed(11);
    let [mut bn, _] = layers(6, &device);
    bn.running_mean = burn::module::RunningState::new(Tensor::random(
        [6],
        Distribution::Normal(0.0, 1.0),
        &device,
    ));
    bn.running_var = burn::module::RunningState::new(Tensor::random(
        [6],
        Distribution::Uniform(0.5, 2.0),
        &device,
    ));
    let x = Tensor::<4>::random([3, 6, 5, 4], Distribution::Normal(0.0, 2.0), &device);
    for act in [NormActivation::Relu, NormActivation::LeakyRelu(0.1)] {
        let ours = batch_norm_act(&bn, x.clone(), act);
        let burns = norm::apply(bn.forward(x.clone()), act);
        let difference = relative_difference(ours, burns);
        assert!(difference < 1e-5, "{act:?}: {difference}");
    }
}

/// The same inputs give the same bits (no thread-timing dependence). The inputs come from a
/// local generator: the device's is shared with the tests running beside this one.
#[test]
fn fused_batch_norm_repeats_bit_for_bit() {
    let device = Device::flex().autodiff();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut values =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-2.0..2.0)).collect() };
    let (x, dy, gamma) = (values(32 * 16 * 81), values(32 * 16 * 81), values(16));
    let run = || {
        let bn = BatchNorm {
            gamma: Param::from_tensor(Tensor::from_data(
                TensorData::new(gamma.clone(), [16]),
                &device,
            )),
            ..BatchNormConfig::new(16).init(&device)
        };
        let x = Tensor::<4>::from_data(TensorData::new(x.clone(), [32, 16, 9, 9]), &device)
            .require_grad();
        let dy = Tensor::<4>::from_data(TensorData::new(dy.clone(), [32, 16, 9, 9]), &device);
        let y = batch_norm_act(&bn, x.clone(), NormActivation::Relu);
        let grads = (y * dy).sum().backward();
        (
            x.grad(&grads).unwrap().into_data(),
            bn.gamma.grad(&grads).unwrap().into_data(),
        )
    };
    assert_eq!(run(), run());
}

/// Two group norms with the same random gamma and beta.
fn group_layers(groups: usize, channels: usize, device: &Device) -> [GroupNorm; 2] {
    let gamma = Tensor::<1>::random([channels], Distribution::Uniform(0.5, 1.5), device);
    let beta = Tensor::<1>::random([channels], Distribution::Uniform(-0.5, 0.5), device);
    [0, 1].map(|_| GroupNorm {
        gamma: Some(Param::from_tensor(gamma.clone())),
        beta: Some(Param::from_tensor(beta.clone())),
        ..GroupNormConfig::new(groups, channels).init(device)
    })
}

#[test]
fn fused_group_norm_matches_burns() {
    let device = Device::flex().autodiff();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for case in 0..16u64 {
        let mut pick = |values: &[usize]| values[rng.random_range(0..values.len())];
        let (groups, per_group) = (pick(&[1, 2, 4, 8]), pick(&[1, 3, 4]));
        let c = groups * per_group;
        let dims = [pick(&[1, 2, 3]), c, pick(&[1, 4, 7]), pick(&[2, 5, 8])];
        let act = if case % 2 == 0 {
            NormActivation::Silu
        } else {
            NormActivation::Identity
        };
        device.seed(case);
        let [ours_layer, burns_layer] = group_layers(groups, c, &device);
        let x = Tensor::<4>::random(dims, Distribution::Normal(0.3, 1.5), &device).require_grad();
        let ours = group_norm_act(&ours_layer, x.clone(), act);
        let burns = norm::apply(burns_layer.forward(x.clone()), act);
        let mix = Tensor::<4>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        let out = relative_difference(ours.clone(), burns.clone());
        let (go, gb) = (
            (ours * mix.clone()).sum().backward(),
            (burns * mix).sum().backward(),
        );
        let dx = relative_difference(x.grad(&go).unwrap(), x.grad(&gb).unwrap());
        let param = |l: &GroupNorm, g, beta: bool| {
            let p = if beta { &l.beta } else { &l.gamma };
            p.as_ref().unwrap().grad(g).unwrap()
        };
        let d_gamma = relative_difference(
            param(&ours_layer, &go, false),
            param(&burns_layer, &gb, false),
        );
        let d_beta = relative_difference(
            param(&ours_layer, &go, true),
            param(&burns_layer, &gb, true),
        );
        let diffs = [out, dx, d_gamma, d_beta];
        assert!(
            diffs.iter().all(|d| *d < 1e-4),
            "case {case} ({dims:?}, {groups} groups, {act:?}): output, dx, d gamma, d beta \
             differ by {diffs:?}"
        );
    }
}
