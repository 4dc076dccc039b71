//! A multi-layer perceptron with no autodiff and no burn: forward pass, softmax
//! cross-entropy, backpropagation written by hand, and SGD with momentum.
//!
//! Every layer computes `z = a W + b` on a whole mini-batch at once (`a` is `[batch, in]`,
//! `W` is `[in, out]`, stored like burn's `Linear`), so the work is a few matrix products
//! (`ndarray`'s `dot`) rather than loops over examples. Hidden layers use ReLU; the last
//! layer's outputs are logits.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use num_traits::Float;

/// The float types the scratch MLP runs in: `f32` to train, `f64` for gradient checks.
pub trait Scalar:
    Float + ndarray::LinalgScalar + std::iter::Sum + Send + Sync + std::fmt::Debug + 'static
{
}
impl Scalar for f32 {}
impl Scalar for f64 {}

/// One fully connected layer: `z = a W + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<T> {
    /// `[inputs, outputs]`.
    pub weight: Array2<T>,
    /// `[outputs]`.
    pub bias: Array1<T>,
}

/// Gradients of the loss with respect to each layer's weight and bias.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients<T> {
    /// One gradient per layer, shaped like the layer.
    pub layers: Vec<Dense<T>>,
}

/// The result of one forward and backward pass over a batch.
#[derive(Debug, Clone)]
pub struct Backprop<T> {
    /// Mean softmax cross-entropy of the batch.
    pub loss: T,
    /// Its gradient with respect to every weight and bias.
    pub gradients: Gradients<T>,
    /// Examples of the batch whose largest logit is their label.
    pub correct: usize,
}

/// Dense layers with ReLU between them.
#[derive(Debug, Clone, PartialEq)]
pub struct ScratchMlp<T> {
    /// Input layer first; the last one gives the logits.
    pub layers: Vec<Dense<T>>,
}

/// What the forward pass keeps for the backward pass.
struct Cache<T> {
    /// Input of each layer (`a_0 = x`, then the ReLU outputs).
    inputs: Vec<Array2<T>>,
    /// Pre-activation of each hidden layer (where ReLU lets gradient through).
    hidden_z: Vec<Array2<T>>,
    logits: Array2<T>,
}

impl<T: Scalar> ScratchMlp<T> {
    /// Layers of the given sizes (`[784, 256, 128, 10]`), weights uniform in
    /// `±1/sqrt(fan_in)` (PyTorch's and burn's default for linear layers), biases likewise.
    pub fn new(sizes: &[usize], rng: &mut impl rand::Rng) -> Self {
        use rand::RngExt;
        let layers = sizes
            .windows(2)
            .map(|w| {
                let bound = 1.0 / (w[0] as f64).sqrt();
                let mut draw = || T::from(rng.random_range(-bound..bound)).expect("float");
                Dense {
                    weight: Array2::from_shape_simple_fn((w[0], w[1]), &mut draw),
                    bias: Array1::from_shape_simple_fn(w[1], &mut draw),
                }
            })
            .collect();
        Self { layers }
    }

    /// Layer sizes, inputs first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.layers[0].weight.nrows()];
        sizes.extend(self.layers.iter().map(|l| l.weight.ncols()));
        sizes
    }

    /// Number of weights and biases.
    pub fn num_params(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    fn forward_cached(&self, x: ArrayView2<T>) -> Cache<T> {
        let mut inputs = vec![x.to_owned()];
        let mut hidden_z = Vec::new();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let z = inputs[i].dot(&layer.weight) + &layer.bias;
            if i == last {
                return Cache {
                    inputs,
                    hidden_z,
                    logits: z,
                };
            }
            inputs.push(z.mapv(|v| v.max(T::zero())));
            hidden_z.push(z);
        }
        unreachable!("an MLP has at least one layer")
    }

    /// Logits of a batch of flattened inputs.
    /// - input: [batch, inputs]
    /// - output: [batch, classes]
    pub fn forward(&self, x: ArrayView2<T>) -> Array2<T> {
        self.forward_cached(x).logits
    }

    /// Mean softmax cross-entropy of a batch and its gradients, by backpropagation:
    /// `dL/dz_last = (softmax(z) - onehot(y)) / n`, then for each layer from the top
    /// `dL/dW = a^T dz`, `dL/db = sum_rows(dz)`, `dL/da = dz W^T`, and through ReLU
    /// `dz_prev = dL/da * [z_prev > 0]`.
    pub fn loss_and_gradients(&self, x: ArrayView2<T>, labels: &[usize]) -> (T, Gradients<T>) {
        let step = self.backprop(x, labels);
        (step.loss, step.gradients)
    }

    /// [`ScratchMlp::loss_and_gradients`] plus how many of the batch were classified right.
    pub fn backprop(&self, x: ArrayView2<T>, labels: &[usize]) -> Backprop<T> {
        let cache = self.forward_cached(x);
        let n = T::from(labels.len()).expect("float");
        let correct = argmax_rows(&cache.logits)
            .iter()
            .zip(labels)
            .filter(|(p, l)| p == l)
            .count();
        let (loss, probabilities) = softmax_cross_entropy(&cache.logits, labels);
        let mut dz = probabilities;
        for (row, &label) in dz.rows_mut().into_iter().zip(labels) {
            let mut row = row;
            row[label] = row[label] - T::one();
        }
        dz.mapv_inplace(|v| v / n);
        let mut grads = Vec::with_capacity(self.layers.len());
        for i in (0..self.layers.len()).rev() {
            let weight = cache.inputs[i].t().dot(&dz);
            let bias = dz.sum_axis(Axis(0));
            if i > 0 {
                let da = dz.dot(&self.layers[i].weight.t());
                dz = ndarray::Zip::from(&da)
                    .and(&cache.hidden_z[i - 1])
                    .map_collect(|&g, &z| if z > T::zero() { g } else { T::zero() });
            }
            grads.push(Dense { weight, bias });
        }
        grads.reverse();
        Backprop {
            loss,
            gradients: Gradients { layers: grads },
            correct,
        }
    }

    /// Predicted class of each row.
    pub fn predict(&self, x: ArrayView2<T>) -> Vec<usize> {
        argmax_rows(&self.forward(x))
    }
}

