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
    /// Units of the PAR Index.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Staff accounts for the dashboard.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: prints OK and the number of entries, or the
    /// first entry that was edited, deleted or slipped in, and exits non-zero.
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a staff account; prints its generated password alone on the last line.
    Create {
        #[arg(long)]
        username: String,
        /// admin (the whole province), manager or viewer
        #[arg(long)]
        role: String,
        /// The unit it answers for, by its code today (a commune, a department); none:
        /// the whole province.
        #[arg(long)]
        scope: Option<String>,
        /// The person's name as pages show it (default the username).
        #[arg(long)]
        name: Option<String>,
    },
    /// Give an account a new generated password (its sessions end); prints it alone on
    /// the last line.
    Password {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UnitsCommand {
    /// Set a province up: the province and its communes from the national list of the
    /// two-tier structure (34 provinces), plus its own departments and central agencies
    /// from a CSV file (`code,name,unit_type,parent_code`). All or nothing; running it
    /// again changes nothing.
    Import {
        /// The province's two-digit code: 01 Hà Nội, 42 Hà Tĩnh, 79 TP Hồ Chí Minh, …
        #[arg(long)]
        province: String,
        /// The province's own units (departments, central agencies, …).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// First day of the units (default 2025-07-01, the two-tier structure).
        #[arg(long)]
        valid_from: Option<chrono::NaiveDate>,
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
    /// List the API clients: id, name, scopes, created, last used, revoked.
    List,
    /// Revoke a client's token (by id, or by name); its next request is refused.
    Revoke {
        /// The client's id (see `sipas token list`) or its name.
        client: String,
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
                "Reference data: {} unit types, {} PAR schemes, {} questionnaires, {} units and {} crosswalk lines added.",
                report.unit_types,
                report.par_schemes,
                report.questionnaires,
                report.units,
                report.successions
            );
            Ok(())
        }
        Command::Recompute => recompute(&settings).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit(&settings).await,
        Command::Units {
            command:
                UnitsCommand::Import {
                    province,
                    file,
                    valid_from,
                },
        } => import_units(&settings, &province, file.as_deref(), valid_from).await,
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    scope,
                    name,
                },
        } => {
            let new = sipas_domain::access::NewUser::parse(
                &username,
                name.as_deref(),
                &role,
                scope.as_deref(),
            )
            .map_err(|errors| {
                let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                anyhow::anyhow!(messages.join("; "))
            })?;
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            storage.seed_reference_data().await?;
            let password = crate::accounts::create_user(&storage, "cli", &new).await?;
            println!(
                "Created user {} ({}{}). Keep this password; it is not shown again:",
                new.username,
                new.role.as_str(),
                new.scope
                    .as_deref()
                    .map(|s| format!(", unit {s}"))
                    .unwrap_or_default()
            );
            println!("{password}");
            Ok(())
        }
        Command::User {
            command: UserCommand::Password { username },
        } => {
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let txn = storage.write().await?;
            let password = crate::storage::users::reset_password(&txn, "cli", &username).await?;
            txn.commit().await?;
            println!("New password for {username}. Keep it; it is not shown again:");
            println!("{password}");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { name, scope },
        } => {
            let scopes = Scope::parse_list(&scope).map_err(anyhow::Error::msg)?;
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let (client, token) =
                crate::accounts::create_token(&storage, "cli", &name, &scopes).await?;
            println!(
                "Created API client {:?} with scope {}. Keep this token; it is not shown again:",
                client.name(),
                scope
            );
            println!("{token}");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::List,
        } => {
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let clients = api_clients::list(storage.db()).await?;
            print!("{}", token_table(&clients));
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { client },
        } => {
            let storage = Storage::connect(&settings.database_url).await?;
            storage.migrate().await?;
            let tokens = crate::tokens::ApiTokens::default();
            let revoked = crate::accounts::revoke_token(&storage, &tokens, "cli", &client).await?;
            println!(
                "Revoked the token of API client {:?} (id {}).",
                revoked.name, revoked.id
            );
            Ok(())
        }
    }
}

