//! `transfer/label-efficiency`: when pre-training pays, as learning curves over the number of
//! labelled target images. For each setting, the course's CNN is pre-trained on a source
//! task, given a new output layer and fine-tuned on `n` labelled target images; beside it the
//! same network trains from scratch on the same `n` images with the same budget. Every
//! (size, seed) is one pair; the curves are means over seeds with their spread.
//!
//! Two settings run on the data this machine has:
//! - `fashion-to-pneumonia`, across domains: all of Fashion-MNIST (clothes, 10 classes) to
//!   PneumoniaMNIST (chest X-rays, 2 classes), both 28x28 grey, scored by test ROC-AUC;
//! - `cifar-halves`, within natural images: CIFAR-10's first five classes (airplane,
//!   automobile, bird, cat, deer) to its last five (dog, frog, horse, ship, truck), scored
//!   by test accuracy on those five;
//! - `cifar-halves-vgg`: the same with the course's network of week 2, a VGG (the CIFAR-scale
//!   VGG-16-BN of `transfer/cifar-architectures`) instead of the small CNN.

use crate::models::vgg::{Vgg, cifar_vgg16_bn};
use burn::prelude::Device;
use nn_core::data::{ImageDataset, Normalization, load_split, subset};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::metrics::{Spread, paired_differences, roc_auc};
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ClassifierOptions, Evaluation, ImageClassifier, train_stage};
use nn_core::viz::{SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// The settings this experiment knows.
pub const SETTINGS: [&str; 3] = ["fashion-to-pneumonia", "cifar-halves", "cifar-halves-vgg"];

/// Settings of `transfer/label-efficiency`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelEfficiencyConfig {
    /// Some of `fashion-to-pneumonia`, `cifar-halves`, `cifar-halves-vgg`.
    pub settings: Vec<String>,
    /// Labelled target images to fine-tune on (seeded subsets); 0 for all of them.
    pub sizes: Vec<usize>,
    /// One pre-training, and one pair (transferred, scratch) per size, per seed.
    pub seeds: Vec<u64>,
    /// Epochs of pre-training on the source task.
    pub pretrain_epochs: usize,
    /// Source training images (a seeded subset); 0 for all.
    pub pretrain_size: usize,
    /// Images each fine-tuning (and scratch training) sees: its epochs are this divided by
    /// the size, within `[min_epochs, max_epochs]`, so small sets get enough steps.
    pub images_per_training: usize,
    pub min_epochs: usize,
    pub max_epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate, decayed along a half cosine (the same for every training).
    pub lr: f64,
    /// The small CNN of `fashion-to-pneumonia` and `cifar-halves`.
    pub cnn: CnnSpec,
}

/// A network this experiment pre-trains, gives a new output layer, and trains from scratch.
trait Transferable: ImageClassifier + Clone {
    /// A freshly initialised network for `data`'s images and classes.
    fn fresh(config: &LabelEfficiencyConfig, data: &ImageDataset, device: &Device) -> Self;
    /// The same network with a fresh output layer for `classes` classes.
    fn new_head(self, classes: usize, device: &Device) -> Self;
}

impl Transferable for SmallCnn {
    fn fresh(config: &LabelEfficiencyConfig, data: &ImageDataset, device: &Device) -> Self {
        SmallCnn::new(&config.cnn, data.shape, data.num_classes(), device)
    }
    fn new_head(self, classes: usize, device: &Device) -> Self {
        self.with_new_head(classes, device)
    }
}

impl Transferable for Vgg {
    fn fresh(_: &LabelEfficiencyConfig, data: &ImageDataset, device: &Device) -> Self {
        cifar_vgg16_bn(data.num_classes())
            .init(device)
            .expect("VGG-16 is one of VGG's depths")
    }
    fn new_head(self, classes: usize, device: &Device) -> Self {
        self.replace_head(classes, device)
    }
}

