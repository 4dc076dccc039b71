//! Spectral normalisation (Miyato et al. 2018): a layer's weight divided by its largest
//! singular value, so that D cannot sharpen without bound, which keeps the hinge loss's
//! gradients useful to G.
//!
//! Departs from the paper: sigma is estimated from scratch at every forward pass, by
//! [`ITERATIONS`] power iterations from a fixed start vector, instead of one iteration from
//! a vector kept between steps. The estimate then depends on the weight alone, so the
//! layer stays a plain module: checkpoints, resume and the same bits whatever the thread
//! timing need nothing new. The iterations cost matrix-vector products, small beside the
//! convolutions.

use burn::prelude::*;

/// Power iterations per forward pass.
pub const ITERATIONS: usize = 6;

/// `weight / sigma(weight)`, the weight seen as a matrix `[shape[0], rest]`; sigma is a
/// function of the weight (its gradient flows through it, as in the paper), the power
/// iteration's vectors are detached.
pub fn spectrally_normalised<const D: usize>(weight: Tensor<D>) -> Tensor<D> {
    let dims = weight.dims();
    let rows = dims[0];
    let columns: usize = dims[1..].iter().product();
    let matrix = weight.clone().reshape([rows, columns]);
    let fixed = matrix.clone().detach();
    let device = weight.device();
    // A fixed start that no weight is likely to be orthogonal to: 1, -1/2, 1/3, ...
    let start: Vec<f32> = (0..rows)
        .map(|i| if i % 2 == 0 { 1.0 } else { -0.5 } / (1 + i % 7) as f32)
        .collect();
    let mut u = Tensor::<2>::from_data(TensorData::new(start, [rows, 1]), &device);
    let mut v = Tensor::<2>::zeros([columns, 1], &device);
    for _ in 0..ITERATIONS {
        v = normalised(fixed.clone().transpose().matmul(u.clone()));
        u = normalised(fixed.clone().matmul(v.clone()));
    }
    // sigma = u^T W v, a [1, 1] tensor carrying W's gradient.
    let sigma = u.transpose().matmul(matrix).matmul(v).reshape([1]);
    let shape = [1usize; D];
    weight / sigma.reshape(shape)
}

/// `x / |x|` for a column vector `[n, 1]`.
fn normalised(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum().sqrt() + 1e-12;
    x / norm.unsqueeze::<2>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normalised_weight_has_largest_singular_value_one() {
        let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
        // diag(3, 1) rotated: singular values 3 and 1.
        let w = Tensor::<2>::from_data(
            TensorData::new(vec![3.0f32, 0.0, 0.0, 1.0], [2, 2]),
            &device,
        );
        let n = spectrally_normalised(w);
        let values: Vec<f32> = n.into_data().iter::<f32>().collect();
        assert!(
            (values[0] - 1.0).abs() < 1e-3 && (values[3] - 1.0 / 3.0).abs() < 1e-3,
            "{values:?}"
        );
        // A convolution's weight, as a matrix: the top singular value scaled to about 1.
        device.seed(5);
        let conv = Tensor::<4>::random(
            [8, 4, 3, 3],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let m = spectrally_normalised(conv).reshape([8, 36]);
        let gram = m.clone().matmul(m.transpose());
        // The largest eigenvalue of W W^T by many power iterations.
        let mut x = Tensor::<2>::ones([8, 1], &device);
        for _ in 0..200 {
            x = normalised(gram.clone().matmul(x));
        }
        let top = x
            .clone()
            .transpose()
            .matmul(gram.matmul(x))
            .into_scalar::<f32>()
            .sqrt();
        assert!((top - 1.0).abs() < 0.1, "top singular value {top}");
    }
}
