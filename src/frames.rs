//! Changing a campaign's frame from a file, for the API (`PUT …/frame`: the file is the
//! whole frame) and the dashboard (a preview first, then the same change applied; the
//! file replaces the lines of the units it names and, only when asked, removes the
//! others). One path parses, plans, stores, audits and settles the score book.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::ConnectionTrait;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sipas_domain::import::{LineError, Problems, read_frame};
use sipas_domain::quota::{FrameEntry, unit_populations};

use crate::scores::{ScoreBook, ScoreQuery};
use crate::storage::{CampaignRecord, Storage, StorageError, audit, campaigns, frames, imports};

/// What a file does to the units it does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMode {
    /// The file is the whole frame: units not in it leave it.
    Replace,
    /// Units not in the file keep their current lines.
    Merge,
}

impl FrameMode {
    fn action(self) -> &'static str {
        match self {
            Self::Replace => "frame.replace",
            Self::Merge => "frame.update",
        }
    }
}

/// One unit a change touches: its N and quota before and after (`None`: not in the
/// frame, no quota).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitChange {
    pub unit_id: i32,
    pub code: String,
    pub name: String,
    pub population_before: Option<u64>,
    pub population_after: Option<u64>,
    pub quota_before: Option<u64>,
    pub quota_after: Option<u64>,
    /// A manager set this unit's quota: the change keeps it.
    pub overridden: bool,
}

/// What a file would do to the frame, computed against the stored frame.
#[derive(Debug, Clone)]
pub struct FramePlan {
    /// The frame after the change, line by line.
    pub entries: Vec<FrameEntry>,
    pub added: Vec<UnitChange>,
    pub changed: Vec<UnitChange>,
    pub removed: Vec<UnitChange>,
    /// Units in the frame before whose lines stay as they are.
    pub unchanged: usize,
    /// Units of the current frame that the file does not name (removed only with
    /// [`FrameMode::Replace`]).
    pub missing: usize,
    /// Lines of the file.
    pub file_lines: usize,
    /// The stored frame and quotas the plan was computed from.
    pub digest: String,
}

/// Why a frame file was not applied.
#[derive(Debug)]
pub enum FrameError {
    /// Bad lines: every one, with its line and column; nothing changed.
    Refused(Problems),
    /// The frame changed since the preview: nothing changed.
    Stale,
    Storage(StorageError),
}

impl From<StorageError> for FrameError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

