//! The follower: derives every campaign's statistics from the database, whichever node
//! stored the responses. At start it folds every stored response in one consistent
//! bulk read; then, every [`POLL`] (sooner when woken), it reads in one snapshot what
//! changed: campaigns whose revision moved are described again, and each campaign's
//! responses stored since its position are added.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Questionnaire;
use sipas_domain::statistics::{Accumulator, BulkFold, QuestionnaireShape, StatisticsError};

use super::book::{Description, Statistics, UnitFrame, UnitInfo};
use crate::storage::follow::{self, BulkRead, CountedResponses, Position};
use crate::storage::{
    Storage, StorageError, UnitFilter, campaigns, frames, par_schemes, reference, units,
};

/// How often a follower reads the database when nothing wakes it.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// What the follower keeps of one campaign.
pub struct Followed {
    pub description: Arc<Description>,
    pub statistics: Statistics,
    pub position: Position,
}

/// Questionnaire versions never change once stored.
#[derive(Default)]
pub struct Questionnaires(HashMap<i32, Arc<Questionnaire>>);

impl Questionnaires {
    async fn get(
        &mut self,
        db: &impl ConnectionTrait,
        id: i32,
    ) -> Result<Arc<Questionnaire>, StorageError> {
        if let Some(q) = self.0.get(&id) {
            return Ok(q.clone());
        }
        let q = Arc::new(reference::questionnaire(db, id).await?);
        self.0.insert(id, q.clone());
        Ok(q)
    }
}

/// A campaign's description as stored now (in the caller's snapshot).
pub async fn describe(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    questionnaires: &mut Questionnaires,
) -> Result<Description, super::ScoreError> {
    let campaign = campaigns::by_id(db, campaign_id).await?;
    let questionnaire = questionnaires.get(db, campaign.questionnaire_id).await?;
    let shape = QuestionnaireShape::new(questionnaire.element_of_criteria())?;
    let points = par_schemes::survey_points(db, &campaign.par_scheme).await?;
    let unit_rows = units::list(
        db,
        &UnitFilter {
            on: Some(campaign.units_on),
            ..Default::default()
        },
    )
    .await?;
    let units = unit_rows
        .into_iter()
        .map(|u| UnitInfo {
            id: u.id,
            survey_max_points: points.get(&u.unit_type).copied(),
            code: u.code,
            name: u.name,
            unit_type: u.unit_type,
            parent_code: u.parent_code,
        })
        .collect();
    let mut unit_frames: HashMap<i32, UnitFrame> = HashMap::new();
    for entry in frames::entries(db, campaign.id).await? {
        match entry.service_point_id {
            None => {
                unit_frames.insert(entry.unit_id, UnitFrame::Whole(entry.population));
            }
            Some(sp) => {
                let frame = unit_frames
                    .entry(entry.unit_id)
                    .or_insert_with(|| UnitFrame::ByServicePoint(Default::default()));
                if let UnitFrame::ByServicePoint(points) = frame {
                    points.insert(sp, entry.population);
                }
            }
        }
    }
    Ok(Description {
        quotas: frames::quotas(db, campaign.id).await?,
        overrides: crate::storage::quotas::overrides(db, campaign.id).await?,
        tree: Arc::new(units::tree(db).await?),
        frames: unit_frames,
        units,
        shape,
        questionnaire,
        campaign,
    })
}

/// A campaign's description, or `None` when its stored data cannot describe it (a
/// damaged row): that campaign is left aside and said once, the others go on. Only a
/// database that does not answer stops the read.
async fn describe_or_skip(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    questionnaires: &mut Questionnaires,
) -> Result<Option<Description>, super::ScoreError> {
    match describe(db, campaign_id, questionnaires).await {
        Ok(description) => Ok(Some(description)),
        Err(super::ScoreError::Storage(
            e @ (StorageError::Unavailable(_) | StorageError::Database(_)),
        )) => Err(e.into()),
        Err(error) => {
            tracing::error!(campaign = campaign_id, %error, "a campaign cannot be described; its scores are not followed until it changes");
            Ok(None)
        }
    }
}

/// Folds bulk-read responses, one [`BulkFold`] per stratum and channel.
struct Folder {
    shapes: Arc<HashMap<i32, QuestionnaireShape>>,
    folds: HashMap<(i32, i32, i32, Channel), BulkFold>,
    values: Vec<u8>,
    responses: u64,
    damaged: u64,
}

impl Folder {
    fn add(&mut self, group: CountedResponses<'_>) -> Result<(), StorageError> {
        // A campaign created after the descriptions were read: the follower reads it.
        let Some(shape) = self.shapes.get(&group.campaign_id) else {
            return Ok(());
        };
        let key = (
            group.campaign_id,
            group.unit_id,
            group.service_point_id,
            group.channel,
        );
        let fold = self
            .folds
            .entry(key)
            .or_insert_with(|| BulkFold::new(shape));
        for answers in group.answers.split(',') {
            self.values.clear();
            self.values
                .extend(answers.bytes().map(|d| d.wrapping_sub(b'0')));
            match fold.add(&self.values) {
                Ok(true) => self.responses += 1,
                Ok(false) => {}
                // Left aside and counted, so the start says how many.
                Err(_) => self.damaged += 1,
            }
        }
        Ok(())
    }
}

/// What a start read, for the log and `sipas recompute`.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub campaigns: usize,
    pub responses: u64,
}

