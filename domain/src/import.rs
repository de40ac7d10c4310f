//! CSV imports from survey staff: a campaign's frame (completed dossiers per unit or
//! service point) and paper or interviewer responses. Parsing is all-or-nothing and
//! reports every bad line at once, by line (the header is line 1) and column.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::campaign::Channel;
use crate::questionnaire::{Answers, AnswersError, Questionnaire, parse_answer};
use crate::text::refuse_control;
use crate::unit::UnitRecord;

/// At most this many problems are listed; a file with more is summarised.
pub const MAX_REPORTED: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl LineError {
    pub fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// One line of a frame file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameLine {
    pub line: u64,
    pub unit_code: String,
    /// Empty: the line gives the whole unit's N.
    pub service_point_code: Option<String>,
    pub population: u64,
}

/// One paper or interviewer form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseLine {
    pub line: u64,
    pub unit_code: String,
    /// Empty: the unit's own one-stop desk.
    pub service_point_code: Option<String>,
    pub channel: Channel,
    pub answers: Answers,
    /// The number printed on the form (optional column `serial`); unique per campaign.
    pub serial: Option<String>,
}

/// The longest serial number a form may carry.
pub const MAX_SERIAL_CHARS: usize = 40;

/// A form's serial number as keyed or imported: trimmed, at most [`MAX_SERIAL_CHARS`]
/// characters, no control characters. `Ok(None)`: none given.
pub fn parse_serial(value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_SERIAL_CHARS {
        return Err(format!(
            "serial {value:?} is longer than {MAX_SERIAL_CHARS} characters"
        ));
    }
    if let Err(found) = refuse_control(value) {
        return Err(format!("serial {value:?} holds {found}"));
    }
    Ok(Some(value.to_owned()))
}

/// Collects problems up to [`MAX_REPORTED`], counting the rest.
#[derive(Debug, Default)]
pub struct Problems {
    listed: Vec<LineError>,
    more: usize,
}

impl Problems {
    pub fn push(&mut self, error: LineError) {
        if self.listed.len() < MAX_REPORTED {
            self.listed.push(error);
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// How many problems so far, listed or not.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more
    }

    /// Adds another set's problems (a later check of the same file).
    pub fn append(&mut self, other: Problems) {
        let (listed, more) = other.into_parts();
        for e in listed {
            self.push(e);
        }
        self.more += more;
    }

    /// The listed problems, in line order, and how many more were not listed.
    pub fn into_parts(mut self) -> (Vec<LineError>, usize) {
        self.listed.sort_by_key(|e| e.line);
        (self.listed, self.more)
    }
}

/// One data line of a CSV file: its line number (the header is line 1) and its fields
/// by column name.
struct Row<'r> {
    line: u64,
    record: &'r csv::StringRecord,
    columns: &'r HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, name: &str) -> &str {
        self.columns
            .get(name)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
    }

    fn problem(&self, column: Option<&str>, message: impl Into<String>) -> LineError {
        LineError::new(self.line, column, message)
    }
}

/// Reads a CSV file whose header must name every `required` column (and, when
/// `only_required` names the template, no other), giving each data line to `each`.
/// Problems with the header stop the read: no line could be understood.
/// Line numbers from byte offsets: the csv reader skips blank lines without counting
/// them, so its own line numbers drift below the first blank line (and an Excel sheet's
/// blank rows are blank lines). Offsets only grow, so counting is linear overall.
struct LineNumbers<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineNumbers<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record the reader places at `offset`: the reader's offset is
    /// where the previous record ended, before the blank lines it skipped.
    fn at(&mut self, offset: u64) -> u64 {
        let mut offset = (offset as usize).min(self.text.len());
        while offset < self.text.len() && matches!(self.text[offset], b'\n' | b'\r') {
            offset += 1;
        }
        if offset < self.offset {
            // Never happens with one forward reader; stay correct if it did.
            self.offset = 0;
            self.line = 1;
        }
        self.line += self.text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = offset;
        self.line
    }

    /// The line of the header: the first that is not blank, or line 1 in a file with
    /// none (no line past the end of the file).
    fn first_nonblank(&self) -> u64 {
        let is_blank = |l: &[u8]| l.iter().all(|b| b.is_ascii_whitespace());
        let blank = self
            .text
            .split(|&b| b == b'\n')
            .take_while(|l| is_blank(l))
            .count();
        if blank == self.text.split(|&b| b == b'\n').count() {
            1
        } else {
            blank as u64 + 1
        }
    }
}

