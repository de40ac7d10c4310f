//! The frame page (a file previewed, then applied) and the paper forms pages (a file of
//! forms, or one form keyed at a time). The handlers only read the request and build
//! the view: parsing, checks, storage and audit are the services' ([`crate::frames`],
//! [`crate::paper`]), the same the API calls.

use std::collections::HashMap;

use actix_multipart::form::{MultipartForm, bytes::Bytes, text::Text};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::access::Role;
use sipas_domain::import::{LineError, Problems};
use sipas_templates::Lang;
use sipas_templates::layout::Tone;
use sipas_templates::staff::uploads::{
    ChangeRow, CriterionField, EntryView, FramePreview, FrameRow, FrameView, LineProblem,
    PaperView, Refusal, entry_page, frame_page, paper_page,
};

use super::LangQuery;
use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::frames::{self, FrameError, FrameMode, UnitChange};
use crate::http::AppState;
use crate::paper::{self, KeyedForm, PaperError};
use crate::storage::{StorageError, campaigns, frames as stored_frames, imports, units};

#[derive(MultipartForm)]
pub(super) struct Upload {
    /// Optional so that a form without it is refused as one without its token (403).
    pub(super) csrf: Option<Text<String>>,
    pub(super) file: Bytes,
}

#[derive(MultipartForm)]
pub struct ApplyForm {
    csrf: Option<Text<String>>,
    csv: Text<String>,
    digest: Text<String>,
    remove: Option<Text<String>>,
}

pub(super) fn refusal(problems: Problems) -> Refusal {
    let (listed, more) = problems.into_parts();
    Refusal {
        unreadable: None,
        lines: listed.into_iter().map(line_problem).collect(),
        more,
    }
}

fn line_problem(e: LineError) -> LineProblem {
    LineProblem {
        line: e.line,
        column: e.column,
        message: e.message,
    }
}

pub(super) fn unreadable(lang: Lang, e: crate::tabular::TableError) -> Refusal {
    let vi = match e {
        crate::tabular::TableError::Empty => "Tệp trống.",
        crate::tabular::TableError::Workbook(_) => "Không đọc được tệp Excel.",
        crate::tabular::TableError::NoSheet => "Tệp Excel không có trang tính nào.",
        crate::tabular::TableError::NotText => {
            "Tệp không phải CSV UTF-8 hoặc Excel: hãy lưu dưới dạng CSV UTF-8 hoặc .xlsx."
        }
    };
    Refusal {
        unreadable: Some(match lang {
            Lang::Vi => format!("{vi} ({e})"),
            _ => format!("{e}."),
        }),
        ..Default::default()
    }
}

fn change_row(c: &UnitChange) -> ChangeRow {
    ChangeRow {
        code: c.code.clone(),
        name: c.name.clone(),
        population_before: c.population_before,
        population_after: c.population_after,
        quota_before: c.quota_before,
        quota_after: c.quota_after,
        overridden: c.overridden,
    }
}

