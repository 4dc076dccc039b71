//! The settings all three experiments share (each reads the keys it needs), with the
//! pieces built from them: the schedule, the U-Net's shape, the training settings.

use crate::sampling::{Clipping, Guidance, Sampler};
use crate::schedule::{NoiseSchedule, ScheduleKind};
use crate::training::TrainSettings;
use crate::unet::UNetSpec;
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_rate, require_training};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffusionConfig {
    /// `fashion-mnist` (28x28 grey, the CPU default) or `cifar-10` (32x32 colour).
    pub dataset: String,
    /// Training images (a seeded subset; 0 for all).
    pub train_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub warmup_steps: usize,
    /// Decay the learning rate along a half cosine to 0 after the warm-up.
    #[serde(default)]
    pub cosine_decay: bool,
    /// Mirror training images left-right at random (CIFAR-10; not Fashion-MNIST,
    /// whose shoes all point one way).
    #[serde(default)]
    pub hflip: bool,
    /// Min-SNR-gamma loss weighting of the noise objective (Hang et al. 2023; 0: off).
    #[serde(default)]
    pub min_snr: f64,
    /// EMA decay of the weights used for sampling (0: sample with the last weights).
    pub ema_decay: f64,
    /// Probability of dropping a label to the null class in training.
    pub p_uncond: f64,
    /// Bands of t the loss is reported in.
    pub t_buckets: usize,
    /// Held-out images the per-epoch test loss is measured on.
    pub eval_images: usize,

    /// `linear`, `cosine` or `custom` (then `betas` is the schedule).
    pub schedule: ScheduleKind,
    /// T, the number of diffusion steps (linear and cosine).
    pub steps: usize,
    pub beta_start: f64,
    pub beta_end: f64,
    pub betas: Vec<f64>,

    /// The U-Net: base width, channel multiplier per level, residual blocks per level,
    /// attention at the lowest resolution, group-norm groups, dropout.
    pub width: usize,
    pub channel_mults: Vec<usize>,
    pub res_blocks: usize,
    pub attention: bool,
    pub groups: usize,
    pub dropout: f64,

    /// Sampler for new images: `ddim` with `sample_steps` steps, or `ddpm` (all T steps).
    pub sampler: String,
    pub sample_steps: usize,
    /// Classifier-free guidance scale (1: plain conditioning).
    pub guidance: f64,
    /// How each step's x_0 estimate is clipped: `static` (clamp to [-1, 1]), `dynamic`
    /// (Imagen's thresholding at the `dynamic_quantile` of |x_0|) or `none`.
    #[serde(default = "default_clipping")]
    pub clipping: String,
    #[serde(default = "default_dynamic_quantile")]
    pub dynamic_quantile: f64,
    /// CFG rescale phi (Lin et al. 2023; 0: off).
    #[serde(default)]
    pub cfg_rescale: f64,
    /// Guide only for t/T in (low, high] (Kynkaanniemi et al. 2024); `[0, 1]`: every step.
    #[serde(default = "default_guidance_interval")]
    pub guidance_interval: Vec<f64>,
    /// `diffusion/guidance`: the scales studied, and the ways each is sampled (`static`,
    /// `dynamic`, `rescale`, `interval`).
    #[serde(default = "default_guidance_scales")]
    pub guidance_scales: Vec<f64>,
    #[serde(default = "default_guidance_methods")]
    pub guidance_methods: Vec<String>,
    /// Images per sampling batch.
    pub sample_batch: usize,

    /// `diffusion/hyperparams`: the second configuration's schedule and learning rate.
    pub schedule_b: ScheduleKind,
    pub lr_b: f64,
    /// Samples per class for the recognition rate (class-samples; hyperparams uses a tenth).
    pub samples_per_class: usize,
    /// DDIM step counts compared (class-samples), each on `compare_per_class` samples.
    pub compare_steps: Vec<usize>,
    pub compare_per_class: usize,
    /// Epochs of the judging classifier and its training images (0 for all).
    pub classifier_epochs: usize,
    pub classifier_train_size: usize,

    /// `diffusion/partial-denoise`: the steps t test images are noised to, and how many.
    pub noise_levels: Vec<usize>,
    pub denoise_images: usize,
    /// Use the model of a finished `diffusion/class-samples` run with the same settings
    /// (in the same `--out` folder) instead of training it again.
    pub reuse_model: bool,
}

/// `diffusion/class-samples` and `diffusion/partial-denoise` take these settings as they
/// are (the same presets, so partial-denoise can reuse class-samples' trained model).
impl nn_core::ExperimentConfig for DiffusionConfig {
    fn quick() -> Self {
        Self::quick_base()
    }

    fn full() -> Self {
        Self::full_base()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.check()
    }
}