fn read_rows(
    text: &str,
    required: &[&str],
    optional: &[&str],
    only_required: Option<&str>,
    mut each: impl FnMut(Row<'_>, &mut Problems),
) -> Problems {
    let mut problems = Problems::default();
    let mut lines = LineNumbers::new(text);
    let header_line = lines.first_nonblank();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(LineError::new(
                header_line,
                None,
                format!("unreadable header: {e}"),
            ));
            return problems;
        }
    };
    let mut columns = HashMap::new();
    let mut names = Vec::with_capacity(headers.len());
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim_start_matches('\u{feff}').to_owned();
        names.push(name.clone());
        if let Err(found) = refuse_control(&name) {
            problems.push(LineError::new(
                header_line,
                None,
                format!("column {} of the header holds {found}", i + 1),
            ));
            continue;
        }
        if columns.insert(name.clone(), i).is_some() {
            problems.push(LineError::new(
                header_line,
                Some(&name),
                format!("column {name} appears twice"),
            ));
        }
    }
    for name in required {
        if !columns.contains_key(*name) {
            problems.push(LineError::new(
                header_line,
                Some(name),
                format!("the header has no column {name}"),
            ));
        }
    }
    if let Some(template) = only_required {
        for name in columns
            .keys()
            .filter(|n| !required.contains(&n.as_str()) && !optional.contains(&n.as_str()))
        {
            problems.push(LineError::new(
                header_line,
                Some(name),
                format!("unknown column {name}: not a criterion of {template}"),
            ));
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    for record in reader.records() {
        match record {
            Ok(record) if record.len() != headers.len() => {
                let line = record.position().map_or(0, |p| lines.at(p.byte()));
                problems.push(LineError::new(
                    line,
                    None,
                    format!(
                        "the line has {} fields where the header has {}",
                        record.len(),
                        headers.len()
                    ),
                ));
            }
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.at(p.byte()));
                // No cell holds a control character: a code with a NUL byte would reach
                // the database, which refuses it (PostgreSQL) or keeps it (SQLite).
                let mut clean = true;
                for (name, cell) in names.iter().zip(record.iter()) {
                    if let Err(found) = refuse_control(cell) {
                        clean = false;
                        problems.push(LineError::new(
                            line,
                            Some(name),
                            format!("{name} holds {found}"),
                        ));
                    }
                }
                if !clean {
                    continue;
                }
                each(
                    Row {
                        line,
                        record: &record,
                        columns: &columns,
                    },
                    &mut problems,
                );
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                problems.push(LineError::new(line, None, format!("unreadable line: {e}")));
            }
        }
    }
    problems
}

fn optional(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|v| !v.is_empty())
}