/// The frame page's view with the stored frame.
async fn frame_view(
    state: &AppState,
    staff: &Staff,
    code: &str,
    lang: Lang,
) -> Result<FrameView, StaffError> {
    let db = state.storage.db();
    let campaign = campaigns::by_code(db, code).await?;
    let codes = imports::code_book(db, &campaign).await?;
    let entries = stored_frames::entries(db, campaign.id).await?;
    let quotas = stored_frames::quota_rows(db, campaign.id).await?;
    let desks: HashMap<i32, String> = units::all_service_points(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let mut rows: Vec<FrameRow> = Vec::new();
    for u in &codes.units {
        let lines: Vec<_> = entries.iter().filter(|e| e.unit_id == u.id).collect();
        if lines.is_empty() {
            continue;
        }
        let quota = quotas.get(&u.id).copied();
        rows.push(FrameRow {
            code: u.code.clone(),
            name: u.name.clone(),
            desks: lines
                .iter()
                .filter_map(|e| {
                    e.service_point_id
                        .map(|id| (desks.get(&id).cloned().unwrap_or_default(), e.population))
                })
                .collect(),
            population: lines.iter().map(|e| e.population).sum(),
            quota: quota.map(|(q, _)| q),
            overridden: quota.is_some_and(|(_, o)| o),
        });
    }
    Ok(FrameView {
        lang,
        campaign_code: campaign.code.clone(),
        campaign_name: campaign.name.clone(),
        nav: staff.nav(Some(&campaign.code)),
        may_write: staff.may_write_province(),
        published: !campaign.status.frame_editable(),
        rows,
        ..Default::default()
    })
}

fn html(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    staff_page(status).body(markup.into_string())
}

#[get("/manage/campaigns/{campaign}/frame")]
pub async fn frame(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = frame_view(&state, &staff, &path, lang).await?;
    Ok(html(StatusCode::OK, frame_page(&view)))
}

/// An uploaded frame: every bad line, or the preview of its changes.
#[post("/manage/campaigns/{campaign}/frame")]
pub async fn frame_upload(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: MultipartForm<Upload>,
) -> Result<HttpResponse, StaffError> {
    staff.check_csrf(&state, form.csrf.as_ref().map_or("", |t| t.as_str()))?;
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let mut view = frame_view(&state, &staff, &path, lang).await?;
    let text = match crate::tabular::csv_text(&form.file.data) {
        Ok(text) => text,
        Err(e) => {
            view.refusal = Some(unreadable(lang, e));
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, frame_page(&view)));
        }
    };
    let db = state.storage.db();
    let campaign = campaigns::by_code(db, &path).await?;
    let planned = match frames::parse(db, &campaign, &text).await {
        Ok((file, codes)) => frames::plan(db, &campaign, &codes, file, FrameMode::Replace).await,
        Err(e) => Err(e),
    };
    match planned {
        Ok(plan) => {
            view.preview = Some(FramePreview {
                added: plan.added.iter().map(change_row).collect(),
                changed: plan.changed.iter().map(change_row).collect(),
                missing: plan.removed.iter().map(change_row).collect(),
                unchanged: plan.unchanged,
                file_lines: plan.file_lines,
                csv: text,
                digest: plan.digest,
            });
            Ok(html(StatusCode::OK, frame_page(&view)))
        }
        Err(FrameError::Refused(problems)) => {
            view.refusal = Some(refusal(problems));
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, frame_page(&view)))
        }
        Err(FrameError::Storage(StorageError::Invalid(m))) => {
            view.refusal = Some(Refusal {
                unreadable: Some(m),
                ..Default::default()
            });
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, frame_page(&view)))
        }
        Err(FrameError::Stale) => Err(StaffError::Internal("stale without a digest".into())),
        Err(FrameError::Storage(e)) => Err(e.into()),
    }
}

/// Applies what was previewed: the file is checked again, against the frame the
/// preview was computed from.
#[post("/manage/campaigns/{campaign}/frame/apply")]
pub async fn frame_apply(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: MultipartForm<ApplyForm>,
) -> Result<HttpResponse, StaffError> {
    staff.check_csrf(&state, form.csrf.as_ref().map_or("", |t| t.as_str()))?;
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let vi = lang == Lang::Vi;
    let mode = if form.remove.as_ref().is_some_and(|r| r.0 == "1") {
        FrameMode::Replace
    } else {
        FrameMode::Merge
    };
    let result = frames::apply(
        &state.storage,
        &state.scores,
        &staff.account.username,
        &path,
        &form.csv,
        mode,
        Some(&form.digest),
    )
    .await;
    let (status, notice, refused) = match result {
        Ok(plan) => {
            let removed = if mode == FrameMode::Replace {
                plan.removed.len()
            } else {
                0
            };
            let message = if vi {
                format!(
                    "Đã áp dụng khung mẫu: {} đơn vị thêm, {} thay đổi, {} xoá.",
                    plan.added.len(),
                    plan.changed.len(),
                    removed
                )
            } else {
                format!(
                    "The frame is applied: {} units added, {} changed, {} removed.",
                    plan.added.len(),
                    plan.changed.len(),
                    removed
                )
            };
            (StatusCode::OK, Some((Tone::Ok, message)), None)
        }
        Err(FrameError::Stale) => (
            StatusCode::CONFLICT,
            Some((
                Tone::Err,
                if vi {
                    "Khung mẫu đã thay đổi kể từ khi xem trước: không có gì được áp dụng. Hãy tải tệp lên lại để xem trước."
                } else {
                    "The frame changed since the preview: nothing was applied. Upload the file again to preview it."
                }
                .to_owned(),
            )),
            None,
        ),
        Err(FrameError::Storage(StorageError::Conflict(m))) => (
            StatusCode::CONFLICT,
            Some((
                Tone::Err,
                if vi {
                    format!("Không áp dụng được: đợt khảo sát đã công bố, khung mẫu không thể thay đổi. ({m})")
                } else {
                    format!("Not applied: {m}.")
                },
            )),
            None,
        ),
        Err(FrameError::Storage(StorageError::Invalid(m))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(Refusal {
                unreadable: Some(m),
                ..Default::default()
            }),
        ),
        Err(FrameError::Refused(problems)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, Some(refusal(problems)))
        }
        Err(FrameError::Storage(e)) => return Err(e.into()),
    };
    let mut view = frame_view(&state, &staff, &path, lang).await?;
    view.notice = notice;
    view.refusal = refused;
    Ok(html(status, frame_page(&view)))
}

