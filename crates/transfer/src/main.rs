//! `transfer`: week 2's experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "transfer",
        "Week 2: VGG, ResNet, Inception and transfer learning",
        &transfer::registry(),
    )
}
