//! Running a round from the dashboard: creating a campaign, its set-up page with the
//! buttons that open and close it, and overriding one unit's quota. Thin: every change
//! is the service's (`crate::campaigns`, as the API's); this checks the form's token
//! and the member's role or scope, turns the form into the domain's request and says
//! what went wrong next to the field it concerns.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::campaign::{CampaignRequest, CampaignStatus, FieldError};
use sipas_domain::quota::QuotaOverride;
use sipas_templates::Lang;
use sipas_templates::staff::overview::Choice;

use super::LangQuery;
use super::overview::head;
use sipas_templates::staff::publish::{self as publish_view, PublishView};
use sipas_templates::staff::round::{
    self as view, CampaignForm, FieldProblem, NewCampaignView, Problem, QuotaNotice, QuotaView,
    SetupNotice, SetupView, SnapshotRow,
};

use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::campaigns::{self as service, CreateError};
use crate::http::AppState;
use crate::storage::{CampaignRecord, StorageError, campaigns, frames, par_schemes, reference};

/// The fields of the new campaign form, in the order the page shows them.
const FIELD_ORDER: [&str; 12] = [
    "code",
    "name",
    "template",
    "starts_on",
    "ends_on",
    "confidence",
    "margin",
    "quota_method",
    "par_scheme",
    "count_unverified",
    "min_fill_seconds",
    "receipt_valid_days",
];

fn lang_suffix(lang: Lang, first: bool) -> &'static str {
    match (lang, first) {
        (Lang::Vi, _) => "",
        (Lang::En, true) => "?lang=en",
        (Lang::En, false) => "&lang=en",
    }
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    /// What was just done: `created`, `opened`, `closed`, `set`, `undone`.
    done: Option<String>,
}

/// The new campaign form as posted.
#[derive(Deserialize, Default)]
pub struct NewCampaignForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    margin: String,
    #[serde(default)]
    quota_method: String,
    #[serde(default)]
    par_scheme: String,
    /// Present (`1`) when ticked.
    count_unverified: Option<String>,
    #[serde(default)]
    min_fill_seconds: String,
    #[serde(default)]
    receipt_valid_days: String,
}

impl NewCampaignForm {
    /// What was typed, to show it again.
    fn values(&self) -> CampaignForm {
        CampaignForm {
            code: self.code.clone(),
            name: self.name.clone(),
            template: self.template.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            confidence: self.confidence.clone(),
            margin: self.margin.clone(),
            quota_method: self.quota_method.clone(),
            par_scheme: self.par_scheme.clone(),
            count_unverified: self.count_unverified.is_some(),
            min_fill_seconds: self.min_fill_seconds.clone(),
            receipt_valid_days: self.receipt_valid_days.clone(),
        }
    }

    /// The domain's request from the form: dates as `<input type=date>` sends them (or
    /// dd/mm/yyyy), the margin in percentage points, a new campaign as a draft. A field
    /// that is not even a date or a number is a problem here; with such problems, the
    /// domain's own check still runs (on stand-ins for the unreadable fields) so every
    /// problem is listed at once.
    fn request(&self) -> (CampaignRequest, Vec<FieldProblem>) {
        let mut problems = Vec::new();
        let mut problem = |field: &str, problem: Problem| {
            problems.push(FieldProblem {
                field: field.to_owned(),
                problem,
            })
        };
        let date = |text: &str| sipas_templates::format::parse_date(text);
        let starts_on = date(&self.starts_on);
        let ends_on = date(&self.ends_on);
        if starts_on.is_none() {
            problem("starts_on", Problem::Missing);
        }
        if ends_on.is_none() {
            problem("ends_on", Problem::Missing);
        }
        let stand_in = starts_on
            .or(ends_on)
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        let number = |text: &str| text.trim().replace(',', ".").parse::<f64>().ok();
        let confidence = number(&self.confidence);
        if confidence.is_none() {
            problem("confidence", Problem::Rule);
        }
        let margin = number(&self.margin).map(|points| points / 100.0);
        if margin.is_none() {
            problem("margin", Problem::Rule);
        }
        let whole = |text: &str| text.trim().parse::<u32>().ok();
        let min_fill_seconds = whole(&self.min_fill_seconds);
        if min_fill_seconds.is_none() {
            problem("min_fill_seconds", Problem::Rule);
        }
        let receipt_valid_days = whole(&self.receipt_valid_days);
        if receipt_valid_days.is_none() {
            problem("receipt_valid_days", Problem::Rule);
        }
        let request = CampaignRequest {
            code: self.code.trim().to_owned(),
            name: self.name.clone(),
            template: self.template.trim().to_owned(),
            starts_on: starts_on.unwrap_or(stand_in),
            ends_on: ends_on.unwrap_or(stand_in),
            confidence,
            margin,
            quota_method: Some(self.quota_method.trim().to_owned()),
            count_unverified: Some(self.count_unverified.is_some()),
            min_fill_seconds,
            receipt_valid_days,
            status: Some(CampaignStatus::Draft.as_str().to_owned()),
            par_scheme: Some(self.par_scheme.trim().to_owned()).filter(|s| !s.is_empty()),
        };
        (request, problems)
    }
}

