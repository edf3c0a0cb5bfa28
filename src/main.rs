//! The sweeparr binary: a switchboard between the Lambda runtime and the command line.
//!
//! Everything that prints, logs or ends the process lives here, beside the library:
//! [`cli`] (the commands), [`cloud`] (the Lambda handler, its events, SSM secrets),
//! [`output`] (text renderings), [`logging`] and [`exit`] (the exit codes).

mod cli;
mod cloud;
mod exit;
mod logging;
mod output;

use clap::Parser;

use exit::ExitCode;

fn main() -> std::process::ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    one_allocator_arena();
    // One thread: a pass waits on the network, not on the CPU.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sweeparr: cannot start the async runtime: {e}");
            return ExitCode::Store.into();
        }
    };
    let code = runtime.block_on(async {
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            logging::init(logging::Format::Json, "info");
            return cloud::serve().await;
        }
        let cli = cli::Cli::parse();
        if let Err(e) = logging::init_from_env() {
            eprintln!("sweeparr: config error: {e}");
            return ExitCode::Usage;
        }
        cli::execute(cli).await
    });
    code.into()
}

/// glibc gives each thread that allocates a heap of its own (an "arena"), and memory freed
/// in one heap cannot serve another: the store's writer thread would grow a second heap at
/// the end of a pass while the memory of the scan lies free in the first. One arena keeps
/// the peak of a 10,000-torrent pass under 40 MB (BENCHMARKS.md). The threads of a pass
/// rarely allocate at the same moment, so sharing one costs no measurable time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_allocator_arena() {
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it is called before
    // any other thread exists, and a refusal (return value 0) leaves the default in place.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