/// Parses `unit_code,service_point_code,population`. A unit is given either once
/// as a whole or per service point, never both; no line twice.
pub fn parse_frame(text: &str) -> Result<Vec<FrameLine>, Problems> {
    let (lines, problems) = read_frame(text);
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

/// [`parse_frame`]'s good lines and its problems: a caller that checks the good lines
/// further (their codes) reports every bad line of the file at once.
pub fn read_frame(text: &str) -> (Vec<FrameLine>, Problems) {
    let mut lines = Vec::new();
    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut per_point: HashMap<String, bool> = HashMap::new();
    let required = ["unit_code", "service_point_code", "population"];
    let problems = read_rows(text, &required, &[], None, |row, problems| {
        let unit_code = row.get("unit_code").to_owned();
        if unit_code.is_empty() {
            return problems.push(row.problem(Some("unit_code"), "unit_code is empty"));
        }
        let service_point_code = optional(row.get("service_point_code"));
        let max = crate::quota::MAX_POPULATION;
        let Some(population) = row
            .get("population")
            .parse::<u64>()
            .ok()
            .filter(|&n| n <= max)
        else {
            let message = format!(
                "population {:?} is not a whole number from 0 to {max}",
                row.get("population")
            );
            return problems.push(row.problem(Some("population"), message));
        };
        if !seen.insert((unit_code.clone(), service_point_code.clone())) {
            let message = format!("{unit_code} is given twice");
            return problems.push(row.problem(Some("unit_code"), message));
        }
        let by_point = service_point_code.is_some();
        if *per_point.entry(unit_code.clone()).or_insert(by_point) != by_point {
            let message =
                format!("unit {unit_code} is given both as a whole and per service point");
            return problems.push(row.problem(Some("service_point_code"), message));
        }
        lines.push(FrameLine {
            line: row.line,
            unit_code,
            service_point_code,
            population,
        });
    });
    (lines, problems)
}

/// One line of a province's own units file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLine {
    pub line: u64,
    pub unit: UnitRecord,
}