/// The domain's problems as the form's, after those already found, in the page's order.
fn merge(mut problems: Vec<FieldProblem>, domain: Vec<FieldError>) -> Vec<FieldProblem> {
    for e in domain {
        if !problems.iter().any(|p| p.field == e.field) {
            problems.push(FieldProblem {
                field: e.field.to_owned(),
                problem: Problem::Rule,
            });
        }
    }
    problems.sort_by_key(|p| {
        FIELD_ORDER
            .iter()
            .position(|f| *f == p.field)
            .unwrap_or(FIELD_ORDER.len())
    });
    problems
}

/// The form with its choices: the templates and PAR schemes the database has.
async fn new_campaign_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    form: CampaignForm,
    errors: Vec<FieldProblem>,
) -> Result<NewCampaignView, StaffError> {
    let db = state.storage.db();
    let templates = reference::questionnaire_codes(db).await?;
    let schemes: Vec<Choice> = par_schemes::all(db)
        .await?
        .into_iter()
        .rev()
        .map(|s| Choice {
            label: format!("{} ({})", s.name, s.code),
            value: s.code,
        })
        .collect();
    let mut form = form;
    if form.par_scheme.is_empty()
        && let Some(newest) = schemes.first()
    {
        form.par_scheme = newest.value.clone();
    }
    Ok(NewCampaignView {
        lang,
        nav: staff.nav(None),
        form,
        templates,
        schemes,
        errors,
    })
}

/// The form that creates a campaign: province-wide managers only.
#[get("/manage/campaigns/new")]
pub async fn new_campaign(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = new_campaign_view(&state, &staff, lang, CampaignForm::default(), vec![]).await?;
    Ok(staff_page(StatusCode::OK).body(view::new_campaign_page(&view).into_string()))
}

