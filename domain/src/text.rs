//! Free text typed by people (a citizen's comment, a keyed paper form's comment).

/// The comment as it is kept: control characters dropped (PostgreSQL refuses a NUL
/// byte in text, and no other control character means anything in a comment) except
/// line breaks and tabs, surrounding space trimmed, at most `max_chars` characters;
/// `None` when nothing is left.
pub fn clean_comment(raw: &str, max_chars: usize) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let trimmed = kept.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(max_chars).collect())
}

#[cfg(test)]
mod tests {
    use super::clean_comment;

    #[test]
    fn drops_control_characters_but_keeps_line_breaks() {
        assert_eq!(
            clean_comment(" a\0b\u{1}\u{7f}\u{9f}\r\nc\td ", 100).as_deref(),
            Some("ab\nc\td")
        );
    }

    #[test]
    fn nothing_left_is_none_and_length_is_bounded() {
        assert_eq!(clean_comment("\0 \u{2}  ", 10), None);
        assert_eq!(clean_comment("", 10), None);
        assert_eq!(clean_comment("ắắắắ", 2).as_deref(), Some("ắắ"));
    }

    #[test]
    fn never_keeps_a_nul_byte() {
        for raw in ["\0", "x\0", "\0x\0y", "\u{0}\u{0}\n"] {
            assert!(!clean_comment(raw, 50).unwrap_or_default().contains('\0'));
        }
    }
}
