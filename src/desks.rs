//! Desks (service points) of a unit and of a campaign: adding, renaming and closing
//! them (what the API and the dashboard both do), the signed survey URL a citizen
//! reaches from a desk, as its QR code and poster name it, and the desks' QR codes of
//! many units as one ZIP.

use chrono::NaiveDate;
use sipas_domain::campaign::FieldError;
use sipas_domain::token::{SigningKeys, SurveyToken};
use sipas_domain::unit::{NewServicePoint, next_desk_code};

use crate::scores::ScoreBook;
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

/// The survey URL of a desk in a campaign: what its QR code and poster carry.
pub fn desk_url(
    keys: &SigningKeys,
    public_url: &str,
    campaign: &CampaignRecord,
    service_point: &ServicePointRecord,
) -> String {
    let token = keys.sign(&SurveyToken::Desk {
        campaign_id: i64::from(campaign.id),
        service_point_id: i64::from(service_point.id),
    });
    crate::http::survey_url(public_url, &token)
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
    Ok(Desk {
        url: desk_url(keys, public_url, &campaign, &service_point),
        campaign,
        unit,
        service_point,
    })
}

/// Why a change to a desk was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Fields that do not pass the domain's checks, each with its message.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Adds a desk to a unit: with the code given, or (`None`) the first free `Q1`, `Q2`, …
/// In one transaction with its audit entry; the score book follows it.
pub async fn add(
    (storage, scores): (&Storage, &ScoreBook),
    actor: &str,
    unit: &UnitRow,
    code: Option<&str>,
    name: &str,
) -> Result<ServicePointRecord, DeskError> {
    // The name (and a given code) are checked before any transaction.
    let checked = NewServicePoint::parse(code.unwrap_or("Q1"), name).map_err(DeskError::Invalid)?;
    let txn = storage.write_reference().await?;
    let new = match code {
        Some(_) => checked,
        None => {
            let taken = units::service_points(&txn, unit.id).await?;
            NewServicePoint {
                code: next_desk_code(taken.iter().map(|d| d.code.as_str())),
                name: checked.name,
            }
        }
    };
    let point = units::create_service_point(&txn, actor, unit, &new).await?;
    txn.commit().await.map_err(StorageError::from)?;
    scores.catch_up().await;
    Ok(point)
}

/// Renames a unit's desk, with its audit entry.
pub async fn rename(
    (storage, scores): (&Storage, &ScoreBook),
    actor: &str,
    unit: &UnitRow,
    code: &str,
    name: &str,
) -> Result<ServicePointRecord, DeskError> {
    let checked = NewServicePoint::parse(code, name).map_err(DeskError::Invalid)?;
    let txn = storage.write_reference().await?;
    let point = units::service_point_by_code(&txn, unit, code).await?;
    let renamed = units::rename_service_point(&txn, actor, unit, &point, &checked.name).await?;
    txn.commit().await.map_err(StorageError::from)?;
    scores.catch_up().await;
    Ok(renamed)
}

/// Closes a unit's desk from a day (its first day closed), with its audit entry.
pub async fn close(
    (storage, scores): (&Storage, &ScoreBook),
    actor: &str,
    unit: &UnitRow,
    code: &str,
    on: NaiveDate,
) -> Result<ServicePointRecord, DeskError> {
    let txn = storage.write_reference().await?;
    let point = units::service_point_by_code(&txn, unit, code).await?;
    let closed = units::close_service_point(&txn, actor, unit, &point, on).await?;
    txn.commit().await.map_err(StorageError::from)?;
    scores.catch_up().await;
    Ok(closed)
}

/// One desk to print: its unit, itself, and its survey URL in the campaign.
#[derive(Debug, Clone)]
pub struct PrintedDesk {
    pub unit_code: String,
    pub unit_name: String,
    pub service_point: ServicePointRecord,
    pub url: String,
}

