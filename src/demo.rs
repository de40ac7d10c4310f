//! The demo campaign `DEMO-2021`: every unit of Hà Tĩnh with a plausible frame, quotas
//! and synthetic responses spread over the campaign so far, so that some units have met
//! their quota and others lag. Deterministic (fixed seed) and marked as demo everywhere.

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use sipas_domain::campaign::{CampaignRequest, Channel};
use sipas_domain::questionnaire::Answers;
use sipas_domain::token::{SigningKeys, SurveyToken};

use sipas_domain::quota::FrameEntry;

use crate::storage::{
    CampaignRecord, NewResponse, Storage, StorageError, UnitFilter, UnitRow, campaigns, frames,
    reference, responses, units,
};

pub const DEMO_CAMPAIGN: &str = "DEMO-2021";
const DEMO_ACTOR: &str = "demo";

/// Creates the demo campaign unless it is complete; returns whether anything was
/// added. Each step (campaign, frame and quotas, responses) is its own transaction, and
/// a step already done is skipped, so a start interrupted halfway finishes the job.
pub async fn ensure_demo_campaign(storage: &Storage) -> Result<bool, StorageError> {
    let campaign = match campaigns::by_code(storage.db(), DEMO_CAMPAIGN).await {
        Ok(campaign) => campaign,
        Err(StorageError::NotFound(_)) => match create_demo_campaign(storage).await {
            Ok(campaign) => campaign,
            // Another node starting at the same moment created it.
            Err(StorageError::Conflict(_)) => {
                return campaigns::by_code(storage.db(), DEMO_CAMPAIGN)
                    .await
                    .map(|_| false);
            }
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let frame_missing = frames::entries(storage.db(), campaign.id).await?.is_empty();
    let responses_missing = responses::counts(storage.db(), campaign.id)
        .await?
        .is_empty();
    if !frame_missing && !responses_missing {
        return Ok(false);
    }
    fill_demo_campaign(storage, &campaign, frame_missing).await?;
    Ok(true)
}

async fn create_demo_campaign(storage: &Storage) -> Result<CampaignRecord, StorageError> {
    let today = Utc::now().date_naive();
    // Live dates (started 60 days ago, 30 to go) so quota pacing has something to say.
    let new = CampaignRequest {
        code: DEMO_CAMPAIGN.into(),
        name: "Khảo sát SIPAS 2021 — dữ liệu minh hoạ (demo)".into(),
        template: "SIPAS-2017".into(),
        starts_on: today - Duration::days(60),
        ends_on: today + Duration::days(30),
        confidence: None,
        margin: None,
        quota_method: None,
        count_unverified: None,
        min_fill_seconds: None,
        receipt_valid_days: None,
        status: None,
    }
    .parse()
    .map_err(|e| StorageError::Invalid(format!("demo campaign: {e:?}")))?;
    let txn = storage.write().await?;
    let campaign = campaigns::create(&txn, DEMO_ACTOR, &new, true).await?;
    txn.commit().await?;
    Ok(campaign)
}

async fn fill_demo_campaign(
    storage: &Storage,
    campaign: &CampaignRecord,
    frame_missing: bool,
) -> Result<(), StorageError> {
    let db = storage.db();
    let units: Vec<UnitRow> = units::list(
        db,
        &UnitFilter {
            on: Some(campaign.starts_on),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .filter(|u| u.unit_type != "province")
    .collect();
    let mut rng = StdRng::seed_from_u64(2021);
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
    let populations: std::collections::HashMap<i32, u64> = frames::entries(db, campaign.id)
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
    let elapsed_seconds = (Utc::now() - started).num_seconds().max(1);
    let campaign_seconds = (campaign.ends_on - campaign.starts_on).num_days().max(1) * 86_400;
    let elapsed_share = elapsed_seconds as f64 / campaign_seconds as f64;
    let noise = Normal::new(0.0, 0.6).expect("valid normal");
    let person = Normal::new(0.0, 0.5).expect("valid normal");

    let mut generated = Vec::new();
    for unit in &units {
        let Some(&population) = populations.get(&unit.id) else {
            continue;
        };
        let quota = quotas.get(&unit.id).copied().unwrap_or(0) as f64;
        // Pace relative to schedule: some units are ahead (met), others well behind.
        let pace: f64 = rng.random_range(0.25..1.9);
        let count = ((quota * elapsed_share * pace).round() as u64).min(population);
        let satisfaction: f64 = rng.random_range(0.55..0.97);
        let mean = 2.6 + 2.0 * satisfaction;
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

/// The demo unit whose desk the printed citizen link opens: Phường Nam Hà, the
/// example of the API contract.
pub const DEMO_UNIT: &str = "18073";

/// A survey link at the demo campaign's desk of [`DEMO_UNIT`], for trying the
/// citizen's path; `None` when there is no demo campaign.
pub async fn citizen_demo_url(
    storage: &Storage,
    keys: &SigningKeys,
    base_url: &str,
) -> Result<Option<String>, StorageError> {
    let db = storage.db();
    let campaign = match campaigns::by_code(db, DEMO_CAMPAIGN).await {
        Ok(c) => c,
        Err(StorageError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Ok(unit) = units::by_code(db, DEMO_UNIT, Some(campaign.starts_on)).await else {
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
