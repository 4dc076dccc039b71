//! The diffusion crate's tests, in one binary.

mod cli;
mod flow;
mod models;
mod sampling;
mod schedule;
mod steps;

/// burn's device RNG is one per process: tests that draw from it (random tensors, weight
/// initialisation) take this lock, so that tests running in parallel threads do not take
/// each other's numbers (the resume test compares two runs draw for draw).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