/// Mean cross-entropy of softmax(logits) against labels, and the probabilities
/// (computed stably by subtracting each row's maximum).
pub fn softmax_cross_entropy<T: Scalar>(logits: &Array2<T>, labels: &[usize]) -> (T, Array2<T>) {
    let mut probabilities = logits.clone();
    let mut loss = T::zero();
    for (mut row, &label) in probabilities.rows_mut().into_iter().zip(labels) {
        let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
        loss = loss - row[label].max(T::min_positive_value()).ln();
    }
    (
        loss / T::from(labels.len().max(1)).expect("float"),
        probabilities,
    )
}

/// Index of the largest value of each row.
pub fn argmax_rows<T: Scalar>(values: &Array2<T>) -> Vec<usize> {
    values
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, T::neg_infinity()), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect()
}

/// Stochastic gradient descent with momentum, PyTorch's form: `v <- mu v + g`,
/// `w <- w - lr v` (plain SGD when `mu` is 0).
#[derive(Debug, Clone)]
pub struct SgdMomentum<T> {
    /// Learning rate.
    pub lr: T,
    /// Momentum `mu`.
    pub momentum: T,
    velocity: Option<Gradients<T>>,
}

impl<T: Scalar> SgdMomentum<T> {
    /// An optimiser with no velocity yet (the first step is plain SGD).
    pub fn new(lr: T, momentum: T) -> Self {
        Self {
            lr,
            momentum,
            velocity: None,
        }
    }

    /// Applies one update to `model`.
    pub fn step(&mut self, model: &mut ScratchMlp<T>, grads: Gradients<T>) {
        let velocity = match self.velocity.take() {
            None => grads,
            Some(mut v) => {
                for (vl, gl) in v.layers.iter_mut().zip(grads.layers) {
                    vl.weight
                        .zip_mut_with(&gl.weight, |v, &g| *v = self.momentum * *v + g);
                    vl.bias
                        .zip_mut_with(&gl.bias, |v, &g| *v = self.momentum * *v + g);
                }
                v
            }
        };
        for (layer, v) in model.layers.iter_mut().zip(&velocity.layers) {
            layer
                .weight
                .zip_mut_with(&v.weight, |w, &v| *w = *w - self.lr * v);
            layer
                .bias
                .zip_mut_with(&v.bias, |b, &v| *b = *b - self.lr * v);
        }
        self.velocity = Some(velocity);
    }

    /// The velocity buffers (for checkpoints), if a step was taken.
    pub fn velocity(&self) -> Option<&Gradients<T>> {
        self.velocity.as_ref()
    }

    /// Replaces the velocity buffers (restoring a checkpoint).
    pub fn set_velocity(&mut self, velocity: Option<Gradients<T>>) {
        self.velocity = velocity;
    }
}

impl<T: Scalar> ScratchMlp<T> {
    /// The same network in another float type.
    pub fn cast<U: Scalar>(&self) -> ScratchMlp<U> {
        let cast = |v: &T| U::from(*v).expect("float");
        ScratchMlp {
            layers: self
                .layers
                .iter()
                .map(|l| Dense {
                    weight: l.weight.map(cast),
                    bias: l.bias.map(cast),
                })
                .collect(),
        }
    }
}

/// Flattens layers (weights then bias of each) into one vector, e.g. for checkpoints.
pub fn flatten<T: Scalar>(layers: &[Dense<T>]) -> Vec<T> {
    layers
        .iter()
        .flat_map(|l| l.weight.iter().chain(l.bias.iter()).copied())
        .collect()
}

/// Fills layers of the same shapes from a flat vector written by [`flatten`].
pub fn unflatten<T: Scalar>(like: &[Dense<T>], values: &[T]) -> Option<Vec<Dense<T>>> {
    let mut offset = 0;
    let mut out = Vec::new();
    for layer in like {
        let (r, c) = layer.weight.dim();
        let w = values.get(offset..offset + r * c)?;
        offset += r * c;
        let b = values.get(offset..offset + c)?;
        offset += c;
        out.push(Dense {
            weight: Array2::from_shape_vec((r, c), w.to_vec()).ok()?,
            bias: Array1::from_vec(b.to_vec()),
        });
    }
    (offset == values.len()).then_some(out)
}
