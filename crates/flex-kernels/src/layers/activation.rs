//! Activations with a cheaper gradient than burn's generic ones on the CPU.

use burn::prelude::*;
use burn::tensor::activation::relu;

/// Leaky ReLU, `x` for `x >= 0` and `slope * x` below, written as
/// `(1 - slope) * relu(x) + slope * x`. Same values (to rounding), but burn's autodiff has
/// no leaky-ReLU gradient of its own and differentiates its mask-select formula instead:
/// on `flex` that made `mask_where` 14% of a DCGAN step (perf), while ReLU's gradient is
/// one fused pass (bench/NOTES.md).
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    relu(x.clone()).mul_scalar(1.0 - slope) + x.mul_scalar(slope)
}

/// `tanh(x)`: on `flex` our vectorised kernel with a one-pass backward from the output
/// (glibc's scalar `tanhf`, run twice by burn's tanh and its gradient, was 5% of a DCGAN
/// step: bench/NOTES.md change 19); burn's own tanh elsewhere.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if crate::tanh_takes(&x) {
        crate::tanh(x)
    } else {
        burn::tensor::activation::tanh(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_matches_burns_values_and_gradient() {
        let device = Device::flex().autodiff();
        // More than one parallel chunk (16,384), from -10.3 to 10.3.
        let values: Vec<f32> = (0..40001).map(|i| (i as f32 - 20000.0) / 1941.0).collect();
        let n = values.len();
        let input = || Tensor::<1>::from_data(TensorData::new(values.clone(), [n]), &device);
        let (a, b) = (input().require_grad(), input().require_grad());
        assert!(crate::tanh_takes(&a));
        let weights = Tensor::<1>::from_data(
            TensorData::new(
                (0..n).map(|i| (i % 7) as f32 - 3.0).collect::<Vec<_>>(),
                [n],
            ),
            &device,
        );
        let ours = tanh(a.clone());
        let theirs = burn::tensor::activation::tanh(b.clone());
        let to_vec = |t: Tensor<1>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        for (x, y) in to_vec(ours.clone()).iter().zip(to_vec(theirs.clone())) {
            assert!((x - y).abs() <= 1e-6 * y.abs().max(1e-3), "{x} vs {y}");
        }
        let ga = (ours * weights.clone()).sum().backward();
        let gb = (theirs * weights).sum().backward();
        let (da, db) = (to_vec(a.grad(&ga).unwrap()), to_vec(b.grad(&gb).unwrap()));
        for (x, y) in da.iter().zip(&db) {
            // Absolute near saturation: `1 - y^2` cancels, leaving ~1e-7 of rounding either side.
            assert!(
                (x - y).abs() <= 2e-6 * y.abs().max(1.0),
                "gradient {x} vs {y}"
            );
        }
        assert!(
            da.iter().any(|g| g.abs() > 1.0),
            "a gradient that is not all zeros"
        );
    }

    #[test]
    fn matches_burns_leaky_relu_values_and_gradient() {
        let device = Device::flex().autodiff();
        let values = [-3.0f32, -0.5, -1e-3, 0.0, 1e-3, 0.7, 4.0];
        let input = || {
            Tensor::<1>::from_data(TensorData::new(values.to_vec(), [values.len()]), &device)
                .require_grad()
        };
        let (a, b) = (input(), input());
        let ours = leaky_relu(a.clone(), 0.2);
        let theirs = burn::tensor::activation::leaky_relu(b.clone(), 0.2);
        let to_vec = |t: Tensor<1>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        for (x, y) in to_vec(ours.clone()).iter().zip(to_vec(theirs.clone())) {
            assert!((x - y).abs() <= 1e-6 * y.abs().max(1.0), "{x} vs {y}");
        }
        let ga = ours.sum().backward();
        let gb = theirs.sum().backward();
        let grad = |t: &Tensor<1>, g| to_vec(t.grad(g).unwrap());
        // At exactly 0 the slope, as PyTorch's leaky_relu gradient; burn's mask formula
        // takes the identity branch there (1.0). Elsewhere the two agree.
        assert_eq!(grad(&a, &ga), [0.2, 0.2, 0.2, 0.2, 1.0, 1.0, 1.0]);
        let burn = grad(&b, &gb);
        assert_eq!(burn[3], 1.0);
        for i in [0, 1, 2, 4, 5, 6] {
            assert_eq!(burn[i], grad(&a, &ga)[i]);
        }
    }
}
