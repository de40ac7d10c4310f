//! The two demo rounds, on Hà Tĩnh's two structures:
//!
//! * `DEMO-2021`: the 2021 round on the three-tier structure (SIPAS-2017, 22 criteria),
//!   closed, every unit near its quota.
//! * `DEMO-2026`: the 2026 round on the two-tier structure (SIPAS-2023, 16 criteria),
//!   open, started 60 days ago with 30 to go, so some units have met their quota and
//!   others lag.
//!
//! Each unit's underlying satisfaction follows from its code, and a 2026 unit's from
//! its predecessors' in 2021 plus its own shift, so some communes improve and others
//! fall. Deterministic (fixed seeds) and marked as demo everywhere.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use sipas_domain::campaign::{CampaignRequest, CampaignStatus, Channel};
use sipas_domain::questionnaire::Answers;
use sipas_domain::token::{SigningKeys, SurveyToken};

use sipas_domain::quota::FrameEntry;

use crate::storage::{
    CampaignRecord, NewResponse, Storage, StorageError, UnitRow, campaigns, frames, reference,
    responses, units,
};

/// The 2021 round; kept for the name tests and links use.
pub const DEMO_CAMPAIGN: &str = "DEMO-2021";
/// The round citizens can answer now.
pub const DEMO_CAMPAIGN_2026: &str = "DEMO-2026";
const DEMO_ACTOR: &str = "demo";

/// One demo round.
struct Round {
    code: &'static str,
    name: &'static str,
    template: &'static str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// Closed at the end of its fill: a past round.
    closed: bool,
    seed: u64,
}

fn rounds(today: NaiveDate) -> [Round; 2] {
    [
        Round {
            code: DEMO_CAMPAIGN,
            name: "Khảo sát SIPAS 2021 — dữ liệu minh hoạ (demo)",
            template: "SIPAS-2017",
            starts_on: NaiveDate::from_ymd_opt(2021, 3, 1).expect("valid date"),
            ends_on: NaiveDate::from_ymd_opt(2021, 10, 31).expect("valid date"),
            closed: true,
            seed: 2021,
        },
        Round {
            code: DEMO_CAMPAIGN_2026,
            name: "Khảo sát SIPAS 2026 — dữ liệu minh hoạ (demo)",
            template: "SIPAS-2023",
            starts_on: today - Duration::days(60),
            ends_on: today + Duration::days(30),
            closed: false,
            seed: 2026,
        },
    ]
}

/// Creates the demo rounds unless they are complete; returns whether anything was
/// added. Each step (campaign, frame and quotas, responses, closing) is its own
/// transaction, and a step already done is skipped, so a start interrupted halfway
/// finishes the job.
pub async fn ensure_demo_campaign(storage: &Storage) -> Result<bool, StorageError> {
    let mut added = false;
    for round in rounds(sipas_domain::campaign::vietnam_day(Utc::now())) {
        added |= ensure_round(storage, &round).await?;
    }
    Ok(added)
}