impl ExperimentConfig for LabelEfficiencyConfig {
    fn quick() -> Self {
        Self {
            settings: SETTINGS.iter().map(|s| s.to_string()).collect(),
            sizes: vec![50, 200],
            seeds: vec![42],
            pretrain_epochs: 1,
            pretrain_size: 2_000,
            images_per_training: 800,
            min_epochs: 1,
            max_epochs: 4,
            batch_size: 64,
            lr: 1e-3,
            cnn: CnnSpec {
                channels: vec![32, 64, 128],
                batch_norm: true,
                hidden: 256,
                dropout: 0.3,
            },
        }
    }

    fn full() -> Self {
        Self {
            sizes: vec![50, 200, 1_000, 0],
            seeds: vec![42, 1, 2],
            pretrain_epochs: 3,
            pretrain_size: 0,
            images_per_training: 10_000,
            min_epochs: 8,
            max_epochs: 50,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            !self.settings.is_empty()
                && self.settings.iter().all(|s| SETTINGS.contains(&s.as_str())),
            "settings",
            "each must be \"fashion-to-pneumonia\", \"cifar-halves\" or \"cifar-halves-vgg\"",
        )?;
        require(!self.sizes.is_empty(), "sizes", "needs at least one size")?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        require(
            self.min_epochs >= 1 && self.min_epochs <= self.max_epochs,
            "min_epochs",
            "must be at least 1 and at most max_epochs",
        )?;
        require_training(self.pretrain_epochs, self.batch_size, self.lr)?;
        Ok(())
    }

    fn fixed_datasets(&self) -> Vec<String> {
        let mut names = Vec::new();
        for setting in &self.settings {
            match setting.as_str() {
                "fashion-to-pneumonia" => names.extend(["fashion-mnist", "pneumoniamnist"]),
                _ => names.push("cifar-10"),
            }
        }
        let mut unique: Vec<String> = Vec::new();
        for name in names {
            if !unique.iter().any(|u| u == name) {
                unique.push(name.to_string());
            }
        }
        unique
    }
}

/// A setting's data: source train/test (the pre-training task), target train/test.
struct Tasks {
    source: (ImageDataset, ImageDataset),
    target: (ImageDataset, ImageDataset),
    /// `roc_auc` for a two-class target, else `accuracy`.
    score: &'static str,
}

