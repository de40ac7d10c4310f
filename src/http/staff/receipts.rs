//! Receipt QR codes on the dashboard: how the one-stop system connects (its API call,
//! the example built from the API's own request and answer types), and a form for a
//! desk officer to issue one by hand, through the same service as the API
//! ([`crate::receipts::issue`]), shown as a slip to print. Only desks of units the
//! member may change are offered; another unit is refused (404 outside the member's
//! scope, 403 within it) and nothing is issued.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Duration;
use serde::Deserialize;
use sipas_domain::campaign::DossierCode;
use sipas_templates::Lang;
use sipas_templates::staff::form::FieldProblem;
use sipas_templates::staff::receipts::{
    ApiExample, Choice, ReceiptValues, ReceiptsView, SlipView, receipts_page, slip_page,
};

use super::auth::Staff;
use super::posters::public_url_warning;
use super::{StaffError, staff_page};
use crate::http::AppState;
use crate::http::api::receipts::{NewReceipt, Receipt};
use crate::receipts::{ReceiptError, ReceiptRequest};
use crate::storage::{CampaignRecord, campaigns, units};

fn today() -> chrono::NaiveDate {
    sipas_domain::campaign::vietnam_day(chrono::Utc::now())
}

/// The API call, with this service's public URL, a campaign and a unit of the member's.
fn example(public_url: &str, campaign: &str, place: Option<(&str, &str)>) -> ApiExample {
    let (unit, desk) = place.unwrap_or(("18073", "MC"));
    let endpoint = format!("{public_url}/api/v1/campaigns/{campaign}/receipts");
    let request = NewReceipt {
        dossier_code: "H42.01-260305-0001".into(),
        unit_code: unit.into(),
        service_point_code: Some(desk.into()),
        returned_on: today(),
    };
    let request = serde_json::to_string_pretty(&request).unwrap_or_default();
    let token = "AbCdEfGhIjKlMnOpQrStUv";
    let url = format!("{public_url}/s/{token}");
    let expires_at =
        sipas_domain::campaign::receipt_expiry(today(), 30).unwrap_or_else(chrono::Utc::now);
    let response = Receipt {
        qr_svg_url: format!("{url}/qr.svg"),
        qr_png_url: format!("{url}/qr.png"),
        url,
        token: token.into(),
        expires_at,
    };
    let response = serde_json::to_string_pretty(&response).unwrap_or_default();
    let curl = format!(
        "curl -X POST '{endpoint}' \\\n  -H 'Authorization: Bearer $SIPAS_TOKEN' \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        serde_json::to_string(
            &serde_json::from_str::<serde_json::Value>(&request).unwrap_or_default()
        )
        .unwrap_or_default()
    );
    ApiExample {
        endpoint: format!("POST {endpoint}"),
        curl,
        request,
        response,
    }
}

/// The open campaigns, and the chosen one (`wanted`, or the first).
async fn open_campaigns(
    state: &AppState,
    wanted: Option<&str>,
) -> Result<(Vec<CampaignRecord>, Option<CampaignRecord>), StaffError> {
    let open: Vec<CampaignRecord> = campaigns::all(state.storage.db())
        .await?
        .into_iter()
        .filter(|c| c.status.accepts_responses())
        .collect();
    let chosen = wanted
        .and_then(|w| open.iter().find(|c| c.code == w))
        .or_else(|| open.first())
        .cloned();
    Ok((open, chosen))
}

/// The open desks of the campaign's units the member may change: `UNIT/DESK` and label.
async fn places(
    state: &AppState,
    staff: &Staff,
    campaign: &CampaignRecord,
) -> Result<Vec<Choice>, StaffError> {
    let current = state.scores.state_by_code(&campaign.code).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let today = today();
    let mut by_unit: HashMap<i32, Vec<crate::storage::ServicePointRecord>> = HashMap::new();
    for point in units::all_service_points(state.storage.db()).await? {
        if point.is_open_on(today) {
            by_unit.entry(point.unit_id).or_default().push(point);
        }
    }
    let mut places = Vec::new();
    for unit in d
        .units
        .iter()
        .filter(|u| staff.may_write(&d.tree, u.id, on))
    {
        let Some(mut desks) = by_unit.remove(&unit.id) else {
            continue;
        };
        desks.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.code.cmp(&b.code)));
        for desk in desks {
            places.push(Choice {
                value: format!("{}/{}", unit.code, desk.code),
                label: format!("{} ({}) – {}", unit.name, unit.code, desk.name),
            });
        }
    }
    Ok(places)
}

