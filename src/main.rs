//! The sweeparr binary: a switchboard between the Lambda runtime and the command line.

use clap::Parser;

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
