//! The unit page's views, built here once for the page and its charts: the unit's
//! figures (from the computed scores, through [`super::scores::unit_score`]), what its
//! responses show over time and by channel (folded from its stored responses), a page
//! of its comments, and the change since an earlier round (from
//! [`super::change::change`]). Pure: rows and computed scores in, view structs out.
//!
//! The daily and weekly views count exactly what the scores count: responses of the
//! campaign's official channels, not flagged, with at least one answer. The weekly
//! index is the unit's SIPAS index over every such response until the end of each
//! week, computed as the score book computes it (the unit's frame, the campaign's
//! reference design effects, its confidence), so the last week is today's figure.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sipas_domain::campaign::CampaignStatus;
use sipas_domain::campaign::{Channel, Channels, vietnam_day, vietnam_time};
use sipas_domain::statistics::{
    Accumulator, BulkFold, DesignEffectReference, Estimate, MAX_ANSWER, QuestionnaireShape,
    ScoringOptions, score_unit,
};
use sipas_templates::Lang;
use sipas_templates::staff::unit::{
    CampaignHead, ChangeFigures, ChangeSection, ChannelRow, CommentItem, CommentsPage,
    CriterionFigure, DayCount, Delta, DeskRow, ElementChangeRow, ElementFigure, Figure, ParFigure,
    ReasonRow, UnitActivity, UnitFigures, UnitHead, UnitPage, WeekPoint,
};

use super::change::ChangeView;
use crate::scores::book::{UnitFrame, unit_design};
use crate::scores::{CampaignScores, UnitInfo, UnitScores};
use crate::storage::activity::{CommentRow, ResponseRow};
use crate::storage::{CampaignRecord, ServicePointRecord};

/// What the unit page is made of, gathered by its handler.
pub struct PageParts<'a> {
    pub lang: Lang,
    pub campaign: &'a CampaignRecord,
    pub unit: &'a UnitInfo,
    pub parent: Option<&'a UnitInfo>,
    pub figures: Option<UnitFigures>,
    pub activity: UnitActivity,
    /// `None` for a reader who does not read comments.
    pub comments: Option<CommentsPage>,
    pub change: ChangeSection,
    pub desks: &'a [ServicePointRecord],
    pub today: NaiveDate,
}

/// The unit page's view.
pub fn page(parts: PageParts<'_>) -> UnitPage {
    let c = parts.campaign;
    UnitPage {
        lang: parts.lang,
        campaign: CampaignHead {
            code: c.code.clone(),
            name: c.name.clone(),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            demo: c.is_demo,
            // A poster is printed for a round that takes answers, or soon will.
            posters: matches!(c.status, CampaignStatus::Draft | CampaignStatus::Open),
        },
        unit: UnitHead {
            code: parts.unit.code.clone(),
            name: parts.unit.name.clone(),
            parent: parts.parent.map(|p| (p.name.clone(), p.code.clone())),
        },
        figures: parts.figures,
        activity: parts.activity,
        comments: parts.comments,
        change: parts.change,
        desks: parts
            .desks
            .iter()
            .map(|sp| DeskRow {
                code: sp.code.clone(),
                name: sp.name.clone(),
                open: sp.is_open_on(parts.today),
            })
            .collect(),
        manage_desks: false,
    }
}

/// An estimate as the page shows it.
pub fn figure(e: &Estimate) -> Figure {
    Figure {
        estimate: e.estimate,
        low: e.ci_low,
        high: e.ci_high,
    }
}

/// The unit's figures in the page's language.
pub fn figures(scores: &CampaignScores, unit: &UnitScores, lang: Lang) -> UnitFigures {
    let view = super::scores::unit_score(scores, unit, true);
    let q = &scores.questionnaire;
    let pick = |b: &sipas_domain::questionnaire::Bilingual| match lang {
        Lang::Vi => b.vi.clone(),
        Lang::En => b.en.clone(),
    };
    let elements = q
        .elements
        .iter()
        .zip(view.elements.unwrap_or_default())
        .map(|(e, score)| ElementFigure {
            code: score.code,
            name: pick(&e.name),
            index: figure(&score.index),
            mean_score: figure(&score.mean_score),
        })
        .collect();
    let criteria = q
        .criteria()
        .zip(view.criteria.unwrap_or_default())
        .map(|((_, c), score)| CriterionFigure {
            code: score.code,
            text: pick(&c.text),
            element: score.element,
            answered: score.answered,
            satisfied: score.satisfied,
            index: Figure {
                estimate: score.estimate,
                low: score.ci_low,
                high: score.ci_high,
            },
        })
        .collect();
    UnitFigures {
        confidence: scores.query.options.confidence.level(),
        n: view.n,
        quota: view.quota,
        quota_override: unit.quota_override.clone(),
        quota_href: None,
        population: view.population,
        sipas: figure(&view.sipas),
        mean_score: figure(&view.mean_score),
        par: view.par.map(|p| ParFigure {
            max: p.survey_max_points,
            points: Figure {
                estimate: p.points,
                low: p.ci_low,
                high: p.ci_high,
            },
        }),
        flags: view.flags,
        elements,
        criteria,
    }
}