/// Creates the campaign (a draft) and goes to its set-up page; a refused form comes
/// back with every problem next to its field and nothing stored.
#[post("/manage/campaigns/new")]
pub async fn create_campaign(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<NewCampaignForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(NewCampaignForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (request, problems) = form.request();
    let errors = if problems.is_empty() {
        match service::create(
            &state.storage,
            &state.scores,
            &staff.account.username,
            request,
        )
        .await
        {
            Ok(campaign) => {
                return Ok(see_other(format!(
                    "{}?done=created{}",
                    view::setup_path(&campaign.code),
                    lang_suffix(lang, false)
                )));
            }
            Err(CreateError::Fields(fields)) => merge(vec![], fields),
            Err(e) => match e.field() {
                Some(field) => vec![FieldProblem {
                    field: field.to_owned(),
                    problem: if field == "code" {
                        Problem::Taken
                    } else {
                        Problem::Rule
                    },
                }],
                None => match e {
                    CreateError::Storage(e) => return Err(e.into()),
                    CreateError::Fields(_) => unreachable!("handled above"),
                },
            },
        }
    } else {
        merge(problems, request.parse().err().unwrap_or_default())
    };
    let view = new_campaign_view(&state, &staff, lang, form.values(), errors).await?;
    Ok(staff_page(StatusCode::UNPROCESSABLE_ENTITY)
        .body(view::new_campaign_page(&view).into_string()))
}

/// The set-up page of a stored campaign.
async fn setup_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    campaign: &CampaignRecord,
) -> Result<SetupView, StaffError> {
    let db = state.storage.db();
    let mut frame_units: Vec<i32> = frames::entries(db, campaign.id)
        .await?
        .into_iter()
        .map(|e| e.unit_id)
        .collect();
    frame_units.sort_unstable();
    frame_units.dedup();
    let scheme = par_schemes::all(db)
        .await?
        .into_iter()
        .find(|s| s.code == campaign.par_scheme)
        .map_or_else(
            || campaign.par_scheme.clone(),
            |s| format!("{} ({})", s.name, s.code),
        );
    Ok(SetupView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign: head(campaign),
        settings: view::CampaignSettings {
            template: campaign.template.clone(),
            units_on: (campaign.units_on != campaign.starts_on).then_some(campaign.units_on),
            confidence: campaign.design.confidence(),
            margin: campaign.design.margin(),
            quota_method: campaign.design.method().as_str().to_owned(),
            par_scheme: scheme,
            count_unverified: campaign.rules.count_unverified,
            min_fill_seconds: campaign.rules.min_fill_seconds,
            receipt_valid_days: campaign.rules.receipt_valid_days,
        },
        may_change: staff.may_write_province(),
        is_admin: staff.is_admin(),
        snapshots: crate::storage::snapshots::list(db, campaign.id)
            .await?
            .into_iter()
            .map(|s| SnapshotRow {
                version: s.version,
                published_at: sipas_domain::campaign::vietnam_time(s.published_at)
                    .format("%d/%m/%Y %H:%M")
                    .to_string(),
                published_by: s.published_by,
                sha256: s.sha256,
            })
            .collect(),
        frame_units: frame_units.len(),
        notice: None,
        problem: None,
    })
}

/// A campaign's settings, status and lifecycle buttons. Every member reads it (as the
/// overview); only province-wide managers see the buttons.
#[get("/manage/campaigns/{campaign}/setup")]
pub async fn setup(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let campaign = campaigns::by_code(state.storage.db(), &path).await?;
    let mut view = setup_view(&state, &staff, lang, &campaign).await?;
    view.notice = match query.done.as_deref() {
        Some("created") => Some(SetupNotice::Created),
        Some("opened") => Some(SetupNotice::Opened),
        Some("closed") => Some(SetupNotice::Closed),
        Some("published") => Some(SetupNotice::Published),
        Some("correcting") => Some(SetupNotice::Correcting),
        _ => None,
    };
    Ok(staff_page(StatusCode::OK).body(view::setup_page(&view).into_string()))
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
}

/// Why a move of the lifecycle was refused, from the campaign's status now.
fn refused_move(lang: Lang, from: CampaignStatus, to: CampaignStatus) -> String {
    let vi = lang == Lang::Vi;
    let status = sipas_templates::i18n::campaign_status(lang, from.as_str());
    match (from == to, to, vi) {
        (true, _, true) => format!("Không thực hiện: đợt khảo sát đã ở trạng thái “{status}”."),
        (true, _, false) => format!("Nothing done: the campaign is already “{status}”."),
        (false, CampaignStatus::Open, true) => {
            format!("Không mở được: đợt khảo sát đang ở trạng thái “{status}”.")
        }
        (false, CampaignStatus::Open, false) => {
            format!("It cannot be opened: the campaign is “{status}”.")
        }
        (false, _, true) => {
            format!("Không kết thúc được: đợt khảo sát đang ở trạng thái “{status}”.")
        }
        (false, _, false) => format!("It cannot be closed: the campaign is “{status}”."),
    }
}

