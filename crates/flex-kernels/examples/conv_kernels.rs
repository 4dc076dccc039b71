//! Times our raw convolution kernels (forward, input gradient, weight gradient) on the
//! shapes of `ngvm bench --workload conv-layers`, without burn around them: the quick loop
//! for tuning `flex_kernels::conv`. `cargo run --release -p flex-kernels --example
//! conv_kernels [-- REPEATS [NAME]]`. Whole-step speed is `cargo xtask bench`'s job.
//! `KC_TARGET_COLS`, `KC_COL_BUDGET` and `KC_MIN_GROUPS` (environment) override the
//! [`KernelConfig`] defaults, to try a tuning before changing them.

mod timing;

use flex_kernels::conv::{conv2d_forward_with, conv2d_input_grad_with};
use flex_kernels::geometry::{ConvGeom, KernelConfig};
use flex_kernels::weight_grad::conv2d_weight_grad_with;
use timing::median_ms;

/// (name, channels in, channels out, size, batch): 3x3, stride 1, padding 1.
const LAYERS: &[(&str, usize, usize, usize, usize)] = &[
    ("cnn-fashion conv2", 32, 64, 14, 128),
    ("cnn-fashion conv3", 64, 64, 7, 128),
    ("vgg19 stage 1", 64, 64, 32, 32),
    ("vgg19 stage 2", 128, 128, 16, 32),
    ("vgg19 stage 3", 256, 256, 8, 32),
    ("vgg19 stage 4", 512, 512, 4, 32),
    ("vgg19 stage 5", 512, 512, 2, 32),
];

/// The defaults, with any `KC_*` override from the environment.
fn kernel_config() -> KernelConfig {
    let read = |name: &str, default: usize| -> usize {
        std::env::var(name).map_or(default, |v| {
            v.parse().unwrap_or_else(|_| {
                eprintln!("{name} must be a whole number (e.g. {default}), got {v:?}");
                std::process::exit(2)
            })
        })
    };
    let d = KernelConfig::default();
    KernelConfig {
        target_cols: read("KC_TARGET_COLS", d.target_cols),
        col_budget: read("KC_COL_BUDGET", d.col_budget),
        min_groups: read("KC_MIN_GROUPS", d.min_groups),
        ..d
    }
}

fn main() {
    let cfg = kernel_config();
    let repeats: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("REPEATS must be a whole number, e.g. 10"))
        .unwrap_or(10);
    println!("| layer | forward ms | input grad ms | weight grad ms | GFLOP/s (fwd, dx, dw) |");
    println!("|---|---|---|---|---|");
    let only = std::env::args().nth(2);
    for &(name, c, o, s, n) in LAYERS {
        // `conv_kernels REPEATS NAME` times only the layers whose name contains NAME.
        if only.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let g = ConvGeom::new([n, c, s, s], [o, c, 3, 3], [1, 1], [1, 1]);
        let fill = |len: usize, seed: u32| -> Vec<f32> {
            (0..len)
                .map(|i| {
                    ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) as f32
                        / (1u32 << 24) as f32
                        - 0.5
                })
                .collect()
        };
        let (x, w, dy) = (fill(g.x_len(), 1), fill(g.w_len(), 2), fill(g.y_len(), 3));
        let fwd = median_ms(repeats, || conv2d_forward_with(&g, &x, &w, None, &cfg)[0]);
        let dx = median_ms(repeats, || conv2d_input_grad_with(&g, &w, &dy, &cfg)[0]);
        let dw = median_ms(repeats, || conv2d_weight_grad_with(&g, &x, &dy, &cfg)[0]);
        let gflop = 2.0 * (c * 9 * o * s * s * n) as f64 / 1e9;
        println!(
            "| {name} | {fwd:.1} | {dx:.1} | {dw:.1} | {:.0}, {:.0}, {:.0} |",
            gflop / fwd * 1e3,
            gflop / dx * 1e3,
            gflop / dw * 1e3
        );
    }
}
