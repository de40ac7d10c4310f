//! The survey form a citizen reaches by scanning a QR code (`GET /s/{token}`), and its
//! re-render after a submission with unanswered questions.
//!
//! The form posts `application/x-www-form-urlencoded` to the document's own URL (it has
//! no `action`: the same page serves a desk's QR code, its receipts and its kiosk, see
//! [`fresh_form_parts`]) with these fields:
//!
//! | field | value |
//! |---|---|
//! | each criterion code, e.g. `TC1` | `1`–`5`, or `0` for "no opinion"; absent when not answered |
//! | [`FIELD_COMMENT`] | the free comment (may be empty; at most [`COMMENT_MAX_CHARS`] characters in the browser) |
//! | [`FIELD_NONCE`] | [`SurveyForm::nonce`] as given (idempotency key) |
//! | [`FIELD_ISSUED_AT`] | [`SurveyForm::issued_at`] as given (unix seconds) |
//! | [`FIELD_HONEYPOT`] | empty for people; a bot that fills it should be ignored |

use std::collections::{BTreeMap, BTreeSet};

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::layout::{Card, Shell, page};

/// The form's own CSS, added to the shell's (colours as in [`crate::layout`]).
const CSS: &str = concat!(
    ".lead{margin:.75rem 0 0;font-size:.9375rem;font-weight:600}",
    ".who{font-size:1.125rem;font-weight:700;margin:.25rem 0 0}",
    ".alert{border:4px solid #b3261e;background:#fff;padding:1rem;margin:0 0 1rem}",
    ".alert h2{margin:0 0 .5rem;font-size:1.125rem}",
    ".alert ul{margin:0;padding-left:1.25rem}",
    ".alert a{color:#b3261e;font-weight:700}",
    "fieldset{margin:0 0 1rem;padding:.75rem;border:1px solid #d5d8dc;border-radius:8px;background:#fff;min-width:0}",
    "legend{float:left;width:100%;padding:0;margin:0 0 .5rem;font-weight:600;line-height:1.4}",
    "legend small{display:block;color:#4a4f57;font-weight:400;font-size:.875rem}",
    ".bad{border:2px solid #b3261e;border-left-width:6px}",
    ".em{clear:both;color:#b3261e;font-weight:700;margin:0 0 .5rem}",
    "fieldset label{display:flex;align-items:center;position:relative;min-height:48px;margin-top:.375rem;padding:.5rem .75rem .5rem 2.75rem;border:2px solid #7a808a;border-radius:6px;line-height:1.3;background:#fff}",
    "fieldset input{position:absolute;left:.75rem;top:50%;width:1.375rem;height:1.375rem;margin:-.6875rem 0 0;accent-color:#0b3a6e}",
    "fieldset b{min-width:1.5rem;margin-right:.375rem;font-size:1.125rem}",
    "fieldset label:last-child{margin-top:.75rem;border-style:dashed;color:#4a4f57}",
    "fieldset label:has(:checked){background:#e6eef8;border-color:#0b3a6e;border-style:solid;box-shadow:inset 0 0 0 1px #0b3a6e;color:#1b1b1b}",
    "fieldset label:has(:focus-visible){outline:3px solid #ffbf47;box-shadow:0 0 0 5px #1b1b1b}",
    "textarea{display:block;width:100%;min-height:6rem;padding:.5rem;font:inherit;border:2px solid #7a808a;border-radius:6px}",
    ".hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}",
    "button{display:block;width:100%;min-height:52px;margin:1.5rem 0 .5rem;padding:.75rem 1rem;border:0;border-radius:6px;background:#00703c;color:#fff;font:inherit;font-size:1.1875rem;font-weight:700;box-shadow:0 3px 0 #002d18}",
    "button:active{transform:translateY(2px);box-shadow:0 1px 0 #002d18}",
);

/// Hidden field carrying the form nonce (idempotency key).
pub const FIELD_NONCE: &str = "_nonce";
/// Hidden field carrying the time the form was issued, unix seconds.
pub const FIELD_ISSUED_AT: &str = "_issued";
/// The honeypot text field: hidden from people, left empty by them.
pub const FIELD_HONEYPOT: &str = "website";
/// The optional free comment.
pub const FIELD_COMMENT: &str = "comment";
/// The comment's `maxlength` in the browser (check it on the server too).
pub const COMMENT_MAX_CHARS: usize = 1000;
/// The value of the "no opinion" choice.
pub const NO_OPINION: u8 = 0;

/// One criterion (question), its text already in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionView {
    /// The code, also the form field name, e.g. `TC1`.
    pub code: String,
    pub text: String,
}

/// One element (section) of the questionnaire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementView {
    /// e.g. `E1`.
    pub code: String,
    pub name: String,
    pub criteria: Vec<CriterionView>,
}

/// Everything the survey form shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyForm {
    pub lang: Lang,
    /// The form's path without query, e.g. `/s/AbCd…`, for the language switch; a fresh
    /// form is drawn with [`crate::layout::OWN_URL`], to be the same at every path.
    pub path: String,
    pub campaign_name: String,
    /// The unit (agency, district, commune) being rated.
    pub unit_name: String,
    /// The desk (service point), when known.
    pub service_point_name: Option<String>,
    /// The campaign is demo data: show a banner.
    pub demo: bool,
    /// The questionnaire, in order.
    pub elements: Vec<ElementView>,
    /// Answers already given (criterion code → 0–5), pre-checked on a re-render.
    pub answers: BTreeMap<String, u8>,
    /// Criterion codes left unanswered on the previous submission (empty on first show).
    pub missing: BTreeSet<String>,
    /// The comment already typed, kept on a re-render.
    pub comment: String,
    /// The form nonce, sent back unchanged in [`FIELD_NONCE`].
    pub nonce: String,
    /// When the form was first issued (unix seconds), sent back in [`FIELD_ISSUED_AT`].
    pub issued_at: i64,
    /// A message shown above the form that is not about a particular question (for
    /// example "you sent the form too quickly, please check and send again").
    pub notice: Option<String>,
}

