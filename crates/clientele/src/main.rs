//! The `clientele` binary: parses the command line, sets up logging to stderr and runs
//! the subcommand. Everything else lives in the library (`lib.rs`).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;
use clientele::cli::{Cli, Command, KeysCommand, WebhooksCommand};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: a request allocates and frees many small
/// values on several threads at once, and glibc's allocator spent a quarter of the
/// server's CPU on that under load (`perf`, 50 connections).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let store = clientele::open_store(&args.database.db).await?;
            clientele::serve::run(*args, store).await?;
        }
        Command::Keys(keys) => {
            let output = match keys {
                KeysCommand::Create {
                    kind,
                    permissions,
                    description,
                    database,
                } => {
                    let store = clientele::open_store(&database.db).await?;
                    clientele::keys::create(
                        store.as_ref(),
                        kind.into(),
                        permissions.into(),
                        &description,
                    )
                    .await?
                }
                KeysCommand::List { database } => {
                    let store = clientele::open_store(&database.db).await?;
                    clientele::keys::list(store.as_ref()).await?
                }
                KeysCommand::Revoke { id, database } => {
                    let store = clientele::open_store(&database.db).await?;
                    clientele::keys::revoke(store.as_ref(), id).await?
                }
            };
            println!("{output}");
        }
        Command::Import(args) => {
            let store = clientele::open_store(&args.database.db).await?;
            let options = clientele::import::Options {
                progress: !args.quiet,
                fire_webhooks: args.fire_webhooks,
                ..clientele::import::Options::default()
            };
            let mut failed = false;
            for path in &args.files {
                let source = clientele::import::Source::from_arg(path);
                let outcome =
                    clientele::import::import_source(store.as_ref(), &source, options).await;
                match &outcome {
                    Ok(imported) if !args.quiet => eprintln!("{source}: imported {imported}"),
                    Ok(_) => {}
                    Err(failure) => {
                        failed = true;
                        eprintln!("{source}: not imported, nothing written: {failure}");
                    }
                }
                println!("{}", clientele::import::summary_line(&source, &outcome));
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Webhooks(WebhooksCommand::Deliveries {
            id,
            limit,
            database,
        }) => {
            let store = clientele::open_store(&database.db).await?;
            let log = clientele::webhooks::deliveries(store.as_ref(), id, limit).await?;
            println!("{}", serde_json::to_string_pretty(&log)?);
        }
        Command::Openapi(args) => {
            println!("{}", serde_json::to_string_pretty(&args.slug.openapi())?);
        }
        Command::Export(args) => {
            let store = clientele::open_store(&args.database.db).await?;
            let options = clientele::export::Options {
                with_keys: args.with_keys,
                progress: !args.quiet,
            };
            let exported =
                clientele::export::export(store.as_ref(), args.out.as_deref(), options).await?;
            if !args.quiet {
                eprintln!("exported {exported}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
