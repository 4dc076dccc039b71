//! `autoencoders`: week 3's experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "autoencoders",
        "Week 3: vanilla, denoising, sparse and variational autoencoders",
        &autoencoders::registry(),
    )
}
