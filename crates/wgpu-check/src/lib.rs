//! The GPU path checked on any machine: the same training steps on wgpu and on flex (the
//! reference), from the same weights and batches, and how far apart they end.
//!
//! The tests (`tests/wgpu/`) need the `wgpu` feature and a Vulkan driver: in CI that is
//! Mesa's lavapipe, Vulkan on the CPU (`apt-get install mesa-vulkan-drivers`), so they run
//! where no GPU is. `cargo test -p wgpu-check --features wgpu`.

use burn::module::Module;
use burn::prelude::*;
use ngvm::nn_core::BackendKind;
use ngvm::nn_core::backend::device;
use ngvm::nn_core::train::parameter_values;

/// The two training devices compared: flex, the reference, and wgpu (both with autodiff).
#[derive(Clone)]
pub struct Pair {
    pub flex: Device,
    pub wgpu: Device,
}

/// Why the wgpu side cannot run here (not compiled in, or no Vulkan adapter).
#[derive(Debug)]
pub struct Unavailable(pub String);

impl Pair {
    /// Both devices, once a one-element sum has run on wgpu: a machine without a Vulkan
    /// driver gets the reason (wgpu panics on its first use there) instead of a crash.
    pub fn new() -> Result<Pair, Unavailable> {
        let flex = device(BackendKind::Flex)
            .map_err(|e| Unavailable(e.to_string()))?
            .autodiff();
        let wgpu = device(BackendKind::Wgpu)
            .map_err(|e| Unavailable(e.to_string()))?
            .autodiff();
        let probe = wgpu.clone();
        std::panic::catch_unwind(move || Tensor::<1>::ones([2], &probe).sum().into_scalar::<f32>())
            .map_err(|panic| {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Unavailable(format!(
                    "wgpu found no usable adapter ({reason}); on Debian, \
                     `apt-get install mesa-vulkan-drivers` gives one on the CPU (lavapipe)"
                ))
            })?;
        Ok(Pair { flex, wgpu })
    }
}

/// One training run: the loss at each step, then every parameter after the last step.
#[derive(Debug, Clone)]
pub struct Trace {
    pub losses: Vec<f32>,
    pub weights: Vec<f32>,
}

impl Trace {
    /// The record of `losses` and the final `model`.
    pub fn of<M: Module>(losses: Vec<f32>, model: &M) -> Trace {
        Trace {
            losses,
            weights: parameter_values(model),
        }
    }
}

/// How far a wgpu run ended from the flex run of the same steps.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    /// The largest difference between the two runs' losses at any step, relative to the
    /// flex loss (at least 1e-3 in the denominator).
    pub loss: f32,
    /// The largest absolute difference of any parameter after the last step.
    pub weight: f32,
}

impl Gap {
    /// The gap between a reference trace and another of the same model and steps.
    pub fn between(reference: &Trace, other: &Trace) -> Gap {
        assert_eq!(reference.losses.len(), other.losses.len(), "step counts");
        assert_eq!(
            reference.weights.len(),
            other.weights.len(),
            "parameter counts"
        );
        let loss = reference
            .losses
            .iter()
            .zip(&other.losses)
            .map(|(a, b)| (a - b).abs() / a.abs().max(1e-3))
            .fold(0.0f32, f32::max);
        let weight = reference
            .weights
            .iter()
            .zip(&other.weights)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        Gap { loss, weight }
    }
}

/// Runs `train` on flex with `flex_model`, then on wgpu with `twin` (the same weights,
/// built separately) moved there with `Module::fork`, and returns both traces (flex first).
/// `train` gets the model and its device, and must move its batches there
/// (`Tensor::to_device`) from tensors drawn once, so that both runs see the same numbers.
///
/// Why two models and not a clone: a clone shares its batch norms' running statistics
/// with the original (burn's `RunningState` is an `Arc`), and `fork` moves that shared
/// state in place, so the two runs would update one set of statistics.
pub fn on_both<M: Module>(
    pair: &Pair,
    flex_model: M,
    twin: M,
    train: impl Fn(M, &Device) -> Trace,
) -> (Trace, Trace) {
    let wgpu_model = twin.fork(&pair.wgpu);
    let flex = train(flex_model, &pair.flex);
    let wgpu = train(wgpu_model, &pair.wgpu);
    (flex, wgpu)
}
