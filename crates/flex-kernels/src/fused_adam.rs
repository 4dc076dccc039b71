//! Adam with burn's arithmetic and records, one pass per parameter on our kernels.
//!
//! burn's `Adam` is kept for what it does well (its state, `AdamState`, is what checkpoints
//! store, so runs written before resume unchanged); only its update, 13 tensor ops per
//! parameter, is replaced by [`crate::adam_step`] where that takes the tensors
//! (Flex, f32). Elsewhere (ndarray, wgpu, kernels off) burn's own step runs. The same bits
//! either way (tested), `bench/NOTES.md` change 17.

use crate::{adam::AdamStep, adam_step, adam_step_takes};
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::prelude::*;

/// Adam (no weight decay, no AMSGrad: the course uses neither) with burn's state.
#[derive(Clone)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// burn's Adam with the same settings, for tensors our kernel does not take.
    fallback: Adam,
}

impl FusedAdam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        let fallback = AdamConfig::new()
            .with_beta_1(beta_1)
            .with_beta_2(beta_2)
            .with_epsilon(epsilon)
            .build();
        Self {
            beta_1,
            beta_2,
            epsilon,
            fallback,
        }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        if !adam_step_takes(&tensor, &grad) {
            return self.fallback.step(lr, tensor, grad, state);
        }
        let (time, moment_1, moment_2) = match state {
            Some(s) => (
                s.momentum.time + 1,
                s.momentum.moment_1,
                s.momentum.moment_2,
            ),
            // burn's first step sets the moments from the gradient alone, which is the
            // general formula on zero moments, bit for bit (0 * beta + x = x).
            None => (1, grad.zeros_like(), grad.zeros_like()),
        };
        let step = AdamStep::new(self.beta_1, self.beta_2, self.epsilon, time, lr);
        let (tensor, moment_1, moment_2) = adam_step(tensor, grad, moment_1, moment_2, &step);
        let momentum = AdaptiveMomentumState {
            time,
            moment_1,
            moment_2,
            max_moment_2: None,
        };
        (tensor, Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{GradientsParams, ModuleOptimizer};
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu;

    /// Both tests seed burn's one global generator (`Device::seed`) and draw from it: run in
    /// parallel, each drew the other's numbers and the comparisons failed by chance.
    static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A two-layer perceptron, 20 -> 16 -> 4.
    #[derive(Module, Debug)]
    struct Net {
        hidden: Linear,
        output: Linear,
    }

    impl Net {
        fn new(device: &Device) -> Self {
            device.seed(1);
            Self {
                hidden: LinearConfig::new(20, 16).init(device),
                output: LinearConfig::new(16, 4).init(device),
            }
        }

        fn forward(&self, x: Tensor<2>) -> Tensor<2> {
            self.output.forward(relu(self.hidden.forward(x)))
        }

        /// Every parameter's values, in a fixed order.
        fn values(&self) -> Vec<f32> {
            let mut all = Vec::new();
            for layer in [&self.hidden, &self.output] {
                all.extend(layer.weight.val().into_data().iter::<f32>());
                if let Some(bias) = &layer.bias {
                    all.extend(bias.val().into_data().iter::<f32>());
                }
            }
            all
        }
    }

    /// Five Adam steps of `model` on seeded batches.
    fn train(model: Net, optim: ModuleOptimizer, device: &Device) -> (Net, ModuleOptimizer) {
        device.seed(3);
        let (mut model, mut optim) = (model, optim);
        for _ in 0..5 {
            let x = Tensor::<2>::random([8, 20], Distribution::Normal(0.0, 1.0), device);
            let loss = model.forward(x).powi_scalar(2).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-2, model, grads);
        }
        (model, optim)
    }

    fn burn_adam(beta_1: f32) -> ModuleOptimizer {
        AdamConfig::new()
            .with_beta_1(beta_1)
            .with_epsilon(1e-8)
            .init()
    }

    #[test]
    fn same_bits_as_burns_adam_with_the_kernel_taking_the_tensors() {
        let _seeded = SEEDED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let device = Device::flex().autodiff();
        assert!(crate::is_flex_device(&device));
        for beta_1 in [0.9, 0.5] {
            let ours = ModuleOptimizer::from(FusedAdam::new(beta_1, 0.999, 1e-8));
            let (ours, _) = train(Net::new(&device), ours, &device);
            let (burns, _) = train(Net::new(&device), burn_adam(beta_1), &device);
            let start = Net::new(&device).values();
            assert_ne!(ours.values(), start, "the steps changed the weights");
            assert_eq!(ours.values(), burns.values(), "beta_1 {beta_1}");
        }
    }

    #[test]
    fn continues_burns_adam_state_from_a_record() {
        let _seeded = SEEDED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // burn's Adam for five steps; then five more with burn's, against five with ours
        // from burn's record: the checkpoints written before this change resume the same.
        let device = Device::flex().autodiff();
        let (model, burns) = train(Net::new(&device), burn_adam(0.9), &device);
        let ours = ModuleOptimizer::from(FusedAdam::new(0.9, 0.999, 1e-8));
        let ours = ours.load_record(burns.to_record());
        let (after_ours, _) = train(model.clone(), ours, &device);
        let (after_burns, _) = train(model, burns, &device);
        assert_eq!(after_ours.values(), after_burns.values());
    }
}
