//! `cargo xtask download [NAMES|--all]`: fetch, verify and unpack data sets, and fetch
//! pre-trained weights (`vgg19`, ...) when named.

use nn_data::catalog::{DatasetSpec, Layout};
use nn_data::download::{DownloadOptions, Fetched, derive_dataset, fetch_dataset};
use nn_data::verify::{is_present, verify};
use nn_data::weights::{find_weights, weights};
use nn_data::{DataDir, catalog, find};
use std::path::Path;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Data sets or weights to fetch (see the list with no names).
    pub names: Vec<String>,
    /// Fetch every data set of the course (not the weights: name those).
    #[arg(long)]
    pub all: bool,
    /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Attempts per source before trying the next mirror.
    #[arg(long, default_value_t = 4)]
    pub attempts: u32,
}

pub fn run(args: Args) -> nn_data::Result<bool> {
    let dir = DataDir::resolve(args.data_dir.as_deref());
    let names: Vec<String> = if args.all {
        catalog().iter().map(|s| s.name.to_string()).collect()
    } else {
        args.names.clone()
    };
    if names.is_empty() {
        println!("name the data sets to fetch, or pass --all:");
        for spec in catalog() {
            println!("  {:<20} {} ({})", spec.name, spec.title, spec.licence);
        }
        println!("pre-trained weights (fetched only when named):");
        for w in weights() {
            println!("  {:<20} {} ({})", w.name, w.title, w.licence);
        }
        return Ok(true);
    }
    let options = DownloadOptions {
        attempts: args.attempts,
        ..Default::default()
    };
    let mut ok = true;
    for name in &names {
        if let Some(w) = find_weights(name) {
            match w.fetch(&dir, &options) {
                Ok(Fetched::AlreadyVerified) => println!("{name}: already present and verified"),
                Ok(_) => println!(
                    "{name}: downloaded to {}, checksum verified",
                    w.path(&dir).display()
                ),
                Err(e) => {
                    ok = false;
                    eprintln!("{name}: FAILED: {e}");
                }
            }
            continue;
        }
        let spec = find(name)?;
        match present_state(spec, &dir) {
            Present::Complete => {
                println!("{name}: already present and verified");
                continue;
            }
            Present::Short(count) => {
                // A shortened set that verifies (the CIFAR-10 subset) is used as it is when
                // the full one cannot be had: said once, not as a failure.
                match fetch_dataset(spec, &dir, &options) {
                    Ok(_) => println!("{name}: downloaded and verified"),
                    Err(e) => println!(
                        "{name}: using the {count} images present; the full set could not be fetched ({e})"
                    ),
                }
                continue;
            }
            Present::No => {}
        }
        let result = match spec.derived_from {
            Some(source) => fetch_dataset(find(source)?, &dir, &options)
                .and_then(|_| derive_dataset(spec, &dir))
                .map(|f| vec![f]),
            None => fetch_dataset(spec, &dir, &options),
        };
        match result {
            Ok(fetched) if fetched.iter().all(|f| *f == Fetched::AlreadyVerified) => {
                println!("{name}: already present and verified")
            }
            Ok(_) => println!("{name}: downloaded and verified"),
            Err(e) => {
                ok = false;
                eprintln!("{name}: FAILED: {e}");
            }
        }
    }
    println!();
    Ok(super::verify::run(Some(&dir))? && ok)
}

/// What the data directory already holds of a data set, as `verify` reads it.
#[derive(Debug, PartialEq, Eq)]
enum Present {
    /// Nothing, or files that do not verify: fetch it.
    No,
    /// Every split, verified: nothing to fetch.
    Complete,
    /// Verified, but fewer images than the official release (this many).
    Short(usize),
}

/// Whether `spec` is in `dir` and verifies, whole or shortened. A set that verifies is
/// not fetched again, so a machine without network reports no failure for data it has.
fn present_state(spec: &DatasetSpec, dir: &Path) -> Present {
    if !is_present(spec, dir) {
        return Present::No;
    }
    let report = verify(spec, dir);
    if !report.ok() || report.splits.len() < spec.splits.len() {
        return Present::No;
    }
    // Folders have no official count to fall short of.
    let counted = !matches!(spec.layout, Layout::Folder | Layout::PetCatHeads);
    let short = counted
        && spec.splits.iter().any(|(split, official)| {
            report
                .splits
                .iter()
                .any(|(s, n)| s == split && n < official)
        });
    if short {
        Present::Short(report.splits.iter().map(|(_, n)| n).sum())
    } else {
        Present::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn_data::{ImageDataset, ImageShape};

    #[test]
    fn a_set_that_verifies_is_not_fetched_again() {
        let data = tempfile::tempdir().unwrap();
        let cats = find("cats").unwrap();
        assert_eq!(present_state(cats, data.path()), Present::No);
        let folder = cats.dir(data.path());
        std::fs::create_dir_all(&folder).unwrap();
        let shape = ImageShape::new(3, 8, 8);
        for i in 0..2 {
            nn_data::formats::image_folder::save_png(
                &folder.join(format!("cat{i}.png")),
                shape,
                &vec![100u8; shape.len()],
            )
            .unwrap();
        }
        assert_eq!(present_state(cats, data.path()), Present::Complete);
        // An unreadable file: verify fails, so the set is fetched again.
        std::fs::write(folder.join("broken.png"), b"not a png").unwrap();
        assert_eq!(present_state(cats, data.path()), Present::No);
    }

    #[test]
    fn a_shortened_set_that_verifies_is_used_with_its_count() {
        let data = tempfile::tempdir().unwrap();
        let cifar = find("cifar-10").unwrap();
        let batches = cifar.dir(data.path()).join("cifar-10-batches-bin");
        std::fs::create_dir_all(&batches).unwrap();
        let images = |n: usize| ImageDataset {
            pixels: vec![7u8; n * 3072],
            labels: Some((0..n as u16).map(|i| i % 10).collect()),
            shape: ImageShape::new(3, 32, 32),
            class_names: Vec::new(),
            source: String::new(),
        };
        let write = nn_data::formats::cifar::write_cifar;
        write(&batches.join("data_batch_1.bin"), &images(6), None).unwrap();
        write(&batches.join("test_batch.bin"), &images(4), None).unwrap();
        assert_eq!(present_state(cifar, data.path()), Present::Short(10));
    }
}
