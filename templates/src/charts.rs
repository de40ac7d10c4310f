//! Charts drawn on the server as SVG: horizontal bars with interval whiskers, daily
//! columns, a line with its band. Plain view structs in, one `<svg>` out, the same
//! markup inlined in a page and served alone as `image/svg+xml`.
//!
//! Every chart reads in print and in greyscale: dark marks on a white ground, the
//! interval drawn as a black whisker or a light band (contrast, not hue, tells them
//! apart), axes labelled, values written as text. Each has `role="img"` with a
//! `<title>` and a `<desc>` that says what it shows in words; the page puts the data
//! table beside it.

use maud::{Markup, Render, html};

use crate::Lang;
use crate::format;

/// The drawing's width in user units; the page scales it to its column.
pub const WIDTH: f64 = 400.0;
/// Ink, axis text.
const INK: &str = "#1b1b1b";
/// Secondary text, grid labels.
const GREY: &str = "#4a4f57";
/// Grid lines and the empty track of a bar.
const GRID: &str = "#c4c8cd";
/// Bars and columns: 4.6:1 on white, mid-grey in greyscale, under a black whisker.
const BAR: &str = "#4f739c";
/// The line of a series.
const LINE: &str = "#0b3a6e";
/// The band of an interval: light, so the line and the ground stay apart in grey.
const BAND: &str = "#cbd8e8";
const FONT: &str = "system-ui,-apple-system,Segoe UI,Roboto,Noto Sans,Arial,sans-serif";

/// A number for an SVG attribute: one decimal is finer than any screen.
fn n(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// The `<svg>` element every chart is drawn in, with its title and description.
struct Frame<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    height: f64,
    lang: Lang,
}

impl Frame<'_> {
    fn wrap(&self, body: Markup) -> Markup {
        let title_id = format!("{}-title", self.id);
        let desc_id = format!("{}-desc", self.id);
        html! {
            svg xmlns="http://www.w3.org/2000/svg" class="chart" id=(self.id)
                viewBox={ "0 0 " (n(WIDTH)) " " (n(self.height)) }
                width=(n(WIDTH)) height=(n(self.height))
                role="img" aria-labelledby={ (title_id) " " (desc_id) } lang=(self.lang.code())
                font-family=(FONT) font-size="15" fill=(INK) {
                title id=(title_id) { (self.title) }
                desc id=(desc_id) { (self.desc) }
                rect width="100%" height="100%" fill="#fff" {}
                (body)
            }
        }
    }
}

/// Splits a label into at most `lines` lines of about `width` characters, the last
/// one cut with an ellipsis when the text is longer (the table beside has it whole).
pub fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let fits =
            current.is_empty() || current.chars().count() + 1 + word.chars().count() <= width;
        if !fits {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        out.truncate(lines);
        let last = &mut out[lines - 1];
        let keep: String = last.chars().take(width.saturating_sub(1)).collect();
        *last = format!("{}…", keep.trim_end());
    }
    out
}

/// A round number at or above `max` (1, 2 or 5 times a power of ten), for a count axis.
pub fn nice_ceiling(max: u64) -> u64 {
    if max <= 1 {
        return 1;
    }
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The labelled values of a count axis from 0 to `max` (a [`nice_ceiling`]): halves
/// when they are whole, otherwise fifths (0–5: every unit).
pub fn count_ticks(max: u64) -> Vec<u64> {
    if max.is_multiple_of(2) {
        vec![0, max / 2, max]
    } else if max.is_multiple_of(5) {
        (0..=5).map(|i| i * max / 5).collect()
    } else {
        vec![0, max]
    }
}

/// One bar: a share (0–1) with its interval, or a count.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bar {
    /// What the bar is (an element's name, a criterion's code and text, a channel).
    pub label: String,
    /// The share or the count; `None`: nothing to show (no answer yet).
    pub value: Option<f64>,
    /// The interval of a share; drawn as a whisker.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Drawn hatched (e.g. a channel the official figures do not count); the legend
    /// says what it means.
    pub hatched: bool,
}

/// The scale of a bar chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Shares, 0–100 %.
    Percent,
    /// Counts, 0 to a round number above the largest.
    Count,
}

