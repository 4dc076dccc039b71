//! The training-step workloads of `ngvm bench`: the course's own models at the batch sizes
//! the course trains them with, one step = forward + loss + backward + optimiser update +
//! reading the loss back (the synchronisation point; the course's loops read it too).
//! `bench/pytorch/bench.py` mirrors each one layer for layer.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::tensor::activation::softplus;
use burn::tensor::{Distribution, Int};
use diffusion::schedule::NoiseSchedule;
use diffusion::training::noise_mse;
use diffusion::unet::UNet;
use gans::models::{DcDiscriminator, DcGenerator, Discriminator, Generator};
use nn_core::data::ImageShape;
use nn_core::models::Mlp;
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ImageClassifier, ModelState, OptimizerKind, adam};
use rand::{RngExt, SeedableRng};
use transfer::models::vgg::{Vgg, VggConfig};

/// One training workload: its name, batch, and what it models.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub name: &'static str,
    pub batch: usize,
    pub about: &'static str,
}

/// Every training workload, in course order.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "mlp-fashion",
        batch: 128,
        about: "MLP 784-256-128-10 (mlp/burn), Adam",
    },
    Workload {
        name: "cnn-fashion",
        batch: 128,
        about: "SmallCnn 32-64-64 + BN, 28x28x1 (cnn/fashion-mnist), Adam",
    },
    Workload {
        name: "cnn-cifar",
        batch: 64,
        about: "SmallCnn 32-64-128 + BN, 32x32x3, 100 classes (cnn/cifar100), Adam",
    },
    Workload {
        name: "vgg19-32",
        batch: 32,
        about: "VGG-19 + BN, full width, 32x32x3 (transfer/vgg19-cifar10), Adam",
    },
    Workload {
        name: "unet-32",
        batch: 32,
        about: "diffusion U-Net (full preset: width 16, [1,2,4], attention), 32x32x3, noise MSE, Adam",
    },
    Workload {
        name: "dcgan-64",
        batch: 64,
        about: "DCGAN 32x32x3, width 32: one discriminator + one generator step, Adam(0.5, 0.999)",
    },
];

/// A prepared workload: call it for one step; it returns the loss it read back.
pub type Step = Box<dyn FnMut() -> f32>;

/// Builds `name` on `device` (an autodiff device) with fixed random inputs, at its own
/// batch size or at `batch` (`ngvm bench --batch`, e.g. 256 on a GPU).
pub fn build(name: &str, batch: Option<usize>, device: &Device) -> Option<(Step, usize)> {
    let batch = batch.unwrap_or(WORKLOADS.iter().find(|w| w.name == name)?.batch);
    device.seed(42);
    let step: Step = match name {
        "mlp-fashion" => classifier(fashion_mlp(device), FASHION, 10, batch, device),
        "cnn-fashion" => classifier(fashion_cnn(device), FASHION, 10, batch, device),
        "cnn-cifar" => classifier(cifar_cnn(device), CIFAR, 100, batch, device),
        "vgg19-32" => classifier(vgg19(device), CIFAR, 10, batch, device),
        "unet-32" => unet(batch, device),
        "dcgan-64" => dcgan(batch, device),
        _ => return None,
    };
    Some((step, batch))
}

/// The number of trainable parameters of `name`'s model(s) (checked against PyTorch's).
pub fn parameters(name: &str, device: &Device) -> Option<usize> {
    Some(match name {
        "mlp-fashion" => fashion_mlp(device).learnable(),
        "cnn-fashion" => fashion_cnn(device).learnable(),
        "cnn-cifar" => cifar_cnn(device).learnable(),
        "vgg19-32" => vgg19(device).learnable(),
        "unet-32" => UNet::new(&unet_spec(), device).learnable(),
        "dcgan-64" => {
            let (g, d) = dcgan_pair(device);
            g.learnable() + d.learnable()
        }
        _ => return None,
    })
}

const FASHION: ImageShape = ImageShape::new(1, 28, 28);
const CIFAR: ImageShape = ImageShape::new(3, 32, 32);

/// mlp/burn's MLP.
fn fashion_mlp(device: &Device) -> Mlp {
    Mlp::new(&[784, 256, 128, 10], 0.0, device)
}

/// cnn/fashion-mnist's CNN.
fn fashion_cnn(device: &Device) -> SmallCnn {
    small_cnn(&[32, 64, 64], 128, 0.25, FASHION, 10, device)
}

/// cnn/cifar100's CNN.
fn cifar_cnn(device: &Device) -> SmallCnn {
    small_cnn(&[32, 64, 128], 256, 0.3, CIFAR, 100, device)
}

/// VGG-19 with batch norm at full width, the head of transfer/vgg19-cifar10.
fn vgg19(device: &Device) -> Vgg {
    VggConfig::new(19)
        .with_classes(10)
        .with_batch_norm(true)
        .with_hidden(256)
        .with_pool(1)
        .init(device)
        .expect("19 is a VGG depth")
}

