//! Logging: one line per request (with its request id) through `tracing`.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber once; `RUST_LOG` overrides the default level. Lines
/// are written by a thread of their own, as many as have queued in one write: a
/// `write` per request on the request's thread took a sixth of a busy node's
/// `/healthz` rate (BENCHMARKS.md). None is dropped (a full queue makes requests wait).
/// Keep the guard until exit: its drop writes what is still queued.
pub fn init() -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Colour only on a terminal: log files and collectors get plain `key=value` lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // The worker flushes whenever its queue is empty, so a line waits only for those
    // queued with it.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        // The queue's slots are allocated at once: 128,000 by default took 4 MB.
        .buffered_lines_limit(8192)
        .thread_name("sipas-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let _ = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        .try_init();
    guard
}
