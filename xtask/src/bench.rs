//! `cargo xtask bench [FLAGS]`: builds `ngvm` (with `--features wgpu`/`cuda` when such a
//! `--backend` is named), then runs `ngvm bench FLAGS` (see `ngvm bench --help`).

use std::process::Command;

pub fn run(args: &[String]) -> nn_data::Result<bool> {
    let binary = crate::course_binary::build(crate::backend_feature::backend_in(args))?;
    let status = Command::new(&binary)
        .arg("bench")
        .args(args)
        .status()
        .map_err(|e| nn_data::Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    Ok(status.success())
}
