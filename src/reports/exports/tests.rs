use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use sipas_domain::statistics::{Estimate, ParPoints};

use super::*;

fn columns(comments: bool) -> ResponseColumns {
    ResponseColumns {
        lang: Lang::Vi,
        criteria: vec!["TC1".into(), "TC2".into(), "TC3".into()],
        comments,
    }
}

fn places() -> Places {
    Places {
        units: HashMap::from([(7, ("18196".into(), "Xã Sơn Kim 1".into()))]),
        desks: HashMap::from([(70, ("MC".into(), "Bộ phận Một cửa".into()))]),
    }
}

/// Two responses: a counted one answered at 20:30 UTC (03:30 the next day in Vietnam)
/// with its second criterion unanswered, and a flagged one whose comment looks like a
/// formula.
fn responses() -> Vec<ResponseRecord> {
    vec![
        ResponseRecord {
            id: 41,
            unit_id: 7,
            service_point_id: 70,
            channel: "desk_qr".into(),
            verified: false,
            answers: "504".into(),
            comment: Some("Cán bộ nhiệt tình, \"chu đáo\"".into()),
            submitted_at: Utc.with_ymd_and_hms(2026, 3, 9, 20, 30, 5).unwrap(),
            exclusion: None,
        },
        ResponseRecord {
            id: 42,
            unit_id: 7,
            service_point_id: 70,
            channel: "paper".into(),
            verified: true,
            answers: "123".into(),
            comment: Some("=HYPERLINK(\"http://x\")".into()),
            submitted_at: Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0).unwrap(),
            exclusion: Some("too_fast".into()),
        },
    ]
}

fn csv_of(columns: &ResponseColumns) -> String {
    let places = places();
    let responses = responses();
    let mut sink = CsvSink::new(&columns.layout()).unwrap();
    let mut cells = Vec::new();
    let mut bytes = sink.take();
    for r in &responses {
        response_cells(columns, &places, r, &mut cells);
        sink.row(&cells).unwrap();
        // Taken in pieces, as a stream sends it.
        bytes.extend(sink.take());
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn responses_csv_has_a_bom_a_header_and_one_line_per_response() {
    let text = csv_of(&columns(true));
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "response_id,unit_code,unit_name,service_point_code,service_point_name,channel,\
         verified,submitted_on,submitted_time,exclusion,TC1,TC2,TC3,comment"
    );
    // Dated in Vietnam's time; the unanswered criterion is empty; quotes doubled.
    assert_eq!(
        lines[1],
        "41,18196,Xã Sơn Kim 1,MC,Bộ phận Một cửa,desk_qr,false,10/03/2026,03:30:05,,5,,4,\
         \"Cán bộ nhiệt tình, \"\"chu đáo\"\"\""
    );
    // Flagged responses are there with their reason; a formula is defused.
    assert_eq!(
        lines[2],
        "42,18196,Xã Sơn Kim 1,MC,Bộ phận Một cửa,paper,true,10/03/2026,08:00:00,too_fast,1,2,3,\
         \"'=HYPERLINK(\"\"http://x\"\")\""
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines.len(), 4);
}

#[test]
fn no_comment_column_for_readers_without_the_right() {
    let text = csv_of(&columns(false));
    let mut lines = text.split("\r\n");
    assert!(lines.next().unwrap().ends_with(",TC1,TC2,TC3"));
    assert!(!text.contains("comment") && !text.contains("chu đáo"));
    assert!(lines.next().unwrap().ends_with(",5,,4"));
}

#[test]
fn labels_in_english_names_in_every_language() {
    let layout = ResponseColumns {
        lang: Lang::En,
        ..columns(true)
    }
    .layout();
    let labels: Vec<&str> = layout.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels[..3], ["Response ID", "Unit code", "Unit name"]);
    assert_eq!(labels.last(), Some(&"Comment"));
    assert_eq!(layout.sheet, "Responses");
    assert_eq!(layout, {
        let mut vi = columns(true).layout();
        vi.sheet = "Responses".into();
        for (c, en) in vi.columns.iter_mut().zip(&labels) {
            c.label = (*en).to_owned();
        }
        vi
    });
    let scores = scores_layout(Lang::En);
    assert_eq!(scores.columns[7].label, "SIPAS index");
    assert_eq!(scores.columns[7].name, "sipas");
}

fn read_xlsx(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("a readable XLSX")
}

fn xlsx_of(columns: &ResponseColumns, max_rows: u32) -> Vec<u8> {
    let places = places();
    let responses = responses();
    let mut sink = XlsxSink::with_max_rows(columns.layout(), max_rows).unwrap();
    let mut cells = Vec::new();
    for r in &responses {
        response_cells(columns, &places, r, &mut cells);
        sink.row(&cells).unwrap();
    }
    let mut out = Vec::new();
    sink.finish(&mut out).unwrap();
    out
}

