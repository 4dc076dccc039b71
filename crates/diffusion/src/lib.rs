//! Week 5 of the course: denoising diffusion. A fixed forward process buries images in
//! Gaussian noise over T small steps; a U-Net learns to predict the noise, and running
//! the process backwards with it turns pure noise into new images.

pub mod blocks;
pub mod config;
pub mod experiments;
pub mod figures;
pub mod flow;
pub mod recognizer;
pub mod sampling;
pub mod schedule;
pub mod training;
pub mod unet;

use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "5",
    title: "Diffusion models",
    text: "Images are buried in noise step by step; a U-Net learns to predict the noise, and running the process backwards turns noise into images. Schedules, learning rates and the number of denoising steps decide how good and how fast.",
};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(experiment::<experiments::hyperparams::HyperparamsConfig>("diffusion/hyperparams", "The assignment: two schedule + learning-rate configurations, same budget: losses, samples, recognition", experiments::hyperparams::run).guide(experiments::hyperparams::GUIDE).quick_caveat(experiments::hyperparams::QUICK_CAVEAT))
        .with(experiment::<experiments::one_factor::OneFactorConfig>("diffusion/one-factor", "One factor at a time from a baseline: learning rate, beta schedule, number of steps T; recognition over seeds", experiments::one_factor::run).guide(experiments::one_factor::GUIDE).headline(experiments::one_factor::HEADLINE).quick_caveat(experiments::one_factor::QUICK_CAVEAT))
        .with(experiment::<config::DiffusionConfig>("diffusion/class-samples", "One sample of each class (class-conditional U-Net, classifier-free guidance), judged by a CNN; DDIM step-count trade-off", experiments::class_samples::run).guide(experiments::class_samples::GUIDE))
        .with(experiment::<experiments::class_samples_cifar10::CifarClassSamplesConfig>("diffusion/class-samples-cifar10", "The assignment on the course's data: one sample of each CIFAR-10 class, judged by a CNN measured on real test images; DDIM step-count trade-off", experiments::class_samples_cifar10::run).guide(experiments::class_samples_cifar10::GUIDE).quick_caveat(experiments::class_samples_cifar10::QUICK_CAVEAT))
        .with(experiment::<experiments::guidance::GuidanceStudyConfig>("diffusion/guidance", "Classifier-free guidance scales 0-5 on the CIFAR-10 model, each with static clipping, dynamic thresholding, CFG rescale and a guidance interval: recognition and colour against real images", experiments::guidance::run).guide(experiments::guidance::GUIDE).headline(experiments::guidance::HEADLINE).quick_caveat(experiments::guidance::QUICK_CAVEAT))
        .with(experiment::<experiments::flow_matching::FlowMatchingConfig>("diffusion/flow-matching", "Rectified flow beside DDPM: the same class-conditional U-Net, data and budget; recognition and realism against the number of network evaluations (DDIM; Euler and Heun), over seeds", experiments::flow_matching::run).guide(experiments::flow_matching::GUIDE).headline(experiments::flow_matching::HEADLINE))
        .with(experiment::<config::DiffusionConfig>("diffusion/partial-denoise", "Real images noised to t = 5..500 and denoised back: PSNR before and after", experiments::partial_denoise::run).guide(experiments::partial_denoise::GUIDE))
}
