use clap::Parser;
use sipas::{cli, config::Settings, telemetry};

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Freed pages go back to the system within a second, by jemalloc's own thread rather
/// than on whichever request happens to allocate next.
#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[unsafe(no_mangle)]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000\0";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _log = telemetry::init();
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
