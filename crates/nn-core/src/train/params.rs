//! Reading a module's parameter values, e.g. to check two runs reached the same weights.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;

struct Collect(Vec<f32>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let values = param.val().into_data().convert::<f32>();
        self.0
            .extend(values.try_into_vec::<f32>().unwrap_or_default());
    }
}

/// Every float parameter of `module`, flattened in visiting order.
pub fn parameter_values<M: Module>(module: &M) -> Vec<f32> {
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}