async fn form_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    wanted: Option<&str>,
) -> Result<ReceiptsView, StaffError> {
    let (open, chosen) = open_campaigns(state, wanted).await?;
    let places = match &chosen {
        Some(c) => places(state, staff, c).await?,
        None => Vec::new(),
    };
    let example_place = places.first().and_then(|p| p.value.split_once('/'));
    let example = example(
        &state.public_url,
        chosen.as_ref().map_or("HT-2026", |c| c.code.as_str()),
        example_place,
    );
    Ok(ReceiptsView {
        lang,
        nav: staff.nav(chosen.as_ref().map(|c| c.code.as_str())),
        warning: public_url_warning(state),
        campaigns: open
            .iter()
            .map(|c| Choice {
                value: c.code.clone(),
                label: c.name.clone(),
            })
            .collect(),
        receipt_valid_days: chosen.as_ref().map(|c| c.rules.receipt_valid_days),
        demo: chosen.as_ref().is_some_and(|c| c.is_demo),
        campaign: chosen.map(|c| c.code),
        values: ReceiptValues {
            place: places.first().map(|p| p.value.clone()).unwrap_or_default(),
            dossier_code: String::new(),
            returned_on: today().format("%Y-%m-%d").to_string(),
        },
        places,
        problems: Vec::new(),
        example,
    })
}

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    campaign: Option<String>,
}

/// How to connect, and the form.
#[get("/manage/receipts")]
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let view = form_view(&state, &staff, lang, query.campaign.as_deref()).await?;
    Ok(staff_page(StatusCode::OK).body(receipts_page(&view).into_string()))
}

#[derive(Deserialize, Default)]
pub struct IssueForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    campaign: String,
    /// `UNIT/DESK`.
    #[serde(default)]
    place: String,
    #[serde(default)]
    dossier_code: String,
    #[serde(default)]
    returned_on: String,
}

fn problem(field_id: &str, message: String) -> FieldProblem {
    FieldProblem {
        field: field_id.to_owned(),
        message,
    }
}

