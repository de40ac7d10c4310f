//! Mutations of valid files for the fuzzing properties, shared by the domain's and the
//! HTTP uploads' fuzzing (`#[path]` from tests/integration).
#![allow(dead_code)]

use proptest::prelude::*;
use sipas_domain::questionnaire::Questionnaire;

fn sipas2017() -> Questionnaire {
    sipas_domain::reference::questionnaires().remove(0)
}

/// Cell values that have broken parsers before, or could.
pub fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("5".to_owned()),
        Just("6".to_owned()),
        Just("1e3".to_owned()),
        Just("1000000000".to_owned()),
        Just("1000000001".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("\0".to_owned()),
        Just("\"".to_owned()),
        Just("\"a,b\"".to_owned()),
        Just(",".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("\u{feff}".to_owned()),
        Just(" 18073 ".to_owned()),
        Just("18073".to_owned()),
        Just("MC".to_owned()),
        Just("paper".to_owned()),
        Just("email".to_owned()),
        Just("Sở Nội vụ".to_owned()),
        "\\PC{0,12}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ]
}

/// One way of damaging a text file.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Replace the `field`th field of line `line` (both modulo their counts).
    Field {
        line: usize,
        field: usize,
        value: String,
    },
    /// Insert text at a byte position (moved to a character boundary).
    Insert { at: usize, text: String },
    /// Remove a byte range (moved to character boundaries).
    Remove { at: usize, len: usize },
    /// Repeat a line.
    Duplicate { line: usize },
    /// Cut the file short.
    Truncate { at: usize },
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>(), nasty())
            .prop_map(|(line, field, value)| Mutation::Field { line, field, value }),
        2 => (any::<usize>(), nasty()).prop_map(|(at, text)| Mutation::Insert { at, text }),
        1 => (any::<usize>(), 0..40usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => any::<usize>().prop_map(|line| Mutation::Duplicate { line }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The file after the mutations, in order.
pub fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_owned();
    for m in mutations {
        match m {
            Mutation::Field { line, field, value } => {
                let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
                let i = line % lines.len();
                let mut fields: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
                let j = field % fields.len();
                fields[j] = value.clone();
                lines[i] = fields.join(",");
                text = lines.join("\n");
            }
            Mutation::Insert { at, text: t } => {
                let at = boundary(&text, *at);
                text.insert_str(at, t);
            }
            Mutation::Remove { at, len } => {
                let start = boundary(&text, *at);
                let end = boundary(&text, (start + len).min(text.len()));
                if end > start {
                    text.replace_range(start..end, "");
                }
            }
            Mutation::Duplicate { line } => {
                let lines: Vec<&str> = text.split('\n').collect();
                let i = line % lines.len();
                let mut out: Vec<&str> = lines[..=i].to_vec();
                out.push(lines[i]);
                out.extend(&lines[i + 1..]);
                text = out.join("\n");
            }
            Mutation::Truncate { at } => {
                let at = boundary(&text, *at);
                text.truncate(at);
            }
        }
    }
    text
}

/// A valid frame file of a few lines of these units: a unit at an odd index is given
/// per desk (its desk `MC`), the others whole.
pub fn frame_file(codes: Vec<String>) -> impl Strategy<Value = String> {
    let n = codes.len();
    proptest::collection::vec((0..n, 0..5_000u64), 1..12).prop_map(move |lines| {
        let mut seen = std::collections::HashSet::new();
        let mut text = String::from("unit_code,service_point_code,population\n");
        for (unit, population) in lines {
            let desk = if unit % 2 == 1 { "MC" } else { "" };
            if seen.insert(unit) {
                text.push_str(&format!("{},{desk},{population}\n", codes[unit]));
            }
        }
        text
    })
}

pub fn responses_header(q: &Questionnaire) -> String {
    let codes: Vec<&str> = q.criteria().map(|(_, c)| c.code.as_str()).collect();
    format!(
        "serial,unit_code,service_point_code,channel,{}\n",
        codes.join(",")
    )
}

/// A valid responses file of a few forms.
pub fn responses_file(unit: &'static str) -> impl Strategy<Value = String> {
    let q = sipas2017();
    let header = responses_header(&q);
    let n = q.criterion_count();
    proptest::collection::vec(
        (
            any::<bool>(),
            proptest::collection::vec(1..=5u8, n..=n),
            proptest::option::of(any::<u64>()),
        ),
        1..8,
    )
    .prop_map(move |forms| {
        let mut text = header.clone();
        for (i, (paper, answers, serial)) in forms.into_iter().enumerate() {
            // Random serials: a file sent again is refused as a whole (serials stored).
            let serial = serial.map_or_else(String::new, |s| format!("S-{s:x}-{i}"));
            let channel = if paper { "paper" } else { "interviewer" };
            let answers: Vec<String> = answers.iter().map(u8::to_string).collect();
            text.push_str(&format!(
                "{serial},{unit},,{channel},{}\n",
                answers.join(",")
            ));
        }
        text
    })
}
