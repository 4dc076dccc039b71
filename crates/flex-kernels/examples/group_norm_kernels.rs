//! Times our fused group norm + activation kernels (statistics, forward, the backward's two
//! passes) on the diffusion U-Net's shapes, without burn around them, with SiLU and with no
//! activation: the difference is what the sigmoid costs. `cargo run --release -p
//! flex-kernels --example group_norm_kernels [-- REPEATS]`. Whole-step speed is `cargo
//! xtask bench`'s job (`bench/NOTES.md`, "The U-Net step, op by op", has its figures).

mod timing;

use flex_kernels::activation::{Activation, Identity, Silu};
use flex_kernels::group_norm::{
    GroupShape, group_norm_act_forward, group_norm_act_input_grad, group_norm_act_plane_sums,
    group_stats,
};
use timing::median_ms;

/// (name, batch, channels, side): the `unet-32` bench workload's levels, 8 groups.
const SHAPES: &[(&str, usize, usize, usize)] = &[
    ("level 1, 16 ch at 32x32", 32, 16, 32),
    ("level 2, 32 ch at 16x16", 32, 32, 16),
    ("level 3, 64 ch at 8x8", 32, 64, 8),
];
const GROUPS: usize = 8;
const EPS: f64 = 1e-5;

/// Statistics, forward, plane sums and input gradient of one shape with `act`: median ms.
fn time_passes(
    s: GroupShape,
    x: &[f32],
    dy: &[f32],
    act: impl Activation,
    repeats: usize,
) -> [f64; 4] {
    let gamma: Vec<f32> = (0..s.channels).map(|c| 1.0 + 0.01 * c as f32).collect();
    let beta: Vec<f32> = (0..s.channels).map(|c| 0.02 * c as f32).collect();
    let stats = group_stats(s, x);
    let sums = group_norm_act_plane_sums(s, x, dy, &gamma, &beta, &stats, EPS, act);
    [
        median_ms(repeats, || group_stats(s, x)[0]),
        median_ms(repeats, || {
            group_norm_act_forward(s, x, &gamma, &beta, &stats, EPS, act)[0]
        }),
        median_ms(repeats, || {
            group_norm_act_plane_sums(s, x, dy, &gamma, &beta, &stats, EPS, act)[0]
        }),
        median_ms(repeats, || {
            group_norm_act_input_grad(s, x, dy, &gamma, &beta, &stats, &sums, EPS, act)[0]
        }),
    ]
}

fn main() {
    let repeats: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    println!(
        "| shape | values | activation | statistics | forward | backward: plane sums | backward: input gradient | ns per value, all four |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|");
    for &(name, batch, channels, side) in SHAPES {
        let s = GroupShape::from_dims(&[batch, channels, side, side], GROUPS);
        let len = batch * channels * side * side;
        // A fixed, varied input: no randomness needed to time it.
        let x: Vec<f32> = (0..len)
            .map(|i| ((i * 7919) % 2003) as f32 / 500.0 - 2.0)
            .collect();
        let dy: Vec<f32> = (0..len)
            .map(|i| ((i * 104_729) % 1009) as f32 / 1000.0 - 0.5)
            .collect();
        for (label, ms) in [
            ("SiLU", time_passes(s, &x, &dy, Silu, repeats)),
            ("none", time_passes(s, &x, &dy, Identity, repeats)),
        ] {
            let total: f64 = ms.iter().sum();
            println!(
                "| {name} | {len} | {label} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.2} |",
                ms[0],
                ms[1],
                ms[2],
                ms[3],
                total * 1e6 / len as f64
            );
        }
    }
}
