use std::collections::HashMap;

use crate::backend_tests;
use crate::common::{Backend, TestDatabase};
use chrono::Utc;
use sipas::storage::{
    NewResponse, Storage, UnitFilter, campaigns, frames, reference, responses, settings, units,
};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Answers;
use sipas_domain::quota::FrameEntry;

backend_tests!(
    seeding_is_idempotent,
    demo_campaign_has_met_and_lagging_units,
    frame_replacement_is_all_or_nothing,
    an_interrupted_demo_is_completed,
    response_batches_are_all_or_nothing,
    questionnaires_round_trip,
    a_duplicate_skipped_by_the_database_is_reported_as_repeated,
    the_group_commit_stores_each_form_once_and_only_while_open,
    a_change_and_its_audit_entry_commit_together,
    seeding_ends_an_old_structure_loaded_without_its_end,
);

/// Earlier versions loaded the 2021 structure with no end: a seed ends it at the
/// reform, so today's units are the two-tier structure and a 2021 day still finds
/// the old units.
async fn seeding_ends_an_old_structure_loaded_without_its_end(backend: Backend) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let old = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    entity::unit::Entity::update_many()
        .col_expr(
            entity::unit::Column::ValidUntil,
            Option::<chrono::NaiveDate>::None.into(),
        )
        .filter(entity::unit::Column::ValidFrom.eq(old))
        .exec(storage.db())
        .await
        .unwrap();
    let on = |y, m, d| UnitFilter {
        on: chrono::NaiveDate::from_ymd_opt(y, m, d),
        ..Default::default()
    };
    let today = units::list(storage.db(), &on(2026, 3, 1)).await.unwrap();
    assert_eq!(today.len(), 86 + 245, "both structures at once: the bug");
    // That version ran a 2026 campaign on the old structure: a frame on old units.
    let mut request = campaign_request("OLD-2026");
    request.starts_on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    request.ends_on = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let txn = storage.write().await.unwrap();
    let ran = campaigns::create(&txn, "test", &request, false)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let district = today.iter().find(|u| u.code == "436").unwrap();
    replace_frame(
        &storage,
        &ran,
        &[FrameEntry {
            unit_id: district.id,
            service_point_id: None,
            population: 900,
        }],
        &today,
    )
    .await
    .unwrap();
    let mut request = campaign_request("NEW-2026");
    request.starts_on = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    request.ends_on = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let txn = storage.write().await.unwrap();
    let fresh = campaigns::create(&txn, "test", &request, false)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    storage.seed_reference_data().await.unwrap();
    // The campaign with data keeps its structure; the one without follows its dates.
    let ran = campaigns::by_code(storage.db(), "OLD-2026").await.unwrap();
    assert_eq!(
        ran.units_on,
        chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
    );
    assert_eq!(
        frames::entries(storage.db(), ran.id).await.unwrap().len(),
        1
    );
    let kept = units::list(storage.db(), &on(2025, 6, 30)).await.unwrap();
    assert!(kept.iter().any(|u| u.id == district.id));
    let fresh = campaigns::by_id(storage.db(), fresh.id).await.unwrap();
    assert_eq!(fresh.units_on, fresh.starts_on);
    let pinned = sipas::storage::audit::entries(storage.db())
        .await
        .unwrap()
        .into_iter()
        .any(|e| e.action == "campaign.units_on" && e.subject == "OLD-2026");
    assert!(pinned, "the pin is audited");
    let today = units::list(storage.db(), &on(2026, 3, 1)).await.unwrap();
    assert_eq!(today.len(), 86);
    assert!(today.iter().all(|u| u.unit_type != "district"));
    assert_eq!(
        units::list(storage.db(), &on(2021, 3, 1))
            .await
            .unwrap()
            .len(),
        245
    );
}

async fn storage(backend: Backend) -> Option<(Storage, TestDatabase)> {
    let db = TestDatabase::create(backend).await?;
    let storage = Storage::connect(&db.url).await.unwrap();
    storage.migrate().await.unwrap();
    Some((storage, db))
}

