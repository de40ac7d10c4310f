//! Published snapshots: a campaign's official figures frozen as version k (issue 12).
//!
//! [`publish`] freezes a closed campaign's official scores as a canonical JSON document
//! (`reports::snapshot`) with its SHA-256, in the transaction that marks the campaign
//! published and enqueues the webhook event. [`scores`] serves the figures a reader
//! selects: the latest snapshot by default, the live ones, or snapshot k, re-scored
//! from the stored moments and `D_ref` at the reader's confidence and method.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use sipas_domain::campaign::{CampaignStatus, Channels};
use sipas_domain::statistics::Scorer;

use crate::reports::Document;
use crate::reports::snapshot::{self, Frame, Publication, SnapshotSummary, StoredDocument};
use crate::scores::book::{UnitFrame, digest};
use crate::scores::{
    CampaignScores, Description, QueryKey, ScoreBook, ScoreError, ScoreQuery, UnitInfo, UnitScores,
};
use crate::storage::snapshots::{self as stored, SnapshotInfo};
use crate::storage::{Storage, StorageError, audit, campaigns};
use crate::webhooks::{self, Event};

/// Which figures a reader asks for (`?snapshot=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The latest published snapshot; the live figures while nothing is published.
    Latest,
    /// The provisional figures, as responses arrive.
    Live,
    /// Snapshot version k.
    Version(u32),
}

impl Selection {
    /// Parses `?snapshot=`: absent or empty is [`Selection::Latest`], `live`, or a
    /// version number ≥ 1; anything else is refused with a message.
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None | Some("latest") => Ok(Self::Latest),
            Some("live") => Ok(Self::Live),
            Some(k) => match k.parse::<u32>() {
                Ok(v) if v >= 1 => Ok(Self::Version(v)),
                _ => Err(format!(
                    "snapshot must be `live`, `latest` or a version number from 1, not {k:?}"
                )),
            },
        }
    }
}