/// Horizontal bars, each under its label, with the value written at the right and the
/// interval as a whisker.
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    pub id: &'a str,
    pub lang: Lang,
    pub title: &'a str,
    pub bars: &'a [Bar],
    pub scale: Scale,
    /// What a hatched bar means, shown as a legend when a bar is hatched.
    pub hatched_means: Option<&'a str>,
}

/// A label line's characters at 15 user units (about 0.57 em each) over the width.
const LABEL_CHARS: usize = 44;
const LINE_HEIGHT: f64 = 19.0;
const BAR_HEIGHT: f64 = 16.0;

impl BarChart<'_> {
    fn max(&self) -> f64 {
        match self.scale {
            Scale::Percent => 1.0,
            Scale::Count => {
                let largest = self
                    .bars
                    .iter()
                    .filter_map(|b| b.value)
                    .fold(0.0f64, f64::max);
                nice_ceiling(largest.ceil() as u64) as f64
            }
        }
    }

    fn value_text(&self, value: Option<f64>) -> String {
        match (self.scale, value) {
            (_, None) => "–".to_owned(),
            (Scale::Percent, Some(v)) => format::percent(self.lang, v),
            (Scale::Count, Some(v)) => format::count(self.lang, v.max(0.0).round() as u64),
        }
    }

    /// What the chart shows, in words: every bar's value and interval.
    pub fn description(&self) -> String {
        let lang = self.lang;
        let parts: Vec<String> = self
            .bars
            .iter()
            .map(|b| {
                let mut text = format!("{}: {}", b.label, self.value_text(b.value));
                if let (Some(low), Some(high)) = (b.low, b.high) {
                    let interval = match lang {
                        Lang::Vi => "khoảng tin cậy",
                        Lang::En => "interval",
                    };
                    text.push_str(&format!(
                        " ({interval} {} – {})",
                        format::percent(lang, low),
                        format::percent(lang, high)
                    ));
                }
                text
            })
            .collect();
        parts.join("; ")
    }
}