/// The frame's template: the header and every unit of the campaign's structure, with
/// its current N when the frame gives the unit as a whole.
#[get("/manage/campaigns/{campaign}/frame/template.{format}")]
pub async fn frame_template(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.may_write_province())?;
    let (code, format) = path.into_inner();
    let db = state.storage.db();
    let campaign = campaigns::by_code(db, &code).await?;
    let codes = imports::code_book(db, &campaign).await?;
    let entries = stored_frames::entries(db, campaign.id).await?;
    let mut rows: Vec<[String; 4]> = vec![[
        "unit_code".into(),
        "service_point_code".into(),
        "population".into(),
        "unit_name".into(),
    ]];
    for u in &codes.units {
        let whole = entries
            .iter()
            .find(|e| e.unit_id == u.id && e.service_point_id.is_none())
            .map(|e| e.population.to_string())
            .unwrap_or_default();
        rows.push([u.code.clone(), String::new(), whole, u.name.clone()]);
    }
    let file = format!("{}-frame.{format}", campaign.code);
    let (content_type, body) = match format.as_str() {
        "csv" => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for r in &rows {
                writer
                    .write_record(r)
                    .map_err(|e| StaffError::Internal(e.to_string()))?;
            }
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend(
                writer
                    .into_inner()
                    .map_err(|e| StaffError::Internal(e.to_string()))?,
            );
            ("text/csv; charset=utf-8", bytes)
        }
        "xlsx" => {
            let internal = |e: rust_xlsxwriter::XlsxError| StaffError::Internal(e.to_string());
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if r > 0 && c == 2 && !cell.is_empty() {
                        let n: f64 = cell.parse().unwrap_or_default();
                        sheet
                            .write_number(r as u32, c as u16, n)
                            .map_err(internal)?;
                    } else {
                        sheet
                            .write_string(r as u32, c as u16, cell)
                            .map_err(internal)?;
                    }
                }
            }
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                book.save_to_buffer().map_err(internal)?,
            )
        }
        _ => return Err(StaffError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(body))
}

/// Managers and admins enter forms; a viewer does not.
fn may_enter(staff: &Staff) -> Result<(), StaffError> {
    staff.require(staff.account.role != Role::Viewer)
}

fn paper_header(current: &crate::scores::CampaignState) -> String {
    let codes: Vec<&str> = current
        .description
        .questionnaire
        .criteria()
        .map(|(_, c)| c.code.as_str())
        .collect();
    format!(
        "serial,unit_code,service_point_code,channel,{}",
        codes.join(",")
    )
}

async fn paper_view(
    state: &AppState,
    staff: &Staff,
    code: &str,
    lang: Lang,
) -> Result<(PaperView, std::sync::Arc<crate::scores::CampaignState>), StaffError> {
    let current = state.scores.state_by_code(code).await?;
    let campaign = &current.description.campaign;
    let view = PaperView {
        lang,
        campaign_code: campaign.code.clone(),
        campaign_name: campaign.name.clone(),
        nav: staff.nav(Some(&campaign.code)),
        header: paper_header(&current),
        closed: !campaign.status.accepts_responses(),
        ..Default::default()
    };
    Ok((view, current))
}

