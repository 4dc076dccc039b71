//! `gans`: week 4's experiments from the command line.

/// Out-of-memory failures say which request failed and to lower the batch size.
#[global_allocator]
static ALLOCATOR: nn_core::allocator::ClearOutOfMemory = nn_core::allocator::ClearOutOfMemory;

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main("gans", "Week 4: GANs on cat faces", &gans::registry())
}
