//! `nn-core demo`: the reference experiment of the shared crate.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "nn-core",
        "The shared crate's reference experiment (the experiment contract end to end)",
        &nn_core::demo::registry(),
    )
}
