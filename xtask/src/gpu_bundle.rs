//! `cargo xtask gpu-bundle`: what a lent GPU machine needs and lacks, packed into one
//! ignored folder (default `.gpu/`, at most 64 MiB, which the device tool carries):
//! - `ngvm.gz`: the course binary built with `wgpu` and burn's `vulkan` (NVIDIA's Vulkan
//!   driver), stripped and gzipped (that machine has no Rust toolchain);
//! - the Vulkan loader and glvnd libraries as Debian packages (it has the driver only);
//! - `bundle.json`: the commit, features and sizes it was built from.
//!
//! `scripts/gpu-run.sh` unpacks it there and runs the bench and the quick curriculum.
//! `--no-vulkan` builds plain `wgpu` instead, which runs on Mesa's lavapipe: how the bundle
//! and the run script are tried on a machine without a GPU.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The device tool carries at most this much.
const LIMIT_BYTES: u64 = 64 << 20;

/// The Debian packages of the Vulkan loader and the glvnd libraries the binary links.
const PACKAGES: &[&str] = &[
    "libvulkan1",
    "libglvnd0",
    "libglx0",
    "libegl1",
    "libgl1",
    "libopengl0",
];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder to fill (keep it ignored by git: `.gpu/` is).
    #[arg(long, default_value = ".gpu")]
    pub out: PathBuf,
    /// Plain `wgpu` without burn's `vulkan` feature: for Mesa's lavapipe (Vulkan on the
    /// CPU), which crashes with `vulkan` on; NVIDIA's driver wants the default.
    #[arg(long)]
    pub no_vulkan: bool,
    /// Leave the Debian packages out (for a machine that has the Vulkan loader).
    #[arg(long)]
    pub no_packages: bool,
    /// burn's GPU speed levers to compile in as well: `fusion`, `autotune` (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = ["fusion", "autotune"])]
    pub with: Vec<String>,
}

fn other(message: String) -> nn_data::Error {
    nn_data::Error::Other(message)
}

pub fn run(args: Args) -> nn_data::Result<bool> {
    let root = crate::course_binary::workspace_root();
    let out = root.join(&args.out);
    std::fs::create_dir_all(&out).map_err(|e| nn_data::Error::io(&out, e))?;
    let mut features = vec![if args.no_vulkan { "wgpu" } else { "vulkan" }];
    features.extend(args.with.iter().map(String::as_str));
    let features = features.as_slice();
    let binary = crate::course_binary::build_with(features)?;

    let stripped = out.join("ngvm");
    run_tool(
        Command::new("strip").arg("-o").arg(&stripped).arg(&binary),
        "strip (binutils) is needed to make the binary small enough to carry",
    )?;
    let packed = out.join("ngvm.gz");
    gzip(&stripped, &packed)?;
    std::fs::remove_file(&stripped).map_err(|e| nn_data::Error::io(&stripped, e))?;

    for old in debs(&out)? {
        std::fs::remove_file(&old).map_err(|e| nn_data::Error::io(&old, e))?;
    }
    if !args.no_packages {
        run_tool(
            Command::new("apt-get")
                .arg("download")
                .args(PACKAGES)
                .current_dir(&out),
            "`apt-get download` failed: run `apt-get update` once, or pass --no-packages \
             where the GPU machine has the Vulkan loader",
        )?;
    }

    let mut files: Vec<(String, u64)> = Vec::new();
    for entry in std::fs::read_dir(&out).map_err(|e| nn_data::Error::io(&out, e))? {
        let entry = entry.map_err(|e| nn_data::Error::io(&out, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "bundle.json" {
            continue; // rewritten below
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        files.push((name, size));
    }
    files.sort();
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    let record = serde_json::json!({
        "commit": commit(&root),
        "features": features,
        "files": files.iter().map(|(name, size)| serde_json::json!({"name": name, "bytes": size})).collect::<Vec<_>>(),
        "total_bytes": total,
    });
    let manifest = out.join("bundle.json");
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&record).unwrap_or_default() + "\n",
    )
    .map_err(|e| nn_data::Error::io(&manifest, e))?;
    for (name, size) in &files {
        println!("{:>10.1} MiB  {}", *size as f64 / (1 << 20) as f64, name);
    }
    println!(
        "{:>10.1} MiB  in {} (features: {})",
        total as f64 / (1 << 20) as f64,
        out.display(),
        features.join(",")
    );
    if total > LIMIT_BYTES {
        return Err(other(format!(
            "{} holds {:.1} MiB, over the 64 MiB the device tool carries: remove what the \
             run does not need",
            out.display(),
            total as f64 / (1 << 20) as f64
        )));
    }
    println!(
        "carry it with the working tree (carry: [\"{}\"]) and run `bash scripts/gpu-run.sh` there",
        args.out.display()
    );
    Ok(true)
}

/// The `.deb` files already in `dir` (replaced on every bundle).
fn debs(dir: &Path) -> nn_data::Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| nn_data::Error::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect())
}

fn run_tool(cmd: &mut Command, hint: &str) -> nn_data::Result<()> {
    let status = cmd
        .status()
        .map_err(|e| other(format!("cannot run {cmd:?} ({e}): {hint}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(other(format!("{cmd:?} failed ({status}): {hint}")))
    }
}

/// `gzip -9` of `from` into `to`.
fn gzip(from: &Path, to: &Path) -> nn_data::Result<()> {
    let mut input = std::fs::File::open(from).map_err(|e| nn_data::Error::io(from, e))?;
    let output = std::fs::File::create(to).map_err(|e| nn_data::Error::io(to, e))?;
    let mut encoder = flate2::write::GzEncoder::new(output, flate2::Compression::best());
    std::io::copy(&mut input, &mut encoder).map_err(|e| nn_data::Error::io(to, e))?;
    encoder.finish().map_err(|e| nn_data::Error::io(to, e))?;
    Ok(())
}

/// The commit the bundle is built from (with `-dirty` when the tree has changes).
fn commit(root: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}