/// Parses `code,name,unit_type,parent_code` (a province's departments and central
/// agencies, or any units it adds); an empty parent is the province itself. No code
/// twice.
pub fn parse_units(text: &str) -> Result<Vec<UnitLine>, Problems> {
    let mut lines = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let required = ["code", "name", "unit_type", "parent_code"];
    let problems = read_rows(text, &required, &[], None, |row, problems| {
        let code = row.get("code");
        let parent = row.get("parent_code");
        match UnitRecord::parse(code, row.get("name"), row.get("unit_type"), Some(parent)) {
            Ok(unit) => {
                if !seen.insert(unit.code.clone()) {
                    let message = format!("{} is given twice", unit.code);
                    return problems.push(row.problem(Some("code"), message));
                }
                lines.push(UnitLine {
                    line: row.line,
                    unit,
                });
            }
            Err(errors) => {
                for e in errors {
                    problems.push(row.problem(Some(e.field), e.message));
                }
            }
        }
    });
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

/// Why a province cannot be set up.
#[derive(Debug)]
pub enum ProvinceSetupError {
    /// Not one of the 34 provinces; the message lists them.
    UnknownProvince(String),
    /// The province's own file has bad lines.
    Refused(Problems),
}

/// The units that set a province up: the province itself and its communes from the
/// national list (line 0: they come from no file of the caller's), then the lines of
/// its own file (departments, central agencies, …), whose empty parent is the
/// province.
pub fn province_units(
    province_code: &str,
    own_units: Option<&str>,
) -> Result<Vec<UnitLine>, ProvinceSetupError> {
    let Some(found) = crate::reference::province_communes(province_code) else {
        let known: Vec<String> = crate::reference::provinces()
            .into_iter()
            .map(|(code, name)| format!("{code} {name}"))
            .collect();
        return Err(ProvinceSetupError::UnknownProvince(format!(
            "unknown province {province_code:?}; the 34 provinces are: {}",
            known.join(", ")
        )));
    };
    let mut lines: Vec<UnitLine> = std::iter::once(found.province)
        .chain(found.communes)
        .map(|unit| UnitLine { line: 0, unit })
        .collect();
    if let Some(text) = own_units {
        for mut l in parse_units(text).map_err(ProvinceSetupError::Refused)? {
            if l.unit.parent_code.is_none() {
                l.unit.parent_code = Some(province_code.to_owned());
            }
            lines.push(l);
        }
    }
    Ok(lines)
}

/// Parses `unit_code,service_point_code,channel,<criterion codes>` and an optional
/// `serial` column: channel `paper` or `interviewer`; answers `1`–`5`, `0` or empty for
/// no answer; a serial given twice in the file is a line error.
pub fn parse_responses(
    text: &str,
    questionnaire: &Questionnaire,
) -> Result<Vec<ResponseLine>, Problems> {
    let (lines, problems) = read_responses(text, questionnaire);
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

/// [`parse_responses`]'s good lines and its problems (see [`read_frame`]).
pub fn read_responses(text: &str, questionnaire: &Questionnaire) -> (Vec<ResponseLine>, Problems) {
    let criteria: Vec<&str> = questionnaire
        .criteria()
        .map(|(_, c)| c.code.as_str())
        .collect();
    let mut required = vec!["unit_code", "service_point_code", "channel"];
    required.extend(&criteria);
    let mut lines = Vec::new();
    let mut serials: HashMap<String, u64> = HashMap::new();
    let problems = read_rows(
        text,
        &required,
        &["serial"],
        Some(&questionnaire.code),
        |row, problems| {
            let before = problems.len();
            let serial = match parse_serial(row.get("serial")) {
                Ok(Some(serial)) => match serials.get(&serial) {
                    Some(first) => {
                        let message = format!("serial {serial} is also on line {first}");
                        problems.push(row.problem(Some("serial"), message));
                        None
                    }
                    None => {
                        serials.insert(serial.clone(), row.line);
                        Some(serial)
                    }
                },
                Ok(None) => None,
                Err(message) => {
                    problems.push(row.problem(Some("serial"), message));
                    None
                }
            };
            let unit_code = row.get("unit_code").to_owned();
            if unit_code.is_empty() {
                problems.push(row.problem(Some("unit_code"), "unit_code is empty"));
            }
            let channel = match Channel::parse(row.get("channel")) {
                Some(c @ (Channel::Paper | Channel::Interviewer)) => Some(c),
                _ => {
                    let message = format!(
                        "channel {:?} must be paper or interviewer",
                        row.get("channel")
                    );
                    problems.push(row.problem(Some("channel"), message));
                    None
                }
            };
            let mut values = Vec::with_capacity(criteria.len());
            for code in &criteria {
                match parse_answer(code, Some(row.get(code))) {
                    Ok(v) => values.push(v),
                    Err(_) => {
                        let message = format!(
                            "answer {:?} must be 1–5, or 0 or empty for no answer",
                            row.get(code)
                        );
                        problems.push(row.problem(Some(code), message));
                    }
                }
            }
            let Some(channel) = channel.filter(|_| problems.len() == before) else {
                return;
            };
            match Answers::from_values(values) {
                Ok(answers) => lines.push(ResponseLine {
                    line: row.line,
                    unit_code,
                    service_point_code: optional(row.get("service_point_code")),
                    channel,
                    answers,
                    serial,
                }),
                Err(AnswersError::AllUnanswered) => problems.push(row.problem(
                    None,
                    "every criterion is unanswered: this is not a response",
                )),
                Err(e) => problems.push(row.problem(None, e.to_string())),
            }
        },
    );
    (lines, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sipas2017() -> Questionnaire {
        crate::reference::questionnaires().remove(0)
    }

    fn header(q: &Questionnaire) -> String {
        let codes: Vec<&str> = q.criteria().map(|(_, c)| c.code.as_str()).collect();
        format!("unit_code,service_point_code,channel,{}\n", codes.join(","))
    }

    #[test]
    fn frame_lines_parse_and_every_problem_is_reported() {
        let ok = parse_frame(
            "unit_code,service_point_code,population\n18073,,120\nS-NV,MC,40\nS-NV,MC-2,60\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        assert_eq!(
            ok[0],
            FrameLine {
                line: 2,
                unit_code: "18073".into(),
                service_point_code: None,
                population: 120
            }
        );
        assert_eq!(ok[2].line, 4);

        let text = "unit_code,service_point_code,population\n18073,,-5\n,,3\n18077,,1\n18077,,2\nS-NV,,10\nS-NV,MC,5\n";
        let (errors, more) = parse_frame(text).unwrap_err().into_parts();
        assert_eq!(more, 0);
        let found: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, Some("population")),
                (3, Some("unit_code")),
                (5, Some("unit_code")),
                (7, Some("service_point_code")),
            ]
        );
        let huge = "unit_code,service_point_code,population\n18073,,9223372036854775808\nS-NV,MC,1000000001\nS-NV,MC-2,1000000000\n";
        let errors = parse_frame(huge).unwrap_err();
        let (listed, _) = errors.into_parts();
        let at: Vec<(u64, Option<&str>)> = listed
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        // 2^63 and one over the bound are refused on their lines; the bound itself is not.
        assert_eq!(at, vec![(2, Some("population")), (3, Some("population"))]);
        let (errors, _) = parse_frame("unit,population\n1,2\n")
            .unwrap_err()
            .into_parts();
        assert!(errors.iter().all(|e| e.line == 1));
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn response_lines_parse_with_empty_as_no_answer() {
        let q = sipas2017();
        let row =
            |channel: &str, first: &str| format!("18073,,{channel},{first}{}\n", ",4".repeat(21));
        let text = format!(
            "{}{}{}",
            header(&q),
            row("paper", "5"),
            row("interviewer", "")
        );
        let lines = parse_responses(&text, &q).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].answers.to_digits(), format!("5{}", "4".repeat(21)));
        assert_eq!(lines[1].answers.values()[0], 0);
        assert_eq!(lines[1].channel, Channel::Interviewer);
        assert_eq!(lines[1].line, 3);
    }

    #[test]
    fn response_problems_name_line_and_column() {
        let q = sipas2017();
        let good = format!("18073,,paper{}\n", ",4".repeat(22));
        let bad_answer = format!("18073,,paper,7{}\n", ",4".repeat(21));
        let bad_channel = format!("18073,,email{}\n", ",4".repeat(22));
        let empty = format!("18073,,paper{}\n", ",".repeat(22));
        let text = format!("{}{good}{bad_answer}{bad_channel}{empty}", header(&q));
        let (errors, _) = parse_responses(&text, &q).unwrap_err().into_parts();
        let found: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            vec![(3, Some("TC1")), (4, Some("channel")), (5, None)]
        );

        let missing_column = "unit_code,service_point_code,channel,TC1,XX9\n";
        let (errors, _) = parse_responses(missing_column, &q)
            .unwrap_err()
            .into_parts();
        assert!(errors.iter().any(|e| e.column.as_deref() == Some("TC2")));
        assert!(errors.iter().any(|e| e.column.as_deref() == Some("XX9")));
    }

    #[test]
    fn serials_are_optional_and_unique_in_a_file() {
        let q = sipas2017();
        let codes: Vec<&str> = q.criteria().map(|(_, c)| c.code.as_str()).collect();
        let head = format!(
            "serial,unit_code,service_point_code,channel,{}\n",
            codes.join(",")
        );
        let line = |serial: &str| format!("{serial},18073,,paper{}\n", ",4".repeat(22));
        let text = format!("{head}{}{}{}", line("A-1"), line(""), line(" A-2 "));
        let lines = parse_responses(&text, &q).unwrap();
        let serials: Vec<Option<&str>> = lines.iter().map(|l| l.serial.as_deref()).collect();
        assert_eq!(serials, [Some("A-1"), None, Some("A-2")]);
        let long = "x".repeat(MAX_SERIAL_CHARS + 1);
        let text = format!("{head}{}{}{}", line("A-1"), line("A-1"), line(&long));
        let (errors, _) = parse_responses(&text, &q).unwrap_err().into_parts();
        let found: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(found, [(3, Some("serial")), (4, Some("serial"))]);
        assert!(errors[0].message.contains("line 2"), "{errors:?}");
        // Without the column, a file reads as before.
        let plain = format!("{}18073,,paper{}\n", header(&q), ",4".repeat(22));
        assert!(parse_responses(&plain, &q).unwrap()[0].serial.is_none());
    }

    #[test]
    fn short_and_long_lines_are_refused() {
        let (errors, _) =
            parse_frame("unit_code,service_point_code,population\n18073,,1,9\n18077,5\n")
                .unwrap_err()
                .into_parts();
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert!(errors[0].message.contains("4 fields"));
    }

    #[test]
    fn problems_are_capped() {
        let mut text = String::from("unit_code,service_point_code,population\n");
        for _ in 0..(MAX_REPORTED + 5) {
            text.push_str("1,,x\n");
        }
        let (errors, more) = parse_frame(&text).unwrap_err().into_parts();
        assert_eq!(errors.len(), MAX_REPORTED);
        assert_eq!(more, 5);
    }

    #[test]
    fn own_units_are_read_by_line() {
        let text = "code,name,unit_type,parent_code\nS-NV,Sở Nội vụ,department,\nTW-CA,Công an thành phố,central_agency,01\n";
        let lines = parse_units(text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, 3);
        assert_eq!(lines[1].unit.parent_code.as_deref(), Some("01"));
        assert_eq!(lines[0].unit.parent_code, None);
        let bad = "code,name,unit_type,parent_code\nS-NV,Sở Nội vụ,department,\nS NV,,department,\nS-NV,Again,department,\n";
        let (errors, more) = parse_units(bad).unwrap_err().into_parts();
        assert_eq!(more, 0);
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![(3, Some("code")), (3, Some("name")), (4, Some("code"))]
        );
        assert_eq!(errors[2].message, "S-NV is given twice");
        let (errors, _) = parse_units("code,name\nA,B\n").unwrap_err().into_parts();
        assert_eq!(errors[0].message, "the header has no column unit_type");
    }

    #[test]
    fn a_province_is_its_communes_and_its_own_units() {
        let own = "code,name,unit_type,parent_code\nS-NV,Sở Nội vụ,department,\n";
        let lines = province_units("01", Some(own)).unwrap();
        assert_eq!(lines.len(), 1 + 126 + 1);
        assert_eq!(
            (lines[0].line, lines[0].unit.unit_type.as_str()),
            (0, "province")
        );
        let own_line = lines.last().unwrap();
        assert_eq!(own_line.line, 2);
        assert_eq!(own_line.unit.parent_code.as_deref(), Some("01"));
        assert!(lines[1..127].iter().all(|l| l.unit.unit_type == "commune"));
        match province_units("63", None) {
            Err(ProvinceSetupError::UnknownProvince(m)) => {
                assert!(m.contains("01 Thành phố Hà Nội"))
            }
            other => panic!("{other:?}"),
        }
        let bad = "code,name,unit_type,parent_code\nS NV,x,department,\n";
        assert!(matches!(
            province_units("01", Some(bad)),
            Err(ProvinceSetupError::Refused(_))
        ));
    }

    #[test]
    fn control_characters_in_cells_are_refused_by_line_and_column() {
        let text = "unit_code,service_point_code,population\n18073,,1\n18\x0076,,2\n18077,M\u{7}C,x\n\"180\n78\",,3\n";
        let (errors, _) = parse_frame(text).unwrap_err().into_parts();
        let at: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            at,
            [
                (3, Some("unit_code")),
                (4, Some("service_point_code")),
                (5, Some("unit_code"))
            ]
        );
        assert_eq!(
            errors[0].message,
            "unit_code holds a control character (U+0000) at character 3"
        );
        let (errors, _) = parse_frame("unit_code,service_point\0,population\n1,,2\n")
            .unwrap_err()
            .into_parts();
        assert_eq!((errors[0].line, errors[0].column.as_deref()), (1, None));
    }

    #[test]
    fn blank_lines_keep_the_line_numbers_of_the_file() {
        let text = "\n\nunit_code,service_point_code,population\n\n18073,,x\n\n\n18076,,-5\n";
        let (errors, _) = parse_frame(text).unwrap_err().into_parts();
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5, 8]);
        let (errors, _) = parse_frame("\n\nunit,population\n")
            .unwrap_err()
            .into_parts();
        assert!(errors.iter().all(|e| e.line == 3), "{errors:?}");
    }
}

