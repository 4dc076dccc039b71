//! The one settings type of the week: what both GAN experiments read (each the
//! architecture keys it needs), how the adversarial loop is run and how it is watched.

use crate::augment::AugmentPolicy;
use crate::losses::GanLoss;
use crate::models::{DcganOptions, Upsampling};
use nn_core::error::ConfigError;
use nn_core::experiment::require;

/// Settings of both GAN experiments (each reads the architecture keys it needs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanConfig {
    /// A folder of images to train on instead of the `cats` data set ("" for cats).
    pub images: String,
    /// Where the cats come from when `images` is empty: `cats`, the data set of that name
    /// (what `cargo xtask download cats` builds from CIFAR-10's cat class), `cat-faces`
    /// (Oxford-IIIT Pet's cat heads at 64x64, `cargo xtask download cat-faces`), or `cifar-10`,
    /// the cat class read straight from the CIFAR-10 data set, train and test: the same
    /// images, on a machine whose `cats` folder holds other photos.
    #[serde(default = "default_cats_from")]
    pub cats_from: String,
    /// With `images`: leave out files that cannot be decoded (each named in a warning)
    /// instead of stopping at the first.
    #[serde(default)]
    pub skip_unreadable_images: bool,
    /// Side the images are brought to (32 or 64) and whether to make them grey.
    pub side: usize,
    /// Train on grey images (faster).
    pub grey: bool,
    /// Real images used (a seeded subset; 0 for all).
    pub train_size: usize,
    /// Passes over the real images.
    pub epochs: usize,
    /// Real images per batch (and as many fakes).
    pub batch_size: usize,
    /// Leave out each epoch's last, smaller batch.
    pub full_batches: bool,
    /// The generator's learning rate.
    pub lr_generator: f64,
    /// The discriminator's learning rate (Jolicoeur-Martineau's cats: 5e-5 against G's 2e-4).
    pub lr_discriminator: f64,
    /// The game: "non-saturating", "ralsgan" or "hinge".
    pub loss: GanLoss,
    /// DiffAugment of D's inputs: "auto" (below 10,000 training images), "diff" or "none".
    pub augment: AugmentPolicy,
    /// DCGAN: DCGAN's initialisation (N(0, 0.02); batch-norm scales N(1, 0.02)) instead of
    /// burn's.
    pub dcgan_init: bool,
    /// DCGAN: how G doubles its maps, "transposed" (4x4 transposed convolution) or
    /// "nearest" (nearest doubling + 3x3 convolution: no checkerboard).
    pub upsampling: Upsampling,
    /// DCGAN: D's weights spectrally normalised, its batch norms left out.
    pub spectral_norm: bool,
    /// Decay of the exponential moving average of G's weights that samples are drawn from
    /// (0: none, samples come from the last step's G). An average over the last few hundred
    /// steps smooths the oscillation of the game (Yazici et al. 2019).
    #[serde(default)]
    pub ema_decay: f64,
    /// Adam's betas (0.5, 0.999 is the usual choice for GANs).
    pub beta_1: f64,
    /// See `beta_1`.
    pub beta_2: f64,
    /// Discriminator updates per batch.
    pub d_steps: usize,
    /// Generator updates per batch.
    pub g_steps: usize,
    /// Length of the noise vector z.
    pub latent: usize,
    /// Fully connected GAN: the generator's hidden layer sizes.
    pub hidden_generator: Vec<usize>,
    /// Fully connected GAN: the discriminator's hidden layer sizes.
    pub hidden_discriminator: Vec<usize>,
    /// DCGAN: channels at full resolution (doubling towards 4x4).
    pub width: usize,
    /// Epochs whose samples go into the progression strip (the last always does).
    pub snapshot_epochs: Vec<usize>,
    /// Generated images per Frechet distance.
    pub frechet_samples: usize,
    /// Share of the real images held out as the Frechet reference: the GAN does not train
    /// on them, so copying training images cannot score best.
    pub frechet_held_out: f64,
    /// Mode collapse is warned of below this fraction of the real images' diversity.
    pub collapse_ratio: f64,
}