/// The campaign's reference design effects, pooled over its units as the score book
/// pooled them for these scores.
pub fn design_effect_reference(
    shape: &QuestionnaireShape,
    scores: &CampaignScores,
) -> DesignEffectReference {
    DesignEffectReference::pool(shape, scores.units.iter().map(|u| &u.moments))
}

/// What the weekly index is computed against: the unit's frame and quota, the
/// campaign's scoring options and reference design effects.
pub struct WeeklyBasis<'a> {
    pub frame: Option<&'a UnitFrame>,
    pub quota: Option<u64>,
    pub options: ScoringOptions,
    pub reference: &'a DesignEffectReference,
}

/// Folds a unit's stored responses, one at a time, into the daily, weekly and channel
/// views.
pub struct ActivityFold {
    shape: QuestionnaireShape,
    official: Channels,
    starts_on: NaiveDate,
    /// Counted responses of official channels, by Vietnamese day.
    days: BTreeMap<NaiveDate, u64>,
    /// Counted and flagged responses, by channel (in `Channel::ALL` order).
    channels: [(u64, u64); Channel::ALL.len()],
    reasons: BTreeMap<String, u64>,
    /// The week's counted responses of official channels, by week (0: the campaign's
    /// first) and desk.
    weeks: BTreeMap<i64, BTreeMap<i32, BulkFold>>,
    values: Vec<u8>,
    /// Rows that fit no questionnaire or channel: left out, as the score book does.
    damaged: u64,
}

impl ActivityFold {
    /// For a campaign's questionnaire of this shape, counting these channels, whose
    /// weeks start on `starts_on`.
    pub fn new(shape: &QuestionnaireShape, official: Channels, starts_on: NaiveDate) -> Self {
        Self {
            shape: shape.clone(),
            official,
            starts_on,
            days: BTreeMap::new(),
            channels: [(0, 0); Channel::ALL.len()],
            reasons: BTreeMap::new(),
            weeks: BTreeMap::new(),
            values: Vec::new(),
            damaged: 0,
        }
    }

    /// The week of a day, 0 for the campaign's first seven days.
    fn week_of(&self, day: NaiveDate) -> i64 {
        (day - self.starts_on).num_days().div_euclid(7)
    }

    pub fn add(&mut self, row: &ResponseRow) {
        let Some(channel) = row.channel else {
            self.damaged += 1;
            return;
        };
        let slot = Channel::ALL
            .iter()
            .position(|c| *c == channel)
            .expect("a known channel");
        if let Some(reason) = &row.exclusion {
            self.channels[slot].1 += 1;
            *self.reasons.entry(reason.clone()).or_default() += 1;
            return;
        }
        self.values.clear();
        self.values
            .extend(row.answers.bytes().map(|d| d.wrapping_sub(b'0')));
        // What the score book counts: every answer on the scale, at least one given.
        if self.values.len() != self.shape.criteria()
            || self.values.iter().any(|v| *v > MAX_ANSWER)
            || self.values.iter().all(|v| *v == 0)
        {
            self.damaged += 1;
            return;
        }
        self.channels[slot].0 += 1;
        if !self.official.contains(channel) {
            return;
        }
        let day = vietnam_day(row.submitted_at);
        *self.days.entry(day).or_default() += 1;
        let week = self.week_of(day);
        let shape = &self.shape;
        let fold = self
            .weeks
            .entry(week)
            .or_default()
            .entry(row.service_point_id)
            .or_insert_with(|| BulkFold::new(shape));
        // Validated above: the fold takes it.
        let _ = fold.add(&self.values);
    }

    /// Rows left out as damaged.
    pub fn damaged(&self) -> u64 {
        self.damaged
    }

