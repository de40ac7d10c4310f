//! Campaigns (survey rounds) and how a response reached us.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::quota::{QuotaMethod, SampleDesign, SampleDesignError};
use crate::unit::is_valid_code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being prepared: frames and quotas may change, citizens cannot answer yet.
    Draft,
    /// Collecting responses.
    Open,
    /// No more responses; may be re-opened, or published.
    Closed,
    /// Scores are official: frozen as a snapshot. Nothing about the campaign changes
    /// unless it is closed again for a correction, re-published as a new snapshot.
    Published,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 4] = [Self::Draft, Self::Open, Self::Closed, Self::Published];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "published" => Some(Self::Published),
            _ => None,
        }
    }

    /// Citizens may answer only while the campaign is open.
    pub fn accepts_responses(self) -> bool {
        self == Self::Open
    }

    /// Frames and quotas change until the scores are published (a late frame
    /// correction while open or closed is legitimate); published figures must not move.
    pub fn frame_editable(self) -> bool {
        self != Self::Published
    }

    /// The campaign's settings (design, rules, dates), likewise until published.
    pub fn settings_editable(self) -> bool {
        self != Self::Published
    }

    /// The states this one may move to, in the order of the lifecycle.
    pub fn allowed_next(self) -> &'static [CampaignStatus] {
        match self {
            Self::Draft => &[Self::Open],
            Self::Open => &[Self::Closed],
            Self::Closed => &[Self::Open, Self::Published],
            // A correction: the snapshots stay, the re-publication is the next one.
            Self::Published => &[Self::Closed],
        }
    }

    /// Moves to `to` if the lifecycle allows it. Staying put is refused too, so a
    /// repeated request is reported rather than silently audited as a change.
    pub fn transition(self, to: CampaignStatus) -> Result<CampaignStatus, TransitionError> {
        if self.allowed_next().contains(&to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    /// "a draft", "an open", …: the state as an attribute of "campaign".
    fn with_article(self) -> &'static str {
        match self {
            Self::Draft => "a draft",
            Self::Open => "an open",
            Self::Closed => "a closed",
            Self::Published => "a published",
        }
    }

    /// The state as a complement of "become" / "is already".
    fn complement(self) -> &'static str {
        match self {
            Self::Draft => "a draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Published => "published",
        }
    }

    /// What moving from `from` to this state is called.
    fn verb_from(self, from: CampaignStatus) -> &'static str {
        match self {
            Self::Draft => "returned to draft",
            Self::Open if from == Self::Closed => "re-opened",
            Self::Open => "opened",
            Self::Closed if from == Self::Published => "closed for a correction",
            Self::Closed => "closed",
            Self::Published => "published",
        }
    }
}

/// A refused change of a campaign's status; its message says what is allowed instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct TransitionError {
    pub from: CampaignStatus,
    pub to: CampaignStatus,
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to) = (self.from, self.to);
        if from == to {
            return write!(f, "campaign is already {}", to.complement());
        }
        let allowed = from.allowed_next();
        if allowed.is_empty() {
            return write!(
                f,
                "{} campaign is final: it cannot become {}",
                from.with_article(),
                to.complement()
            );
        }
        let allowed: Vec<&str> = allowed.iter().map(|s| s.verb_from(from)).collect();
        write!(
            f,
            "{} campaign can only be {}, not {}",
            from.with_article(),
            allowed.join(" or "),
            to.verb_from(from)
        )
    }
}

/// How a response reached the service. Only a receipt QR proves the citizen was served;
/// a kiosk is a desk's shared tablet, answered at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    DeskQr,
    ReceiptQr,
    Paper,
    Interviewer,
    Kiosk,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::DeskQr,
        Channel::ReceiptQr,
        Channel::Paper,
        Channel::Interviewer,
        Channel::Kiosk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeskQr => "desk_qr",
            Self::ReceiptQr => "receipt_qr",
            Self::Paper => "paper",
            Self::Interviewer => "interviewer",
            Self::Kiosk => "kiosk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether a response by this channel is verified: a receipt token proves a served
    /// dossier; paper and interviewer forms are collected by survey staff. Anyone at
    /// the desk may answer its QR code or its kiosk.
    pub fn is_verified(self) -> bool {
        !matches!(self, Self::DeskQr | Self::Kiosk)
    }
}

