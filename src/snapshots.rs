//! Published snapshots: a campaign's figures frozen as version k (issue 12).
//!
//! GROUNDWORK STUB: only [`Selection`] and [`scores`] exist, serving the live figures;
//! the publication helper replaces the body (latest snapshot by default, `live`, `k`).

use std::sync::Arc;

use crate::scores::{CampaignScores, ScoreBook, ScoreError, ScoreQuery};
use crate::storage::Storage;

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
    #[error(transparent)]
    Scores(#[from] ScoreError),
}

/// The scores of a campaign for a query from the selected source.
pub async fn scores(
    _storage: &Storage,
    book: &ScoreBook,
    campaign_id: i32,
    _selection: Selection,
    query: ScoreQuery,
) -> Result<Selected, SnapshotError> {
    Ok(Selected {
        scores: book.scores(campaign_id, query).await?,
        snapshot: None,
    })
}
