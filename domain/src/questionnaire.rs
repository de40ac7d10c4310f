//! Questionnaire templates: elements made of criteria, each with a Vietnamese and an
//! English text. A template is data (the province may reword it), parsed from CSV.

use serde::Serialize;

/// A text in both languages of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bilingual {
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub code: String,
    pub text: Bilingual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    pub code: String,
    pub name: Bilingual,
    pub criteria: Vec<Criterion>,
}

/// A questionnaire template such as `SIPAS-2017`. Criteria keep their file order: an
/// answer vector is indexed by that order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Questionnaire {
    pub code: String,
    pub version: i32,
    pub name: String,
    pub elements: Vec<Element>,
}

/// Why a questionnaire file was refused; `line` counts from 1 with the header as line 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionnaireError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the questionnaire has no criteria")]
    Empty,
}

#[derive(serde::Deserialize)]
struct Row {
    element_code: String,
    element_vi: String,
    element_en: String,
    criterion_code: String,
    text_vi: String,
    text_en: String,
}

impl Questionnaire {
    /// Parses the reference CSV layout
    /// `element_code,element_vi,element_en,criterion_code,text_vi,text_en`.
    /// Rows of one element must be contiguous; criterion codes must be unique.
    pub fn from_csv(
        code: &str,
        version: i32,
        name: &str,
        csv_text: &str,
    ) -> Result<Self, QuestionnaireError> {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let mut elements: Vec<Element> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, record) in reader.deserialize::<Row>().enumerate() {
            let line = index + 2;
            let row = record.map_err(|e| QuestionnaireError::Line {
                line,
                message: e.to_string(),
            })?;
            let bad = |message: String| QuestionnaireError::Line { line, message };
            if row.criterion_code.trim().is_empty() || row.element_code.trim().is_empty() {
                return Err(bad("element and criterion codes are required".into()));
            }
            if !seen.insert(row.criterion_code.clone()) {
                return Err(bad(format!(
                    "criterion {} appears twice",
                    row.criterion_code
                )));
            }
            let criterion = Criterion {
                code: row.criterion_code,
                text: Bilingual {
                    vi: row.text_vi,
                    en: row.text_en,
                },
            };
            match elements.last_mut() {
                Some(last) if last.code == row.element_code => last.criteria.push(criterion),
                _ => {
                    if elements.iter().any(|e| e.code == row.element_code) {
                        return Err(bad(format!(
                            "rows of element {} are not contiguous",
                            row.element_code
                        )));
                    }
                    elements.push(Element {
                        code: row.element_code,
                        name: Bilingual {
                            vi: row.element_vi,
                            en: row.element_en,
                        },
                        criteria: vec![criterion],
                    });
                }
            }
        }
        if elements.is_empty() {
            return Err(QuestionnaireError::Empty);
        }
        Ok(Self {
            code: code.to_owned(),
            version,
            name: name.to_owned(),
            elements,
        })
    }

    /// Every criterion in answer order, with the index of its element.
    pub fn criteria(&self) -> impl Iterator<Item = (usize, &Criterion)> {
        self.elements
            .iter()
            .enumerate()
            .flat_map(|(e, element)| element.criteria.iter().map(move |c| (e, c)))
    }

    pub fn criterion_count(&self) -> usize {
        self.elements.iter().map(|e| e.criteria.len()).sum()
    }

    /// For each criterion in answer order, the index of its element: the shape the
    /// statistics engine works with.
    pub fn element_of_criteria(&self) -> Vec<usize> {
        self.criteria().map(|(e, _)| e).collect()
    }

    pub fn criterion_index(&self, code: &str) -> Option<usize> {
        self.criteria().position(|(_, c)| c.code == code)
    }
}

/// One citizen's answers in criterion order: 1–5, or 0 for "no opinion / not answered".
/// Parsing guarantees the length matches the questionnaire and every value is in range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswersError {
    #[error("expected {expected} answers, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("answer {value} to {criterion} is not 0–5")]
    OutOfRange { criterion: String, value: String },
    #[error("every criterion is unanswered")]
    AllUnanswered,
}

impl Answers {
    /// Parses one value per criterion; `None` or an empty string counts as no answer.
    pub fn parse<'a>(
        questionnaire: &Questionnaire,
        values: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Result<Self, AnswersError> {
        let mut answers = Vec::with_capacity(questionnaire.criterion_count());
        let mut criteria = questionnaire.criteria();
        for value in values {
            let Some((_, criterion)) = criteria.next() else {
                return Err(AnswersError::WrongLength {
                    expected: questionnaire.criterion_count(),
                    got: answers.len() + 1,
                });
            };
            answers.push(parse_answer(&criterion.code, value)?);
        }
        if answers.len() != questionnaire.criterion_count() {
            return Err(AnswersError::WrongLength {
                expected: questionnaire.criterion_count(),
                got: answers.len(),
            });
        }
        Self::from_values(answers)
    }

    /// Wraps already-checked values (1–5 or 0); refuses a response with no answer at all,
    /// which the statistics do not count as a response.
    pub fn from_values(values: Vec<u8>) -> Result<Self, AnswersError> {
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| **v > 5) {
            return Err(AnswersError::OutOfRange {
                criterion: format!("#{}", i + 1),
                value: v.to_string(),
            });
        }
        if values.iter().all(|v| *v == 0) {
            return Err(AnswersError::AllUnanswered);
        }
        Ok(Self(values))
    }

    /// The compact storage form: one digit per criterion, e.g. `"4530…"`.
    pub fn to_digits(&self) -> String {
        self.0.iter().map(|v| char::from(b'0' + v)).collect()
    }

    /// Reads the storage form back; used by recomputation, so it is strict.
    pub fn from_digits(digits: &str) -> Result<Self, AnswersError> {
        let values = digits
            .bytes()
            .map(|b| b.wrapping_sub(b'0'))
            .collect::<Vec<u8>>();
        Self::from_values(values)
    }

    pub fn values(&self) -> &[u8] {
        &self.0
    }
}