impl Render for BarChart<'_> {
    fn render(&self) -> Markup {
        let (x0, x1, value_x) = (8.0, WIDTH - 92.0, WIDTH - 4.0);
        let span = x1 - x0;
        let max = self.max();
        let at = |v: f64| x0 + span * (v / max).clamp(0.0, 1.0);
        let hatched = self.bars.iter().any(|b| b.hatched);
        let legend_height = if hatched && self.hatched_means.is_some() {
            26.0
        } else {
            0.0
        };
        let mut y = 8.0 + legend_height;
        let mut rows = Vec::with_capacity(self.bars.len());
        for bar in self.bars {
            let lines = wrap(&bar.label, LABEL_CHARS, 3);
            let label_top = y;
            y += LINE_HEIGHT * lines.len() as f64;
            let bar_top = y + 2.0;
            y += BAR_HEIGHT + 14.0;
            rows.push((bar, lines, label_top, bar_top));
        }
        let axis_y = y;
        let height = axis_y + 24.0;
        let ticks: Vec<(f64, String)> = match self.scale {
            Scale::Percent => [0.0, 0.25, 0.5, 0.75, 1.0]
                .into_iter()
                .map(|t| (t, format!("{}\u{a0}%", (t * 100.0) as u32)))
                .collect(),
            Scale::Count => count_ticks(max as u64)
                .into_iter()
                .map(|t| (t as f64, format::count(self.lang, t)))
                .collect(),
        };
        let desc = self.description();
        let body = html! {
            defs {
                pattern id={ (self.id) "-hatch" } width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill="#fff" {}
                    line x1="0" y1="0" x2="0" y2="6" stroke=(BAR) stroke-width="3" {}
                }
            }
            @if let (true, Some(means)) = (hatched, self.hatched_means) {
                rect x=(n(x0)) y="8" width="24" height="14" fill={ "url(#" (self.id) "-hatch)" } stroke=(BAR) {}
                text x=(n(x0 + 32.0)) y="20" font-size="13" fill=(GREY) { (means) }
            }
            // Grid: the scale's ticks as vertical lines behind the bars.
            @for (t, label) in &ticks {
                line x1=(n(at(*t))) x2=(n(at(*t))) y1=(n(8.0 + legend_height)) y2=(n(axis_y)) stroke=(GRID) stroke-dasharray="3 3" {}
                // The first tick starts at the edge: anchored there, not cut in half.
                text x=(n(at(*t))) y=(n(axis_y + 16.0)) text-anchor=(if *t == 0.0 { "start" } else { "middle" }) font-size="13" fill=(GREY) { (label) }
            }
            @for (bar, lines, label_top, bar_top) in &rows {
                @for (i, line) in lines.iter().enumerate() {
                    text x=(n(x0)) y=(n(label_top + LINE_HEIGHT * (i as f64 + 1.0) - 4.0)) { (line) }
                }
                rect x=(n(x0)) y=(n(*bar_top)) width=(n(span)) height=(n(BAR_HEIGHT)) fill="#f3f4f6" stroke=(GRID) {}
                @if let Some(v) = bar.value {
                    rect x=(n(x0)) y=(n(*bar_top)) width=(n(at(v) - x0)) height=(n(BAR_HEIGHT))
                        fill=(if bar.hatched { format!("url(#{}-hatch)", self.id) } else { BAR.to_owned() })
                        stroke=(BAR) {}
                }
                @if let (Some(low), Some(high)) = (bar.low, bar.high) {
                    @let mid = bar_top + BAR_HEIGHT / 2.0;
                    @let (l, h) = (at(low), at(high));
                    // A white halo keeps the black whisker visible over the bar.
                    path d={ "M" (n(l)) " " (n(mid)) "H" (n(h)) "M" (n(l)) " " (n(mid - 6.0)) "V" (n(mid + 6.0)) "M" (n(h)) " " (n(mid - 6.0)) "V" (n(mid + 6.0)) }
                        stroke="#fff" stroke-width="5" fill="none" {}
                    path d={ "M" (n(l)) " " (n(mid)) "H" (n(h)) "M" (n(l)) " " (n(mid - 6.0)) "V" (n(mid + 6.0)) "M" (n(h)) " " (n(mid - 6.0)) "V" (n(mid + 6.0)) }
                        stroke=(INK) stroke-width="2" fill="none" {}
                }
                text x=(n(value_x)) y=(n(bar_top + BAR_HEIGHT - 3.0)) text-anchor="end" font-weight="600" { (self.value_text(bar.value)) }
            }
            line x1=(n(x0)) x2=(n(x1)) y1=(n(axis_y)) y2=(n(axis_y)) stroke=(GREY) {}
        };
        Frame {
            id: self.id,
            title: self.title,
            desc: &desc,
            height,
            lang: self.lang,
        }
        .wrap(body)
    }
}

/// One column: a count on a day (or any labelled slot).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    /// The slot's name in full (a date dd/mm/yyyy), for the description.
    pub label: String,
    /// The slot's name on the axis (dd/mm).
    pub short: String,
    pub value: u64,
}

/// Columns of counts over time (responses per day).
#[derive(Debug, Clone)]
pub struct ColumnChart<'a> {
    pub id: &'a str,
    pub lang: Lang,
    pub title: &'a str,
    pub columns: &'a [Column],
    /// What is counted, for the description ("phiếu" / "responses").
    pub unit_name: &'a str,
}

/// Columns are labelled one in this many so that at most about eight labels show.
fn label_every(count: usize, labels: usize) -> usize {
    count.div_ceil(labels).max(1)
}

impl ColumnChart<'_> {
    pub fn description(&self) -> String {
        let lang = self.lang;
        let total: u64 = self.columns.iter().map(|c| c.value).sum();
        let busiest = self
            .columns
            .iter()
            .rev()
            .max_by_key(|c| c.value)
            .filter(|c| c.value > 0);
        let (first, last) = match (self.columns.first(), self.columns.last()) {
            (Some(f), Some(l)) => (f.label.as_str(), l.label.as_str()),
            _ => ("", ""),
        };
        let days = self.columns.len();
        match (lang, busiest) {
            (Lang::Vi, Some(b)) => format!(
                "Tổng cộng {} {} trong {days} ngày, từ {first} đến {last}; nhiều nhất {} {} ngày {}.",
                format::count(lang, total),
                self.unit_name,
                format::count(lang, b.value),
                self.unit_name,
                b.label
            ),
            (Lang::En, Some(b)) => format!(
                "{} {} in {days} days, from {first} to {last}; the most, {}, on {}.",
                format::count(lang, total),
                self.unit_name,
                format::count(lang, b.value),
                b.label
            ),
            (Lang::Vi, None) => format!("Chưa có {} nào.", self.unit_name),
            (Lang::En, None) => format!("No {} yet.", self.unit_name),
        }
    }
}

