//! The one way a model runs each layer the kernels speed up: pass burn's own module
//! (`Conv2d`, `ConvTranspose2d`, `BatchNorm`, `GroupNorm`, `MaxPool2d`) and the input, and
//! the layer runs on our kernels where they take it (`flex`, f32, the shapes they cover)
//! and on burn's op everywhere else. Calling the module's `forward` directly would go
//! around the kernels.

pub mod activation;
pub mod conv;
pub mod norm;
pub mod pool;

pub use activation::{leaky_relu, tanh};
pub use conv::{conv_forward, conv_forward_with_weight, conv_transpose_forward};
pub use norm::{batch_norm_act, group_norm_act};
pub use pool::max_pool_forward;
