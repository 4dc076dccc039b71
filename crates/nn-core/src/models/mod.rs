//! Models more than one week of the course uses (a topic crate never depends on another,
//! so a shared model lives here).

mod activation;
pub mod conv;
pub mod inception_fid;
mod mlp;
pub mod norm;
pub mod pool;
pub mod small_cnn;
pub mod torch_import;

pub use crate::kernels::NormActivation;
pub use activation::{leaky_relu, tanh};
pub use conv::{conv_forward, conv_forward_with_weight, conv_transpose_forward};
pub use mlp::Mlp;
pub use norm::{batch_norm_act, group_norm_act};
pub use pool::max_pool_forward;
pub use small_cnn::{CnnSpec, SmallCnn};
