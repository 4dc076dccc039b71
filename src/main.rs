//! `ngvm`: every experiment of the course in one binary, by full name
//! (`ngvm list`, `ngvm cnn/pneumonia --preset full`), and `ngvm curriculum`, which runs
//! them all, each in its own process (what `cargo xtask curriculum` calls).

/// Out-of-memory failures say which request failed and to lower the batch size.
#[global_allocator]
static ALLOCATOR: nn_core::allocator::ClearOutOfMemory = nn_core::allocator::ClearOutOfMemory;

use clap::Parser;
use std::process::ExitCode;

/// `ngvm curriculum ...`.
#[derive(Parser)]
#[command(
    name = "ngvm curriculum",
    about = "Run every experiment of the course in order, then write the HTML report"
)]
struct CurriculumCli {
    #[command(flatten)]
    args: ngvm::curriculum::Args,
}

/// `ngvm bench ...`.
#[derive(Parser)]
#[command(
    name = "ngvm bench",
    about = "Training-step throughput of the course's models per backend, data decoding, and PyTorch side by side"
)]
struct BenchCli {
    #[command(flatten)]
    args: ngvm::bench::Args,
}

fn main() -> ExitCode {
    nn_core::allocator::tune_for_training();
    match std::env::args().nth(1).as_deref() {
        Some("curriculum") => {
            let args = CurriculumCli::parse_from(std::env::args().skip(1)).args;
            return exit(
                std::env::current_exe()
                    .map_err(|e| {
                        nn_core::Error::Other(format!("cannot find this program's path: {e}"))
                    })
                    .and_then(|me| ngvm::curriculum::run(args, &ngvm::registry(), &me)),
            );
        }
        Some("bench") => {
            return exit(ngvm::bench::run(
                BenchCli::parse_from(std::env::args().skip(1)).args,
            ));
        }
        _ => {}
    }
    nn_core::experiment::cli_main(
        "ngvm",
        "Next Gen Visual Models: every experiment of the course (`ngvm curriculum --help`: all of them in order; `ngvm bench --help`: speed)",
        &ngvm::registry(),
    )
}

fn exit(result: nn_core::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
