//! `transfer/resnet-depth`: why ResNet exists. He et al.'s CIFAR networks
//! ([`crate::models::cifar_resnet`]) at two depths, each plain and with skip connections,
//! trained with the same budget, data, augmentation and seeds; their training-loss curves
//! show whether the deeper plain network trains worse than the shallower one (the
//! degradation the paper's figure 6 shows at 20 and 56 layers) and whether the skip
//! connections remove it. Every (depth, kind) is trained once per seed; the summary gives
//! the mean and the standard deviation over seeds.

use crate::models::cifar_resnet::CifarResNetConfig;
use crate::same_budget::{SameBudget, with_seed};
use nn_core::data::{DataRequest, ImageDataset, Normalization, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::metrics::{Spread, paired_differences};
use nn_core::train::{read_curve, train_stage};
use nn_core::viz::{Curve, CurvePlot, SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `transfer/resnet-depth`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResnetDepthConfig {
    pub dataset: String,
    /// Layers with weights, each `6n + 2` (the paper's figure: 20 and 56).
    pub depths: Vec<usize>,
    /// One training of every network per seed.
    pub seeds: Vec<u64>,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate, decayed along a half cosine.
    pub lr: f64,
    /// Random 4-pixel crops and horizontal flips, as the paper's CIFAR training.
    pub augment: bool,
    /// Training images used (a seeded subset); 0 for all.
    pub train_size: usize,
}

impl ExperimentConfig for ResnetDepthConfig {
    fn quick() -> Self {
        Self {
            dataset: "cifar-10".into(),
            depths: vec![8, 20],
            seeds: vec![42],
            epochs: 1,
            batch_size: 128,
            lr: 1e-3,
            augment: true,
            train_size: 1_000,
        }
    }

    fn full() -> Self {
        Self {
            depths: vec![20, 56],
            seeds: vec![42, 1, 2],
            epochs: 10,
            train_size: 0,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            self.dataset.starts_with("cifar-10"),
            "dataset",
            "must be a CIFAR-10 set (32x32 colour): the networks are He et al.'s CIFAR ones",
        )?;
        require(
            !self.depths.is_empty()
                && self
                    .depths
                    .iter()
                    .all(|&d| CifarResNetConfig::new(d).blocks_per_stage().is_some()),
            "depths",
            "each depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...)",
        )?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        require_training(self.epochs, self.batch_size, self.lr)?;
        Ok(())
    }
}

/// `plain-20`, `resnet-56`, ...
fn label(depth: usize, residual: bool) -> String {
    format!("{}-{depth}", if residual { "resnet" } else { "plain" })
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same CIFAR networks at two depths, plain and with skip connections, each trained with the same budget on several seeds: if the deeper plain network's training loss stays above the shallower one's, that is the degradation ResNet's skip connections were made to remove; compare the residual curves. The second figure shows every seed's final training loss, so a gap counts only where the seeds do not overlap; the summary's `degradation_plain` and `skip_gain_<depth>` give the same-seed differences with their spread.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "final training loss, deepest plain minus shallowest (same seed): {degradation_plain:±}; at depth 20 plain {plain-20_train_loss}, residual {resnet-20_train_loss}";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str = "too short to show the degradation (one epoch on 1,000 images; an untrained network's loss is ln 10 = 2.30)";

/// Trains every (depth, plain or residual) once per seed, draws the seeds' mean training
/// loss per epoch (`loss_by_depth.png`) and every seed's final training loss
/// (`final_loss_by_depth.png`), and summarises final training loss and test accuracy as
/// mean and standard deviation over seeds, with the paired (same-seed) differences that
/// answer the lesson's two questions: does the deepest plain network train worse than the
/// shallowest (`degradation_plain`), and do skip connections help at each depth
/// (`skip_gain_<depth>`, plain minus residual loss; positive when they help).
pub fn run(config: &ResnetDepthConfig, run: &mut Run) -> Result<Summary> {
    let request = DataRequest {
        dataset: &config.dataset,
        train_size: config.train_size,
        test_size: 0,
    };
    let (train, test) = load_train_test(run, request)?;
    let normalization = Normalization::fit(&train);
    let budget = SameBudget {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        augment: config.augment,
    };
    let mut metrics = BTreeMap::new();
    // How many seeds each spread is over: the report prints no spread for one.
    metrics.insert("seeds".to_string(), config.seeds.len() as f64);
    let mut curves = Vec::new();
    // final_losses[residual as usize][depth index]: one final training loss per seed.
    let mut final_losses: [Vec<Vec<f64>>; 2] = [Vec::new(), Vec::new()];
    for &depth in &config.depths {
        for residual in [false, true] {
            let name = label(depth, residual);
            let network = (depth, residual);
            let seeds =
                train_over_seeds(config, run, &budget, &normalization, &train, &test, network)?;
            let (loss, accuracy) = (Spread::of(&seeds.losses), Spread::of(&seeds.accuracies));
            final_losses[usize::from(residual)].push(seeds.losses);
            metrics.insert(format!("{name}_train_loss"), loss.mean);
            metrics.insert(format!("{name}_train_loss_std"), loss.std);
            metrics.insert(format!("{name}_test_accuracy"), accuracy.mean);
            metrics.insert(format!("{name}_test_accuracy_std"), accuracy.std);
            let label = format!("{name} (mean of {} seeds)", config.seeds.len());
            curves.push(mean_curve(label, &seeds.per_epoch));
        }
    }
    insert_paired_differences(config, &final_losses, &mut metrics);
    draw_loss_figures(config, run, curves, final_losses)?;
    run.note_departure(
        "He et al.'s schedule (64,000 iterations of SGD, momentum 0.9, on all 50,000 CIFAR-10 images)",
        &format!(
            "{} epoch(s) of Adam with cosine decay on {} images, {} seed(s) per network",
            config.epochs,
            train.len(),
            config.seeds.len()
        ),
        "a CPU budget",
    );
    Ok(run.summary(config.epochs, metrics))
}

/// One network's trainings, one per seed, in the order of `config.seeds`.
struct SeedRuns {
    /// The last epoch's training loss of each seed.
    losses: Vec<f64>,
    /// Each seed's test accuracy.
    accuracies: Vec<f64>,
    /// Each seed's `(epoch, training loss)` curve.
    per_epoch: Vec<Vec<(f64, f64)>>,
}

/// Trains the `(depth, residual)` network once per seed with the shared budget, each in its
/// own stage (`plain-20-seed42`, ...), and collects what every seed gave.
fn train_over_seeds(
    config: &ResnetDepthConfig,
    run: &mut Run,
    budget: &SameBudget,
    normalization: &Normalization,
    train: &ImageDataset,
    test: &ImageDataset,
    (depth, residual): (usize, bool),
) -> Result<SeedRuns> {
    let name = label(depth, residual);
    let (mut losses, mut accuracies, mut per_epoch) = (Vec::new(), Vec::new(), Vec::new());
    for &seed in &config.seeds {
        let trained = with_seed(run, seed, |run, device| {
            let model = CifarResNetConfig::new(depth)
                .with_residual(residual)
                .init(device)
                .expect("depths are checked by validate");
            let title = format!("{name} on {} (seed {seed})", config.dataset);
            let options = budget.options(normalization, title);
            train_stage(
                run,
                &format!("{name}-seed{seed}"),
                model,
                train,
                test,
                &options,
            )
        });
        let trained = trained?;
        let curve = read_curve(&trained.dir, "train", "loss");
        losses.push(curve.last().map_or(f64::NAN, |p| p.1));
        accuracies.push(trained.test.accuracy());
        per_epoch.push(curve);
    }
    Ok(SeedRuns {
        losses,
        accuracies,
        per_epoch,
    })
}

/// The seeds' mean training loss per epoch, over the epochs every seed has; `per_epoch`
/// holds one `(epoch, loss)` curve per seed.
fn mean_curve(label: String, per_epoch: &[Vec<(f64, f64)>]) -> Curve {
    let epochs = per_epoch.iter().map(Vec::len).min().unwrap_or(0);
    Curve {
        label,
        points: (0..epochs)
            .map(|e| {
                let x = per_epoch[0][e].0;
                let values: Vec<f64> = per_epoch.iter().map(|c| c[e].1).collect();
                (x, Spread::of(&values).mean)
            })
            .collect(),
    }
}

/// Draws the mean training-loss curves (`loss_by_depth.png`) and every seed's final
/// training loss, plain beside residual per depth (`final_loss_by_depth.png`).
fn draw_loss_figures(
    config: &ResnetDepthConfig,
    run: &mut Run,
    curves: Vec<Curve>,
    final_losses: [Vec<Vec<f64>>; 2],
) -> Result<()> {
    let plot = CurvePlot {
        title: format!(
            "Training loss by depth, plain and residual ({})",
            config.dataset
        ),
        x_label: "epoch".into(),
        y_label: "training loss (cross-entropy)".into(),
        curves,
        log_y: false,
    };
    let [plain, residual] = final_losses;
    let finals = SpreadPlot {
        title: format!(
            "Final training loss, seed by seed ({} seed(s), {})",
            config.seeds.len(),
            config.dataset
        ),
        x_label: "layers".into(),
        y_label: "final training loss (cross-entropy)".into(),
        groups: config.depths.iter().map(ToString::to_string).collect(),
        series: vec![
            SpreadSeries {
                label: "plain".into(),
                values: plain,
            },
            SpreadSeries {
                label: "residual".into(),
                values: residual,
            },
        ],
        zero_line: false,
    };
    for file in plot
        .save(&run.path("loss_by_depth"))?
        .into_iter()
        .chain(finals.save(&run.path("final_loss_by_depth"))?)
    {
        run.add_file(&file);
    }
    Ok(())
}

/// Same-seed differences of final training loss: the deepest plain network minus the
/// shallowest (`degradation_plain`, positive when depth alone made training worse) and, per
/// depth, plain minus residual (`skip_gain_<depth>`, positive when skips helped); each as
/// mean and `_std` over seeds. `final_losses[residual][depth index]` holds one value per seed.
fn insert_paired_differences(
    config: &ResnetDepthConfig,
    final_losses: &[Vec<Vec<f64>>; 2],
    metrics: &mut BTreeMap<String, f64>,
) {
    let [plain, residual] = final_losses;
    let mut insert = |name: String, differences: Vec<f64>| {
        let spread = Spread::of(&differences);
        metrics.insert(format!("{name}_std"), spread.std);
        metrics.insert(name, spread.mean);
    };
    if config.depths.len() > 1 {
        let (shallow, deep) = (0, config.depths.len() - 1);
        insert(
            "degradation_plain".into(),
            paired_differences(&plain[deep], &plain[shallow]),
        );
    }
    for (i, depth) in config.depths.iter().enumerate() {
        insert(
            format!("skip_gain_{depth}"),
            paired_differences(&plain[i], &residual[i]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_check_and_a_bad_depth_is_named() {
        assert!(ResnetDepthConfig::quick().validate().is_ok());
        assert!(ResnetDepthConfig::full().validate().is_ok());
        let bad = ResnetDepthConfig {
            depths: vec![20, 21],
            ..ResnetDepthConfig::quick()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("depths") && err.contains("6n + 2"), "{err}");
    }

    #[test]
    fn paired_differences_are_taken_seed_by_seed() {
        let config = ResnetDepthConfig {
            depths: vec![20, 56],
            seeds: vec![1, 2],
            ..ResnetDepthConfig::quick()
        };
        // plain: depth 20 -> [1.0, 1.2], depth 56 -> [1.5, 1.3]; residual: [0.9, 1.0], [0.8, 0.9].
        let finals = [
            vec![vec![1.0, 1.2], vec![1.5, 1.3]],
            vec![vec![0.9, 1.0], vec![0.8, 0.9]],
        ];
        let mut metrics = BTreeMap::new();
        insert_paired_differences(&config, &finals, &mut metrics);
        let close = |key: &str, want: f64| {
            let got = metrics[key];
            assert!((got - want).abs() < 1e-12, "{key}: {got} != {want}");
        };
        close("degradation_plain", 0.3); // (0.5 + 0.1) / 2
        close("skip_gain_20", 0.15); // (0.1 + 0.2) / 2
        close("skip_gain_56", 0.55); // (0.7 + 0.4) / 2
        // Same-seed pairs: 0.5 and 0.1 differ by 0.4, so the std is 0.4 / sqrt(2).
        close("degradation_plain_std", 0.4 / 2f64.sqrt());
    }
}
