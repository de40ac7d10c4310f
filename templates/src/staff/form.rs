//! The parts every staff form shares: a problem with a field, the summary of a refused
//! form at the top (each problem a link to its field), the error line next to a field,
//! and their CSS. A refused form is sent back with its values and these.

use maud::{Markup, Render, html};

use crate::Lang;
use crate::layout::{Card, Tone};

/// The form rules every page of this family shares: a field in error, its message, the
/// summary at the top, a checkbox with its label.
pub const FORM_CSS: &str = concat!(
    "input[aria-invalid=true],select[aria-invalid=true]{border-color:#b3261e;border-width:3px}",
    ".field-error{color:#b3261e;font-weight:600;margin:.25rem 0 0}",
    ".summary h2{margin:0 0 .5rem;font-size:1.125rem}.summary ul{margin:0;padding-left:1.25rem}",
    ".summary a{color:#b3261e;font-weight:600;display:inline-block;min-height:24px}",
    ".check{display:flex;gap:.5rem;align-items:center;font-weight:400;margin:.75rem 0 0}",
    ".check input{width:24px;height:24px;min-height:24px;margin:0}",
    ".hint{color:#4a4f57;font-size:.9375rem;margin:.25rem 0 0}",
    "form p.act{margin:1rem 0 0}",
);

/// A message for a field, to show next to it and in the summary at the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The `id` of the field it is about (its error line is `{field}-error`).
    pub field: String,
    pub message: String,
}

/// The summary of a form's errors, each linking to its field; nothing without errors.
pub struct ErrorSummary<'a> {
    pub lang: Lang,
    pub problems: &'a [FieldProblem],
}

impl Render for ErrorSummary<'_> {
    fn render(&self) -> Markup {
        let vi = self.lang == Lang::Vi;
        html! {
            @if !self.problems.is_empty() {
                (Card::toned(Tone::Err, html! {
                    div.summary role="alert" aria-labelledby="error-summary" tabindex="-1" {
                        h2 #error-summary { (if vi { "Chưa lưu được: cần sửa" } else { "Not saved: please correct" }) }
                        ul {
                            @for p in self.problems {
                                li { a href={ "#" (p.field) } { (p.message) } }
                            }
                        }
                    }
                }))
            }
        }
    }
}

/// The messages about one field, next to it (`id` `{field_id}-error`).
pub fn field_errors(problems: &[FieldProblem], field_id: &str) -> Markup {
    html! {
        @for p in problems.iter().filter(|p| p.field == field_id) {
            p.field-error id={ (field_id) "-error" } {
                span aria-hidden="true" { "✖ " }
                (p.message)
            }
        }
    }
}

/// Whether a field is in error.
pub fn invalid(problems: &[FieldProblem], field_id: &str) -> bool {
    problems.iter().any(|p| p.field == field_id)
}

/// The `aria-describedby` of a field in error: its error line.
pub fn described_by(problems: &[FieldProblem], field_id: &str) -> Option<String> {
    invalid(problems, field_id).then(|| format!("{field_id}-error"))
}
