//! `ngvm bench` (what `cargo xtask bench` runs after building): training-step throughput of
//! the course's own models on each backend, data decoding speed, and optionally the same
//! workloads in PyTorch side by side. Writes `bench/results.md` and `bench/results.json`.

pub mod conv_layers;
pub mod decode;
pub mod time_to_accuracy;
pub mod torch;
pub mod workloads;

use nn_core::BackendKind;
use std::path::PathBuf;
use std::time::Instant;
use workloads::WORKLOADS;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Backends to measure (repeatable); default `flex`.
    #[arg(long)]
    pub backend: Vec<BackendKind>,
    /// Workloads (repeatable): the training ones (see `--list`), `decode`, and
    /// `conv-layers` (single convolutions, only when named); default all but
    /// `conv-layers`.
    #[arg(long)]
    pub workload: Vec<String>,
    /// Untimed steps first (allocation, autotuning).
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Timed steps; the median is reported.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Rounds over all workloads (ours then PyTorch's, per workload); the median round is
    /// reported. More rounds steady the figures on a shared machine.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Also run the PyTorch reference (`bench/pytorch/bench.py`) and print the ratio.
    #[arg(long, value_parser = ["torch"])]
    pub compare: Option<String>,
    /// Batch size of every training workload instead of its own (the GPU table uses 64 and
    /// 256); PyTorch gets the same.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: Option<u64>,
    /// Where PyTorch runs for `--compare torch`: `cpu`, or `cuda` beside a GPU backend.
    #[arg(long, value_parser = ["cpu", "cuda"], default_value = "cpu")]
    pub torch_device: String,
    /// Python with torch for `--compare torch` (default: NGVM_PYTHON, else python3).
    #[arg(long)]
    pub python: Option<String>,
    #[arg(long, default_value = "bench/pytorch/bench.py")]
    pub torch_script: PathBuf,
    /// Data directory for `decode` (default: NGVM_DATA_DIR, else datasets/).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where `results.md` and `results.json` go.
    #[arg(long, default_value = "bench")]
    pub out: PathBuf,
    /// List the workloads with their parameter counts and exit.
    #[arg(long)]
    pub list: bool,
    /// Run the models' convolutions through burn's own ops instead of our kernels
    /// (`nn_core::kernels`), to measure what the kernels change.
    #[arg(long)]
    pub burn_convolutions: bool,
    /// Run the models' batch norms, group norms and max pooling through burn's own ops
    /// instead of our kernels (`nn_core::kernels::norm`, `group_norm`, `pool`), to measure
    /// what they change.
    #[arg(long)]
    pub burn_norms: bool,
    /// `time-to-accuracy`: epochs of the cosine schedule both sides train for.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub tta_epochs: u64,
    /// `time-to-accuracy`: the test accuracy to reach.
    #[arg(long, default_value_t = 0.915)]
    pub tta_target: f64,
    /// `time-to-accuracy`: train and test on at most this many images (a smoke run).
    #[arg(long)]
    pub tta_limit: Option<usize>,
}

impl Args {
    /// The Python that runs the reference: `--python`, else NGVM_PYTHON, else python3.
    fn python_command(&self) -> String {
        self.python
            .clone()
            .or_else(|| std::env::var("NGVM_PYTHON").ok())
            .unwrap_or_else(|| "python3".into())
    }
}

/// The workload name of [`time_to_accuracy`].
const TIME_TO_ACCURACY: &str = "time-to-accuracy";

/// Ours, then PyTorch's with `--compare torch`; writes `time_to_accuracy.*` into `--out`.
fn run_time_to_accuracy(args: &Args) -> nn_core::Result<()> {
    let data_dir = nn_core::data::DataDir::resolve(args.data_dir.as_deref());
    let epochs = args.tta_epochs as usize;
    let scratch = args.out.join("time-to-accuracy-run");
    let ours = time_to_accuracy::ours(&data_dir, epochs, args.tta_limit, &scratch)?;
    let (torch, torch_note) = if args.compare.is_some() {
        let python = args.python_command();
        let threads = machine::Machine::read().threads;
        match time_to_accuracy::torch(
            &python,
            &args.torch_script,
            &data_dir,
            epochs,
            args.tta_limit,
            threads,
        ) {
            Ok(points) => (Some(points), None),
            Err(why) => (None, Some(why)),
        }
    } else {
        (None, Some("not compared (add --compare torch)".to_string()))
    };
    let report = time_to_accuracy::TimeToAccuracy {
        target: args.tta_target,
        epochs,
        ours,
        torch,
        torch_note,
    };
    println!("{}", report.table());
    for file in report.write(&args.out)? {
        println!("written: {}", file.display());
    }
    Ok(())
}

