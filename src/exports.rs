//! Exports of a campaign's responses, streamed: a million responses go out with memory
//! that does not grow with them.
//!
//! Three stages, each bounded by the next one's pace:
//!
//! 1. a task reads the responses in pages by id (`storage::exports::response_page`),
//!    one short statement each, at most [`PAGES_AHEAD`] pages ahead of the writer;
//! 2. a blocking thread writes each page's rows (`reports::exports`): CSV bytes go out
//!    page by page; XLSX rows go to rust_xlsxwriter's temporary file, and the workbook
//!    is then compressed straight into the response as it is assembled;
//! 3. the response body takes the chunks at the pace the client reads them (at most
//!    [`CHUNKS_AHEAD`] waiting).
//!
//! A client that goes away drops the body: the writer finds its channel closed at its
//! next chunk or page and stops, and the reader with it. A failure midway ends the
//! body with an error, so the connection is cut rather than closed as if the file were
//! whole; so does any end of the writer without its last chunk (a panic).

use std::io;

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::reports::exports::{
    CsvSink, ExportError, FileFormat, Places, ResponseColumns, XlsxSink, response_cells,
};
use crate::storage::exports::{ResponseRange, ResponseRecord, response_page};
use crate::storage::{Storage, StorageError};

/// Responses per page read: one statement of a few milliseconds, about a megabyte.
pub const PAGE_ROWS: u64 = 5_000;
/// Pages read ahead of the writer.
const PAGES_AHEAD: usize = 2;
/// Chunks written ahead of the client.
const CHUNKS_AHEAD: usize = 4;
/// The size of the chunks of an XLSX file as it is compressed.
const XLSX_CHUNK: usize = 256 * 1024;

/// A campaign's responses to export: which, with what names, in which format.
pub struct ResponseExport {
    pub range: ResponseRange,
    pub columns: ResponseColumns,
    pub places: Places,
    pub format: FileFormat,
    /// Responses per page read ([`PAGE_ROWS`] but in tests).
    pub page_rows: u64,
}

enum Page {
    Rows(Vec<ResponseRecord>),
    End,
    Failed(StorageError),
}

enum Chunk {
    Data(Bytes),
    /// The file is whole.
    Done,
    Failed(String),
}

/// The export as a stream of bytes for a response body. The reader and the writer
/// start at once and go at the client's pace.
pub fn responses(
    storage: Storage,
    export: ResponseExport,
) -> impl Stream<Item = Result<Bytes, io::Error>> + 'static {
    let (pages_tx, pages_rx) = mpsc::channel(PAGES_AHEAD);
    let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_AHEAD);
    let ResponseExport {
        range,
        columns,
        places,
        format,
        page_rows,
    } = export;
    tokio::spawn(read_pages(storage, range, page_rows, pages_tx));
    tokio::task::spawn_blocking(move || {
        let written = match format {
            FileFormat::Csv => write_csv(&columns, &places, pages_rx, &chunks_tx),
            FileFormat::Xlsx => write_xlsx(&columns, &places, pages_rx, &chunks_tx),
        };
        let last = match written {
            Ok(Written::Whole) => Chunk::Done,
            // Nobody is reading any more: nothing to say.
            Ok(Written::Abandoned) => return,
            Err(error) => {
                tracing::error!(%error, "an export failed midway; its connection is cut");
                Chunk::Failed(error.to_string())
            }
        };
        let _ = chunks_tx.blocking_send(last);
    });
    body(chunks_rx)
}

/// Reads the range page after page until its end, a failure, or the writer stops.
async fn read_pages(
    storage: Storage,
    range: ResponseRange,
    page_rows: u64,
    pages: mpsc::Sender<Page>,
) {
    let mut after = 0;
    loop {
        let page = match response_page(storage.db(), &range, after, page_rows).await {
            Ok(rows) if rows.is_empty() => Page::End,
            Ok(rows) => {
                after = rows.last().map_or(after, |r| r.id);
                Page::Rows(rows)
            }
            Err(error) => Page::Failed(error),
        };
        let last = !matches!(page, Page::Rows(_));
        if pages.send(page).await.is_err() || last {
            return;
        }
    }
}

enum Written {
    Whole,
    /// The client went away: the work stopped.
    Abandoned,
}

/// The next page, or why there is none.
fn next_page(pages: &mut mpsc::Receiver<Page>) -> Result<Option<Vec<ResponseRecord>>, ExportError> {
    match pages.blocking_recv() {
        Some(Page::Rows(rows)) => Ok(Some(rows)),
        Some(Page::End) => Ok(None),
        Some(Page::Failed(error)) => Err(io::Error::other(error.to_string()).into()),
        None => Err(io::Error::other("the reading of responses stopped").into()),
    }
}

