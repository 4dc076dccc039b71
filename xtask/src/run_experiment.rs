//! `cargo xtask run EXPERIMENT [FLAGS...]`: run one experiment of any topic crate by its
//! full name, building that crate with the backend feature its `--backend` flag needs
//! (`wgpu` and `cuda` are off by default to keep builds lean).

use std::process::Command;

/// The cargo feature a `--backend` value needs, if it is not compiled in by default.
pub fn backend_feature(args: &[String]) -> Option<&'static str> {
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--backend=")
            .map(str::to_string)
            .or_else(|| {
                (a == "--backend")
                    .then(|| args.get(i + 1).cloned())
                    .flatten()
            })
    })?;
    match value.as_str() {
        "wgpu" => Some("wgpu"),
        "cuda" => Some("cuda"),
        _ => None,
    }
}

/// The cargo command that runs `experiment` (`topic/name`) with `args`.
pub fn command(experiment: &str, args: &[String]) -> Result<Command, String> {
    let (topic, name) = experiment
        .split_once('/')
        .ok_or_else(|| format!("`{experiment}`: name an experiment as topic/name, e.g. mlp/burn (see `cargo run -p mlp -- list`)"))?;
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["run", "--release", "-p", topic]);
    if let Some(feature) = backend_feature(args) {
        cmd.args(["--features", feature]);
    }
    cmd.arg("--").arg(name).args(args);
    Ok(cmd)
}

pub fn run(experiment: &str, args: &[String]) -> nn_core::Result<bool> {
    let mut cmd = command(experiment, args).map_err(nn_core::Error::Other)?;
    eprintln!("running: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| nn_core::Error::Other(format!("cannot start cargo: {e}")))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn gpu_backends_turn_their_feature_on() {
        assert_eq!(
            backend_feature(&strings(&["--backend", "wgpu"])),
            Some("wgpu")
        );
        assert_eq!(
            backend_feature(&strings(&["--epochs", "2", "--backend=cuda"])),
            Some("cuda")
        );
        assert_eq!(backend_feature(&strings(&["--backend", "flex"])), None);
        assert_eq!(backend_feature(&strings(&[])), None);
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
