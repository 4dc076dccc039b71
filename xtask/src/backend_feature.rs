//! Which cargo feature a `--backend` needs: the one place xtask decides it. Only `flex` is
//! compiled in by default; `ndarray` (deprecated upstream, 14 CPU-minutes of build),
//! `wgpu` and `cuda` are off to keep builds lean.

use clap::ValueEnum;
use nn_data::BackendKind;

/// The cargo feature that compiles `backend` in, if it is not there by default: every
/// backend but `flex` has a feature of its own name (an unknown name is left to `ngvm`,
/// which says what it accepts).
pub fn feature_of(backend: &str) -> Option<&'static str> {
    match BackendKind::from_str(backend, true).ok()? {
        BackendKind::Flex => None,
        kind @ (BackendKind::Ndarray | BackendKind::Wgpu | BackendKind::Cuda) => Some(kind.name()),
    }
}

/// The value of `--backend VALUE` or `--backend=VALUE` among `args`, if any.
pub fn backend_in(args: &[String]) -> Option<&str> {
    args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--backend=").or_else(|| {
            (a == "--backend")
                .then(|| args.get(i + 1).map(String::as_str))
                .flatten()
        })
    })
}

/// The cargo feature the `--backend` among `args` needs, if any.
pub fn feature_for_args(args: &[String]) -> Option<&'static str> {
    backend_in(args).and_then(feature_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn backends_off_by_default_turn_their_feature_on() {
        let feature = |args: &[&str]| feature_for_args(&strings(args));
        assert_eq!(feature(&["--backend", "wgpu"]), Some("wgpu"));
        assert_eq!(feature(&["--epochs", "2", "--backend=cuda"]), Some("cuda"));
        assert_eq!(feature(&["--backend", "ndarray"]), Some("ndarray"));
        assert_eq!(feature(&["--backend", "flex"]), None);
        assert_eq!(feature(&["--backend"]), None);
        assert_eq!(feature(&[]), None);
    }
}
