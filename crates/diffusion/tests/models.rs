//! The U-Net's shapes and conditioning, the EMA's arithmetic, and one short training run.

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use diffusion::unet::{UNet, UNetSpec};
use nn_core::train::Ema;
use nn_core::train::parameter_values;

fn spec(channels: usize, mults: Vec<usize>, classes: usize, attention: bool) -> UNetSpec {
    UNetSpec {
        channels,
        width: 8,
        channel_mults: mults,
        res_blocks: 1,
        attention,
        groups: 4,
        dropout: 0.0,
        classes,
    }
}

#[test]
fn unet_keeps_the_image_shape_at_28_grey_and_32_colour() {
    let _serial = crate::serial();
    let device = Device::flex();
    for (c, side, mults) in [
        (1, 28, vec![1, 2, 2]),
        (3, 32, vec![1, 2, 2, 2]),
        (1, 28, vec![1]),
    ] {
        for (classes, attention) in [(0, false), (10, true)] {
            let s = spec(c, mults.clone(), classes, attention);
            assert!(s.fits(side));
            let model = UNet::new(&s, &device);
            let x =
                Tensor::<4>::random([3, c, side, side], Distribution::Normal(0.0, 1.0), &device);
            let labels = (classes > 0).then_some(vec![0, 9, 10]);
            let y = model.forward(x, &[0, 500, 999], labels.as_deref());
            assert_eq!(
                y.dims(),
                [3, c, side, side],
                "{c}x{side} {:?}",
                s.channel_mults
            );
        }
    }
    assert!(
        !spec(1, vec![1, 2, 2, 2], 0, false).fits(28),
        "28 does not halve three times"
    );
}

/// The output layer starts at zero (as in DDPM), so a fresh network predicts no noise;
/// after one training step the time and label inputs change its output.
#[test]
fn time_and_label_reach_the_output() {
    let _serial = crate::serial();
    let device = Device::flex();
    nn_core::backend::seed_device(&device, 3, "init");
    let s = spec(1, vec![1, 2], 10, true);
    let model = UNet::new(&s, &device);
    let x = Tensor::<4>::random([2, 1, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    let fresh: Vec<f32> = model
        .forward(x.clone(), &[10, 10], Some(&[1, 1]))
        .into_data()
        .try_into_vec()
        .unwrap();
    assert!(fresh.iter().all(|v| *v == 0.0));
    // Zero-initialised layers (each block's second convolution, the output) make every
    // block start as the identity: jitter all weights, then vary only t, only the label.
    let model = model.map(&mut Jitter);
    let out = |t: usize, label: usize| -> Vec<f32> {
        model
            .forward(x.clone(), &[t, t], Some(&[label, label]))
            .into_data()
            .try_into_vec()
            .unwrap()
    };
    let differs = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f32, f32::max)
            > 1e-4
    };
    assert!(
        differs(&out(10, 1), &out(900, 1)),
        "the step does not reach the output"
    );
    assert!(
        differs(&out(10, 1), &out(10, 7)),
        "the label does not reach the output"
    );
    assert!(
        differs(&out(10, 1), &out(10, 10)),
        "the null class is not a class of its own"
    );
    let none: Vec<f32> = model
        .forward(x.clone(), &[10, 10], None)
        .into_data()
        .try_into_vec()
        .unwrap();
    assert!(
        !differs(&none, &out(10, 10)),
        "no labels must mean the null class"
    );
}

#[test]
fn ema_blends_by_its_decay_and_warms_up() {
    let _serial = crate::serial();
    let device = Device::flex();
    let s = spec(1, vec![1], 0, false);
    let zeros = UNet::new(&s, &device).map(&mut Fill(0.0));
    let ones = UNet::new(&s, &device).map(&mut Fill(1.0));
    let ema = Ema::new(zeros, 0.9);
    // First update: decay min(0.9, 1/10) = 0.1, so the average moves 90% of the way.
    assert!((ema.current_decay() - 0.1).abs() < 1e-12);
    let ema = ema.update(&ones);
    assert!(
        parameter_values(&ema.model)
            .iter()
            .all(|v| (v - 0.9).abs() < 1e-6)
    );
    // Many updates later the decay is the configured 0.9.
    let mut ema = ema;
    ema.updates = 1_000;
    assert!((ema.current_decay() - 0.9).abs() < 1e-12);
    let ema = ema.update(&UNet::new(&s, &device).map(&mut Fill(2.0)));
    assert!(
        parameter_values(&ema.model)
            .iter()
            .all(|v| (v - (0.9 * 0.9 + 0.1 * 2.0)).abs() < 1e-6)
    );
}

/// Adds small Gaussian noise to every float parameter.
struct Jitter;

impl burn::module::ModuleMapper for Jitter {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        param.map(|t| {
            let noise = t.random_like(Distribution::Normal(0.0, 0.05));
            t + noise
        })
    }
}

/// Sets every float parameter to one value.
struct Fill(f32);

impl burn::module::ModuleMapper for Fill {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        let value = self.0;
        param.map(|t| t.ones_like() * value)
    }
}

fn open_run(out: &std::path::Path, resume: Option<std::path::PathBuf>) -> nn_core::run::Run {
    nn_core::run::Run::open(nn_core::run::RunOptions {
        seed: 5,
        data_dir: out.into(),
        resume,
        ..nn_core::run::RunOptions::new("diffusion/test", out)
    })
    .unwrap()
}

