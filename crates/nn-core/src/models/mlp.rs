//! A multi-layer perceptron in burn: dense layers with ReLU (or Leaky ReLU) between them.
//! Week 1 teaches it; later weeks use it as the baseline a CNN is compared with.

use super::ImageClassifier;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// Dense layers with ReLU (or Leaky ReLU) between them; the last layer gives logits.
#[derive(Module, Debug)]
pub struct Mlp {
    pub layers: Vec<Linear>,
    /// Slope of the activation for negative inputs: 0 is ReLU, e.g. 0.01 is Leaky ReLU.
    #[module(skip)]
    pub negative_slope: f64,
}

impl Mlp {
    /// Layers of the given sizes (`[784, 256, 128, 10]`) with burn's default
    /// initialisation (uniform in `±1/sqrt(fan_in)`, as PyTorch).
    pub fn new(sizes: &[usize], negative_slope: f64, device: &Device) -> Self {
        Self {
            layers: sizes
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect(),
            negative_slope,
        }
    }

    fn activate(&self, z: Tensor<2>) -> Tensor<2> {
        if self.negative_slope == 0.0 {
            burn::tensor::activation::relu(z)
        } else {
            super::leaky_relu(z, self.negative_slope)
        }
    }

    /// Logits `[batch, classes]` of flat inputs `[batch, features]`.
    pub fn forward_flat(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_with_preactivations(x).0
    }

    /// Logits and the pre-activation of every hidden layer (to count dead units).
    pub fn forward_with_preactivations(&self, x: Tensor<2>) -> (Tensor<2>, Vec<Tensor<2>>) {
        let mut a = x;
        let mut hidden = Vec::new();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let z = layer.forward(a);
            if i == last {
                return (z, hidden);
            }
            hidden.push(z.clone());
            a = self.activate(z);
        }
        unreachable!("an MLP has at least one layer")
    }

    /// Adds `value` to every hidden layer's bias: a deliberately bad initialisation
    /// (a negative shift starts many ReLU units dead).
    pub fn shift_hidden_biases(mut self, value: f64) -> Self {
        let last = self.layers.len() - 1;
        for layer in self.layers.iter_mut().take(last) {
            if let Some(bias) = layer.bias.take() {
                // detach: the shifted bias must be a fresh leaf, not a node of an autodiff graph.
                layer.bias = Some(bias.map(|b| {
                    let leaf = b.add_scalar(value).detach();
                    if leaf.device().is_autodiff() {
                        leaf.require_grad()
                    } else {
                        leaf
                    }
                }));
            }
        }
        self
    }
}

impl ImageClassifier for Mlp {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_flat(images.flatten::<2>(1, 3))
    }
}
