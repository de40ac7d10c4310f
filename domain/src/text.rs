//! Text typed by people: free text (a citizen's comment, a keyed paper form's comment)
//! is cleaned; names, codes and the cells of imported files are refused when they hold
//! a control character.

use std::fmt;

/// A control character found in a name, a code or a cell: PostgreSQL refuses a NUL
/// byte in any text, and the others corrupt logs, CSV exports and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlCharacter {
    pub character: char,
    /// 1-based, in characters.
    pub position: usize,
}

impl fmt::Display for ControlCharacter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a control character (U+{:04X}) at character {}",
            u32::from(self.character),
            self.position
        )
    }
}

/// `Err` naming the first control character of `text` (line breaks and tabs
/// included: no name, code or cell holds one).
pub fn refuse_control(text: &str) -> Result<(), ControlCharacter> {
    match text.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((i, character)) => Err(ControlCharacter {
            character,
            position: i + 1,
        }),
        None => Ok(()),
    }
}

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
    use super::{ControlCharacter, clean_comment, refuse_control};

    #[test]
    fn the_first_control_character_is_named_with_its_position() {
        assert_eq!(refuse_control("Sở Nội vụ"), Ok(()));
        assert_eq!(refuse_control(""), Ok(()));
        let found = refuse_control("ắb\0c\u{7}").unwrap_err();
        assert_eq!(
            found,
            ControlCharacter {
                character: '\0',
                position: 3
            }
        );
        assert_eq!(
            found.to_string(),
            "a control character (U+0000) at character 3"
        );
        for bad in ["a\nb", "\t", "x\u{1b}[2J", "\u{9f}"] {
            assert!(refuse_control(bad).is_err(), "{bad:?}");
        }
    }

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
