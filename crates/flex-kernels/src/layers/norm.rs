//! The one way every batch norm and group norm of the course runs with its activation:
//! [`batch_norm_act`], [`group_norm_act`]. On the CPU (`flex`) a training step normalises
//! and activates in two passes over the activations and differentiates in two more
//! ([`crate::norm`], [`crate::group_norm`]); burn's `batch_norm_train`
//! and its backward take about 25, and the activation two more (`bench/NOTES.md`, change
//! 7). Elsewhere, and for a frozen batch norm on a training device, it is burn's `forward`
//! followed by the activation.

use crate::{self as kernels, NormActivation};
use burn::nn::{BatchNorm, GroupNorm};
use burn::prelude::*;

/// `act(norm.forward(x))` for `x [n, c, ...]`, updating the running statistics as burn does
/// in training mode (`running = (1 - momentum) * running + momentum * batch`, biased
/// variance).
pub fn batch_norm_act<const D: usize>(
    norm: &BatchNorm,
    x: Tensor<D>,
    activation: NormActivation,
) -> Tensor<D> {
    let device = x.device();
    let gamma = norm.gamma.val();
    if kernels::norm_act_takes(&x, &gamma) {
        let beta = norm.beta.val();
        if device.is_autodiff() && norm.training.is_enabled() {
            let stats = kernels::channel_stats(x.clone());
            let y =
                kernels::batch_norm_act(x, gamma, beta, stats.clone(), norm.epsilon, activation);
            update_running(norm, stats);
            return y;
        }
        if !device.is_autodiff() {
            // Inference: the running statistics, one pass, no graph.
            let stats = Tensor::stack::<2>(
                vec![
                    norm.running_mean.value().to_device(&device),
                    norm.running_var.value().to_device(&device),
                ],
                0,
            );
            return kernels::batch_norm_act(x, gamma, beta, stats, norm.epsilon, activation);
        }
    }
    apply(norm.forward(x), activation)
}

/// `act(norm.forward(x))` for `x [n, c, ...]` (group norm has no running statistics: the
/// same in training and inference). Fused on flex when the layer is affine.
pub fn group_norm_act<const D: usize>(
    norm: &GroupNorm,
    x: Tensor<D>,
    activation: NormActivation,
) -> Tensor<D> {
    if let (Some(gamma), Some(beta)) = (&norm.gamma, &norm.beta) {
        let gamma = gamma.val();
        if kernels::norm_act_takes(&x, &gamma) {
            let groups = norm.num_groups;
            let stats = kernels::group_stats(x.clone(), groups);
            return kernels::group_norm_act(
                x,
                gamma,
                beta.val(),
                stats,
                groups,
                norm.epsilon,
                activation,
            );
        }
    }
    apply(norm.forward(x), activation)
}

/// burn's `forward_train` update of the running mean and variance from `stats [2, c]`.
fn update_running(norm: &BatchNorm, stats: Tensor<2>) {
    let c = stats.dims()[1];
    let momentum = norm.momentum;
    let device = stats.device();
    let row = |r: usize| stats.clone().slice([r..r + 1, 0..c]).reshape([c]);
    let blend = |running: Tensor<1>, batch: Tensor<1>| {
        running
            .to_device(&device)
            .mul_scalar(1.0 - momentum)
            .add(batch.mul_scalar(momentum))
            .detach()
    };
    norm.running_mean
        .update(blend(norm.running_mean.value_sync(), row(0)));
    norm.running_var
        .update(blend(norm.running_var.value_sync(), row(1)));
}

/// The activation alone, as burn's ops (the fallback path).
pub fn apply<const D: usize>(x: Tensor<D>, activation: NormActivation) -> Tensor<D> {
    match activation {
        NormActivation::Identity => x,
        NormActivation::Relu => burn::tensor::activation::relu(x),
        NormActivation::LeakyRelu(slope) => super::leaky_relu(x, slope as f64),
        NormActivation::Silu => burn::tensor::activation::silu(x),
    }
}
