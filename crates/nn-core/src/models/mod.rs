//! Models more than one week of the course uses (a topic crate never depends on another,
//! so a shared model lives here).

mod image_classifier;
pub mod inception_fid;
mod mlp;
pub mod small_cnn;
pub mod torch_import;

// The layer functions that route convolutions, norms and pooling to the kernels live with
// them (`flex-kernels`); every model calls them through these names.
pub use flex_kernels::NormActivation;
pub use flex_kernels::layers::{
    activation, batch_norm_act, conv, conv_forward, conv_forward_with_weight,
    conv_transpose_forward, group_norm_act, leaky_relu, max_pool_forward, norm, pool, tanh,
};
pub use image_classifier::ImageClassifier;
pub use mlp::Mlp;
pub use small_cnn::{CnnSpec, SmallCnn};
