//! `cargo xtask augment-gallery`: one real image of each data set present through every
//! augmentation, as one labelled PNG.

use nn_core::augment::{Image, gallery, gallery_transforms};
use nn_core::data::{DataDir, find, verify};
use nn_core::viz::save_grid;
use std::path::{Path, PathBuf};

pub fn run(data_dir: Option<&Path>, out: &Path) -> nn_core::Result<bool> {
    let dir = DataDir::resolve(data_dir);
    let mut rows = Vec::new();
    for (name, split) in [
        ("fashion-mnist", "test"),
        ("cifar-10", "test"),
        ("pneumoniamnist", "test"),
        ("cats", "all"),
    ] {
        let spec = find(name)?;
        if !verify::is_present(spec, &dir) {
            continue;
        }
        let data = spec.load(&dir, split)?;
        let image = Image::from_dataset(&data, 0);
        rows.push((name.to_string(), image.resized_rgb(64)));
    }
    if rows.is_empty() {
        eprintln!(
            "no data set found in {}; get one with `cargo xtask download fashion-mnist`",
            dir.display()
        );
        return Ok(false);
    }
    let cells = gallery(&rows, 42);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| nn_core::Error::io(parent, e))?;
    }
    save_grid(out, &cells, gallery_transforms().len() + 1, 2)?;
    println!(
        "wrote {} ({} images x {} columns)",
        out.display(),
        rows.len(),
        gallery_transforms().len() + 1
    );
    Ok(true)
}

/// Default output path.
pub fn default_out() -> PathBuf {
    PathBuf::from("runs/augment-gallery.png")
}
