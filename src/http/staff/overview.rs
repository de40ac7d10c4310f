//! The dashboard's campaign list, a campaign's overview (with the alerts since the last
//! visit) and its daily digest. Thin: the figures come from the score book, the rows
//! from the report layer, the pages from the templates; what a reader may read is
//! decided by their scope on the campaign's structure, and a unit outside it is 404.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use serde::Deserialize;
use sipas_domain::campaign::{vietnam_day, vietnam_time};
use sipas_domain::quota::QuotaStatus;
use sipas_templates::Lang;
use sipas_templates::staff::{digest as digest_view, overview as view};

use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::http::AppState;
use crate::reports::digest::{self, DayError};
use crate::reports::overview::{self, Direction, OverviewQuery, Sort, SortKey};
use crate::scores::{CampaignScores, CampaignState, ScoreQuery};
use crate::storage::daily::{self, Counting};
use crate::storage::{StorageError, units, visits};

/// The official figures of a campaign, by code: its latest state and scores.
async fn official(
    state: &AppState,
    code: &str,
) -> Result<
    (
        std::sync::Arc<CampaignState>,
        std::sync::Arc<CampaignScores>,
    ),
    StaffError,
> {
    let current = state.scores.state_by_code(code).await?;
    let scores = super::official_scores(state, &current).await?;
    Ok((current, scores))
}

/// A request this page cannot answer as asked, said plainly, with a way back.
fn bad_request(lang: Lang, message: String, back: String) -> HttpResponse {
    let page = sipas_templates::error_page(&sipas_templates::ErrorPage {
        lang,
        message: Some(message),
        retry_href: Some(back),
        ..Default::default()
    });
    staff_page(StatusCode::BAD_REQUEST).body(page.into_string())
}

/// A campaign as every campaign page's heading shows it.
pub(super) fn head(campaign: &crate::storage::CampaignRecord) -> view::CampaignHead {
    view::CampaignHead {
        code: campaign.code.clone(),
        name: campaign.name.clone(),
        status: campaign.status.as_str().to_owned(),
        starts_on: campaign.starts_on,
        ends_on: campaign.ends_on,
        is_demo: campaign.is_demo,
    }
}

#[derive(Deserialize)]
pub struct LangParams {
    lang: Option<String>,
}

/// The campaigns, with the reader's units' counted responses and how many are at risk.
#[get("/manage")]
pub async fn campaigns(
    staff: Staff,
    state: web::Data<AppState>,
    params: web::Query<LangParams>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let today = vietnam_day(Utc::now());
    let mut lines = Vec::new();
    for c in crate::storage::campaigns::all(state.storage.db()).await? {
        let mut line = view::CampaignLine {
            code: c.code.clone(),
            name: c.name.clone(),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            status: c.status.as_str().to_owned(),
            is_demo: c.is_demo,
            responses: 0,
            units: 0,
            at_risk: 0,
        };
        // A campaign created a moment ago on another node is listed without figures
        // until this node follows it.
        if let (Some(_), Ok(query)) = (state.scores.state(c.id), ScoreQuery::official(&c))
            && let Ok(scores) = state.scores.scores(c.id, query).await
        {
            let readable = staff.readable_units(&scores.tree, c.units_on);
            let rows = overview::readable_rows(&scores, readable.as_ref(), today);
            line.responses = scores
                .units
                .iter()
                .filter(|u| readable.as_ref().is_none_or(|r| r.contains(&u.unit.id)))
                .map(|u| u.result.n)
                .sum();
            line.units = rows.len();
            line.at_risk = rows
                .iter()
                .filter(|r| r.quota.status == QuotaStatus::AtRisk)
                .count();
        }
        lines.push(line);
    }
    let page = view::campaigns_page(&view::CampaignsView {
        lang,
        nav: staff.nav(None),
        campaigns: lines,
        may_create: staff.may_write_province(),
        public_url_warning: crate::config::public_url_is_private(&state.public_url)
            .then(|| state.public_url.clone()),
    });
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}

