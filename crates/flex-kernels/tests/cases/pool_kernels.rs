//! Our max pooling (`flex_kernels::layers::max_pool_forward` through `flex_kernels::pool`)
//! against burn's `MaxPool2d` on random shapes: windows 2 and 3, strides 1 to 3, odd maps,
//! batch 1, ceil mode on maps the windows tile; outputs and input gradients agree exactly
//! (both pick the same maximum). Padded pools take burn's path and still agree.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2dConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use flex_kernels::layers::max_pool_forward;
use rand::{RngExt, SeedableRng};

#[test]
fn max_pooling_matches_burns_outputs_and_gradients() {
    let device = Device::flex().autodiff();
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    for case in 0..30 {
        let mut pick = |values: &[usize]| values[rng.random_range(0..values.len())];
        let (k, s) = (pick(&[2, 3]), pick(&[1, 2, 3]));
        let dims = [
            pick(&[1, 2, 4]),
            pick(&[1, 3, 5]),
            pick(&[3, 6, 7, 9]),
            pick(&[4, 5, 8]),
        ];
        let padded = case % 5 == 4;
        let mut config = MaxPool2dConfig::new([k, k]).with_strides([s, s]);
        if padded {
            config = config.with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1));
        }
        let pool = config.init();
        // Rounded values make ties, as after a ReLU.
        let x = Tensor::<4>::random(dims, Distribution::Normal(0.0, 2.0), &device)
            .round()
            .require_grad();
        let ours = max_pool_forward(&pool, x.clone());
        let burns = pool.forward(x.clone());
        let what = format!("case {case}: {dims:?} window {k} stride {s} padded {padded}");
        assert_eq!(ours.dims(), burns.dims(), "{what}");
        let mix = Tensor::<4>::random(burns.dims(), Distribution::Normal(0.0, 1.0), &device);
        assert_eq!(
            ours.clone().into_data(),
            burns.clone().into_data(),
            "{what}: outputs"
        );
        let (go, gb) = (
            (ours * mix.clone()).sum().backward(),
            (burns * mix).sum().backward(),
        );
        let (dx_ours, dx_burns) = (x.grad(&go).unwrap(), x.grad(&gb).unwrap());
        let difference = (dx_ours - dx_burns).abs().max().into_scalar::<f32>();
        assert!(
            difference < 1e-6,
            "{what}: input gradients differ by {difference}"
        );
    }
}