impl Render for ColumnChart<'_> {
    fn render(&self) -> Markup {
        let (left, right, top, bottom) = (44.0, WIDTH - 8.0, 12.0, 184.0);
        let height = 212.0;
        let count = self.columns.len().max(1);
        let slot = (right - left) / count as f64;
        let largest = self.columns.iter().map(|c| c.value).max().unwrap_or(0);
        let max = nice_ceiling(largest) as f64;
        let y_of = |v: f64| bottom - (bottom - top) * (v / max);
        let every = label_every(self.columns.len(), 8);
        let show_values = self.columns.len() <= 16;
        let ticks = count_ticks(max as u64);
        let desc = self.description();
        let body = html! {
            @for t in ticks {
                @let t = t as f64;
                line x1=(n(left)) x2=(n(right)) y1=(n(y_of(t))) y2=(n(y_of(t))) stroke=(GRID) stroke-dasharray="3 3" {}
                text x=(n(left - 6.0)) y=(n(y_of(t) + 4.0)) text-anchor="end" font-size="13" fill=(GREY) { (format::count(self.lang, t as u64)) }
            }
            @for (i, c) in self.columns.iter().enumerate() {
                @let x = left + slot * i as f64;
                // Narrow slots (a long campaign) touch, so thin columns stay visible.
                @let width = if slot < 4.0 { slot } else { slot * 0.8 };
                @if c.value > 0 {
                    rect x=(n(x + (slot - width) / 2.0)) y=(n(y_of(c.value as f64))) width=(n(width)) height=(n(bottom - y_of(c.value as f64))) fill=(BAR) {
                        title { (c.label) ": " (format::count(self.lang, c.value)) }
                    }
                }
                @if show_values && c.value > 0 {
                    text x=(n(x + slot / 2.0)) y=(n(y_of(c.value as f64) - 4.0)) text-anchor="middle" font-size="13" { (format::count(self.lang, c.value)) }
                }
                @if i % every == 0 {
                    line x1=(n(x + slot / 2.0)) x2=(n(x + slot / 2.0)) y1=(n(bottom)) y2=(n(bottom + 4.0)) stroke=(GREY) {}
                    text x=(n(x + slot / 2.0)) y=(n(bottom + 18.0)) text-anchor="middle" font-size="13" fill=(GREY) { (c.short) }
                }
            }
            line x1=(n(left)) x2=(n(right)) y1=(n(bottom)) y2=(n(bottom)) stroke=(GREY) {}
        };
        Frame {
            id: self.id,
            title: self.title,
            desc: &desc,
            height,
            lang: self.lang,
        }
        .wrap(body)
    }
}

/// One point of a series with its interval.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BandPoint {
    /// The point's name in full (e.g. "Tuần 3, đến 21/03/2026").
    pub label: String,
    /// Its name on the axis (dd/mm).
    pub short: String,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A share over time: a line through the estimates in a band of their intervals.
#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    pub id: &'a str,
    pub lang: Lang,
    pub title: &'a str,
    pub points: &'a [BandPoint],
    /// The legend of the band ("khoảng tin cậy 95 %").
    pub band_means: &'a str,
}

