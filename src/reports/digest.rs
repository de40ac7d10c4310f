//! The daily digest: for one day of a campaign, each readable unit's responses received
//! that day, its total at the end of the day, and its status at the end of the day
//! before and of that day; the units whose status changed, worst first.
//!
//! Days are the campaign's local days. Vietnam (Asia/Ho_Chi_Minh) keeps UTC+07:00 all
//! year, with no daylight saving since 1975, so a day is fixed: day D runs from
//! D 00:00+07:00 (D−1 17:00 UTC) up to, not including, D+1 00:00+07:00. A response
//! belongs to the day of its `submitted_at` in that offset.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use sipas_domain::quota::{QuotaStatus, pace};

use super::overview::severity;
use crate::scores::CampaignScores;
use crate::storage::CampaignRecord;
use crate::storage::daily::UnitTally;

/// The campaigns' offset from UTC, in seconds: Vietnam's UTC+07:00.
pub const UTC_OFFSET_SECONDS: i32 = 7 * 3600;

fn offset() -> FixedOffset {
    FixedOffset::east_opt(UTC_OFFSET_SECONDS).expect("a valid offset")
}

/// The local day of an instant.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&offset()).date_naive()
}

/// An instant in local time (for "seen at 07:45").
pub fn local_time(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.with_timezone(&offset()).naive_local()
}

/// The instants a local day runs between: `[start, end)`.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        offset()
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    };
    (start_of(day), start_of(day + Duration::days(1)))
}

/// Why a day has no digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("the campaign has not started yet")]
    NotStarted,
    /// Outside the days a digest exists for: the campaign's days up to today.
    #[error("no digest for that day")]
    OutOfRange { first: NaiveDate, last: NaiveDate },
}

/// The days a digest exists for: from the campaign's first day to its last, or to
/// today while it runs.
pub fn days(
    campaign: &CampaignRecord,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), DayError> {
    if today < campaign.starts_on {
        return Err(DayError::NotStarted);
    }
    Ok((campaign.starts_on, campaign.ends_on.min(today)))
}

/// The day asked for, or by default yesterday (the last complete day), the campaign's
/// first day on its first day, and its last day once it has ended.
pub fn pick_day(
    campaign: &CampaignRecord,
    today: NaiveDate,
    asked: Option<NaiveDate>,
) -> Result<NaiveDate, DayError> {
    let (first, last) = days(campaign, today)?;
    match asked {
        Some(day) if day < first || day > last => Err(DayError::OutOfRange { first, last }),
        Some(day) => Ok(day),
        None if today > campaign.ends_on => Ok(campaign.ends_on),
        None => Ok((today - Duration::days(1)).clamp(first, last)),
    }
}

/// One unit on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRow {
    pub unit_code: String,
    pub unit_name: String,
    pub quota: u64,
    /// Counted responses submitted that day.
    pub received: u64,
    /// Counted responses at the end of the day.
    pub total: u64,
    /// The status at the end of the day before (its pace as of that day).
    pub before: QuotaStatus,
    /// The status at the end of the day.
    pub after: QuotaStatus,
    /// What the pace so far gives at the end, as of the day.
    pub projected_at_end: f64,
}

impl DigestRow {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// A day's digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub day: NaiveDate,
    /// Every readable unit with a quota: worst status at the end of the day first,
    /// then the furthest behind.
    pub rows: Vec<DigestRow>,
    /// Indexes into `rows` of the units whose status changed that day, worst first (a
    /// fall before a rise).
    pub changed: Vec<usize>,
    pub received: u64,
    pub total: u64,
    pub quota: u64,
    /// The days before and after with a digest.
    pub previous_day: Option<NaiveDate>,
    pub next_day: Option<NaiveDate>,
}

