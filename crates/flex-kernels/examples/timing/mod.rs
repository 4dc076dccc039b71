//! What the kernel examples share: a median time of repeated calls.

use std::time::Instant;

/// Median milliseconds of `repeats` calls after one warm-up call; `f` returns one value of
/// its output, summed and kept so the work cannot be optimised away.
pub fn median_ms(repeats: usize, mut f: impl FnMut() -> f32) -> f64 {
    let mut sink = f();
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            sink += f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
