//! The sparsity constraint of the sparse autoencoder: a penalty on the code so that each
//! image is described by a few active units. The KL penalty pulls every unit's mean
//! activation towards a small target rho: `sum_j KL(rho || rho_hat_j)`; the L1 penalty
//! pushes all activations towards zero.

use burn::prelude::*;

/// The sparsity constraint on the code.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sparsity {
    /// `weight * sum_j KL(target || mean activation of unit j over the batch)`.
    Kl { target: f64, weight: f64 },
    /// `weight * mean over the batch of sum_j |code_j|`.
    L1 { weight: f64 },
}

impl Sparsity {
    /// The weighted penalty on a batch of codes `[batch, code]` (a scalar).
    pub fn penalty(&self, code: Tensor<2>) -> Tensor<1> {
        match *self {
            Sparsity::Kl { target, weight } => kl_sparsity(code, target) * weight,
            Sparsity::L1 { weight } => code.abs().sum_dim(1).mean() * weight,
        }
    }
}

/// `sum_j KL(rho || rho_hat_j)` for Bernoulli units, `rho_hat` the mean activation of each
/// unit over the batch (clamped away from 0 and 1 to keep the logarithms finite).
pub fn kl_sparsity(code: Tensor<2>, target: f64) -> Tensor<1> {
    let rho_hat = code.mean_dim(0).clamp(1e-6, 1.0 - 1e-6);
    let rho = target;
    let kl = (rho_hat.clone().recip() * rho).log() * rho
        + ((rho_hat.neg().add_scalar(1.0)).recip() * (1.0 - rho)).log() * (1.0 - rho);
    kl.sum()
}
