//! A resumed run continues on the same data, alone. A run on real data (a Fashion-MNIST
//! folder in the official layout) is stopped by SIGKILL while paused before its second
//! epoch (`NGVM_PAUSE_AT`, so on a machine of any speed), then resumed:
//! - from another working directory with `--data-dir` at a copy of its data (the original
//!   gone): it finishes with the weights and figures of an uninterrupted run;
//! - with a copy in which one image differs: refused, naming the split and both folders;
//! - where the data is absent and only a synthetic stand-in could run: refused;
//! - twice at once: the second is refused with the first one's process id while the first
//!   finishes, and every epoch is logged once; a SIGKILLed holder's lock is taken over;
//! - as another experiment's directory, or with `--lr nan`: errors that say so.

mod common;

use common::{ErrorLog, KillOnDrop, wait_for};
use ngvm::nn_core::data::formats::idx::write_idx_pair;
use ngvm::nn_core::data::{find, synthetic::shapes};
use ngvm::nn_core::models::Mlp;
use ngvm::nn_core::train::{Checkpoint, parameter_values};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const EXPERIMENT: &str = "mlp/burn";
const EPOCHS: &str = "3";

/// A Fashion-MNIST folder (gzipped IDX, as the download lays it out) of synthetic shapes
/// under `data_dir`; `changed` alters one pixel of one training image.
fn write_data(data_dir: &Path, changed: bool) {
    let spec = find("fashion-mnist").unwrap();
    for (split, n, seed) in [("train", 512, 1), ("test", 128, 2)] {
        let mut images = shapes(n, 28, true, seed);
        if changed && split == "train" {
            images.pixels[100] = images.pixels[100].wrapping_add(1);
        }
        let files = spec.split_files(data_dir, split);
        std::fs::create_dir_all(files[0].parent().unwrap()).unwrap();
        write_idx_pair(&images, &files[0], &files[1], true).unwrap();
    }
}

fn ngvm(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ngvm"));
    cmd.current_dir(cwd).env_remove("NGVM_DATA_DIR");
    cmd
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr)
}

