//! The im2col path of small-map 3x3 convolutions computes what burn's convolution does:
//! the same output and the same gradients for input, weight and bias.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use flex_kernels::layers::conv::{SMALL_MAP, conv_forward, im2col_conv3x3};

fn max_difference<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar()
}

#[test]
fn im2col_convolution_matches_burns_output_and_gradients() {
    let device = Device::flex().autodiff();
    for (c, o, side) in [(3, 5, 4), (8, 6, 2), (4, 4, 1), (5, 7, 6)] {
        let conv = Conv2dConfig::new([c, o], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let x = Tensor::<4>::random([3, c, side, side], Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        // A weighted sum, so every output position has its own gradient.
        let mix = Tensor::<4>::random([3, o, side, side], Distribution::Normal(0.0, 1.0), &device);
        let ours = im2col_conv3x3(
            x.clone(),
            conv.weight.val(),
            conv.bias.as_ref().map(|b| b.val()),
        );
        let burns = conv.forward(x.clone());
        assert_eq!(ours.dims(), burns.dims());
        let out = max_difference(ours.clone(), burns.clone());
        assert!(out < 1e-4, "{c}->{o} at {side}: outputs differ by {out}");

        let ours_grads = (ours * mix.clone()).sum().backward();
        let burns_grads = (burns * mix).sum().backward();
        let dx = max_difference(x.grad(&ours_grads).unwrap(), x.grad(&burns_grads).unwrap());
        let dw = max_difference(
            conv.weight.grad(&ours_grads).unwrap(),
            conv.weight.grad(&burns_grads).unwrap(),
        );
        let db = max_difference(
            conv.bias.as_ref().unwrap().grad(&ours_grads).unwrap(),
            conv.bias.as_ref().unwrap().grad(&burns_grads).unwrap(),
        );
        assert!(
            dx < 1e-4 && dw < 1e-4 && db < 1e-4,
            "{c}->{o} at {side}: gradients differ by {dx}, {dw}, {db}"
        );
    }
}

#[test]
fn only_plain_3x3_convolutions_on_small_maps_take_the_im2col_path() {
    let device = Device::flex();
    let same = Conv2dConfig::new([2, 3], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(&device);
    let valid = Conv2dConfig::new([2, 3], [3, 3]).init(&device);
    let small = Tensor::<4>::random([1, 2, 4, 4], Distribution::Default, &device);
    assert_eq!(4 * 4, SMALL_MAP);
    // A "valid" convolution shrinks the map: it must stay on burn's path to stay right.
    assert_eq!(conv_forward(&valid, small.clone()).dims(), [1, 3, 2, 2]);
    assert_eq!(conv_forward(&same, small).dims(), [1, 3, 4, 4]);
    // Where our kernels do not run (turned off here, as on a GPU), large maps use burn's
    // convolution itself.
    flex_kernels::set_enabled(false);
    let large = Tensor::<4>::random([1, 2, 8, 8], Distribution::Default, &device);
    let difference = max_difference(conv_forward(&same, large.clone()), same.forward(large));
    flex_kernels::set_enabled(true);
    assert_eq!(difference, 0.0, "large maps use burn's convolution itself");
}