impl GanConfig {
    /// The quick preset both experiments start from.
    pub(crate) fn quick_base() -> Self {
        Self {
            images: String::new(),
            cats_from: default_cats_from(),
            skip_unreadable_images: false,
            side: 32,
            grey: false,
            train_size: 0,
            epochs: 20,
            batch_size: 64,
            full_batches: true,
            lr_generator: 2e-4,
            lr_discriminator: 2e-4,
            loss: GanLoss::NonSaturating,
            augment: AugmentPolicy::Auto,
            dcgan_init: true,
            upsampling: Upsampling::Transposed,
            spectral_norm: false,
            ema_decay: 0.0,
            beta_1: 0.5,
            beta_2: 0.999,
            d_steps: 1,
            g_steps: 1,
            latent: 64,
            hidden_generator: vec![256, 512, 1024],
            hidden_discriminator: vec![512, 256],
            width: 32,
            snapshot_epochs: vec![1, 2, 5, 10],
            frechet_samples: 1_000,
            frechet_held_out: 0.2,
            collapse_ratio: 0.2,
        }
    }

    /// The cats (or CIFAR-10, with `cats_from = "cifar-10"`), unless `images` names a
    /// folder of one's own.
    pub(crate) fn fixed_datasets(&self) -> Vec<String> {
        if self.images.is_empty() {
            vec![self.cats_from.clone()]
        } else {
            Vec::new()
        }
    }

    /// The name the fixed feature network is kept under: the catalog's data set, or the
    /// folder of one's own (not in the catalog: trained on its images, not cached).
    pub(crate) fn source_name(&self) -> String {
        if self.images.is_empty() {
            self.cats_from.clone()
        } else {
            self.images.clone()
        }
    }

    /// The checks both experiments make.
    pub(crate) fn check(&self) -> std::result::Result<(), ConfigError> {
        require(
            ["cats", "cat-faces", "cifar-10"].contains(&self.cats_from.as_str()),
            "cats_from",
            "must be \"cats\" (the data set folder), \"cat-faces\" (Oxford-IIIT Pet's cat heads) or \"cifar-10\" (CIFAR-10's cat class)",
        )?;
        require(
            [32, 64].contains(&self.side),
            "side",
            "must be 32 or 64 (the DCGAN doubles from 4x4)",
        )?;
        require(self.epochs > 0, "epochs", "must be positive")?;
        nn_core::experiment::require_rate("lr_generator", self.lr_generator)?;
        nn_core::experiment::require_rate("lr_discriminator", self.lr_discriminator)?;
        require(
            (0.0..1.0).contains(&self.ema_decay),
            "ema_decay",
            "must be in [0, 1): 0 turns the average of G's weights off, 0.99-0.999 is usual",
        )?;
        require(self.batch_size > 1, "batch_size", "must be at least 2")?;
        require(
            (0.0..1.0).contains(&self.beta_1) && (0.0..1.0).contains(&self.beta_2),
            "beta_1",
            "Adam's betas must be in [0, 1)",
        )?;
        require(
            self.d_steps > 0 && self.g_steps > 0,
            "d_steps",
            "d_steps and g_steps must be positive",
        )?;
        require(self.latent > 0, "latent", "must be positive")?;
        require(self.width >= 4, "width", "must be at least 4")?;
        require(
            self.frechet_samples >= 10,
            "frechet_samples",
            "must be at least 10",
        )?;
        require(
            self.frechet_held_out > 0.0 && self.frechet_held_out <= 0.5,
            "frechet_held_out",
            "must be in (0, 0.5]: a share of the real images kept out of training",
        )
    }

    /// Batches per epoch over `images` real images: the smaller last one left out with
    /// `full_batches` (unless it is the only one).
    pub fn steps_per_epoch(&self, images: usize) -> usize {
        let batch = self.batch_size.max(1);
        if self.full_batches {
            (images / batch).max(1)
        } else {
            images.div_ceil(batch)
        }
    }

    /// The DCGAN pair's departures from burn's defaults.
    pub fn dcgan_options(&self) -> DcganOptions {
        DcganOptions {
            upsampling: self.upsampling,
            dcgan_init: self.dcgan_init,
            spectral_norm: self.spectral_norm,
        }
    }
}

fn default_cats_from() -> String {
    "cats".into()
}