async fn seeding_is_idempotent(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    let first = storage.seed_reference_data().await.unwrap();
    // Both Hà Tĩnh structures (245 + 86 units) and the crosswalk between them.
    let lines = sipas_domain::reference::ha_tinh_successions().len();
    assert_eq!(
        (
            first.unit_types,
            first.par_schemes,
            first.questionnaires,
            first.units,
            first.successions
        ),
        (5, 1, 2, 331, lines)
    );
    let second = storage.seed_reference_data().await.unwrap();
    assert_eq!(second, Default::default());
    assert_eq!(
        units::list(storage.db(), &UnitFilter::default())
            .await
            .unwrap()
            .len(),
        86,
        "today's structure"
    );
    // Migrating again is harmless too.
    storage.migrate().await.unwrap();
    // The signing secret is generated once and then stable.
    let secret = settings::signing_secret(storage.db()).await.unwrap();
    assert!(secret.len() >= 32);
    assert_eq!(
        settings::signing_secret(storage.db()).await.unwrap(),
        secret
    );
}

async fn demo_campaign_has_met_and_lagging_units(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    assert!(sipas::demo::ensure_demo_campaign(&storage).await.unwrap());
    assert!(
        !sipas::demo::ensure_demo_campaign(&storage).await.unwrap(),
        "created once"
    );

    let campaign = campaigns::by_code(storage.db(), "DEMO-2021").await.unwrap();
    assert!(campaign.is_demo);
    assert!(campaign.name.contains("demo"));
    let frame = frames::entries(storage.db(), campaign.id).await.unwrap();
    assert_eq!(frame.len(), 244, "every unit but the province");
    let quotas = frames::quotas(storage.db(), campaign.id).await.unwrap();
    assert_eq!(quotas.len(), 244);
    let population: HashMap<i32, u64> = frame.iter().map(|f| (f.unit_id, f.population)).collect();
    for (unit, quota) in &quotas {
        assert!(*quota <= population[unit] && *quota >= 25.min(population[unit]));
    }
    let counts = responses::counts(storage.db(), campaign.id).await.unwrap();
    let met = quotas
        .iter()
        .filter(|(u, q)| counts.get(u).copied().unwrap_or(0) >= **q)
        .count();
    let lagging = quotas.len() - met;
    assert!(met >= 10, "some units have met their quota ({met})");
    assert!(lagging >= 50, "others lag ({lagging})");
    let total: u64 = counts.values().sum();
    assert!(total > 5_000, "{total} responses");
}

async fn an_interrupted_demo_is_completed(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    // A start that stopped right after creating the campaign.
    let campaign = new_campaign(&storage, sipas::demo::DEMO_CAMPAIGN).await;
    assert!(sipas::demo::ensure_demo_campaign(&storage).await.unwrap());
    assert_eq!(
        frames::entries(storage.db(), campaign.id)
            .await
            .unwrap()
            .len(),
        244
    );
    let total: u64 = responses::counts(storage.db(), campaign.id)
        .await
        .unwrap()
        .values()
        .sum();
    assert!(total > 5_000, "{total}");
    assert!(!sipas::demo::ensure_demo_campaign(&storage).await.unwrap());
}

async fn frame_replacement_is_all_or_nothing(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let campaign = new_campaign(&storage, "F-1").await;
    let units = units::list(storage.db(), &UnitFilter::default())
        .await
        .unwrap();
    let ward = units.iter().find(|u| u.code == "18073").unwrap();
    let good = vec![FrameEntry {
        unit_id: ward.id,
        service_point_id: None,
        population: 120,
    }];
    replace_frame(&storage, &campaign, &good, &units)
        .await
        .unwrap();
    // Cochran at 95 % ± 5 % on N = 120 gives 92 (api.md's example).
    assert_eq!(
        frames::quotas(storage.db(), campaign.id).await.unwrap()[&ward.id],
        92
    );

    let bad = vec![
        FrameEntry {
            unit_id: ward.id,
            service_point_id: None,
            population: 500,
        },
        FrameEntry {
            unit_id: 987_654,
            service_point_id: None,
            population: 10,
        },
    ];
    assert!(
        replace_frame(&storage, &campaign, &bad, &units)
            .await
            .is_err()
    );
    assert_eq!(
        frames::entries(storage.db(), campaign.id).await.unwrap(),
        good,
        "old frame kept"
    );
    assert_eq!(
        frames::quotas(storage.db(), campaign.id).await.unwrap()[&ward.id],
        92
    );
}