/// One workload measured on one backend.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measured {
    pub workload: String,
    pub backend: String,
    pub batch: usize,
    pub parameters: usize,
    pub images_per_second: f64,
    pub median_step_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torch_images_per_second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

/// Median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Times `warmup + steps` steps of `name` on `backend` and returns the median step.
pub fn measure(
    name: &str,
    backend: BackendKind,
    batch: Option<usize>,
    warmup: usize,
    steps: usize,
) -> nn_core::Result<Measured> {
    let device = nn_core::backend::device(backend)?.autodiff();
    let unknown = || nn_core::Error::Other(format!("unknown workload `{name}`"));
    let parameters = workloads::parameters(name, &device).ok_or_else(unknown)?;
    let (mut step, batch) = workloads::build(name, batch, &device).ok_or_else(unknown)?;
    for _ in 0..warmup {
        check_finite(name, step())?;
    }
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps.max(1) {
        let started = Instant::now();
        check_finite(name, step())?;
        times.push(started.elapsed().as_secs_f64());
    }
    let seconds = median(&mut times);
    Ok(Measured {
        workload: name.to_string(),
        backend: backend.name().to_string(),
        batch,
        parameters,
        images_per_second: batch as f64 / seconds,
        median_step_ms: seconds * 1e3,
        torch_images_per_second: None,
        ratio: None,
    })
}

fn check_finite(name: &str, loss: f32) -> nn_core::Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(nn_core::Error::Other(format!(
            "workload `{name}`: the loss became {loss}; the step is broken"
        )))
    }
}

pub fn run(args: Args) -> nn_core::Result<bool> {
    nn_core::kernels::set_enabled(!args.burn_convolutions);
    nn_core::kernels::set_norm_pool_enabled(!args.burn_norms);
    let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
    if args.list {
        list_workloads()?;
        return Ok(true);
    }
    check_workloads(&args, &known)?;
    if args.workload.iter().any(|w| w == TIME_TO_ACCURACY) {
        run_time_to_accuracy(&args)?;
        if args.workload.iter().all(|w| w == TIME_TO_ACCURACY) {
            return Ok(true);
        }
    }
    let chosen: Vec<&str> = known
        .iter()
        .copied()
        .filter(|n| args.workload.is_empty() || args.workload.iter().any(|w| w == n))
        .collect();
    let backends = if args.backend.is_empty() {
        vec![BackendKind::Flex]
    } else {
        args.backend.clone()
    };
    let machine = machine::Machine::read();
    println!("{}", machine.line());
    let python = args.python_command();
    let mut rounds = Rounds::new(args.compare.is_some());
    for round in 1..=args.rounds.max(1) {
        for name in &chosen {
            for &backend in &backends {
                rounds.measure_ours(round, name, backend, &args)?;
            }
            if rounds.compare {
                rounds.measure_torch(round, name, &python, &args, machine.threads);
            }
        }
    }
    let compare = rounds.compare;
    let torch_version = rounds.torch_version.clone();
    let measured = rounds.medians();
    let decoding = if args.workload.is_empty() || args.workload.iter().any(|w| w == "decode") {
        let dir = nn_core::data::DataDir::resolve(args.data_dir.as_deref());
        decode::measure(&dir, 3)?
    } else {
        Vec::new()
    };
    let layers = if args.workload.iter().any(|w| w == "conv-layers") {
        measure_conv_layers(
            &args,
            &backends,
            compare.then_some(python.as_str()),
            machine.threads,
        )?
    } else {
        Vec::new()
    };
    let report = results::Report {
        machine,
        torch: torch_version,
        warmup: args.warmup,
        steps: args.steps,
        rounds: args.rounds.max(1),
        workloads: measured,
        decoding,
        conv_layers: layers,
    };
    println!("{}", report.table());
    let (md, json) = report.write(&args.out)?;
    println!("written: {} and {}", md.display(), json.display());
    Ok(true)
}

/// `--list`: every workload with its batch, parameters and what it is.
fn list_workloads() -> nn_core::Result<()> {
    let device = nn_core::backend::device(BackendKind::preferred())?;
    for w in WORKLOADS {
        let params = workloads::parameters(w.name, &device).unwrap_or(0);
        println!(
            "{:<12} batch {:>3}  {:>10} parameters  {}",
            w.name, w.batch, params, w.about
        );
    }
    println!("{:<12} decoding every data set present", "decode");
    println!(
        "{:<12} single 3x3 convolutions: forward, step, weight gradient (only when named)",
        "conv-layers"
    );
    println!(
        "{:<12} seconds for the Fashion-MNIST CNN to reach --tta-target (only when named)",
        "time-to-accuracy"
    );
    Ok(())
}

