//! One module per family of kernels.

mod conv_path;
mod kernels;
mod norm_kernels;
mod pool_kernels;