#[derive(Deserialize)]
pub struct OverviewParams {
    lang: Option<String>,
    unit_type: Option<String>,
    parent: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

/// A campaign's overview: the reader's units with their pace, counts per status,
/// filters, any column's order, and what changed since their last visit.
#[get("/manage/campaigns/{campaign}")]
pub async fn overview_page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<OverviewParams>,
) -> Result<HttpResponse, StaffError> {
    let params = params.into_inner();
    let lang = Lang::from_query(params.lang.as_deref());
    let vi = lang == Lang::Vi;
    let (current, scores) = official(&state, &path).await?;
    let campaign = &current.description.campaign;
    let back = format!(
        "/manage/campaigns/{}{}",
        campaign.code,
        if vi { "" } else { "?lang=en" }
    );
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let types = units::types(state.storage.db()).await?;
    let unit_type = given(params.unit_type);
    if let Some(t) = &unit_type
        && !types.iter().any(|known| &known.code == t)
    {
        let message = if vi {
            format!("Không có loại đơn vị “{t}”.")
        } else {
            format!("There is no unit type “{t}”.")
        };
        return Ok(bad_request(lang, message, back));
    }
    let status = match given(params.status) {
        None => None,
        Some(text) => match QuotaStatus::parse(&text) {
            Some(s) => Some(s),
            None => {
                let message = if vi {
                    format!("Không có trạng thái “{text}”.")
                } else {
                    format!("There is no status “{text}”.")
                };
                return Ok(bad_request(lang, message, back));
            }
        },
    };
    let sort_key = match given(params.sort) {
        None => None,
        Some(text) => match SortKey::parse(&text) {
            Some(k) => Some(k),
            None => {
                let message = if vi {
                    format!("Không sắp xếp được theo “{text}”.")
                } else {
                    format!("The table cannot be sorted by “{text}”.")
                };
                return Ok(bad_request(lang, message, back));
            }
        },
    };
    let dir = match given(params.dir) {
        None => Direction::default(),
        Some(text) => match Direction::parse(&text) {
            Some(d) => d,
            None => {
                let message = if vi {
                    format!("Chiều sắp xếp “{text}” không có: dùng asc hoặc desc.")
                } else {
                    format!("There is no order “{text}”: use asc or desc.")
                };
                return Ok(bad_request(lang, message, back));
            }
        },
    };
    let query = OverviewQuery {
        unit_type: unit_type.clone(),
        parent: given(params.parent),
        status,
        sort: Sort {
            key: sort_key.unwrap_or(SortKey::Status),
            dir,
        },
    };
    let now = Utc::now();
    let today = vietnam_day(now);
    let readable = staff.readable_units(&scores.tree, campaign.units_on);
    // An unknown parent and a parent outside the scope are the same 404.
    let built = overview::overview(
        &scores,
        &current.description.units,
        readable.as_ref(),
        &query,
        today,
    )
    .map_err(|_| StaffError::NotFound)?;

    let txn = state.storage.write().await?;
    let previous = visits::last(&txn, staff.user_id, campaign.id).await?;
    let visit = overview::next_visit(previous, now, built.statuses());
    visits::save(&txn, staff.user_id, campaign.id, &visit.next).await?;
    txn.commit().await.map_err(StorageError::from)?;

    let type_name = |code: &str| -> String {
        types
            .iter()
            .find(|t| t.code == code)
            .map_or(code, |t| if vi { &t.name_vi } else { &t.name_en })
            .to_owned()
    };
    let alerts = match &visit.baseline {
        None => view::Alerts::FirstVisit,
        Some((seen_at, baseline)) => view::Alerts::Since {
            seen_at: vietnam_time(*seen_at),
            changes: overview::alerts(baseline, &built.readable)
                .into_iter()
                .map(|a| view::AlertLine {
                    code: a.unit_code,
                    name: a.unit_name,
                    from: a.from.as_str().to_owned(),
                    to: a.to.as_str().to_owned(),
                })
                .collect(),
        },
    };
    let mut unit_types: Vec<&sipas_domain::unit::UnitType> = types
        .iter()
        .filter(|t| built.unit_types.contains(&t.code))
        .collect();
    unit_types.sort_by_key(|t| (t.tier, t.code.clone()));
    let page = view::overview_page(&view::OverviewView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign: head(campaign),
        // An ended campaign's pace is its last day's.
        today: today.min(campaign.ends_on),
        alerts,
        counts: overview::WORST_FIRST.map(|s| built.counts.get(s)),
        readable_units: built.readable.len(),
        filter: view::OverviewFilter {
            unit_type,
            parent: query.parent.clone(),
            status: status.map(|s| s.as_str().to_owned()),
            sort: sort_key.map(|k| k.as_str().to_owned()),
            desc: sort_key.is_some() && dir == Direction::Desc,
        },
        unit_types: unit_types
            .into_iter()
            .map(|t| view::Choice {
                value: t.code.clone(),
                label: if vi {
                    t.name_vi.clone()
                } else {
                    t.name_en.clone()
                },
            })
            .collect(),
        parents: built
            .parents
            .iter()
            .map(|(code, name)| view::Choice {
                value: code.clone(),
                label: format!("{name} ({code})"),
            })
            .collect(),
        rows: built
            .rows
            .iter()
            .map(|r| {
                let q = &r.quota;
                view::UnitLine {
                    code: q.unit_code.clone(),
                    name: q.unit_name.clone(),
                    unit_type: type_name(&q.unit_type),
                    quota: q.quota,
                    responses: q.responses,
                    progress: q.progress,
                    expected_by_today: q.expected_by_today,
                    projected_at_end: q.projected_at_end,
                    short_by: r.short_by,
                    status: q.status.as_str().to_owned(),
                    quota_override: q.override_reason.clone().filter(|_| q.overridden),
                    quota_href: scores
                        .tree
                        .resolve(&q.unit_code, campaign.units_on)
                        .filter(|id| staff.may_write(&scores.tree, *id, campaign.units_on))
                        .map(|_| {
                            format!(
                                "{}{}",
                                sipas_templates::staff::round::quota_path(
                                    &campaign.code,
                                    &q.unit_code
                                ),
                                if vi { "" } else { "?lang=en" }
                            )
                        }),
                }
            })
            .collect(),
    });
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}

