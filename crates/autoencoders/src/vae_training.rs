//! What the VAE experiments share: the loss terms of a batch and the quality of the mean
//! reconstructions on the test set.

use crate::train::{Terms, unit_batch};
use crate::vae::{Vae, bernoulli_nll, kl_divergence};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use nn_core::data::ImageDataset;
use nn_core::metrics::{psnr, ssim};

/// Loss `reconstruction + beta * KL` (nats per image), logging `recon`, `kl`, `neg_elbo`
/// (at beta = 1: the bound itself) and `mse` (per pixel, of the output probabilities).
pub fn vae_terms(beta: f64) -> impl Fn(&Vae, Tensor<4>) -> Terms {
    move |model, x| {
        let out = model.forward(x.clone());
        let recon = bernoulli_nll(out.logits.clone(), x.clone()).mean();
        let kl = kl_divergence(out.mu, out.log_var).mean();
        let mse = (sigmoid(out.logits) - x).powi_scalar(2).mean();
        Terms {
            loss: recon.clone() + kl.clone() * beta,
            logged: vec![
                ("recon", recon.clone()),
                ("kl", kl.clone()),
                ("neg_elbo", recon + kl),
                ("mse", mse),
            ],
        }
    }
}

/// Mean per-image PSNR (dB) and SSIM of the mean reconstructions `decode(mu)`.
pub struct Quality {
    pub psnr_db: f64,
    pub ssim: f64,
}

pub fn quality(model: &Vae, test: &ImageDataset, device: &Device) -> Quality {
    let model = model.valid();
    let shape = test.shape;
    let plane = shape.height * shape.width;
    let (mut psnr_sum, mut ssim_sum) = (0.0, 0.0);
    let indices: Vec<usize> = (0..test.len()).collect();
    let values = |t: Tensor<4>| t.into_data().try_into_vec::<f32>().unwrap_or_default();
    for chunk in indices.chunks(256) {
        let x = unit_batch(test, chunk, device);
        let (mu, _) = model.encoder.forward(x.clone());
        let (x, y) = (values(x), values(model.generate(mu)));
        for i in 0..chunk.len() {
            let image = i * shape.len()..(i + 1) * shape.len();
            psnr_sum += psnr(&x[image.clone()], &y[image.clone()], 1.0);
            let mut s = 0.0;
            for c in 0..shape.channels {
                let p = image.start + c * plane..image.start + (c + 1) * plane;
                s += ssim(&x[p.clone()], &y[p], shape.height, shape.width, 1.0);
            }
            ssim_sum += s / shape.channels as f64;
        }
    }
    let n = test.len().max(1) as f64;
    Quality {
        psnr_db: psnr_sum / n,
        ssim: ssim_sum / n,
    }
}