/// A run started in `cwd` with the relative `--data-dir data` and `--synthetic` allowed
/// (as the curriculum starts its runs), killed while paused before epoch 2; its directory.
fn killed_run(cwd: &Path) -> PathBuf {
    write_data(&cwd.join("data"), false);
    let mut child = ngvm(cwd)
        .args([EXPERIMENT, "--epochs", EPOCHS, "--synthetic"])
        .args(["--data-dir", "data", "--out", "runs"])
        .env("NGVM_PAUSE_AT", format!("{EXPERIMENT}@2:0"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = ErrorLog::of(&mut child);
    log.wait_for_line("paused before batch 0 of epoch 2");
    child.kill().unwrap();
    child.wait().unwrap();
    let run = common::run_dir(&cwd.join("runs"), EXPERIMENT).expect("a run directory");
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert!(
        Path::new(saved["data_dir"].as_str().unwrap()).is_absolute(),
        "config.json keeps a relative data folder: {config}"
    );
    std::path::absolute(run).unwrap()
}

/// `ngvm mlp/burn --resume run` from `cwd`, with `--data-dir data_dir` when given.
fn resume(cwd: &Path, run: &Path, data_dir: Option<&Path>) -> Command {
    let mut cmd = ngvm(cwd);
    cmd.args([EXPERIMENT, "--resume"]).arg(run);
    if let Some(dir) = data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    cmd
}

/// The weights in the run's newest checkpoint, and its summary's figures (less the speed).
fn result(run: &Path) -> (Vec<f32>, serde_json::Value) {
    let (checkpoint, _) = Checkpoint::latest(&run.join("checkpoints")).expect("a checkpoint");
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let mut sizes = vec![28 * 28];
    sizes.extend(
        config["config"]["hidden"]
            .as_array()
            .expect("hidden layer sizes")
            .iter()
            .map(|h| h.as_u64().unwrap() as usize),
    );
    sizes.push(10);
    let model = Mlp::new(&sizes, 0.0, &burn::prelude::Device::flex());
    let model = checkpoint.load_module("model", model).expect("the model");
    let summary = std::fs::read_to_string(run.join("summary.json")).expect("summary.json");
    let mut summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let figures = summary["metrics"].as_object_mut().unwrap();
    figures.retain(|name, _| !name.contains("per_second"));
    (parameter_values(&model), summary["metrics"].clone())
}

#[test]
fn a_run_resumed_elsewhere_with_its_data_moved_ends_as_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (start, elsewhere) = (tmp.path().join("start"), tmp.path().join("elsewhere"));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = killed_run(&start);
    let moved = tmp.path().join("moved-data");
    std::fs::rename(start.join("data"), &moved).unwrap();

    let output = resume(&elsewhere, &run, Some(&moved)).output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("resumed with the data in"),
        "{}",
        text(&output)
    );

    let straight = tmp.path().join("straight");
    write_data(&straight.join("data"), false);
    let output = ngvm(&straight)
        .args([
            EXPERIMENT,
            "--epochs",
            EPOCHS,
            "--data-dir",
            "data",
            "--out",
            "runs",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let uninterrupted = common::run_dir(&straight.join("runs"), EXPERIMENT).unwrap();
    let (weights, figures) = result(&run);
    let (weights_straight, figures_straight) = result(&uninterrupted);
    assert_eq!(figures, figures_straight);
    assert!(!weights.is_empty());
    assert!(weights == weights_straight, "the weights differ");
    assert_eq!(common::logged_train_epochs(&run), [1, 2, 3]);
}

#[test]
fn a_resume_on_data_with_one_image_changed_is_refused_and_keeps_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = killed_run(&tmp.path().join("start"));
    let changed = tmp.path().join("changed-data");
    write_data(&changed, true);
    let before = std::fs::read(run.join("checkpoints/epoch-0001.ckpt")).unwrap();

    let output = resume(tmp.path(), &run, Some(&changed)).output().unwrap();
    let message = text(&output);
    assert!(!output.status.success(), "{message}");
    assert!(
        message.contains("the data differs")
            && message.contains("`fashion-mnist` split `train`")
            && message.contains(&changed.display().to_string()),
        "{message}"
    );
    assert!(!run.join("summary.json").exists());
    assert_eq!(
        std::fs::read(run.join("checkpoints/epoch-0001.ckpt")).unwrap(),
        before,
        "the refused resume touched the checkpoint"
    );
}

#[test]
fn a_run_on_real_data_never_resumes_on_a_synthetic_stand_in() {
    let tmp = tempfile::tempdir().unwrap();
    let run = killed_run(&tmp.path().join("start"));
    let empty = tmp.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    // The run was started with --synthetic allowed; its data is real, so a resume without
    // it must stop, naming the data set, the folder it looked in and the flag.
    let output = resume(tmp.path(), &run, Some(&empty)).output().unwrap();
    let message = text(&output);
    assert!(!output.status.success(), "{message}");
    assert!(
        message.contains("trained on the real `fashion-mnist`")
            && message.contains(&empty.display().to_string())
            && message.contains("--data-dir"),
        "{message}"
    );
    assert!(!message.contains("using synthetic shapes"), "{message}");
    assert!(!run.join("summary.json").exists());
}

/// The process id the run's lock file names, once the process holds it.
fn lock_holder(run: &Path, child: &mut Child) -> u32 {
    wait_for("the resumed run to take its lock", || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the resume ended ({status}) before it was seen holding the lock");
        }
        std::fs::read_to_string(run.join("run.lock"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .filter(|&pid| pid == child.id())
    })
}

fn signal(child: &Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    assert!(pid > 1);
    // SAFETY: kill(2) with our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

#[test]
fn two_resumes_at_once_the_second_is_refused_and_every_epoch_is_logged_once() {
    let tmp = tempfile::tempdir().unwrap();
    let run = killed_run(&tmp.path().join("start"));
    let mut first = KillOnDrop(
        resume(tmp.path(), &run, None)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = lock_holder(&run, &mut first.0);
    // Stopped (SIGSTOP) while it holds the lock, so the second surely starts before the
    // first finishes, on a machine of any speed.
    signal(&first.0, libc::SIGSTOP);
    let output = resume(tmp.path(), &run, None).output().unwrap();
    signal(&first.0, libc::SIGCONT);
    let message = text(&output);
    assert!(!output.status.success(), "{message}");
    assert!(
        message.contains(&format!("in use by process {pid}"))
            && message.contains(&run.display().to_string()),
        "{message}"
    );
    let status = first.0.wait().unwrap();
    assert!(status.success(), "the first resume failed: {status}");
    assert_eq!(common::logged_train_epochs(&run), [1, 2, 3]);
}

#[test]
fn a_killed_holders_lock_is_taken_over_by_the_next_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let run = killed_run(&tmp.path().join("start"));
    let mut holder = resume(tmp.path(), &run, None)
        .env("NGVM_PAUSE_AT", format!("{EXPERIMENT}@2:0"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    lock_holder(&run, &mut holder);
    holder.kill().unwrap(); // SIGKILL: no chance to let go itself
    holder.wait().unwrap();
    let output = resume(tmp.path(), &run, None).output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(common::logged_train_epochs(&run), [1, 2, 3]);
}

#[test]
fn resuming_another_experiments_run_names_it_and_a_nan_flag_says_what_was_given() {
    let tmp = tempfile::tempdir().unwrap();
    let run = killed_run(&tmp.path().join("start"));
    let output = ngvm(tmp.path())
        .args(["cnn/pneumonia", "--resume"])
        .arg(&run)
        .output()
        .unwrap();
    let message = text(&output);
    assert!(!output.status.success(), "{message}");
    assert!(
        message.contains("a run of `mlp/burn`, not of `cnn/pneumonia`"),
        "{message}"
    );

    for args in [&["--lr", "nan"][..], &["--set", "lr=nan"][..]] {
        let output = ngvm(tmp.path())
            .args([EXPERIMENT, "--print-config"])
            .args(args)
            .output()
            .unwrap();
        let message = text(&output);
        assert!(!output.status.success(), "{args:?}: {message}");
        assert!(
            message.to_lowercase().contains("nan") && message.contains("finite number"),
            "{args:?}: {message}"
        );
    }
}
