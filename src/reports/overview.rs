//! The campaign overview of the dashboard: every unit a staff member may read with its
//! quota, responses and pace, counted per status, filtered, sorted (the units at risk
//! first by default), and the units whose status changed since their last visit.
//!
//! Pure: built from computed scores (through [`quotas::quotas`], the rows the API
//! serves) and a stored visit; the handler reads the clock and the database.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sipas_domain::quota::QuotaStatus;

use super::UnitSelection;
use super::quotas::{self, UnitQuota};
use super::scores::select;
use crate::scores::{CampaignScores, UnitInfo, UnitScores};
use crate::storage::visits::{Statuses, Visit};

/// The statuses from worst to best: the default order and the order of alerts.
pub const WORST_FIRST: [QuotaStatus; 4] = [
    QuotaStatus::AtRisk,
    QuotaStatus::Behind,
    QuotaStatus::OnTrack,
    QuotaStatus::Met,
];

/// How bad a status is: 0 for `at_risk` up to 3 for `met`.
pub fn severity(status: QuotaStatus) -> usize {
    WORST_FIRST
        .iter()
        .position(|s| *s == status)
        .unwrap_or(WORST_FIRST.len())
}

/// A column the overview sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// The unit's name (then code).
    Unit,
    Type,
    Quota,
    Responses,
    Progress,
    Expected,
    Projected,
    ShortBy,
    /// Worst first ascending, then by how far the projection falls short of the quota.
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Unit,
        SortKey::Type,
        SortKey::Quota,
        SortKey::Responses,
        SortKey::Progress,
        SortKey::Expected,
        SortKey::Projected,
        SortKey::ShortBy,
        SortKey::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Unit => "unit",
            SortKey::Type => "type",
            SortKey::Quota => "quota",
            SortKey::Responses => "responses",
            SortKey::Progress => "progress",
            SortKey::Expected => "expected",
            SortKey::Projected => "projected",
            SortKey::ShortBy => "short_by",
            SortKey::Status => "status",
        }
    }

    pub fn parse(text: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "asc" => Some(Direction::Asc),
            "desc" => Some(Direction::Desc),
            _ => None,
        }
    }
}

/// An order of the rows. The default puts the units at risk first, the furthest behind
/// first among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub dir: Direction,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Status,
            dir: Direction::Asc,
        }
    }
}

/// What a reader asks of the overview.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverviewQuery {
    /// Only units of this type.
    pub unit_type: Option<String>,
    /// Only the units under this one (by code): its subtree, without itself.
    pub parent: Option<String>,
    /// Only units of this status.
    pub status: Option<QuotaStatus>,
    pub sort: Sort,
}

/// One unit of the overview: its quota row and how far it falls short.
#[derive(Debug)]
pub struct OverviewRow {
    pub quota: UnitQuota,
    /// Responses the unit will lack at the end at its pace so far: `quota − projected`,
    /// rounded up, never below 0. What "how far behind" means to a manager.
    pub short_by: u64,
}

impl OverviewRow {
    fn new(quota: UnitQuota) -> OverviewRow {
        let short_by = if quota.status == QuotaStatus::Met {
            0
        } else {
            (quota.quota as f64 - quota.projected_at_end)
                .ceil()
                .max(0.0) as u64
        };
        OverviewRow { quota, short_by }
    }

    /// The projection as a share of the quota: the lower, the further behind.
    fn projected_share(&self) -> f64 {
        if self.quota.quota == 0 {
            f64::INFINITY
        } else {
            self.quota.projected_at_end / self.quota.quota as f64
        }
    }
}

/// The units per status, worst first ([`WORST_FIRST`] order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts(pub [usize; 4]);

impl StatusCounts {
    pub fn of(rows: &[OverviewRow]) -> StatusCounts {
        let mut counts = [0; 4];
        for row in rows {
            counts[severity(row.quota.status)] += 1;
        }
        StatusCounts(counts)
    }