#[get("/manage/campaigns/{campaign}/paper")]
pub async fn paper_forms(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    may_enter(&staff)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let (view, _) = paper_view(&state, &staff, &path, lang).await?;
    Ok(html(StatusCode::OK, paper_page(&view)))
}

#[get("/manage/campaigns/{campaign}/paper/template.csv")]
pub async fn paper_template(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, StaffError> {
    may_enter(&staff)?;
    let current = state.scores.state_by_code(&path).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-paper.csv\"",
                current.description.campaign.code
            ),
        ))
        .body(format!("\u{feff}{}\n", paper_header(&current))))
}

/// A file of forms: all stored, or every bad line listed and none stored.
#[post("/manage/campaigns/{campaign}/paper")]
pub async fn paper_upload(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: MultipartForm<Upload>,
) -> Result<HttpResponse, StaffError> {
    staff.check_csrf(&state, form.csrf.as_ref().map_or("", |t| t.as_str()))?;
    may_enter(&staff)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let (mut view, current) = paper_view(&state, &staff, &path, lang).await?;
    let text = match crate::tabular::csv_text(&form.file.data) {
        Ok(text) => text,
        Err(e) => {
            view.refusal = Some(unreadable(lang, e));
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, paper_page(&view)));
        }
    };
    let d = &current.description;
    let on = d.campaign.units_on;
    let writable = |id: i32| staff.may_write(&d.tree, id, on);
    let status = match paper::import(
        &state.storage,
        &state.scores,
        &staff.account.username,
        &current,
        &text,
        &writable,
    )
    .await
    {
        Ok(n) => {
            view.stored = Some(n);
            StatusCode::OK
        }
        Err(PaperError::Refused(problems)) => {
            view.refusal = Some(refusal(problems));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(PaperError::Storage(StorageError::Conflict(m))) => {
            view.refusal = Some(Refusal {
                unreadable: Some(m),
                ..Default::default()
            });
            view.closed = true;
            StatusCode::CONFLICT
        }
        Err(PaperError::Storage(e)) => return Err(e.into()),
    };
    Ok(html(status, paper_page(&view)))
}

#[derive(Deserialize)]
pub struct EntryQuery {
    lang: Option<String>,
    saved: Option<String>,
    unit: Option<String>,
    desk: Option<String>,
    channel: Option<String>,
}

fn entry_view(
    staff: &Staff,
    current: &crate::scores::CampaignState,
    lang: Lang,
) -> Result<EntryView, StaffError> {
    let d = &current.description;
    let on = d.campaign.units_on;
    let units: Vec<(String, String)> = d
        .units
        .iter()
        .filter(|u| staff.may_write(&d.tree, u.id, on))
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    staff.require(!units.is_empty())?;
    let vi = lang == Lang::Vi;
    Ok(EntryView {
        lang,
        campaign_code: d.campaign.code.clone(),
        campaign_name: d.campaign.name.clone(),
        nav: staff.nav(Some(&d.campaign.code)),
        unit: if units.len() == 1 {
            units[0].0.clone()
        } else {
            String::new()
        },
        units,
        channel: "paper".into(),
        criteria: d
            .questionnaire
            .criteria()
            .map(|(_, c)| CriterionField {
                code: c.code.clone(),
                text: if vi {
                    c.text.vi.clone()
                } else {
                    c.text.en.clone()
                },
                value: String::new(),
            })
            .collect(),
        comment_max: paper::COMMENT_MAX_CHARS,
        ..Default::default()
    })
}

#[get("/manage/campaigns/{campaign}/paper/entry")]
pub async fn entry(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<EntryQuery>,
) -> Result<HttpResponse, StaffError> {
    may_enter(&staff)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let current = state.scores.state_by_code(&path).await?;
    let mut view = entry_view(&staff, &current, lang)?;
    let clip = |s: &Option<String>| {
        s.as_deref()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect::<String>()
    };
    view.saved = query.saved.as_ref().map(|_| clip(&query.saved));
    if query.unit.is_some() {
        view.unit = clip(&query.unit);
    }
    view.desk = clip(&query.desk);
    if query.channel.as_deref() == Some("interviewer") {
        view.channel = "interviewer".into();
    }
    Ok(html(StatusCode::OK, entry_page(&view)))
}

