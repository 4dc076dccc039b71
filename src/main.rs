//! `ngvm`: every experiment of the course in one binary, by full name
//! (`ngvm list`, `ngvm cnn/pneumonia --preset full`), and `ngvm curriculum`, which runs
//! them all, each in its own process (what `cargo xtask curriculum` calls).

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

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("curriculum") {
        return curriculum(CurriculumCli::parse_from(std::env::args().skip(1)).args);
    }
    nn_core::experiment::cli_main(
        "ngvm",
        "Next Gen Visual Models: every experiment of the course (`ngvm curriculum --help`: all of them in order)",
        &ngvm::registry(),
    )
}

fn curriculum(args: ngvm::curriculum::Args) -> ExitCode {
    let result = std::env::current_exe()
        .map_err(|e| nn_core::Error::Other(format!("cannot find this program's path: {e}")))
        .and_then(|me| ngvm::curriculum::run(args, &ngvm::registry(), &me));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
