//! Opt-in paging of long lists (units, campaigns, quotas, scores): `?limit=` (1–1000)
//! and `?cursor=`, keyset on the list's natural order, with `Link: <…>; rel="next"` and
//! `X-Total-Count`. Without `limit` a list is whole, as the contract's first clients
//! expect it.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use crate::reports::Document;

/// The largest page.
pub const MAX_LIMIT: usize = 1000;
/// What every cursor starts with, so that an arbitrary string is refused rather than
/// read as a position.
const CURSOR_PREFIX: &str = "k1:";

/// The paging parameters, for the OpenAPI document (they are read from the query
/// string by [`Page::from_request`], so a bad one is a 422 of its own).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Opt-in paging: at most this many items (1–1000). The response then carries
    /// `X-Total-Count` (the whole list's length) and, when more follow, `Link: <…>;
    /// rel="next"`. Without it, the whole list.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Where the page starts: the opaque cursor of the previous page's `rel="next"`
    /// link (only with `limit`).
    pub cursor: Option<String>,
}

/// A page asked for: its length and the key of the item before it.
#[derive(Debug)]
pub struct Page {
    limit: usize,
    after: Option<String>,
}

impl Page {
    /// The page a request asks for; `None` when it asks for the whole list.
    pub fn from_request(req: &HttpRequest) -> Result<Option<Self>, ApiError> {
        let pairs = query_pairs(req);
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let after = value("cursor").map(decode_cursor).transpose()?;
        let Some(limit) = value("limit") else {
            return match after {
                Some(_) => Err(ApiError::unprocessable("`cursor` goes with `limit`")),
                None => Ok(None),
            };
        };
        let limit = limit
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "`limit` must be a whole number from 1 to {MAX_LIMIT}, not {limit:?}"
                ))
            })?;
        Ok(Some(Self { limit, after }))
    }
}

/// One page of a list and how to get the next.
pub struct Paged<T> {
    pub items: Vec<T>,
    total: usize,
    next: Option<String>,
}

impl<T> Paged<T> {
    /// `X-Total-Count` and, when more follow, the `Link` to them.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = vec![(
            HeaderName::from_static("x-total-count"),
            HeaderValue::from(self.total),
        )];
        if let Some(next) = &self.next
            && let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
        {
            headers.push((header::LINK, value));
        }
        headers
    }

    /// Adds the paging headers to a response.
    pub fn apply(&self, response: &mut HttpResponse) {
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
    }
}

/// The page of `items` after the cursor, in the order of `key` (each item's unique
/// key in the list's natural order; the list is sorted by it so that pages meet
/// exactly whatever order the database returned).
pub fn paginate<T>(
    req: &HttpRequest,
    page: &Page,
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
) -> Paged<T> {
    items.sort_by_cached_key(|item| key(item));
    let total = items.len();
    let start = match &page.after {
        Some(after) => items.partition_point(|item| key(item).as_str() <= after.as_str()),
        None => 0,
    };
    let mut rest = items.split_off(start);
    let more = rest.len() > page.limit;
    rest.truncate(page.limit);
    let next = match rest.last() {
        Some(last) if more => Some(next_link(req, &encode_cursor(&key(last)))),
        _ => None,
    };
    Paged {
        items: rest,
        total,
        next,
    }
}

/// Serves a document with its entity tag: whole, or, when the request asks for a page
/// (`limit`), the page of its list at `pointer` (`""` for a root array), keyed by each
/// item's `key_field`.
pub fn serve_document(
    req: &HttpRequest,
    document: &Document,
    pointer: &str,
    key_field: &str,
) -> Result<HttpResponse, ApiError> {
    match Page::from_request(req)? {
        None => Ok(super::with_etag(req, document)),
        Some(page) => paginate_document(req, &page, document, pointer, key_field),
    }
}

/// A document's list paged (the document's root array, or the array at `pointer`):
/// the rest of the document as it is, its entity tag that of the page.
pub fn paginate_document(
    req: &HttpRequest,
    page: &Page,
    document: &Document,
    pointer: &str,
    key_field: &str,
) -> Result<HttpResponse, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(&document.json)
        .map_err(|e| ApiError::from(std::sync::Arc::new(e)))?;
    let list = value
        .pointer_mut(pointer)
        .and_then(serde_json::Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let paged = paginate(req, page, list, |item| {
        item[key_field].as_str().unwrap_or_default().to_owned()
    });
    let headers = paged.headers();
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = serde_json::Value::Array(paged.items);
    }
    let paged_document =
        Document::new(&value).map_err(|e| ApiError::from(std::sync::Arc::new(e)))?;
    let mut response = super::with_etag(req, &paged_document);
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid `cursor`: use the one of the previous page's `Link: rel=\"next\"`",
            )
        })
}

/// The request's own URL (path and query) with the cursor replaced.
fn next_link(req: &HttpRequest, cursor: &str) -> String {
    let mut query: Vec<(String, String)> = query_pairs(req)
        .into_iter()
        .filter(|(k, _)| k != "cursor")
        .collect();
    query.push(("cursor".to_owned(), cursor.to_owned()));
    let encoded = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{}?{encoded}", req.path())
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The key of a campaign in the list's order (first day, then code): the day is
/// fixed-width, so the text orders as the pair does.
pub fn campaign_key(starts_on: chrono::NaiveDate, code: &str) -> String {
    format!("{starts_on}\u{1f}{code}")
}
