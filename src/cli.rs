//! The `sipas` command line (docs/api.md, "Command line").

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::Application;
use crate::storage::{Storage, api_clients};
use sipas_domain::access::Scope;

#[derive(Parser, Debug)]
#[command(
    name = "sipas",
    version,
    about = "SIPAS citizen-satisfaction survey service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate, load reference data and serve (the default, with --demo).
    Serve {
        /// Also load the demo campaign DEMO-2021 with synthetic responses.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Load the reference data (questionnaires, units, PAR points) where missing.
    Seed,
    /// Rebuild every campaign's score statistics from the stored responses and print
    /// a digest of each campaign's scores (the same statistics a start builds).
    Recompute,
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API client; prints its token alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// read, write or read,write
        #[arg(long, default_value = "read")]
        scope: String,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve { demo: true }) {
        Command::Serve { demo } => serve(&settings, demo).await,
        Command::Migrate => {
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            println!("Database schema is up to date.");
            Ok(())
        }
        Command::Seed => {
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let report = storage.seed_reference_data().await?;
            println!(
                "Reference data: {} unit types, {} questionnaires, {} units added.",
                report.unit_types, report.questionnaires, report.units
            );
            Ok(())
        }
        Command::Recompute => recompute(&settings).await,
        Command::Token {
            command: TokenCommand::Create { name, scope },
        } => {
            let scopes = Scope::parse_list(&scope).map_err(anyhow::Error::msg)?;
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let txn = storage.write().await?;
            let (client, token) = api_clients::create(&txn, "cli", &name, &scopes).await?;
            txn.commit().await?;
            println!(
                "Created API client {:?} with scope {}. Keep this token; it is not shown again:",
                client.name(),
                scope
            );
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let app = Application::build(settings, demo).await?;
    let url = app.base_url().to_owned();
    println!();
    println!("SIPAS is running · SIPAS đang chạy: {url}/");
    if let Some(survey) = crate::demo::citizen_demo_url(&app.storage, &app.keys, &url).await? {
        println!("  Citizen survey (demo) · Khảo sát người dân: {survey}");
    }
    println!("  Overview · Tổng quan:       {url}/");
    println!("  API docs · Tài liệu API:    {url}/api/docs");
    println!("  Health · Trạng thái:        {url}/readyz");
    println!("  Database: {}", redact(&settings.database_url));
    match &settings.redis_url {
        Some(redis) => println!("  Redis: {}", redact(redis)),
        None => println!("  Redis: not configured; using in-process equivalents (one node only)"),
    }
    if let Some((user, password)) = &app.report.first_admin {
        println!("  First start: log in as {user} with password {password} (shown only once)");
    }
    println!("  API token: sipas token create --name NAME --scope read,write");
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn recompute(settings: &Settings) -> anyhow::Result<()> {
    use crate::scores::{ScoreBook, ScoreQuery};
    let storage = Storage::connect(&settings.database_url).await?;
    storage.migrate().await?;
    let started = std::time::Instant::now();
    let (book, report) = ScoreBook::load(storage.clone()).await?;
    let elapsed = started.elapsed();
    println!(
        "Rebuilt the statistics of {} campaigns from {} counted responses in {:.2} s.",
        report.campaigns,
        report.responses,
        elapsed.as_secs_f64()
    );
    let mut states = book.states();
    states.sort_by(|a, b| {
        let (a, b) = (&a.description.campaign, &b.description.campaign);
        (a.starts_on, &a.code).cmp(&(b.starts_on, &b.code))
    });
    for state in states {
        let campaign = &state.description.campaign;
        let query = ScoreQuery::official(campaign)?;
        let scores = book.fresh_scores(campaign.id, query).await?;
        println!(
            "{}: {} units, statistics digest {}",
            campaign.code,
            scores.units.len(),
            scores.digest
        );
    }
    Ok(())
}

/// Hides a password in a connection URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
