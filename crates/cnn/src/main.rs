//! `cnn`: the convolution weeks' experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "cnn",
        "Weeks 1-2: convolution, pooling and CNN classifiers",
        &cnn::registry(),
    )
}
