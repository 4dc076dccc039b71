//! `nn-core demo`: the reference experiment of the shared crate.

/// Out-of-memory failures say which request failed and to lower the batch size.
#[global_allocator]
static ALLOCATOR: nn_core::allocator::ClearOutOfMemory = nn_core::allocator::ClearOutOfMemory;

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "nn-core",
        "The shared crate's reference experiment (the experiment contract end to end)",
        &nn_core::demo::registry(),
    )
}
