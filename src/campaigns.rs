//! Running a round: creating a campaign, moving it along its lifecycle, overriding a
//! unit's quota. One function per change, called by the API and the dashboard alike:
//! it checks the request against the domain, writes it with its audit entry in one
//! transaction, then waits until this node's score book shows it. Who may make the
//! change is the caller's to check (a bearer token's scopes, a staff member's role).

use sipas_domain::campaign::{CampaignRequest, CampaignStatus, FieldError};
use sipas_domain::quota::QuotaOverride;

use crate::scores::{ScoreBook, ScoreQuery};
use crate::storage::quotas::{self, UnitQuota};
use crate::storage::{CampaignRecord, Storage, StorageError, UnitRow, campaigns, units};

/// Why a campaign was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Fields the domain refuses, every one of them.
    #[error("invalid fields")]
    Fields(Vec<FieldError>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl CreateError {
    /// The form field a stored refusal is about: a code already taken, a template or
    /// PAR scheme the database does not know.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Fields(_) => None,
            Self::Storage(StorageError::Conflict(_)) => Some("code"),
            Self::Storage(StorageError::Invalid(message)) if message.contains("template") => {
                Some("template")
            }
            Self::Storage(StorageError::Invalid(message)) if message.contains("PAR scheme") => {
                Some("par_scheme")
            }
            Self::Storage(_) => None,
        }
    }
}

/// Waits until this node's scores include what was just committed, so the one who
/// made a change reads it back from this node; other nodes follow within a second.
pub async fn settle(scores: &ScoreBook, campaign_id: i32) {
    scores.catch_up().await;
    if let Some(current) = scores.state(campaign_id)
        && let Ok(query) = ScoreQuery::official(&current.description.campaign)
        && let Err(error) = scores.fresh_scores(campaign_id, query).await
    {
        tracing::warn!(%error, "scores after a change of a campaign");
    }
}

/// Creates a campaign from a request (`POST /api/v1/campaigns`, the dashboard's form),
/// with its audit entry.
pub async fn create(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    request: CampaignRequest,
) -> Result<CampaignRecord, CreateError> {
    let new = request.parse().map_err(CreateError::Fields)?;
    let txn = storage.write().await?;
    let campaign = campaigns::create(&txn, actor, &new, false).await?;
    txn.commit().await.map_err(StorageError::from)?;
    scores.catch_up().await;
    Ok(campaign)
}

/// Moves a campaign along its lifecycle (open, close), with its audit entry; a move
/// the lifecycle refuses is a `Conflict` that says why.
pub async fn transition(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    code: &str,
    to: CampaignStatus,
) -> Result<CampaignRecord, StorageError> {
    // Under the reference lock: a PAR scheme is replaced only while no campaign using
    // it has left its draft.
    let txn = storage.write_reference().await?;
    let campaign = campaigns::by_code(&txn, code).await?;
    let campaign = campaigns::transition(&txn, actor, &campaign, to).await?;
    txn.commit().await?;
    // This node's citizen pages follow the new status at once; the others within a read.
    scores.catch_up().await;
    Ok(campaign)
}

/// A unit of a campaign, read in the campaign's structure, inside `db`.
async fn campaign_unit(
    db: &impl sea_orm::ConnectionTrait,
    campaign: &str,
    unit: &str,
) -> Result<(CampaignRecord, UnitRow), StorageError> {
    let campaign = campaigns::by_code(db, campaign).await?;
    let unit = units::by_code(db, unit, Some(campaign.units_on)).await?;
    Ok((campaign, unit))
}

/// A unit's quota in a campaign: stored, computed from the frame, overridden or not.
pub async fn unit_quota(
    storage: &Storage,
    campaign: &str,
    unit: &str,
) -> Result<(CampaignRecord, UnitRow, UnitQuota), StorageError> {
    let db = storage.db();
    let (campaign, unit) = campaign_unit(db, campaign, unit).await?;
    let quota = quotas::of_unit(db, &campaign, &unit).await?;
    Ok((campaign, unit, quota))
}

/// Sets a unit's quota by hand with a reason; it stays through frame replacements
/// until [`undo_quota_override`].
pub async fn override_quota(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    (campaign, unit): (&str, &str),
    new: &QuotaOverride,
) -> Result<UnitQuota, StorageError> {
    let txn = storage.write().await?;
    let (campaign, unit) = campaign_unit(&txn, campaign, unit).await?;
    let quota = quotas::set_override(&txn, actor, &campaign, &unit, new).await?;
    txn.commit().await?;
    settle(scores, campaign.id).await;
    Ok(quota)
}

/// Puts back the quota a unit's frame gives.
pub async fn undo_quota_override(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    (campaign, unit): (&str, &str),
) -> Result<UnitQuota, StorageError> {
    let txn = storage.write().await?;
    let (campaign, unit) = campaign_unit(&txn, campaign, unit).await?;
    let quota = quotas::undo_override(&txn, actor, &campaign, &unit).await?;
    txn.commit().await?;
    settle(scores, campaign.id).await;
    Ok(quota)
}
