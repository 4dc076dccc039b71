//! `cargo xtask run EXPERIMENT [FLAGS...]`: run one experiment of any topic crate by its
//! full name, building that crate with the backend feature its `--backend` flag needs
//! (`wgpu` and `cuda` are off by default to keep builds lean).

use std::process::Command;

/// The cargo command that runs `experiment` (`topic/name`) with `args`.
pub fn command(experiment: &str, args: &[String]) -> Result<Command, String> {
    let (topic, name) = experiment
        .split_once('/')
        .ok_or_else(|| format!("`{experiment}`: name an experiment as topic/name, e.g. mlp/burn (see `cargo run -p mlp -- list`)"))?;
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["run", "--release", "-p", topic]);
    if let Some(feature) = crate::backend_feature::feature_for_args(args) {
        cmd.args(["--features", feature]);
    }
    cmd.arg("--").arg(name).args(args);
    Ok(cmd)
}

pub fn run(experiment: &str, args: &[String]) -> nn_data::Result<bool> {
    let mut cmd = command(experiment, args).map_err(nn_data::Error::Other)?;
    eprintln!("running: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| nn_data::Error::Other(format!("cannot start cargo: {e}")))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_gpu_backend_builds_the_topic_crate_with_its_feature() {
        let cmd = command(
            "cnn/pneumonia",
            &strings(&["--backend", "wgpu", "--preset", "full"]),
        )
        .unwrap();
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            strings(&[
                "run",
                "--release",
                "-p",
                "cnn",
                "--features",
                "wgpu",
                "--",
                "pneumonia",
                "--backend",
                "wgpu",
                "--preset",
                "full"
            ])
        );
        assert!(command("pneumonia", &[]).is_err());
    }
}
