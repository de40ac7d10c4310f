//! Exports for spreadsheets: a campaign's responses (one row per response, one column
//! per criterion) and its scores (one row per unit), as CSV or XLSX. Pure writers of
//! rows: what to write comes in (stored responses with the names of their places, or
//! computed scores), bytes come out; reading the database page by page and sending
//! the bytes is the caller's.
//!
//! Each row is a list of typed [`Cell`]s, so one layout serves both formats: numbers
//! stay numbers and dates real dates in XLSX, and CSV writes them as text (numbers with
//! a decimal point, dates dd/mm/yyyy).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use sipas_templates::Lang;

use super::scores::UnitScore;
use crate::storage::exports::ResponseRecord;

/// What can go wrong while writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the spreadsheet could not be written: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

/// One cell's value, typed so that each format writes it as what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Int(i64),
    Number(f64, Style),
    Text(&'a str),
    Bool(bool),
    Date(NaiveDate),
    Time(NaiveTime),
}

/// How a number reads in a spreadsheet (CSV writes the plain value in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// As it is.
    Plain,
    /// Two decimals, e.g. a mean score of 4.27.
    Decimal,
    /// A share (0.9117) shown as a percentage with two decimals, 91.17 %.
    Percent,
}

/// A column: its name in a CSV header (the API's words, the same in every language,
/// for programs), its label in an XLSX header (in the reader's language, for people)
/// and its width in an XLSX sheet (in characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub label: String,
    pub width: f64,
}

/// What a sheet holds: its name and its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub sheet: String,
    pub columns: Vec<Column>,
}

fn column(name: &str, label: &str, width: f64) -> Column {
    Column {
        name: name.to_owned(),
        label: label.to_owned(),
        width,
    }
}

/// Picks the Vietnamese or the English text.
fn tr(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

// ---------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------

/// The columns of a responses export: who answered where and when, then one column per
/// criterion of the campaign's questionnaire in its order, then the comment for a
/// reader allowed to read comments.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseColumns {
    pub lang: Lang,
    /// The questionnaire's criterion codes, in order.
    pub criteria: Vec<String>,
    pub comments: bool,
}

impl ResponseColumns {
    pub fn layout(&self) -> Layout {
        let t = |vi, en| tr(self.lang, vi, en);
        let mut columns = vec![
            column("response_id", t("Mã phiếu", "Response ID"), 10.0),
            column("unit_code", t("Mã đơn vị", "Unit code"), 11.0),
            column("unit_name", t("Tên đơn vị", "Unit name"), 32.0),
            column("service_point_code", t("Mã bộ phận", "Desk code"), 11.0),
            column(
                "service_point_name",
                t("Tên bộ phận tiếp nhận", "Desk name"),
                26.0,
            ),
            column("channel", t("Kênh", "Channel"), 12.0),
            column("verified", t("Đã xác thực", "Verified"), 11.0),
            column("submitted_on", t("Ngày gửi", "Date submitted"), 12.0),
            column("submitted_time", t("Giờ gửi", "Time submitted"), 10.0),
            column(
                "exclusion",
                t("Lý do loại khỏi điểm", "Exclusion reason"),
                14.0,
            ),
        ];
        columns.extend(self.criteria.iter().map(|c| column(c, c, 7.0)));
        if self.comments {
            columns.push(column("comment", t("Ý kiến", "Comment"), 60.0));
        }
        Layout {
            sheet: t("Phiếu trả lời", "Responses").to_owned(),
            columns,
        }
    }
}

/// The names of the places responses come from: units and desks (service points) by
/// id, as `(code, name)`.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub units: HashMap<i32, (String, String)>,
    pub desks: HashMap<i32, (String, String)>,
}

/// One response's cells, in the order of [`ResponseColumns::layout`]. An answer is its
/// number (1–5); an unanswered criterion is an empty cell.
pub fn response_cells<'a>(
    columns: &ResponseColumns,
    places: &'a Places,
    response: &'a ResponseRecord,
    cells: &mut Vec<Cell<'a>>,
) {
    cells.clear();
    let (unit_code, unit_name) = places
        .units
        .get(&response.unit_id)
        .map_or(("", ""), |(c, n)| (c.as_str(), n.as_str()));
    let (desk_code, desk_name) = places
        .desks
        .get(&response.service_point_id)
        .map_or(("", ""), |(c, n)| (c.as_str(), n.as_str()));
    // Dated as the province lives them: in Vietnam's time.
    let local = sipas_domain::campaign::vietnam_time(response.submitted_at);
    cells.extend([
        Cell::Int(response.id),
        Cell::Text(unit_code),
        Cell::Text(unit_name),
        Cell::Text(desk_code),
        Cell::Text(desk_name),
        Cell::Text(&response.channel),
        Cell::Bool(response.verified),
        Cell::Date(local.date()),
        Cell::Time(local.time()),
        response
            .exclusion
            .as_deref()
            .map_or(Cell::Empty, Cell::Text),
    ]);
    let answers = response.answers.as_bytes();
    for i in 0..columns.criteria.len() {
        cells.push(match answers.get(i) {
            Some(d @ b'1'..=b'5') => Cell::Int(i64::from(d - b'0')),
            _ => Cell::Empty,
        });
    }
    if columns.comments {
        cells.push(response.comment.as_deref().map_or(Cell::Empty, Cell::Text));
    }
}