async fn response_batches_are_all_or_nothing(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let campaign = new_campaign(&storage, "R-1").await;
    let ward = units::by_code(storage.db(), "18073", None).await.unwrap();
    let desk = units::default_service_points(storage.db()).await.unwrap()[&ward.id];
    let response = |nonce: &str| answer((ward.id, desk), Channel::Paper, nonce);
    assert_eq!(
        import(&storage, &campaign, &[response("a"), response("b")])
            .await
            .unwrap(),
        2
    );
    // A repeated nonce inside a later batch refuses the whole batch.
    let batch = vec![response("c"), response("a")];
    assert!(import(&storage, &campaign, &batch).await.is_err());
    assert_eq!(
        responses::counts(storage.db(), campaign.id).await.unwrap()[&ward.id],
        2
    );
}

async fn questionnaires_round_trip(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    for bundled in sipas_domain::reference::questionnaires() {
        let id = reference::latest_questionnaire_id(storage.db(), &bundled.code)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            reference::questionnaire(storage.db(), id).await.unwrap(),
            bundled
        );
    }
}

/// A response of all 4s at a unit's desk.
fn answer((unit_id, service_point_id): (i32, i32), channel: Channel, nonce: &str) -> NewResponse {
    NewResponse {
        unit_id,
        service_point_id,
        channel,
        language: "vi",
        answers: Answers::from_values(vec![4; 22]).unwrap(),
        comment: Some("Cán bộ nhiệt tình".into()),
        submitted_at: Utc::now(),
        exclusion: None,
        nonce: Some(nonce.into()),
        receipt_id: None,
        client_hash: None,
        is_demo: false,
    }
}

fn campaign_request(code: &str) -> sipas_domain::campaign::NewCampaign {
    sipas_domain::campaign::CampaignRequest {
        code: code.into(),
        name: "Test".into(),
        template: "SIPAS-2017".into(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2021, 3, 1).unwrap(),
        ends_on: chrono::NaiveDate::from_ymd_opt(2021, 11, 30).unwrap(),
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
    .unwrap()
}

async fn new_campaign(storage: &Storage, code: &str) -> sipas::storage::CampaignRecord {
    let new = campaign_request(code);
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, "test", &new, false).await.unwrap();
    txn.commit().await.unwrap();
    campaign
}

async fn replace_frame(
    storage: &Storage,
    campaign: &sipas::storage::CampaignRecord,
    entries: &[FrameEntry],
    units: &[sipas::storage::UnitRow],
) -> Result<(), sipas::storage::StorageError> {
    let floors = units.iter().map(|u| (u.id, u.quota_floor)).collect();
    let txn = storage.write().await?;
    frames::replace(&txn, "test", campaign, entries, &floors).await?;
    txn.commit().await?;
    Ok(())
}

async fn import(
    storage: &Storage,
    campaign: &sipas::storage::CampaignRecord,
    batch: &[NewResponse],
) -> Result<usize, sipas::storage::StorageError> {
    let txn = storage.write().await?;
    let n = responses::import(&txn, "test", campaign, batch).await?;
    txn.commit().await?;
    Ok(n)
}

