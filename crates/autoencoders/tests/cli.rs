//! The binary end to end on synthetic stand-ins (the real runs are experiments): every
//! figure each summary promises is there.

use std::path::Path;
use std::process::Command;

fn run(experiment: &str, config: &str, out: &Path) -> serde_json::Value {
    let file = out.join("config.toml");
    std::fs::write(&file, config).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_autoencoders"))
        .args([experiment, "--synthetic", "--config"])
        .arg(&file)
        .arg("--data-dir")
        .arg(empty.path())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    nn_core::run::newest_summary(out, &format!("autoencoders/{experiment}"))
        .expect("a finished run")
        .1
}

fn assert_figures(summary: &serde_json::Value, keys: &[String]) {
    for key in keys {
        let v = summary["metrics"][key].as_f64();
        assert!(v.is_some_and(f64::is_finite), "{key}: {v:?}");
    }
}

const TINY: &str = "train_size = 64\ntest_size = 32\nepochs = 1\nbatch_size = 32\nwidth = 4\n";

#[test]
fn vanilla_denoising_sparse_report_their_figures() {
    let out = tempfile::tempdir().unwrap();
    let s = run(
        "vanilla",
        &format!("{TINY}code = 4\npca_fit_size = 64\n"),
        out.path(),
    );
    assert_figures(&s, &["test_mse".into(), "pca_test_mse".into()]);
    let s = run("denoising", &format!("{TINY}code = 4\n"), out.path());
    assert_figures(
        &s,
        &[
            "noisy_psnr_db".into(),
            "denoised_psnr_db".into(),
            "salt_and_pepper_denoised_psnr_db".into(),
        ],
    );
    let s = run("sparse", &format!("{TINY}code = 9\n"), out.path());
    assert_figures(&s, &["mean_activation".into(), "target_activation".into()]);
}

#[test]
fn vae_and_its_variants_report_their_figures() {
    let out = tempfile::tempdir().unwrap();
    let s = run("vae", &format!("{TINY}latent = 3\n"), out.path());
    assert_figures(
        &s,
        &[
            "test_mse".into(),
            "test_kl".into(),
            "test_neg_elbo_nats".into(),
            "latent2d_test_neg_elbo_nats".into(),
        ],
    );
    let s = run("vae-variants", &format!("{TINY}latent = 3\n"), out.path());
    let keys: Vec<String> = [
        "standard",
        "encoder_nested",
        "decoder_nested",
        "both_nested",
    ]
    .iter()
    .flat_map(|v| ["test_mse", "test_kl", "test_neg_elbo_nats"].map(|k| format!("{v}_{k}")))
    .collect();
    assert_figures(&s, &keys);
}