// ---------------------------------------------------------------------------------
// Scores
// ---------------------------------------------------------------------------------

/// The columns of a scores export: the unit, its sample, its SIPAS index and mean score
/// with their intervals, its PAR points with their interval, its flags.
pub fn scores_layout(lang: Lang) -> Layout {
    let t = |vi, en| tr(lang, vi, en);
    let columns = vec![
        column("unit_code", t("Mã đơn vị", "Unit code"), 11.0),
        column("unit_name", t("Tên đơn vị", "Unit name"), 32.0),
        column("unit_type", t("Loại đơn vị", "Unit type"), 14.0),
        column(
            "parent_code",
            t("Mã đơn vị cấp trên", "Parent unit code"),
            12.0,
        ),
        column(
            "n",
            t("Số phiếu được tính (n)", "Counted responses (n)"),
            12.0,
        ),
        column("population", t("Tổng thể (N)", "Population (N)"), 12.0),
        column("quota", t("Chỉ tiêu mẫu", "Quota"), 10.0),
        column("sipas", t("Chỉ số SIPAS", "SIPAS index"), 11.0),
        column("sipas_ci_low", t("SIPAS: cận dưới", "SIPAS: CI low"), 11.0),
        column(
            "sipas_ci_high",
            t("SIPAS: cận trên", "SIPAS: CI high"),
            11.0,
        ),
        column("mean_score", t("Điểm trung bình", "Mean score"), 11.0),
        column(
            "mean_score_ci_low",
            t("Điểm trung bình: cận dưới", "Mean score: CI low"),
            11.0,
        ),
        column(
            "mean_score_ci_high",
            t("Điểm trung bình: cận trên", "Mean score: CI high"),
            11.0,
        ),
        column(
            "par_max_points",
            t("Điểm PAR tối đa", "PAR maximum points"),
            11.0,
        ),
        column("par_points", t("Điểm PAR", "PAR points"), 10.0),
        column(
            "par_ci_low",
            t("Điểm PAR: cận dưới", "PAR points: CI low"),
            11.0,
        ),
        column(
            "par_ci_high",
            t("Điểm PAR: cận trên", "PAR points: CI high"),
            11.0,
        ),
        column("flags", t("Cảnh báo", "Flags"), 30.0),
        column("source", t("Nguồn số liệu", "Source of the figures"), 40.0),
    ];
    Layout {
        sheet: t("Điểm số", "Scores").to_owned(),
        columns,
    }
}

/// Which figures a scores file holds: a published snapshot, or the provisional ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FiguresSource {
    Snapshot { version: u32, sha256: String },
    Provisional,
}

impl FiguresSource {
    /// What the file's `source` column says on every row, so a copied sheet still says
    /// which figures it holds.
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Snapshot { version, sha256 }, Lang::Vi) => {
                format!("Bản công bố số {version} (SHA-256 {sha256})")
            }
            (Self::Snapshot { version, sha256 }, Lang::En) => {
                format!("Snapshot {version} (SHA-256 {sha256})")
            }
            (Self::Provisional, Lang::Vi) => "Tạm tính (chưa công bố)".to_owned(),
            (Self::Provisional, Lang::En) => "Provisional (not published)".to_owned(),
        }
    }
}