async fn transition(
    staff: Staff,
    state: web::Data<AppState>,
    code: &str,
    form: Option<web::Form<ActionForm>>,
    to: CampaignStatus,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(ActionForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(form.lang.as_deref());
    // Taking back published figures for a correction is the administrators' call, as
    // publishing is.
    let before = campaigns::by_code(state.storage.db(), code).await?.status;
    if before == CampaignStatus::Published {
        staff.require(staff.is_admin())?;
    }
    match service::transition(
        &state.storage,
        &state.scores,
        &staff.account.username,
        code,
        to,
    )
    .await
    {
        Ok(campaign) => Ok(see_other(format!(
            "{}?done={}{}",
            view::setup_path(&campaign.code),
            match (before, to) {
                (_, CampaignStatus::Open) => "opened",
                (CampaignStatus::Published, _) => "correcting",
                _ => "closed",
            },
            lang_suffix(lang, false)
        ))),
        Err(StorageError::Conflict(_)) => {
            let campaign = campaigns::by_code(state.storage.db(), code).await?;
            let mut view = setup_view(&state, &staff, lang, &campaign).await?;
            view.problem = Some(refused_move(lang, campaign.status, to));
            Ok(staff_page(StatusCode::CONFLICT).body(view::setup_page(&view).into_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a draft campaign, or re-opens a closed one (`POST /api/v1/campaigns/{c}/open`).
#[post("/manage/campaigns/{campaign}/open")]
pub async fn open(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    transition(staff, state, &path, form, CampaignStatus::Open).await
}

/// Closes an open campaign, or a published one for a correction (administrators)
/// (`POST /api/v1/campaigns/{c}/close`).
#[post("/manage/campaigns/{campaign}/close")]
pub async fn close(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    transition(staff, state, &path, form, CampaignStatus::Closed).await
}

/// What publishing the campaign now would freeze, for the confirmation page.
async fn publish_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    code: &str,
) -> Result<PublishView, StaffError> {
    let campaign = campaigns::by_code(state.storage.db(), code).await?;
    let current = state.scores.state_by_code(code).await?;
    let scores = super::official_scores(state, &current).await?;
    let next_version = crate::storage::snapshots::latest_version(state.storage.db(), campaign.id)
        .await?
        .map_or(1, |v| v + 1);
    let reference = &scores.design_effect_reference;
    let problem = (campaign.status != CampaignStatus::Closed).then(|| {
        let status = sipas_templates::i18n::campaign_status(lang, campaign.status.as_str());
        if lang == Lang::Vi {
            format!(
                "Chỉ công bố được đợt khảo sát đã kết thúc; đợt này đang ở trạng thái “{status}”."
            )
        } else {
            format!("Only a closed campaign can be published; this one is “{status}”.")
        }
    });
    Ok(PublishView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign: head(&campaign),
        next_version,
        units: scores.units.len(),
        units_with_figures: scores
            .units
            .iter()
            .filter(|u| u.result.sipas.estimate.is_some())
            .count(),
        responses: scores.units.iter().map(|u| u.result.n).sum(),
        questionnaire: format!(
            "{} v{}",
            scores.questionnaire.code, scores.questionnaire.version
        ),
        confidence: campaign.design.confidence(),
        d_ref_sipas: reference.sipas.value(),
        d_ref_elements: scores
            .questionnaire
            .elements
            .iter()
            .zip(&reference.elements)
            .map(|(e, pooled)| (e.code.clone(), pooled.value()))
            .collect(),
        statistics_digest: scores.digest.clone(),
        problem,
    })
}

/// The confirmation before publishing: what will be frozen (administrators only).
#[get("/manage/campaigns/{campaign}/publish")]
pub async fn publish_page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = publish_view(&state, &staff, lang, &path).await?;
    Ok(staff_page(StatusCode::OK).body(publish_view::publish_page(&view).into_string()))
}

/// Publishes the campaign (`POST /api/v1/campaigns/{c}/publish`), administrators only.
#[post("/manage/campaigns/{campaign}/publish")]
pub async fn publish(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(ActionForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(form.lang.as_deref());
    match crate::snapshots::publish(
        &state.storage,
        &state.scores,
        &staff.account.username,
        &path,
        &state.public_url,
    )
    .await
    {
        Ok(_) => Ok(see_other(format!(
            "{}?done=published{}#snapshots",
            view::setup_path(&path),
            lang_suffix(lang, false)
        ))),
        Err(crate::snapshots::SnapshotError::Storage(StorageError::Conflict(_))) => {
            let view = publish_view(&state, &staff, lang, &path).await?;
            Ok(staff_page(StatusCode::CONFLICT)
                .body(publish_view::publish_page(&view).into_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// A published snapshot's document, byte for byte as the API serves it: every unit's
/// figures, so for members who read the whole province.
#[get("/manage/campaigns/{campaign}/snapshots/{version}")]
pub async fn snapshot_document(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, u32)>,
) -> Result<HttpResponse, StaffError> {
    let (code, version) = path.into_inner();
    let current = state.scores.state_by_code(&code).await?;
    let d = &current.description;
    staff.require(staff.readable_units(&d.tree, d.campaign.units_on).is_none())?;
    let parsed =
        crate::snapshots::parsed(&state.scores, current.description.campaign.id, version).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{code}-snapshot-{version}.json\""),
        ))
        .body(parsed.document.json.clone()))
}

/// The unit of a campaign whose quota the member may change: a unit they may not read
/// (or that the campaign's structure does not have) is not found; one they may read
/// but not change is not allowed.
async fn writable_unit(
    state: &AppState,
    staff: &Staff,
    campaign: &str,
    unit: &str,
) -> Result<(), StaffError> {
    let current = state.scores.state_by_code(campaign).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let id = d.tree.resolve(unit, on).ok_or(StaffError::NotFound)?;
    if !staff.may_read(&d.tree, id, on) {
        return Err(StaffError::NotFound);
    }
    staff.require(staff.may_write(&d.tree, id, on))
}

/// The quota page as stored now, with what was typed.
async fn quota_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    (campaign, unit): (&str, &str),
) -> Result<QuotaView, StaffError> {
    let (campaign, unit, quota) = service::unit_quota(&state.storage, campaign, unit).await?;
    Ok(QuotaView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign: head(&campaign),
        unit_code: unit.code,
        unit_name: unit.name,
        computed: quota.computed,
        target: quota.target,
        editable: campaign.status.frame_editable(),
        target_input: quota.target.map(|t| t.to_string()).unwrap_or_default(),
        reason_input: quota
            .overridden
            .as_ref()
            .map(|o| o.reason.clone())
            .unwrap_or_default(),
        overridden: quota.overridden.map(|o| view::OverrideInfo {
            reason: o.reason,
            by: o.by,
            at: o.at.map(sipas_domain::campaign::vietnam_time),
        }),
        errors: vec![],
        notice: None,
        problem: None,
    })
}

/// Why a quota change was refused, from the quota as it is now.
fn refused_quota(lang: Lang, view: &QuotaView, undo: bool) -> String {
    let vi = lang == Lang::Vi;
    if !view.editable {
        return if vi {
            "Đợt khảo sát đã công bố: chỉ tiêu không thay đổi được nữa.".into()
        } else {
            "The campaign is published: its quotas cannot change any more.".into()
        };
    }
    if undo {
        return if vi {
            "Chỉ tiêu này đang theo khung mẫu, không có điều chỉnh nào để hủy.".into()
        } else {
            "This quota is the frame's: there is no override to undo.".into()
        };
    }
    if vi {
        "Đơn vị này chưa có trong khung mẫu nên chưa có chỉ tiêu để điều chỉnh.".into()
    } else {
        "This unit is not in the frame, so it has no quota to override.".into()
    }
}

/// One unit's quota: what the frame gives, what is in force, and the override forms.
#[get("/manage/campaigns/{campaign}/quotas/{unit}")]
pub async fn quota_page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign, unit) = path.into_inner();
    let lang = Lang::from_query(query.lang.as_deref());
    writable_unit(&state, &staff, &campaign, &unit).await?;
    let mut view = quota_view(&state, &staff, lang, (&campaign, &unit)).await?;
    view.notice = match query.done.as_deref() {
        Some("set") => Some(QuotaNotice::Set),
        Some("undone") => Some(QuotaNotice::Undone),
        _ => None,
    };
    Ok(staff_page(StatusCode::OK).body(view::quota_page(&view).into_string()))
}

