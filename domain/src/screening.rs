//! Telling people from bots on the open (desk QR) path. A suspicious response is kept
//! and marked, never silently dropped: a person who filled the form fast, or whose
//! browser autofilled the hidden field, still sees "thank you", and staff can review.

/// Why a response is kept out of the scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    /// The hidden field that people never see was filled in.
    Honeypot,
    /// Sent sooner after the form was issued than a person can read 22 questions.
    TooFast,
}

impl Exclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Honeypot => "honeypot",
            Self::TooFast => "too_fast",
        }
    }
}

/// Screens one submission: `issued_at` comes from the signed form nonce, so a bot
/// cannot claim an older form.
pub fn screen(
    honeypot: &str,
    issued_at_unix: i64,
    submitted_at_unix: i64,
    min_fill_seconds: u32,
) -> Option<Exclusion> {
    if !honeypot.trim().is_empty() {
        return Some(Exclusion::Honeypot);
    }
    if submitted_at_unix.saturating_sub(issued_at_unix) < i64::from(min_fill_seconds) {
        return Some(Exclusion::TooFast);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_honeypot_then_speed() {
        assert_eq!(screen("http://spam", 0, 100, 8), Some(Exclusion::Honeypot));
        assert_eq!(screen("", 100, 107, 8), Some(Exclusion::TooFast));
        assert_eq!(screen("", 100, 108, 8), None);
        assert_eq!(screen("  ", 100, 500, 8), None);
        // A clock that went backwards is "too fast", not a panic.
        assert_eq!(screen("", 500, 100, 8), Some(Exclusion::TooFast));
        assert_eq!(screen("", 100, 100, 0), None);
    }
}