/// One unit's cells, in the order of [`scores_layout`]; `flags` is the flags joined
/// (`below_quota; small_sample`). A figure that is undefined is an empty cell.
pub fn score_cells<'a>(
    unit: &'a UnitScore,
    flags: &'a str,
    source: &'a str,
    cells: &mut Vec<Cell<'a>>,
) {
    let number = |x: Option<f64>, style| x.map_or(Cell::Empty, |x| Cell::Number(x, style));
    let count = |x: Option<u64>| x.map_or(Cell::Empty, |x| Cell::Int(x as i64));
    cells.clear();
    cells.extend([
        Cell::Text(&unit.unit_code),
        Cell::Text(&unit.unit_name),
        Cell::Text(&unit.unit_type),
        unit.parent_code.as_deref().map_or(Cell::Empty, Cell::Text),
        Cell::Int(unit.n as i64),
        count(unit.population),
        count(unit.quota),
        number(unit.sipas.estimate, Style::Percent),
        number(unit.sipas.ci_low, Style::Percent),
        number(unit.sipas.ci_high, Style::Percent),
        number(unit.mean_score.estimate, Style::Decimal),
        number(unit.mean_score.ci_low, Style::Decimal),
        number(unit.mean_score.ci_high, Style::Decimal),
        number(unit.par.map(|p| p.survey_max_points), Style::Decimal),
        number(unit.par.and_then(|p| p.points), Style::Decimal),
        number(unit.par.and_then(|p| p.ci_low), Style::Decimal),
        number(unit.par.and_then(|p| p.ci_high), Style::Decimal),
        Cell::Text(flags),
        Cell::Text(source),
    ]);
}

/// Every unit's scores as one file, in memory: a province has thousands of units at
/// most.
pub fn scores_file(
    lang: Lang,
    units: &[UnitScore],
    source: &FiguresSource,
    format: FileFormat,
) -> Result<Vec<u8>, ExportError> {
    let layout = scores_layout(lang);
    let source = source.describe(lang);
    let flags: Vec<String> = units.iter().map(|u| u.flags.join("; ")).collect();
    let mut cells = Vec::with_capacity(layout.columns.len());
    match format {
        FileFormat::Csv => {
            let mut csv = CsvSink::new(&layout)?;
            for (unit, flags) in units.iter().zip(&flags) {
                score_cells(unit, flags, &source, &mut cells);
                csv.row(&cells)?;
            }
            Ok(csv.take())
        }
        FileFormat::Xlsx => {
            let mut xlsx = XlsxSink::new(layout)?;
            for (unit, flags) in units.iter().zip(&flags) {
                score_cells(unit, flags, &source, &mut cells);
                xlsx.row(&cells)?;
            }
            let mut out = Vec::new();
            xlsx.finish(&mut out)?;
            Ok(out)
        }
    }
}

// ---------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------

/// Rows as CSV: UTF-8 with a byte-order mark (so that Excel reads Vietnamese right), a
/// header row of the columns' names, CRLF line ends. Bytes accumulate until
/// [`CsvSink::take`].
pub struct CsvSink {
    writer: csv::Writer<Vec<u8>>,
    scratch: String,
}

impl CsvSink {
    pub fn new(layout: &Layout) -> Result<Self, ExportError> {
        let mut buffer = Vec::with_capacity(256 * 1024);
        buffer.extend_from_slice("\u{feff}".as_bytes());
        let mut writer = Self::writer(buffer);
        writer.write_record(layout.columns.iter().map(|c| c.name.as_str()))?;
        Ok(Self {
            writer,
            scratch: String::with_capacity(64),
        })
    }

    fn writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buffer)
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        for cell in cells {
            self.scratch.clear();
            // Writing to a String cannot fail.
            let _ = match *cell {
                Cell::Empty => Ok(()),
                Cell::Int(n) => write!(self.scratch, "{n}"),
                Cell::Number(x, _) => write!(self.scratch, "{x}"),
                Cell::Text(text) => {
                    self.writer.write_field(defused(text).as_bytes())?;
                    continue;
                }
                Cell::Bool(b) => write!(self.scratch, "{b}"),
                Cell::Date(d) => write!(self.scratch, "{}", d.format("%d/%m/%Y")),
                Cell::Time(t) => write!(self.scratch, "{}", t.format("%H:%M:%S")),
            };
            self.writer.write_field(self.scratch.as_bytes())?;
        }
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// The bytes written since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        let full = std::mem::replace(&mut self.writer, Self::writer(Vec::new()));
        // Flushing into a Vec cannot fail.
        full.into_inner().unwrap_or_default()
    }
}

