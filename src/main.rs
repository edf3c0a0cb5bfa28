//! The sweeparr binary: a switchboard between the Lambda runtime and the command line.

use clap::Parser;

fn main() {
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
            std::process::exit(3);
        }
    };
    let code = runtime.block_on(async {
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            sweeparr::logging::init(sweeparr::logging::Format::Json, "info");
            return sweeparr::cloud::serve().await;
        }
        let cli = sweeparr::cli::Cli::parse();
        sweeparr::logging::init_from_env();
        sweeparr::cli::execute(cli).await
    });
    std::process::exit(code);
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
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
