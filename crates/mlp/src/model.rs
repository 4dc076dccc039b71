//! The MLP in burn is [`nn_core::models::Mlp`] (the CNN week compares against it too);
//! this module copies its weights into the hand-written [`ScratchMlp`], so both can start
//! from identical weights and be compared step for step.

use crate::scratch::{Dense, ScratchMlp};
use burn::prelude::*;
pub use nn_core::models::Mlp;

/// A copy of `model`'s weights as a scratch MLP (f32), so both start from the same point.
pub fn to_scratch(model: &Mlp) -> ScratchMlp<f32> {
    let values = |t: Tensor<2>| {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default()
    };
    ScratchMlp {
        layers: model
            .layers
            .iter()
            .map(|layer| {
                let [rows, cols] = layer.weight.dims();
                let weight =
                    ndarray::Array2::from_shape_vec((rows, cols), values(layer.weight.val()))
                        .expect("weight shape");
                let bias = layer
                    .bias
                    .as_ref()
                    .map(|b| {
                        b.val()
                            .into_data()
                            .convert::<f32>()
                            .try_into_vec::<f32>()
                            .unwrap_or_default()
                    })
                    .unwrap_or_else(|| vec![0.0; cols]);
                Dense {
                    weight,
                    bias: ndarray::Array1::from_vec(bias),
                }
            })
            .collect(),
    }
}