/// The desks open on `today` of the listed units (`(id, code, name)`, in their order;
/// each unit's own one-stop desk first, then by code), with their URLs in the campaign.
pub async fn printed(
    storage: &Storage,
    (keys, public_url): (&SigningKeys, &str),
    campaign: &CampaignRecord,
    listed: &[(i32, String, String)],
    today: NaiveDate,
) -> Result<Vec<PrintedDesk>, StorageError> {
    let mut by_unit: std::collections::HashMap<i32, Vec<ServicePointRecord>> =
        std::collections::HashMap::new();
    for point in units::all_service_points(storage.db()).await? {
        if point.is_open_on(today) {
            by_unit.entry(point.unit_id).or_default().push(point);
        }
    }
    let mut desks = Vec::new();
    for (id, code, name) in listed {
        let Some(mut points) = by_unit.remove(id) else {
            continue;
        };
        points.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.code.cmp(&b.code)));
        for point in points {
            desks.push(PrintedDesk {
                unit_code: code.clone(),
                unit_name: name.clone(),
                url: desk_url(keys, public_url, campaign, &point),
                service_point: point,
            });
        }
    }
    Ok(desks)
}

/// A name as a file name: ASCII lower case, Vietnamese diacritics folded (đ is d),
/// every run of other characters one `-`, at most 60 characters.
pub fn slug(name: &str) -> String {
    let folded = crate::reports::unit_page::fold_text(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(60).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The path of a desk's QR code in the ZIP, without the extension:
/// `<unit code>-<unit name slug>/<desk code>-<desk name slug>`.
pub fn zip_path(desk: &PrintedDesk) -> String {
    let part = |code: &str, name: &str| {
        let slug = slug(name);
        if slug.is_empty() {
            code.to_owned()
        } else {
            format!("{code}-{slug}")
        }
    };
    format!(
        "{}/{}",
        part(&desk.unit_code, &desk.unit_name),
        part(&desk.service_point.code, &desk.service_point.name)
    )
}

/// Each desk's QR code as SVG and PNG (10 pixels per module) in one ZIP, under
/// [`zip_path`].
pub fn qr_zip(desks: &[PrintedDesk]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // PNGs are compressed already.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for desk in desks {
        let path = zip_path(desk);
        let svg = sipas_templates::qr_svg(&desk.url).map_err(|e| e.0)?;
        let png = sipas_templates::qr_png(&desk.url, 10).map_err(|e| e.0)?;
        writer
            .start_file(format!("{path}.svg"), deflated)
            .map_err(|e| e.to_string())?;
        writer
            .write_all(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        writer
            .start_file(format!("{path}.png"), stored)
            .map_err(|e| e.to_string())?;
        writer.write_all(&png).map_err(|e| e.to_string())?;
    }
    Ok(writer.finish().map_err(|e| e.to_string())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_vietnamese() {
        assert_eq!(slug("Phường Thành Sen"), "phuong-thanh-sen");
        assert_eq!(slug("Bộ phận Một cửa"), "bo-phan-mot-cua");
        assert_eq!(slug("  Đức Thọ / Quầy số 2 "), "duc-tho-quay-so-2");
        assert_eq!(slug("Sở Nội vụ (Hà Tĩnh)"), "so-noi-vu-ha-tinh");
        assert_eq!(slug("漢字"), "");
        assert!(slug(&"a ".repeat(100)).len() <= 60);
        assert!(!slug(&"ab ".repeat(40)).ends_with('-'));
    }

    #[test]
    fn zip_paths_name_unit_and_desk() {
        let desk = PrintedDesk {
            unit_code: "18073".into(),
            unit_name: "Phường Thành Sen".into(),
            service_point: ServicePointRecord {
                id: 1,
                unit_id: 1,
                code: "MC".into(),
                name: "Bộ phận Một cửa".into(),
                is_default: true,
                valid_until: None,
            },
            url: "https://ks.example.vn/s/x".into(),
        };
        assert_eq!(zip_path(&desk), "18073-phuong-thanh-sen/MC-bo-phan-mot-cua");
        let bytes = qr_zip(std::slice::from_ref(&desk)).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"18073-phuong-thanh-sen/MC-bo-phan-mot-cua.png".to_owned()));
        let mut svg = String::new();
        std::io::Read::read_to_string(
            &mut archive
                .by_name("18073-phuong-thanh-sen/MC-bo-phan-mot-cua.svg")
                .unwrap(),
            &mut svg,
        )
        .unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    }
}
