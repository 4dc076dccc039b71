//! `mlp`: week 1's experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "mlp",
        "Week 1: perceptron, MLP from scratch, MLP in burn, ReLU vs Leaky ReLU",
        &mlp::registry(),
    )
}