/// A digest of a stored frame and its quotas: a preview applies only to this state.
fn digest(entries: &[FrameEntry], quotas: &HashMap<i32, (u64, bool)>) -> String {
    let mut lines: Vec<(i32, Option<i32>, u64)> = entries
        .iter()
        .map(|e| (e.unit_id, e.service_point_id, e.population))
        .collect();
    lines.sort();
    let quotas: BTreeMap<_, _> = quotas.iter().collect();
    let text = format!("{lines:?}|{quotas:?}");
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses a frame file against the campaign's code book: every bad line, or the lines.
pub async fn parse(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    text: &str,
) -> Result<(Vec<FrameEntry>, imports::CodeBook), FrameError> {
    // Every bad line at once: the codes of the lines that parsed are checked too.
    let (lines, mut problems) = read_frame(text);
    let codes = imports::code_book(db, campaign).await?;
    match codes.frame(&lines) {
        Ok(entries) if problems.is_empty() => Ok((entries, codes)),
        Ok(_) => Err(FrameError::Refused(problems)),
        Err(more) => {
            problems.append(more);
            Err(FrameError::Refused(problems))
        }
    }
}

/// What `file` (parsed lines) would do to the stored frame, quotas recomputed with the
/// same rule as the frame replacement (overridden quotas stay).
pub async fn plan(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    codes: &imports::CodeBook,
    file: Vec<FrameEntry>,
    mode: FrameMode,
) -> Result<FramePlan, FrameError> {
    let current = frames::entries(db, campaign.id).await?;
    let quotas = frames::quota_rows(db, campaign.id).await?;
    let digest = digest(&current, &quotas);
    let file_lines = file.len();
    let in_file: BTreeSet<i32> = file.iter().map(|e| e.unit_id).collect();
    let mut entries = file;
    let kept: Vec<FrameEntry> = current
        .iter()
        .filter(|e| !in_file.contains(&e.unit_id))
        .cloned()
        .collect();
    let missing = kept
        .iter()
        .map(|e| e.unit_id)
        .collect::<BTreeSet<_>>()
        .len();
    if mode == FrameMode::Merge {
        entries.extend(kept);
    }
    let invalid = |e: sipas_domain::quota::FrameError| StorageError::Invalid(e.to_string());
    let before = unit_populations(&current).map_err(invalid)?;
    let after = unit_populations(&entries).map_err(invalid)?;
    let computed: HashMap<i32, u64> = campaign
        .design
        .quotas(&after, &codes.floors())
        .into_iter()
        .collect();
    let lines_of = |list: &[FrameEntry], unit: i32| {
        let mut l: Vec<(Option<i32>, u64)> = list
            .iter()
            .filter(|e| e.unit_id == unit)
            .map(|e| (e.service_point_id, e.population))
            .collect();
        l.sort();
        l
    };
    let names: HashMap<i32, (&str, &str)> = codes
        .units
        .iter()
        .map(|u| (u.id, (u.code.as_str(), u.name.as_str())))
        .collect();
    let mut plan = FramePlan {
        entries: Vec::new(),
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
        unchanged: 0,
        missing,
        file_lines,
        digest,
    };
    let all: BTreeSet<i32> = before.keys().chain(after.keys()).copied().collect();
    for unit_id in all {
        let (code, name) = names.get(&unit_id).copied().unwrap_or(("?", "?"));
        let quota = quotas.get(&unit_id).copied();
        let overridden = quota.is_some_and(|(_, o)| o);
        let quota_after = if overridden {
            quota.map(|(q, _)| q)
        } else {
            computed.get(&unit_id).copied()
        };
        let change = UnitChange {
            unit_id,
            code: code.to_owned(),
            name: name.to_owned(),
            population_before: before.get(&unit_id).copied(),
            population_after: after.get(&unit_id).copied(),
            quota_before: quota.map(|(q, _)| q),
            quota_after,
            overridden,
        };
        match (change.population_before, change.population_after) {
            (None, Some(_)) => plan.added.push(change),
            (Some(_), None) => plan.removed.push(change),
            _ if lines_of(&current, unit_id) != lines_of(&entries, unit_id)
                || change.quota_before != change.quota_after =>
            {
                plan.changed.push(change)
            }
            _ => plan.unchanged += 1,
        }
    }
    plan.entries = entries;
    Ok(plan)
}

/// Applies a frame file in one transaction: parsed, planned against the frame as it is
/// now (refused as [`FrameError::Stale`] when `expected` names another state, the
/// digest a preview showed), stored, audited, and the score book settled.
///
/// A replacement by a file with no line would delete the whole frame and every quota:
/// it is refused unless it is a previewed change (`expected` given), whose preview said
/// that the frame would be empty; a truncated export sent straight is never applied.
pub async fn apply(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    campaign_code: &str,
    text: &str,
    mode: FrameMode,
    expected: Option<&str>,
) -> Result<FramePlan, FrameError> {
    let campaign = campaigns::by_code(storage.db(), campaign_code).await?;
    let (file, codes) = parse(storage.db(), &campaign, text).await?;
    if file.is_empty() && mode == FrameMode::Replace && expected.is_none() {
        let mut none = Problems::default();
        none.push(LineError::new(
            1,
            None,
            "the file has no data line: nothing was changed (a frame is never emptied by an upload)",
        ));
        return Err(FrameError::Refused(none));
    }
    let txn = storage.write().await?;
    // Read again inside the write transaction: the status may have changed meanwhile.
    let campaign = campaigns::by_code(&txn, campaign_code).await?;
    let plan = plan(&txn, &campaign, &codes, file, mode).await?;
    if expected.is_some_and(|d| d != plan.digest) {
        return Err(FrameError::Stale);
    }
    let stored = frames::store(&txn, &campaign, &plan.entries, &codes.floors()).await?;
    let summary = |list: &[UnitChange]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|c| {
                serde_json::json!({
                    "unit": c.code,
                    "population": {"before": c.population_before, "after": c.population_after},
                    "quota": {"before": c.quota_before, "after": c.quota_after},
                    "quota_overridden": c.overridden,
                })
            })
            .collect()
    };
    let side = |pick: fn(&UnitChange) -> (Option<u64>, Option<u64>)| {
        plan.added
            .iter()
            .chain(&plan.changed)
            .chain(&plan.removed)
            .map(|c| {
                let (population, quota) = pick(c);
                (
                    c.code.clone(),
                    serde_json::json!({"population": population, "quota": quota}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
    };
    audit::record(
        &txn,
        actor,
        mode.action(),
        &campaign.code,
        serde_json::json!({
            "lines": stored.lines,
            "units": stored.units,
            "added": plan.added.len(),
            "changed": plan.changed.len(),
            "removed": plan.removed.len(),
            "before": side(|c| (c.population_before, c.quota_before)),
            "after": side(|c| (c.population_after, c.quota_after)),
            "detail": {
                "added": summary(&plan.added),
                "changed": summary(&plan.changed),
                "removed": summary(&plan.removed),
            },
        }),
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    settle(scores, campaign.id).await;
    Ok(plan)
}

/// Waits until this node's scores include what was just committed, so a client reads
/// its own change back from this node; other nodes follow within a second.
pub async fn settle(scores: &ScoreBook, campaign_id: i32) {
    scores.catch_up().await;
    if let Some(current) = scores.state(campaign_id)
        && let Ok(query) = ScoreQuery::official(&current.description.campaign)
        && let Err(error) = scores.fresh_scores(campaign_id, query).await
    {
        tracing::warn!(%error, "scores after an import");
    }
}
