//! `--workload conv-layers`: where a convolutional step's time goes, one 3x3 convolution
//! of the course's models at a time: forward, forward + backward (input and weight
//! gradients), and the weight-gradient op alone, through the course's path (our kernels on
//! flex, `nn_core::kernels`) and through burn's own ops, each beside PyTorch's when
//! compared, with the GFLOP/s of ours. The whole-model workloads say how far behind we
//! are; this says in which part.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::BackendKind;
use nn_core::kernels;
use nn_core::models::conv_forward;
use std::process::Command;
use std::time::Instant;

/// One convolution as a model of the course runs it: 3x3, stride 1, padding 1.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    pub name: &'static str,
    pub channels_in: usize,
    pub channels_out: usize,
    pub size: usize,
    pub batch: usize,
}

impl Layer {
    /// Floating-point operations of one forward pass (a multiply and an add per tap); the
    /// weight gradient costs the same, and a step (forward, input and weight gradients)
    /// three times as much.
    pub fn forward_flops(&self) -> f64 {
        let taps = (self.channels_in * 9 * self.channels_out) as f64;
        2.0 * taps * (self.size * self.size * self.batch) as f64
    }
}

/// The SmallCnn's convolutions on Fashion-MNIST (batch 128) and VGG-19's at 32x32 (one
/// per stage, batch 32).
pub const LAYERS: &[Layer] = &[
    Layer {
        name: "cnn-fashion conv2",
        channels_in: 32,
        channels_out: 64,
        size: 14,
        batch: 128,
    },
    Layer {
        name: "cnn-fashion conv3",
        channels_in: 64,
        channels_out: 64,
        size: 7,
        batch: 128,
    },
    Layer {
        name: "vgg19 stage 1",
        channels_in: 64,
        channels_out: 64,
        size: 32,
        batch: 32,
    },
    Layer {
        name: "vgg19 stage 2",
        channels_in: 128,
        channels_out: 128,
        size: 16,
        batch: 32,
    },
    Layer {
        name: "vgg19 stage 3",
        channels_in: 256,
        channels_out: 256,
        size: 8,
        batch: 32,
    },
    Layer {
        name: "vgg19 stage 4",
        channels_in: 512,
        channels_out: 512,
        size: 4,
        batch: 32,
    },
    Layer {
        name: "vgg19 stage 5",
        channels_in: 512,
        channels_out: 512,
        size: 2,
        batch: 32,
    },
];

/// Milliseconds of one layer's three parts (medians).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Times {
    pub forward_ms: f64,
    pub step_ms: f64,
    pub weight_grad_ms: f64,
}

/// One layer measured here, and by PyTorch when compared.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerResult {
    pub layer: String,
    pub shape: String,
    pub backend: String,
    /// Through the course's path (our kernels on flex).
    pub ours: Times,
    /// Through burn's own ops (our kernels turned off), in the same run.
    pub burn: Times,
    /// GFLOP of one forward pass (the weight gradient's too; a step's is three times).
    pub forward_gflop: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torch: Option<Times>,
}

fn median_ms(warmup: usize, steps: usize, mut f: impl FnMut() -> f32) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<f64> = (0..steps.max(1))
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    super::median(&mut times)
}

/// Times every layer on `backend`.
pub fn measure(
    backend: BackendKind,
    warmup: usize,
    steps: usize,
) -> nn_core::Result<Vec<LayerResult>> {
    let device = nn_core::backend::device(backend)?;
    let train = device.clone().autodiff();
    let mut results = Vec::new();
    for layer in LAYERS {
        let Layer {
            channels_in: c,
            channels_out: o,
            size: s,
            batch: n,
            ..
        } = *layer;
        train.seed(7);
        let conv = Conv2dConfig::new([c, o], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&train);
        let x = Tensor::<4>::random([n, c, s, s], Distribution::Normal(0.0, 1.0), &train);
        let xi = Tensor::<4>::random([n, c, s, s], Distribution::Normal(0.0, 1.0), &device);
        let wi = Tensor::<4>::random([o, c, 3, 3], Distribution::Normal(0.0, 0.05), &device);
        let gi = Tensor::<4>::random([n, o, s, s], Distribution::Normal(0.0, 1.0), &device);
        // Ours, then burn's, layer by layer, so both see the same state of the machine.
        let mut times = [true, false].map(|ours| {
            kernels::set_enabled(ours);
            let forward = median_ms(warmup, steps, || {
                conv_forward(&conv, x.clone()).sum().into_scalar::<f32>()
            });
            let step = median_ms(warmup, steps, || {
                let x = x.clone().require_grad();
                let grads = conv_forward(&conv, x.clone()).sum().backward();
                let dx: f32 = x.grad(&grads).map_or(0.0, |g| g.sum().into_scalar());
                let dw: f32 = conv
                    .weight
                    .grad(&grads)
                    .map_or(0.0, |g| g.sum().into_scalar());
                dx + dw
            });
            let weight_grad = median_ms(warmup, steps, || {
                kernels::conv2d_weight_grad(xi.clone(), wi.clone(), gi.clone(), [1, 1], [1, 1])
                    .sum()
                    .into_scalar::<f32>()
            });
            Times {
                forward_ms: forward,
                step_ms: step,
                weight_grad_ms: weight_grad,
            }
        });
        kernels::set_enabled(true);
        let [ours, burn] = std::mem::take(&mut times);
        let (forward, step, weight_grad) = (ours.forward_ms, ours.step_ms, ours.weight_grad_ms);
        eprintln!(
            "conv-layers: {} {forward:.1} / {step:.1} / {weight_grad:.1} ms (burn's ops {:.1} / {:.1} / {:.1})",
            layer.name, burn.forward_ms, burn.step_ms, burn.weight_grad_ms
        );
        results.push(LayerResult {
            layer: layer.name.to_string(),
            shape: format!("{c}->{o} at {s}x{s}, batch {n}"),
            backend: backend.name().to_string(),
            ours,
            burn,
            forward_gflop: layer.forward_flops() / 1e9,
            torch: None,
        });
    }
    Ok(results)
}

/// PyTorch's times for the same layers (`bench.py --conv-layers`), by layer name.
pub fn torch(
    python: &str,
    script: &std::path::Path,
    threads: usize,
    warmup: usize,
    steps: usize,
) -> Result<Vec<(String, Times)>, String> {
    let output = Command::new(python)
        .arg(script)
        .arg("--conv-layers")
        .args(["--threads", &threads.to_string()])
        .args(["--warmup", &warmup.to_string()])
        .args(["--steps", &steps.to_string()])
        .output()
        .map_err(|e| format!("cannot run `{python}` ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "{} --conv-layers failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    #[derive(serde::Deserialize)]
    struct Line {
        layer: String,
        #[serde(flatten)]
        times: Times,
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| {
            serde_json::from_str::<Line>(l)
                .map(|line| (line.layer, line.times))
                .map_err(|e| format!("unreadable line `{l}`: {e}"))
        })
        .collect()
}
