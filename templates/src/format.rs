//! Numbers and dates as the reader writes them: dates dd/mm/yyyy in both languages (a
//! Vietnamese reader's form, and the one on the province's paper), a decimal comma and
//! dot-grouped thousands in Vietnamese, the English forms in English.

use chrono::NaiveDate;

use crate::Lang;

/// A no-break space: "91,17 %" never breaks between the number and its sign.
const NBSP: char = '\u{a0}';

/// dd/mm/yyyy.
pub fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// Parses dd/mm/yyyy (also d/m/yyyy) or yyyy-mm-dd.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// A whole number with grouped thousands: 12.345 (vi), 12,345 (en).
pub fn count(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::Vi => '.',
        Lang::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A number with `places` decimals: 3,85 (vi), 3.85 (en).
pub fn decimal(lang: Lang, x: f64, places: usize) -> String {
    let text = format!("{x:.places$}");
    match lang {
        Lang::Vi => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A share (0.9117) as a percentage with two decimals: 91,17 % (vi), 91.17 % (en).
pub fn percent(lang: Lang, share: f64) -> String {
    format!("{}{NBSP}%", decimal(lang, share * 100.0, 2))
}

/// A share, or a dash when there is none.
pub fn percent_or_dash(lang: Lang, share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| percent(lang, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_in_both_languages() {
        assert_eq!(percent(Lang::Vi, 0.911_66), "91,17\u{a0}%");
        assert_eq!(percent(Lang::En, 0.911_66), "91.17\u{a0}%");
        assert_eq!(percent(Lang::En, 1.0), "100.00\u{a0}%");
        assert_eq!(percent_or_dash(Lang::Vi, None), "–");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(Lang::Vi, 1_234_567), "1.234.567");
        assert_eq!(count(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(count(Lang::En, 999), "999");
        assert_eq!(count(Lang::Vi, 0), "0");
    }

    #[test]
    fn dates_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date(d), "09/03/2026");
        assert_eq!(parse_date("09/03/2026"), Some(d));
        assert_eq!(parse_date("9/3/2026"), Some(d));
        assert_eq!(parse_date("2026-03-09"), Some(d));
        assert_eq!(parse_date("31/02/2026"), None);
    }
}
