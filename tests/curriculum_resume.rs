//! `ngvm curriculum` killed in the middle (SIGKILL to its whole process group, as a closed
//! terminal or an out-of-memory kill would) and run again with `--resume`: the experiment
//! that finished is skipped, the interrupted one continues from its checkpoint in the same
//! run directory, and the curriculum ends with both passed. A second curriculum started on
//! the folder while the first runs is refused (the folder's lock), and the lock of the
//! killed one is taken over by the resume.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const FINISHED: &str = "mlp/burn";
const INTERRUPTED: &str = "cnn/fashion-mnist";

fn curriculum(out: &Path, extra: &[&str]) -> Command {
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ngvm"));
    cmd.args(["curriculum", "--only", FINISHED, "--only", INTERRUPTED])
        .arg("--synthetic")
        .arg("--data-dir")
        .arg(&empty)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

/// The run directories of `experiment` under `out`.
fn run_dirs(out: &Path, experiment: &str) -> Vec<PathBuf> {
    std::fs::read_dir(out.join(experiment))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// The first checkpoint of the interrupted experiment's first stage, once it exists
/// (written atomically, so it is whole when it appears).
fn first_checkpoint(out: &Path) -> Option<PathBuf> {
    run_dirs(out, INTERRUPTED)
        .into_iter()
        .map(|d| d.join("cnn/checkpoints/epoch-0001.ckpt"))
        .find(|p| p.exists())
}

/// Waits until no process holds the lock file `lock`: a blocking lock taken in a helper
/// thread returns the moment the OS lets go of it (and is let go again at once, as the
/// file is closed); fails after 2 minutes.
fn wait_until_released(lock: &Path) {
    let path = lock.to_path_buf();
    let (taken, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .and_then(|file| file.lock());
        let _ = taken.send(result);
    });
    match wait.recv_timeout(Duration::from_secs(120)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{}: {e}", lock.display()),
        Err(_) => panic!("{} still held 2 minutes after the kill", lock.display()),
    }
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn a_killed_curriculum_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();

    // The interrupted experiment pauses before its second epoch (`NGVM_PAUSE_AT`), so the
    // kill lands after its first checkpoint and before its end on a machine of any speed.
    let mut child = curriculum(out, &[])
        .env("NGVM_PAUSE_AT", format!("{INTERRUPTED} [cnn]@2:0"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while first_checkpoint(out).is_none() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the curriculum ended before it could be interrupted"
        );
        assert!(Instant::now() < deadline, "no checkpoint after 10 minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A second curriculum on the same folder while the first runs is refused at once,
    // naming the first one's process id, and leaves the state file as it was.
    let state_before = std::fs::read_to_string(out.join("curriculum.json")).unwrap();
    let second = curriculum(out, &["--resume"]).output().unwrap();
    let log = text(&second);
    assert!(!second.status.success(), "{log}");
    assert!(
        log.contains(&format!("in use by process {}", child.id())),
        "{log}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("curriculum.json")).unwrap(),
        state_before
    );

    // The whole group: the curriculum and the experiment it is running.
    let group = i32::try_from(child.id()).unwrap();
    assert!(group > 1);
    // SAFETY: kill(2) with a negative id signals only that process group, ours.
    assert_eq!(unsafe { libc::kill(-group, libc::SIGKILL) }, 0);
    assert!(!child.wait().unwrap().success());

    let interrupted = run_dirs(out, INTERRUPTED);
    assert_eq!(interrupted.len(), 1);
    let interrupted = &interrupted[0];
    assert!(
        !interrupted.join("summary.json").exists(),
        "finished although paused before epoch 2"
    );
    let finished = run_dirs(out, FINISHED);
    assert_eq!(finished.len(), 1);
    assert!(finished[0].join("summary.json").exists());
    let state = std::fs::read_to_string(out.join("curriculum.json")).unwrap();
    assert!(state.contains("\"running\""), "{state}");

    // The killed experiment's own process lets go of its run directory when the OS has
    // torn it down, which can come a moment after the curriculum above was reaped.
    wait_until_released(&interrupted.join("run.lock"));
    let output = curriculum(out, &["--resume"]).output().unwrap();
    let log = text(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains(&format!("{FINISHED}: finished earlier, skipped")),
        "{log}"
    );
    assert!(log.contains(&format!("{INTERRUPTED} (resumed)")), "{log}");
    assert!(log.contains("resuming after epoch 1"), "{log}");

    // No new run directories: the finished one untouched, the interrupted one completed.
    assert_eq!(run_dirs(out, FINISHED), finished);
    assert_eq!(run_dirs(out, INTERRUPTED), vec![interrupted.clone()]);
    assert!(interrupted.join("summary.json").exists());
    let epochs: Vec<String> = std::fs::read_to_string(interrupted.join("cnn/metrics.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"split\":\"train\""))
        .map(|l| l.split("\"epoch\":").nth(1).unwrap()[..1].to_string())
        .collect();
    assert_eq!(epochs, ["1", "2"], "each epoch logged once");
    let state = std::fs::read_to_string(out.join("curriculum.json")).unwrap();
    assert_eq!(state.matches("\"ok\"").count(), 2, "{state}");
}