    /// The views, with days up to `today` or the campaign's end, whichever is earlier
    /// (and any day that has responses).
    pub fn finish(
        self,
        ends_on: NaiveDate,
        today: NaiveDate,
        basis: &WeeklyBasis<'_>,
    ) -> UnitActivity {
        let first = self
            .days
            .keys()
            .next()
            .map_or(self.starts_on, |d| (*d).min(self.starts_on));
        let last = self
            .days
            .keys()
            .next_back()
            .map_or(ends_on.min(today), |d| (*d).max(ends_on.min(today)));
        let days: Vec<DayCount> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|day| DayCount {
                day,
                count: self.days.get(&day).copied().unwrap_or(0),
            })
            .collect();
        let weeks = if days.is_empty() {
            Vec::new()
        } else {
            self.weekly(first, last, basis)
        };
        UnitActivity {
            confidence: basis.options.confidence.level(),
            days,
            weeks,
            channels: Channel::ALL
                .iter()
                .zip(self.channels)
                .map(|(c, (counted, flagged))| ChannelRow {
                    channel: c.as_str().to_owned(),
                    counted,
                    flagged,
                    official: self.official.contains(*c),
                })
                .collect(),
            flagged: self
                .reasons
                .into_iter()
                .map(|(reason, count)| ReasonRow { reason, count })
                .collect(),
        }
    }

    /// The cumulative index at the end of every week from `first` to `last`.
    fn weekly(&self, first: NaiveDate, last: NaiveDate, basis: &WeeklyBasis<'_>) -> Vec<WeekPoint> {
        let empty = Accumulator::new(&self.shape);
        let mut so_far: BTreeMap<i32, Accumulator> = BTreeMap::new();
        let mut points = Vec::new();
        for week in self.week_of(first)..=self.week_of(last) {
            if let Some(desks) = self.weeks.get(&week) {
                for (desk, fold) in desks {
                    let sample = fold.clone().finish();
                    match so_far.entry(*desk) {
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert(sample);
                        }
                        std::collections::btree_map::Entry::Occupied(mut o) => {
                            // Same questionnaire, same shape: merging cannot fail.
                            let _ = o.get_mut().merge(&sample);
                        }
                    }
                }
            }
            let samples: BTreeMap<i32, Cow<'_, Accumulator>> = so_far
                .iter()
                .map(|(desk, a)| (*desk, Cow::Borrowed(a)))
                .collect();
            let n: u64 = so_far.values().map(Accumulator::responses).sum();
            let sipas = if n == 0 {
                Figure::default()
            } else {
                let design = unit_design(basis.frame, &samples, &empty);
                score_unit(
                    &self.shape,
                    &design,
                    basis.options,
                    basis.reference,
                    basis.quota,
                )
                .map(|r| figure(&r.sipas))
                .unwrap_or_default()
            };
            let start = self.starts_on + chrono::Duration::days(7 * week);
            points.push(WeekPoint {
                number: week + 1,
                first: start.max(first),
                last: (start + chrono::Duration::days(6)).min(last),
                n,
                sipas,
            });
        }
        points
    }
}

/// Folds text for a search: lower case, without Vietnamese diacritics (đ is d), so
/// "thai do" finds "Thái độ" and "THÁI ĐỘ".
pub fn fold_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Comments per page.
pub const COMMENTS_PER_PAGE: usize = 20;

/// Keeps the comments of one page among those that match a search, newest first, and
/// counts every match.
pub struct CommentSearch {
    query: String,
    needle: String,
    page: usize,
    matching: u64,
    items: Vec<CommentRow>,
}

impl CommentSearch {
    /// `page` is 1-based; 0 is read as 1.
    pub fn new(query: &str, page: usize) -> Self {
        let query = query.trim().to_owned();
        Self {
            needle: fold_text(&query),
            query,
            page: page.max(1),
            matching: 0,
            items: Vec::new(),
        }
    }

    /// Offers the next comment (newest first).
    pub fn offer(&mut self, row: CommentRow) {
        if !self.needle.is_empty() && !fold_text(&row.comment).contains(&self.needle) {
            return;
        }
        let index = self.matching as usize;
        self.matching += 1;
        // Saturating: a page number typed into the URL may be absurdly large.
        let from = (self.page - 1).saturating_mul(COMMENTS_PER_PAGE);
        if (from..from.saturating_add(COMMENTS_PER_PAGE)).contains(&index) {
            self.items.push(row);
        }
    }

