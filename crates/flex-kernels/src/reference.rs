//! Naive convolutions with f64 sums: the reference the fast kernels are tested against
//! (slow, obviously correct loops; for tests only).

use super::geometry::ConvGeom;

/// The input element under output `(oy, ox)` and tap `(i, j)`, if not in the padding.
fn input_index(g: &ConvGeom, oy: usize, ox: usize, i: usize, j: usize) -> Option<(usize, usize)> {
    let iy = (oy * g.stride[0] + i) as isize - g.padding[0] as isize;
    let ix = (ox * g.stride[1] + j) as isize - g.padding[1] as isize;
    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
        None
    } else {
        Some((iy as usize, ix as usize))
    }
}

/// `y = conv(x, w) + bias`.
pub fn forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut y = vec![0.0f32; g.y_len()];
    for b in 0..g.batch {
        for o in 0..g.c_out {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = bias.map_or(0.0, |bb| bb[o] as f64);
                    for c in 0..g.c_in {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                if let Some((iy, ix)) = input_index(g, oy, ox, i, j) {
                                    let xv = x[((b * g.c_in + c) * g.h + iy) * g.w + ix];
                                    let wv = w[((o * g.c_in + c) * g.kh + i) * g.kw + j];
                                    s += xv as f64 * wv as f64;
                                }
                            }
                        }
                    }
                    y[((b * g.c_out + o) * oh + oy) * ow + ox] = s as f32;
                }
            }
        }
    }
    y
}

/// `dx` from `dy` through the weight.
pub fn input_grad(g: &ConvGeom, w: &[f32], dy: &[f32]) -> Vec<f32> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut dx = vec![0.0f64; g.x_len()];
    for b in 0..g.batch {
        for o in 0..g.c_out {
            for oy in 0..oh {
                for ox in 0..ow {
                    let d = dy[((b * g.c_out + o) * oh + oy) * ow + ox] as f64;
                    for c in 0..g.c_in {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                if let Some((iy, ix)) = input_index(g, oy, ox, i, j) {
                                    let wv = w[((o * g.c_in + c) * g.kh + i) * g.kw + j];
                                    dx[((b * g.c_in + c) * g.h + iy) * g.w + ix] += d * wv as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}

/// `dw` from the input and `dy`.
pub fn weight_grad(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut dw = vec![0.0f64; g.w_len()];
    for b in 0..g.batch {
        for o in 0..g.c_out {
            for oy in 0..oh {
                for ox in 0..ow {
                    let d = dy[((b * g.c_out + o) * oh + oy) * ow + ox] as f64;
                    for c in 0..g.c_in {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                if let Some((iy, ix)) = input_index(g, oy, ox, i, j) {
                                    let xv = x[((b * g.c_in + c) * g.h + iy) * g.w + ix];
                                    dw[((o * g.c_in + c) * g.kh + i) * g.kw + j] += d * xv as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    dw.into_iter().map(|v| v as f32).collect()
}

/// `db`: `dy` summed over batch and positions.
pub fn bias_grad(g: &ConvGeom, dy: &[f32]) -> Vec<f32> {
    let p = g.positions();
    (0..g.c_out)
        .map(|o| {
            let mut s = 0.0f64;
            for b in 0..g.batch {
                for q in 0..p {
                    s += dy[(b * g.c_out + o) * p + q] as f64;
                }
            }
            s as f32
        })
        .collect()
}