/// A keyed problem in the page's language.
fn keyed_message(lang: Lang, e: &LineError, serial: &str) -> String {
    if lang != Lang::Vi {
        return e.message.clone();
    }
    match e.column.as_deref() {
        Some("serial") if e.message.contains("already stored") => {
            format!("Phiếu số {serial} đã được nhập trước đó: phiếu này không được lưu lại.")
        }
        Some("serial") if e.message.contains("required") => "Hãy nhập số phiếu.".into(),
        Some("serial") => "Số phiếu tối đa 40 ký tự, không chứa ký tự điều khiển.".into(),
        Some("unit_code") if e.message.contains("scope") => {
            "Đơn vị này ngoài phạm vi của bạn.".into()
        }
        Some("unit_code") => "Hãy chọn một đơn vị.".into(),
        Some("service_point_code") => "Đơn vị không có điểm phục vụ với mã này.".to_owned(),
        Some("channel") => "Kênh phải là phiếu giấy hoặc phỏng vấn.".into(),
        Some("comment") => "Ý kiến quá dài.".into(),
        Some(code) => {
            format!("{code}: câu trả lời phải từ 1 đến 5; 0 hoặc để trống là không trả lời.")
        }
        None if e.message.contains("unanswered") => {
            "Phiếu không có câu trả lời nào: hãy nhập ít nhất một câu.".into()
        }
        None => e.message.clone(),
    }
}

#[post("/manage/campaigns/{campaign}/paper/entry")]
pub async fn entry_post(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: Option<web::Form<HashMap<String, String>>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map(web::Form::into_inner).unwrap_or_default();
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    staff.check_csrf(&state, &field("csrf"))?;
    may_enter(&staff)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let current = state.scores.state_by_code(&path).await?;
    let mut view = entry_view(&staff, &current, lang)?;
    let keyed = KeyedForm {
        serial: field("serial"),
        unit_code: field("unit"),
        service_point_code: field("desk"),
        channel: field("channel"),
        answers: view.criteria.iter().map(|c| field(&c.code)).collect(),
        comment: field("comment"),
    };
    let d = &current.description;
    let on = d.campaign.units_on;
    let writable = |id: i32| staff.may_write(&d.tree, id, on);
    let result = paper::key(
        &state.storage,
        &state.scores,
        &staff.account.username,
        &current,
        &keyed,
        &writable,
    )
    .await;
    let errors: Vec<(Option<String>, String)> = match result {
        Ok(()) => {
            let serial = keyed.serial.trim();
            let location = format!(
                "/manage/campaigns/{}/paper/entry?lang={}&saved={}&unit={}&desk={}&channel={}",
                d.campaign.code,
                lang.code(),
                enc(serial),
                enc(keyed.unit_code.trim()),
                enc(keyed.service_point_code.trim()),
                enc(keyed.channel.trim()),
            );
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish());
        }
        Err(PaperError::Refused(problems)) => {
            let (listed, _) = problems.into_parts();
            listed
                .iter()
                .map(|e| {
                    (
                        e.column.clone(),
                        keyed_message(lang, e, keyed.serial.trim()),
                    )
                })
                .collect()
        }
        Err(PaperError::Storage(StorageError::Conflict(m))) => vec![(
            None,
            if lang == Lang::Vi {
                format!("Đợt khảo sát không mở: không nhận phiếu. ({m})")
            } else {
                format!("{m}.")
            },
        )],
        Err(PaperError::Storage(e)) => return Err(e.into()),
    };
    view.serial = keyed.serial.chars().take(40).collect();
    view.unit = keyed.unit_code.chars().take(40).collect();
    view.desk = keyed.service_point_code.chars().take(40).collect();
    view.channel = keyed.channel.clone();
    view.comment = keyed.comment.clone();
    for (c, value) in view.criteria.iter_mut().zip(&keyed.answers) {
        c.value = value.chars().take(1).collect();
    }
    view.errors = errors;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, entry_page(&view)))
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