/// A set of channels: which responses a score counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    pub fn all() -> Self {
        Self((1 << Channel::ALL.len()) - 1)
    }

    /// A campaign's official choice: every channel, or only verified ones.
    pub fn official(count_unverified: bool) -> Self {
        if count_unverified {
            Self::all()
        } else {
            Self::only(Channel::ALL.into_iter().filter(|c| c.is_verified()))
        }
    }

    pub fn only(channels: impl IntoIterator<Item = Channel>) -> Self {
        Self(channels.into_iter().fold(0, |bits, c| bits | Self::bit(c)))
    }

    fn bit(channel: Channel) -> u8 {
        1 << Channel::ALL
            .iter()
            .position(|c| *c == channel)
            .expect("known channel")
    }

    pub fn contains(self, channel: Channel) -> bool {
        self.0 & Self::bit(channel) != 0
    }

    /// The names of the channels in the set, in [`Channel::ALL`] order.
    pub fn names(self) -> Vec<&'static str> {
        Channel::ALL
            .into_iter()
            .filter(|c| self.contains(*c))
            .map(Channel::as_str)
            .collect()
    }

    /// The raw set, bit i for `Channel::ALL[i]` (for cache keys and digests).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Parses a `channel=` list such as `receipt_qr, paper`.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err(
                "no channel given; use desk_qr, receipt_qr, paper, interviewer or kiosk".to_owned(),
            );
        }
        let mut chosen = Vec::new();
        for name in text.split(',').map(str::trim) {
            chosen.push(Channel::parse(name).ok_or_else(|| {
                format!(
                    "unknown channel {name:?}; use desk_qr, receipt_qr, paper, interviewer or kiosk"
                )
            })?);
        }
        Ok(Self::only(chosen))
    }
}

/// A one-stop dossier's code, as the one-stop system sends it with a receipt request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DossierCode(String);

impl DossierCode {
    /// Trims the code; it must then be 1–100 characters without control characters
    /// (they would corrupt logs, CSV exports and the database's text columns).
    pub fn parse(text: &str) -> Result<DossierCode, FieldError> {
        let code = text.trim();
        let length = code.chars().count();
        if !(1..=100).contains(&length) || crate::text::refuse_control(code).is_err() {
            return Err(FieldError {
                field: "dossier_code",
                message: "dossier_code must be 1–100 characters without control characters".into(),
            });
        }
        Ok(DossierCode(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Vietnam's time zone (UTC+7, no daylight saving time).
pub fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// The day a moment falls on in Vietnam: a response sent at 23:30 UTC counts on the
/// next day, as the desk that served it saw it.
pub fn vietnam_day(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    vietnam_time(at).date()
}

/// The clock time of a moment in Vietnam.
pub fn vietnam_time(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    at.with_timezone(&vietnam()).naive_local()
}

/// The moment a day begins in Vietnam (00:00 +07:00): day `d` is every moment from
/// `vietnam_day_start(d)` up to, not including, `vietnam_day_start(d + 1)`.
pub fn vietnam_day_start(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(vietnam())
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&chrono::Utc)
}

/// When a receipt token stops working: `valid_days` after the day the result was
/// returned, at the end of that day in Vietnam. `None` only for dates out of range.
pub fn receipt_expiry(
    returned_on: NaiveDate,
    valid_days: u32,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let first_day_after =
        returned_on.checked_add_days(chrono::Days::new(u64::from(valid_days) + 1))?;
    let midnight = first_day_after.and_hms_opt(0, 0, 0)?;
    Some(
        midnight
            .and_local_timezone(vietnam())
            .single()?
            .with_timezone(&chrono::Utc),
    )
}

/// The years a campaign may run in: a date outside is a typing slip (`9999-12-31`), and
/// day arithmetic near chrono's limits would overflow.
pub const CAMPAIGN_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A campaign as an API client asks for it, before it is checked. An unknown field is
/// refused: a misspelt `confidance` must not silently fall back to the default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignRequest {
    pub code: String,
    pub name: String,
    pub template: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub confidence: Option<f64>,
    pub margin: Option<f64>,
    pub quota_method: Option<String>,
    /// Whether unverified (desk QR) responses count in the official scores; default yes.
    pub count_unverified: Option<bool>,
    /// Responses sent sooner after the form was issued are flagged; default 8 seconds.
    pub min_fill_seconds: Option<u32>,
    /// Days a receipt token stays valid after the result is returned; default 30.
    pub receipt_valid_days: Option<u32>,
    /// `"open"` (the default: citizens can answer at once) or `"draft"`.
    #[serde(default)]
    pub status: Option<String>,
    /// The PAR scheme its points come from; by default the scheme added last.
    #[serde(default)]
    pub par_scheme: Option<String>,
}

/// How a campaign treats its citizens' answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignRules {
    pub count_unverified: bool,
    pub min_fill_seconds: u32,
    pub receipt_valid_days: u32,
}

impl Default for CampaignRules {
    fn default() -> Self {
        Self {
            count_unverified: true,
            min_fill_seconds: 8,
            receipt_valid_days: 30,
        }
    }
}

/// A campaign that passed every check that does not need the database.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub code: String,
    pub name: String,
    pub template: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub design: SampleDesign,
    pub rules: CampaignRules,
    /// Draft or open: a campaign starts in one of these.
    pub status: CampaignStatus,
    pub par_scheme: Option<String>,
}

