//! The FID as papers report it ([`nn_core::metrics::fid`]: pytorch-fid's InceptionV3 and
//! weights), beside the offline Frechet distance, when `cargo xtask download fid-inception`
//! has put the weights in the data directory. Measured against the same held-out real
//! images as the offline distance, with the same floor (training images against them).

use crate::frechet::{Gaussian, frechet_distance_large};
use nn_core::data::ImageDataset;
use nn_core::metrics::fid::{self, FidNetwork};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// The network, the held-out images' Gaussian in its features, and the floor.
pub struct InceptionReference {
    network: FidNetwork,
    real: Gaussian,
    real_vs_real: f64,
}

impl InceptionReference {
    /// The reference of `held_out` and the floor of `samples` training images; `None`, and a
    /// note on the run, when the weights are absent.
    pub fn measure(
        run: &mut Run,
        (train, held_out): (&ImageDataset, &ImageDataset),
        samples: usize,
    ) -> Result<Option<Self>> {
        let Some(network) = FidNetwork::load(&run.data_dir, &run.device)? else {
            run.note(fid::ABSENT);
            return Ok(None);
        };
        let real = network.gaussian(held_out);
        let copies = nn_core::data::subset(train.clone(), samples, run.seed);
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
