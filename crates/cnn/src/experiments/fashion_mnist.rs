//! `cnn/fashion-mnist`: why MLPs suit images badly. A CNN and an MLP, trained with the same
//! budget (epochs, optimiser, batches), compared on parameters, accuracy, time and the
//! train/test gap.

use super::overlay_stages;
use nn_core::data::{DataRequest, Normalization, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::models::{CnnSpec, Mlp, SmallCnn};
use nn_core::train::{ClassifierOptions, train_stage};
use nn_core::{ExperimentConfig, Result, Run, Summary};

/// Settings of `cnn/fashion-mnist`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FashionCnnConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub cnn: CnnSpec,
    /// Hidden layers of the MLP baseline.
    pub mlp_hidden: Vec<usize>,
    /// Training images used (a seeded subset); 0 for all 60,000.
    pub train_size: usize,
    pub dataset: String,
}

impl ExperimentConfig for FashionCnnConfig {
    fn quick() -> Self {
        Self {
            epochs: 2,
            batch_size: 128,
            lr: 1e-3,
            cnn: CnnSpec {
                channels: vec![32, 64, 64],
                batch_norm: true,
                hidden: 128,
                dropout: 0.25,
            },
            mlp_hidden: vec![256, 128],
            train_size: 10_000,
            dataset: "fashion-mnist".into(),
        }
    }

    fn full() -> Self {
        Self {
            epochs: 15,
            train_size: 0,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require_training(self.epochs, self.batch_size, self.lr)?;
        require(
            !(self.cnn.channels.is_empty()
                || self.cnn.channels.contains(&0)
                || self.cnn.hidden == 0),
            "cnn",
            "needs positive channels and hidden units",
        )?;
        require(
            (0.0..1.0).contains(&self.cnn.dropout),
            "cnn.dropout",
            "must be in [0, 1)",
        )?;
        Ok(())
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "A small CNN and an MLP with a similar budget on the same data: the comparison plots show which learns faster and generalises better; the confusion matrices show which clothes each confuses (shirts with T-shirts and pullovers).";

/// Trains the CNN, then the MLP, each in its own stage with the same options; overlays
/// their curves and writes `table.md`.
pub fn run(config: &FashionCnnConfig, run: &mut Run) -> Result<Summary> {
    let request = DataRequest {
        train_size: config.train_size,
        ..DataRequest::all(&config.dataset)
    };
    let (train, test) = load_train_test(run, request)?;
    let device = run.train_device();
    let options = |title: String| {
        ClassifierOptions::adam(
            config.epochs,
            config.batch_size,
            config.lr,
            Normalization::fit(&train),
            title,
        )
        .with_cosine_decay()
    };
    nn_core::backend::seed_device(&device, run.seed, "init-cnn");
    let cnn = SmallCnn::new(&config.cnn, train.shape, train.num_classes(), &device);
    let cnn = train_stage(
        run,
        "cnn",
        cnn,
        &train,
        &test,
        &options(format!("CNN on {}", config.dataset)),
    )?;
    nn_core::backend::seed_device(&device, run.seed, "init-mlp");
    let mut sizes = vec![train.shape.len()];
    sizes.extend(&config.mlp_hidden);
    sizes.push(train.num_classes());
    let mlp = Mlp::new(&sizes, 0.0, &device);
    let mlp = train_stage(
        run,
        "mlp",
        mlp,
        &train,
        &test,
        &options(format!("MLP on {}", config.dataset)),
    )?;
    let mut figures = cnn.figures("cnn_");
    figures.extend(mlp.figures("mlp_"));
    let stages = [("cnn", cnn.dir.clone()), ("mlp", mlp.dir.clone())];
    overlay_stages(
        run,
        &stages,
        "accuracy",
        &format!("CNN vs MLP on {}: accuracy", config.dataset),
    )?;
    overlay_stages(
        run,
        &stages,
        "loss",
        &format!("CNN vs MLP on {}: loss", config.dataset),
    )?;
    let table = format!(
        "| model | parameters | test accuracy | train accuracy | gap | s / epoch |\n|---|---|---|---|---|---|\n{}",
        ["cnn", "mlp"]
            .iter()
            .map(|m| format!(
                "| {} | {:.0} | {:.2}% | {:.2}% | {:.2} points | {:.1} |\n",
                m.to_uppercase(),
                figures[&format!("{m}_params")],
                100.0 * figures[&format!("{m}_test_accuracy")],
                100.0 * figures[&format!("{m}_train_accuracy")],
                100.0 * figures[&format!("{m}_gap")],
                figures[&format!("{m}_epoch_seconds")],
            ))
            .collect::<String>()
    );
    eprint!("{table}");
    let path = run.path("table.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    Ok(run.summary(config.epochs, figures))
}