fn load_tasks(run: &mut Run, setting: &str, pretrain_size: usize) -> Result<Tasks> {
    if setting == "fashion-to-pneumonia" {
        Ok(Tasks {
            // The source's test split only draws the pre-training curve: 2,000 images do.
            source: (
                load_split(run, "fashion-mnist", "train", pretrain_size)?,
                load_split(run, "fashion-mnist", "test", 2_000)?,
            ),
            target: (
                load_split(run, "pneumoniamnist", "train", 0)?,
                load_split(run, "pneumoniamnist", "test", 0)?,
            ),
            score: "roc_auc",
        })
    } else {
        let train = load_split(run, "cifar-10", "train", 0)?;
        let test = load_split(run, "cifar-10", "test", 0)?;
        let (first, last) = ([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        Ok(Tasks {
            source: (
                subset(train.with_classes(&first), pretrain_size, run.seed),
                test.with_classes(&first),
            ),
            target: (train.with_classes(&last), test.with_classes(&last)),
            score: "accuracy",
        })
    }
}

/// The test score the setting is judged by.
fn score(name: &str, test: &Evaluation) -> f64 {
    if name == "roc_auc" {
        let positives: Vec<bool> = test.targets.iter().map(|&t| t == 1).collect();
        let scores: Vec<f32> = test.probabilities.chunks_exact(2).map(|p| p[1]).collect();
        roc_auc(&scores, &positives).unwrap_or(f64::NAN)
    } else {
        test.accuracy()
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Learning curves over the number of labelled target images: the course's CNN (and, in `cifar-halves-vgg`, a CIFAR-scale VGG) pre-trained on a source task and fine-tuned, beside the same network from scratch on the same images, once per seed. Transfer pays where the fine-tuned scores sit above scratch's by more than their spread; expect the gap to be largest with the fewest labels and to close as labels grow, and less from a distant source (clothes to X-rays) than a near one.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str =
    "transfer gain with 200 labels (points): CIFAR halves {cifar-halves_200_gain:±}";

/// Pre-trains once per (setting, seed), then for each size fine-tunes a copy and trains a
/// fresh network on the same images; draws the scores (`<setting>_curve.png`) and the
/// transfer gains seed by seed (`transfer_gain.png`), and reports means and spreads.
pub fn run(config: &LabelEfficiencyConfig, run: &mut Run) -> Result<Summary> {
    let run_seed = run.seed;
    let mut metrics = BTreeMap::new();
    // How many seeds each spread is over: the report prints no spread for one.
    metrics.insert("seeds".to_string(), config.seeds.len() as f64);
    let mut gain_series = Vec::new();
    for setting in &config.settings {
        gain_series.push(run_setting(config, run, setting, run_seed, &mut metrics)?);
    }
    draw_gain_plot(config, run, &gain_series)?;
    run.note_departure(
        "ImageNet-pre-trained VGG-19 fine-tuned on CIFAR-10",
        "the course's small CNN, and a CIFAR-scale VGG-16-BN, pre-trained on a source task present here (Fashion-MNIST, or CIFAR-10's first five classes)",
        "no ImageNet weights offline, and a CPU budget for several seeds and sizes",
    );
    Ok(run.summary(config.pretrain_epochs, metrics))
}

/// A size's label under the axis: the number of images, or `all (<n>)` when it takes every
/// one of the `all` target training images.
fn size_label(size: usize, all: usize) -> String {
    if size == 0 || size >= all {
        format!("all ({all})")
    } else {
        size.to_string()
    }
}

/// One setting's gains for the shared gain figure: the setting, its size labels, the gains
/// (points, one per seed) per size, and the name of its score.
type SettingGains = (String, Vec<String>, Vec<Vec<f64>>, String);

/// One setting from data to figure: trains every (seed, size) pair, records the per-size
/// metrics, draws `<setting>_curve.png`, and gives back its gains for the gain figure.
fn run_setting(
    config: &LabelEfficiencyConfig,
    run: &mut Run,
    setting: &str,
    run_seed: u64,
    metrics: &mut BTreeMap<String, f64>,
) -> Result<SettingGains> {
    let tasks = load_tasks(run, setting, config.pretrain_size)?;
    let all = tasks.target.0.len();
    let sizes: Vec<usize> = config
        .sizes
        .iter()
        .map(|&s| if s == 0 { all } else { s.min(all) })
        .collect();
    let scores = train_pairs_over_seeds(config, run, setting, &tasks, &sizes, run_seed)?;
    let groups: Vec<String> = sizes.iter().map(|&s| size_label(s, all)).collect();
    let gains = record_size_metrics(setting, &tasks, &sizes, &scores, metrics);
    let score_name = if tasks.score == "roc_auc" {
        "test ROC-AUC (chance 0.5)".to_string()
    } else {
        format!(
            "test accuracy (chance {})",
            1.0 / tasks.target.0.num_classes() as f64
        )
    };
    let curve = SpreadPlot {
        title: format!(
            "{setting}: transferred against scratch ({} seed(s))",
            config.seeds.len()
        ),
        x_label: "labelled target images".into(),
        y_label: score_name.clone(),
        groups: groups.clone(),
        series: vec![
            SpreadSeries {
                label: "pre-trained, fine-tuned".into(),
                values: scores.transferred,
            },
            SpreadSeries {
                label: "from scratch".into(),
                values: scores.scratch,
            },
        ],
        zero_line: false,
    };
    for file in curve.save(&run.path(&format!("{setting}_curve")))? {
        run.add_file(&file);
    }
    Ok((setting.to_string(), groups, gains, score_name))
}

/// One setting's test scores, each indexed `[size][seed]`.
struct PairScores {
    /// Pre-trained on the source, fine-tuned on the target.
    transferred: Vec<Vec<f64>>,
    /// Trained on the target only.
    scratch: Vec<Vec<f64>>,
}

/// Runs [`pair_runs`] once per seed (the run's seed set to it, then given back as
/// `run_seed`, also on failure); returns the transferred and the scratch scores.
fn train_pairs_over_seeds(
    config: &LabelEfficiencyConfig,
    run: &mut Run,
    setting: &str,
    tasks: &Tasks,
    sizes: &[usize],
    run_seed: u64,
) -> Result<PairScores> {
    let mut transferred = vec![Vec::new(); sizes.len()];
    let mut scratch = vec![Vec::new(); sizes.len()];
    for &seed in &config.seeds {
        run.seed = seed;
        let result = if setting == "cifar-halves-vgg" {
            pair_runs::<Vgg>(config, run, setting, tasks, sizes, seed)
        } else {
            pair_runs::<SmallCnn>(config, run, setting, tasks, sizes, seed)
        };
        run.seed = run_seed;
        for (k, (t, s)) in result?.into_iter().enumerate() {
            transferred[k].push(t);
            scratch[k].push(s);
        }
    }
    Ok(PairScores {
        transferred,
        scratch,
    })
}

/// Per size, prints and records the transferred and scratch scores' means and spreads and
/// the same-seed gain (in points); returns the gains, indexed `[size][seed]`.
fn record_size_metrics(
    setting: &str,
    tasks: &Tasks,
    sizes: &[usize],
    scores: &PairScores,
    metrics: &mut BTreeMap<String, f64>,
) -> Vec<Vec<f64>> {
    let (transferred, scratch) = (&scores.transferred, &scores.scratch);
    let mut gains = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let key = format!("{setting}_{size}");
        let (t, s) = (Spread::of(&transferred[k]), Spread::of(&scratch[k]));
        let gain: Vec<f64> = paired_differences(&transferred[k], &scratch[k])
            .iter()
            .map(|d| 100.0 * d)
            .collect();
        let g = Spread::of(&gain);
        eprintln!(
            "{setting}, {size} images: transferred {}, scratch {}, gain {} points",
            t.display(3),
            s.display(3),
            g.display(2)
        );
        metrics.insert(format!("{key}_transferred_{}", tasks.score), t.mean);
        metrics.insert(format!("{key}_transferred_{}_std", tasks.score), t.std);
        metrics.insert(format!("{key}_scratch_{}", tasks.score), s.mean);
        metrics.insert(format!("{key}_scratch_{}_std", tasks.score), s.std);
        metrics.insert(format!("{key}_gain"), g.mean);
        metrics.insert(format!("{key}_gain_std"), g.std);
        gains.push(gain);
    }
    gains
}

/// Draws every setting's gains, seed by seed, in one figure (`transfer_gain.png`).
fn draw_gain_plot(
    config: &LabelEfficiencyConfig,
    run: &mut Run,
    gain_series: &[SettingGains],
) -> Result<()> {
    // One gain figure per setting would repeat the axes; sizes differ between settings, so
    // the groups are "setting, size" (on two lines under the axis).
    let mut groups = Vec::new();
    let mut values = Vec::new();
    for (setting, sizes, gains, _) in gain_series {
        for (size, gain) in sizes.iter().zip(gains) {
            groups.push(format!("{}\n{size}", short_name(setting)));
            values.push(gain.clone());
        }
    }
    let gain_plot = SpreadPlot {
        title: format!(
            "Transfer gain over scratch, seed by seed ({} seed(s))",
            config.seeds.len()
        ),
        x_label: "setting: labelled target images".into(),
        y_label: "gain (points of the test score)".into(),
        groups,
        series: vec![SpreadSeries {
            label: "fine-tuned - scratch".into(),
            values,
        }],
        zero_line: true,
    };
    for file in gain_plot.save(&run.path("transfer_gain"))? {
        run.add_file(&file);
    }
    Ok(())
}

fn short_name(setting: &str) -> &str {
    match setting {
        "fashion-to-pneumonia" => "F->P",
        "cifar-halves-vgg" => "C5->C5 VGG",
        _ => "C5->C5",
    }
}

/// The epochs of one fine-tuning on `size` images.
fn epochs_for(config: &LabelEfficiencyConfig, size: usize) -> usize {
    (config.images_per_training / size.max(1)).clamp(config.min_epochs, config.max_epochs)
}

/// One seed of a setting: pre-trains on the source, then per size a (transferred, scratch)
/// pair of test scores trained on the same seeded subset of the target's training images.
fn pair_runs<M: Transferable>(
    config: &LabelEfficiencyConfig,
    run: &mut Run,
    setting: &str,
    tasks: &Tasks,
    sizes: &[usize],
    seed: u64,
) -> Result<Vec<(f64, f64)>> {
    let device = run.train_device();
    let (source_train, source_test) = &tasks.source;
    let (target_train, target_test) = &tasks.target;
    nn_core::backend::seed_device(&device, seed, "pretrain");
    let model = M::fresh(config, source_train, &device);
    let options = |epochs: usize, normalization: Normalization, title: String| {
        ClassifierOptions::adam(epochs, config.batch_size, config.lr, normalization, title)
            .with_cosine_decay()
    };
    // The target is normalised with the source's statistics when transferring (the body
    // learned on those), and with its own when from scratch.
    let source_normalization = Normalization::fit(source_train);
    let pretrained = train_stage(
        run,
        &format!("{setting}-pretrain-seed{seed}"),
        model,
        source_train,
        source_test,
        &options(
            config.pretrain_epochs,
            source_normalization.clone(),
            format!("{setting}: pre-training (seed {seed})"),
        ),
    )?
    .model;
    let mut pairs = Vec::new();
    for &size in sizes {
        let train = subset(target_train.clone(), size, seed);
        let epochs = epochs_for(config, train.len());
        nn_core::backend::seed_device(&device, seed, "head");
        let fine_tuned = pretrained
            .clone()
            .new_head(target_train.num_classes(), &device);
        let transferred = train_stage(
            run,
            &format!("{setting}-{size}-transferred-seed{seed}"),
            fine_tuned,
            &train,
            target_test,
            &options(
                epochs,
                source_normalization.clone(),
                format!("{setting}: fine-tuned on {size} (seed {seed})"),
            ),
        )?;
        nn_core::backend::seed_device(&device, seed, "scratch");
        let fresh = M::fresh(config, &train, &device);
        let scratch = train_stage(
            run,
            &format!("{setting}-{size}-scratch-seed{seed}"),
            fresh,
            &train,
            target_test,
            &options(
                epochs,
                Normalization::fit(&train),
                format!("{setting}: from scratch on {size} (seed {seed})"),
            ),
        )?;
        pairs.push((
            score(tasks.score, &transferred.test),
            score(tasks.score, &scratch.test),
        ));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_check_name_their_data_and_bad_settings_are_named() {
        let quick = LabelEfficiencyConfig::quick();
        assert!(quick.validate().is_ok());
        assert!(LabelEfficiencyConfig::full().validate().is_ok());
        assert_eq!(
            quick.fixed_datasets(),
            ["fashion-mnist", "pneumoniamnist", "cifar-10"]
        );
        let bad = LabelEfficiencyConfig {
            settings: vec!["imagenet".into()],
            ..LabelEfficiencyConfig::quick()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("settings"));
        let full = LabelEfficiencyConfig::full();
        assert_eq!(epochs_for(&full, 50), 50);
        assert_eq!(epochs_for(&full, 1_000), 10);
        assert_eq!(epochs_for(&full, 4_708), 8);
    }
}
