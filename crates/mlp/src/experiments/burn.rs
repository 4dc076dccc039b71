//! `mlp/burn`: the MLP of `mlp/scratch`, from the same initial weights, data order and
//! hyper-parameters, trained by burn through nn-core's classifier path.

use super::{FashionMlpConfig, initial_mlp, overlay};
use nn_core::data::Normalization;
use nn_core::data::{DataRequest, load_train_test};
use nn_core::train::{ClassifierOptions, sgd, train_classifier};
use nn_core::{Result, Run, Summary};

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same MLP, the same start and settings, trained by burn: in the overlay plots the hand-written and the burn curves should lie almost on top of each other; a gap would mean a wrong gradient.";

/// `mlp/burn`: the same network trained by burn through nn-core's classifier path.
pub fn run(config: &FashionMlpConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load_train_test(run, DataRequest::all(&config.dataset))?;
    let device = run.train_device();
    let model = initial_mlp(config, &train, run, &device);
    let params = burn::module::Module::num_params(&model);
    let options = ClassifierOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        optimizer: sgd(config.momentum),
        normalization: Normalization::fit(&train),
        augment: None,
        title: format!("MLP in burn on {}", config.dataset),
        class_weights: None,
        cosine_decay: false,
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;
    overlay(run, config, "mlp/scratch", "burn", "scratch")?;
    let mut metrics = trained.test.figures("test_");
    metrics.insert("train_accuracy".into(), trained.train_accuracy);
    metrics.insert(
        "train_images_per_second".into(),
        trained.train_images_per_second,
    );
    metrics.insert("parameters".into(), params as f64);
    Ok(run.summary(config.epochs, metrics))
}
