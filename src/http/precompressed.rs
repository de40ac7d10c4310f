//! Pages compressed once and sent to every client with a few per-request bytes at the
//! end, without a compressor per request.
//!
//! A [`Precompressed`] page keeps its shared part (`prefix`) as is, deflated (gzip) and
//! brotli-compressed, each ending on a byte boundary without ending the stream. A
//! response is that prefix followed by the per-request `tail` written uncompressed:
//! - gzip (RFC 1952/1951): header, the prefix's deflate ended by a sync flush, the tail
//!   in final *stored* blocks, then the CRC32 of prefix and tail (combined, not
//!   recomputed over the prefix) and the length;
//! - br (RFC 7932 §9.2): the prefix's stream ended by a flush, the tail in uncompressed
//!   meta-blocks, then the empty last meta-block.
//!
//! A tail costs 5 bytes a 64 KiB (gzip) or 3 bytes (br) more than its own length: it is
//! meant for a few hundred bytes.

use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::{self, AcceptEncoding, Encoding, Header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use flate2::{Compress, Compression, FlushCompress};
use sipas_templates::Lang;

/// The encodings a page is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The client's choice by its `Accept-Encoding` (q-values honoured); identity when
    /// it accepts neither gzip nor br, or sends a header that cannot be read.
    pub fn negotiate(req: &HttpRequest) -> Self {
        let supported = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
        match AcceptEncoding::parse(req)
            .ok()
            .and_then(|accepted| accepted.negotiate(supported.iter()))
        {
            Some(e) if e == Encoding::brotli() => Coding::Brotli,
            Some(e) if e == Encoding::gzip() => Coding::Gzip,
            _ => Coding::Identity,
        }
    }

    fn content_encoding(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// A page's shared part, kept in every encoding.
pub struct Precompressed {
    prefix: Vec<u8>,
    /// Raw deflate of `prefix`, ended by a sync flush (an empty stored block: byte
    /// aligned, not final).
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    /// A brotli stream of `prefix`, flushed (byte aligned) but not finished.
    brotli: Vec<u8>,
}

/// The most a stored deflate block or a 4-nibble brotli meta-block holds.
const STORED_MAX: usize = 65_535;
const META_MAX: usize = 65_536;
/// gzip's header: magic, deflate, no flags, no time, best compression, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
/// Brotli's quality and window (log2) for a page compressed once. A page is tens of
/// KB, so a 128 KB window loses nothing; the default 4 MB one made quality 11 take
/// 33 MB for each page compressed, which the allocator then kept.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW: u32 = 17;

impl Precompressed {
    pub fn new(prefix: Vec<u8>) -> Self {
        let mut deflate = Compress::new(Compression::best(), false);
        let mut deflated = Vec::with_capacity(prefix.len() / 2 + 64);
        loop {
            let read = deflate.total_in() as usize;
            deflate
                .compress_vec(&prefix[read..], &mut deflated, FlushCompress::Sync)
                .expect("deflate of an in-memory buffer");
            // Done when everything was taken in and the flush had room to finish.
            if deflate.total_in() as usize == prefix.len() && deflated.len() < deflated.capacity() {
                break;
            }
            deflated.reserve(deflated.capacity().max(1024));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&prefix);

        let mut writer =
            brotli::CompressorWriter::new(Vec::new(), 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(&prefix).expect("brotli into memory");
        writer.flush().expect("brotli into memory");
        // Taken before the writer is dropped: dropping it would finish the stream.
        let brotli = std::mem::take(writer.get_mut());
        Precompressed {
            prefix,
            deflated,
            crc,
            brotli,
        }
    }

    /// The page with `tail` after the shared part, in `coding`.
    pub fn body(&self, coding: Coding, tail: &[u8]) -> Vec<u8> {
        match coding {
            Coding::Identity => [self.prefix.as_slice(), tail].concat(),
            Coding::Gzip => self.gzip(tail),
            Coding::Brotli => self.brotli(tail),
        }
    }

    fn gzip(&self, tail: &[u8]) -> Vec<u8> {
        let blocks = tail.len().div_ceil(STORED_MAX).max(1);
        let mut out = Vec::with_capacity(
            GZIP_HEADER.len() + self.deflated.len() + tail.len() + 5 * blocks + 8,
        );
        out.extend_from_slice(&GZIP_HEADER);
        out.extend_from_slice(&self.deflated);
        let mut chunks = tail.chunks(STORED_MAX).peekable();
        if chunks.peek().is_none() {
            // Still a final block, empty.
            out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
        }
        while let Some(chunk) = chunks.next() {
            // BFINAL on the last, BTYPE 00 (stored); then LEN and its complement.
            out.push(u8::from(chunks.peek().is_none()));
            let len = chunk.len() as u16;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(chunk);
        }
        let mut crc = self.crc.clone();
        let mut tail_crc = crc32fast::Hasher::new();
        tail_crc.update(tail);
        crc.combine(&tail_crc);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        let size = (self.prefix.len() + tail.len()) as u32;
        out.extend_from_slice(&size.to_le_bytes());
        out
    }

    fn brotli(&self, tail: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.brotli.len() + tail.len() + 4);
        out.extend_from_slice(&self.brotli);
        for chunk in tail.chunks(META_MAX) {
            // ISLAST 0, MNIBBLES 4 (code 0), MLEN-1 in 16 bits, ISUNCOMPRESSED 1, then
            // zero bits to the byte boundary: 24 bits, least significant first.
            let header = (((chunk.len() - 1) as u32) << 3) | (1 << 19);
            out.extend_from_slice(&header.to_le_bytes()[..3]);
            out.extend_from_slice(chunk);
        }
        // ISLAST 1, ISLASTEMPTY 1.
        out.push(0b11);
        out
    }
}

/// A page response with its shared part kept compressed: `Content-Encoding` as the
/// client accepts (so the Compress middleware leaves it alone) and `Vary`.
///
/// The page's CSP goes with it: the security headers' middleware would otherwise look
/// for style blocks in compressed bytes, find none, and forbid every style.
pub fn respond(
    mut builder: HttpResponseBuilder,
    req: &HttpRequest,
    page: &KeptBody,
    tail: &[u8],
) -> HttpResponse {
    let coding = Coding::negotiate(req);
    builder.insert_header((header::VARY, "Accept-Encoding"));
    builder.insert_header((header::CONTENT_SECURITY_POLICY, page.policy.clone()));
    if let Some(encoding) = coding.content_encoding() {
        builder.insert_header((header::CONTENT_ENCODING, encoding));
    }
    builder.body(page.shared.body(coding, tail))
}

/// What a kept page is the same for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub page: KeptPage,
    pub campaign_id: i32,
    /// Bumped by every change of the campaign, its units and desks: a page of an older
    /// revision is never read again (and ages out), on every node.
    pub revision: i64,
    pub service_point_id: i32,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeptPage {
    /// A fresh survey form, up to its hidden fields.
    Form,
    /// The thank-you page of a desk's QR code or receipt.
    Thanks,
    /// A kiosk's thank-you page: it links to that kiosk's form.
    KioskThanks { next: String },
}

/// A kept page: its shared part, and the static HTML after the per-request fields.
pub struct KeptBody {
    pub shared: Precompressed,
    pub after: String,
    /// Its CSP, naming the hashes of its style blocks (all in the shared part).
    pub policy: header::HeaderValue,
}

/// Bytes of pages kept (all encodings); a form is about 25 KB in all.
const PAGES_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// Pages kept per [`PageKey`], built once even for concurrent first readers.
#[derive(Clone)]
pub struct PageCache(moka::sync::Cache<PageKey, Arc<KeptBody>>);

impl Default for PageCache {
    fn default() -> Self {
        PageCache(
            moka::sync::Cache::builder()
                .max_capacity(PAGES_MAX_BYTES)
                .weigher(|_, kept: &Arc<KeptBody>| {
                    let p = &kept.shared;
                    let bytes =
                        p.prefix.len() + p.deflated.len() + p.brotli.len() + kept.after.len();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build(),
        )
    }
}

impl PageCache {
    /// The page kept for `key`, or the one `build` makes (`shared`, `after`), kept.
    pub fn get_with(
        &self,
        key: PageKey,
        build: impl FnOnce() -> (String, String),
    ) -> Arc<KeptBody> {
        self.0.get_with(key, || {
            let (shared, after) = build();
            let policy = super::citizen_policy(&shared)
                .unwrap_or_else(|_| header::HeaderValue::from_static("default-src 'none'"));
            Arc::new(KeptBody {
                shared: Precompressed::new(shared.into_bytes()),
                after,
                policy,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use proptest::prelude::*;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .expect("a valid brotli stream");
        out
    }

    /// Every encoding decodes to prefix · tail, and a gzip stream is one member that
    /// ends where the bytes end (its CRC and length checked by the decoder).
    fn check(prefix: &[u8], tail: &[u8]) {
        let page = Precompressed::new(prefix.to_vec());
        let whole = [prefix, tail].concat();
        assert_eq!(page.body(Coding::Identity, tail), whole);
        let gz = page.body(Coding::Gzip, tail);
        assert_eq!(gunzip(&gz), whole);
        let mut decoder = flate2::bufread::GzDecoder::new(gz.as_slice());
        std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
        assert!(decoder.into_inner().is_empty(), "nothing after the member");
        assert_eq!(unbrotli(&page.body(Coding::Brotli, tail)), whole);
    }

    fn html_like(len: usize) -> Vec<u8> {
        "<label><input type=\"radio\" name=\"TC1\" value=\"3\"><b>3</b> Bình thường</label>"
            .bytes()
            .cycle()
            .take(len)
            .collect()
    }

    #[test]
    fn tails_of_every_size_decode_to_the_page() {
        let prefix = html_like(16_000);
        for len in [0, 1, 200, 65_535, 65_536, 65_537, 70_000, 140_000] {
            let tail: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            check(&prefix, &tail);
        }
    }

    #[test]
    fn an_empty_prefix_decodes_too() {
        check(b"", b"");
        check(b"", b"<input type=hidden>");
    }

    #[test]
    fn the_shared_part_is_compressed_and_the_tail_costs_its_length() {
        let prefix = html_like(16_000);
        let page = Precompressed::new(prefix.clone());
        let tail = [b'x'; 300];
        for coding in [Coding::Gzip, Coding::Brotli] {
            let empty = page.body(coding, b"").len();
            assert!(empty < 2_000, "{coding:?}: {empty} bytes");
            assert!(page.body(coding, &tail).len() <= empty + tail.len() + 5);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_prefix_and_tail_decode_to_the_page(
            prefix in proptest::collection::vec(any::<u8>(), 0..20_000),
            tail in proptest::collection::vec(any::<u8>(), 0..2_000),
        ) {
            check(&prefix, &tail);
        }
    }
}