/// One line of an appraisal file: a unit's appraised points and, when the file has
/// further columns, their breakdown by criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalLine {
    pub line: u64,
    pub unit_code: String,
    pub points: f64,
    /// `(column, points)` in the header's order; empty without criterion columns.
    pub criteria: Vec<(String, f64)>,
}

/// How far a breakdown's sum may stray from the points (decimal commas typed by hand).
pub const CRITERIA_SUM_TOLERANCE: f64 = 1e-6;

fn points_value(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Parses `unit_code,points[,criterion…]`: points are numbers ≥ 0, each criterion
/// column too, and their sum equals `points` within [`CRITERIA_SUM_TOLERANCE`]; no unit
/// twice. The maximum of the unit's type is checked by the caller, who knows it.
pub fn read_appraisals(text: &str) -> (Vec<AppraisalLine>, Problems) {
    let mut lines = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let required = ["unit_code", "points"];
    let problems = read_rows(text, &required, &[], None, |row, problems| {
        let unit_code = row.get("unit_code").to_owned();
        if unit_code.is_empty() {
            return problems.push(row.problem(Some("unit_code"), "unit_code is empty"));
        }
        let Some(points) = points_value(row.get("points")) else {
            let message = format!("points {:?} is not a number ≥ 0", row.get("points"));
            return problems.push(row.problem(Some("points"), message));
        };
        let mut names: Vec<(&String, &usize)> = row
            .columns
            .iter()
            .filter(|(name, _)| !required.contains(&name.as_str()))
            .collect();
        names.sort_by_key(|(_, i)| **i);
        let mut criteria = Vec::with_capacity(names.len());
        let mut bad = false;
        for (name, _) in names {
            match points_value(row.get(name)) {
                Some(v) => criteria.push((name.clone(), v)),
                None => {
                    bad = true;
                    let message = format!("{name} {:?} is not a number ≥ 0", row.get(name));
                    problems.push(row.problem(Some(name), message));
                }
            }
        }
        if bad {
            return;
        }
        if !criteria.is_empty() {
            let sum: f64 = criteria.iter().map(|(_, v)| v).sum();
            if (sum - points).abs() > CRITERIA_SUM_TOLERANCE {
                let message =
                    format!("the criteria add up to {sum}, not to the {points} points given");
                return problems.push(row.problem(Some("points"), message));
            }
        }
        if !seen.insert(unit_code.clone()) {
            let message = format!("{unit_code} is given twice");
            return problems.push(row.problem(Some("unit_code"), message));
        }
        lines.push(AppraisalLine {
            line: row.line,
            unit_code,
            points,
            criteria,
        });
    });
    (lines, problems)
}

#[cfg(test)]
mod appraisal_tests {
    use super::*;

    #[test]
    fn appraisal_lines_with_a_breakdown() {
        let (lines, problems) = read_appraisals(
            "unit_code,points,c1,c2\nA,10.5,4,6.5\nB,3,1,1\nA,1,0.5,0.5\nC,x,1,1\n",
        );
        let (errors, _) = problems.into_parts();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].criteria,
            vec![("c1".into(), 4.0), ("c2".into(), 6.5)]
        );
        let at: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            at,
            vec![
                (3, Some("points")),
                (4, Some("unit_code")),
                (5, Some("points"))
            ]
        );
    }
}
