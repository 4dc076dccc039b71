//! `cnn/augment-ablation`: which augmentations help, on training sets small enough for them
//! to matter. The same CNN is trained on each data set with no augmentation, with one family
//! (geometric, colour, Gaussian noise) or with all of them, once per seed; runs of one seed
//! share their initialisation and batch order, so each recipe's gain over none is measured
//! seed by seed (paired), and quoted as mean and standard deviation over seeds.

use crate::unbalanced::{inverse_frequency_weights, positive_scores};
use nn_core::augment::{
    Brightness, Contrast, GaussianNoise, HorizontalFlip, Pipeline, RandomCrop, Rotation,
    Saturation, Scale,
};
use nn_core::data::{DataRequest, ImageDataset, Normalization, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::metrics::{Spread, paired_differences, roc_auc};
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ClassifierOptions, Evaluation, train_stage};
use nn_core::viz::{SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// The recipes, in the order the figures show them; `none` is the baseline.
pub const RECIPES: [&str; 5] = ["none", "geometric", "colour", "noise", "all"];

/// Settings of `cnn/augment-ablation`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AblationConfig {
    /// Each trained with every recipe: `cifar-10` (scored by test accuracy) and
    /// `pneumoniamnist` (scored by test ROC-AUC: its classes are unbalanced).
    pub datasets: Vec<String>,
    /// Some of `none`, `geometric`, `colour`, `noise`, `all`; `none` must be one of them.
    pub recipes: Vec<String>,
    /// One training per (data set, recipe, seed).
    pub seeds: Vec<u64>,
    /// Training images per data set (a seeded subset, the same for every recipe).
    pub train_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate, decayed along a half cosine.
    pub lr: f64,
    pub cnn: CnnSpec,
}

impl ExperimentConfig for AblationConfig {
    fn quick() -> Self {
        Self {
            datasets: vec!["cifar-10".into(), "pneumoniamnist".into()],
            recipes: RECIPES.iter().map(|r| r.to_string()).collect(),
            seeds: vec![42],
            train_size: 256,
            epochs: 1,
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
            seeds: vec![42, 1, 2, 3, 4],
            train_size: 1_000,
            epochs: 20,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            !self.datasets.is_empty()
                && self
                    .datasets
                    .iter()
                    .all(|d| d == "cifar-10" || d == "pneumoniamnist"),
            "datasets",
            "each must be \"cifar-10\" or \"pneumoniamnist\"",
        )?;
        require(
            self.recipes.iter().all(|r| RECIPES.contains(&r.as_str())),
            "recipes",
            "each must be one of none, geometric, colour, noise, all",
        )?;
        require(
            self.recipes.iter().any(|r| r == "none"),
            "recipes",
            "must include \"none\": every gain is measured against it",
        )?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        require(self.train_size > 0, "train_size", "must be positive")?;
        require_training(self.epochs, self.batch_size, self.lr)?;
        Ok(())
    }
}

/// The transforms of `recipe` for images with `channels` channels (`None` for `none`).
/// Geometric is the CIFAR recipe (4-pixel crops, horizontal flips) on colour images and small
/// rotations and zooms on the grey X-rays, which are not flipped: a mirrored chest puts the
/// heart on the wrong side.
pub fn recipe(name: &str, channels: usize) -> Option<Pipeline> {
    let geometric = |p: Pipeline| {
        if channels == 3 {
            p.then(RandomCrop { padding: 4 })
                .then(HorizontalFlip { p: 0.5 })
        } else {
            p.then(Rotation { max_degrees: 10.0 })
                .then(Scale { min: 0.9, max: 1.1 })
        }
    };
    let colour = |p: Pipeline| {
        p.then(Brightness { max_delta: 0.2 })
            .then(Contrast { min: 0.7, max: 1.3 })
            .then(Saturation { min: 0.7, max: 1.3 })
    };
    let noise = |p: Pipeline| p.then(GaussianNoise { std: 0.05 });
    match name {
        "geometric" => Some(geometric(Pipeline::new())),
        "colour" => Some(colour(Pipeline::new())),
        "noise" => Some(noise(Pipeline::new())),
        "all" => Some(noise(colour(geometric(Pipeline::new())))),
        _ => None,
    }
}

