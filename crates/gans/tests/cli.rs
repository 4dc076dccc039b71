//! Both experiments end to end on a synthetic stand-in for the cats (the real runs are
//! experiments): every figure the summary promises, the progression strip and the curves.

use std::process::Command;

const TINY: &str = "train_size = 48\nepochs = 2\nbatch_size = 16\nlatent = 8\nhidden_generator = [16]\nhidden_discriminator = [16]\nwidth = 4\nsnapshot_epochs = [1]\nfrechet_samples = 20\n";

fn run(experiment: &str) -> (serde_json::Value, std::path::PathBuf, tempfile::TempDir) {
    run_with(experiment, "")
}

/// [`run`] with `extra` lines added to the tiny settings.
fn run_with(
    experiment: &str,
    extra: &str,
) -> (serde_json::Value, std::path::PathBuf, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("tiny.toml");
    std::fs::write(&config, format!("{TINY}{extra}")).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gans"))
        .args([experiment, "--synthetic", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(empty.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (dir, summary) = nn_core::run::newest_summary(out.path(), &format!("gans/{experiment}"))
        .expect("a finished run");
    (summary, dir, out)
}

#[test]
fn both_gans_report_every_figure() {
    for experiment in ["mlp-gan", "dcgan"] {
        let (s, dir, _keep) = run(experiment);
        for key in [
            "frechet_first_epoch",
            "frechet_final",
            "frechet_noise_baseline",
            "frechet_real_vs_real",
            "mean_d_real_last_half",
            "mean_d_fake_last_half",
        ] {
            let v = s["metrics"][key].as_f64();
            assert!(v.is_some_and(f64::is_finite), "{experiment} {key}: {v:?}");
        }
        for file in [
            "progression.png",
            "losses.png",
            "discriminator_outputs.png",
            "interpolation.png",
        ] {
            assert!(dir.join(file).exists(), "{experiment}: {file}");
        }
        let steps = std::fs::read_to_string(dir.join("steps.jsonl")).unwrap();
        assert_eq!(
            steps.lines().count(),
            2 * 2,
            "{experiment}: 38 training images (48 less the held-out fifth) / 16 per batch, full batches only, x 2 epochs"
        );
    }
}

/// With an average of G's weights the samples come from it, and the live G is measured
/// beside it, after the first epoch and at the end; the two differ.
#[test]
fn the_average_of_g_is_sampled_and_the_live_g_measured_beside_it() {
    let (s, dir, _keep) = run_with("dcgan", "ema_decay = 0.9\n");
    let averaged = s["metrics"]["frechet_final"].as_f64().unwrap();
    let live = s["metrics"]["frechet_live_final"].as_f64().unwrap();
    assert!(averaged.is_finite() && live.is_finite());
    assert_ne!(
        averaged, live,
        "the average and the live G draw different samples"
    );
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert!(metrics.contains("frechet_live"), "{metrics}");
}

/// The ladder of tricks: every (rung, seed) trained in its own stage, the table written,
/// each rung's mean and spread in the summary.
#[test]
fn what_mattered_trains_every_rung_over_the_seeds_and_tables_them() {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("ladder.toml");
    let gan: String = TINY.lines().map(|l| format!("{l}\n")).collect();
    std::fs::write(
        &config,
        format!("rungs = [\"burn-defaults\", \"diffaugment\"]\nseeds = [1, 2]\nslow_lr_discriminator = 5e-5\nwider_width = 8\n[gan]\n{gan}"),
    )
    .unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gans"))
        .args(["what-mattered", "--synthetic", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(empty.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (dir, s) = nn_core::run::newest_summary(out.path(), "gans/what-mattered").unwrap();
    for key in [
        "burn-defaults_frechet_fixed",
        "burn-defaults_frechet_fixed_std",
        "diffaugment_frechet_fixed",
    ] {
        let v = s["metrics"][key].as_f64();
        assert!(v.is_some_and(f64::is_finite), "{key}: {v:?}");
    }
    let table = std::fs::read_to_string(dir.join("what_mattered.md")).unwrap();
    assert!(
        table.contains("| diffaugment |") && table.contains("(n = 2)"),
        "{table}"
    );
    assert!(dir.join("what_mattered.png").exists());
    assert!(
        dir.join("diffaugment-seed2")
            .join("progression.png")
            .exists()
    );
}

/// `--images DIR` trains on any folder of pictures (here 40x40 PNGs, brought to 32x32);
/// a folder that is not there is a clear error naming it.
#[test]
fn any_image_folder_with_images_flag() {
    let folder = tempfile::tempdir().unwrap();
    let pictures = nn_core::data::synthetic::shapes(48, 40, false, 3);
    let pictures = nn_core::data::ImageDataset {
        labels: None,
        ..pictures
    };
    nn_core::data::formats::image_folder::write_image_folder(folder.path(), &pictures).unwrap();
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let gans = |images: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_gans"))
            .args(["mlp-gan", "--config"])
            .arg(&config)
            .arg("--images")
            .arg(images)
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap()
    };
    let result = gans(folder.path());
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let missing = folder.path().join("not-here");
    let result = gans(&missing);
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("not-here"), "{stderr}");
}

/// Writes a CIFAR-10 file in the official binary layout (`write_cifar`) with `cats` of
/// `records` images labelled 3 (cat), the rest other classes.
fn write_cifar10(data_dir: &std::path::Path, file: &str, records: usize, cats: usize) {
    let dir = data_dir.join("cifar-10/cifar-10-batches-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let mut images = nn_core::data::synthetic::shapes(records, 32, false, records as u64);
    images.labels = Some(
        (0..records)
            .map(|i| if i < cats { 3 } else { [0, 1, 2, 4, 5][i % 5] })
            .collect(),
    );
    nn_core::data::formats::cifar::write_cifar(&dir.join(file), &images, None).unwrap();
}

/// `cats_from = "cifar-10"` trains on CIFAR-10's cat class, train and test, and on nothing
/// else (what `cargo xtask download cats` builds); the summary says so. With fewer training
/// cats than Frechet samples wanted, every distance uses as many as there are. A value that
/// is neither source is an error naming the key.
#[test]
fn cats_from_cifar10_trains_on_its_cat_class_only() {
    let data = tempfile::tempdir().unwrap();
    write_cifar10(data.path(), "data_batch_1.bin", 60, 25);
    write_cifar10(data.path(), "test_batch.bin", 20, 5);
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("tiny.toml");
    // More Frechet samples wanted than there are training cats: all distances use as many
    // images as the floor can (the training images).
    let tiny = TINY
        .replace("train_size = 48", "train_size = 0")
        .replace("frechet_samples = 20", "frechet_samples = 100");
    std::fs::write(&config, tiny).unwrap();
    let gans = |source: &str| {
        Command::new(env!("CARGO_BIN_EXE_gans"))
            .args(["dcgan", "--config"])
            .arg(&config)
            .args(["--set", &format!("cats_from={source}"), "--data-dir"])
            .arg(data.path())
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap()
    };
    let result = gans("cifar-10");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (_, summary) = nn_core::run::newest_summary(out.path(), "gans/dcgan").unwrap();
    let data_record = &summary["data"];
    assert_eq!(data_record["name"], "cifar-10 cats");
    let (train, test) = (
        data_record["train"].as_u64().unwrap(),
        data_record["test"].as_u64().unwrap(),
    );
    assert_eq!(
        train + test,
        30,
        "the 25 + 5 cats, split for the held-out reference"
    );
    assert!(test > 0 && train > test, "{train} / {test}");
    assert_eq!(
        summary["metrics"]["frechet_samples"].as_f64(),
        Some(train as f64)
    );
    let notes = summary["notes"].to_string();
    assert!(notes.contains("frechet_samples cut from 100"), "{notes}");

    let result = gans("dogs");
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("cats_from"), "{stderr}");
}
