//! The adversarial losses, on D's logits for a batch of real images `[b, 1]` and of fakes
//! `[b, 1]`: the non-saturating loss of Goodfellow et al. (2014), the relativistic average
//! least-squares loss (RaLSGAN, Jolicoeur-Martineau 2018), and the hinge loss (Lim and Ye
//! 2017; with spectral norm in D, Miyato et al. 2018).

use burn::prelude::*;
use burn::tensor::activation::{relu, softplus};

/// Which game D and G play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GanLoss {
    /// D: `-log D(x) - log(1 - D(G(z)))`; G: `-log D(G(z))` (binary cross-entropy).
    NonSaturating,
    /// D: `(C(x) - mean C(G(z)) - 1)^2 + (C(G(z)) - mean C(x) + 1)^2`; G the same with the
    /// targets swapped: each side asks whether real looks more real than fake on average.
    Ralsgan,
    /// D: `max(0, 1 - C(x)) + max(0, 1 + C(G(z)))`; G: `-C(G(z))`.
    Hinge,
}

impl GanLoss {
    /// The names a config may give.
    pub const NAMES: &str = "\"non-saturating\", \"ralsgan\" or \"hinge\"";

    /// D's loss from its logits on real images and on fakes (both `[b, 1]`).
    pub fn discriminator(self, real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
        match self {
            Self::NonSaturating => softplus(real.neg(), 1.0).mean() + softplus(fake, 1.0).mean(),
            Self::Ralsgan => relativistic(real, fake),
            Self::Hinge => relu(real.neg() + 1.0).mean() + relu(fake + 1.0).mean(),
        }
    }

    /// G's loss from D's logits on its fakes `[b, 1]`; `real` gives D's logits on real
    /// images, asked for only by [`GanLoss::Ralsgan`] (detached: only the fakes carry G's
    /// gradient).
    pub fn generator(self, fake: Tensor<2>, real: impl FnOnce() -> Tensor<2>) -> Tensor<1> {
        match self {
            Self::NonSaturating => softplus(fake.neg(), 1.0).mean(),
            Self::Ralsgan => relativistic(fake, real().detach()),
            Self::Hinge => fake.mean().neg(),
        }
    }
}

/// `mean (a - mean b - 1)^2 + mean (b - mean a + 1)^2`: `a` pushed above `b` on average.
fn relativistic(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let mean_a = a.clone().mean();
    let mean_b = b.clone().mean();
    let above = a - mean_b.unsqueeze::<2>() - 1.0;
    let below = b - mean_a.unsqueeze::<2>() + 1.0;
    above.powi_scalar(2).mean() + below.powi_scalar(2).mean()
}