/// Issues a receipt for the chosen desk and shows its slip.
#[post("/manage/receipts")]
pub async fn issue(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<IssueForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(IssueForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let vi = lang == Lang::Vi;
    let tr = |a: &str, b: &str| if vi { a.to_owned() } else { b.to_owned() };
    let campaign = campaigns::by_code(state.storage.db(), &form.campaign).await?;
    let current = state.scores.state_by_code(&campaign.code).await?;
    let d = &current.description;
    let on = campaign.units_on;

    let mut problems = Vec::new();
    let (unit_code, desk_code) = form.place.split_once('/').unwrap_or((&form.place, ""));
    // The unit first: one outside the member's scope is refused before anything else.
    let unit = if unit_code.is_empty() || desk_code.is_empty() {
        problems.push(problem(
            "place",
            tr("Chọn đơn vị và quầy.", "Choose the unit and desk."),
        ));
        None
    } else {
        let id = d.tree.resolve(unit_code, on).ok_or(StaffError::NotFound)?;
        if !staff.may_read(&d.tree, id, on) {
            return Err(StaffError::NotFound);
        }
        staff.require(staff.may_write(&d.tree, id, on))?;
        Some(units::by_code(state.storage.db(), unit_code, Some(on)).await?)
    };
    let dossier = DossierCode::parse(&form.dossier_code);
    if dossier.is_err() {
        problems.push(problem(
            "dossier",
            tr(
                "Nhập mã hồ sơ: 1–100 ký tự, không có ký tự điều khiển.",
                "Enter the dossier code: 1–100 characters, no control characters.",
            ),
        ));
    }
    let returned_on = sipas_templates::format::parse_date(&form.returned_on);
    if returned_on.is_none() {
        problems.push(problem(
            "returned-on",
            tr(
                "Nhập ngày trả kết quả (ngày/tháng/năm).",
                "Enter the day the result was returned (day/month/year).",
            ),
        ));
    } else if returned_on.is_some_and(|r| r > today()) {
        problems.push(problem(
            "returned-on",
            tr(
                "Ngày trả kết quả không thể ở tương lai.",
                "The day the result was returned cannot be in the future.",
            ),
        ));
    }
    if let (Some(unit), Ok(dossier), Some(returned_on), true) =
        (&unit, &dossier, returned_on, problems.is_empty())
    {
        let request = ReceiptRequest {
            dossier: dossier.clone(),
            service_point_code: Some(desk_code.to_owned()),
            returned_on,
        };
        match crate::receipts::issue(
            (&state.storage, &state.keys, &state.public_url),
            &staff.account.username,
            &campaign,
            unit,
            &request,
        )
        .await
        {
            Ok(issued) => {
                let svg = sipas_templates::qr_svg(&issued.url)
                    .map_err(|e| StaffError::Internal(format!("cannot draw the QR code: {}", e.0)))?;
                let last_day =
                    sipas_domain::campaign::vietnam_day(issued.expires_at) - Duration::days(1);
                let slip = SlipView {
                    lang,
                    nav: staff.nav(Some(&campaign.code)),
                    campaign_name: campaign.name.clone(),
                    unit_name: unit.name.clone(),
                    desk_name: issued.service_point.name.clone(),
                    dossier_code: dossier.as_str().to_owned(),
                    url: issued.url,
                    svg,
                    valid_until: last_day,
                    created: issued.created,
                    warning: public_url_warning(&state),
                };
                let status = if issued.created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                return Ok(staff_page(status).body(slip_page(&slip).into_string()));
            }
            Err(ReceiptError::NotOpen { .. }) => problems.push(problem(
                "place",
                tr(
                    "Đợt khảo sát này không còn mở: không cấp được mã biên nhận.",
                    "This campaign is not open: no receipt can be issued.",
                ),
            )),
            Err(ReceiptError::UnknownDesk { .. } | ReceiptError::NoDefaultDesk(_)) => {
                problems.push(problem(
                    "place",
                    tr(
                        "Đơn vị không có quầy này.",
                        "The unit has no such desk.",
                    ),
                ))
            }
            Err(ReceiptError::OutOfRange | ReceiptError::Expired { .. }) => problems.push(problem(
                "returned-on",
                if vi {
                    format!(
                        "Ngày trả kết quả đã quá {} ngày: mã sẽ hết hạn ngay.",
                        campaign.rules.receipt_valid_days
                    )
                } else {
                    format!(
                        "The result was returned more than {} days ago: the code would have expired.",
                        campaign.rules.receipt_valid_days
                    )
                },
            )),
            Err(ReceiptError::InFuture(_)) => problems.push(problem(
                "returned-on",
                tr(
                    "Ngày trả kết quả ở tương lai: hãy nhập ngày đã trả kết quả.",
                    "The return date is in the future: give the day the result was returned.",
                ),
            )),
            Err(ReceiptError::Storage(e)) => return Err(e.into()),
        }
    }
    let mut view = form_view(&state, &staff, lang, Some(&campaign.code)).await?;
    view.values = ReceiptValues {
        place: form.place.chars().take(100).collect(),
        dossier_code: form.dossier_code.chars().take(200).collect(),
        returned_on: form.returned_on.chars().take(20).collect(),
    };
    view.problems = problems;
    Ok(staff_page(StatusCode::UNPROCESSABLE_ENTITY).body(receipts_page(&view).into_string()))
}