/// A submitted form that cannot be stored yet: what the citizen already answered (kept
/// for the re-shown form) and which criteria are still blank or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteForm {
    pub answered: Vec<(String, u8)>,
    pub missing: Vec<String>,
}

impl Answers {
    /// Reads a survey form where every criterion must be chosen: 1–5, or 0 for "no
    /// opinion". A blank or malformed field is missing; nothing the citizen chose is lost.
    pub fn from_form<'a>(
        questionnaire: &Questionnaire,
        field: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, IncompleteForm> {
        let mut values = Vec::with_capacity(questionnaire.criterion_count());
        let mut answered = Vec::new();
        let mut missing = Vec::new();
        for (_, criterion) in questionnaire.criteria() {
            let chosen = field(&criterion.code)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .and_then(|v| parse_answer(&criterion.code, Some(v)).ok());
            match chosen {
                Some(v) => {
                    answered.push((criterion.code.clone(), v));
                    values.push(v);
                }
                None => missing.push(criterion.code.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(IncompleteForm { answered, missing });
        }
        Self::from_values(values).map_err(|_| IncompleteForm {
            answered,
            missing: Vec::new(),
        })
    }
}

/// Parses one answer: empty or missing is 0 (no answer), otherwise a digit 0–5.
pub fn parse_answer(criterion: &str, value: Option<&str>) -> Result<u8, AnswersError> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Ok(0);
    }
    match value.parse::<u8>() {
        Ok(v) if v <= 5 => Ok(v),
        _ => Err(AnswersError::OutOfRange {
            criterion: criterion.to_owned(),
            value: value.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sipas2017() -> Questionnaire {
        crate::reference::questionnaires()
            .into_iter()
            .find(|q| q.code == "SIPAS-2017")
            .unwrap()
    }

    #[test]
    fn sipas_2017_has_five_elements_and_22_criteria() {
        let q = sipas2017();
        let sizes: Vec<usize> = q.elements.iter().map(|e| e.criteria.len()).collect();
        assert_eq!(sizes, vec![4, 5, 6, 3, 4]);
        assert_eq!(q.criterion_count(), 22);
        assert_eq!(q.criterion_index("TC1"), Some(0));
        assert_eq!(q.element_of_criteria()[21], 4);
    }

    #[test]
    fn forms_keep_answers_and_name_the_missing() {
        let q = sipas2017();
        let form = |code: &str| match code {
            "TC1" => Some("5"),
            "TC2" => Some("0"),
            "TC3" => Some(" "),
            "TC4" => Some("9"),
            _ => None,
        };
        let incomplete = Answers::from_form(&q, form).unwrap_err();
        assert_eq!(
            incomplete.answered,
            vec![("TC1".into(), 5), ("TC2".into(), 0)]
        );
        assert_eq!(incomplete.missing.len(), 20);
        assert_eq!(
            &incomplete.missing[..2],
            &["TC3".to_string(), "TC4".to_string()]
        );

        let complete =
            Answers::from_form(&q, |c| Some(if c == "TC1" { "2" } else { "4" })).unwrap();
        assert_eq!(complete.values()[0], 2);
        // Every criterion "no opinion": complete, but not a response.
        let none = Answers::from_form(&q, |_| Some("0")).unwrap_err();
        assert!(none.missing.is_empty() && none.answered.len() == 22);
    }

    #[test]
    fn refuses_duplicate_criteria_with_line_number() {
        let csv = "element_code,element_vi,element_en,criterion_code,text_vi,text_en\n\
                   E1,a,a,C1,x,x\nE1,a,a,C1,y,y\n";
        let err = Questionnaire::from_csv("X", 1, "X", csv).unwrap_err();
        assert_eq!(
            err,
            QuestionnaireError::Line {
                line: 3,
                message: "criterion C1 appears twice".into()
            }
        );
    }

    #[test]
    fn refuses_split_elements() {
        let csv = "element_code,element_vi,element_en,criterion_code,text_vi,text_en\n\
                   E1,a,a,C1,x,x\nE2,b,b,C2,y,y\nE1,a,a,C3,z,z\n";
        assert!(matches!(
            Questionnaire::from_csv("X", 1, "X", csv),
            Err(QuestionnaireError::Line { line: 4, .. })
        ));
    }

    #[test]
    fn answers_round_trip_and_refuse_bad_values() {
        let q = sipas2017();
        let mut values: Vec<Option<&str>> = vec![Some("4"); 22];
        values[3] = Some("");
        values[4] = None;
        let answers = Answers::parse(&q, values.clone()).unwrap();
        assert_eq!(&answers.to_digits()[..6], "444004");
        assert_eq!(Answers::from_digits(&answers.to_digits()).unwrap(), answers);

        values[0] = Some("6");
        assert_eq!(
            Answers::parse(&q, values.clone()),
            Err(AnswersError::OutOfRange {
                criterion: "TC1".into(),
                value: "6".into()
            })
        );
        assert!(matches!(
            Answers::parse(&q, vec![Some("4"); 21]),
            Err(AnswersError::WrongLength {
                expected: 22,
                got: 21
            })
        ));
        assert_eq!(
            Answers::parse(&q, vec![Some("0"); 22]),
            Err(AnswersError::AllUnanswered)
        );
        assert!(Answers::from_digits("44x").is_err());
    }
}
