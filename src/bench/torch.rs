//! The PyTorch reference: runs `bench/pytorch/bench.py` (the same workloads, layer for
//! layer) with the same thread count and step counts, and reads its JSON lines.

use std::path::Path;
use std::process::Command;

/// One workload as PyTorch ran it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TorchResult {
    pub workload: String,
    pub images_per_second: f64,
    pub torch: String,
    /// Learnable parameters of the PyTorch model(s): must equal ours.
    pub parameters: Option<usize>,
}

/// How PyTorch runs the workloads: as ours (threads, steps, batch), on `device`.
pub struct Settings<'a> {
    pub threads: usize,
    pub warmup: usize,
    pub steps: usize,
    /// Every workload's batch instead of its own.
    pub batch: Option<usize>,
    /// `cpu` or `cuda`.
    pub device: &'a str,
}

/// Why there is no comparison (torch missing, script failed), or the results.
pub fn run(
    python: &str,
    script: &Path,
    workloads: &[&str],
    settings: Settings,
) -> Result<Vec<TorchResult>, String> {
    let Settings {
        threads,
        warmup,
        steps,
        batch,
        device,
    } = settings;
    if !script.exists() {
        return Err(format!(
            "{} not found: run from the repository root or pass --torch-script",
            script.display()
        ));
    }
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .args(["--threads", &threads.to_string()])
        .args(["--warmup", &warmup.to_string()])
        .args(["--steps", &steps.to_string()])
        .args(["--device", device]);
    if let Some(batch) = batch {
        cmd.args(["--batch", &batch.to_string()]);
    }
    for w in workloads {
        cmd.args(["--workload", w]);
    }
    json_lines(python, script, cmd)
}

/// Runs `cmd` (`python script ...`) and reads its JSON lines from stdout. Exit code 3 is the
/// script's "torch is not importable"; any other failure names the script and its stderr.
pub fn json_lines<T: serde::de::DeserializeOwned>(
    python: &str,
    script: &Path,
    mut cmd: Command,
) -> Result<Vec<T>, String> {
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run `{python}` ({e}): set --python to a Python with torch"))?;
    if output.status.code() == Some(3) {
        return Err(format!(
            "PyTorch is not importable by `{python}` (`pip install torch`, or --python PATH): comparison skipped"
        ));
    }
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).map_err(|e| format!("unreadable line `{l}`: {e}")))
        .collect()
}