impl LineChart<'_> {
    pub fn description(&self) -> String {
        let lang = self.lang;
        let shown: Vec<&BandPoint> = self.points.iter().filter(|p| p.value.is_some()).collect();
        match (shown.first(), shown.last()) {
            (Some(first), Some(last)) => {
                let pct = |p: &BandPoint| format::percent_or_dash(lang, p.value);
                let interval = |p: &BandPoint| match (p.low, p.high) {
                    (Some(l), Some(h)) => format!(
                        " ({} – {})",
                        format::percent(lang, l),
                        format::percent(lang, h)
                    ),
                    _ => String::new(),
                };
                match lang {
                    Lang::Vi => format!(
                        "{}: {}{}; {}: {}{}.",
                        first.label,
                        pct(first),
                        interval(first),
                        last.label,
                        pct(last),
                        interval(last)
                    ),
                    Lang::En => format!(
                        "{}: {}{}; {}: {}{}.",
                        first.label,
                        pct(first),
                        interval(first),
                        last.label,
                        pct(last),
                        interval(last)
                    ),
                }
            }
            _ => match lang {
                Lang::Vi => "Chưa có số liệu.".to_owned(),
                Lang::En => "No figures yet.".to_owned(),
            },
        }
    }

    /// The lowest share the axis shows: a round tenth under every interval, so the
    /// band is not squeezed against the top.
    fn floor(&self) -> f64 {
        let lowest = self
            .points
            .iter()
            .filter_map(|p| p.low.or(p.value))
            .fold(1.0f64, f64::min);
        ((lowest - 0.05) * 10.0).floor().clamp(0.0, 9.0) / 10.0
    }
}

impl Render for LineChart<'_> {
    fn render(&self) -> Markup {
        let (left, right, top, bottom) = (50.0, WIDTH - 20.0, 36.0, 204.0);
        let height = 232.0;
        let lowest = self.floor();
        let step = if 1.0 - lowest > 0.5 { 0.2 } else { 0.1 };
        // The axis starts on a labelled tick.
        let floor = ((lowest / step) + 1e-9).floor() * step;
        let y_of = |v: f64| bottom - (bottom - top) * ((v - floor) / (1.0 - floor)).clamp(0.0, 1.0);
        let count = self.points.len().max(1);
        let x_of = |i: usize| {
            if count == 1 {
                (left + right) / 2.0
            } else {
                left + (right - left) * i as f64 / (count - 1) as f64
            }
        };
        // Down from 100 %, so the top of the axis is always labelled.
        let ticks: Vec<f64> = (0..=10)
            .map(|i| 1.0 - step * i as f64)
            .take_while(|t| *t >= floor - 1e-9)
            .collect();
        // Runs of points with a value: the line and band break where there is none.
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            match (p.value, runs.last_mut()) {
                (Some(_), Some(run)) if run.last() == Some(&(i.wrapping_sub(1))) => run.push(i),
                (Some(_), _) => runs.push(vec![i]),
                (None, _) => {}
            }
        }
        let band = |run: &[usize]| -> Option<String> {
            let mut d = String::new();
            for (j, &i) in run.iter().enumerate() {
                let high = self.points[i].high?;
                d.push_str(&format!(
                    "{}{} {}",
                    if j == 0 { "M" } else { "L" },
                    n(x_of(i)),
                    n(y_of(high))
                ));
            }
            for &i in run.iter().rev() {
                let low = self.points[i].low?;
                d.push_str(&format!("L{} {}", n(x_of(i)), n(y_of(low))));
            }
            d.push('Z');
            Some(d)
        };
        let line = |run: &[usize]| -> String {
            run.iter()
                .enumerate()
                .map(|(j, &i)| {
                    let v = self.points[i].value.unwrap_or(floor);
                    format!(
                        "{}{} {}",
                        if j == 0 { "M" } else { "L" },
                        n(x_of(i)),
                        n(y_of(v))
                    )
                })
                .collect()
        };
        let every = label_every(self.points.len(), 8);
        let last_shown = self.points.iter().rposition(|p| p.value.is_some());
        let desc = self.description();
        let body = html! {
            // Legend: what the line and the band are.
            line x1=(n(left)) x2=(n(left + 24.0)) y1="14" y2="14" stroke=(LINE) stroke-width="3" {}
            circle cx=(n(left + 12.0)) cy="14" r="4" fill=(LINE) {}
            text x=(n(left + 30.0)) y="18" font-size="13" fill=(GREY) { (match self.lang { Lang::Vi => "chỉ số", Lang::En => "index" }) }
            rect x=(n(left + 96.0)) y="7" width="24" height="14" fill=(BAND) stroke=(GREY) stroke-width="0.5" {}
            text x=(n(left + 126.0)) y="18" font-size="13" fill=(GREY) { (self.band_means) }
            @for t in &ticks {
                line x1=(n(left)) x2=(n(right)) y1=(n(y_of(*t))) y2=(n(y_of(*t))) stroke=(GRID) stroke-dasharray="3 3" {}
                text x=(n(left - 6.0)) y=(n(y_of(*t) + 4.0)) text-anchor="end" font-size="13" fill=(GREY) { ((t * 100.0).round() as u32) "\u{a0}%" }
            }
            @for run in &runs {
                @if let Some(d) = band(run) {
                    path d=(d) fill=(BAND) stroke="none" {}
                }
            }
            @for run in &runs {
                path d=(line(run)) fill="none" stroke=(LINE) stroke-width="2.5" stroke-linejoin="round" {}
                @for &i in run {
                    circle cx=(n(x_of(i))) cy=(n(y_of(self.points[i].value.unwrap_or(floor)))) r="4" fill=(LINE) stroke="#fff" stroke-width="1.5" {
                        title { (self.points[i].label) ": " (format::percent_or_dash(self.lang, self.points[i].value)) }
                    }
                }
            }
            @if let Some(i) = last_shown {
                @let v = self.points[i].value.unwrap_or(floor);
                text x=(n(x_of(i).min(right - 4.0))) y=(n(y_of(v) - 10.0)) text-anchor="end" font-weight="600" font-size="13" { (format::percent(self.lang, v)) }
            }
            @for (i, p) in self.points.iter().enumerate() {
                // Counted from the last point, which is always labelled.
                @if (self.points.len() - 1 - i).is_multiple_of(every) {
                    text x=(n(x_of(i))) y=(n(bottom + 18.0)) text-anchor="middle" font-size="13" fill=(GREY) { (p.short) }
                }
            }
            line x1=(n(left)) x2=(n(right)) y1=(n(bottom)) y2=(n(bottom)) stroke=(GREY) {}
        };
        Frame {
            id: self.id,
            title: self.title,
            desc: &desc,
            height,
            lang: self.lang,
        }
        .wrap(body)
    }
}

