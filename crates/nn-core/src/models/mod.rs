//! Models more than one week of the course uses (a topic crate never depends on another,
//! so a shared model lives here).

mod activation;
mod mlp;

pub use activation::leaky_relu;
pub use mlp::Mlp;