/// `sipas token list`: one line per client, times in Vietnam (UTC+7).
fn token_table(clients: &[api_clients::ClientRow]) -> String {
    use sipas_domain::campaign::vietnam_time;
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or("-".to_owned(), |at| {
            vietnam_time(at).format("%Y-%m-%d %H:%M").to_string()
        })
    };
    let rows: Vec<[String; 6]> = clients
        .iter()
        .map(|c| {
            [
                c.id.to_string(),
                c.name.clone(),
                c.scopes.clone(),
                when(Some(c.created_at)),
                when(c.last_used_at),
                when(c.revoked_at),
            ]
        })
        .collect();
    let header = ["id", "name", "scopes", "created", "last used", "revoked"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no API clients: sipas token create --name NAME --scope read)\n");
    }
    out
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let app = Application::build(settings, demo).await?;
    let url = app.base_url().to_owned();
    println!();
    println!("SIPAS is running · SIPAS đang chạy: {url}/");
    if let Some(survey) = crate::demo::citizen_demo_url(&app.storage, &app.keys, &url).await? {
        println!("  Citizen survey (demo) · Khảo sát người dân: {survey}");
    }
    if crate::config::public_url_is_private(&url) {
        println!(
            "  WARNING · CẢNH BÁO: {url} is a loopback or private address; posters printed with it \
             will not work on citizens' phones (áp phích in với địa chỉ này sẽ không dùng được). \
             Set SIPAS_PUBLIC_URL."
        );
    }
    println!("  Overview · Tổng quan:       {url}/");
    println!("  Dashboard · Trang quản lý:  {url}/login");
    println!("  API docs · Tài liệu API:    {url}/api/docs");
    println!("  Health · Trạng thái:        {url}/readyz");
    println!("  Database: {}", redact(&settings.database_url));
    match &settings.redis_url {
        Some(redis) => println!("  Redis: {}", redact(redis)),
        None => println!("  Redis: not configured; using in-process equivalents (one node only)"),
    }
    if let Some((user, password)) = &app.report.first_admin {
        if settings.production {
            // A production log is kept and shipped: the password goes to a file only
            // its owner reads, and the log says where.
            match write_private_file(std::path::Path::new(FIRST_PASSWORD_FILE), password) {
                Ok(path) => println!(
                    "  First start: log in as {user} (whole province) with the password in {} \
                     (readable by this user only; delete it once read)",
                    path.display()
                ),
                Err(e) => println!(
                    "  First start: the password of {user} could not be written to \
                     {FIRST_PASSWORD_FILE} ({e}); give it one with `sipas user password --username {user}`"
                ),
            }
        } else {
            println!(
                "  First start: log in as {user} (whole province) with password {password} (shown only once)"
            );
        }
    }
    if let Some((user, password)) = &app.report.demo_officer {
        println!(
            "  Demo commune officer (Phường Thành Sen): {user} with password {password} (shown only once)"
        );
    }
    if app.report.first_admin.is_none() {
        println!("  Forgot a password? sipas user password --username admin");
    }
    println!("  API token: sipas token create --name NAME --scope read,write");
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Where a production start puts the first admin's password (in the working folder).
const FIRST_PASSWORD_FILE: &str = "sipas-first-admin-password";

/// Writes `text` to a new file that only this user may read (mode 0600), never over an
/// existing one; returns its full path.
pub fn write_private_file(
    path: &std::path::Path,
    text: &str,
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::path::absolute(path)
}

async fn import_units(
    settings: &Settings,
    province: &str,
    file: Option<&std::path::Path>,
    valid_from: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    use crate::storage::units::SetupError;
    let own =
        match file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read {} as UTF-8 text: {e}", path.display())
            })?),
            None => None,
        };
    let storage = Storage::connect(&settings.database_url).await?;
    storage.migrate().await?;
    // Unit types, schemes and questionnaires, not Hà Tĩnh's units (unless this is
    // Hà Tĩnh, whose structures the seed of a start loads anyway).
    storage
        .seed_reference_data_with(crate::storage::reference::SeedUnits::None)
        .await?;
    let valid_from = valid_from.unwrap_or_else(sipas_domain::reference::reform_2025);
    match storage
        .set_up_province("cli", province, own.as_deref(), valid_from)
        .await
    {
        Ok(report) => {
            println!(
                "Province {province} from {valid_from}: {} units created, {} already there.",
                report.created, report.unchanged
            );
            Ok(())
        }
        Err(SetupError::UnknownProvince(message)) => Err(anyhow::anyhow!(message)),
        Err(SetupError::Refused(problems)) => {
            let (listed, more) = problems.into_parts();
            let file = file.map_or("the national list".into(), |p| p.display().to_string());
            for e in &listed {
                let place = if e.line == 0 {
                    "national list".to_owned()
                } else {
                    format!("{file}:{}", e.line)
                };
                eprintln!(
                    "{place}{}: {}",
                    e.column
                        .as_deref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default(),
                    e.message
                );
            }
            Err(anyhow::anyhow!(
                "{} problem(s) found; nothing was stored",
                listed.len() + more
            ))
        }
        Err(SetupError::Storage(e)) => Err(e.into()),
    }
}

async fn verify_audit(settings: &Settings) -> anyhow::Result<()> {
    use crate::storage::audit::{self, ChainReport};
    let storage = Storage::connect(&settings.database_url).await?;
    storage.migrate().await?;
    match audit::verify(&storage).await? {
        ChainReport::Intact { entries } => {
            println!("OK: the audit log's {entries} entries are intact.");
            Ok(())
        }
        ChainReport::Broken(broken) => {
            println!("BROKEN at entry {}: {broken}", broken.seq());
            Err(anyhow::anyhow!(
                "the audit log was changed outside the application"
            ))
        }
        ChainReport::Unchained { ids } => {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            println!(
                "BROKEN: entries with no place in the chain (ids {}): written outside the application",
                ids.join(", ")
            );
            Err(anyhow::anyhow!(
                "the audit log was changed outside the application"
            ))
        }
    }
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
