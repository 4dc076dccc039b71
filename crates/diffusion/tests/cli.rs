//! The experiments end to end on a synthetic stand-in with a tiny network (the real
//! runs are experiments): every figure the summary promises and the pictures. Checked
//! against the real Fashion-MNIST by the full presets, not here.

use std::process::Command;

const TINY: &str = "train_size = 200\nepochs = 1\nbatch_size = 50\nwidth = 8\nchannel_mults = [1, 2]\ngroups = 4\neval_images = 20\nsteps = 60\nsample_steps = 4\nsamples_per_class = 2\ncompare_steps = [2, 4]\ncompare_per_class = 1\nclassifier_train_size = 200\nnoise_levels = [5, 10, 50]\ndenoise_images = 3\n";

fn run(
    experiment: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> (serde_json::Value, std::path::PathBuf) {
    run_with(experiment, TINY, out, extra)
}

/// Runs `experiment` on the stand-in with `config` (TOML text) and returns its summary
/// and run directory.
fn run_with(
    experiment: &str,
    config: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> (serde_json::Value, std::path::PathBuf) {
    let text = config;
    let config = out.join("tiny.toml");
    std::fs::write(&config, text).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_diffusion"))
        .args([experiment, "--synthetic", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(empty.path())
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (dir, summary) = nn_core::run::newest_summary(out, &format!("diffusion/{experiment}"))
        .expect("a finished run");
    (summary, dir)
}

fn finite(summary: &serde_json::Value, key: &str) -> f64 {
    let v = summary["metrics"][key].as_f64();
    assert!(v.is_some_and(f64::is_finite), "{key}: {v:?}");
    v.unwrap()
}

#[test]
fn class_samples_then_partial_denoise_reusing_its_model() {
    let out = tempfile::tempdir().unwrap();
    let (s, dir) = run("class-samples", out.path(), &[]);
    let rate = finite(&s, "class_recognition_rate");
    assert!((0.0..=1.0).contains(&rate));
    for k in 0..10 {
        finite(&s, &format!("class_recognition_rate_{k}"));
    }
    for key in [
        "recognition_rate_ddim2",
        "recognition_rate_ddim4",
        "classifier_test_accuracy",
        "final_loss",
        "test_loss",
    ] {
        finite(&s, key);
    }
    for file in [
        "class_samples.png",
        "steps_tradeoff.png",
        "recognition_by_steps.png",
        "reverse_process.png",
        "loss_curve.png",
        "loss_by_t.png",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
    assert!(s["data"]["synthetic"].as_bool().unwrap_or(false));

    // Same settings: the class-samples model is reused, not trained again.
    let (p, pdir) = run("partial-denoise", out.path(), &[]);
    for t in [5, 10, 50] {
        for key in ["psnr_noised", "psnr_denoised", "psnr_ddpm", "psnr_one_step"] {
            finite(&p, &format!("{key}_t{t}"));
        }
    }
    assert!(
        !pdir.join("diffusion").exists(),
        "trained again instead of reusing"
    );
    let notes = p["notes"].to_string();
    assert!(notes.contains("class-samples"), "{notes}");
    let table = std::fs::read_to_string(pdir.join("partial_denoise.md")).unwrap();
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| t "))
            .count(),
        3
    );
    assert!(pdir.join("partial_denoise.png").exists() && pdir.join("psnr_by_t.png").exists());

    // Different settings: it trains its own (unconditional) model.
    let (_, own) = run("partial-denoise", out.path(), &["--seed", "7"]);
    assert!(own.join("diffusion").join("steps.jsonl").exists());
}

/// Flow matching beside DDPM: both models trained, every (method, budget) measured, the
/// headline figures the issue of realism asks of every class-sampling summary, the table
/// and the figures.
#[test]
fn flow_matching_measures_every_method_at_every_budget() {
    let out = tempfile::tempdir().unwrap();
    // The tiny settings become the `[base]` table; the keys above it are the study's own.
    let config = format!(
        "evaluations = [1, 2]\nper_class = 2\nheadline_evaluations = 2\nseeds = [3]\n[base]\n{TINY}"
    );
    let (s, dir) = run_with("flow-matching", &config, out.path(), &[]);
    for key in [
        "class_recognition_rate",
        "mean_saturation",
        "mean_saturation_real",
        "clipped_above_real_p90",
        "frechet_fixed",
        "frechet_fixed_floor",
        "classifier_test_accuracy",
    ] {
        finite(&s, key);
    }
    for method in ["ddim", "euler", "heun"] {
        for budget in [1, 2] {
            let rate = finite(&s, &format!("{method}_nfe{budget}_recognition_rate"));
            assert!((0.0..=1.0).contains(&rate), "{method} {budget}: {rate}");
            assert!(finite(&s, &format!("{method}_nfe{budget}_frechet_fixed")) >= 0.0);
        }
    }
    assert!(dir.join("ddpm-seed3").join("steps.jsonl").exists());
    assert!(dir.join("flow-seed3").join("steps.jsonl").exists());
    let table = std::fs::read_to_string(dir.join("flow_vs_ddim.md")).unwrap();
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |"))
            .count(),
        2,
        "{table}"
    );
    for file in [
        "recognition_by_evaluations.png",
        "frechet_by_evaluations.png",
        "samples_by_evaluations.png",
        "loss_curves.png",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
}

#[test]
fn hyperparams_reports_both_configurations() {
    let out = tempfile::tempdir().unwrap();
    let (s, dir) = run("hyperparams", out.path(), &[]);
    for key in [
        "final_loss_a",
        "final_loss_b",
        "test_loss_a",
        "test_loss_b",
        "recognition_rate_a",
        "recognition_rate_b",
    ] {
        finite(&s, key);
    }
    for file in [
        "loss_curves.png",
        "loss_by_t.png",
        "samples.png",
        "forward_process.png",
        "alpha_bar.png",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let notes = s["notes"].to_string();
    assert!(
        notes.contains("linear") && notes.contains("cosine"),
        "{notes}"
    );
}

#[test]
fn bad_settings_name_the_key() {
    let out = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_diffusion"))
        .args(["class-samples", "--lr", "0", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        !result.status.success() && stderr.contains("lr"),
        "{stderr}"
    );
    for (set, key) in [
        ("sampler=euler", "sampler"),
        ("guidance=-1", "guidance"),
        ("no_such_key=1", "no_such_key"),
        ("guidance", "KEY=VALUE"),
    ] {
        let result = Command::new(env!("CARGO_BIN_EXE_diffusion"))
            .args(["class-samples", "--print-config", "--set", set, "--out"])
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            !result.status.success() && stderr.contains(key),
            "--set {set}: {stderr}"
        );
    }
    // A good --set reaches the config: TOML numbers, strings and lists.
    let result = Command::new(env!("CARGO_BIN_EXE_diffusion"))
        .args([
            "class-samples",
            "--print-config",
            "--set",
            "guidance=5",
            "--set",
            "schedule=\"cosine\"",
            "--set",
            "compare_steps=[3, 7]",
        ])
        .output()
        .unwrap();
    let config: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(config["guidance"], 5.0);
    assert_eq!(config["schedule"], "cosine");
    assert_eq!(config["compare_steps"], serde_json::json!([3, 7]));
    let config = out.path().join("bad.toml");
    for (text, key) in [
        ("sampler = \"euler\"\n", "sampler"),
        ("noise_levels = [5, 2000]\n", "noise_levels"),
        ("channel_mults = [1, 2, 2, 2]\n", "channel_mults"),
        ("schedule = \"custom\"\nbetas = [0.5, 1.5]\n", "betas"),
    ] {
        std::fs::write(&config, text).unwrap();
        let result = Command::new(env!("CARGO_BIN_EXE_diffusion"))
            .args(["class-samples", "--synthetic", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(out.path())
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            !result.status.success() && stderr.contains(key),
            "{text}: {stderr}"
        );
    }
}
