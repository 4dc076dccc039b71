//! Our convolution kernels (`flex_kernels`) against burn's `Conv2d` and
//! `ConvTranspose2d` on random shapes: kernels 1, 3, 4 and 5, strides 1 and 2, padding 0 to
//! 2, odd map sizes, batch 1, channel counts that are not multiples of 8, with and without
//! bias. Outputs and the gradients of input, weight and bias agree within 1e-4, relative to
//! the largest value of burn's.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::prelude::*;
use burn::tensor::Distribution;

use flex_kernels::layers::{conv_forward, conv_transpose_forward};
use rand::{RngExt, SeedableRng};

/// `max |ours - burn's| / max(1, max |burn's|)`.
fn relative_difference<const D: usize>(ours: Tensor<D>, burns: Tensor<D>) -> f32 {
    assert_eq!(ours.dims(), burns.dims());
    let scale = burns.clone().abs().max().into_scalar::<f32>().max(1.0);
    (ours - burns).abs().max().into_scalar::<f32>() / scale
}

/// One random case: `(batch, c_in, c_out, side_h, side_w, kernel, stride, padding, bias)`.
type Case = (usize, usize, usize, usize, usize, usize, usize, usize, bool);

fn cases(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pick = |values: &[usize]| values[rng.random_range(0..values.len())];
    (0..count)
        .map(|i| {
            let kernel = pick(&[1, 3, 4, 5]);
            (
                pick(&[1, 2, 3]),
                pick(&[1, 3, 5, 12]),
                pick(&[1, 2, 7, 10]),
                pick(&[5, 7, 9, 11, 6]),
                pick(&[5, 7, 8, 13]),
                kernel,
                pick(&[1, 2]),
                pick(&[0, 1, 2]),
                i % 2 == 0,
            )
        })
        .collect()
}

#[test]
fn convolutions_match_burns_outputs_and_gradients() {
    let device = Device::flex().autodiff();
    for (n, c, o, h, w, k, s, p, bias) in cases(19, 40) {
        let what = format!("conv n{n} {c}->{o} {h}x{w} k{k} s{s} p{p} bias {bias}");
        device.seed(1);
        let conv = Conv2dConfig::new([c, o], [k, k])
            .with_stride([s, s])
            .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
            .with_bias(bias)
            .init(&device);
        let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        let ours = conv_forward(&conv, x.clone());
        let burns = conv.forward(x.clone());
        let mix = Tensor::<4>::random(burns.dims(), Distribution::Normal(0.0, 1.0), &device);
        let out = relative_difference(ours.clone(), burns.clone());
        let ours_grads = (ours * mix.clone()).sum().backward();
        let burns_grads = (burns * mix).sum().backward();
        let dx = relative_difference(x.grad(&ours_grads).unwrap(), x.grad(&burns_grads).unwrap());
        let dw = relative_difference(
            conv.weight.grad(&ours_grads).unwrap(),
            conv.weight.grad(&burns_grads).unwrap(),
        );
        let db = conv.bias.as_ref().map_or(0.0, |b| {
            relative_difference(b.grad(&ours_grads).unwrap(), b.grad(&burns_grads).unwrap())
        });
        assert!(
            out < 1e-4 && dx < 1e-4 && dw < 1e-4 && db < 1e-4,
            "{what}: output {out}, input grad {dx}, weight grad {dw}, bias grad {db}"
        );
    }
}

#[test]
fn transposed_convolutions_match_burns_outputs_and_gradients() {
    let device = Device::flex().autodiff();
    for (i, (n, c, o, h, w, k, s, p, bias)) in cases(23, 40).into_iter().enumerate() {
        let padding_out = if s > 1 { i % s } else { 0 };
        let what = format!(
            "transposed n{n} {c}->{o} {h}x{w} k{k} s{s} p{p} out-pad {padding_out} bias {bias}"
        );
        if (h - 1) * s + k + padding_out <= 2 * p {
            continue; // no output
        }
        device.seed(2);
        let deconv = ConvTranspose2dConfig::new([c, o], [k, k])
            .with_stride([s, s])
            .with_padding([p, p])
            .with_padding_out([padding_out, padding_out])
            .with_bias(bias)
            .init(&device);
        let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        let ours = conv_transpose_forward(&deconv, x.clone());
        let burns = deconv.forward(x.clone());
        let mix = Tensor::<4>::random(burns.dims(), Distribution::Normal(0.0, 1.0), &device);
        let out = relative_difference(ours.clone(), burns.clone());
        let ours_grads = (ours * mix.clone()).sum().backward();
        let burns_grads = (burns * mix).sum().backward();
        let dx = relative_difference(x.grad(&ours_grads).unwrap(), x.grad(&burns_grads).unwrap());
        let dw = relative_difference(
            deconv.weight.grad(&ours_grads).unwrap(),
            deconv.weight.grad(&burns_grads).unwrap(),
        );
        let db = deconv.bias.as_ref().map_or(0.0, |b| {
            relative_difference(b.grad(&ours_grads).unwrap(), b.grad(&burns_grads).unwrap())
        });
        assert!(
            out < 1e-4 && dx < 1e-4 && dw < 1e-4 && db < 1e-4,
            "{what}: output {out}, input grad {dx}, weight grad {dw}, bias grad {db}"
        );
    }
}

