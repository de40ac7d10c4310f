//! A unit's desks on the dashboard: the list, and the forms to add, rename and close
//! desks, through the same service functions as the API ([`crate::desks`]). The page is
//! under a campaign, as the unit page is: the unit code is read in its structure and
//! the desks' posters are that campaign's. A unit outside the member's scope is a 404;
//! in scope but not theirs to change (a viewer), a 403; nothing is changed either way.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::campaign::{CampaignStatus, FieldError};
use sipas_templates::Lang;
use sipas_templates::staff::desks::{
    DeskDone, DeskForm, DeskLine, DesksView, FailedForm, desks_page, path,
};
use sipas_templates::staff::form::FieldProblem;

use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::desks::DeskError;
use crate::http::AppState;
use crate::storage::{CampaignRecord, StorageError, UnitRow, units};

/// The campaign and the unit, if the member may change the unit's desks.
async fn writable(
    state: &AppState,
    staff: &Staff,
    campaign: &str,
    unit: &str,
) -> Result<(CampaignRecord, UnitRow), StaffError> {
    let current = state.scores.state_by_code(campaign).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let id = d.tree.resolve(unit, on).ok_or(StaffError::NotFound)?;
    if !staff.may_read(&d.tree, id, on) {
        return Err(StaffError::NotFound);
    }
    staff.require(staff.may_write(&d.tree, id, on))?;
    let row = units::by_code(state.storage.db(), unit, Some(on)).await?;
    if row.id != id {
        return Err(StaffError::NotFound);
    }
    Ok((d.campaign.clone(), row))
}

fn today() -> chrono::NaiveDate {
    sipas_domain::campaign::vietnam_day(chrono::Utc::now())
}

/// The page, with a refused form or the last success.
async fn render(
    state: &AppState,
    staff: &Staff,
    (campaign, unit): (&CampaignRecord, &UnitRow),
    lang: Lang,
    failed: Option<FailedForm>,
    done: Option<DeskDone>,
) -> Result<HttpResponse, StaffError> {
    render_page(state, staff, (campaign, unit), lang, (failed, done), None).await
}

/// The page, with a refused form or the last success, and a kiosk link just made.
async fn render_page(
    state: &AppState,
    staff: &Staff,
    (campaign, unit): (&CampaignRecord, &UnitRow),
    lang: Lang,
    (failed, done): (Option<FailedForm>, Option<DeskDone>),
    kiosk_link: Option<String>,
) -> Result<HttpResponse, StaffError> {
    let today = today();
    let points = units::service_points(state.storage.db(), unit.id).await?;
    let live = crate::storage::kiosks::live_desks(
        state.storage.db(),
        campaign.id,
        points.iter().map(|d| d.id),
    )
    .await?;
    let kiosks = points
        .iter()
        .filter(|d| live.contains(&d.id))
        .map(|d| d.code.clone())
        .collect();
    let desks = points
        .into_iter()
        .map(|d| DeskLine {
            open: d.is_open_on(today),
            code: d.code,
            name: d.name,
            is_default: d.is_default,
            closed_from: d.valid_until,
        })
        .collect();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = DesksView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign_code: campaign.code.clone(),
        campaign_name: campaign.name.clone(),
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        desks,
        posters: matches!(
            campaign.status,
            CampaignStatus::Draft | CampaignStatus::Open
        ),
        today,
        failed,
        done,
        demo: campaign.is_demo,
        kiosks,
        kiosk_link,
    };
    Ok(staff_page(status).body(desks_page(&view).into_string()))
}

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    /// `added`, `renamed`, `closed`, after a form.
    done: Option<String>,
    desk: Option<String>,
}

/// The unit's desks.
#[get("/manage/campaigns/{campaign}/units/{unit}/desks")]
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign_code, unit_code) = path.into_inner();
    let lang = Lang::from_query(query.lang.as_deref());
    let (campaign, unit) = writable(&state, &staff, &campaign_code, &unit_code).await?;
    let desk = query.desk.clone().unwrap_or_default();
    let done = match query.done.as_deref() {
        Some("added") => Some(DeskDone::Added(desk)),
        Some("renamed") => Some(DeskDone::Renamed(desk)),
        Some("closed") => Some(DeskDone::Closed(desk)),
        Some("kiosk-revoked") => Some(DeskDone::KioskRevoked(desk)),
        _ => None,
    };
    render(&state, &staff, (&campaign, &unit), lang, None, done).await
}

