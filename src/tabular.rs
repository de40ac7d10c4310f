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

fn workbook_csv(bytes: &[u8]) -> Result<String, TableError> {
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
            if cells.len() < width {
                cells.resize(width, String::new());
            }
            let mut writer = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut out);
            writer.write_record(&cells).map_err(csv_error)?;
            writer
                .flush()
                .map_err(|e| TableError::Workbook(e.to_string()))?;
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

    #[test]
    fn a_broken_workbook_is_an_error_not_a_panic() {
        let mut bytes = workbook(&[&["a"]], 0);
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(csv_text(&bytes), Err(TableError::Workbook(_))));
    }
}
