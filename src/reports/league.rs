//! The league of one unit type (docs/statistics.md, "League tables and rank
//! intervals"): one typed view for the API, the dashboard page and the XLSX export.
//! Pure: built from scores already computed (at the campaign's confidence and at the
//! league's `γ`) and the appraised points read for it.

use std::collections::HashMap;

use serde::Serialize;
use sipas_domain::statistics::league::{self, Contender, UnrankedReason};
use sipas_domain::unit::ParMaxPoints;

use crate::scores::{CampaignScores, UnitScores};

/// A ranked unit.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeagueUnit {
    pub unit_code: String,
    pub unit_name: String,
    /// The appraisal council's points; null in a survey-only league.
    pub appraised_points: Option<f64>,
    /// `M · I_u`, unrounded.
    pub survey_points: f64,
    /// The survey points' interval at the campaign's confidence.
    pub survey_points_ci_low: Option<f64>,
    pub survey_points_ci_high: Option<f64>,
    /// `T_u = A_u + M · I_u`.
    pub total: f64,
    /// `100 · T_u / max_total`.
    pub index_percent: f64,
    pub rank: usize,
    /// The interval of ranks the unit could hold at 90 %.
    pub rank_low: usize,
    pub rank_high: usize,
    /// The unit's flags (docs/statistics.md, "Flags a result may carry").
    pub flags: Vec<String>,
}

/// A unit listed after the league.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnrankedUnit {
    pub unit_code: String,
    pub unit_name: String,
    /// `no_survey`, `no_appraisal` or `no_variance`.
    pub reason: String,
}

/// The league of one unit type in one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeagueView {
    pub campaign: String,
    pub unit_type: String,
    /// The PAR scheme the points come from.
    pub par_scheme: String,
    /// The unit type's maximum total (1 in a survey-only league).
    pub max_total: f64,
    /// `M`: the unit type's survey points (1 in a survey-only league).
    pub survey_max_points: f64,
    /// The confidence of every rank interval: 0.9.
    pub confidence: f64,
    /// `γ = 1 − 0.10/(K − 1)`: the confidence of the unit intervals the rank intervals
    /// are built from; null with fewer than two ranked units.
    pub unit_confidence: Option<f64>,
    /// The campaign's confidence: the survey points' intervals are at this level.
    pub points_confidence: f64,
    /// `A_u = 0` and `M = 1`: ranked on the survey alone.
    pub survey_only: bool,
    /// The snapshot version the figures come from; null: the live figures.
    pub snapshot: Option<u32>,
    pub provisional: bool,
    /// Ordered by rank, then code.
    pub units: Vec<LeagueUnit>,
    /// Ordered by code.
    pub unranked: Vec<UnrankedUnit>,
}

/// A unit of the type, as the league lists it.
#[derive(Debug, Clone)]
pub struct Entrant {
    pub id: i32,
    pub code: String,
    pub name: String,
    /// Appraised points; `None`: none imported.
    pub appraised: Option<f64>,
}

/// What the league is built on.
pub struct LeagueInputs<'a> {
    pub unit_type: &'a str,
    pub par_scheme: &'a str,
    pub points: ParMaxPoints,
    pub survey_only: bool,
    /// Every unit of the type in the campaign's structure.
    pub entrants: &'a [Entrant],
    /// The campaign's official figures (its confidence).
    pub official: &'a CampaignScores,
    pub snapshot: Option<u32>,
}

fn by_id(scores: &CampaignScores) -> HashMap<i32, &UnitScores> {
    scores.units.iter().map(|u| (u.unit.id, u)).collect()
}

