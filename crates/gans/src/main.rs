//! `gans`: week 4's experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main("gans", "Week 4: GANs on cat faces", &gans::registry())
}