fn settings(epochs: usize) -> diffusion::training::TrainSettings {
    diffusion::training::TrainSettings {
        objective: diffusion::training::Objective::Noise,
        epochs,
        batch_size: 32,
        lr: 2e-3,
        warmup_steps: 10,
        cosine_decay: false,
        hflip: false,
        min_snr: 0.0,
        ema_decay: 0.9,
        p_uncond: 0.1,
        t_buckets: 4,
        eval_images: 64,
    }
}

/// A few dozen steps on small synthetic shapes lower the held-out noise-prediction loss
/// well below 1 (the loss of predicting no noise at all), hardest at small t.
#[test]
fn training_lowers_the_noise_prediction_loss() {
    let _serial = crate::serial();
    use diffusion::schedule::NoiseSchedule;
    use diffusion::training::train_diffusion;
    let out = tempfile::tempdir().unwrap();
    let mut run = open_run(out.path(), None);
    let data = nn_core::data::synthetic::shapes(640, 16, true, 5);
    let (train, test) = data.split_off(0.1, 5);
    let s = spec(1, vec![1, 2], 0, false);
    let schedule = NoiseSchedule::linear(100, 1e-4, 0.05);
    let trained = train_diffusion(&mut run, &s, &schedule, &train, &test, &settings(2)).unwrap();
    assert!(
        trained.test_loss < 0.6,
        "held-out loss {}",
        trained.test_loss
    );
    assert_eq!(trained.final_bucket_losses.len(), 4);
    let first = trained.final_bucket_losses[0];
    assert!(
        trained.final_bucket_losses[1..].iter().all(|v| *v < first),
        "{:?}",
        trained.final_bucket_losses
    );
    let steps = std::fs::read_to_string(run.path("steps.jsonl")).unwrap();
    assert_eq!(steps.lines().count(), 2 * 576usize.div_ceil(32));
}

/// The same loop with the velocity objective (flow matching) lowers the held-out loss far
/// below that of an untrained U-Net, which answers zero: E|eps - x0|^2 = 1 + E[x0^2].
#[test]
fn flow_matching_training_lowers_the_velocity_loss() {
    let _serial = crate::serial();
    use diffusion::schedule::NoiseSchedule;
    use diffusion::training::{Objective, train_diffusion};
    let out = tempfile::tempdir().unwrap();
    let mut run = open_run(out.path(), None);
    let data = nn_core::data::synthetic::shapes(640, 16, true, 5);
    let (train, test) = data.split_off(0.1, 5);
    let s = spec(1, vec![1, 2], 0, false);
    let schedule = NoiseSchedule::linear(100, 1e-4, 0.05);
    let settings = diffusion::training::TrainSettings {
        objective: Objective::Velocity,
        ..settings(2)
    };
    let trained = train_diffusion(&mut run, &s, &schedule, &train, &test, &settings).unwrap();
    let indices: Vec<usize> = (0..test.len().min(64)).collect();
    let x0 = nn_core::data::batch_images(
        &test,
        &indices,
        &nn_core::data::Normalization::symmetric(1),
        &burn::prelude::Device::flex(),
    );
    let untrained = 1.0 + x0.powi_scalar(2).mean().into_scalar::<f32>() as f64;
    assert!(
        trained.test_loss < 0.6 * untrained,
        "held-out loss {} against {untrained} untrained",
        trained.test_loss
    );
}

/// Stopping after epoch 1 and resuming gives the same model, EMA included, as training
/// two epochs straight; the step log has each step once.
#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    let _serial = crate::serial();
    use diffusion::schedule::NoiseSchedule;
    use diffusion::training::train_diffusion;
    let data = nn_core::data::synthetic::shapes(320, 8, true, 9);
    let (train, test) = data.split_off(0.1, 9);
    let s = spec(1, vec![1, 2], 10, false);
    let schedule = NoiseSchedule::cosine(50);
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = train_diffusion(
        &mut open_run(straight_dir.path(), None),
        &s,
        &schedule,
        &train,
        &test,
        &settings(2),
    )
    .unwrap();

    let split_dir = tempfile::tempdir().unwrap();
    let mut first = open_run(split_dir.path(), None);
    first.write_config(&serde_json::json!({})).unwrap();
    train_diffusion(&mut first, &s, &schedule, &train, &test, &settings(1)).unwrap();
    // The first run lets go of its directory (as its process would, ending) before the
    // resume takes it.
    let first_dir = first.dir.clone();
    drop(first);
    let mut resumed = open_run(split_dir.path(), Some(first_dir));
    let second = train_diffusion(&mut resumed, &s, &schedule, &train, &test, &settings(2)).unwrap();

    for (a, b, what) in [
        (&straight.ema, &second.ema, "EMA"),
        (&straight.live, &second.live, "live"),
    ] {
        let (a, b) = (parameter_values(a), parameter_values(b));
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{what} weights differ by {worst}");
    }
    let steps = std::fs::read_to_string(resumed.path("steps.jsonl")).unwrap();
    assert_eq!(steps.lines().count(), 2 * 288usize.div_ceil(32));
}