impl DiffusionConfig {
    /// Minutes on 2 cores: a small U-Net on 12,000 Fashion-MNIST images.
    pub fn quick_base() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 12_000,
            epochs: 1,
            batch_size: 64,
            lr: 1e-3,
            warmup_steps: 100,
            cosine_decay: false,
            hflip: false,
            min_snr: 0.0,
            ema_decay: 0.995,
            p_uncond: 0.1,
            t_buckets: 10,
            eval_images: 256,
            schedule: ScheduleKind::Linear,
            steps: 1000,
            beta_start: 1e-4,
            beta_end: 0.02,
            betas: vec![],
            width: 16,
            channel_mults: vec![1, 2, 2],
            res_blocks: 1,
            attention: false,
            groups: 8,
            dropout: 0.0,
            sampler: "ddim".into(),
            sample_steps: 20,
            guidance: 3.0,
            clipping: default_clipping(),
            dynamic_quantile: default_dynamic_quantile(),
            cfg_rescale: 0.0,
            guidance_interval: default_guidance_interval(),
            guidance_scales: default_guidance_scales(),
            guidance_methods: default_guidance_methods(),
            sample_batch: 250,
            schedule_b: ScheduleKind::Cosine,
            lr_b: 2e-4,
            samples_per_class: 20,
            compare_steps: vec![5, 10, 20],
            compare_per_class: 10,
            classifier_epochs: 1,
            classifier_train_size: 12_000,
            noise_levels: vec![5, 10, 50, 250, 500],
            denoise_images: 16,
            reuse_model: true,
        }
    }

    /// The real assignment on a CPU: a larger U-Net with attention, more data and epochs.
    pub fn full_base() -> Self {
        Self {
            train_size: 0,
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            warmup_steps: 200,
            ema_decay: 0.999,
            width: 16,
            channel_mults: vec![1, 2, 4],
            attention: true,
            sample_steps: 50,
            samples_per_class: 100,
            compare_steps: vec![5, 10, 20, 50],
            compare_per_class: 20,
            classifier_epochs: 3,
            classifier_train_size: 0,
            denoise_images: 64,
            eval_images: 512,
            ..Self::quick_base()
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        self.check_training_and_schedule()?;
        self.check_network()?;
        self.check_sampling_and_guidance()?;
        self.check_judge_and_denoising()
    }

    /// The training budget, EMA, label dropout, loss bands and the noise schedule, checked
    /// first because every experiment trains.
    fn check_training_and_schedule(&self) -> Result<(), ConfigError> {
        require_training(self.epochs, self.batch_size, self.lr)?;
        require_rate("lr_b", self.lr_b)?;
        require(
            self.min_snr >= 0.0 && self.min_snr.is_finite(),
            "min_snr",
            "must be 0 (off) or a positive gamma such as 5",
        )?;
        require(
            (0.0..1.0).contains(&self.ema_decay),
            "ema_decay",
            "must be in [0, 1)",
        )?;
        require(
            (0.0..1.0).contains(&self.p_uncond),
            "p_uncond",
            "must be in [0, 1)",
        )?;
        require(self.t_buckets > 0, "t_buckets", "must be positive")?;
        require(self.steps >= 2, "steps", "T must be at least 2")?;
        require(
            0.0 < self.beta_start && self.beta_start <= self.beta_end && self.beta_end < 1.0,
            "beta_start",
            "need 0 < beta_start <= beta_end < 1",
        )?;
        self.schedule()?;
        Ok(())
    }

    /// The U-Net's shape: width, levels, blocks, groups and dropout.
    fn check_network(&self) -> Result<(), ConfigError> {
        require(self.width > 0, "width", "must be positive")?;
        require(
            !self.channel_mults.is_empty() && self.channel_mults.iter().all(|m| *m > 0),
            "channel_mults",
            "must list one positive multiplier per resolution level",
        )?;
        require(self.res_blocks > 0, "res_blocks", "must be positive")?;
        require(self.groups > 0, "groups", "must be positive")?;
        require(
            (0.0..1.0).contains(&self.dropout),
            "dropout",
            "must be in [0, 1)",
        )
    }

    /// The sampler and everything about classifier-free guidance: scale, clipping,
    /// rescale, interval, the studied scales and methods, and the sampling batch.
    fn check_sampling_and_guidance(&self) -> Result<(), ConfigError> {
        self.sampler()?;
        require(self.sample_steps > 0, "sample_steps", "must be positive")?;
        require(
            self.guidance >= 0.0 && self.guidance.is_finite(),
            "guidance",
            "must be 0 or more (1: no guidance)",
        )?;
        self.clipping()?;
        require(
            0.5 <= self.dynamic_quantile && self.dynamic_quantile <= 1.0,
            "dynamic_quantile",
            "must be in [0.5, 1] (Imagen: 0.995)",
        )?;
        require(
            (0.0..=1.0).contains(&self.cfg_rescale),
            "cfg_rescale",
            "must be in [0, 1] (0: off; Lin et al.: 0.7)",
        )?;
        require(
            matches!(self.guidance_interval.as_slice(), [low, high] if 0.0 <= *low && low < high && *high <= 1.0),
            "guidance_interval",
            "must be [low, high] with 0 <= low < high <= 1 (fractions of T; [0, 1]: every step)",
        )?;
        require(
            !self.guidance_scales.is_empty()
                && self
                    .guidance_scales
                    .iter()
                    .all(|s| s.is_finite() && *s >= 0.0),
            "guidance_scales",
            "must list scales of 0 or more",
        )?;
        require(
            !self.guidance_methods.is_empty()
                && self
                    .guidance_methods
                    .iter()
                    .all(|m| ["static", "dynamic", "rescale", "interval"].contains(&m.as_str())),
            "guidance_methods",
            "must list methods among static, dynamic, rescale, interval",
        )?;
        require(self.sample_batch > 0, "sample_batch", "must be positive")
    }

    /// The step-count comparison, the judging classifier and the partial-denoising
    /// noise levels and image count.
    fn check_judge_and_denoising(&self) -> Result<(), ConfigError> {
        require(
            self.compare_steps.iter().all(|s| *s > 0),
            "compare_steps",
            "step counts must be positive",
        )?;
        require(
            self.classifier_epochs > 0,
            "classifier_epochs",
            "must be positive",
        )?;
        let t_max = self.t_max();
        require(
            self.noise_levels.iter().all(|t| (1..=t_max).contains(t)),
            "noise_levels",
            "each t must be between 1 and T",
        )?;
        require(
            self.denoise_images > 0,
            "denoise_images",
            "must be positive",
        )
    }

    /// The schedule of `kind` with this config's T and betas.
    pub fn schedule_of(&self, kind: &ScheduleKind) -> Result<NoiseSchedule, ConfigError> {
        Ok(match kind {
            ScheduleKind::Linear => {
                NoiseSchedule::linear(self.steps, self.beta_start, self.beta_end)
            }
            ScheduleKind::Cosine => NoiseSchedule::cosine(self.steps),
            ScheduleKind::Custom => NoiseSchedule::custom(self.betas.clone())?,
        })
    }

    pub fn schedule(&self) -> Result<NoiseSchedule, ConfigError> {
        self.schedule_of(&self.schedule)
    }

    pub fn sampler(&self) -> Result<Sampler, ConfigError> {
        match self.sampler.as_str() {
            "ddim" => Ok(Sampler::Ddim(self.sample_steps)),
            "ddpm" => Ok(Sampler::Ddpm),
            _ => Err(ConfigError::Key {
                key: "sampler".into(),
                message: format!("`{}` is not a sampler: use `ddim` or `ddpm`", self.sampler),
            }),
        }
    }

    /// The U-Net for images of `shape` (channels, side), conditioned on `classes` (0: not).
    pub fn unet(&self, channels: usize, classes: usize) -> UNetSpec {
        UNetSpec {
            channels,
            width: self.width,
            channel_mults: self.channel_mults.clone(),
            res_blocks: self.res_blocks,
            attention: self.attention,
            groups: self.groups,
            dropout: self.dropout,
            classes,
        }
    }

    /// The `clipping` setting, checked.
    pub fn clipping(&self) -> Result<Clipping, ConfigError> {
        match self.clipping.as_str() {
            "static" => Ok(Clipping::Static),
            "dynamic" => Ok(Clipping::Dynamic(self.dynamic_quantile)),
            "none" => Ok(Clipping::Off),
            other => Err(ConfigError::Key {
                key: "clipping".into(),
                message: format!("`{other}` is not a clipping: use `static`, `dynamic` or `none`"),
            }),
        }
    }

    /// T: the schedule's number of steps.
    fn t_max(&self) -> usize {
        if self.schedule == ScheduleKind::Custom {
            self.betas.len()
        } else {
            self.steps
        }
    }

    pub fn guidance(&self, spec: &UNetSpec) -> Option<Guidance> {
        let t = self.t_max() as f64;
        let (low, high) = match self.guidance_interval.as_slice() {
            [low, high] => ((low * t).round() as usize, (high * t).round() as usize),
            _ => (0, self.t_max()),
        };
        (spec.classes > 0).then(|| Guidance {
            scale: self.guidance,
            null_class: spec.null_class(),
            rescale: self.cfg_rescale,
            interval: (low, high),
            clipping: self.clipping().unwrap_or(Clipping::Static),
        })
    }

    pub fn train_settings(&self, lr: f64) -> TrainSettings {
        TrainSettings {
            objective: crate::training::Objective::Noise,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr,
            warmup_steps: self.warmup_steps,
            cosine_decay: self.cosine_decay,
            hflip: self.hflip,
            min_snr: self.min_snr,
            ema_decay: self.ema_decay,
            p_uncond: self.p_uncond,
            t_buckets: self.t_buckets,
            eval_images: self.eval_images,
        }
    }
}

fn default_clipping() -> String {
    "static".into()
}

fn default_dynamic_quantile() -> f64 {
    0.995
}

fn default_guidance_interval() -> Vec<f64> {
    vec![0.0, 1.0]
}

fn default_guidance_scales() -> Vec<f64> {
    vec![0.0, 1.0, 2.0, 3.0, 5.0]
}

fn default_guidance_methods() -> Vec<String> {
    ["static", "dynamic", "rescale", "interval"]
        .map(String::from)
        .to_vec()
}
