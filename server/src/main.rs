//! `leadline`: serve (the default), migrate, or set up the first company from the command line.
#![recursion_limit = "256"]
use app::account::service;
use app::backend::passwords::Passwords;
use app::domain::{EmailAddress, Name, NewPassword};
use clap::{Parser, Subcommand};
use server::config::Config;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "leadline",
    version,
    about = "Leadline: website live chat and chatbot playbooks"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve (the default).
    Serve,
    /// Run migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE, while the server runs.
    Backup { file: std::path::PathBuf },
    /// Create the company and its first admin; the password is read as one line from stdin.
    Setup {
        #[arg(long)]
        company: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

/// The built site, compiled into the binary (a debug build reads the folder at run time,
/// from where it was when the binary was compiled). See `server::site`.
#[derive(rust_embed::Embed)]
#[folder = "../target/site"]
#[allow_missing = true]
struct Site;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("leadline: {message}");
    ExitCode::from(1)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LEADLINE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    config.embedded_site = Some(Site::get);
    let command = cli.command.unwrap_or(Command::Serve);
    // A backup only reads: it neither migrates nor creates the database it copies.
    let opened = match command {
        Command::Backup { .. } => server::open_existing_database(&config).await,
        _ => server::open_database(&config).await,
    };
    let db = match opened {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    match command {
        Command::Serve => {
            if let Some(n) = server::raise_open_file_limit() {
                tracing::debug!(open_files = n, "open-file limit");
            }
            let listener = match tokio::net::TcpListener::bind(config.addr).await {
                Ok(l) => l,
                Err(e) => return fail(format!("cannot listen on {}: {e}", config.addr)),
            };
            match server::serve(listener, db, config, server::shutdown_signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::Backup { file } => match server::backup(&db, &file).await {
            Ok(()) => {
                println!("Backed up to {}.", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Migrate => {
            println!("Database is up to date.");
            ExitCode::SUCCESS
        }
        Command::Setup {
            company,
            email,
            name,
        } => {
            let mut line = String::new();
            if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
                return fail(format!("cannot read the password from standard input: {e}"));
            }
            let password = line.trim_end_matches(['\n', '\r']);
            let input = (|| {
                Ok::<_, String>(service::Setup {
                    company_name: Name::parse(&company).map_err(|m| format!("--company: {m}"))?,
                    admin_name: Name::parse(&name).map_err(|m| format!("--name: {m}"))?,
                    email: EmailAddress::parse(&email).map_err(|m| format!("--email: {m}"))?,
                    password: NewPassword::parse_checked(password)
                        .map_err(|m| format!("password: {m}"))?,
                })
            })();
            let input = match input {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match service::setup(&db, &Passwords::new(1), input).await {
                Ok(admin) => {
                    println!("Created company {company:?} with admin {}.", admin.email);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}
