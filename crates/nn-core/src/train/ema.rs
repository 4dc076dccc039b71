//! An exponential moving average of the weights: sampling from the average of the last
//! few thousand steps' weights gives cleaner images than the last step's (DDPM used decay
//! 0.9999; GANs average G, Yazici et al. 2019). burn has no EMA, so it is written here:
//! one pass over the live model's parameters, one over the average's, matched by visiting
//! order.

use crate::Result;
use crate::train::Checkpoint;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

/// The averaged copy (on the inference device, never differentiated) and its step count.
#[derive(Clone)]
pub struct Ema<M> {
    pub model: M,
    pub decay: f64,
    pub updates: usize,
}

struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten(0, D - 1));
    }
}

struct Blend {
    sources: std::vec::IntoIter<Tensor<1>>,
    keep: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(source) = self.sources.next() else {
            return param;
        };
        let keep = self.keep;
        param.map(|average| {
            let source = source.reshape(average.shape());
            average * keep + source * (1.0 - keep)
        })
    }
}

impl<M: Module> Ema<M> {
    /// Starts the average at `model` (already on the inference device: `model.valid()`).
    pub fn new(model: M, decay: f64) -> Self {
        Self {
            model,
            decay,
            updates: 0,
        }
    }

    /// The decay used at the next update: `min(decay, (1 + n) / (10 + n))`, so early
    /// averages follow the fast-moving weights instead of remembering the random start.
    pub fn current_decay(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min((1.0 + n) / (10.0 + n))
    }

    /// `average = d * average + (1 - d) * live`, with `live` the trained model's
    /// parameters (its `valid()` copy, so no gradients are tracked).
    pub fn update(mut self, live: &M) -> Self {
        let mut collect = Collect(Vec::new());
        live.visit(&mut collect);
        let mut blend = Blend {
            sources: collect.0.into_iter(),
            keep: self.current_decay(),
        };
        self.model = self.model.map(&mut blend);
        self.updates += 1;
        self
    }

    /// Writes the average as `name` and its update count as `name_updates`.
    pub fn save_as(&self, checkpoint: &mut Checkpoint, name: &str) -> Result<()> {
        checkpoint.put_module(name, &self.model)?;
        checkpoint.put_bytes(
            &format!("{name}_updates"),
            self.updates.to_le_bytes().to_vec(),
        );
        Ok(())
    }

    /// Reads back what [`Ema::save_as`] wrote under `name`.
    pub fn restore_as(mut self, checkpoint: &Checkpoint, name: &str) -> Result<Self> {
        self.model = checkpoint.load_module(name, self.model)?;
        if let Some(bytes) = checkpoint
            .bytes(&format!("{name}_updates"))
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
        {
            self.updates = usize::from_le_bytes(bytes);
        }
        Ok(self)
    }
}
