//! `diffusion`: week 5's experiments from the command line.

fn main() -> std::process::ExitCode {
    nn_core::experiment::cli_main(
        "diffusion",
        "Week 5: denoising diffusion (DDPM, DDIM, guidance)",
        &diffusion::registry(),
    )
}
