//! Principal component analysis, the linear baseline an autoencoder must beat: the `k`
//! directions of largest variance, found by subspace iteration on the covariance matrix
//! (burn's matrix products on the CPU; the orthonormalisation, on a `d x k` matrix, in f64).
//! burn has no eigendecomposition in this project's lean feature set, hence this.

use burn::prelude::*;
use nn_core::data::ImageDataset;

/// A fitted PCA: the mean image and `k` orthonormal components, `[d]` and `[d, k]`.
pub struct Pca {
    pub mean: Tensor<1>,
    pub components: Tensor<2>,
}

/// Pixels of a data set in [0, 1] as a `[n, d]` matrix.
pub fn matrix(data: &ImageDataset, device: &Device) -> Tensor<2> {
    let d = data.shape.len();
    let values: Vec<f32> = data.pixels.iter().map(|&p| p as f32 / 255.0).collect();
    Tensor::<2>::from_data(TensorData::new(values, [data.len(), d]), device)
}

/// Modified Gram-Schmidt on the columns of a row-major `d x k` matrix.
fn orthonormalize(values: &mut [f64], d: usize, k: usize) {
    for j in 0..k {
        for i in 0..j {
            let dot: f64 = (0..d).map(|r| values[r * k + i] * values[r * k + j]).sum();
            for r in 0..d {
                values[r * k + j] -= dot * values[r * k + i];
            }
        }
        let norm = (0..d)
            .map(|r| values[r * k + j].powi(2))
            .sum::<f64>()
            .sqrt();
        for r in 0..d {
            values[r * k + j] /= norm.max(1e-12);
        }
    }
}

impl Pca {
    /// Fits `k` components to the rows of `x` (`[n, d]`) with `iterations` rounds of
    /// subspace iteration from a seeded random start.
    pub fn fit(x: Tensor<2>, k: usize, iterations: usize, seed: u64) -> Pca {
        use rand::RngExt;
        let device = x.device();
        let [n, d] = x.dims();
        let mean = x.clone().mean_dim(0);
        let centred = x - mean.clone();
        let covariance = centred.clone().transpose().matmul(centred) / n.max(1) as f64;
        let mut rng = nn_core::backend::rng(seed, "pca");
        let mut q: Vec<f64> = (0..d * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        orthonormalize(&mut q, d, k);
        for _ in 0..iterations {
            let basis = Tensor::<2>::from_data(
                TensorData::new(q.iter().map(|&v| v as f32).collect::<Vec<f32>>(), [d, k]),
                &device,
            );
            let next: Vec<f32> = covariance
                .clone()
                .matmul(basis)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            q = next.into_iter().map(f64::from).collect();
            orthonormalize(&mut q, d, k);
        }
        Pca {
            mean: mean.flatten::<1>(0, 1),
            components: Tensor::<2>::from_data(
                TensorData::new(q.iter().map(|&v| v as f32).collect::<Vec<f32>>(), [d, k]),
                &device,
            ),
        }
    }

    /// Projects the rows of `x` onto the components and back: the best rank-`k` linear
    /// reconstruction.
    pub fn reconstruct(&self, x: Tensor<2>) -> Tensor<2> {
        let mean = self.mean.clone().unsqueeze::<2>();
        let codes = (x - mean.clone()).matmul(self.components.clone());
        codes.matmul(self.components.clone().transpose()) + mean
    }

    /// Mean squared error per pixel of the reconstruction of `x`.
    pub fn mse(&self, x: Tensor<2>) -> f64 {
        let error = (self.reconstruct(x.clone()) - x).powi_scalar(2).mean();
        error.into_scalar::<f32>() as f64
    }
}