impl LeagueInputs<'_> {
    fn reason(&self, e: &Entrant, scores: &HashMap<i32, &UnitScores>) -> Option<UnrankedReason> {
        let unit = scores.get(&e.id);
        league::unranked_reason(
            unit.and_then(|u| u.result.sipas.estimate),
            unit.map_or(0, |u| u.result.n),
            e.appraised,
            self.survey_only,
        )
    }

    /// `γ` for this league (step one): `None` with fewer than two ranked units.
    pub fn unit_confidence(&self) -> Option<f64> {
        let scores = by_id(self.official);
        let ranked = self
            .entrants
            .iter()
            .filter(|e| self.reason(e, &scores).is_none())
            .count();
        league::confidence(ranked)
    }

    /// The league (step two), with `at_gamma` the same figures scored at
    /// [`Self::unit_confidence`] (`None` when it is `None`).
    pub fn build(&self, at_gamma: Option<&CampaignScores>) -> LeagueView {
        let official = by_id(self.official);
        let gamma = at_gamma.map(by_id).unwrap_or_default();
        let m = if self.survey_only {
            1.0
        } else {
            self.points.survey_max_points
        };
        let max_total = if self.survey_only {
            1.0
        } else {
            self.points.max_total
        };
        let mut ranked: Vec<(&Entrant, &UnitScores, Contender)> = Vec::new();
        let mut unranked = Vec::new();
        for e in self.entrants {
            let unit = official.get(&e.id).copied();
            let reason = self.reason(e, &official);
            // The interval at γ; with a single ranked unit nothing is compared, so the
            // official interval stands in (the rank interval is [1, 1] whatever it is).
            let at = gamma.get(&e.id).copied().or(unit);
            let contender = at.and_then(|u| {
                let s = &u.result.sipas;
                Some(Contender {
                    appraised: if self.survey_only { 0.0 } else { e.appraised? },
                    index: s.estimate?,
                    low: s.ci_low?,
                    high: s.ci_high?,
                })
            });
            match (reason, unit, contender) {
                (None, Some(unit), Some(c)) => ranked.push((e, unit, c)),
                (reason, _, _) => unranked.push(UnrankedUnit {
                    unit_code: e.code.clone(),
                    unit_name: e.name.clone(),
                    // An index without an interval at γ (no degrees of freedom) cannot
                    // be compared either.
                    reason: reason
                        .unwrap_or(UnrankedReason::NoVariance)
                        .as_str()
                        .to_owned(),
                }),
            }
        }
        let contenders: Vec<Contender> = ranked.iter().map(|(_, _, c)| *c).collect();
        let placings = league::rank(&contenders, m);
        let mut units: Vec<LeagueUnit> = ranked
            .iter()
            .zip(placings)
            .map(|((e, unit, _), p)| {
                let s = &unit.result.sipas;
                LeagueUnit {
                    unit_code: e.code.clone(),
                    unit_name: e.name.clone(),
                    appraised_points: if self.survey_only { None } else { e.appraised },
                    survey_points: m * s.estimate.unwrap_or_default(),
                    survey_points_ci_low: s.ci_low.map(|l| m * l),
                    survey_points_ci_high: s.ci_high.map(|h| m * h),
                    total: p.total,
                    index_percent: 100.0 * p.total / max_total,
                    rank: p.rank,
                    rank_low: p.rank_low,
                    rank_high: p.rank_high,
                    flags: unit
                        .result
                        .flags
                        .iter()
                        .map(|f| f.as_str().to_owned())
                        .collect(),
                }
            })
            .collect();
        units.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| a.unit_code.cmp(&b.unit_code))
        });
        unranked.sort_by(|a, b| a.unit_code.cmp(&b.unit_code));
        LeagueView {
            campaign: self.official.campaign.code.clone(),
            unit_type: self.unit_type.to_owned(),
            par_scheme: self.par_scheme.to_owned(),
            max_total,
            survey_max_points: m,
            confidence: league::RANK_CONFIDENCE,
            unit_confidence: self.unit_confidence(),
            points_confidence: self.official.query.options.confidence.level(),
            survey_only: self.survey_only,
            snapshot: self.snapshot,
            provisional: self.snapshot.is_none(),
            units,
            unranked,
        }
    }
}

/// The league as an XLSX workbook: the ranked units, then the unranked with their
/// reason, the same numbers as the API (unrounded; the sheet shows two decimals).
pub fn league_xlsx(
    lang: sipas_templates::Lang,
    view: &LeagueView,
) -> Result<Vec<u8>, super::exports::ExportError> {
    use super::exports::{Cell, Column, Layout, Style, XlsxSink};
    let vi = lang == sipas_templates::Lang::Vi;
    let t = |a: &str, b: &str| if vi { a.to_owned() } else { b.to_owned() };
    let col = |name: &str, label: String, width: f64| Column {
        name: name.to_owned(),
        label,
        width,
    };
    let layout = Layout {
        sheet: t("Bảng xếp hạng", "League"),
        columns: vec![
            col("rank", t("Hạng", "Rank"), 7.0),
            col("rank_low", t("Hạng: từ", "Rank: from"), 8.0),
            col("rank_high", t("Hạng: đến", "Rank: to"), 8.0),
            col("unit_code", t("Mã đơn vị", "Unit code"), 11.0),
            col("unit_name", t("Tên đơn vị", "Unit name"), 32.0),
            col(
                "appraised_points",
                t("Điểm thẩm định", "Appraised points"),
                11.0,
            ),
            col("survey_points", t("Điểm khảo sát", "Survey points"), 11.0),
            col(
                "survey_points_ci_low",
                t("Điểm khảo sát: cận dưới", "Survey points: CI low"),
                11.0,
            ),
            col(
                "survey_points_ci_high",
                t("Điểm khảo sát: cận trên", "Survey points: CI high"),
                11.0,
            ),
            col("total", t("Tổng điểm", "Total"), 10.0),
            col("index_percent", t("Chỉ số (%)", "Index (%)"), 10.0),
            col(
                "flags",
                t("Cảnh báo / lý do không xếp hạng", "Flags / why unranked"),
                30.0,
            ),
        ],
    };
    let number = |x: Option<f64>| x.map_or(Cell::Empty, |x| Cell::Number(x, Style::Decimal));
    let mut xlsx = XlsxSink::new(layout)?;
    for u in &view.units {
        let flags = u.flags.join("; ");
        xlsx.row(&[
            Cell::Int(u.rank as i64),
            Cell::Int(u.rank_low as i64),
            Cell::Int(u.rank_high as i64),
            Cell::Text(&u.unit_code),
            Cell::Text(&u.unit_name),
            number(u.appraised_points),
            number(Some(u.survey_points)),
            number(u.survey_points_ci_low),
            number(u.survey_points_ci_high),
            number(Some(u.total)),
            number(Some(u.index_percent)),
            Cell::Text(&flags),
        ])?;
    }
    for u in &view.unranked {
        xlsx.row(&[
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Text(&u.unit_code),
            Cell::Text(&u.unit_name),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Text(&u.reason),
        ])?;
    }
    let mut out = Vec::new();
    xlsx.finish(&mut out)?;
    Ok(out)
}
