//! Every model family of the course on wgpu against flex, and one experiment end to end on
//! wgpu with a checkpoint and `--resume`. One test binary (a wgpu test binary is over a
//! gigabyte); it needs the `wgpu` feature, and skips with the reason when no Vulkan adapter
//! is found unless `NGVM_REQUIRE` names `wgpu` (as `.ci/run` sets it after installing
//! lavapipe), where that is a failure.
#![cfg(feature = "wgpu")]

mod experiment;
mod families;

use wgpu_check::Pair;

/// Both devices, or `None` (with the reason printed) where this machine has no adapter
/// and `NGVM_REQUIRE` does not name `wgpu`.
fn pair() -> Option<Pair> {
    match Pair::new() {
        Ok(pair) => Some(pair),
        Err(why) => {
            test_support::skip(test_support::Need::Wgpu, &why.0);
            None
        }
    }
}

/// The device random generators are shared by the process, and lavapipe runs on the same
/// cores as flex: one comparison at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}