/// The form's anchor for a criterion (the error summary links to it).
pub fn question_id(code: &str) -> String {
    format!("q-{code}")
}

/// Renders the survey form.
pub fn survey_form(v: &SurveyForm) -> Markup {
    let t = v.lang.text();
    let total: usize = v.elements.iter().map(|e| e.criteria.len()).sum();
    // Numbering and the missing list in questionnaire order.
    let mut missing_list: Vec<(usize, &CriterionView)> = Vec::new();
    let mut n = 0;
    for e in &v.elements {
        for c in &e.criteria {
            n += 1;
            if v.missing.contains(&c.code) {
                missing_list.push((n, c));
            }
        }
    }
    let has_errors = !missing_list.is_empty();
    let title = if has_errors {
        format!("{}: {} – {}", t.error_prefix, v.unit_name, t.service_name)
    } else {
        format!("{} – {}", v.unit_name, t.service_name)
    };
    let body = html! {
        @if has_errors {
            div.alert role="alert" {
                h2 { (v.lang.missing_heading(missing_list.len())) }
                ul {
                    @for (n, c) in &missing_list {
                        li { a href={ "#" (question_id(&c.code)) } { (v.lang.question_label(*n)) ": " (c.text) } }
                    }
                }
            }
        }
        (Card::new(html! {
            p.cap { (v.campaign_name) }
            p.lead { (t.rating_for) ":" }
            h1 { (v.unit_name) }
            @if let Some(sp) = &v.service_point_name {
                p.who { (sp) }
            }
            p.note { (v.lang.form_size(total)) " " (t.intro) }
            p.note { (t.privacy) }
        }))
        @if let Some(notice) = &v.notice {
            div.alert role="status" { p { (notice) } }
        }
        form method="post" novalidate {
            div.hp aria-hidden="true" {
                label for=(FIELD_HONEYPOT) { (t.honeypot_label) }
                input type="text" id=(FIELD_HONEYPOT) name=(FIELD_HONEYPOT) value="" tabindex="-1" autocomplete="off";
            }
            @let parts = v.elements.len();
            @for (i, e) in v.elements.iter().enumerate() {
                @let start: usize = v.elements[..i].iter().map(|e| e.criteria.len()).sum();
                h2 { small.cap { (v.lang.part_label(i + 1, parts)) } " " (e.name) }
                @for (j, c) in e.criteria.iter().enumerate() {
                    (criterion(v, start + j + 1, c))
                }
            }
            h2 { label for=(FIELD_COMMENT) { (t.comment_label) } }
            p.note #comment-hint { (t.comment_hint) }
            textarea #comment name=(FIELD_COMMENT) rows="4" maxlength=(COMMENT_MAX_CHARS) aria-describedby="comment-hint" { (v.comment) }
            button type="submit" { (t.submit) }
            p.note { (t.submit_hint) }
            // Last, so that everything before them is the same for every citizen.
            (hidden_fields(&v.nonce, v.issued_at))
        }
    };
    page(
        Shell {
            lang: v.lang,
            title: &title,
            path: Some(&v.path),
            demo: v.demo,
            css: Some(CSS),
            ..Shell::default()
        },
        body,
    )
}

/// The two fields that differ between two fresh forms of the same desk and language.
pub fn hidden_fields(nonce: &str, issued_at: i64) -> Markup {
    html! {
        input type="hidden" name=(FIELD_NONCE) value=(nonce);
        input type="hidden" name=(FIELD_ISSUED_AT) value=(issued_at);
    }
}

/// The form as what every citizen of its desk and language gets (up to its hidden
/// fields) and what follows them: a fresh page is `shared`, [`hidden_fields`], `after`.
pub fn fresh_form_parts(v: &SurveyForm) -> (String, String) {
    let mut page = survey_form(v).into_string();
    let fields = hidden_fields(&v.nonce, v.issued_at).into_string();
    let at = page
        .rfind(&fields)
        .expect("the form ends with its hidden fields");
    let after = page.split_off(at + fields.len());
    page.truncate(at);
    (page, after)
}

fn criterion(v: &SurveyForm, n: usize, c: &CriterionView) -> Markup {
    let t = v.lang.text();
    let bad = v.missing.contains(&c.code);
    let answer = v.answers.get(&c.code).copied();
    let id = question_id(&c.code);
    let err_id = format!("e-{}", c.code);
    html! {
        fieldset #(id) class=[bad.then_some("bad")] role=[bad.then_some("radiogroup")] aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then_some(&err_id)] {
            legend { small { (v.lang.question_label(n)) } (c.text) }
            @if bad {
                p.em #(err_id) { (t.error_prefix) ": " (t.missing_one) }
            }
            @for (i, label) in t.scale.iter().enumerate() {
                @let value = (i + 1) as u8;
                label { input type="radio" name=(c.code) value=(value) checked[answer == Some(value)]; b { (value) } " " (label) }
            }
            label { input type="radio" name=(c.code) value=(NO_OPINION) checked[answer == Some(NO_OPINION)]; (t.no_opinion) }
        }
    }
}
