//! `cargo xtask bench-data`: how long decoding each data set into an `ImageDataset` takes.

use nn_core::data::{DataDir, catalog, verify};
use std::path::Path;
use std::time::Instant;

pub fn run(data_dir: Option<&Path>, repeat: usize) -> nn_core::Result<bool> {
    let dir = DataDir::resolve(data_dir);
    println!(
        "data dir: {}  (best of {repeat}; rayon threads: {})",
        dir.display(),
        rayon_threads()
    );
    println!(
        "{:<20} {:>8} {:>10} {:>12}",
        "data set", "images", "best ms", "images/s"
    );
    for spec in catalog() {
        if !verify::is_present(spec, &dir) {
            continue;
        }
        let mut best = f64::INFINITY;
        let mut images = 0;
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            images = 0;
            for (split, _) in spec.splits {
                images += spec.load(&dir, split)?.len();
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!(
            "{:<20} {:>8} {:>10.1} {:>12.0}",
            spec.name,
            images,
            best * 1e3,
            images as f64 / best
        );
    }
    Ok(true)
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into())
}
