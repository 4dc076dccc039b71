//! The mlp binary: help, and quick runs that learn (real Fashion-MNIST subset when present,
//! else the synthetic stand-in).

use std::process::Command;

fn run(args: &[&str], out: &std::path::Path) -> serde_json::Value {
    let data = test_support::find_data("fashion-mnist");
    if data.is_none() {
        test_support::skip(
            test_support::Need::Data,
            "real Fashion-MNIST not found; the run uses the synthetic stand-in",
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let data = data.unwrap_or_else(|| empty.path().to_path_buf());
    let output = Command::new(env!("CARGO_BIN_EXE_mlp"))
        .args(args)
        .args([
            "--synthetic",
            "--out",
            out.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let experiment = format!("mlp/{}", args[0]);
    nn_core::run::newest_summary(out, &experiment)
        .expect("a finished run")
        .1
}

#[test]
fn help_lists_every_experiment() {
    let out = Command::new(env!("CARGO_BIN_EXE_mlp"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["perceptron", "scratch", "burn", "activations"] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn scratch_and_burn_learn_from_the_same_start() {
    let out = tempfile::tempdir().unwrap();
    let args = ["--epochs", "2", "--limit", "3000"];
    let scratch = run(&[&["scratch"][..], &args].concat(), out.path());
    let burn = run(&[&["burn"][..], &args].concat(), out.path());
    for summary in [&scratch, &burn] {
        let accuracy = summary["metrics"]["test_accuracy"].as_f64().unwrap();
        assert!(accuracy > 0.6, "well above chance (0.1): {summary}");
        assert!(
            summary["metrics"]["train_images_per_second"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
    // Same initial weights, data order and hyper-parameters: close results.
    let (a, b) = (
        scratch["metrics"]["test_accuracy"].as_f64().unwrap(),
        burn["metrics"]["test_accuracy"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 0.05, "scratch {a} vs burn {b}");
    assert!(
        burn["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "overlay_accuracy.png"),
        "{burn}"
    );
}

#[test]
fn activations_quick_counts_dead_units() {
    let out = tempfile::tempdir().unwrap();
    let s = run(
        &["activations", "--epochs", "1", "--limit", "2000"],
        out.path(),
    );
    let m = &s["metrics"];
    for key in [
        "dead_fraction_relu",
        "dead_fraction_leaky_relu",
        "test_accuracy_relu",
        "test_accuracy_leaky_relu",
    ] {
        let v = m[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    // The shifted biases start a good share of the ReLU units dead (a third on Fashion-MNIST).
    let initial = m["initial_dead_fraction_relu"].as_f64().unwrap();
    assert!(initial > 0.1, "bad start kills units: {initial}");
}
