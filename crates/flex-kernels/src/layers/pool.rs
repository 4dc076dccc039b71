//! The one way every max pooling of the course runs: [`max_pool_forward`]. On flex, a pool
//! without padding goes through our kernel ([`crate::pool`]: no index tensor, the
//! backward finds each window's maximum again); anything else through burn's `MaxPool2d`.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;

/// `pool.forward(x)`, `[n, c, h, w]` -> `[n, c, h', w']`.
pub fn max_pool_forward(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let no_padding = matches!(
        pool.padding,
        PaddingConfig2d::Valid | PaddingConfig2d::Explicit(0, 0, 0, 0)
    );
    let [kh, kw] = pool.kernel_size;
    let [sh, sw] = pool.stride;
    // With ceil mode the sizes agree only when the windows tile the map exactly.
    let exact = sh > 0 && sw > 0 && h >= kh && w >= kw && (h - kh) % sh == 0 && (w - kw) % sw == 0;
    let plain = no_padding && pool.dilation == [1, 1] && (!pool.ceil_mode || exact);
    if plain && crate::max_pool2d_takes(&x, pool.kernel_size, pool.stride) {
        crate::max_pool2d(x, pool.kernel_size, pool.stride)
    } else {
        pool.forward(x)
    }
}
