//! The week's data: a labelled image set (Fashion-MNIST by default, CIFAR-10 with
//! `--dataset cifar-10`), seeded subsets for the quick presets.

use nn_core::data::ImageDataset;
use nn_core::error::ConfigError;
use nn_core::train::{load_train_test, subset};
use nn_core::{Result, Run};

/// The train and test splits (seeded subsets of `train_size`/`test_size` images, 0 for
/// all). The side must divide by 4 (the models halve it twice).
pub fn load(
    run: &mut Run,
    dataset: &str,
    train_size: usize,
    test_size: usize,
) -> Result<(ImageDataset, ImageDataset)> {
    let (train, test) = load_train_test(run, dataset, train_size)?;
    let test = subset(test, test_size, run.seed);
    let mut info = run.data().clone();
    info.test = test.len();
    run.set_data(info);
    if train.shape.height % 4 != 0 || train.shape.height != train.shape.width {
        return Err(ConfigError::Key {
            key: "dataset".into(),
            message: format!(
                "`{dataset}` has {}x{} images; the autoencoders need square images with a side divisible by 4 (fashion-mnist, cifar-10)",
                train.shape.height, train.shape.width
            ),
        }
        .into());
    }
    Ok((train, test))
}

/// Validation shared by the experiments' configs.
pub fn check_common(
    dataset: &str,
    epochs: usize,
    batch_size: usize,
    lr: f64,
) -> std::result::Result<(), ConfigError> {
    nn_core::experiment::require(
        ["fashion-mnist", "mnist", "cifar-10"].contains(&dataset),
        "dataset",
        "must be fashion-mnist, mnist or cifar-10",
    )?;
    nn_core::experiment::require(epochs > 0, "epochs", "must be positive")?;
    nn_core::experiment::require(batch_size > 0, "batch_size", "must be positive")?;
    nn_core::experiment::require(
        lr > 0.0 && lr.is_finite(),
        "lr",
        "must be a positive number",
    )
}