/// A text that a spreadsheet would take for a formula gets a leading apostrophe:
/// comments are citizens' free text, and a CSV opened in Excel must not run one
/// (OWASP's "CSV injection").
fn defused(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

// ---------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------

/// The most data rows an XLSX sheet holds (Excel's 1,048,576 rows, the header taken).
pub const XLSX_MAX_ROWS: u32 = 1_048_575;

/// Rows as an XLSX workbook in rust_xlsxwriter's constant-memory mode: each row goes
/// to a temporary file as soon as the next begins, so memory stays flat whatever the
/// number of rows; strings are stored inline. A sheet that is full continues on a new
/// one ("Responses (2)"), each with the header row frozen.
pub struct XlsxSink {
    workbook: Workbook,
    sheet: Worksheet,
    /// The next row of the current sheet.
    row: u32,
    sheets: u32,
    max_rows: u32,
    layout: Layout,
    formats: Formats,
}

struct Formats {
    header: Format,
    date: Format,
    time: Format,
    decimal: Format,
    percent: Format,
}

impl XlsxSink {
    pub fn new(layout: Layout) -> Result<Self, ExportError> {
        Self::with_max_rows(layout, XLSX_MAX_ROWS)
    }

    /// A sink whose sheets hold at most `max_rows` data rows each.
    pub fn with_max_rows(layout: Layout, max_rows: u32) -> Result<Self, ExportError> {
        let mut workbook = Workbook::new();
        // Level 3 rather than 6: a third faster for ~5 % more bytes (the crate's own
        // measurements; Excel itself uses 3).
        workbook.set_zip_compression_level(3);
        // A worksheet over 4 GB of XML needs ZIP64; Excel reads it.
        workbook.use_zip_large_file(true);
        let formats = Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            time: Format::new().set_num_format("hh:mm:ss"),
            decimal: Format::new().set_num_format("0.00"),
            percent: Format::new().set_num_format("0.00%"),
        };
        let sheet = workbook.new_worksheet_with_constant_memory()?;
        let mut sink = Self {
            workbook,
            sheet,
            row: 0,
            sheets: 1,
            max_rows: max_rows.max(1),
            layout,
            formats,
        };
        sink.start_sheet()?;
        Ok(sink)
    }

    fn start_sheet(&mut self) -> Result<(), ExportError> {
        let name = if self.sheets == 1 {
            self.layout.sheet.clone()
        } else {
            format!("{} ({})", self.layout.sheet, self.sheets)
        };
        self.sheet.set_name(name)?;
        self.sheet.set_freeze_panes(1, 0)?;
        for (i, c) in self.layout.columns.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
            self.sheet.set_column_width(col, c.width)?;
            self.sheet
                .write_string_with_format(0, col, c.label.as_str(), &self.formats.header)?;
        }
        self.row = 1;
        Ok(())
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        if self.row > self.max_rows {
            let next = self.workbook.new_worksheet_with_constant_memory()?;
            let full = std::mem::replace(&mut self.sheet, next);
            self.workbook.push_worksheet(full);
            self.sheets += 1;
            self.start_sheet()?;
        }
        let (row, f) = (self.row, &self.formats);
        for (i, cell) in cells.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
            let sheet = &mut self.sheet;
            match *cell {
                Cell::Empty => continue,
                Cell::Int(n) => sheet.write_number(row, col, n as f64)?,
                Cell::Number(x, Style::Plain) => sheet.write_number(row, col, x)?,
                Cell::Number(x, Style::Decimal) => {
                    sheet.write_number_with_format(row, col, x, &f.decimal)?
                }
                Cell::Number(x, Style::Percent) => {
                    sheet.write_number_with_format(row, col, x, &f.percent)?
                }
                Cell::Text(text) => sheet.write_string(row, col, within_cell(text))?,
                Cell::Bool(b) => sheet.write_boolean(row, col, b)?,
                Cell::Date(d) => {
                    let date = ExcelDateTime::from_ymd(
                        u16::try_from(d.year())
                            .map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?,
                        d.month() as u8,
                        d.day() as u8,
                    )?;
                    sheet.write_datetime_with_format(row, col, &date, &f.date)?
                }
                Cell::Time(t) => {
                    let time =
                        ExcelDateTime::from_hms(t.hour() as u16, t.minute() as u8, t.second())?;
                    sheet.write_datetime_with_format(row, col, &time, &f.time)?
                }
            };
        }
        self.row += 1;
        Ok(())
    }

    /// Assembles the workbook and writes it to `out` as it is compressed (the zip is
    /// written in streaming mode: `out` need not seek).
    pub fn finish(mut self, out: impl Write + Send) -> Result<(), ExportError> {
        self.workbook.push_worksheet(self.sheet);
        self.workbook.save_to_writer(out)?;
        Ok(())
    }
}

/// Excel's limit on a cell's text is 32,767 characters; a longer text (an imported
/// comment, say) is cut rather than failing the whole export.
fn within_cell(text: &str) -> &str {
    const MAX: usize = 32_767;
    if text.len() <= MAX {
        return text;
    }
    match text.char_indices().nth(MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests;