/// The kernels give the same bits on every call (no thread-timing dependence), and the
/// gradient-checkpointing autodiff route gives what the plain one does. Weights and input
/// come from a local generator: the device's is shared with the tests running beside this.
#[test]
fn results_repeat_bit_for_bit_and_checkpointing_agrees() {
    let plain = Device::flex().autodiff();
    let balanced = plain.clone().gradient_checkpointing();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut values = |n: usize, scale: f32| -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-scale..scale)).collect()
    };
    let (weight, x) = (values(16 * 16 * 9, 0.1), values(8 * 16 * 12 * 12, 1.0));
    let grads_on = |device: &Device| {
        let mut conv = Conv2dConfig::new([16, 16], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(false)
            .init(device);
        conv.weight = burn::module::Param::from_tensor(Tensor::from_data(
            TensorData::new(weight.clone(), [16, 16, 3, 3]),
            device,
        ));
        let x = Tensor::<4>::from_data(TensorData::new(x.clone(), [8, 16, 12, 12]), device);
        let y = burn::tensor::activation::relu(conv_forward(&conv, x));
        let grads = conv_forward(&conv, y).powi_scalar(2).sum().backward();
        conv.weight.grad(&grads).unwrap().into_data()
    };
    let first = grads_on(&plain);
    assert_eq!(first, grads_on(&plain), "two identical calls differ");
    let checkpointed = Tensor::<4>::from_data(grads_on(&balanced), &plain);
    let difference = relative_difference(Tensor::<4>::from_data(first, &plain), checkpointed);
    assert!(
        difference < 1e-6,
        "checkpointing route differs by {difference}"
    );
}

/// Off (per thread), the layers run burn's own ops: the same bits as `Conv2d::forward`.
#[test]
fn turned_off_the_layers_run_burns_ops() {
    let device = Device::flex();
    let conv = Conv2dConfig::new([3, 4], [3, 3]).init(&device);
    let x = Tensor::<4>::random([2, 3, 9, 9], Distribution::Default, &device);
    flex_kernels::set_enabled(false);
    let off = conv_forward(&conv, x.clone());
    flex_kernels::set_enabled(true);
    assert!(flex_kernels::enabled());
    assert_eq!(off.into_data(), conv.forward(x).into_data());
}

/// Evaluation on an autodiff device with nothing requiring a gradient (the untracked route).
#[test]
fn untracked_inputs_work() {
    let device = Device::flex().autodiff();
    let conv = Conv2dConfig::new([3, 4], [3, 3]).init(&device).no_grad();
    let y = conv_forward(&conv, Tensor::ones([2, 3, 5, 5], &device));
    assert_eq!(y.dims(), [2, 4, 3, 3]);
}

/// A backend without our kernels (ndarray) runs burn's own op. Only with `--features
/// ndarray`; the wgpu tests (`wgpu-check`) cover the same route on another backend.
#[cfg(feature = "ndarray")]
#[test]
fn other_backends_run_burns_op() {
    #[allow(deprecated)] // burn 0.22 marks ndarray deprecated; it is a backend without our kernels
    let ndarray = Device::ndarray();
    assert!(!flex_kernels::is_flex_device(&ndarray));
    let conv = Conv2dConfig::new([3, 4], [3, 3]).init(&ndarray);
    let y = conv_forward(&conv, Tensor::ones([2, 3, 5, 5], &ndarray));
    assert_eq!(y.dims(), [2, 4, 3, 3]);
}
