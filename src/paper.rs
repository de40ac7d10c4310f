//! Paper and interviewer forms: a file of them (the API's `POST …/responses` and the
//! dashboard's upload) or one form keyed on the dashboard. One path parses, checks each
//! form's unit against who enters it and its serial against those stored, stores all
//! or nothing with its audit entries, and settles the score book.

use sipas_domain::campaign::Channel;
use sipas_domain::import::{LineError, Problems, ResponseLine, parse_serial, read_responses};
use sipas_domain::questionnaire::{Answers, AnswersError, parse_answer};

use crate::frames::settle;
use crate::scores::{CampaignState, ScoreBook};
use crate::storage::responses::{self, PaperForm};
use crate::storage::{Storage, StorageError, imports};

/// Why forms were not stored.
#[derive(Debug)]
pub enum PaperError {
    /// Bad lines (fields, for a keyed form: line 1): every one; nothing stored.
    Refused(Problems),
    Storage(StorageError),
}

impl From<StorageError> for PaperError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

/// A serial that the unique index refused: stored by another request meanwhile.
fn serial_taken(e: StorageError, line: u64, serial: Option<&str>) -> PaperError {
    match e {
        StorageError::Conflict(ref m) if m.contains("serial") || m.contains("UNIQUE") => {
            let mut problems = Problems::default();
            problems.push(LineError::new(
                line,
                Some("serial"),
                match serial {
                    Some(s) => format!("serial {s} is already stored in this campaign"),
                    None => "a serial of this file is already stored in this campaign".into(),
                },
            ));
            PaperError::Refused(problems)
        }
        other => PaperError::Storage(other),
    }
}

/// Resolves and stores parsed forms (and the problems their parse found: every bad
/// line of a file is reported at once): `writable` says which unit ids the person (or
/// client) entering them may write.
#[allow(clippy::too_many_arguments)]
async fn store(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    action: &str,
    current: &CampaignState,
    (lines, problems): (Vec<ResponseLine>, Problems),
    writable: &dyn Fn(i32) -> bool,
    comment: Option<String>,
) -> Result<usize, PaperError> {
    let forms = resolve(storage, current, lines, writable, problems).await?;
    insert(storage, scores, actor, action, current, forms, comment).await
}

/// The forms of parsed lines, or every problem (those given and the code book's).
async fn resolve(
    storage: &Storage,
    current: &CampaignState,
    lines: Vec<ResponseLine>,
    writable: &dyn Fn(i32) -> bool,
    mut problems: Problems,
) -> Result<Vec<PaperForm>, PaperError> {
    let campaign = &current.description.campaign;
    let codes = imports::code_book(storage.db(), campaign).await?;
    let serials: Vec<&str> = lines.iter().filter_map(|l| l.serial.as_deref()).collect();
    let stored = responses::stored_serials(storage.db(), campaign.id, &serials).await?;
    match codes.responses(campaign, lines, writable, &stored) {
        Ok(forms) if problems.is_empty() => Ok(forms),
        Ok(_) => Err(PaperError::Refused(problems)),
        Err(more) => {
            problems.append(more);
            Err(PaperError::Refused(problems))
        }
    }
}

async fn insert(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    action: &str,
    current: &CampaignState,
    mut forms: Vec<PaperForm>,
    comment: Option<String>,
) -> Result<usize, PaperError> {
    let campaign = &current.description.campaign;
    let first_serial = forms.first().and_then(|f| f.serial.clone());
    let one_line = (action == "response.keyed").then_some(1);
    if let Some(comment) = comment {
        for f in &mut forms {
            f.response.comment = Some(comment.clone());
        }
    }
    let txn = storage.write().await?;
    let count = responses::store_forms(&txn, actor, action, campaign, &forms)
        .await
        .map_err(|e| {
            serial_taken(
                e,
                one_line.unwrap_or(0),
                one_line.and(first_serial.as_deref()),
            )
        })?;
    txn.commit()
        .await
        .map_err(|e| serial_taken(StorageError::from(e), 0, None))?;
    settle(scores, campaign.id).await;
    Ok(count)
}

