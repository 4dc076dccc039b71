//! `cargo xtask bench [FLAGS]`: builds `ngvm` (with `--features wgpu`/`cuda` when such a
//! `--backend` is named), then runs `ngvm bench FLAGS` (see `ngvm bench --help`).

use std::process::Command;

pub fn run(args: &[String]) -> nn_core::Result<bool> {
    let gpu = args
        .windows(2)
        .filter(|w| w[0] == "--backend")
        .map(|w| w[1].as_str())
        .chain(args.iter().filter_map(|a| a.strip_prefix("--backend=")))
        .find(|b| ["wgpu", "cuda"].contains(b));
    let binary = crate::course_binary::build(gpu)?;
    let status = Command::new(&binary)
        .arg("bench")
        .args(args)
        .status()
        .map_err(|e| nn_core::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    Ok(status.success())
}