#[derive(Deserialize)]
pub struct DigestParams {
    lang: Option<String>,
    /// dd/mm/yyyy (or yyyy-mm-dd).
    day: Option<String>,
}

/// A day of a campaign for the reader's units: responses received, totals at the end
/// of the day, statuses at the end of the day before and of the day.
#[get("/manage/campaigns/{campaign}/digest")]
pub async fn digest_page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<DigestParams>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let vi = lang == Lang::Vi;
    let (current, scores) = official(&state, &path).await?;
    let campaign = &current.description.campaign;
    let back = format!(
        "/manage/campaigns/{}/digest{}",
        campaign.code,
        if vi { "" } else { "?lang=en" }
    );
    let asked = match params
        .day
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(text) => match sipas_templates::format::parse_date(text) {
            Some(day) => Some(day),
            None => {
                let message = if vi {
                    format!(
                        "“{text}” không phải là một ngày: hãy viết theo dạng dd/mm/yyyy, ví dụ 05/03/2026."
                    )
                } else {
                    format!(
                        "“{text}” is not a date: write it as dd/mm/yyyy, for example 05/03/2026."
                    )
                };
                return Ok(bad_request(lang, message, back));
            }
        },
    };
    let today = vietnam_day(Utc::now());
    let body = match digest::pick_day(campaign, today, asked) {
        Err(DayError::NotStarted) => digest_view::DigestBody::NotStarted,
        Err(DayError::OutOfRange { first, last }) => {
            let (day, first, last) = (
                sipas_templates::format::date(asked.unwrap_or(today)),
                sipas_templates::format::date(first),
                sipas_templates::format::date(last),
            );
            let message = if vi {
                format!("Không có bản tin ngày {day}: chỉ có từ {first} đến {last}.")
            } else {
                format!("There is no digest for {day}: only from {first} to {last}.")
            };
            return Ok(bad_request(lang, message, back));
        }
        Ok(day) => {
            let readable = staff.readable_units(&scores.tree, campaign.units_on);
            let (start, end) = digest::day_bounds(day);
            let counting = Counting {
                channels: scores.query.channels,
                criteria: scores.questionnaire.criterion_count(),
            };
            let tallies: HashMap<i32, daily::UnitTally> = daily::tallies(
                state.storage.db(),
                campaign.id,
                counting,
                readable.as_ref(),
                start,
                end,
            )
            .await?;
            let d = digest::digest(&scores, readable.as_ref(), &tallies, day, today);
            let (first_day, last_day) = digest::days(campaign, today)
                .map_err(|_| StaffError::Internal("a picked day without days".into()))?;
            digest_view::DigestBody::Day {
                day: d.day,
                rows: d
                    .rows
                    .into_iter()
                    .map(|r| digest_view::DigestLine {
                        code: r.unit_code,
                        name: r.unit_name,
                        quota: r.quota,
                        received: r.received,
                        total: r.total,
                        before: r.before.as_str().to_owned(),
                        after: r.after.as_str().to_owned(),
                    })
                    .collect(),
                changed: d.changed,
                received: d.received,
                total: d.total,
                quota: d.quota,
                previous_day: d.previous_day,
                next_day: d.next_day,
                first_day,
                last_day,
            }
        }
    };
    let page = digest_view::digest_page(&digest_view::DigestView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign: head(campaign),
        body,
    });
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}
