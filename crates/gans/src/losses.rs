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

#[cfg(test)]
mod tests {
    use super::*;

    fn logits(values: &[f32]) -> Tensor<2> {
        let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
        Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1]), &device)
    }

    fn value(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    #[test]
    fn each_loss_matches_its_formula_on_known_logits() {
        let (real, fake) = (logits(&[2.0, 0.0]), logits(&[-1.0, 1.0]));
        // Non-saturating D: mean softplus(-r) + mean softplus(f).
        let sp = |x: f32| (1.0 + x.exp()).ln();
        let expected = (sp(-2.0) + sp(0.0)) / 2.0 + (sp(-1.0) + sp(1.0)) / 2.0;
        let d = value(GanLoss::NonSaturating.discriminator(real.clone(), fake.clone()));
        assert!((d - expected).abs() < 1e-5, "{d} vs {expected}");
        // Hinge D: mean relu(1 - r) + mean relu(1 + f) = (0 + 1)/2 + (0 + 2)/2.
        let h = value(GanLoss::Hinge.discriminator(real.clone(), fake.clone()));
        assert!((h - 1.5).abs() < 1e-6, "{h}");
        // RaLSGAN D: mean r = 1, mean f = 0; (r - 0 - 1)^2 = 1, 1 -> 1; (f - 1 + 1)^2 = 1, 1 -> 1.
        let r = value(GanLoss::Ralsgan.discriminator(real.clone(), fake.clone()));
        assert!((r - 2.0).abs() < 1e-6, "{r}");
        // RaLSGAN G swaps the roles: (f - 1 - 1)^2 = 9, 1 -> 5; (r - 0 + 1)^2 = 9, 1 -> 5.
        let g = value(GanLoss::Ralsgan.generator(fake.clone(), || real.clone()));
        assert!((g - 10.0).abs() < 1e-5, "{g}");
        // Hinge G: -mean f = 0; non-saturating G: mean softplus(-f).
        assert!(value(GanLoss::Hinge.generator(fake.clone(), || unreachable!())).abs() < 1e-6);
        let ns = value(GanLoss::NonSaturating.generator(fake, || unreachable!()));
        assert!((ns - (sp(1.0) + sp(-1.0)) / 2.0).abs() < 1e-5, "{ns}");
    }
}
