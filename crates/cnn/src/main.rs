//! `cnn`: the convolution weeks' experiments from the command line.

/// Out-of-memory failures say which request failed and to lower the batch size.
#[global_allocator]
static ALLOCATOR: nn_core::allocator::ClearOutOfMemory = nn_core::allocator::ClearOutOfMemory;

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "cnn",
        "Weeks 1-2: convolution, pooling and CNN classifiers",
        &cnn::registry(),
    )
}