#[test]
fn responses_xlsx_reads_back_with_typed_cells() {
    let mut book = read_xlsx(xlsx_of(&columns(true), XLSX_MAX_ROWS));
    assert_eq!(book.sheet_names(), vec!["Phiếu trả lời".to_owned()]);
    let range = book.worksheet_range("Phiếu trả lời").unwrap();
    assert_eq!(range.height(), 3);
    assert_eq!(range.width(), 14);
    assert_eq!(range[(0, 2)], Data::String("Tên đơn vị".into()));
    assert_eq!(range[(0, 10)], Data::String("TC1".into()));
    let first = &range[1];
    assert_eq!(first[0].as_f64(), Some(41.0));
    assert_eq!(first[2], Data::String("Xã Sơn Kim 1".into()));
    assert_eq!(first[6], Data::Bool(false));
    match &first[7] {
        Data::DateTime(d) => {
            assert_eq!(d.to_ymd_hms_milli(), (2026, 3, 10, 0, 0, 0, 0));
        }
        other => panic!("the date is a date cell, not {other:?}"),
    }
    match &first[8] {
        Data::DateTime(t) => {
            let (_, _, _, h, m, s, _) = t.to_ymd_hms_milli();
            assert_eq!((h, m, s), (3, 30, 5));
        }
        other => panic!("the time is a time cell, not {other:?}"),
    }
    assert_eq!(first[9], Data::Empty);
    // Answers are numbers; the unanswered one is an empty cell.
    assert_eq!(first[10], Data::Float(5.0));
    assert_eq!(first[11], Data::Empty);
    assert_eq!(first[12], Data::Float(4.0));
    assert_eq!(
        first[13],
        Data::String("Cán bộ nhiệt tình, \"chu đáo\"".into())
    );
    let second = &range[2];
    assert_eq!(second[9], Data::String("too_fast".into()));
    // In a cell, a text stays a text: nothing to defuse.
    assert_eq!(second[13], Data::String("=HYPERLINK(\"http://x\")".into()));
}

#[test]
fn a_full_sheet_continues_on_the_next() {
    let mut book = read_xlsx(xlsx_of(&columns(false), 1));
    assert_eq!(
        book.sheet_names(),
        vec!["Phiếu trả lời".to_owned(), "Phiếu trả lời (2)".to_owned()]
    );
    for (sheet, id) in [("Phiếu trả lời", 41.0), ("Phiếu trả lời (2)", 42.0)] {
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(range.height(), 2, "{sheet}: the header and one row");
        assert_eq!(range[(0, 0)], Data::String("Mã phiếu".into()));
        assert_eq!(range[(1, 0)].as_f64(), Some(id));
    }
}

#[test]
fn the_header_row_is_frozen() {
    let bytes = xlsx_of(&columns(false), XLSX_MAX_ROWS);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{}",
        &xml[..xml.len().min(800)]
    );
    assert!(xml.contains(r#"<col min="3" max="3" width="32.7109375" customWidth="1"/>"#));
}

fn unit_score(code: &str, n: u64, sipas: Option<f64>, flags: &[&str]) -> UnitScore {
    let estimate = |e: Option<f64>, d: f64| Estimate {
        estimate: e,
        se: e.map(|_| 0.01),
        df: Some(n.saturating_sub(1)),
        ci_low: e.map(|e| e - d),
        ci_high: e.map(|e| e + d),
    };
    UnitScore {
        unit_code: code.into(),
        unit_name: format!("Xã {code}"),
        unit_type: "commune".into(),
        parent_code: Some("42".into()),
        n,
        population: Some(1200),
        quota: Some(292),
        strata: 1,
        sipas: estimate(sipas, 0.03),
        mean_score: estimate(sipas.map(|s| 3.0 + s), 0.1),
        elements: None,
        criteria: None,
        par: Some(ParPoints {
            survey_max_points: 2.0,
            points: sipas.map(|s| 2.0 * s),
            ci_low: sipas.map(|s| 2.0 * (s - 0.03)),
            ci_high: sipas.map(|s| 2.0 * (s + 0.03)),
        }),
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
    }
}

#[test]
fn scores_as_csv_and_xlsx() {
    let units = vec![
        unit_score("18196", 300, Some(0.9125), &[]),
        unit_score("18199", 12, None, &["below_quota", "small_sample"]),
    ];
    let csv = String::from_utf8(
        scores_file(
            Lang::Vi,
            &units,
            &FiguresSource::Provisional,
            FileFormat::Csv,
        )
        .unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "unit_code,unit_name,unit_type,parent_code,n,population,quota,sipas,sipas_ci_low,\
         sipas_ci_high,mean_score,mean_score_ci_low,mean_score_ci_high,par_max_points,\
         par_points,par_ci_low,par_ci_high,flags,source"
    );
    assert_eq!(
        lines[1],
        "18196,Xã 18196,commune,42,300,1200,292,0.9125,0.8825,0.9425,3.9125,3.8125,4.0125,2,1.825,1.765,1.885,,Tạm tính (chưa công bố)"
    );
    assert_eq!(
        lines[2],
        "18199,Xã 18199,commune,42,12,1200,292,,,,,,,2,,,,below_quota; small_sample,Tạm tính (chưa công bố)"
    );

    let mut book = read_xlsx(
        scores_file(
            Lang::En,
            &units,
            &FiguresSource::Snapshot {
                version: 2,
                sha256: "ab12".into(),
            },
            FileFormat::Xlsx,
        )
        .unwrap(),
    );
    let range = book.worksheet_range("Scores").unwrap();
    assert_eq!(range.height(), 3);
    assert_eq!(range[(0, 7)], Data::String("SIPAS index".into()));
    assert_eq!(range[(1, 4)], Data::Float(300.0));
    assert_eq!(range[(1, 7)], Data::Float(0.9125));
    assert_eq!(range[(2, 7)], Data::Empty);
    assert_eq!(
        range[(2, 17)],
        Data::String("below_quota; small_sample".into())
    );
    assert_eq!(
        range[(1, 18)],
        Data::String("Snapshot 2 (SHA-256 ab12)".into())
    );
}

#[test]
fn long_texts_are_cut_to_what_a_cell_holds() {
    let long = "ờ".repeat(40_000);
    assert_eq!(within_cell(&long).chars().count(), 32_767);
    assert_eq!(within_cell("ngắn"), "ngắn");
}
