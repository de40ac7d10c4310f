//! Uploaded tables as CSV text: officials keep frames and paper forms in Excel, and the
//! importers read CSV. An XLSX (or XLS/ODS) workbook's first sheet becomes CSV whose
//! line numbers are the sheet's row numbers, so an error "line 7" is row 7 in Excel.

use std::io::Cursor;

use calamine::{Data, Reader};

/// The largest table accepted by the dashboard's uploads (the API's CSV limit).
pub const MAX_UPLOAD_BYTES: usize = crate::http::api::imports::MAX_CSV_BYTES;

/// Why an uploaded file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("the workbook could not be read: {0}")]
    Workbook(String),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the file is neither UTF-8 CSV nor an Excel workbook")]
    NotText,
}

/// Whether the bytes are a workbook (a ZIP container, or an old binary XLS) rather than
/// CSV: decided by content, not by the file's name, which a browser may not send.
fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The file as CSV text: CSV as it is (a UTF-8 byte-order mark removed), a workbook's
/// first sheet converted.
pub fn csv_text(bytes: &[u8]) -> Result<String, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    if is_workbook(bytes) {
        return workbook_csv(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| TableError::NotText)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned())
}

/// The most columns a table may use: a response file has about 30, an appraisal file
/// its criteria. A cell further right is a stray, refused before anything is built.
pub const MAX_COLUMNS: u32 = 1_000;

/// The most non-empty cells a sheet may hold (100,000 forms of 22 answers, and more).
pub const MAX_CELLS: usize = 5_000_000;

/// The most a workbook may hold once unpacked: a few megabytes of table compress well,
/// but not a thousandfold (a "ZIP bomb" would fill the memory before any check).
pub const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;

fn workbook_csv(bytes: &[u8]) -> Result<String, TableError> {
    // calamine may panic on a malformed workbook: the upload is refused, the worker lives.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if bytes.starts_with(b"PK\x03\x04") {
            check_unpacked_size(bytes)?;
            if let Ok(book) = calamine::Xlsx::new(Cursor::new(bytes)) {
                return xlsx_csv(book);
            }
        }
        other_workbook_csv(bytes)
    }))
    .unwrap_or_else(|_| {
        Err(TableError::Workbook(
            "the workbook is malformed (its reader failed)".into(),
        ))
    })
}

