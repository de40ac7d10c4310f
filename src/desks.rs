//! Desks (service points) of a campaign, as their QR codes and posters name them: the
//! signed survey URL a citizen reaches from a desk.

use sipas_domain::token::{SigningKeys, SurveyToken};

use crate::storage::{
    CampaignRecord, ServicePointRecord, Storage, StorageError, UnitRow, campaigns, units,
};

/// A campaign's desk, resolved from codes.
pub struct Desk {
    pub campaign: CampaignRecord,
    pub unit: UnitRow,
    pub service_point: ServicePointRecord,
    /// `{public_url}/s/{token}`.
    pub url: String,
}

/// Resolves a desk from its codes; the unit code is read in the campaign's structure
/// (the units valid when it starts).
pub async fn resolve(
    storage: &Storage,
    keys: &SigningKeys,
    public_url: &str,
    (campaign, unit, service_point): (&str, &str, &str),
) -> Result<Desk, StorageError> {
    let db = storage.db();
    let campaign = campaigns::by_code(db, campaign).await?;
    let unit = units::by_code(db, unit, Some(campaign.units_on)).await?;
    let service_point = units::service_point_by_code(db, &unit, service_point).await?;
    let today = chrono::Utc::now().date_naive();
    if let Some(until) = service_point
        .valid_until
        .filter(|_| !service_point.is_open_on(today))
    {
        return Err(StorageError::NotFound(format!(
            "service point {} of unit {} (closed from {until})",
            service_point.code, unit.code
        )));
    }
    let token = keys.sign(&SurveyToken::Desk {
        campaign_id: i64::from(campaign.id),
        service_point_id: i64::from(service_point.id),
    });
    Ok(Desk {
        url: crate::http::survey_url(public_url, &token),
        campaign,
        unit,
        service_point,
    })
}