    pub fn get(&self, status: QuotaStatus) -> usize {
        self.0[severity(status)]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// The overview of the units a reader may read.
#[derive(Debug)]
pub struct Overview {
    /// The rows asked for, in the order asked for.
    pub rows: Vec<OverviewRow>,
    /// Per status, of the units the type and parent filters keep (not the status
    /// filter, so each count can be a link to its status).
    pub counts: StatusCounts,
    /// The unit types of the readable units with a quota, for the type filter.
    pub unit_types: Vec<String>,
    /// The units (code, name) a reader may pick as parent: those readable units with
    /// readable units under them, in code order.
    pub parents: Vec<(String, String)>,
    /// Every readable unit with a quota, whatever the filters: what the alerts and the
    /// next visit's memory are about.
    pub readable: Vec<OverviewRow>,
}

impl Overview {
    /// Every readable unit's status, as a visit remembers them.
    pub fn statuses(&self) -> Statuses {
        self.readable
            .iter()
            .map(|r| {
                (
                    r.quota.unit_code.clone(),
                    r.quota.status.as_str().to_owned(),
                )
            })
            .collect()
    }
}

/// Why an overview cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverviewError {
    /// The parent is not a unit of the campaign, or not one the reader may read: the
    /// same answer for both, so a scope's edges cannot be probed.
    #[error("unit {0} is not a unit of this campaign you may read")]
    UnknownParent(String),
}

/// The overview as of `today`, of the units in `readable` (`None`: every unit).
/// `units` are the campaign's units (its structure, with the units that have no figures,
/// such as the province), which name the parents.
pub fn overview(
    scores: &CampaignScores,
    units: &[UnitInfo],
    readable: Option<&HashSet<i32>>,
    query: &OverviewQuery,
    today: NaiveDate,
) -> Result<Overview, OverviewError> {
    let may_read = |id: i32| readable.is_none_or(|r| r.contains(&id));
    let all_rows = readable_rows(scores, readable, today);

    if let Some(parent) = &query.parent {
        let id = scores.tree.resolve(parent, scores.campaign.units_on);
        if !id.is_some_and(may_read) {
            return Err(OverviewError::UnknownParent(parent.clone()));
        }
    }
    let selection = UnitSelection {
        unit_type: query.unit_type.clone(),
        under: query.parent.clone(),
    };
    let selected: Vec<&UnitScores> = select(scores, &selection)
        .ok_or_else(|| OverviewError::UnknownParent(query.parent.clone().unwrap_or_default()))?
        .into_iter()
        .filter(|u| may_read(u.unit.id))
        .collect();
    let mut rows: Vec<OverviewRow> = quotas::quotas(scores, &selected, today)
        .into_iter()
        .map(OverviewRow::new)
        .collect();
    let counts = StatusCounts::of(&rows);
    if let Some(status) = query.status {
        rows.retain(|r| r.quota.status == status);
    }
    sort(&mut rows, query.sort);

    let mut unit_types: Vec<String> = all_rows.iter().map(|r| r.quota.unit_type.clone()).collect();
    unit_types.sort();
    unit_types.dedup();
    let parent_codes: HashSet<&str> = all_rows
        .iter()
        .filter_map(|r| r.quota.parent_code.as_deref())
        .collect();
    let mut parents: Vec<(String, String)> = units
        .iter()
        .filter(|u| parent_codes.contains(u.code.as_str()) && may_read(u.id))
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    parents.sort();
    Ok(Overview {
        rows,
        counts,
        unit_types,
        parents,
        readable: all_rows,
    })
}

/// Every readable unit with a quota (`None`: every unit), unfiltered and unsorted.
pub fn readable_rows(
    scores: &CampaignScores,
    readable: Option<&HashSet<i32>>,
    today: NaiveDate,
) -> Vec<OverviewRow> {
    let all: Vec<&UnitScores> = scores
        .units
        .iter()
        .filter(|u| readable.is_none_or(|r| r.contains(&u.unit.id)))
        .collect();
    quotas::quotas(scores, &all, today)
        .into_iter()
        .map(OverviewRow::new)
        .collect()
}

/// Sorts rows by a column; ties go to the default order, then to the unit's code, so
/// the order is the same on every reload.
pub fn sort(rows: &mut [OverviewRow], sort: Sort) {
    let by_default = |a: &OverviewRow, b: &OverviewRow| {
        severity(a.quota.status)
            .cmp(&severity(b.quota.status))
            .then(a.projected_share().total_cmp(&b.projected_share()))
    };
    rows.sort_by(|a, b| {
        let (qa, qb) = (&a.quota, &b.quota);
        let column = match sort.key {
            SortKey::Unit => qa
                .unit_name
                .to_lowercase()
                .cmp(&qb.unit_name.to_lowercase()),
            SortKey::Type => qa.unit_type.cmp(&qb.unit_type),
            SortKey::Quota => qa.quota.cmp(&qb.quota),
            SortKey::Responses => qa.responses.cmp(&qb.responses),
            SortKey::Progress => qa.progress.total_cmp(&qb.progress),
            SortKey::Expected => qa.expected_by_today.total_cmp(&qb.expected_by_today),
            SortKey::Projected => qa.projected_at_end.total_cmp(&qb.projected_at_end),
            SortKey::ShortBy => a.short_by.cmp(&b.short_by),
            SortKey::Status => by_default(a, b),
        };
        let column = match sort.dir {
            Direction::Asc => column,
            Direction::Desc => column.reverse(),
        };
        column
            .then_with(|| by_default(a, b))
            .then_with(|| qa.unit_code.cmp(&qb.unit_code))
    });
}

/// A visit within this long of the previous one continues the same sitting: its alerts
/// compare with what was seen before the sitting began, so they stay while the reader
/// filters and sorts.
pub const SITTING: chrono::TimeDelta = chrono::TimeDelta::minutes(30);
/// A sitting ends after this long whatever the gaps, so a page reloaded every few
/// minutes all day still moves its baseline on.
pub const LONGEST_SITTING: chrono::TimeDelta = chrono::TimeDelta::hours(2);

/// What a visit shows and what it leaves for the next.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitOutcome {
    /// When the statuses the alerts compare with were seen, and those statuses; `None`
    /// on the first visit (nothing to compare with).
    pub baseline: Option<(DateTime<Utc>, Statuses)>,
    /// The visit to store.
    pub next: Visit,
}

