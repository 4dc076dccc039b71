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

/// Counts parameters like PyTorch does: weights and biases, not the running statistics of
/// batch norm (burn's `num_params` counts those too, so published counts differ from it).
struct CountTrainable {
    path: Vec<String>,
    count: usize,
}

impl ModuleVisitor for CountTrainable {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let buffer = matches!(
            self.path.last().map(String::as_str),
            Some("running_mean" | "running_var")
        );
        if !buffer {
            self.count += param.val().shape().num_elements();
        }
    }
}

/// Learnable parameters of `module` (batch-norm running statistics excluded), the number
/// papers and torchvision publish.
pub fn learnable_parameter_count<M: Module>(module: &M) -> usize {
    let mut count = CountTrainable {
        path: Vec::new(),
        count: 0,
    };
    module.visit(&mut count);
    count.count
}