/// Scores as selected, and the snapshot version they come from (`None`: live).
pub struct Selected {
    pub scores: Arc<CampaignScores>,
    pub snapshot: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The campaign has no snapshot of that version.
    #[error("campaign {campaign} has no snapshot {version}")]
    Unknown { campaign: String, version: u32 },
    /// A snapshot holds the official channels only; another choice cannot be served.
    #[error("snapshot {version} holds the official channels ({official}) only")]
    Channels { version: u32, official: String },
    /// A stored document this node cannot read back.
    #[error("snapshot {version} of campaign {campaign} cannot be read: {message}")]
    Unreadable {
        campaign: i32,
        version: u32,
        message: String,
    },
    #[error(transparent)]
    Scores(#[from] ScoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A stored snapshot as read on this node: its bytes (served verbatim) and what
/// re-scoring it needs.
pub struct Parsed {
    pub info: SnapshotInfo,
    pub document: Arc<Document>,
    pub stored: StoredDocument,
    pub channels: Channels,
}

/// This node's snapshots already read: parsed once per version and re-scored once per
/// query. They never change, so nothing is ever invalidated; only the latest version
/// of a campaign is looked up again when its revision moves (a publication bumps it).
#[derive(Clone)]
pub struct SnapshotCache {
    parsed: moka::sync::Cache<(i32, u32), Arc<Parsed>>,
    scores: moka::sync::Cache<(i32, u32, QueryKey), Arc<CampaignScores>>,
    latest: moka::sync::Cache<(i32, i64), Option<u32>>,
}

impl Default for SnapshotCache {
    fn default() -> Self {
        Self {
            parsed: moka::sync::Cache::new(64),
            scores: moka::sync::Cache::new(256),
            latest: moka::sync::Cache::new(1024),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn campaign_code(book: &ScoreBook, campaign_id: i32) -> String {
    book.state(campaign_id)
        .map(|s| s.description.campaign.code.clone())
        .unwrap_or_else(|| campaign_id.to_string())
}

/// Where a snapshot's document is served.
pub fn url(public_url: &str, campaign: &str, version: u32) -> String {
    format!("{public_url}/api/v1/campaigns/{campaign}/snapshots/{version}")
}

/// The latest snapshot version of a campaign, `None` before its first publication.
pub async fn latest(book: &ScoreBook, campaign_id: i32) -> Result<Option<u32>, SnapshotError> {
    let revision = book
        .state(campaign_id)
        .map_or(-1, |s| s.description.campaign.revision);
    let key = (campaign_id, revision);
    if let Some(latest) = book.snapshots().latest.get(&key) {
        return Ok(latest);
    }
    let latest = stored::latest_version(book.storage().db(), campaign_id).await?;
    // The revision a publication commits with is the one the state shows after it: a
    // state older than the row is never cached as "nothing published".
    if revision >= 0 {
        book.snapshots().latest.insert(key, latest);
    }
    Ok(latest)
}

/// A campaign's snapshots, oldest first, with where each is served.
pub async fn list(
    storage: &Storage,
    public_url: &str,
    campaign: &str,
    campaign_id: i32,
) -> Result<Vec<SnapshotSummary>, StorageError> {
    Ok(stored::list(storage.db(), campaign_id)
        .await?
        .into_iter()
        .map(|s| SnapshotSummary {
            url: url(public_url, campaign, s.version),
            version: s.version,
            published_at: s.published_at,
            published_by: s.published_by,
            sha256: s.sha256,
        })
        .collect())
}

/// Snapshot k of a campaign as stored, parsed once on this node.
pub async fn parsed(
    book: &ScoreBook,
    campaign_id: i32,
    version: u32,
) -> Result<Arc<Parsed>, SnapshotError> {
    if let Some(parsed) = book.snapshots().parsed.get(&(campaign_id, version)) {
        return Ok(parsed);
    }
    let Some(row) = stored::get(book.storage().db(), campaign_id, version).await? else {
        return Err(SnapshotError::Unknown {
            campaign: campaign_code(book, campaign_id),
            version,
        });
    };
    let unreadable = |message: String| SnapshotError::Unreadable {
        campaign: campaign_id,
        version,
        message,
    };
    let parsed = tokio::task::spawn_blocking(move || {
        let stored: StoredDocument =
            serde_json::from_str(&row.document).map_err(|e| e.to_string())?;
        if stored.format != snapshot::FORMAT {
            return Err(format!("unknown format {}", stored.format));
        }
        let channels = Channels::parse_list(&stored.campaign.channels.join(","))?;
        Ok(Parsed {
            info: row.info,
            document: Arc::new(Document::from_bytes(row.document.into_bytes())),
            stored,
            channels,
        })
    })
    .await
    .map_err(|e| unreadable(e.to_string()))?
    .map_err(unreadable)?;
    let parsed = Arc::new(parsed);
    book.snapshots()
        .parsed
        .insert((campaign_id, version), parsed.clone());
    Ok(parsed)
}

/// Re-scores a snapshot at a query: the stored moments and `D_ref`, the reader's
/// confidence and method. At the campaign's confidence and default method this gives
/// the frozen figures exactly.
fn rescore(
    description: &Description,
    parsed: &Parsed,
    query: ScoreQuery,
) -> Result<CampaignScores, String> {
    let stored = &parsed.stored;
    let shape = &description.shape;
    let mut scorer = Scorer::new(query.options);
    let mut units = Vec::with_capacity(stored.units.len());
    for u in &stored.units {
        let m = &u.moments;
        if m.criteria.len() != shape.criteria() || m.elements.len() != shape.elements() {
            return Err(format!(
                "unit {} was scored on another questionnaire",
                u.unit_code
            ));
        }
        let result = scorer.score(shape, m, &stored.d_ref, u.quota);
        units.push(UnitScores {
            unit: UnitInfo {
                // Units are never deleted; a code the tree lost matches no filter.
                id: description
                    .tree
                    .resolve(&u.unit_code, description.campaign.units_on)
                    .unwrap_or(-1),
                code: u.unit_code.clone(),
                name: u.unit_name.clone(),
                unit_type: u.unit_type.clone(),
                parent_code: u.parent_code.clone(),
                survey_max_points: u.survey_max_points,
            },
            quota: u.quota,
            quota_override: u.quota_override_reason.clone(),
            result,
            moments: m.clone(),
        });
    }
    Ok(CampaignScores {
        campaign: description.campaign.clone(),
        questionnaire: description.questionnaire.clone(),
        tree: description.tree.clone(),
        digest: digest(query.key(), &units),
        query,
        units,
        version: 0,
        design_effect_reference: stored.d_ref.clone(),
        snapshot: Some(stored.version),
    })
}

/// The scores of a campaign for a query from the selected source.
pub async fn scores(
    _storage: &Storage,
    book: &ScoreBook,
    campaign_id: i32,
    selection: Selection,
    query: ScoreQuery,
) -> Result<Selected, SnapshotError> {
    let live = || async {
        Ok(Selected {
            scores: book.scores(campaign_id, query).await?,
            snapshot: None,
        })
    };
    let version = match selection {
        Selection::Live => return live().await,
        Selection::Latest => match latest(book, campaign_id).await? {
            Some(version) => version,
            None => return live().await,
        },
        Selection::Version(k) => k,
    };
    let parsed = parsed(book, campaign_id, version).await?;
    let state = book
        .state(campaign_id)
        .ok_or_else(|| StorageError::NotFound(format!("campaign {campaign_id}")))?;
    // The campaign's official channels now are a default reader's choice: a snapshot
    // published before a correction changed them is read with its own.
    let mut query = query;
    let official_now = Channels::official(state.description.campaign.rules.count_unverified);
    if query.channels == official_now {
        query.channels = parsed.channels;
    }
    if query.channels != parsed.channels {
        return Err(SnapshotError::Channels {
            version,
            official: parsed.channels.names().join(", "),
        });
    }
    let key = (campaign_id, version, query.key());
    if let Some(scores) = book.snapshots().scores.get(&key) {
        return Ok(Selected {
            scores,
            snapshot: Some(version),
        });
    }
    let description = state.description.clone();
    let from = parsed.clone();
    let scores = tokio::task::spawn_blocking(move || rescore(&description, &from, query))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
        .map_err(|message| SnapshotError::Unreadable {
            campaign: campaign_id,
            version,
            message,
        })?;
    let scores = Arc::new(scores);
    book.snapshots().scores.insert(key, scores.clone());
    Ok(Selected {
        scores,
        snapshot: Some(version),
    })
}

/// Each unit's frame as the snapshot names it: `N`, and `N_h` by desk code.
async fn frames(
    db: &impl ConnectionTrait,
    description: &Description,
) -> Result<BTreeMap<String, Frame>, StorageError> {
    use entity::service_point;
    let stratified: Vec<i32> = description
        .frames
        .iter()
        .filter(|(_, f)| matches!(f, UnitFrame::ByServicePoint(_)))
        .map(|(id, _)| *id)
        .collect();
    let desks: HashMap<i32, String> = if stratified.is_empty() {
        HashMap::new()
    } else {
        service_point::Entity::find()
            .filter(service_point::Column::UnitId.is_in(stratified))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect()
    };
    Ok(description
        .units
        .iter()
        .filter_map(|u| {
            let frame = match description.frames.get(&u.id)? {
                UnitFrame::Whole(n) => Frame {
                    population: *n,
                    by_desk: None,
                },
                UnitFrame::ByServicePoint(points) => Frame {
                    population: points.values().sum(),
                    by_desk: Some(
                        points
                            .iter()
                            .map(|(id, n)| {
                                (desks.get(id).cloned().unwrap_or_else(|| id.to_string()), *n)
                            })
                            .collect(),
                    ),
                },
            };
            Some((u.code.clone(), frame))
        })
        .collect())
}

/// Publishes a closed campaign: freezes this node's official scores, with every
/// committed response in, as snapshot version k = latest + 1, marks the campaign
/// published, records `campaign.publish` and enqueues `snapshot.published`, all in one
/// transaction. A campaign that is not closed is a `Conflict` saying why.
pub async fn publish(
    storage: &Storage,
    book: &ScoreBook,
    actor: &str,
    code: &str,
    public_url: &str,
) -> Result<SnapshotSummary, SnapshotError> {
    // Under the reference lock, as every change of status: a second publication waits
    // for this one and then finds the campaign published.
    let txn = storage.write_reference().await?;
    let campaign = campaigns::by_code(&txn, code).await?;
    campaign
        .status
        .transition(CampaignStatus::Published)
        .map_err(|e| StorageError::Conflict(format!("campaign {}: {e}", campaign.code)))?;
    // Closing waited for the answers in flight; one follower read brings them all in.
    book.catch_up().await;
    let query = ScoreQuery::official(&campaign).map_err(ScoreError::from)?;
    let scores = book.fresh_scores(campaign.id, query).await?;
    let state = book
        .state(campaign.id)
        .ok_or_else(|| StorageError::NotFound(format!("campaign {code}")))?;
    let version = stored::latest_version(&txn, campaign.id)
        .await?
        .map_or(1, |v| v + 1);
    let info = SnapshotInfo {
        version,
        // Whole seconds: the document and the row say the same on every database.
        published_at: Utc::now().trunc_subsecs(0),
        published_by: actor.to_owned(),
        sha256: String::new(),
    };
    let publication = Publication {
        version,
        published_at: info.published_at,
        published_by: actor,
        frames: frames(&txn, &state.description).await?,
    };
    let document = snapshot::document(&scores, &publication);
    let bytes = snapshot::canonical(&document).map_err(|e| SnapshotError::Unreadable {
        campaign: campaign.id,
        version,
        message: e.to_string(),
    })?;
    let info = SnapshotInfo {
        sha256: hex(&Sha256::digest(&bytes)),
        ..info
    };
    let text = String::from_utf8(bytes).map_err(|e| SnapshotError::Unreadable {
        campaign: campaign.id,
        version,
        message: e.to_string(),
    })?;
    stored::insert(&txn, campaign.id, &info, &text).await?;
    campaigns::set_status(&txn, &campaign, CampaignStatus::Published).await?;
    audit::record(
        &txn,
        actor,
        "campaign.publish",
        &campaign.code,
        serde_json::json!({
            "from": campaign.status.as_str(),
            "to": CampaignStatus::Published.as_str(),
            "version": version,
            "sha256": info.sha256,
            "units": scores.units.len(),
            "statistics_digest": scores.digest,
        }),
    )
    .await?;
    let url = url(public_url, &campaign.code, version);
    webhooks::enqueue(
        &txn,
        &Event {
            kind: "snapshot.published".into(),
            campaign: campaign.code.clone(),
            version,
            sha256: info.sha256.clone(),
            url: url.clone(),
        },
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    crate::campaigns::settle(book, campaign.id).await;
    Ok(SnapshotSummary {
        version,
        published_at: info.published_at,
        published_by: info.published_by,
        sha256: info.sha256,
        url,
    })
}