/// The digest of `day` for the readable units with a quota (`None`: every unit), from
/// each unit's counted responses before the day and before its end.
pub fn digest(
    scores: &CampaignScores,
    readable: Option<&HashSet<i32>>,
    tallies: &HashMap<i32, UnitTally>,
    day: NaiveDate,
    today: NaiveDate,
) -> Digest {
    let campaign = &scores.campaign;
    let (starts, ends) = (campaign.starts_on, campaign.ends_on);
    let mut rows: Vec<DigestRow> = scores
        .units
        .iter()
        .filter(|u| readable.is_none_or(|r| r.contains(&u.unit.id)))
        .filter_map(|u| {
            let quota = u.quota?;
            let tally = tallies.get(&u.unit.id).copied().unwrap_or_default();
            let before = pace(
                tally.before_start,
                quota,
                starts,
                ends,
                day - Duration::days(1),
            );
            let after = pace(tally.before_end, quota, starts, ends, day);
            Some(DigestRow {
                unit_code: u.unit.code.clone(),
                unit_name: u.unit.name.clone(),
                quota,
                received: tally.before_end.saturating_sub(tally.before_start),
                total: tally.before_end,
                before: before.status,
                after: after.status,
                projected_at_end: after.projected_at_end,
            })
        })
        .collect();
    let share = |r: &DigestRow| {
        if r.quota == 0 {
            f64::INFINITY
        } else {
            r.projected_at_end / r.quota as f64
        }
    };
    rows.sort_by(|a, b| {
        severity(a.after)
            .cmp(&severity(b.after))
            .then(share(a).total_cmp(&share(b)))
            .then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    let mut changed: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].changed()).collect();
    changed.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let fell = |r: &DigestRow| severity(r.after) < severity(r.before);
        severity(a.after)
            .cmp(&severity(b.after))
            .then_with(|| fell(b).cmp(&fell(a)))
            .then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    let (previous_day, next_day) = match days(campaign, today) {
        Ok((first, last)) => (
            (day > first).then(|| day - Duration::days(1)),
            (day < last).then(|| day + Duration::days(1)),
        ),
        Err(_) => (None, None),
    };
    Digest {
        day,
        received: rows.iter().map(|r| r.received).sum(),
        total: rows.iter().map(|r| r.total).sum(),
        quota: rows.iter().map(|r| r.quota).sum(),
        rows,
        changed,
        previous_day,
        next_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::overview::fixture::{day, scores};

    fn tally(before_start: u64, before_end: u64) -> UnitTally {
        UnitTally {
            before_start,
            before_end,
        }
    }

    #[test]
    fn a_day_is_the_vietnamese_day() {
        let (start, end) = day_bounds(day(5));
        assert_eq!(start.to_rfc3339(), "2026-03-04T17:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-03-05T17:00:00+00:00");
        assert_eq!(local_day(start), day(5));
        assert_eq!(local_day(start - Duration::seconds(1)), day(4));
        assert_eq!(local_day(end - Duration::seconds(1)), day(5));
        assert_eq!(
            local_time(start).format("%d/%m/%Y %H:%M").to_string(),
            "05/03/2026 00:00"
        );
    }

    #[test]
    fn picks_yesterday_or_the_last_day() {
        let campaign = scores(&[]).campaign;
        // Running (1–10 March): yesterday by default, any day up to today.
        assert_eq!(pick_day(&campaign, day(8), None), Ok(day(7)));
        assert_eq!(pick_day(&campaign, day(8), Some(day(8))), Ok(day(8)));
        assert_eq!(pick_day(&campaign, day(8), Some(day(1))), Ok(day(1)));
        assert_eq!(
            pick_day(&campaign, day(8), Some(day(9))),
            Err(DayError::OutOfRange {
                first: day(1),
                last: day(8)
            })
        );
        assert!(pick_day(&campaign, day(8), Some(day(1) - Duration::days(1))).is_err());
        // Its first day: that day so far.
        assert_eq!(pick_day(&campaign, day(1), None), Ok(day(1)));
        // Ended: its last day.
        assert_eq!(pick_day(&campaign, day(20), None), Ok(day(10)));
        assert_eq!(pick_day(&campaign, day(11), None), Ok(day(10)));
        assert!(pick_day(&campaign, day(20), Some(day(11))).is_err());
        // Not started.
        let early = day(1) - Duration::days(3);
        assert_eq!(pick_day(&campaign, early, None), Err(DayError::NotStarted));
    }

    #[test]
    fn counts_the_day_and_paces_both_ends() {
        let scores = scores(&[]);
        // End of 4 March (40 % gone) → end of 5 March (50 %).
        let tallies = HashMap::from([
            (2, tally(79, 80)), // quota 80: on track → met
            (4, tally(48, 60)), // 120 → 120: on track both days
            (5, tally(30, 45)), // 75 at risk → 90 behind
            (6, tally(40, 40)), // 100 on track → 80 behind
        ]);
        let digest = digest(&scores, None, &tallies, day(5), day(8));
        let rows: Vec<(&str, u64, u64, &str, &str)> = digest
            .rows
            .iter()
            .map(|r| {
                (
                    r.unit_code.as_str(),
                    r.received,
                    r.total,
                    r.before.as_str(),
                    r.after.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("436", 0, 0, "at_risk", "at_risk"),
                ("18102", 0, 40, "on_track", "behind"),
                ("18101", 15, 45, "at_risk", "behind"),
                ("18100", 12, 60, "on_track", "on_track"),
                ("S-NV", 1, 80, "on_track", "met"),
            ]
        );
        let changed: Vec<&str> = digest
            .changed
            .iter()
            .map(|&i| digest.rows[i].unit_code.as_str())
            .collect();
        assert_eq!(changed, ["18102", "18101", "S-NV"], "a fall first");
        assert_eq!(
            (digest.received, digest.total, digest.quota),
            (28, 225, 480)
        );
        assert_eq!(digest.previous_day, Some(day(4)));
        assert_eq!(digest.next_day, Some(day(6)));

        let scope: HashSet<i32> = [4].into();
        let mine = super::digest(&scores, Some(&scope), &tallies, day(5), day(5));
        assert_eq!(mine.rows.len(), 1);
        assert_eq!((mine.received, mine.total), (12, 60));
        assert_eq!(mine.next_day, None, "today is the last day so far");
        let first = super::digest(&scores, None, &HashMap::new(), day(1), day(5));
        assert_eq!(first.previous_day, None);
        assert!(first.rows.iter().all(|r| r.total == 0));
        assert_eq!(first.quota, 480);
    }
}