/// Back to the page after a change, saying what was done.
fn done(campaign: &str, unit: &str, lang: Lang, what: &str, desk: &str) -> HttpResponse {
    let location = format!(
        "{}?lang={}&done={what}&desk={}",
        path(campaign, unit),
        lang.code(),
        percent_encoding::utf8_percent_encode(desk, percent_encoding::NON_ALPHANUMERIC)
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The domain's field errors in the page's language, on the form's fields.
fn field_problems(lang: Lang, errors: &[FieldError], ids: (&str, &str)) -> Vec<FieldProblem> {
    let vi = lang == Lang::Vi;
    errors
        .iter()
        .map(|e| match e.field {
            "code" => FieldProblem {
                field: ids.0.to_owned(),
                message: if vi {
                    "Mã quầy gồm 1–32 chữ cái không dấu, chữ số, '-', '_' hoặc '.'.".into()
                } else {
                    "A desk code is 1–32 letters without accents, digits, '-', '_' or '.'.".into()
                },
            },
            "name" => FieldProblem {
                field: ids.1.to_owned(),
                message: if vi {
                    "Nhập tên quầy: 1–200 ký tự.".into()
                } else {
                    "Enter the desk's name: 1–200 characters.".into()
                },
            },
            _ => FieldProblem {
                field: ids.1.to_owned(),
                message: e.message.clone(),
            },
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

/// Adds a desk (its code generated when left empty).
#[post("/manage/campaigns/{campaign}/units/{unit}/desks/add")]
pub async fn add(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: Option<web::Form<AddForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(AddForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let vi = lang == Lang::Vi;
    let (campaign_code, unit_code) = path.into_inner();
    let (campaign, unit) = writable(&state, &staff, &campaign_code, &unit_code).await?;
    let code = form.code.trim();
    let result = crate::desks::add(
        (&state.storage, &state.scores),
        &staff.account.username,
        &unit,
        (!code.is_empty()).then_some(code),
        &form.name,
    )
    .await;
    let problems = match result {
        Ok(point) => return Ok(done(&campaign.code, &unit.code, lang, "added", &point.code)),
        Err(DeskError::Invalid(errors)) => field_problems(lang, &errors, ("add-code", "add-name")),
        Err(DeskError::Storage(StorageError::Conflict(_))) => vec![FieldProblem {
            field: "add-code".into(),
            message: if vi {
                format!("Đơn vị đã có quầy mã {code}: chọn mã khác hoặc để trống.")
            } else {
                format!(
                    "The unit already has a desk {code}: choose another code or leave it empty."
                )
            },
        }],
        Err(DeskError::Storage(e)) => return Err(e.into()),
    };
    let failed = FailedForm {
        form: DeskForm::Add,
        code: form.code.chars().take(100).collect(),
        name: form.name.chars().take(300).collect(),
        on: String::new(),
        problems,
    };
    render(&state, &staff, (&campaign, &unit), lang, Some(failed), None).await
}

#[derive(Deserialize, Default)]
pub struct RenameForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    name: String,
}

/// Renames a desk.
#[post("/manage/campaigns/{campaign}/units/{unit}/desks/{desk}/rename")]
pub async fn rename(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: Option<web::Form<RenameForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(RenameForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (campaign_code, unit_code, desk) = path.into_inner();
    let (campaign, unit) = writable(&state, &staff, &campaign_code, &unit_code).await?;
    let result = crate::desks::rename(
        (&state.storage, &state.scores),
        &staff.account.username,
        &unit,
        &desk,
        &form.name,
    )
    .await;
    let problems = match result {
        Ok(point) => {
            return Ok(done(
                &campaign.code,
                &unit.code,
                lang,
                "renamed",
                &point.code,
            ));
        }
        Err(DeskError::Invalid(errors)) => {
            // A code that is not one names no desk.
            if errors.iter().any(|e| e.field == "code") {
                return Err(StaffError::NotFound);
            }
            field_problems(lang, &errors, ("", &format!("name-{desk}")))
        }
        Err(DeskError::Storage(e)) => return Err(e.into()),
    };
    let failed = FailedForm {
        form: DeskForm::Rename(desk),
        code: String::new(),
        name: form.name.chars().take(300).collect(),
        on: String::new(),
        problems,
    };
    render(&state, &staff, (&campaign, &unit), lang, Some(failed), None).await
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    on: String,
    /// `yes` when the member ticked the confirmation.
    confirm: Option<String>,
}

/// Closes a desk from a day, once the member has ticked the confirmation.
#[post("/manage/campaigns/{campaign}/units/{unit}/desks/{desk}/close")]
pub async fn close(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: Option<web::Form<CloseForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(CloseForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let vi = lang == Lang::Vi;
    let (campaign_code, unit_code, desk) = path.into_inner();
    let (campaign, unit) = writable(&state, &staff, &campaign_code, &unit_code).await?;
    let on_id = format!("on-{desk}");
    let mut problems = Vec::new();
    let on = sipas_templates::format::parse_date(&form.on);
    if on.is_none() {
        problems.push(FieldProblem {
            field: on_id.clone(),
            message: if vi {
                "Nhập ngày đóng quầy (ngày/tháng/năm).".into()
            } else {
                "Enter the day the desk closes (day/month/year).".into()
            },
        });
    }
    if form.confirm.as_deref() != Some("yes") {
        problems.push(FieldProblem {
            field: format!("confirm-{desk}"),
            message: if vi {
                "Đánh dấu ô xác nhận để đóng quầy.".into()
            } else {
                "Tick the box to confirm closing the desk.".into()
            },
        });
    }
    if let (Some(on), true) = (on, problems.is_empty()) {
        match crate::desks::close(
            (&state.storage, &state.scores),
            &staff.account.username,
            &unit,
            &desk,
            on,
        )
        .await
        {
            Ok(point) => return Ok(done(&campaign.code, &unit.code, lang, "closed", &point.code)),
            Err(DeskError::Storage(StorageError::Conflict(why))) => problems.push(FieldProblem {
                field: on_id.clone(),
                message: if vi {
                    format!(
                        "Không đóng được quầy từ ngày này: quầy đã đóng từ trước, hoặc là Bộ phận Một cửa của đơn vị. ({why})"
                    )
                } else {
                    format!(
                        "The desk cannot close from this day: it is closed already, or it is the unit's own one-stop desk. ({why})"
                    )
                },
            }),
            Err(DeskError::Invalid(_)) => return Err(StaffError::NotFound),
            Err(DeskError::Storage(e)) => return Err(e.into()),
        }
    }
    let failed = FailedForm {
        form: DeskForm::Close(desk),
        code: String::new(),
        name: String::new(),
        on: form.on.chars().take(20).collect(),
        problems,
    };
    render(&state, &staff, (&campaign, &unit), lang, Some(failed), None).await
}

#[derive(Deserialize, Default)]
pub struct KioskForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
}

/// The campaign, unit and open desk of a kiosk form, if the member may change the
/// unit's desks and the campaign still takes answers.
async fn kiosk_desk(
    state: &AppState,
    staff: &Staff,
    (campaign, unit, desk): (&str, &str, &str),
) -> Result<(CampaignRecord, UnitRow, crate::storage::ServicePointRecord), StaffError> {
    let (campaign, unit) = writable(state, staff, campaign, unit).await?;
    let desk = units::service_point_by_code(state.storage.db(), &unit, desk).await?;
    let takes_answers = matches!(
        campaign.status,
        CampaignStatus::Draft | CampaignStatus::Open
    );
    if !desk.is_open_on(today()) || !takes_answers {
        return Err(StaffError::NotFound);
    }
    Ok((campaign, unit, desk))
}

/// Makes the desk's kiosk link (a new one, if it had one), and shows it this once.
#[post("/manage/campaigns/{campaign}/units/{unit}/desks/{desk}/kiosk")]
pub async fn kiosk_enable(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: Option<web::Form<KioskForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(KioskForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (campaign, unit, desk) = path.into_inner();
    let (campaign, unit, desk) = kiosk_desk(&state, &staff, (&campaign, &unit, &desk)).await?;
    let token = crate::kiosks::enable(
        &state.storage,
        &staff.account.username,
        (&campaign, &unit, &desk),
    )
    .await?;
    let link = format!("{}{}", state.public_url, crate::kiosks::kiosk_path(&token));
    // Shown in this response, not after a redirect: the link is in no URL nor log.
    let done = Some(DeskDone::KioskEnabled(desk.code.clone()));
    render_page(
        &state,
        &staff,
        (&campaign, &unit),
        lang,
        (None, done),
        Some(link),
    )
    .await
}

/// Withdraws the desk's kiosk link: its tablet gets a "withdrawn" page.
#[post("/manage/campaigns/{campaign}/units/{unit}/desks/{desk}/kiosk/revoke")]
pub async fn kiosk_revoke(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: Option<web::Form<KioskForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(KioskForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (campaign, unit, desk) = path.into_inner();
    let (campaign, unit, desk) = kiosk_desk(&state, &staff, (&campaign, &unit, &desk)).await?;
    crate::kiosks::revoke(
        &state.storage,
        &staff.account.username,
        (&campaign, &unit, &desk),
    )
    .await?;
    Ok(done(
        &campaign.code,
        &unit.code,
        lang,
        "kiosk-revoked",
        &desk.code,
    ))
}