#[derive(Deserialize, Default)]
pub struct QuotaForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

/// Sets the unit's quota by hand, with a reason.
#[post("/manage/campaigns/{campaign}/quotas/{unit}")]
pub async fn override_quota(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: Option<web::Form<QuotaForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(QuotaForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let (campaign, unit) = path.into_inner();
    writable_unit(&state, &staff, &campaign, &unit).await?;
    let lang = Lang::from_query(form.lang.as_deref());
    let refused = |status: StatusCode, mut view: QuotaView| {
        view.target_input = form.target.clone();
        view.reason_input = form.reason.clone();
        staff_page(status).body(view::quota_page(&view).into_string())
    };
    let new = match QuotaOverride::parse(&form.target, &form.reason) {
        Ok(new) => new,
        Err(errors) => {
            let mut view = quota_view(&state, &staff, lang, (&campaign, &unit)).await?;
            view.errors = errors
                .into_iter()
                .map(|e| FieldProblem {
                    field: e.field.to_owned(),
                    problem: Problem::Rule,
                })
                .collect();
            return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, view));
        }
    };
    match service::override_quota(
        &state.storage,
        &state.scores,
        &staff.account.username,
        (&campaign, &unit),
        &new,
    )
    .await
    {
        Ok(_) => Ok(see_other(format!(
            "{}?done=set{}",
            view::quota_path(&campaign, &unit),
            lang_suffix(lang, false)
        ))),
        Err(StorageError::Conflict(_)) => {
            let mut view = quota_view(&state, &staff, lang, (&campaign, &unit)).await?;
            view.problem = Some(refused_quota(lang, &view, false));
            Ok(refused(StatusCode::CONFLICT, view))
        }
        Err(e) => Err(e.into()),
    }
}

