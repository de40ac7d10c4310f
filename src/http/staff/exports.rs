//! Downloads from the dashboard: a campaign's responses and scores as CSV or XLSX, of
//! the units the staff member may read, optionally of one unit's subtree (`?unit=`)
//! or one unit type (`?type=`). A unit out of their scope is a 404, as on the pages.

use std::collections::HashSet;

use actix_web::http::header::{
    CACHE_CONTROL, ContentDisposition, ContentEncoding, DispositionParam, DispositionType,
    X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpResponse, HttpResponseBuilder, get, web};
use serde::Deserialize;
use sipas_templates::Lang;

use super::StaffError;
use super::auth::Staff;
use crate::exports::{PAGE_ROWS, ResponseExport};
use crate::http::AppState;
use crate::reports::exports::{FiguresSource, FileFormat, Places, ResponseColumns, scores_file};
use crate::reports::scores::unit_score;
use crate::scores::CampaignState;
use crate::storage::exports::{ResponseRange, last_response_id};
use crate::storage::units;

#[derive(Deserialize)]
pub struct ExportQuery {
    /// Only this unit (a code of the campaign's structure) and the units below it.
    unit: Option<String>,
    /// Only units of this type.
    #[serde(rename = "type")]
    unit_type: Option<String>,
    /// The headers' language.
    lang: Option<String>,
    /// Scores: `latest` (default: the latest published snapshot, else provisional),
    /// `live` or a snapshot version.
    snapshot: Option<String>,
}

/// What is exported: `responses` or `scores`, as CSV or XLSX.
#[derive(Debug, Clone, Copy)]
enum File {
    Responses,
    Scores,
}

fn parse_file(name: &str) -> Option<(File, FileFormat)> {
    let (file, extension) = name.rsplit_once('.')?;
    let file = match file {
        "responses" => File::Responses,
        "scores" => File::Scores,
        _ => return None,
    };
    let format = match extension {
        "csv" => FileFormat::Csv,
        "xlsx" => FileFormat::Xlsx,
        _ => return None,
    };
    Some((file, format))
}

/// `/manage/campaigns/{campaign}/exports/responses.csv` (`.xlsx`), and the same for
/// `scores`.
#[get("/manage/campaigns/{campaign}/exports/{file}")]
pub async fn export(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign_code, file_name) = path.into_inner();
    let (file, format) = parse_file(&file_name).ok_or(StaffError::NotFound)?;
    let current = state.scores.state_by_code(&campaign_code).await?;
    let query = query.into_inner();
    let units = exported_units(&staff, &current, &query)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let name = file_name_of(&campaign_code, file, format, &query);
    match file {
        File::Responses => responses(&state, &staff, &current, units, lang, format, name).await,
        File::Scores => {
            let selection = crate::snapshots::Selection::parse(query.snapshot.as_deref())
                .map_err(StaffError::BadRequest)?;
            scores(&state, &current, selection, units, lang, format, name).await
        }
    }
}

/// The units exported: those the member reads, narrowed to `?unit=`'s subtree and to
/// `?type=`; `None`: every unit. An unknown unit or one out of scope is a 404, and so
/// is a type no unit of the campaign has.
fn exported_units(
    staff: &Staff,
    current: &CampaignState,
    query: &ExportQuery,
) -> Result<Option<HashSet<i32>>, StaffError> {
    let d = &current.description;
    let on = d.campaign.units_on;
    let mut units = staff.readable_units(&d.tree, on);
    if let Some(code) = query.unit.as_deref().filter(|c| !c.is_empty()) {
        let root = d
            .tree
            .resolve(code, on)
            .filter(|id| staff.may_read(&d.tree, *id, on))
            .ok_or(StaffError::NotFound)?;
        let below: HashSet<i32> = d.tree.subtree(root, on).into_iter().collect();
        units = Some(match units {
            Some(readable) => readable.intersection(&below).copied().collect(),
            None => below,
        });
    }
    if let Some(unit_type) = query.unit_type.as_deref().filter(|t| !t.is_empty()) {
        let of_type: HashSet<i32> = d
            .units
            .iter()
            .filter(|u| u.unit_type == unit_type)
            .map(|u| u.id)
            .collect();
        if of_type.is_empty() {
            return Err(StaffError::NotFound);
        }
        units = Some(match units {
            Some(units) => units.intersection(&of_type).copied().collect(),
            None => of_type,
        });
    }
    Ok(units)
}

