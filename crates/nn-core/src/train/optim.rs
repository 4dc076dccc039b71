//! The optimisers a config can name.

use burn::optim::{ModuleOptimizer, SgdConfig, momentum::MomentumConfig};
use serde::{Deserialize, Serialize};

/// An optimiser choice, as it appears in configs (`optimizer = "adam"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam with PyTorch's epsilon (1e-8; burn's default is 1e-5).
    #[default]
    Adam,
    /// Plain stochastic gradient descent: `w <- w - lr * grad`.
    Sgd,
    /// SGD with momentum 0.9 and no dampening (PyTorch's definition; burn's default dampens by 0.1).
    SgdMomentum,
}

impl OptimizerKind {
    /// A fresh optimiser of this kind.
    pub fn init(self) -> ModuleOptimizer {
        match self {
            Self::Adam => adam(0.9, 0.999),
            Self::Sgd => SgdConfig::new().init(),
            Self::SgdMomentum => sgd(0.9),
        }
    }
}

/// SGD with the given momentum (PyTorch's definition, no dampening); plain SGD at 0.
pub fn sgd(momentum: f64) -> ModuleOptimizer {
    if momentum == 0.0 {
        SgdConfig::new().init()
    } else {
        SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(momentum)
                    .with_dampening(0.0),
            ))
            .init()
    }
}

/// Adam with the given betas and PyTorch's epsilon (GANs use beta_1 = 0.5): burn's Adam,
/// updated in one pass per parameter on `flex` ([`super::FusedAdam`]).
pub fn adam(beta_1: f64, beta_2: f64) -> ModuleOptimizer {
    ModuleOptimizer::from(super::FusedAdam::new(beta_1 as f32, beta_2 as f32, 1e-8))
}
