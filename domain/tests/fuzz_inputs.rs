//! Fuzzing (issue 13) of what strangers and officials send: survey tokens and form
//! nonces, the citizen's form, and the CSV importers (frame, responses, units,
//! appraisals). Properties: never a panic; a refusal names real lines of the file; a
//! file is either read whole or refused (no line silently dropped).
//!
//! The suite runs few cases; a long run sets `PROPTEST_CASES` (see docs/fuzzing.md).

use std::collections::HashMap;

mod mutations;

use mutations::{frame_file, mutate, mutation, nasty, responses_file};
use proptest::prelude::*;
use proptest::test_runner::Config;
use sipas_domain::import::{parse_frame, parse_units, read_appraisals, read_frame, read_responses};
use sipas_domain::questionnaire::{Answers, Questionnaire};
use sipas_domain::text::{clean_comment, refuse_control};
use sipas_domain::token::{SigningKeys, SurveyToken};

/// `PROPTEST_CASES` when set (a long run), else `suite` (the test suite's few seconds).
fn cases(suite: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(suite);
    Config {
        cases,
        ..Config::default()
    }
}

fn sipas2017() -> Questionnaire {
    sipas_domain::reference::questionnaires().remove(0)
}

/// Every line a refusal names is a line of the file (the header is 1; a file's end may
/// be named one past its last line).
fn lines_are_real(text: &str, problems: sipas_domain::import::Problems) -> Result<(), String> {
    let count = text.split('\n').count() as u64;
    let (listed, _) = problems.into_parts();
    for e in &listed {
        if e.line == 0 || e.line > count {
            return Err(format!("line {} of a {count}-line file: {e:?}", e.line));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn tokens_mutated_or_random_never_panic_nor_verify_wrongly(
        campaign in any::<i64>(),
        id in any::<i64>(),
        desk in any::<bool>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        junk in "\\PC{0,80}",
    ) {
        let keys = SigningKeys::new(b"a secret of at least thirty-two bytes!", vec![]);
        let token = if desk {
            SurveyToken::Desk { campaign_id: campaign, service_point_id: id }
        } else {
            SurveyToken::Receipt { campaign_id: campaign, receipt_id: id }
        };
        let signed = keys.sign(&token);
        prop_assert_eq!(keys.verify(&signed), Ok(token));
        let mut bytes = signed.clone().into_bytes();
        for (at, b) in &flips {
            let i = at % bytes.len();
            bytes[i] = *b;
        }
        if let Ok(mutated) = String::from_utf8(bytes) {
            // A changed token never verifies as another token.
            if let Ok(found) = keys.verify(&mutated) {
                prop_assert_eq!(found, token, "{} verified", mutated);
            }
            let _ = keys.verify_form_nonce(&mutated);
        }
        let _ = keys.verify(&junk);
        let _ = keys.verify_form_nonce(&junk);
        let nonce = keys.form_nonce_with(1_700_000_000, [1, 2, 3, 4, 5, 6, 7, 8]);
        prop_assert!(keys.verify_form_nonce(&nonce).is_ok());
    }

    #[test]
    fn the_citizen_form_keeps_every_valid_answer_and_never_panics(
        fields in proptest::collection::hash_map("\\PC{0,6}|TC[0-9]{1,2}|[A-Z]{2}[0-9]", nasty(), 0..30),
        valid in proptest::collection::vec(0..=5u8, 22..=22),
        comment in "\\PC{0,300}",
    ) {
        let q = sipas2017();
        // Random fields over a valid form: the valid answers of untouched criteria stay.
        let mut form: HashMap<String, String> = q
            .criteria()
            .zip(&valid)
            .map(|((_, c), v)| (c.code.clone(), v.to_string()))
            .collect();
        form.extend(fields);
        match Answers::from_form(&q, |name| form.get(name).map(String::as_str)) {
            Ok(answers) => {
                prop_assert_eq!(answers.values().len(), 22);
                prop_assert!(answers.values().iter().all(|v| *v <= 5));
                prop_assert!(answers.values().iter().any(|v| *v > 0));
            }
            Err(incomplete) => {
                prop_assert_eq!(incomplete.answered.len() + incomplete.missing.len(),
                    if incomplete.missing.is_empty() { incomplete.answered.len() } else { 22 });
                for (code, v) in &incomplete.answered {
                    prop_assert_eq!(form[code].trim(), v.to_string());
                }
            }
        }
        if let Some(kept) = clean_comment(&comment, 2_000) {
            prop_assert!(!kept.contains('\0'));
            prop_assert!(kept.chars().count() <= 2_000);
        }
    }

    #[test]
    fn a_mutated_frame_file_is_read_whole_or_refused_by_real_lines(
        file in frame_file((18_000..18_040).map(|c| c.to_string()).collect()),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let text = mutate(&file, &mutations);
        let (lines, problems) = read_frame(&text);
        if problems.is_empty() {
            // Read whole: one line per data line of the file, none dropped.
            let data = csv_data_lines(&text);
            prop_assert_eq!(lines.len(), data, "{:?}", text);
            prop_assert!(lines.iter().all(|l| l.population <= sipas_domain::quota::MAX_POPULATION));
            prop_assert!(lines.iter().all(|l| refuse_control(&l.unit_code).is_ok()));
            prop_assert!(parse_frame(&text).is_ok());
        } else {
            lines_are_real(&text, problems).map_err(TestCaseError::fail)?;
            prop_assert!(parse_frame(&text).is_err());
        }
    }

    #[test]
    fn a_mutated_responses_file_is_read_whole_or_refused_by_real_lines(
        file in responses_file("18073"),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let q = sipas2017();
        let text = mutate(&file, &mutations);
        let (lines, problems) = read_responses(&text, &q);
        if problems.is_empty() {
            prop_assert_eq!(lines.len(), csv_data_lines(&text), "{:?}", text);
            for l in &lines {
                prop_assert_eq!(l.answers.values().len(), 22);
                prop_assert!(refuse_control(&l.unit_code).is_ok());
            }
        } else {
            lines_are_real(&text, problems).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn any_text_given_to_the_importers_never_panics(text in "\\PC{0,400}|[,\"\n\r0-9a-z\u{0}-\u{1f}]{0,200}") {
        let q = sipas2017();
        for problems in [
            read_frame(&text).1,
            read_responses(&text, &q).1,
            read_appraisals(&text).1,
        ] {
            lines_are_real(&text, problems).map_err(TestCaseError::fail)?;
        }
        if let Err(problems) = parse_units(&text) {
            lines_are_real(&text, problems).map_err(TestCaseError::fail)?;
        }
    }
}

/// How many records the file holds after its header, as the csv crate counts them
/// (blank lines are no records).
fn csv_data_lines(text: &str) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader.records().filter(|r| r.is_ok()).count()
}

#[test]
fn a_blank_file_is_refused_on_line_1() {
    for text in ["", "\n", "\n\n\n", "  \n \t\n"] {
        let (errors, _) = parse_frame(text).unwrap_err().into_parts();
        assert!(errors.iter().all(|e| e.line == 1), "{text:?}: {errors:?}");
    }
}
