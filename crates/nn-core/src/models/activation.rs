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

#[cfg(test)]
mod tests {
    use super::*;

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