/// The visit at `now` that sees `current`, after the `previous` one.
pub fn next_visit(previous: Option<Visit>, now: DateTime<Utc>, current: Statuses) -> VisitOutcome {
    let Some(previous) = previous else {
        return VisitOutcome {
            baseline: None,
            next: Visit {
                seen_at: now,
                seen: current.clone(),
                sitting_from: Some(now),
                baseline_at: now,
                baseline: current,
            },
        };
    };
    let sitting_from = previous.sitting_from.unwrap_or(previous.seen_at);
    let same_sitting = now - previous.seen_at < SITTING && now - sitting_from < LONGEST_SITTING;
    let (sitting_from, baseline_at, baseline) = if same_sitting {
        (sitting_from, previous.baseline_at, previous.baseline)
    } else {
        (now, previous.seen_at, previous.seen)
    };
    VisitOutcome {
        baseline: Some((baseline_at, baseline.clone())),
        next: Visit {
            seen_at: now,
            seen: current,
            sitting_from: Some(sitting_from),
            baseline_at,
            baseline,
        },
    }
}

/// A unit whose status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub unit_code: String,
    pub unit_name: String,
    pub from: QuotaStatus,
    pub to: QuotaStatus,
}

/// The units whose status differs from `baseline`, worst first: by the status they
/// fell to, a fall before a rise, then by code. Units the baseline did not have (new
/// in the frame) are not changes.
pub fn alerts(baseline: &Statuses, rows: &[OverviewRow]) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = rows
        .iter()
        .filter_map(|row| {
            let q = &row.quota;
            let from = QuotaStatus::parse(baseline.get(&q.unit_code)?)?;
            (from != q.status).then(|| Alert {
                unit_code: q.unit_code.clone(),
                unit_name: q.unit_name.clone(),
                from,
                to: q.status,
            })
        })
        .collect();
    alerts.sort_by(|a, b| {
        severity(a.to)
            .cmp(&severity(b.to))
            .then_with(|| worsened(b).cmp(&worsened(a)))
            .then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    alerts
}

fn worsened(alert: &Alert) -> bool {
    severity(alert.to) < severity(alert.from)
}

/// Computed scores of a small campaign, built the way the score book builds them.
#[cfg(test)]
pub(crate) mod fixture {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use sipas_domain::campaign::{CampaignRules, CampaignStatus, Channel};
    use sipas_domain::quota::{QuotaMethod, SampleDesign};
    use sipas_domain::statistics::QuestionnaireShape;
    use sipas_domain::unit::{UnitNode, UnitTree};

    use crate::scores::book::{CampaignState, Description, Statistics, UnitFrame};
    use crate::scores::{CampaignScores, ScoreQuery, UnitInfo};
    use crate::storage::CampaignRecord;

    pub fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    const UNITS: [(i32, &str, &str, &str, Option<&str>); 6] = [
        (1, "42", "Tỉnh Hà Tĩnh", "province", None),
        (2, "S-NV", "Sở Nội vụ", "department", Some("42")),
        (3, "436", "Huyện Đức Thọ", "district", Some("42")),
        (4, "18100", "Xã Bùi La Nhân", "commune", Some("436")),
        // Lower case on purpose: names sort whatever their case.
        (5, "18101", "xã An Dũng", "commune", Some("436")),
        (6, "18102", "Xã Đức Đồng", "commune", Some("436")),
    ];

    /// The campaign's structure: what `Description::units` holds.
    pub fn units() -> Vec<UnitInfo> {
        UNITS
            .iter()
            .map(|u| UnitInfo {
                id: u.0,
                code: u.1.into(),
                name: u.2.into(),
                unit_type: u.3.into(),
                parent_code: u.4.map(str::to_owned),
                survey_max_points: None,
            })
            .collect()
    }

    /// Province 1 (no quota); department 2 under it (quota 80); district 3 under it
    /// (quota 100) with communes 4, 5, 6 (quota 100 each). A campaign from 1 to 10
    /// March 2026; `responses[unit]` counted responses per unit.
    pub fn scores(responses: &[(i32, u64)]) -> CampaignScores {
        let parent_id =
            |code: Option<&str>| code.and_then(|c| UNITS.iter().find(|u| u.1 == c).map(|u| u.0));
        let tree = UnitTree::new(UNITS.iter().map(|u| UnitNode {
            id: u.0,
            code: u.1.into(),
            parent_id: parent_id(u.4),
            valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_until: None,
        }));
        let questionnaire = sipas_domain::reference::questionnaires()
            .into_iter()
            .find(|q| q.code == "SIPAS-2023")
            .unwrap();
        let shape = QuestionnaireShape::new(questionnaire.element_of_criteria()).unwrap();
        let campaign = CampaignRecord {
            id: 7,
            code: "T-2026".into(),
            name: "Test".into(),
            template: "SIPAS-2023".into(),
            questionnaire_id: 1,
            starts_on: day(1),
            ends_on: day(10),
            units_on: day(1),
            design: SampleDesign::new(0.95, 0.05, QuotaMethod::Cochran).unwrap(),
            status: CampaignStatus::Open,
            rules: CampaignRules::default(),
            par_scheme: "x".into(),
            is_demo: false,
            revision: 1,
        };
        let mut statistics = Statistics::default();
        let answers = vec![4u8; shape.criteria()];
        for (unit, n) in responses {
            for _ in 0..*n {
                statistics
                    .add(&shape, *unit, 1, Channel::Paper, &answers)
                    .unwrap();
            }
        }
        let description = Description {
            campaign,
            questionnaire: Arc::new(questionnaire),
            shape,
            units: units(),
            tree: Arc::new(tree),
            frames: (2..=6).map(|id| (id, UnitFrame::Whole(1000))).collect(),
            quotas: (2..=6)
                .map(|id| (id, if id == 2 { 80 } else { 100 }))
                .collect(),
            overrides: [(2, "Xã nhỏ".to_owned())].into_iter().collect(),
        };
        let query = ScoreQuery::official(&description.campaign).unwrap();
        CampaignState {
            description: Arc::new(description),
            statistics,
            version: 1,
        }
        .score(query)
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{day, scores, units};
    use super::*;

    /// On 5 March (half the campaign gone): the department has met its quota of 80,
    /// the district is behind (45 → 90), commune 18100 on track (60 → 120), 18101 at
    /// risk (30 → 60), 18102 at risk with nothing.
    fn campaign() -> CampaignScores {
        scores(&[(2, 100), (3, 45), (4, 60), (5, 30)])
    }

    fn build(
        scores: &CampaignScores,
        readable: Option<&HashSet<i32>>,
        query: &OverviewQuery,
    ) -> Result<Overview, OverviewError> {
        overview(scores, &units(), readable, query, day(5))
    }

    fn codes(rows: &[OverviewRow]) -> Vec<&str> {
        rows.iter().map(|r| r.quota.unit_code.as_str()).collect()
    }

    fn sorted(key: SortKey, dir: Direction) -> Vec<String> {
        let query = OverviewQuery {
            sort: Sort { key, dir },
            ..Default::default()
        };
        let overview = build(&campaign(), None, &query).unwrap();
        codes(&overview.rows)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn units_at_risk_come_first_the_furthest_behind_first() {
        let scores = campaign();
        let overview = build(&scores, None, &OverviewQuery::default()).unwrap();
        assert_eq!(
            codes(&overview.rows),
            ["18102", "18101", "436", "18100", "S-NV"]
        );
        let statuses: Vec<QuotaStatus> = overview.rows.iter().map(|r| r.quota.status).collect();
        use QuotaStatus::*;
        assert_eq!(statuses, [AtRisk, AtRisk, Behind, OnTrack, Met]);
        let short: Vec<u64> = overview.rows.iter().map(|r| r.short_by).collect();
        assert_eq!(short, [100, 40, 10, 0, 0]);
        assert_eq!(overview.counts, StatusCounts([2, 1, 1, 1]));
        assert_eq!(overview.counts.get(QuotaStatus::AtRisk), 2);
        assert_eq!(overview.counts.total(), 5);
        assert_eq!(overview.unit_types, ["commune", "department", "district"]);
        // The province has no quota, but it names the parent of the district.
        assert_eq!(
            overview.parents,
            [
                ("42".to_owned(), "Tỉnh Hà Tĩnh".to_owned()),
                ("436".to_owned(), "Huyện Đức Thọ".to_owned())
            ]
        );
    }

    #[test]
    fn sorts_by_every_column_both_ways() {
        use Direction::*;
        let cases: [(SortKey, [&str; 5]); 9] = [
            // Case and accents: "huyện", "sở", "xã an", "xã bùi", "xã đức".
            (SortKey::Unit, ["436", "S-NV", "18101", "18100", "18102"]),
            // Ties (the communes) keep the default order.
            (SortKey::Type, ["18102", "18101", "18100", "S-NV", "436"]),
            (SortKey::Quota, ["S-NV", "18102", "18101", "436", "18100"]),
            (
                SortKey::Responses,
                ["18102", "18101", "436", "18100", "S-NV"],
            ),
            (
                SortKey::Progress,
                ["18102", "18101", "436", "18100", "S-NV"],
            ),
            (
                SortKey::Expected,
                ["S-NV", "18102", "18101", "436", "18100"],
            ),
            (
                SortKey::Projected,
                ["18102", "18101", "436", "18100", "S-NV"],
            ),
            (SortKey::ShortBy, ["18100", "S-NV", "436", "18101", "18102"]),
            (SortKey::Status, ["18102", "18101", "436", "18100", "S-NV"]),
        ];
        for (key, ascending) in cases {
            assert_eq!(sorted(key, Asc), ascending, "{key:?} ascending");
        }
        assert_eq!(
            sorted(SortKey::Status, Desc),
            ["S-NV", "18100", "436", "18101", "18102"]
        );
        assert_eq!(
            sorted(SortKey::Unit, Desc),
            ["18102", "18100", "18101", "S-NV", "436"]
        );
        // Descending reverses the column only: equal short-falls keep the default order.
        assert_eq!(
            sorted(SortKey::ShortBy, Desc),
            ["18102", "18101", "436", "18100", "S-NV"]
        );
        assert_eq!(
            sorted(SortKey::Quota, Desc),
            ["18102", "18101", "436", "18100", "S-NV"]
        );
        for key in SortKey::ALL {
            assert_eq!(SortKey::parse(key.as_str()), Some(key));
        }
        assert_eq!(SortKey::parse("name"), None);
        assert_eq!(Direction::parse("desc"), Some(Desc));
        assert_eq!(Direction::parse("down"), None);
    }

    #[test]
    fn filters_by_type_parent_and_status_counting_before_the_status() {
        let scores = campaign();
        let communes = OverviewQuery {
            unit_type: Some("commune".into()),
            ..Default::default()
        };
        let overview = build(&scores, None, &communes).unwrap();
        assert_eq!(codes(&overview.rows), ["18102", "18101", "18100"]);
        assert_eq!(overview.counts, StatusCounts([2, 0, 1, 0]));

        let under_district = OverviewQuery {
            parent: Some("436".into()),
            status: Some(QuotaStatus::AtRisk),
            ..Default::default()
        };
        let overview = build(&scores, None, &under_district).unwrap();
        assert_eq!(codes(&overview.rows), ["18102", "18101"]);
        assert_eq!(
            overview.counts,
            StatusCounts([2, 0, 1, 0]),
            "all three communes"
        );
        assert_eq!(overview.readable.len(), 5, "alerts see every readable unit");

        let under_province = OverviewQuery {
            parent: Some("42".into()),
            ..Default::default()
        };
        assert_eq!(build(&scores, None, &under_province).unwrap().rows.len(), 5);

        let unknown = OverviewQuery {
            parent: Some("99999".into()),
            ..Default::default()
        };
        assert_eq!(
            build(&scores, None, &unknown).unwrap_err(),
            OverviewError::UnknownParent("99999".into())
        );
        let nothing = OverviewQuery {
            unit_type: Some("ward".into()),
            ..Default::default()
        };
        let overview = build(&scores, None, &nothing).unwrap();
        assert!(overview.rows.is_empty());
        assert_eq!(overview.counts.total(), 0);
    }

    #[test]
    fn a_scope_reads_only_its_units() {
        let scores = campaign();
        let two_communes: HashSet<i32> = [4, 5].into();
        let overview = build(&scores, Some(&two_communes), &OverviewQuery::default()).unwrap();
        assert_eq!(codes(&overview.rows), ["18101", "18100"]);
        assert_eq!(codes(&overview.readable), ["18100", "18101"]);
        assert_eq!(
            overview.statuses().into_iter().collect::<Vec<_>>(),
            [
                ("18100".to_owned(), "on_track".to_owned()),
                ("18101".to_owned(), "at_risk".to_owned())
            ]
        );
        assert_eq!(overview.unit_types, ["commune"]);
        assert!(overview.parents.is_empty(), "their district is not theirs");
        // A parent outside the scope is the same answer as an unknown one.
        let district = OverviewQuery {
            parent: Some("436".into()),
            ..Default::default()
        };
        assert_eq!(
            build(&scores, Some(&two_communes), &district).unwrap_err(),
            OverviewError::UnknownParent("436".into())
        );
        let district_scope: HashSet<i32> = [3, 4, 5, 6].into();
        let overview = build(&scores, Some(&district_scope), &district).unwrap();
        assert_eq!(codes(&overview.rows), ["18102", "18101", "18100"]);
        assert_eq!(
            overview.parents,
            [("436".to_owned(), "Huyện Đức Thọ".to_owned())]
        );
    }

    fn statuses(pairs: &[(&str, &str)]) -> Statuses {
        pairs
            .iter()
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn alerts_list_changes_worst_first() {
        let scores = campaign();
        let overview = build(&scores, None, &OverviewQuery::default()).unwrap();
        let baseline = statuses(&[
            ("18100", "behind"),   // rose to on track
            ("18101", "at_risk"),  // unchanged
            ("18102", "on_track"), // fell to at risk
            ("436", "met"),        // fell to behind (cannot happen, but is a change)
            ("99999", "at_risk"),  // no longer in the campaign
            ("S-NV", "late"),      // unreadable: ignored
        ]);
        let alerts = alerts(&baseline, &overview.readable);
        let got: Vec<(&str, &str, &str)> = alerts
            .iter()
            .map(|a| (a.unit_code.as_str(), a.from.as_str(), a.to.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("18102", "on_track", "at_risk"),
                ("436", "met", "behind"),
                ("18100", "behind", "on_track"),
            ]
        );
        assert_eq!(alerts[0].unit_name, "Xã Đức Đồng");
        assert!(super::alerts(&overview.statuses(), &overview.readable).is_empty());
    }

    #[test]
    fn a_fall_comes_before_a_rise_to_the_same_status() {
        // 18101 rose from at risk to behind, 436 fell from on track to behind.
        let scores = scores(&[(3, 45), (5, 45)]);
        let overview = build(&scores, None, &OverviewQuery::default()).unwrap();
        let baseline = statuses(&[("18101", "at_risk"), ("436", "on_track")]);
        let order: Vec<String> = alerts(&baseline, &overview.readable)
            .into_iter()
            .map(|a| a.unit_code)
            .collect();
        assert_eq!(order, ["436", "18101"]);
    }

    #[test]
    fn a_sitting_keeps_its_baseline() {
        let at = |h: u32, m: u32| day(5).and_hms_opt(h, m, 0).unwrap().and_utc();
        let monday = statuses(&[("18100", "on_track")]);
        let first = next_visit(None, at(1, 0), monday.clone());
        assert_eq!(first.baseline, None, "nothing to compare with");
        assert_eq!(first.next.seen, monday);

        let tuesday = statuses(&[("18100", "at_risk")]);
        // Three hours later: a new sitting compares with what the last one saw.
        let second = next_visit(Some(first.next), at(4, 0), tuesday.clone());
        assert_eq!(second.baseline, Some((at(1, 0), monday.clone())));
        assert_eq!(second.next.seen, tuesday);
        assert_eq!(second.next.seen_at, at(4, 0));

        // Ten minutes later, sorting the table: the same sitting, the same alerts.
        let third = next_visit(Some(second.next), at(4, 10), tuesday.clone());
        assert_eq!(third.baseline, Some((at(1, 0), monday.clone())));
        // Another ten: the sitting goes on from its last visit.
        let fourth = next_visit(Some(third.next), at(4, 20), tuesday.clone());
        assert_eq!(fourth.baseline, Some((at(1, 0), monday)));

        // The next morning compares with what the reader saw last.
        let fifth = next_visit(Some(fourth.next), at(23, 0), tuesday.clone());
        assert_eq!(fifth.baseline, Some((at(4, 20), tuesday.clone())));

        // Reloaded every twenty minutes: a new sitting every two hours all the same.
        let mut visit = fifth.next;
        let mut baselines = Vec::new();
        for minutes in (20..=240).step_by(20) {
            let now = at(23, 0) + chrono::TimeDelta::minutes(minutes);
            let outcome = next_visit(Some(visit), now, tuesday.clone());
            baselines.push(outcome.baseline.unwrap().0);
            visit = outcome.next;
        }
        // The sitting that began at 23:00 ends at 01:00, the next at 03:00.
        let moved: Vec<usize> = (1..baselines.len())
            .filter(|&i| baselines[i] != baselines[i - 1])
            .collect();
        assert_eq!(moved, [5, 11], "{baselines:?}");
    }
}