/// The DCGAN of gans/dcgan at 32x32 colour, width 32, latent 64.
fn dcgan_pair(device: &Device) -> (DcGenerator, DcDiscriminator) {
    (
        DcGenerator::new(64, 32, 3, 32, device),
        DcDiscriminator::new(32, 3, 32, device),
    )
}

/// Trainable parameters (batch norm's running statistics are not: PyTorch counts the same).
trait Learnable {
    fn learnable(&self) -> usize;
}

impl<M: Module> Learnable for M {
    fn learnable(&self) -> usize {
        nn_core::train::learnable_parameter_count(self)
    }
}

fn small_cnn(
    channels: &[usize],
    hidden: usize,
    dropout: f64,
    input: ImageShape,
    classes: usize,
    device: &Device,
) -> SmallCnn {
    let spec = CnnSpec {
        channels: channels.to_vec(),
        batch_norm: true,
        hidden,
        dropout,
    };
    SmallCnn::new(&spec, input, classes, device)
}

/// Cross-entropy training of an image classifier with Adam (lr 1e-3), as the course's
/// classifier path does.
fn classifier<M: ImageClassifier + 'static>(
    model: M,
    shape: ImageShape,
    classes: usize,
    batch: usize,
    device: &Device,
) -> Step {
    let images = Tensor::<4>::random(
        [batch, shape.channels, shape.height, shape.width],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let labels: Vec<i64> = (0..batch)
        .map(|_| rng.random_range(0..classes as i64))
        .collect();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch]), device);
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut state = Some(ModelState::new(model, OptimizerKind::Adam.init()));
    Box::new(move || {
        let s = state.take().expect("state is put back after every step");
        let loss = loss_fn.forward(s.model.forward(images.clone()), labels.clone());
        let value = loss.clone().into_scalar::<f32>();
        state = Some(s.step(1e-3, loss));
        value
    })
}

/// The diffusion U-Net of the full preset, conditional on 10 classes, at 32x32 colour.
fn unet_spec() -> diffusion::unet::UNetSpec {
    diffusion::config::DiffusionConfig::full_base().unet(3, 10)
}

/// One step of `train_diffusion`: noise MSE at uniform t with labels, Adam (lr 1e-3).
fn unet(batch: usize, device: &Device) -> Step {
    let schedule = NoiseSchedule::linear(1000, 1e-4, 0.02);
    let x0 = Tensor::<4>::random([batch, 3, 32, 32], Distribution::Uniform(-1.0, 1.0), device);
    let noise = Tensor::<4>::random([batch, 3, 32, 32], Distribution::Normal(0.0, 1.0), device);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let t: Vec<usize> = (0..batch).map(|_| rng.random_range(1..=1000)).collect();
    let labels: Vec<usize> = (0..batch).map(|_| rng.random_range(0..10)).collect();
    let mut state = Some(ModelState::new(
        UNet::new(&unet_spec(), device),
        adam(0.9, 0.999),
    ));
    Box::new(move || {
        let s = state.take().expect("state is put back after every step");
        let loss = noise_mse(
            &s.model,
            &schedule,
            x0.clone(),
            noise.clone(),
            &t,
            Some(&labels),
        )
        .mean();
        let value = loss.clone().into_scalar::<f32>();
        state = Some(s.step(1e-3, loss));
        value
    })
}

/// One batch of the GAN loop: a discriminator step on real and detached fake images, then
/// a generator step with the non-saturating loss; BCE on logits; Adam(2e-4, 0.5, 0.999).
fn dcgan(batch: usize, device: &Device) -> Step {
    let latent = 64;
    let real = Tensor::<4>::random([batch, 3, 32, 32], Distribution::Uniform(-1.0, 1.0), device);
    let (generator, discriminator) = dcgan_pair(device);
    let mut g = Some(ModelState::new(generator, adam(0.5, 0.999)));
    let mut d = Some(ModelState::new(discriminator, adam(0.5, 0.999)));
    let device = device.clone();
    Box::new(move || {
        let (gs, ds) = (g.take().expect("put back"), d.take().expect("put back"));
        let z = Tensor::<2>::random([batch, latent], Distribution::Normal(0.0, 1.0), &device);
        let fake = gs.model.generate(z).detach();
        let d_loss = softplus(ds.model.logits(real.clone()).neg(), 1.0).mean()
            + softplus(ds.model.logits(fake), 1.0).mean();
        let d_value = d_loss.clone().into_scalar::<f32>();
        let ds = ds.step(2e-4, d_loss);
        let z = Tensor::<2>::random([batch, latent], Distribution::Normal(0.0, 1.0), &device);
        let g_loss = softplus(ds.model.logits(gs.model.generate(z)).neg(), 1.0).mean();
        let g_value = g_loss.clone().into_scalar::<f32>();
        g = Some(gs.step(2e-4, g_loss));
        d = Some(ds);
        d_value + g_value
    })
}