/// Undoes the unit's override: its quota is the frame's again.
#[post("/manage/campaigns/{campaign}/quotas/{unit}/undo")]
pub async fn undo_quota_override(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(ActionForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let (campaign, unit) = path.into_inner();
    writable_unit(&state, &staff, &campaign, &unit).await?;
    let lang = Lang::from_query(form.lang.as_deref());
    match service::undo_quota_override(
        &state.storage,
        &state.scores,
        &staff.account.username,
        (&campaign, &unit),
    )
    .await
    {
        Ok(_) => Ok(see_other(format!(
            "{}?done=undone{}",
            view::quota_path(&campaign, &unit),
            lang_suffix(lang, false)
        ))),
        Err(StorageError::Conflict(_)) => {
            let mut view = quota_view(&state, &staff, lang, (&campaign, &unit)).await?;
            view.problem = Some(refused_quota(lang, &view, true));
            Ok(staff_page(StatusCode::CONFLICT).body(view::quota_page(&view).into_string()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn form() -> NewCampaignForm {
        NewCampaignForm {
            code: "HT-2026".into(),
            name: "Khảo sát 2026".into(),
            template: "SIPAS-2023".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-09-30".into(),
            confidence: "0.95".into(),
            margin: "5".into(),
            quota_method: "cochran".into(),
            par_scheme: "QD-1".into(),
            count_unverified: None,
            min_fill_seconds: "8".into(),
            receipt_valid_days: "30".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_form_becomes_the_domains_request() {
        let (request, problems) = form().request();
        assert!(problems.is_empty());
        let new = request.parse().unwrap();
        assert_eq!(new.status, CampaignStatus::Draft);
        assert!((new.design.margin() - 0.05).abs() < 1e-12);
        assert!(!new.rules.count_unverified);
        assert_eq!(new.par_scheme.as_deref(), Some("QD-1"));
        assert_eq!(new.starts_on, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    }

    #[test]
    fn every_problem_is_listed_once_in_the_pages_order() {
        let mut f = form();
        f.code = "a b".into();
        f.ends_on = String::new();
        f.margin = "90".into();
        f.min_fill_seconds = "x".into();
        let (request, problems) = f.request();
        let all = merge(problems, request.parse().err().unwrap_or_default());
        let fields: Vec<(&str, Problem)> =
            all.iter().map(|p| (p.field.as_str(), p.problem)).collect();
        assert_eq!(
            fields,
            vec![
                ("code", Problem::Rule),
                ("ends_on", Problem::Missing),
                ("margin", Problem::Rule),
                ("min_fill_seconds", Problem::Rule),
            ]
        );
    }
}