async fn ensure_round(storage: &Storage, round: &Round) -> Result<bool, StorageError> {
    let campaign = match campaigns::by_code(storage.db(), round.code).await {
        Ok(campaign) => campaign,
        Err(StorageError::NotFound(_)) => match create_round(storage, round).await {
            Ok(campaign) => campaign,
            // Another node starting at the same moment created it.
            Err(StorageError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    if campaign.starts_on != round.starts_on && round.closed {
        tracing::warn!(
            campaign = round.code,
            "this demo round dates from an earlier version; delete the database file to load the current demo"
        );
        return Ok(false);
    }
    let frame_missing = frames::entries(storage.db(), campaign.id).await?.is_empty();
    let responses_missing = responses::counts(storage.db(), campaign.id)
        .await?
        .is_empty();
    let mut added = false;
    if frame_missing || responses_missing {
        fill_demo_campaign(storage, &campaign, round, frame_missing).await?;
        added = true;
    }
    if round.closed && campaign.status == CampaignStatus::Open {
        let txn = storage.write().await?;
        let current = campaigns::by_id(&txn, campaign.id).await?;
        if current.status == CampaignStatus::Open {
            campaigns::transition(&txn, DEMO_ACTOR, &current, CampaignStatus::Closed).await?;
        }
        txn.commit().await?;
        added = true;
    }
    Ok(added)
}

async fn create_round(storage: &Storage, round: &Round) -> Result<CampaignRecord, StorageError> {
    let new = CampaignRequest {
        code: round.code.into(),
        name: round.name.into(),
        template: round.template.into(),
        starts_on: round.starts_on,
        ends_on: round.ends_on,
        confidence: None,
        margin: None,
        quota_method: None,
        count_unverified: None,
        min_fill_seconds: None,
        receipt_valid_days: None,
        status: None,
        par_scheme: None,
    }
    .parse()
    .map_err(|e| StorageError::Invalid(format!("demo campaign: {e:?}")))?;
    let txn = storage.write().await?;
    let campaign = campaigns::create(&txn, DEMO_ACTOR, &new, true).await?;
    txn.commit().await?;
    Ok(campaign)
}

/// A number in [0, 1) that depends only on the text and the salt, so a unit's demo
/// traits do not depend on the order units are listed in: the text seeds the same
/// generator as the rest of the demo.
fn hashed_share(text: &str, salt: u64) -> f64 {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&salt.to_le_bytes());
    for (i, byte) in text.bytes().take(24).enumerate() {
        seed[8 + i] = byte;
    }
    StdRng::from_seed(seed).random::<f64>()
}

/// A 2021 unit's underlying satisfaction, by its code.
fn satisfaction_2021(code: &str) -> f64 {
    0.55 + 0.42 * hashed_share(code, 2021)
}

/// A unit's underlying satisfaction in its round: in 2021 by its code; afterwards the
/// mean of its predecessors' in 2021 plus a shift of up to ±0.2 of its own (about a
/// third improve clearly, a third fall).
fn satisfaction(campaign: &CampaignRecord, unit: &UnitRow, predecessors: &[String]) -> f64 {
    if campaign.starts_on < sipas_domain::reference::reform_2025() || predecessors.is_empty() {
        return satisfaction_2021(&unit.code);
    }
    let base = predecessors
        .iter()
        .map(|c| satisfaction_2021(c))
        .sum::<f64>()
        / predecessors.len() as f64;
    let shift = 0.4 * hashed_share(&unit.code, 2026) - 0.2;
    (base + shift).clamp(0.3, 0.99)
}

async fn fill_demo_campaign(
    storage: &Storage,
    campaign: &CampaignRecord,
    round: &Round,
    frame_missing: bool,
) -> Result<(), StorageError> {
    let db = storage.db();
    let units: Vec<UnitRow> = units::surveyed(db, campaign).await?;
    let mut rng = StdRng::seed_from_u64(round.seed);
    let frame: Vec<FrameEntry> = units
        .iter()
        .map(|u| FrameEntry {
            unit_id: u.id,
            service_point_id: None,
            population: rng.random_range(population_range(&u.unit_type)),
        })
        .collect();
    if frame_missing {
        let floors = units.iter().map(|u| (u.id, u.quota_floor)).collect();
        let txn = storage.write().await?;
        frames::replace(&txn, DEMO_ACTOR, campaign, &frame, &floors).await?;
        txn.commit().await?;
    }
    let populations: HashMap<i32, u64> = frames::entries(db, campaign.id)
        .await?
        .into_iter()
        .map(|e| (e.unit_id, e.population))
        .collect();
    let quotas = frames::quotas(db, campaign.id).await?;
    let desks = units::default_service_points(db).await?;
    let questionnaire = reference::questionnaire(db, campaign.questionnaire_id).await?;
    let element_of = questionnaire.element_of_criteria();
    let last_element = questionnaire.elements.len() - 1;

    let started = campaign
        .starts_on
        .and_hms_opt(7, 0, 0)
        .expect("valid time")
        .and_utc();
    let campaign_seconds = (campaign.ends_on - campaign.starts_on).num_days().max(1) * 86_400;
    let elapsed_seconds = (Utc::now() - started)
        .num_seconds()
        .clamp(1, campaign_seconds);
    let elapsed_share = elapsed_seconds as f64 / campaign_seconds as f64;
    // Pace relative to schedule: a past round ends near every quota; a live one has
    // units ahead (met) and others well behind.
    let pace_range = if round.closed { 0.8..1.25 } else { 0.25..1.9 };
    let tree = units::tree(db).await?;
    let round_2021 = rounds(sipas_domain::campaign::vietnam_day(Utc::now()))[0].starts_on;
    let noise = Normal::new(0.0, 0.6).expect("valid normal");
    let person = Normal::new(0.0, 0.5).expect("valid normal");

    let mut generated = Vec::new();
    for unit in &units {
        let Some(&population) = populations.get(&unit.id) else {
            continue;
        };
        let quota = quotas.get(&unit.id).copied().unwrap_or(0) as f64;
        let pace: f64 = rng.random_range(pace_range.clone());
        let count = ((quota * elapsed_share * pace).round() as u64).min(population);
        let predecessors: Vec<String> = tree
            .predecessors(unit.id, round_2021)
            .map(|p| {
                p.units
                    .iter()
                    .filter_map(|id| tree.node(*id).map(|n| n.code.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mean = 2.6 + 2.0 * satisfaction(campaign, unit, &predecessors);
        let desk = desks[&unit.id];
        for _ in 0..count {
            let mood = person.sample(&mut rng);
            let values: Vec<u8> = element_of
                .iter()
                .map(|&element| {
                    let skip = if element == last_element { 0.4 } else { 0.03 };
                    if rng.random_bool(skip) {
                        0
                    } else {
                        (mean + mood + noise.sample(&mut rng))
                            .round()
                            .clamp(1.0, 5.0) as u8
                    }
                })
                .collect();
            let Ok(answers) = Answers::from_values(values) else {
                continue; // everything skipped: not a response
            };
            let channel = match rng.random_range(0..10) {
                0 => Channel::Paper,
                1 => Channel::ReceiptQr,
                _ => Channel::DeskQr,
            };
            generated.push(NewResponse {
                unit_id: unit.id,
                service_point_id: desk,
                channel,
                language: if rng.random_bool(0.05) { "en" } else { "vi" },
                answers,
                comment: None,
                submitted_at: started + Duration::seconds(rng.random_range(0..elapsed_seconds)),
                exclusion: rng.random_bool(0.005).then_some("too_fast"),
                nonce: None,
                receipt_id: None,
                client_hash: None,
                is_demo: true,
            });
        }
    }
    generated.sort_by_key(|r| r.submitted_at);
    let txn = storage.write().await?;
    responses::import(&txn, DEMO_ACTOR, campaign, &generated).await?;
    txn.commit().await?;
    Ok(())
}

fn population_range(unit_type: &str) -> std::ops::Range<u64> {
    match unit_type {
        "department" => 300..4_000,
        "central_agency" => 200..2_500,
        "district" => 1_500..8_000,
        _ => 80..1_200,
    }
}

/// The demo unit whose desk the printed citizen link opens: Phường Thành Sen (18073,
/// the code of Phường Nam Hà before the reform, the example of the API contract).
pub const DEMO_UNIT: &str = "18073";

/// A survey link at the open demo round's desk of [`DEMO_UNIT`], for trying the
/// citizen's path; `None` when there is no demo round.
/// The demo's commune officer: Phường Thành Sen's manager, who reads their ward in
/// DEMO-2026 and the old wards merged into it in DEMO-2021. Created once, with
/// its password returned to be printed; `None` when the account exists already.
pub async fn ensure_demo_officer(
    storage: &Storage,
) -> Result<Option<(String, String)>, StorageError> {
    let new = sipas_domain::access::NewUser::parse(
        DEMO_OFFICER,
        Some("Cán bộ Phường Thành Sen"),
        "manager",
        Some("18073"),
    )
    .map_err(|e| StorageError::Invalid(format!("demo officer: {e:?}")))?;
    let txn = storage.write().await?;
    let password = match crate::storage::users::create(&txn, "demo", &new).await {
        Ok(password) => password,
        Err(StorageError::Conflict(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    txn.commit().await?;
    Ok(Some((new.username, password)))
}

/// The demo officer's username.
pub const DEMO_OFFICER: &str = "thanhsen";

pub async fn citizen_demo_url(
    storage: &Storage,
    keys: &SigningKeys,
    base_url: &str,
) -> Result<Option<String>, StorageError> {
    let db = storage.db();
    let campaign = match campaigns::by_code(db, DEMO_CAMPAIGN_2026).await {
        Ok(c) => c,
        Err(StorageError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Ok(unit) = units::by_code(db, DEMO_UNIT, Some(campaign.units_on)).await else {
        return Ok(None);
    };
    let Ok(desk) = units::default_service_point(db, &unit).await else {
        return Ok(None);
    };
    let token = keys.sign(&SurveyToken::Desk {
        campaign_id: i64::from(campaign.id),
        service_point_id: i64::from(desk.id),
    });
    Ok(Some(format!("{base_url}/s/{token}")))
}