/// A chart as a standalone SVG file.
pub fn standalone(chart: &impl Render) -> String {
    chart.render().into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar {
                label: "Tiếp cận dịch vụ <script>".into(),
                value: Some(0.9117),
                low: Some(0.88),
                high: Some(0.94),
                hatched: false,
            },
            Bar {
                label: "Chưa có".into(),
                ..Bar::default()
            },
        ]
    }

    /// Every tag the chart opens it closes (a cheap well-formedness check for the
    /// subset of XML maud writes: no comments, no CDATA).
    fn balanced(svg: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            let end = rest[at..].find('>').map(|e| at + e).expect("closed tag");
            let tag = &rest[at + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().unwrap().to_owned());
            }
            rest = &rest[end + 1..];
        }
        stack.is_empty()
    }

    #[test]
    fn bar_chart_is_a_labelled_image_with_values_as_text() {
        let bars = bars();
        let svg = BarChart {
            id: "el",
            lang: Lang::Vi,
            title: "Chỉ số các yếu tố",
            bars: &bars,
            scale: Scale::Percent,
            hatched_means: None,
        }
        .render()
        .into_string();
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.contains(r#"role="img" aria-labelledby="el-title el-desc""#));
        assert!(svg.contains(r#"<title id="el-title">Chỉ số các yếu tố</title>"#));
        // The description says every value and interval in words.
        assert!(svg.contains("Tiếp cận dịch vụ &lt;script&gt;: 91,17\u{a0}% (khoảng tin cậy 88,00\u{a0}% – 94,00\u{a0}%); Chưa có: –"), "{svg}");
        // Values as text beside the bars, and the axis labelled.
        assert!(svg.contains(">91,17\u{a0}%</text>"));
        assert!(svg.contains(">100\u{a0}%</text>") && svg.contains(">0\u{a0}%</text>"));
        assert!(!svg.contains("<script"));
        assert!(balanced(&svg), "{svg}");
        // The whisker spans the interval: 88 % to 94 % of the track (8 + 300·p).
        assert!(svg.contains("M272 ") && svg.contains("H290"), "{svg}");
    }

    #[test]
    fn marks_are_dark_enough_for_greyscale() {
        // Relative luminance of the marks against white: bars, line and text must stay
        // at least 3:1 (WCAG non-text contrast) once colour is gone.
        fn luminance(hex: &str) -> f64 {
            let v: Vec<f64> = (0..3)
                .map(|i| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0)
                .map(|c| {
                    if c <= 0.04045 {
                        c / 12.92
                    } else {
                        ((c + 0.055) / 1.055).powf(2.4)
                    }
                })
                .collect();
            0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
        }
        let contrast = |hex| 1.05 / (luminance(hex) + 0.05);
        for mark in [BAR, LINE, INK, GREY] {
            assert!(contrast(mark) >= 4.5, "{mark}: {}", contrast(mark));
        }
        // The band is light: the line stands out of it as well as out of the ground.
        let line_on_band = (luminance(BAND) + 0.05) / (luminance(LINE) + 0.05);
        assert!(line_on_band >= 4.5, "{line_on_band}");
    }

    #[test]
    fn count_bars_hatch_with_a_legend() {
        let bars = vec![
            Bar {
                label: "Quét mã tại quầy".into(),
                value: Some(1234.0),
                hatched: true,
                ..Bar::default()
            },
            Bar {
                label: "Phiếu giấy".into(),
                value: Some(10.0),
                ..Bar::default()
            },
        ];
        let svg = BarChart {
            id: "ch",
            lang: Lang::En,
            title: "By channel",
            bars: &bars,
            scale: Scale::Count,
            hatched_means: Some("not in the official figures"),
        }
        .render()
        .into_string();
        assert!(
            svg.contains(">1,234</text>") && svg.contains(">2,000</text>"),
            "{svg}"
        );
        assert!(svg.contains("url(#ch-hatch)") && svg.contains("not in the official figures"));
        assert!(balanced(&svg));
    }

    #[test]
    fn columns_and_line() {
        let columns: Vec<Column> = (1..=20)
            .map(|d| Column {
                label: format!("{d:02}/03/2026"),
                short: format!("{d:02}/03"),
                value: d % 7,
            })
            .collect();
        let svg = ColumnChart {
            id: "d",
            lang: Lang::Vi,
            title: "Số phiếu mỗi ngày",
            columns: &columns,
            unit_name: "phiếu",
        }
        .render()
        .into_string();
        assert!(svg.contains("<desc id=\"d-desc\">Tổng cộng 63 phiếu trong 20 ngày, từ 01/03/2026 đến 20/03/2026; nhiều nhất 6 phiếu ngày 06/03/2026.</desc>"), "{svg}");
        assert!(svg.contains(">01/03</text>") && !svg.contains(">02/03</text>"));
        assert!(balanced(&svg));

        let points = vec![
            BandPoint {
                label: "Tuần 1".into(),
                short: "07/03".into(),
                ..BandPoint::default()
            },
            BandPoint {
                label: "Tuần 2".into(),
                short: "14/03".into(),
                value: Some(0.8),
                low: Some(0.7),
                high: Some(0.88),
            },
            BandPoint {
                label: "Tuần 3".into(),
                short: "21/03".into(),
                value: Some(0.85),
                low: Some(0.8),
                high: Some(0.9),
            },
        ];
        let svg = LineChart {
            id: "w",
            lang: Lang::En,
            title: "Index by week",
            points: &points,
            band_means: "95 % interval",
        }
        .render()
        .into_string();
        assert!(
            svg.contains(
                "Tuần 2: 80.00\u{a0}% (70.00\u{a0}% – 88.00\u{a0}%); Tuần 3: 85.00\u{a0}%"
            ),
            "{svg}"
        );
        // One run of two points (the first week has none): one band, one line.
        assert_eq!(svg.matches("Z\"").count(), 1, "{svg}");
        assert!(svg.contains(">85.00\u{a0}%</text>"));
        assert!(balanced(&svg));
    }

    #[test]
    fn labels_wrap_and_axes_round() {
        assert_eq!(wrap("a bb ccc dddd", 6, 2), vec!["a bb", "ccc…"]);
        assert_eq!(wrap("short", 10, 2), vec!["short"]);
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(12), 20);
        assert_eq!(nice_ceiling(200), 200);
        assert_eq!(nice_ceiling(201), 500);
        assert_eq!(count_ticks(1), vec![0, 1]);
        assert_eq!(count_ticks(5), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(count_ticks(20), vec![0, 10, 20]);
        assert_eq!(count_ticks(500), vec![0, 250, 500]);
    }
}