/// Refuses a ZIP container whose entries say they unpack to more than
/// [`MAX_UNPACKED_BYTES`].
fn check_unpacked_size(bytes: &[u8]) -> Result<(), TableError> {
    let broken = |e: zip::result::ZipError| TableError::Workbook(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        // The central directory's size, read without unpacking anything.
        total = total.saturating_add(archive.by_index_raw(i).map_err(broken)?.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(TableError::Workbook(format!(
            "the workbook unpacks to {} MB, more than the {} MB a table may take",
            total / (1024 * 1024),
            MAX_UNPACKED_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

/// An XLSX workbook's first sheet, read cell by cell: calamine's own range would be
/// allocated over the sheet's whole extent, billions of cells for one stray cell at
/// `XFD1048576`; here only the cells that hold something are kept, and a cell past
/// [`MAX_COLUMNS`] or more than [`MAX_CELLS`] of them refuse the file.
fn xlsx_csv(mut book: calamine::Xlsx<Cursor<&[u8]>>) -> Result<String, TableError> {
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::NoSheet)?;
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| TableError::Workbook(e.to_string()))?
    {
        let (row, column) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if column >= MAX_COLUMNS {
            return Err(TableError::Workbook(format!(
                "row {} has a value in column {}; a table has at most {MAX_COLUMNS} columns",
                u64::from(row) + 1,
                u64::from(column) + 1
            )));
        }
        if cells.len() >= MAX_CELLS {
            return Err(TableError::Workbook(format!(
                "the sheet holds more than {MAX_CELLS} values"
            )));
        }
        cells.push((row, column, text));
    }
    cells.sort_by_key(|(row, column, _)| (*row, *column));
    let mut next_row = 0u32;
    let mut out = Vec::new();
    let mut width = 0;
    let mut i = 0;
    while i < cells.len() {
        let row = cells[i].0;
        // Rows without a value are blank lines, so line n is still row n.
        out.resize(out.len() + (row - next_row) as usize, b'\n');
        let mut line: Vec<String> = Vec::new();
        while i < cells.len() && cells[i].0 == row {
            let (_, column, text) = std::mem::take(&mut cells[i]);
            if line.len() <= column as usize {
                line.resize(column as usize + 1, String::new());
            }
            line[column as usize] = text;
            i += 1;
        }
        if width == 0 {
            width = line.len();
        }
        write_row(&mut out, line, width)?;
        next_row = row + 1;
    }
    String::from_utf8(out).map_err(|_| TableError::NotText)
}

/// One row as a CSV line, at least as wide as the header, so a row whose last cells
/// are empty still has every field (the importers count them).
fn write_row(out: &mut Vec<u8>, mut cells: Vec<String>, width: usize) -> Result<(), TableError> {
    if cells.len() < width {
        cells.resize(width, String::new());
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    writer.write_record(&cells).map_err(csv_error)?;
    writer
        .flush()
        .map_err(|e| TableError::Workbook(e.to_string()))
}

/// An XLS or ODS workbook's first sheet (their readers build the whole range; the
/// formats bound it: 65,536 × 256 cells for XLS).
fn other_workbook_csv(bytes: &[u8]) -> Result<String, TableError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(TableError::NoSheet)?
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    // Rows above the used range are blank lines, so line n is still row n.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut out = Vec::new();
    // Every row as wide as the header, so a row whose last cells are empty still has
    // every field (the importers count them).
    let mut width = 0;
    for row in range.rows() {
        let mut cells: Vec<String> = std::iter::repeat_n(String::new(), first_col as usize)
            .chain(row.iter().map(cell_text))
            .collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if width == 0 {
            width = cells.len();
        }
        if !cells.is_empty() {
            write_row(&mut out, cells, width)?;
        } else {
            // A blank row stays a blank line, so the rows below keep their numbers.
            out.push(b'\n');
        }
    }
    let body = String::from_utf8(out).map_err(|_| TableError::NotText)?;
    Ok("\n".repeat(first_row as usize) + &body)
}

fn csv_error(e: csv::Error) -> TableError {
    TableError::Workbook(e.to_string())
}

/// A cell as the CSV importers expect it: whole numbers without ".0" (Excel stores every
/// number as a float), dates as ISO dates, booleans as 1/0.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
            format!("{}", *f as i64)
        }
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Data::DateTime(d) => {
            let serial = d.as_f64();
            // Excel's day 0 is 1899-12-30 (its 1900 leap-year bug included).
            let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d0| {
                d0.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
            });
            day.map_or_else(|| serial.to_string(), |d| d.to_string())
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(rows: &[&[&str]], start_row: u32) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (start_row + r as u32, c as u16);
                match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(r, c, n).map(|_| ()),
                    Err(_) => sheet.write_string(r, c, *cell).map(|_| ()),
                }
                .unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn csv_passes_through_without_its_byte_order_mark() {
        assert_eq!(
            csv_text("\u{feff}a,b\n1,2\n".as_bytes()).unwrap(),
            "a,b\n1,2\n"
        );
        assert_eq!(csv_text(b""), Err(TableError::Empty));
        assert_eq!(csv_text(&[0xff, 0xfe, 0x00]), Err(TableError::NotText));
    }

    #[test]
    fn a_workbook_becomes_csv_with_excel_row_numbers() {
        let bytes = workbook(
            &[
                &["unit_code", "service_point_code", "population"],
                &["18073", "", "1200"],
                &[],
                &["18076", "A, B", "35.5"],
            ],
            2,
        );
        let text = csv_text(&bytes).unwrap();
        assert_eq!(
            text,
            "\n\nunit_code,service_point_code,population\n18073,,1200\n\n18076,\"A, B\",35.5\n"
        );
        // The importers report Excel's row numbers (1-based: rows 3, 4, 6 here).
        let bad = workbook(
            &[
                &["unit_code", "service_point_code", "population"],
                &["18073", "", "lots"],
                &[],
                &["18076"],
            ],
            2,
        );
        let text = csv_text(&bad).unwrap();
        let (errors, _) = sipas_domain::import::parse_frame(&text)
            .unwrap_err()
            .into_parts();
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 6], "{errors:?}");
    }

    /// A stray value at Excel's last cell made calamine allocate the whole sheet's
    /// extent (17 billion cells): the process aborted. Now only values are kept.
    #[test]
    fn a_cell_at_a_far_address_is_refused_without_building_the_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "unit_code").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let started = std::time::Instant::now();
        match csv_text(&bytes) {
            Err(TableError::Workbook(m)) => assert!(m.contains("column 16384"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Far down in a used column is only blank lines: line n is still row n.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "unit_code").unwrap();
        sheet.write_string(0, 2, "population").unwrap();
        sheet.write_string(1_048_575, 0, "18073").unwrap();
        let text = csv_text(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(text.lines().count(), 1_048_576);
        assert_eq!(text.lines().last(), Some("18073,,"));
    }

    #[test]
    fn a_workbook_that_unpacks_beyond_the_bound_is_refused() {
        let mut bytes = workbook(&[&["unit_code"]], 0);
        // The central directory says what each entry unpacks to (offset 24 of an
        // entry's record): a ZIP bomb says gigabytes.
        let at = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[at + 24..at + 28].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        match csv_text(&bytes) {
            Err(TableError::Workbook(m)) => assert!(m.contains("unpacks to"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_broken_workbook_is_an_error_not_a_panic() {
        let mut bytes = workbook(&[&["a"]], 0);
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(csv_text(&bytes), Err(TableError::Workbook(_))));
    }
}

/// Fuzzing (issue 13): whatever workbook arrives, reading it never panics and never
/// allocates past the bounds. See docs/fuzzing.md for the long run.
#[cfg(test)]
mod fuzz {
    use std::io::{Read, Write};

    use proptest::prelude::*;
    use proptest::test_runner::Config;

    use super::*;

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

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("unit_code".to_owned()),
            Just("population".to_owned()),
            Just("18073".to_owned()),
            Just("9223372036854775808".to_owned()),
            Just("\0".to_owned()),
            Just("a,\"b\"\n".to_owned()),
            "\\PC{0,10}",
            any::<f64>().prop_map(|f| f.to_string()),
        ]
    }

    /// A workbook with cells anywhere on the sheet, Excel's last cell included.
    fn workbook() -> impl Strategy<Value = Vec<u8>> {
        let position = prop_oneof![
            8 => (0..20u32, 0..5u16),
            1 => (0..1_048_576u32, 0..16_384u16),
        ];
        proptest::collection::vec((position, value()), 0..12).prop_map(|cells| {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for ((row, column), text) in cells {
                let _ = match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => sheet.write_number(row, column, n).map(|_| ()),
                    _ => sheet.write_string(row, column, &text).map(|_| ()),
                };
            }
            book.save_to_buffer().unwrap_or_default()
        })
    }

    /// The workbook with its sheet's XML damaged (stored uncompressed, so the damage is
    /// what calamine reads, not a CRC error).
    fn damaged(bytes: &[u8], edits: &[(usize, Vec<u8>, usize)]) -> Vec<u8> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            if name.ends_with(".xml") && (name.contains("sheet") || name.contains("sharedStrings"))
            {
                for (at, insert, remove) in edits {
                    let at = at % (data.len() + 1);
                    let end = (at + remove).min(data.len());
                    data.splice(at..end, insert.iter().copied());
                }
            }
            out.start_file(name, stored).unwrap();
            out.write_all(&data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn xml_bits() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"<c r=\"XFD1048576\"><v>1</v></c>".to_vec()),
            Just(b"<c r=\"A1048577\" t=\"s\"><v>99999</v></c>".to_vec()),
            Just(b"<dimension ref=\"A1:XFD1048576\"/>".to_vec()),
            Just(b"<row r=\"4294967295\">".to_vec()),
            Just(b"<c r=\"ZZZZZZ1\"><v>1</v></c>".to_vec()),
            Just(b"</row>".to_vec()),
            Just(b"<".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"<si><t>x</t></si>".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ]
    }

    proptest! {
        #![proptest_config(cases(24))]

        #[test]
        fn any_workbook_is_read_or_refused_never_a_panic(bytes in workbook()) {
            if let Ok(text) = csv_text(&bytes) {
                // At most Excel's rows, each no wider than the columns allowed.
                prop_assert!(text.split('\n').count() <= 1_048_577);
                let _ = sipas_domain::import::read_frame(&text);
            }
        }

        #[test]
        fn a_damaged_workbook_is_read_or_refused_never_a_panic(
            bytes in workbook(),
            edits in proptest::collection::vec((any::<usize>(), xml_bits(), 0..16usize), 1..4),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        ) {
            let mut bytes = damaged(&bytes, &edits);
            let _ = csv_text(&bytes);
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = csv_text(&bytes);
        }
    }
}
