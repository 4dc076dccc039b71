//! A request larger than the machine can give: the course's allocator says which request
//! failed and to lower the batch size before the process aborts. (The child process makes
//! the request; this test reads what it printed.)

use ngvm::nn_core::allocator::ClearOutOfMemory;
use std::process::Command;

#[global_allocator]
static ALLOCATOR: ClearOutOfMemory = ClearOutOfMemory;

const TEST: &str = "an_impossible_allocation_says_to_lower_the_batch_size";
/// 64 TiB: more than this machine's memory and swap, so the kernel refuses it at once
/// (with overcommit in its default heuristic mode).
const BYTES: usize = 1 << 46;

#[test]
fn an_impossible_allocation_says_to_lower_the_batch_size() {
    if std::env::var_os("NGVM_OOM_CHILD").is_some() {
        let v: Vec<u8> = Vec::with_capacity(BYTES);
        std::hint::black_box(&v);
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env("NGVM_OOM_CHILD", "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the allocation succeeded: {log}");
    assert!(
        log.contains(&format!("a request for {BYTES} bytes failed"))
            && log.contains("Lower --batch-size"),
        "{log}"
    );
}
