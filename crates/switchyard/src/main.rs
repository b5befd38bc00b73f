//! The `switchyard` binary: parse the command line and run it.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = switchyard::cli::Cli::parse();
    let code = match switchyard::cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    };
    std::process::exit(code);
}
