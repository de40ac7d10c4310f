//! Campaigns (survey rounds) and how a response reached us.

use chrono::NaiveDate;
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
    /// No more responses; scores can be published.
    Closed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// How a response reached the service. Only a receipt QR proves the citizen was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    DeskQr,
    ReceiptQr,
    Paper,
    Interviewer,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::DeskQr,
        Channel::ReceiptQr,
        Channel::Paper,
        Channel::Interviewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeskQr => "desk_qr",
            Self::ReceiptQr => "receipt_qr",
            Self::Paper => "paper",
            Self::Interviewer => "interviewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether a response by this channel is verified: a receipt token proves a served
    /// dossier; paper and interviewer forms are collected by survey staff.
    pub fn is_verified(self) -> bool {
        !matches!(self, Self::DeskQr)
    }
}

/// Vietnam's time zone (UTC+7, no daylight saving time).
fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset")
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

/// A campaign as an API client asks for it, before it is checked.
#[derive(Debug, Clone, Deserialize)]
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
}

/// One problem with a field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
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
        match design {
            Some(design) if errors.is_empty() => Ok(NewCampaign {
                code: self.code,
                name,
                template: self.template,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                design,
                rules,
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
        assert!(Channel::ReceiptQr.is_verified());
        assert_eq!(Channel::parse("email"), None);
    }
}
