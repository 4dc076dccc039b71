//! The Frechet Inception Distance as papers report it: images through pytorch-fid's
//! InceptionV3 ([`crate::models::inception_fid`]) with its published weights, a Gaussian
//! fitted to each set's 2,048 features, and the Frechet distance between them
//! ([`super::frechet::frechet_distance_large`]). Offered beside each experiment's offline
//! Frechet distance when `cargo xtask download fid-inception` has put the weights in the data
//! directory; without them a run says so in its notes ([`ABSENT`]).
//!
//! Comparable with published FIDs only at their sample counts (usually 50,000 generated
//! images against a data set's statistics): with fewer samples the FID is biased upwards.

use super::frechet::{Gaussian, frechet_distance_large};
use crate::Result;
use crate::data::weights::find_weights;
use crate::data::{ImageDataset, Normalization, batch_images};
use crate::models::inception_fid::{FEATURES, InceptionFid, key_rules};
use crate::models::torch_import::load_pytorch;
use burn::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The weights' name in the catalog (`cargo xtask download fid-inception`).
pub const WEIGHTS: &str = "fid-inception";

/// What a run notes when the weights are absent.
pub const ABSENT: &str = "the FID in InceptionV3's features (comparable with papers) was not computed: its weights are not in the data directory (`cargo xtask download fid-inception`, about 95 MB)";

/// Images per forward pass (299x299 inputs: about 0.5 GiB of activations).
const BATCH: usize = 16;

/// pytorch-fid's InceptionV3 with its weights, ready to embed images.
pub struct FidNetwork {
    model: InceptionFid,
    device: Device,
}

impl FidNetwork {
    /// The network with the weights from `<data_dir>/weights/`: `Ok(None)` when the file
    /// is absent, an error naming it when it is damaged or does not fit.
    pub fn load(data_dir: &Path, device: &Device) -> Result<Option<FidNetwork>> {
        let spec = find_weights(WEIGHTS)
            .ok_or_else(|| crate::Error::Other(format!("no `{WEIGHTS}` in the weights catalog")))?;
        let Some(path) = spec.verified_path(data_dir)? else {
            return Ok(None);
        };
        let mut model = InceptionFid::new(device);
        load_pytorch(&mut model, &path, &key_rules())?;
        Ok(Some(FidNetwork {
            model,
            device: device.clone(),
        }))
    }

    /// A network with the weights it already has (loaded by other means, or burn's
    /// random initialisation in tests of the pipeline).
    pub fn from_model(model: InceptionFid, device: &Device) -> FidNetwork {
        FidNetwork {
            model,
            device: device.clone(),
        }
    }

    /// The 2,048 features of every image (`[n, 2048]`, row-major). Grey images are
    /// repeated into three channels, as pytorch-fid's loaders do.
    pub fn features(&self, images: &ImageDataset) -> Vec<f32> {
        let shape = images.shape;
        let unit = Normalization::unit(shape.channels);
        let mut out = Vec::with_capacity(images.len() * FEATURES);
        let indices: Vec<usize> = (0..images.len()).collect();
        for chunk in indices.chunks(BATCH) {
            let x = batch_images(images, chunk, &unit, &self.device);
            let x = if shape.channels == 1 {
                x.repeat_dim(1, 3)
            } else {
                x
            };
            let features = self.model.forward(x).into_data();
            out.extend(features.iter::<f32>());
        }
        out
    }

    /// The Gaussian of `images`' features.
    pub fn gaussian(&self, images: &ImageDataset) -> Gaussian {
        Gaussian::fit(&self.features(images), FEATURES)
    }

    /// The FID of `images` against a reference Gaussian (from [`FidNetwork::gaussian`]).
    pub fn distance(&self, reference: &Gaussian, images: &ImageDataset) -> f64 {
        frechet_distance_large(reference, &self.gaussian(images))
    }
}

/// What a generator's samples are measured against: the FID network, the held-out real
/// images' Gaussian in its features, and the floor (as many training images against them,
/// the distance a perfect generator would still get from sampling noise). The GANs and the
/// diffusion samples share it.
pub struct FidReference {
    network: FidNetwork,
    real: Gaussian,
    real_vs_real: f64,
}

impl FidReference {
    /// The reference of `held_out` and the floor of `samples` training images; `None`, and
    /// a note on the run, when the weights are absent. Called before training, so that a
    /// damaged weights file fails the run at once.
    pub fn measure(
        run: &mut crate::Run,
        (train, held_out): (&ImageDataset, &ImageDataset),
        samples: usize,
    ) -> Result<Option<Self>> {
        let Some(network) = FidNetwork::load(&run.data_dir, &run.device)? else {
            run.note(ABSENT);
            return Ok(None);
        };
        let real = network.gaussian(held_out);
        let copies = crate::data::subset(train.clone(), samples, run.seed);
        let real_vs_real = frechet_distance_large(&real, &network.gaussian(&copies));
        Ok(Some(Self {
            network,
            real,
            real_vs_real,
        }))
    }

    /// `fid_inception` of the generated `samples` and its floor `fid_inception_real_vs_real`.
    pub fn add_to(&self, samples: &ImageDataset, figures: &mut BTreeMap<String, f64>) {
        figures.insert(
            "fid_inception".into(),
            self.network.distance(&self.real, samples),
        );
        figures.insert("fid_inception_real_vs_real".into(), self.real_vs_real);
    }
}