    /// The last page when the one asked for is past it (read again for that one).
    pub fn past_the_end(&self) -> Option<usize> {
        let pages = (self.matching as usize).div_ceil(COMMENTS_PER_PAGE);
        (pages > 0 && self.page > pages).then_some(pages)
    }

    /// The page, with desks named; a page past the last shows none.
    pub fn finish(self, desks: &HashMap<i32, String>) -> CommentsPage {
        let pages = (self.matching as usize).div_ceil(COMMENTS_PER_PAGE);
        CommentsPage {
            query: self.query,
            page: self.page,
            pages,
            matching: self.matching,
            items: self
                .items
                .into_iter()
                .map(|r| CommentItem {
                    at: vietnam_time(r.submitted_at),
                    channel: r.channel,
                    desk: desks.get(&r.service_point_id).cloned().unwrap_or_default(),
                    text: r.comment,
                })
                .collect(),
        }
    }
}

/// The change since an earlier round, for the page: the earlier units named as
/// `names` gives them (code → name in that round).
pub fn change(
    view: &ChangeView,
    from_name: &str,
    names: &HashMap<String, String>,
    lang: Lang,
) -> ChangeFigures {
    let delta = |c: &sipas_domain::statistics::Change| Delta {
        estimate: c.estimate,
        low: c.ci_low,
        high: c.ci_high,
        significant: c.significant,
    };
    let figure = |f: &super::change::Figure| Figure {
        estimate: f.estimate,
        low: f.ci_low,
        high: f.ci_high,
    };
    ChangeFigures {
        from_code: view.from.campaign.clone(),
        from_name: from_name.to_owned(),
        same_unit: view.comparison == "same_unit",
        from_units: view
            .from
            .units
            .iter()
            .map(|code| {
                (
                    code.clone(),
                    names.get(code).cloned().unwrap_or_else(|| code.clone()),
                )
            })
            .collect(),
        from_n: view.from.n,
        from: Figure {
            estimate: view.from.estimate,
            low: view.from.ci_low,
            high: view.from.ci_high,
        },
        to: Figure {
            estimate: view.to.estimate,
            low: view.to.ci_low,
            high: view.to.ci_high,
        },
        change: view.change.as_ref().map(delta),
        flags: view.flags.clone(),
        elements: view
            .elements
            .iter()
            .map(|e| ElementChangeRow {
                name: match lang {
                    Lang::Vi => e.name_vi.clone(),
                    Lang::En => e.name_en.clone(),
                },
                from: figure(&e.from),
                to: figure(&e.to),
                change: e.change.as_ref().map(delta),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use sipas_domain::statistics::{Confidence, Design};

    /// Two elements: criteria 1–2, then criterion 3.
    fn shape() -> QuestionnaireShape {
        QuestionnaireShape::new(vec![0, 0, 1]).unwrap()
    }

    fn row(
        id: i64,
        day: u32,
        hour: u32,
        channel: Channel,
        answers: &str,
        exclusion: Option<&str>,
    ) -> ResponseRow {
        ResponseRow {
            id,
            service_point_id: 1 + (id % 2) as i32,
            channel: Some(channel),
            answers: answers.to_owned(),
            // Hours in UTC: 17:00 UTC is already the next day in Vietnam.
            submitted_at: Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap(),
            exclusion: exclusion.map(str::to_owned),
        }
    }

    fn options() -> ScoringOptions {
        ScoringOptions {
            confidence: Confidence::new(0.95).unwrap(),
            method: Default::default(),
        }
    }

    #[test]
    fn counts_what_the_scores_count_by_vietnamese_day_and_week() {
        let start = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let official = Channels::only([Channel::ReceiptQr, Channel::Paper]);
        let mut fold = ActivityFold::new(&shape(), official, start);
        let answers = ["455", "345", "524", "111", "450", "554"];
        let mut id = 0;
        for (day, hour) in [(2, 1), (2, 18), (5, 3), (10, 9), (10, 10), (16, 2)] {
            id += 1;
            fold.add(&row(
                id,
                day,
                hour,
                Channel::Paper,
                answers[(id - 1) as usize],
                None,
            ));
        }
        // Not counted: a flagged one, an unofficial channel (counted by channel only),
        // one without any answer, one of the wrong shape.
        fold.add(&row(10, 3, 1, Channel::Paper, "555", Some("too_fast")));
        fold.add(&row(11, 3, 1, Channel::DeskQr, "555", None));
        fold.add(&row(12, 3, 1, Channel::Paper, "000", None));
        fold.add(&row(13, 3, 1, Channel::Paper, "55", None));
        assert_eq!(fold.damaged(), 2);

        let reference = DesignEffectReference::default();
        let basis = WeeklyBasis {
            frame: Some(&UnitFrame::Whole(100)),
            quota: Some(10),
            options: options(),
            reference: &reference,
        };
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let ends = NaiveDate::from_ymd_opt(2026, 4, 30).unwrap();
        let activity = fold.finish(ends, today, &basis);
        let days: Vec<(u32, u64)> = activity
            .days
            .iter()
            .filter(|d| d.count > 0)
            .map(|d| (chrono::Datelike::day(&d.day), d.count))
            .collect();
        // 18:00 UTC on the 2nd is the 3rd in Vietnam.
        assert_eq!(days, vec![(2, 1), (3, 1), (5, 1), (10, 2), (16, 1)]);
        assert_eq!(activity.days.first().unwrap().day, start);
        assert_eq!(activity.days.last().unwrap().day, today);
        assert_eq!(activity.channels[0].channel, "desk_qr");
        assert_eq!(
            (activity.channels[0].counted, activity.channels[0].official),
            (1, false)
        );
        assert_eq!(
            (activity.channels[2].counted, activity.channels[2].flagged),
            (6, 1)
        );
        assert_eq!(
            activity.flagged,
            vec![ReasonRow {
                reason: "too_fast".into(),
                count: 1
            }]
        );

        // Weeks from the 2nd: 2–8 (3 responses), 9–15 (5), 16–17 (6).
        let weeks: Vec<(i64, u64)> = activity.weeks.iter().map(|w| (w.number, w.n)).collect();
        assert_eq!(weeks, vec![(1, 3), (2, 5), (3, 6)]);
        assert_eq!(activity.weeks[2].last, today);
        // The last week is the unit's figure over all six, computed as the book does.
        let all: Vec<Vec<u8>> = answers
            .iter()
            .map(|a| a.bytes().map(|b| b - b'0').collect())
            .collect();
        let shape = shape();
        let odd =
            Accumulator::from_responses(&shape, [0, 2, 4].map(|i| all[i].as_slice())).unwrap();
        let even =
            Accumulator::from_responses(&shape, [1, 3, 5].map(|i| all[i].as_slice())).unwrap();
        let design = Design::Pooled {
            samples: vec![&even, &odd],
            population: Some(100),
        };
        let expected = score_unit(&shape, &design, options(), &reference, Some(10)).unwrap();
        assert_eq!(activity.weeks[2].sipas, figure(&expected.sipas));
        assert!(activity.weeks[0].sipas.low.is_some());
    }

    #[test]
    fn search_ignores_case_and_accents_and_pages() {
        assert_eq!(fold_text("Thái ĐỘ cán bộ"), "thai do can bo");
        let mut search = CommentSearch::new("  THAI do ", 2);
        for i in 0..45 {
            let text = if i % 2 == 0 {
                "Thái độ tốt"
            } else {
                "Chờ lâu"
            };
            search.offer(CommentRow {
                id: 100 - i,
                submitted_at: Utc.with_ymd_and_hms(2026, 3, 10, 17, 30, 0).unwrap(),
                channel: "desk_qr".into(),
                service_point_id: 7,
                comment: text.into(),
            });
        }
        assert_eq!(search.past_the_end(), None);
        let desks = HashMap::from([(7, "Một cửa".to_owned())]);
        let page = search.finish(&desks);
        assert_eq!((page.matching, page.pages, page.page), (23, 2, 2));
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.query, "THAI do");
        assert_eq!(page.items[0].desk, "Một cửa");
        let mut far = CommentSearch::new("", 9);
        far.offer(CommentRow {
            id: 1,
            submitted_at: Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0).unwrap(),
            channel: "paper".into(),
            service_point_id: 7,
            comment: "x".into(),
        });
        assert_eq!(far.past_the_end(), Some(1));
        // A page number typed into the URL as large as it gets is past the end too.
        let mut absurd = CommentSearch::new("", usize::MAX);
        absurd.offer(CommentRow {
            id: 2,
            submitted_at: Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0).unwrap(),
            channel: "paper".into(),
            service_point_id: 7,
            comment: "y".into(),
        });
        assert_eq!(absurd.past_the_end(), Some(1));
        // 17:30 UTC is 00:30 the next day in Vietnam.
        assert_eq!(page.items[0].at.to_string(), "2026-03-11 00:30:00");
    }
}