/// What a data set is scored by: its name in the metrics and its value on the test split.
fn score(dataset: &str, test: &Evaluation) -> (&'static str, f64) {
    if dataset == "pneumoniamnist" {
        let positives: Vec<bool> = test.targets.iter().map(|&t| t == 1).collect();
        let auc = roc_auc(&positive_scores(test), &positives).unwrap_or(f64::NAN);
        ("roc_auc", auc)
    } else {
        ("accuracy", test.accuracy())
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same CNN trained on small training sets with no augmentation, one family of augmentations (geometric, colour, noise) or all of them, once per seed: the first figure shows every seed's test score, the second each recipe's gain over none, seed by seed. A gain counts only where its whisker (one standard deviation over seeds) stays clear of zero.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "gain of all augmentations (points): CIFAR-10 {cifar-10_all_gain:±}";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str =
    "too short for augmentation to pay (one seed, one epoch on 256 images per data set)";

/// Trains one CNN per (data set, recipe, seed), records every score and each recipe's paired
/// gain over none, and draws both (`augmentation_scores.png`, `augmentation_gain.png`).
pub fn run(config: &AblationConfig, run: &mut Run) -> Result<Summary> {
    let run_seed = run.seed;
    let mut metrics = BTreeMap::new();
    // How many seeds each spread is over: the report prints no spread for one.
    metrics.insert("seeds".to_string(), config.seeds.len() as f64);
    let (mut score_series, mut gain_series) = (Vec::new(), Vec::new());
    let gain_recipes: Vec<&String> = config.recipes.iter().filter(|r| *r != "none").collect();
    for dataset in &config.datasets {
        let (scores, gains) =
            ablate_dataset(config, run, dataset, run_seed, &gain_recipes, &mut metrics)?;
        score_series.push(scores);
        gain_series.push(gains);
    }
    draw_figures(config, run, &gain_recipes, score_series, gain_series)?;
    Ok(run.summary(config.epochs, metrics))
}

/// Every recipe's test scores on one data set, one per seed in the order of `config.seeds`.
struct RecipeScores<'c> {
    /// Keyed by recipe name.
    scores: BTreeMap<&'c str, Vec<f64>>,
    /// What the scores are: `accuracy` or `roc_auc`.
    name: &'static str,
}

/// One data set: trains every (recipe, seed), records the scores and the gains over none,
/// and returns its series for the scores figure and for the gain figure.
fn ablate_dataset(
    config: &AblationConfig,
    run: &mut Run,
    dataset: &str,
    run_seed: u64,
    gain_recipes: &[&String],
    metrics: &mut BTreeMap<String, f64>,
) -> Result<(SpreadSeries, SpreadSeries)> {
    let request = DataRequest {
        dataset,
        train_size: config.train_size,
        test_size: 0,
    };
    let (train, test) = load_train_test(run, request)?;
    let data = (&train, &test);
    let RecipeScores { scores, name } =
        score_every_recipe(config, run, dataset, run_seed, data, metrics)?;
    let gains = record_gains(dataset, gain_recipes, &scores, metrics);
    let label = format!("{dataset} ({})", score_label(name));
    let score_series = SpreadSeries {
        label: label.clone(),
        values: config
            .recipes
            .iter()
            .map(|r| scores[r.as_str()].clone())
            .collect(),
    };
    let gain_series = SpreadSeries {
        label,
        values: gains,
    };
    Ok((score_series, gain_series))
}

/// Trains the CNN once per (recipe, seed) on one data set, the run's seed set to each seed
/// and then given back as `run_seed` (also on failure); records each recipe's mean score
/// and its spread over seeds.
fn score_every_recipe<'c>(
    config: &'c AblationConfig,
    run: &mut Run,
    dataset: &str,
    run_seed: u64,
    (train, test): (&ImageDataset, &ImageDataset),
    metrics: &mut BTreeMap<String, f64>,
) -> Result<RecipeScores<'c>> {
    let mut scores: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut score_name = "accuracy";
    for recipe_name in &config.recipes {
        for &seed in &config.seeds {
            run.seed = seed;
            let trained = train_one(config, run, dataset, recipe_name, seed, train, test);
            run.seed = run_seed;
            let (name, value) = score(dataset, &trained?);
            score_name = name;
            scores.entry(recipe_name.as_str()).or_default().push(value);
        }
        let spread = Spread::of(&scores[recipe_name.as_str()]);
        metrics.insert(format!("{dataset}_{recipe_name}_{score_name}"), spread.mean);
        metrics.insert(
            format!("{dataset}_{recipe_name}_{score_name}_std"),
            spread.std,
        );
    }
    Ok(RecipeScores {
        scores,
        name: score_name,
    })
}

/// Prints and records each recipe's same-seed gain over none (in points of the score);
/// returns the gains, one list per recipe of `gain_recipes`, one value per seed.
fn record_gains(
    dataset: &str,
    gain_recipes: &[&String],
    scores: &BTreeMap<&str, Vec<f64>>,
    metrics: &mut BTreeMap<String, f64>,
) -> Vec<Vec<f64>> {
    let baseline = scores["none"].clone();
    let mut gains = Vec::new();
    for recipe_name in gain_recipes {
        let points: Vec<f64> = paired_differences(&scores[recipe_name.as_str()], &baseline)
            .iter()
            .map(|d| 100.0 * d)
            .collect();
        let spread = Spread::of(&points);
        eprintln!(
            "{dataset}: {recipe_name} - none = {} points",
            spread.display(2)
        );
        metrics.insert(format!("{dataset}_{recipe_name}_gain"), spread.mean);
        metrics.insert(format!("{dataset}_{recipe_name}_gain_std"), spread.std);
        gains.push(points);
    }
    gains
}