/// An error naming every `--workload` that is not one.
fn check_workloads(args: &Args, known: &[&str]) -> nn_core::Result<()> {
    let extra = ["decode", "conv-layers", TIME_TO_ACCURACY];
    for w in &args.workload {
        if !extra.contains(&w.as_str()) && !known.contains(&w.as_str()) {
            return Err(nn_core::Error::Other(format!(
                "--workload {w}: unknown; known: {}, {}",
                known.join(", "),
                extra.join(", ")
            )));
        }
    }
    Ok(())
}

/// The measurements of every round. Each round measures every workload on every backend
/// and then, right after, in PyTorch: both see the same machine state (a VM's neighbours
/// come and go); the median over rounds is reported.
struct Rounds {
    ours: Vec<(Measured, Vec<f64>)>,
    theirs: std::collections::HashMap<String, Vec<f64>>,
    torch_version: Option<String>,
    /// Still comparing with PyTorch (off after it failed once).
    compare: bool,
}

impl Rounds {
    fn new(compare: bool) -> Self {
        Self {
            ours: Vec::new(),
            theirs: Default::default(),
            torch_version: None,
            compare,
        }
    }

    fn measure_ours(
        &mut self,
        round: usize,
        name: &str,
        backend: BackendKind,
        args: &Args,
    ) -> nn_core::Result<()> {
        eprint!("[round {round}] {name} on {backend} ... ");
        let batch = args.batch.map(|b| b as usize);
        let m = measure(name, backend, batch, args.warmup, args.steps)?;
        eprintln!("{:.0} images/s", m.images_per_second);
        match self
            .ours
            .iter_mut()
            .find(|(o, _)| o.workload == m.workload && o.backend == m.backend)
        {
            Some((_, runs)) => runs.push(m.images_per_second),
            None => {
                let ips = m.images_per_second;
                self.ours.push((m, vec![ips]));
            }
        }
        Ok(())
    }

    /// The same workload in PyTorch; a model whose parameter count differs from ours gets
    /// no ratio, and a PyTorch that cannot run ends the comparison with its reason.
    fn measure_torch(
        &mut self,
        round: usize,
        name: &str,
        python: &str,
        args: &Args,
        threads: usize,
    ) {
        let parameters = self
            .ours
            .iter()
            .find(|(o, _)| o.workload == name)
            .map_or(0, |(o, _)| o.parameters);
        let settings = torch::Settings {
            threads,
            warmup: args.warmup,
            steps: args.steps,
            batch: args.batch.map(|b| b as usize),
            device: &args.torch_device,
        };
        let results = match torch::run(python, &args.torch_script, &[name], settings) {
            Ok(results) => results,
            Err(why) => {
                eprintln!("{why}");
                self.compare = false;
                return;
            }
        };
        for r in results.iter().filter(|r| r.workload == name) {
            if r.parameters.is_some_and(|p| p != parameters) {
                eprintln!(
                    "warning: {name}: PyTorch's model has {:?} parameters, ours {parameters}: not the same model, no ratio",
                    r.parameters
                );
                continue;
            }
            eprintln!(
                "[round {round}] {name} in PyTorch: {:.0} images/s",
                r.images_per_second
            );
            self.torch_version = Some(r.torch.clone());
            self.theirs
                .entry(name.to_string())
                .or_default()
                .push(r.images_per_second);
        }
    }

    /// Each workload's median over the rounds, with PyTorch's and the ratio where measured.
    fn medians(self) -> Vec<Measured> {
        let mut theirs = self.theirs;
        self.ours
            .into_iter()
            .map(|(mut m, mut runs)| {
                m.images_per_second = median(&mut runs);
                m.median_step_ms = m.batch as f64 / m.images_per_second * 1e3;
                if let Some(runs) = theirs.get_mut(m.workload.as_str()) {
                    let torch = median(runs);
                    m.torch_images_per_second = Some(torch);
                    m.ratio = Some(m.images_per_second / torch);
                }
                m
            })
            .collect()
    }
}

/// `--workload conv-layers`: single convolutions on each backend, with PyTorch's times
/// beside them when `python` is given.
fn measure_conv_layers(
    args: &Args,
    backends: &[BackendKind],
    python: Option<&str>,
    threads: usize,
) -> nn_core::Result<Vec<conv_layers::LayerResult>> {
    let mut layers = Vec::new();
    for &backend in backends {
        layers.extend(conv_layers::measure(backend, args.warmup, args.steps)?);
    }
    if let Some(python) = python {
        match conv_layers::torch(python, &args.torch_script, threads, args.warmup, args.steps) {
            Ok(times) => {
                for layer in &mut layers {
                    layer.torch = times
                        .iter()
                        .find(|(name, _)| *name == layer.layer)
                        .map(|(_, t)| t.clone());
                }
            }
            Err(why) => eprintln!("conv-layers: {why}"),
        }
    }
    Ok(layers)
}

mod machine;
mod results;

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(super::median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(super::median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(super::median(&mut []).is_nan());
    }
}
