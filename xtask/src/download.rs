//! `cargo xtask download [NAMES|--all]`: fetch, verify and unpack data sets, and fetch
//! pre-trained weights (`vgg19`, ...) when named.

use nn_core::data::download::{DownloadOptions, Fetched, derive_dataset, fetch_dataset};
use nn_core::data::weights::{find_weights, weights};
use nn_core::data::{DataDir, catalog, find};
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

pub fn run(args: Args) -> nn_core::Result<bool> {
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
