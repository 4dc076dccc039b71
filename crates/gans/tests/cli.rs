//! Both experiments end to end on a synthetic stand-in for the cats (the real runs are
//! experiments): every figure the summary promises, the progression strip and the curves.

use std::process::Command;

const TINY: &str = "train_size = 48\nepochs = 2\nbatch_size = 16\nlatent = 8\nhidden_generator = [16]\nhidden_discriminator = [16]\nwidth = 4\nsnapshot_epochs = [1]\nfrechet_samples = 20\nfeature_epochs = 1\n";

fn run(experiment: &str) -> (serde_json::Value, std::path::PathBuf, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
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
            2 * 3,
            "{experiment}: 48 images / 16 per batch x 2 epochs"
        );
    }
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
