//! `diffusion`: week 5's experiments from the command line.

/// Out-of-memory failures say which request failed and to lower the batch size.
#[global_allocator]
static ALLOCATOR: nn_core::allocator::ClearOutOfMemory = nn_core::allocator::ClearOutOfMemory;

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "diffusion",
        "Week 5: denoising diffusion (DDPM, DDIM, guidance)",
        &diffusion::registry(),
    )
}
