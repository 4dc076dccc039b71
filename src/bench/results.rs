//! The bench's table (terminal and `results.md`) and `results.json`.

use super::Measured;
use super::conv_layers::LayerResult;
use super::decode::Decoding;
use super::machine::Machine;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Everything one `ngvm bench` run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub machine: Machine,
    /// PyTorch's version when compared.
    pub torch: Option<String>,
    pub warmup: usize,
    pub steps: usize,
    pub rounds: usize,
    pub workloads: Vec<Measured>,
    pub decoding: Vec<Decoding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conv_layers: Vec<LayerResult>,
}

impl Report {
    /// Markdown tables: training steps (with PyTorch and the ratio when compared), then
    /// data decoding.
    pub fn table(&self) -> String {
        let mut t = String::new();
        if !self.workloads.is_empty() {
            t.push_str(&self.steps_table());
        }
        if !self.decoding.is_empty() {
            t.push_str("\n| data set | images | file MB | seconds | images/s | file MB/s |\n");
            t.push_str("|---|---|---|---|---|---|\n");
            for d in &self.decoding {
                let _ = writeln!(
                    t,
                    "| {} | {} | {:.1} | {:.3} | {:.0} | {:.0} |",
                    d.dataset,
                    d.images,
                    d.file_bytes as f64 / 1e6,
                    d.seconds,
                    d.images_per_second,
                    d.file_megabytes_per_second
                );
            }
        }
        if !self.conv_layers.is_empty() {
            t.push('\n');
            t.push_str(&self.layers_table());
        }
        t
    }

    /// Training steps, with PyTorch and the ratio when compared.
    fn steps_table(&self) -> String {
        let mut t = String::new();
        let compared = self.workloads.iter().any(|m| m.ratio.is_some());
        t.push_str("| workload | backend | batch | parameters | ms / step | images/s |");
        if compared {
            t.push_str(" PyTorch images/s | ratio |");
        }
        t.push('\n');
        t.push_str("|---|---|---|---|---|---|");
        if compared {
            t.push_str("---|---|");
        }
        t.push('\n');
        for m in &self.workloads {
            let _ = write!(
                t,
                "| {} | {} | {} | {} | {:.1} | {:.0} |",
                m.workload, m.backend, m.batch, m.parameters, m.median_step_ms, m.images_per_second
            );
            if compared {
                match (m.torch_images_per_second, m.ratio) {
                    (Some(torch), Some(ratio)) => {
                        let _ = write!(t, " {torch:.0} | {ratio:.2} |");
                    }
                    _ => t.push_str(" - | - |"),
                }
            }
            t.push('\n');
        }
        t
    }

    /// Single convolutions: our forward, step (forward + input and weight gradients) and
    /// weight-gradient op with their GFLOP/s, burn's own ops in the same run, and PyTorch's
    /// times with the ratio (theirs / ours) when compared.
    fn layers_table(&self) -> String {
        let mut t = String::from(
            "| convolution | shape | backend | forward ms | step ms | weight grad ms | GFLOP/s (forward, step, weight grad) | burn's ops: forward / step / weight grad ms | PyTorch forward / step / weight grad ms | ours / PyTorch speed (forward, step, weight grad) |\n|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for l in &self.conv_layers {
            let (o, b) = (&l.ours, &l.burn);
            let rate = |gflop: f64, ms: f64| gflop / (ms / 1e3);
            let _ = write!(
                t,
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0}, {:.0}, {:.0} | {:.1} / {:.1} / {:.1} |",
                l.layer,
                l.shape,
                l.backend,
                o.forward_ms,
                o.step_ms,
                o.weight_grad_ms,
                rate(l.forward_gflop, o.forward_ms),
                rate(3.0 * l.forward_gflop, o.step_ms),
                rate(l.forward_gflop, o.weight_grad_ms),
                b.forward_ms,
                b.step_ms,
                b.weight_grad_ms,
            );
            match &l.torch {
                Some(p) => {
                    let _ = writeln!(
                        t,
                        " {:.1} / {:.1} / {:.1} | {:.2}, {:.2}, {:.2} |",
                        p.forward_ms,
                        p.step_ms,
                        p.weight_grad_ms,
                        p.forward_ms / o.forward_ms,
                        p.step_ms / o.step_ms,
                        p.weight_grad_ms / o.weight_grad_ms
                    );
                }
                None => t.push_str(" - | - |\n"),
            }
        }
        t
    }

    /// Writes `results.md` and `results.json` into `dir`.
    pub fn write(&self, dir: &Path) -> nn_core::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir).map_err(|e| nn_core::Error::io(dir, e))?;
        let md = dir.join("results.md");
        let mut text = format!(
            "# Bench results\n\n{}\n\nMedian of {} timed steps after {} warm-up steps (median of {} rounds); one step = forward + loss + backward + optimiser update + reading the loss back, f32.{}\n\n",
            self.machine.line(),
            self.steps,
            self.warmup,
            self.rounds,
            self.torch
                .as_ref()
                .map(|v| format!(" PyTorch {v} on the same machine with the same thread count, right after ours in each round."))
                .unwrap_or_default()
        );
        text.push_str(&self.table());
        nn_core::train::checkpoint::write_atomic(&md, text.as_bytes())?;
        let json = dir.join("results.json");
        let body = serde_json::to_string_pretty(self).unwrap_or_default();
        nn_core::train::checkpoint::write_atomic(&json, body.as_bytes())?;
        Ok((md, json))
    }
}