fn write_csv(
    columns: &ResponseColumns,
    places: &Places,
    mut pages: mpsc::Receiver<Page>,
    chunks: &mpsc::Sender<Chunk>,
) -> Result<Written, ExportError> {
    let mut sink = CsvSink::new(&columns.layout())?;
    while let Some(rows) = next_page(&mut pages)? {
        let mut cells = Vec::new();
        for r in &rows {
            response_cells(columns, places, r, &mut cells);
            sink.row(&cells)?;
        }
        if chunks
            .blocking_send(Chunk::Data(sink.take().into()))
            .is_err()
        {
            return Ok(Written::Abandoned);
        }
    }
    let rest = sink.take();
    if !rest.is_empty() && chunks.blocking_send(Chunk::Data(rest.into())).is_err() {
        return Ok(Written::Abandoned);
    }
    Ok(Written::Whole)
}

fn write_xlsx(
    columns: &ResponseColumns,
    places: &Places,
    mut pages: mpsc::Receiver<Page>,
    chunks: &mpsc::Sender<Chunk>,
) -> Result<Written, ExportError> {
    let mut sink = XlsxSink::new(columns.layout())?;
    while let Some(rows) = next_page(&mut pages)? {
        // Nothing goes out while the rows are written: a client gone meanwhile is
        // seen by its closed channel.
        if chunks.is_closed() {
            return Ok(Written::Abandoned);
        }
        let mut cells = Vec::new();
        for r in &rows {
            response_cells(columns, places, r, &mut cells);
            sink.row(&cells)?;
        }
    }
    let mut out = ChunkWriter {
        chunks,
        buffer: Vec::with_capacity(XLSX_CHUNK),
        abandoned: false,
    };
    let saved = sink
        .finish(&mut out)
        .and_then(|()| Ok(io::Write::flush(&mut out)?));
    match saved {
        _ if out.abandoned => Ok(Written::Abandoned),
        Ok(()) => Ok(Written::Whole),
        Err(error) => Err(error),
    }
}

/// Sends what is written to it as chunks of a response body; fails once the body is
/// gone, which stops the compression of the workbook.
struct ChunkWriter<'a> {
    chunks: &'a mpsc::Sender<Chunk>,
    buffer: Vec<u8>,
    abandoned: bool,
}

impl ChunkWriter<'_> {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(XLSX_CHUNK));
        if self.chunks.blocking_send(Chunk::Data(full.into())).is_err() {
            self.abandoned = true;
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client went away",
            ));
        }
        Ok(())
    }
}

impl io::Write for ChunkWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= XLSX_CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The chunks as a body: it ends well only after the last chunk; a failure, or a
/// writer that stopped without its last chunk, ends it with an error.
fn body(chunks: mpsc::Receiver<Chunk>) -> impl Stream<Item = Result<Bytes, io::Error>> {
    futures_util::stream::unfold(Some(chunks), |chunks| async move {
        let mut chunks = chunks?;
        let item = match chunks.recv().await {
            Some(Chunk::Data(bytes)) => Ok(bytes),
            Some(Chunk::Done) => return None,
            Some(Chunk::Failed(error)) => Err(io::Error::other(error)),
            None => Err(io::Error::other("the export stopped before its end")),
        };
        let next = item.is_ok().then_some(chunks);
        Some((item, next))
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    async fn items(sent: Vec<Chunk>) -> Vec<Result<Bytes, io::Error>> {
        let (tx, rx) = mpsc::channel(8);
        for chunk in sent {
            tx.send(chunk).await.unwrap();
        }
        drop(tx);
        body(rx).collect().await
    }

    #[tokio::test]
    async fn a_body_ends_well_only_after_its_last_chunk() {
        let whole = items(vec![Chunk::Data("a".into()), Chunk::Done]).await;
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].as_ref().unwrap(), "a");

        // A writer that stopped without its last chunk (a panic): an error, not an end.
        let cut = items(vec![Chunk::Data("a".into())]).await;
        assert_eq!(cut.len(), 2);
        assert!(cut[1].is_err());

        let failed = items(vec![
            Chunk::Data("a".into()),
            Chunk::Failed("disk full".into()),
            Chunk::Data("never sent".into()),
        ])
        .await;
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[1].as_ref().unwrap_err().to_string(), "disk full");
    }
}
