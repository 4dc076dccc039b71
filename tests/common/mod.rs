//! What the process tests share: the work scale, waiting on an observed event, and reading
//! a child's error output as it comes. No test sleeps a fixed time to see progress: each
//! waits for a file or a log line, with a generous deadline.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStderr};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test waits for an event before it fails: far above any machine's need.
pub const PATIENCE: Duration = Duration::from_secs(600);

/// `NGVM_TEST_WORK_SCALE` (default 1): the share of the usual data the process tests
/// train on. Only the tests read it; 0.1 runs them as on a machine ten times faster,
/// which is how their independence from the machine's speed is checked.
pub fn work_scale() -> f64 {
    match std::env::var("NGVM_TEST_WORK_SCALE") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(scale) if scale > 0.0 && scale.is_finite() => scale,
            _ => panic!("NGVM_TEST_WORK_SCALE={text:?}: expected a positive number such as 0.1"),
        },
        Err(_) => 1.0,
    }
}

/// `n` examples at the work scale, never fewer than `floor`.
pub fn scaled(n: usize, floor: usize) -> usize {
    ((n as f64 * work_scale()).round() as usize).max(floor)
}

/// Polls `ready` until it returns something, failing with `what` after [`PATIENCE`].
pub fn wait_for<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The first run directory of `experiment` under `out`, if any.
pub fn run_dir(out: &Path, experiment: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(out.join(experiment))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .next()
}

/// The epochs of the training lines of `run`'s `metrics.jsonl`, in the order logged.
pub fn logged_train_epochs(run: &Path) -> Vec<u64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"split\":\"train\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// A child's error output, read line by line as it is written: [`ErrorLog::wait_for_line`]
/// waits for a line, [`ErrorLog::finish`] returns everything once the child has exited.
pub struct ErrorLog {
    lines: Receiver<String>,
    seen: String,
    reader: JoinHandle<()>,
}

impl ErrorLog {
    /// Takes `child`'s piped stderr.
    pub fn of(child: &mut Child) -> Self {
        let stderr: ChildStderr = child.stderr.take().expect("stderr must be piped");
        let (send, lines) = channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            seen: String::new(),
            reader,
        }
    }

    /// Waits until a line containing `text` has been written; fails with the log so far if
    /// the child closes its output first or after [`PATIENCE`].
    pub fn wait_for_line(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if found {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line with {text:?} after {PATIENCE:?}:\n{}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the process ended before a line with {text:?}:\n{}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Everything the child wrote to stderr (call once it has exited).
    pub fn finish(mut self) -> String {
        self.reader.join().expect("stderr reader");
        self.seen.extend(self.lines.try_iter().map(|l| l + "\n"));
        self.seen
    }
}

/// Kills the child (SIGKILL) when dropped, so a failing test leaves no paused run behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
