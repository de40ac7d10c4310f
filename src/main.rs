use clap::Parser;
use sipas::{cli, config::Settings, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    let cli = cli::Cli::parse();
    let result = match Settings::from_env() {
        Ok(settings) => cli::run(cli, settings).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sipas: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
