//! Drawing from a generator: images from noise with batch norm as in training, in passes
//! no smaller than a training batch, and the seeded samples every measure of a run uses.

use crate::models::Generator;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::ImageDataset;
use nn_core::data::batch::dataset_from_symmetric;

/// Noise vectors per generator pass when drawing: batch norm normalises with the
/// statistics of each pass, so no pass is smaller than a training batch.
pub const DRAW_BATCH: usize = 64;

/// The images the training generator `g` draws from noise `z` `[n, latent]` (on the
/// inference device), `[n, c, s, s]` without a graph. Batch norm runs as in training, on
/// the statistics of the pass, as the DCGAN reference draws: the running averages trail a
/// generator that changes every step, and a generator initialised small (DCGAN's 0.02)
/// starts far from their initial variance of 1, so in inference mode early samples all
/// look alike. Passes smaller than [`DRAW_BATCH`] are filled up with `companions`
/// `[DRAW_BATCH, latent]` (fixed noise), whose images are dropped.
pub fn draw<G: Generator>(g: &G, z: Tensor<2>, companions: &Tensor<2>) -> Tensor<4> {
    let [n, latent] = z.dims();
    let z = if n < DRAW_BATCH {
        let fill = companions.clone().slice([0..DRAW_BATCH - n, 0..latent]);
        Tensor::cat(vec![z, fill], 0)
    } else {
        z
    };
    let images = g.generate(z.autodiff()).inner();
    let [_, c, h, w] = images.dims();
    images.slice([0..n, 0..c, 0..h, 0..w])
}

/// `count` samples of the training generator `g` as images, from noise seeded by `seed`
/// with purpose "frechet samples": the same images whichever distance measures them.
pub fn samples_of<G: Generator>(
    g: &G,
    count: usize,
    latent: usize,
    device: &Device,
    seed: u64,
) -> ImageDataset {
    nn_core::backend::seed_device(device, seed, "frechet samples");
    let companions =
        Tensor::<2>::random([DRAW_BATCH, latent], Distribution::Normal(0.0, 1.0), device);
    let mut parts = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = left.min(250);
        let z = Tensor::<2>::random([n, latent], Distribution::Normal(0.0, 1.0), device);
        parts.push(draw(g, z, &companions));
        left -= n;
    }
    dataset_from_symmetric(Tensor::cat(parts, 0))
}