/// Draws every seed's test score per recipe and data set (`augmentation_scores.png`) and
/// each recipe's gain over none (`augmentation_gain.png`).
fn draw_figures(
    config: &AblationConfig,
    run: &mut Run,
    gain_recipes: &[&String],
    score_series: Vec<SpreadSeries>,
    gain_series: Vec<SpreadSeries>,
) -> Result<()> {
    let seeds = config.seeds.len();
    let scores_plot = SpreadPlot {
        title: format!(
            "Test score by augmentation ({} training images, {seeds} seed(s))",
            config.train_size
        ),
        x_label: "augmentation".into(),
        y_label: "test score".into(),
        groups: config.recipes.clone(),
        series: score_series,
        zero_line: false,
    };
    let gain_plot = SpreadPlot {
        title: format!("Gain over no augmentation, seed by seed ({seeds} seed(s))"),
        x_label: "augmentation".into(),
        y_label: "gain (points of the test score)".into(),
        groups: gain_recipes.iter().map(|r| r.to_string()).collect(),
        series: gain_series,
        zero_line: true,
    };
    for file in scores_plot
        .save(&run.path("augmentation_scores"))?
        .into_iter()
        .chain(gain_plot.save(&run.path("augmentation_gain"))?)
    {
        run.add_file(&file);
    }
    Ok(())
}

fn score_label(score_name: &str) -> &'static str {
    if score_name == "roc_auc" {
        "ROC-AUC"
    } else {
        "accuracy"
    }
}

/// One training of the CNN on `train` with `recipe_name`'s augmentation; its test evaluation.
fn train_one(
    config: &AblationConfig,
    run: &mut Run,
    dataset: &str,
    recipe_name: &str,
    seed: u64,
    train: &ImageDataset,
    test: &ImageDataset,
) -> Result<Evaluation> {
    let device = run.train_device();
    nn_core::backend::seed_device(&device, seed, "init");
    let model = SmallCnn::new(&config.cnn, train.shape, train.num_classes(), &device);
    let options = ClassifierOptions {
        augment: recipe(recipe_name, train.shape.channels),
        class_weights: (dataset == "pneumoniamnist").then(|| inverse_frequency_weights(train)),
        ..ClassifierOptions::adam(
            config.epochs,
            config.batch_size,
            config.lr,
            Normalization::fit(train),
            format!("CNN on {dataset} ({recipe_name}, seed {seed})"),
        )
        .with_cosine_decay()
    };
    let stage = format!("{dataset}-{recipe_name}-seed{seed}");
    Ok(train_stage(run, &stage, model, train, test, &options)?.test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_check_and_bad_settings_are_named() {
        assert!(AblationConfig::quick().validate().is_ok());
        assert!(AblationConfig::full().validate().is_ok());
        let no_baseline = AblationConfig {
            recipes: vec!["all".into()],
            ..AblationConfig::quick()
        };
        let err = no_baseline.validate().unwrap_err().to_string();
        assert!(err.contains("recipes") && err.contains("none"), "{err}");
        let unknown = AblationConfig {
            recipes: vec!["none".into(), "mixup".into()],
            ..AblationConfig::quick()
        };
        assert!(
            unknown
                .validate()
                .unwrap_err()
                .to_string()
                .contains("recipes")
        );
        let dataset = AblationConfig {
            datasets: vec!["fashion-mnist".into()],
            ..AblationConfig::quick()
        };
        assert!(
            dataset
                .validate()
                .unwrap_err()
                .to_string()
                .contains("datasets")
        );
    }

    #[test]
    fn recipes_hold_their_families_and_x_rays_are_never_flipped() {
        let names = |p: Option<Pipeline>| -> Vec<String> {
            p.map(|p| p.transforms.iter().map(|t| t.name()).collect())
                .unwrap_or_default()
        };
        assert!(names(recipe("none", 3)).is_empty());
        assert!(
            names(recipe("geometric", 3))
                .iter()
                .any(|n| n.contains("flip"))
        );
        assert!(!names(recipe("all", 1)).iter().any(|n| n.contains("flip")));
        let all = names(recipe("all", 3));
        for family in ["crop", "brightness", "noise"] {
            assert!(all.iter().any(|n| n.contains(family)), "{family}: {all:?}");
        }
    }
}