/// Another node stores the same form while this one is about to: the database skips
/// the copy, and the copy is reported as repeated, never as stored.
async fn a_duplicate_skipped_by_the_database_is_reported_as_repeated(backend: Backend) {
    let Some((storage, db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let campaign = new_campaign(&storage, "D-1").await;
    let other_node = Storage::connect(&db.url).await.unwrap();
    let ward = units::by_code(storage.db(), "18073", None).await.unwrap();
    let desk = units::default_service_points(storage.db()).await.unwrap()[&ward.id];
    let response = |nonce: &str| answer((ward.id, desk), Channel::DeskQr, nonce);
    let first = storage.write().await.unwrap();
    let (x, y) = (response("form-x"), response("form-y"));
    let outcome = responses::store_batch(&first, &[(&campaign, &x)])
        .await
        .unwrap();
    assert_eq!(outcome, [sipas::storage::Submission::Stored]);
    // The other node's batch starts while the first is not yet committed.
    let second = {
        let campaign = campaign.clone();
        let (x, y) = (x.clone(), y.clone());
        tokio::spawn(async move {
            let txn = other_node.write().await.unwrap();
            let outcome = responses::store_batch(&txn, &[(&campaign, &x), (&campaign, &y)])
                .await
                .unwrap();
            txn.commit().await.unwrap();
            outcome
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    assert_eq!(
        second.await.unwrap(),
        [
            sipas::storage::Submission::Repeated,
            sipas::storage::Submission::Stored
        ]
    );
    assert_eq!(
        responses::counts(storage.db(), campaign.id).await.unwrap()[&ward.id],
        2
    );
}

/// Desk answers through the group commit, as the citizen's path stores them (on
/// PostgreSQL one statement per batch, on SQLite a transaction): whichever batch each
/// lands in, a form is stored once, and only while its campaign is open.
async fn the_group_commit_stores_each_form_once_and_only_while_open(backend: Backend) {
    use sipas::storage::Submission::{Closed, Repeated, Stored};
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let open = new_campaign(&storage, "G-1").await;
    let closed = new_campaign(&storage, "G-2").await;
    let txn = storage.write().await.unwrap();
    let closed = campaigns::transition(
        &txn,
        "test",
        &closed,
        sipas_domain::campaign::CampaignStatus::Closed,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let ward = units::by_code(storage.db(), "18073", None).await.unwrap();
    let desk = units::default_service_points(storage.db()).await.unwrap()[&ward.id];
    let response = |nonce: &str| answer((ward.id, desk), Channel::DeskQr, nonce);
    let queue = sipas::submissions::SubmissionQueue::start(storage.clone());
    let outcomes = futures_util::future::join_all([
        queue.submit(&open, response("form-x")),
        queue.submit(&open, response("form-x")),
        queue.submit(&closed, response("form-y")),
        queue.submit(&open, response("form-z")),
    ])
    .await;
    let outcomes: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
    let mut twice = [outcomes[0], outcomes[1]];
    twice.sort_by_key(|o| *o == Repeated);
    assert_eq!(twice, [Stored, Repeated], "{outcomes:?}");
    assert_eq!(outcomes[2..], [Closed, Stored], "{outcomes:?}");
    // Sent again later, in a batch of its own: still once.
    assert_eq!(
        queue.submit(&open, response("form-x")).await.unwrap(),
        Repeated
    );
    let counts = responses::counts(storage.db(), open.id).await.unwrap();
    assert_eq!(counts[&ward.id], 2);
    assert!(
        responses::counts(storage.db(), closed.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Storage functions run in the caller's transaction: a change and its audit entry (and
/// the revision it bumps) commit together or not at all.
async fn a_change_and_its_audit_entry_commit_together(backend: Backend) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    storage.seed_reference_data().await.unwrap();
    let audit_entries = || entity::audit_event::Entity::find().count(storage.db());
    let before = audit_entries().await.unwrap();
    let new = campaign_request("T-1");
    let ward = units::by_code(storage.db(), "18073", None).await.unwrap();
    let frame = [FrameEntry {
        unit_id: ward.id,
        service_point_id: None,
        population: 120,
    }];
    let floors = std::collections::HashMap::from([(ward.id, 25)]);
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, "test", &new, false).await.unwrap();
    frames::replace(&txn, "test", &campaign, &frame, &floors)
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert!(campaigns::by_code(storage.db(), "T-1").await.is_err());
    assert_eq!(
        audit_entries().await.unwrap(),
        before,
        "no entry without its change"
    );

    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, "test", &new, false).await.unwrap();
    frames::replace(&txn, "test", &campaign, &frame, &floors)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let stored = campaigns::by_code(storage.db(), "T-1").await.unwrap();
    assert_eq!(
        stored.revision, 2,
        "the frame bumped the revision it came with"
    );
    assert_eq!(audit_entries().await.unwrap(), before + 2);
    assert_eq!(
        frames::quotas(storage.db(), stored.id).await.unwrap()[&ward.id],
        92
    );
}