/// One problem with a field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

impl CampaignRequest {
    /// Checks every field and reports every problem at once.
    pub fn parse(self) -> Result<NewCampaign, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, message: String| errors.push(FieldError { field, message });
        if !is_valid_code(&self.code) {
            fail(
                "code",
                "code must be 1–32 letters, digits, '-', '_' or '.'".into(),
            );
        }
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            fail("name", "name must be 1–200 characters".into());
        } else if let Err(found) = crate::text::refuse_control(&name) {
            fail("name", format!("the name holds {found}"));
        }
        if let Err(found) = crate::text::refuse_control(&self.template) {
            fail("template", format!("the template holds {found}"));
        }
        for (field, day) in [("starts_on", self.starts_on), ("ends_on", self.ends_on)] {
            if !CAMPAIGN_YEARS.contains(&day.year()) {
                fail(
                    field,
                    format!(
                        "{field} {day} is not in the years {}–{}",
                        CAMPAIGN_YEARS.start(),
                        CAMPAIGN_YEARS.end()
                    ),
                );
            }
        }
        if self.ends_on < self.starts_on {
            fail(
                "ends_on",
                format!(
                    "ends_on {} is before starts_on {}",
                    self.ends_on, self.starts_on
                ),
            );
        }
        let method = match self.quota_method.as_deref() {
            None => Some(QuotaMethod::Cochran),
            Some(s) => QuotaMethod::parse(s).or_else(|| {
                fail(
                    "quota_method",
                    format!("unknown quota method {s:?}: use \"cochran\" or \"yamane\""),
                );
                None
            }),
        };
        let defaults = CampaignRules::default();
        let min_fill_seconds = self.min_fill_seconds.unwrap_or(defaults.min_fill_seconds);
        if min_fill_seconds > 600 {
            fail("min_fill_seconds", "min_fill_seconds must be 0–600".into());
        }
        let receipt_valid_days = self
            .receipt_valid_days
            .unwrap_or(defaults.receipt_valid_days);
        if !(1..=366).contains(&receipt_valid_days) {
            fail(
                "receipt_valid_days",
                "receipt_valid_days must be 1–366".into(),
            );
        }
        let rules = CampaignRules {
            count_unverified: self.count_unverified.unwrap_or(defaults.count_unverified),
            min_fill_seconds,
            receipt_valid_days,
        };
        let design = method.and_then(|method| {
            SampleDesign::new(
                self.confidence.unwrap_or(0.95),
                self.margin.unwrap_or(0.05),
                method,
            )
            .map_err(|e| match e {
                SampleDesignError::Confidence(_) => fail("confidence", e.to_string()),
                SampleDesignError::Margin(_) => fail("margin", e.to_string()),
            })
            .ok()
        });
        if self
            .par_scheme
            .as_deref()
            .is_some_and(|s| !is_valid_code(s))
        {
            errors.push(FieldError::new(
                "par_scheme",
                "par_scheme must be a PAR scheme's code",
            ));
        }
        let status = match self.status.as_deref() {
            None | Some("open") => CampaignStatus::Open,
            Some("draft") => CampaignStatus::Draft,
            Some(other) => {
                errors.push(FieldError {
                    field: "status",
                    message: format!("a new campaign is \"draft\" or \"open\", not {other:?}"),
                });
                CampaignStatus::Open
            }
        };
        match design {
            Some(design) if errors.is_empty() => Ok(NewCampaign {
                code: self.code,
                name,
                template: self.template,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                design,
                rules,
                status,
                par_scheme: self.par_scheme,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CampaignRequest {
        CampaignRequest {
            code: "HT-2022".into(),
            name: " Khảo sát 2022 ".into(),
            template: "SIPAS-2017".into(),
            starts_on: NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2022, 9, 30).unwrap(),
            confidence: None,
            margin: None,
            quota_method: None,
            count_unverified: None,
            min_fill_seconds: None,
            receipt_valid_days: None,
            status: None,
            par_scheme: None,
        }
    }

    #[test]
    fn defaults_are_95_percent_5_points_cochran() {
        let c = request().parse().unwrap();
        assert_eq!(c.name, "Khảo sát 2022");
        assert_eq!(c.design.confidence(), 0.95);
        assert_eq!(c.design.margin(), 0.05);
        assert_eq!(c.design.method(), QuotaMethod::Cochran);
        assert_eq!(c.rules, CampaignRules::default());
    }

    #[test]
    fn a_new_campaign_is_open_or_a_draft() {
        assert_eq!(request().parse().unwrap().status, CampaignStatus::Open);
        let mut r = request();
        r.status = Some("draft".into());
        assert_eq!(r.parse().unwrap().status, CampaignStatus::Draft);
        let mut r = request();
        r.status = Some("published".into());
        let fields: Vec<&str> = r.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["status"]);
    }

    #[test]
    fn rules_are_checked() {
        let mut r = request();
        r.min_fill_seconds = Some(601);
        r.receipt_valid_days = Some(0);
        let fields: Vec<&str> = r.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["min_fill_seconds", "receipt_valid_days"]);
        let mut r = request();
        r.count_unverified = Some(false);
        r.min_fill_seconds = Some(0);
        let rules = r.parse().unwrap().rules;
        assert!(!rules.count_unverified);
        assert_eq!(rules.min_fill_seconds, 0);
    }

    #[test]
    fn reports_every_bad_field() {
        let mut r = request();
        r.code = "a b".into();
        r.ends_on = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        r.confidence = Some(1.0);
        r.quota_method = Some("magic".into());
        let fields: Vec<&str> = r.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["code", "ends_on", "quota_method"]);

        let mut r = request();
        r.confidence = Some(1.0);
        let errors = r.parse().unwrap_err();
        assert_eq!(errors[0].field, "confidence");
    }

    #[test]
    fn years_names_and_fields_are_bounded() {
        let mut r = request();
        r.starts_on = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        r.ends_on = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        r.name = "Khảo\0sát".into();
        r.template = "SIPAS\u{1}".into();
        let fields: Vec<&str> = r.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "template", "starts_on", "ends_on"]);
        let mut r = request();
        r.starts_on = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        r.ends_on = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap();
        assert!(r.parse().is_ok());
        let misspelt = serde_json::json!({"code": "X", "name": "X", "template": "SIPAS-2017",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "confidance": 0.99});
        let error = serde_json::from_value::<CampaignRequest>(misspelt).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `confidance`"),
            "{error}"
        );
    }

    #[test]
    fn receipts_expire_at_midnight_in_vietnam() {
        let returned = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        // 30 days after 1 March is 31 March; it ends at 1 April 00:00 +07:00.
        let expiry = receipt_expiry(returned, 30).unwrap();
        assert_eq!(expiry.to_rfc3339(), "2026-03-31T17:00:00+00:00");
        assert!(receipt_expiry(NaiveDate::MAX, 30).is_none());
    }

    #[test]
    fn channels_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert!(!Channel::DeskQr.is_verified());
        assert!(!Channel::Kiosk.is_verified());
        assert!(Channel::ReceiptQr.is_verified());
        assert_eq!(Channel::parse("email"), None);
    }

    use CampaignStatus::{Closed, Draft, Open, Published};
    const STATUSES: [CampaignStatus; 4] = CampaignStatus::ALL;

    #[test]
    fn statuses_round_trip() {
        for status in STATUSES {
            assert_eq!(CampaignStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                serde_json::from_str::<CampaignStatus>(&json).unwrap(),
                status
            );
        }
        assert_eq!(CampaignStatus::parse("archived"), None);
        assert_eq!(CampaignStatus::parse("Published"), None);
    }

    #[test]
    fn allowed_transitions() {
        assert_eq!(Draft.transition(Open), Ok(Open));
        assert_eq!(Open.transition(Closed), Ok(Closed));
        assert_eq!(Closed.transition(Open), Ok(Open));
        assert_eq!(Closed.transition(Published), Ok(Published));
        assert_eq!(Published.transition(Closed), Ok(Closed));
    }

    #[test]
    fn every_other_transition_is_refused() {
        let allowed = [
            (Draft, Open),
            (Open, Closed),
            (Closed, Open),
            (Closed, Published),
            (Published, Closed),
        ];
        for from in STATUSES {
            for to in STATUSES {
                let result = from.transition(to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                    assert!(from.allowed_next().contains(&to));
                } else {
                    assert_eq!(
                        result,
                        Err(TransitionError { from, to }),
                        "{from:?} → {to:?}"
                    );
                    assert!(!from.allowed_next().contains(&to));
                }
            }
        }
        assert_eq!(Published.allowed_next(), &[Closed]);
    }

    #[test]
    fn refusals_say_what_is_allowed() {
        let message = |from: CampaignStatus, to| from.transition(to).unwrap_err().to_string();
        assert_eq!(
            message(Published, Open),
            "a published campaign can only be closed for a correction, not opened"
        );
        assert_eq!(
            message(Published, Draft),
            "a published campaign can only be closed for a correction, not returned to draft"
        );
        assert_eq!(
            message(Draft, Closed),
            "a draft campaign can only be opened, not closed"
        );
        assert_eq!(
            message(Draft, Published),
            "a draft campaign can only be opened, not published"
        );
        assert_eq!(
            message(Open, Published),
            "an open campaign can only be closed, not published"
        );
        assert_eq!(
            message(Open, Draft),
            "an open campaign can only be closed, not returned to draft"
        );
        assert_eq!(
            message(Closed, Draft),
            "a closed campaign can only be re-opened or published, not returned to draft"
        );
        assert_eq!(message(Open, Open), "campaign is already open");
        assert_eq!(message(Draft, Draft), "campaign is already a draft");
        assert_eq!(message(Closed, Closed), "campaign is already closed");
        assert_eq!(
            message(Published, Published),
            "campaign is already published"
        );
    }

    #[test]
    fn what_each_status_permits() {
        let accepts: Vec<_> = STATUSES
            .into_iter()
            .filter(|s| s.accepts_responses())
            .collect();
        assert_eq!(accepts, vec![Open]);
        for status in [Draft, Open, Closed] {
            assert!(status.frame_editable(), "{status:?}");
            assert!(status.settings_editable(), "{status:?}");
        }
        assert!(!Published.frame_editable());
        assert!(!Published.settings_editable());
    }

    #[test]
    fn channel_sets() {
        let all = Channels::all();
        assert!(Channel::ALL.into_iter().all(|c| all.contains(c)));
        assert_eq!(all.bits(), 0b11111);
        assert_eq!(Channels::official(true), all);
        let verified = Channels::official(false);
        assert!(!verified.contains(Channel::DeskQr));
        assert_eq!(verified.names(), vec!["receipt_qr", "paper", "interviewer"]);
        let one = Channels::only([Channel::Paper, Channel::Paper]);
        assert_eq!(one.names(), vec!["paper"]);
        assert_eq!(Channels::only([]).names(), Vec::<&str>::new());
    }

    #[test]
    fn channel_lists_parse() {
        assert_eq!(
            Channels::parse_list(" paper ,receipt_qr").unwrap(),
            Channels::only([Channel::ReceiptQr, Channel::Paper])
        );
        assert_eq!(
            Channels::parse_list("desk_qr,receipt_qr,paper,interviewer,kiosk").unwrap(),
            Channels::all()
        );
        assert_eq!(
            Channels::parse_list("paper,x").unwrap_err(),
            "unknown channel \"x\"; use desk_qr, receipt_qr, paper, interviewer or kiosk"
        );
        assert!(Channels::parse_list("").is_err());
        assert!(Channels::parse_list("  ").is_err());
        assert!(Channels::parse_list("paper,").is_err());
    }

    #[test]
    fn dossier_codes() {
        assert_eq!(
            DossierCode::parse(" 000.00.18.H27-210301-0001 ")
                .unwrap()
                .as_str(),
            "000.00.18.H27-210301-0001"
        );
        assert_eq!(DossierCode::parse("Hồ sơ 1").unwrap().as_str(), "Hồ sơ 1");
        assert_eq!(
            DossierCode::parse(&"đ".repeat(100))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            100
        );
        for bad in ["", "   ", "a\0b", "a\nb", "a\u{7f}b"] {
            let error = DossierCode::parse(bad).unwrap_err();
            assert_eq!(error.field, "dossier_code", "{bad:?}");
        }
        assert!(DossierCode::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn days_are_vietnamese_days() {
        let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(vietnam_day(at("2026-03-09T16:59:59Z")), day(2026, 3, 9));
        assert_eq!(vietnam_day(at("2026-03-09T17:00:00Z")), day(2026, 3, 10));
    }
}
