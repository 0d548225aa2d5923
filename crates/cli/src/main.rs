//! The `paydesk` binary. Thin: parses the command line and calls the libraries.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = paydesk::Cli::parse();
    match paydesk::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