/// `<campaign>-responses[-<unit>][-<type>].csv`, in characters safe in a header.
fn file_name_of(campaign: &str, file: File, format: FileFormat, query: &ExportQuery) -> String {
    let mut name = format!(
        "{campaign}-{}",
        match file {
            File::Responses => "responses",
            File::Scores => "scores",
        }
    );
    for part in [&query.unit, &query.unit_type].into_iter().flatten() {
        if !part.is_empty() {
            name.push('-');
            name.push_str(part);
        }
    }
    name.retain(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    name.push_str(match format {
        FileFormat::Csv => ".csv",
        FileFormat::Xlsx => ".xlsx",
    });
    name
}

/// Headers of every download: an attachment, never cached (it is personal data).
fn download(format: FileFormat, name: String) -> HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((CACHE_CONTROL, "private, no-store"))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"));
    match format {
        FileFormat::Csv => builder.content_type("text/csv; charset=utf-8"),
        // Already compressed: not compressed again.
        FileFormat::Xlsx => builder
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header(ContentEncoding::Identity),
    };
    builder
}

async fn responses(
    state: &AppState,
    staff: &Staff,
    current: &CampaignState,
    units: Option<HashSet<i32>>,
    lang: Lang,
    format: FileFormat,
    name: String,
) -> Result<HttpResponse, StaffError> {
    let d = &current.description;
    let mut places = Places {
        units: d
            .units
            .iter()
            .filter(|u| units.as_ref().is_none_or(|set| set.contains(&u.id)))
            .map(|u| (u.id, (u.code.clone(), u.name.clone())))
            .collect(),
        ..Default::default()
    };
    places.desks = units::all_service_points(state.storage.db())
        .await?
        .into_iter()
        .filter(|sp| places.units.contains_key(&sp.unit_id))
        .map(|sp| (sp.id, (sp.code, sp.name)))
        .collect();
    let comments = staff.reads_comments();
    let range = ResponseRange {
        campaign_id: d.campaign.id,
        units: units.map(|set| {
            let mut ids: Vec<i32> = set.into_iter().collect();
            ids.sort_unstable();
            ids
        }),
        up_to: last_response_id(state.storage.db(), d.campaign.id).await?,
        comments,
    };
    let wanted = ResponseExport {
        range,
        columns: ResponseColumns {
            lang,
            criteria: d
                .questionnaire
                .criteria()
                .map(|(_, c)| c.code.clone())
                .collect(),
            comments,
        },
        places,
        format,
        page_rows: PAGE_ROWS,
    };
    let body = crate::exports::responses(state.storage.clone(), wanted);
    Ok(download(format, name).streaming(body))
}

async fn scores(
    state: &AppState,
    current: &CampaignState,
    selection: crate::snapshots::Selection,
    units: Option<HashSet<i32>>,
    lang: Lang,
    format: FileFormat,
    name: String,
) -> Result<HttpResponse, StaffError> {
    let campaign = &current.description.campaign;
    let query = crate::scores::ScoreQuery::official(campaign)
        .map_err(|e| StaffError::Internal(e.to_string()))?;
    let selected =
        crate::snapshots::scores(&state.storage, &state.scores, campaign.id, selection, query)
            .await?;
    let source = match selected.snapshot {
        Some(version) => FiguresSource::Snapshot {
            version,
            sha256: crate::snapshots::parsed(&state.scores, campaign.id, version)
                .await?
                .info
                .sha256
                .clone(),
        },
        None => FiguresSource::Provisional,
    };
    let scores = selected.scores;
    let rows: Vec<_> = scores
        .units
        .iter()
        .filter(|u| units.as_ref().is_none_or(|set| set.contains(&u.unit.id)))
        .map(|u| unit_score(&scores, u, false))
        .collect();
    let bytes = web::block(move || scores_file(lang, &rows, &source, format))
        .await
        .map_err(|e| StaffError::Internal(e.to_string()))?
        .map_err(|e| StaffError::Internal(e.to_string()))?;
    Ok(download(format, name).body(bytes))
}
