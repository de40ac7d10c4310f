//! Reading a league: the units of a type, their appraised points and the scores of the
//! selected figures, twice (the campaign's confidence for the survey points, the
//! league's `γ` for the rank intervals). Shared by the API, the page and the export.

use sipas_domain::statistics::{Confidence, ScoringOptions};

use crate::reports::league::{Entrant, LeagueInputs, LeagueView};
use crate::scores::{ScoreBook, ScoreQuery};
use crate::snapshots::{self, Selection, SnapshotError};
use crate::storage::{
    CampaignRecord, Storage, StorageError, UnitFilter, appraisals, par_schemes, units,
};

#[derive(Debug, thiserror::Error)]
pub enum LeagueError {
    /// The campaign's PAR scheme does not score that unit type.
    #[error("unit type {unit_type:?} has no league in PAR scheme {scheme}; valid: {}", valid.join(", "))]
    UnknownType {
        unit_type: String,
        scheme: String,
        valid: Vec<String>,
    },
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The unit types a campaign's PAR scheme scores: those a league exists for.
pub async fn unit_types(
    storage: &Storage,
    campaign: &CampaignRecord,
) -> Result<Vec<String>, StorageError> {
    let scheme = par_schemes::by_code(storage.db(), &campaign.par_scheme).await?;
    Ok(scheme.points.keys().cloned().collect())
}

/// The league of `unit_type` from the selected figures.
pub async fn view(
    storage: &Storage,
    book: &ScoreBook,
    campaign: &CampaignRecord,
    unit_type: &str,
    selection: Selection,
    survey_only: bool,
) -> Result<LeagueView, LeagueError> {
    let (scheme, listed, appraised) = {
        let txn = storage.read_snapshot().await?;
        let scheme = par_schemes::by_code(&txn, &campaign.par_scheme).await?;
        let listed = units::list(
            &txn,
            &UnitFilter {
                on: Some(campaign.units_on),
                unit_type: Some(unit_type.to_owned()),
                under: None,
            },
        )
        .await?;
        let appraised = appraisals::current(&txn, campaign.id).await?;
        (scheme, listed, appraised)
    };
    let Some(points) = scheme.points.get(unit_type).copied() else {
        return Err(LeagueError::UnknownType {
            unit_type: unit_type.to_owned(),
            scheme: scheme.code.clone(),
            valid: scheme.points.keys().cloned().collect(),
        });
    };
    let entrants: Vec<Entrant> = listed
        .into_iter()
        .map(|u| Entrant {
            appraised: appraised.get(&u.id).map(|a| a.points),
            id: u.id,
            code: u.code,
            name: u.name,
        })
        .collect();
    let official = ScoreQuery::official(campaign)
        .map_err(crate::scores::ScoreError::from)
        .map_err(SnapshotError::from)?;
    let selected = snapshots::scores(storage, book, campaign.id, selection, official).await?;
    let inputs = LeagueInputs {
        unit_type,
        par_scheme: &scheme.code,
        points,
        survey_only,
        entrants: &entrants,
        official: &selected.scores,
        snapshot: selected.snapshot,
    };
    let at_gamma = match inputs.unit_confidence() {
        Some(gamma) => {
            let query = ScoreQuery {
                options: ScoringOptions {
                    confidence: Confidence::new(gamma)
                        .map_err(crate::scores::ScoreError::from)
                        .map_err(SnapshotError::from)?,
                    method: official.options.method,
                },
                channels: official.channels,
            };
            // The same snapshot as the official figures, whatever was published since.
            let same = selected.snapshot.map_or(selection, Selection::Version);
            Some(snapshots::scores(storage, book, campaign.id, same, query).await?)
        }
        None => None,
    };
    Ok(inputs.build(at_gamma.as_ref().map(|s| s.scores.as_ref())))
}
