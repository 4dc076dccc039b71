//! `ngvm`: every experiment of the course in one binary, by full name
//! (`ngvm list`, `ngvm cnn/pneumonia --preset full`). `cargo xtask curriculum` runs them
//! all through it, each in its own process.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "ngvm",
        "Next Gen Visual Models: every experiment of the course",
        &ngvm::registry(),
    )
}
