//! Convolution and pooling written out as loops, to see exactly what they compute, and to
//! check burn's `conv2d`, `max_pool2d` and `avg_pool2d` against.
//!
//! Feature maps are `[batch, channels, height, width]`, row-major, like burn's tensors. With
//! input size `n`, kernel `k`, padding `p` and stride `s`, every output has
//! `floor((n + 2p - k) / s) + 1` positions along that axis ([`output_size`]).

/// A 4-D array of feature maps.
#[derive(Debug, Clone, PartialEq)]
pub struct Maps {
    /// `[batch, channels, height, width]`.
    pub shape: [usize; 4],
    /// The values, row-major (the last axis fastest).
    pub data: Vec<f32>,
}

impl Maps {
    /// Maps of `shape`, all zero.
    pub fn zeros(shape: [usize; 4]) -> Self {
        Self {
            shape,
            data: vec![0.0; shape.iter().product()],
        }
    }

    /// The value of image `n`, channel `c`, at row `y`, column `x`.
    pub fn at(&self, n: usize, c: usize, y: usize, x: usize) -> f32 {
        let [_, channels, height, width] = self.shape;
        self.data[((n * channels + c) * height + y) * width + x]
    }

    fn at_mut(&mut self, n: usize, c: usize, y: usize, x: usize) -> &mut f32 {
        let [_, channels, height, width] = self.shape;
        &mut self.data[((n * channels + c) * height + y) * width + x]
    }

    /// The value at a padded position: zero outside the map.
    fn padded(&self, n: usize, c: usize, y: isize, x: isize) -> Option<f32> {
        let [_, _, height, width] = self.shape;
        (y >= 0 && x >= 0 && (y as usize) < height && (x as usize) < width)
            .then(|| self.at(n, c, y as usize, x as usize))
    }
}

/// Positions along one axis: `floor((input + 2 padding - kernel) / stride) + 1`, or `None`
/// when the kernel does not fit even once.
pub fn output_size(input: usize, kernel: usize, padding: usize, stride: usize) -> Option<usize> {
    let span = (input + 2 * padding).checked_sub(kernel)?;
    Some(span / stride.max(1) + 1)
}

/// 2-D convolution (cross-correlation, as in every deep-learning library): `weight` is
/// `[out_channels, in_channels, kh, kw]`, zero padding `padding` on every side.
/// `out[n, o, y, x] = bias[o] + sum_{c, i, j} in[n, c, y s + i - p, x s + j - p] w[o, c, i, j]`.
pub fn conv2d(
    input: &Maps,
    weight: &Maps,
    bias: Option<&[f32]>,
    stride: usize,
    padding: usize,
) -> Maps {
    let [batch, in_channels, height, width] = input.shape;
    let [out_channels, weight_in, kh, kw] = weight.shape;
    assert_eq!(
        in_channels, weight_in,
        "input has {in_channels} channels, the kernel expects {weight_in}"
    );
    let oh = output_size(height, kh, padding, stride).expect("kernel taller than the padded input");
    let ow = output_size(width, kw, padding, stride).expect("kernel wider than the padded input");
    let mut out = Maps::zeros([batch, out_channels, oh, ow]);
    for n in 0..batch {
        for o in 0..out_channels {
            for y in 0..oh {
                for x in 0..ow {
                    let mut sum = bias.map_or(0.0, |b| b[o]);
                    for c in 0..in_channels {
                        for i in 0..kh {
                            for j in 0..kw {
                                let (iy, ix) = (
                                    (y * stride + i) as isize - padding as isize,
                                    (x * stride + j) as isize - padding as isize,
                                );
                                if let Some(v) = input.padded(n, c, iy, ix) {
                                    sum += v * weight.at(o, c, i, j);
                                }
                            }
                        }
                    }
                    *out.at_mut(n, o, y, x) = sum;
                }
            }
        }
    }
    out
}

/// Pooling over `kernel` x `kernel` windows of each channel.
fn pool(
    input: &Maps,
    kernel: usize,
    stride: usize,
    padding: usize,
    reduce: impl Fn(&[Option<f32>]) -> f32,
) -> Maps {
    let [batch, channels, height, width] = input.shape;
    let oh =
        output_size(height, kernel, padding, stride).expect("window taller than the padded input");
    let ow =
        output_size(width, kernel, padding, stride).expect("window wider than the padded input");
    let mut out = Maps::zeros([batch, channels, oh, ow]);
    let mut window = Vec::with_capacity(kernel * kernel);
    for n in 0..batch {
        for c in 0..channels {
            for y in 0..oh {
                for x in 0..ow {
                    window.clear();
                    for i in 0..kernel {
                        for j in 0..kernel {
                            let (iy, ix) = (
                                (y * stride + i) as isize - padding as isize,
                                (x * stride + j) as isize - padding as isize,
                            );
                            window.push(input.padded(n, c, iy, ix));
                        }
                    }
                    *out.at_mut(n, c, y, x) = reduce(&window);
                }
            }
        }
    }
    out
}

/// Max pooling: the largest value of each window; padding never wins.
pub fn max_pool2d(input: &Maps, kernel: usize, stride: usize, padding: usize) -> Maps {
    pool(input, kernel, stride, padding, |w| {
        w.iter().flatten().fold(f32::NEG_INFINITY, |m, &v| m.max(v))
    })
}

/// Average pooling: the mean of each window, padding counted as zeros (PyTorch's and
/// burn's default, `count_include_pad = true`).
pub fn avg_pool2d(input: &Maps, kernel: usize, stride: usize, padding: usize) -> Maps {
    pool(input, kernel, stride, padding, |w| {
        w.iter().map(|v| v.unwrap_or(0.0)).sum::<f32>() / w.len() as f32
    })
}

/// Classic 3x3 kernels, by name.
pub fn classic_kernels() -> Vec<(&'static str, [f32; 9])> {
    vec![
        ("Sobel x", [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0]),
        ("Sobel y", [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0]),
        (
            "Laplacian",
            [0.0, -1.0, 0.0, -1.0, 4.0, -1.0, 0.0, -1.0, 0.0],
        ),
        ("box blur", [1.0 / 9.0; 9]),
        ("sharpen", [0.0, -1.0, 0.0, -1.0, 5.0, -1.0, 0.0, -1.0, 0.0]),
    ]
}
