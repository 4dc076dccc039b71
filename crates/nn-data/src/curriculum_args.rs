//! The flags of a curriculum run, shared by `cargo xtask curriculum` (which builds and
//! downloads, then hands them on) and `ngvm curriculum` (which runs the experiments).

use crate::choices::{BackendKind, Preset};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct CurriculumArgs {
    /// `quick` (minutes per experiment) or `full` (the real assignments).
    #[arg(long, value_enum, default_value_t = Preset::Quick)]
    pub preset: Preset,
    /// Backend of every run (`flex`, `ndarray`, `wgpu`, `cuda`; each experiment's default
    /// when absent); `cargo xtask` compiles ndarray, wgpu and cuda in for the run.
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Train the classifiers data-parallel on these devices of the backend (`0,1`); the
    /// other experiments note that they trained on the first.
    #[arg(long, value_name = "LIST")]
    pub devices: Option<String>,
    /// Only these topics (`cnn`) or experiments (`cnn/pneumonia`); repeatable.
    #[arg(long)]
    pub only: Vec<String>,
    /// Data directory (default: NGVM_DATA_DIR, else datasets/ at the workspace root).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Do not download: experiments whose data is absent run on synthetic stand-ins,
    /// marked as such.
    #[arg(long)]
    pub offline: bool,
    /// Skip the experiments that finished and continue an interrupted one from its
    /// checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Where the runs, `curriculum.json` and `report/` go.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
}

impl CurriculumArgs {
    /// The same flags on a command line, for the process that runs them.
    pub fn to_flags(&self) -> Vec<std::ffi::OsString> {
        let mut flags: Vec<std::ffi::OsString> = vec!["--preset".into(), self.preset.name().into()];
        if let Some(backend) = self.backend {
            flags.extend(["--backend".into(), backend.name().into()]);
        }
        if let Some(devices) = &self.devices {
            flags.extend(["--devices".into(), devices.into()]);
        }
        for only in &self.only {
            flags.extend(["--only".into(), only.into()]);
        }
        if let Some(dir) = &self.data_dir {
            flags.extend(["--data-dir".into(), dir.clone().into()]);
        }
        if self.offline {
            flags.push("--offline".into());
        }
        if self.resume {
            flags.push("--resume".into());
        }
        flags.extend(["--out".into(), self.out.clone().into()]);
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CurriculumArgs,
    }

    #[test]
    fn flags_handed_on_parse_back_to_the_same_settings() {
        let parse =
            |line: &[&str]| Cli::parse_from(std::iter::once("t").chain(line.iter().copied())).args;
        for line in [
            &[][..],
            &[
                "--preset",
                "full",
                "--backend",
                "wgpu",
                "--devices",
                "0,1",
                "--only",
                "topic",
                "--only",
                "topic/name",
            ],
            &["--data-dir", "/d", "--offline", "--resume", "--out", "/o"],
        ] {
            let args = parse(line);
            let again = Cli::parse_from(std::iter::once("t".into()).chain(args.to_flags())).args;
            assert_eq!(again, args, "{line:?}");
        }
    }
}