/// Every campaign's statistics from the stored responses: one consistent bulk read,
/// shared out between the cores (the integer statistics merge exactly).
pub async fn load(
    storage: &Storage,
    questionnaires: &mut Questionnaires,
) -> Result<(HashMap<i32, Followed>, LoadReport), super::ScoreError> {
    let bulk = BulkRead::begin(storage).await?;
    let mut descriptions = HashMap::new();
    {
        let txn = storage.read_snapshot().await?;
        for id in campaigns::revisions(&txn).await?.into_keys() {
            if let Some(description) = describe_or_skip(&txn, id, questionnaires).await? {
                descriptions.insert(id, description);
            }
        }
        txn.commit().await.map_err(StorageError::from)?;
    }
    let shapes: Arc<HashMap<i32, QuestionnaireShape>> = Arc::new(
        descriptions
            .iter()
            .map(|(id, d)| (*id, d.shape.clone()))
            .collect(),
    );
    let parts = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8) as i64;
    let bulk = Arc::new(bulk);
    let mut tasks = Vec::new();
    for part in bulk.parts(parts) {
        let (bulk, shapes) = (bulk.clone(), shapes.clone());
        tasks.push(tokio::spawn(async move {
            let mut folder = Folder {
                shapes,
                folds: HashMap::new(),
                values: Vec::new(),
                responses: 0,
                damaged: 0,
            };
            bulk.fold(part, |r| folder.add(r)).await?;
            Ok::<_, StorageError>(folder)
        }));
    }
    let mut statistics: HashMap<i32, Statistics> = HashMap::new();
    let mut report = LoadReport {
        campaigns: descriptions.len(),
        responses: 0,
    };
    for task in tasks {
        let folder = task
            .await
            .map_err(|e| StorageError::Invalid(format!("bulk read task: {e}")))??;
        report.responses += folder.responses;
        if folder.damaged > 0 {
            tracing::error!(
                responses = folder.damaged,
                "stored responses that do not fit their questionnaire; not counted"
            );
        }
        for ((campaign, unit, sp, channel), fold) in folder.folds {
            let sample: Accumulator = fold.finish();
            statistics
                .entry(campaign)
                .or_default()
                .merge(unit, sp, channel, sample)?;
        }
    }
    let position = bulk.position().clone();
    if let Ok(bulk) = Arc::try_unwrap(bulk) {
        bulk.finish().await?;
    }
    let followed = descriptions
        .into_iter()
        .map(|(id, description)| {
            (
                id,
                Followed {
                    description: Arc::new(description),
                    statistics: statistics.remove(&id).unwrap_or_default(),
                    position: position.clone(),
                },
            )
        })
        .collect();
    Ok((followed, report))
}

/// One read of what changed since the last: campaigns described again (new or with a
/// new revision), and each campaign's new responses. Returns the campaigns that
/// changed; on an error nothing of this read is kept (positions stay where they were,
/// so the next read sees it all again).
pub async fn follow_once(
    storage: &Storage,
    followed: &mut HashMap<i32, Followed>,
    questionnaires: &mut Questionnaires,
    broken: &mut HashMap<i32, i64>,
) -> Result<Vec<i32>, super::ScoreError> {
    let txn = storage.read_snapshot().await?;
    let snapshot = follow::snapshot(&txn).await?;
    let revisions = campaigns::revisions(&txn).await?;
    let mut described = HashMap::new();
    for (id, revision) in &revisions {
        let known = followed.get(id).map(|f| f.description.campaign.revision);
        if known == Some(*revision) || broken.get(id) == Some(revision) {
            continue;
        }
        match describe_or_skip(&txn, *id, questionnaires).await? {
            Some(description) => {
                broken.remove(id);
                described.insert(*id, description);
            }
            // Tried again when the campaign changes.
            None => {
                broken.insert(*id, *revision);
            }
        }
    }
    let mut read = HashMap::new();
    for id in revisions.keys() {
        // A campaign that cannot be described is not read at all until it changes.
        if !followed.contains_key(id) && !described.contains_key(id) {
            continue;
        }
        let position = followed.get(id).map(|f| &f.position);
        let position = position.cloned().unwrap_or_default();
        let rows = follow::read_new(&txn, *id, &position).await?;
        read.insert(*id, (position, rows));
    }
    txn.commit().await.map_err(StorageError::from)?;

    let mut changed = Vec::new();
    followed.retain(|id, _| revisions.contains_key(id));
    for (id, (mut position, rows)) in read {
        let mut moved = false;
        let entry = match (followed.remove(&id), described.remove(&id)) {
            (Some(mut f), Some(d)) => {
                f.description = Arc::new(d);
                moved = true;
                f
            }
            (Some(f), None) => f,
            (None, Some(d)) => {
                moved = true;
                Followed {
                    description: Arc::new(d),
                    statistics: Statistics::default(),
                    position: Position::default(),
                }
            }
            (None, None) => continue,
        };
        let mut entry = entry;
        let mut values = Vec::new();
        for row in rows.iter().filter(|r| r.counted) {
            values.clear();
            values.extend(row.answers.bytes().map(|d| d.wrapping_sub(b'0')));
            let Some(channel) = row.channel else {
                tracing::error!(
                    response = row.id,
                    "a stored response has an unknown channel; not counted"
                );
                continue;
            };
            let added: Result<(), StatisticsError> = entry.statistics.add(
                &entry.description.shape,
                row.unit_id,
                row.service_point_id,
                channel,
                &values,
            );
            match added {
                Ok(()) => moved = true,
                // A row that does not fit its questionnaire is damage, not a reason to
                // stop following: it is left out and said once.
                Err(error) => {
                    tracing::error!(response = row.id, %error, "a stored response cannot be counted")
                }
            }
        }
        position.advance(&rows, &snapshot);
        entry.position = position;
        if moved {
            changed.push(id);
        }
        followed.insert(id, entry);
    }
    Ok(changed)
}