/// Imports a file of forms (CSV text), all or nothing.
pub async fn import(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    current: &CampaignState,
    text: &str,
    writable: &dyn Fn(i32) -> bool,
) -> Result<usize, PaperError> {
    store(
        storage,
        scores,
        actor,
        "responses.import",
        current,
        read_responses(text, &current.description.questionnaire),
        writable,
        None,
    )
    .await
}

/// One form as keyed on the dashboard, field by field.
#[derive(Debug, Clone, Default)]
pub struct KeyedForm {
    pub serial: String,
    pub unit_code: String,
    /// Empty: the unit's own desk.
    pub service_point_code: String,
    pub channel: String,
    /// The answers in criterion order.
    pub answers: Vec<String>,
    pub comment: String,
}

/// The longest comment on a keyed form.
pub const COMMENT_MAX_CHARS: usize = crate::citizen::COMMENT_MAX_CHARS;

/// Stores one keyed form. Its problems are line 1 with the field (`serial`,
/// `unit_code`, `service_point_code`, `channel`, a criterion code, `comment`) as column.
pub async fn key(
    storage: &Storage,
    scores: &ScoreBook,
    actor: &str,
    current: &CampaignState,
    form: &KeyedForm,
    writable: &dyn Fn(i32) -> bool,
) -> Result<(), PaperError> {
    let questionnaire = &current.description.questionnaire;
    let mut problems = Problems::default();
    let problem = |column: &str, message: String| LineError::new(1, Some(column), message);
    let serial = match parse_serial(&form.serial) {
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            problems.push(problem("serial", "the serial number is required".into()));
            None
        }
        Err(m) => {
            problems.push(problem("serial", m));
            None
        }
    };
    let unit_code = form.unit_code.trim().to_owned();
    if unit_code.is_empty() {
        problems.push(problem("unit_code", "choose a unit".into()));
    }
    let channel = match Channel::parse(form.channel.trim()) {
        Some(c @ (Channel::Paper | Channel::Interviewer)) => Some(c),
        _ => {
            problems.push(problem(
                "channel",
                "the channel must be paper or interviewer".into(),
            ));
            None
        }
    };
    let mut values = Vec::new();
    for (i, (_, criterion)) in questionnaire.criteria().enumerate() {
        let raw = form.answers.get(i).map(String::as_str);
        match parse_answer(&criterion.code, raw) {
            Ok(v) => values.push(v),
            Err(_) => problems.push(problem(
                &criterion.code,
                format!(
                    "answer {:?} must be 1–5, or 0 or empty for no answer",
                    raw.unwrap_or("")
                ),
            )),
        }
    }
    let comment = form.comment.trim();
    if comment.chars().count() > COMMENT_MAX_CHARS {
        problems.push(problem(
            "comment",
            format!("the comment is longer than {COMMENT_MAX_CHARS} characters"),
        ));
    }
    let answers = if problems.is_empty() {
        match Answers::from_values(values) {
            Ok(a) => Some(a),
            Err(AnswersError::AllUnanswered) => {
                problems.push(LineError::new(
                    1,
                    None,
                    "every criterion is unanswered: this is not a response",
                ));
                None
            }
            Err(e) => {
                problems.push(LineError::new(1, None, e.to_string()));
                None
            }
        }
    } else {
        None
    };
    let (Some(channel), Some(answers), true) = (channel, answers, problems.is_empty()) else {
        return Err(PaperError::Refused(problems));
    };
    let line = ResponseLine {
        line: 1,
        unit_code,
        service_point_code: Some(form.service_point_code.trim().to_owned())
            .filter(|c| !c.is_empty()),
        channel,
        answers,
        serial,
    };
    store(
        storage,
        scores,
        actor,
        "response.keyed",
        current,
        (vec![line], Problems::default()),
        writable,
        sipas_domain::text::clean_comment(comment, COMMENT_MAX_CHARS),
    )
    .await
    .map(|_| ())
}
