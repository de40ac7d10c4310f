//! What a phone, the one-stop system and the index engine send, flow by flow.

use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, header};
use memchr::memmem;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;
use sipas_templates::survey::{FIELD_COMMENT, FIELD_HONEYPOT, FIELD_ISSUED_AT, FIELD_NONCE};

use crate::client::{Conn, Reply};

/// Chrome on an Android phone, as citizens' phones mostly are.
const USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,\
     image/avif,image/webp,image/apng,*/*;q=0.8";

/// The receipt phase has answered every receipt issued: it ends there.
pub const NO_RECEIPT_LEFT: &str = "no receipt left (raise --receipts)";

/// One flow of a phase: what it sends and what counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Healthz,
    Static,
    Page,
    Submit,
    Receipt,
    Scores,
    ScoresUnchanged,
    Import,
    Mixed,
}

impl Flow {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "healthz" => Self::Healthz,
            "static" => Self::Static,
            "page" => Self::Page,
            "submit" => Self::Submit,
            "receipt" => Self::Receipt,
            "scores" => Self::Scores,
            "scores-304" => Self::ScoresUnchanged,
            "import" => Self::Import,
            "mixed" => Self::Mixed,
            _ => return None,
        })
    }
}

/// What every flow shares: where to go, the phones and what was prepared.
pub struct Target {
    /// `host:port`, for the TCP connection and the `Host` header.
    pub authority: String,
    pub survey_path: String,
    pub static_path: String,
    pub campaign: String,
    pub token: Option<String>,
    pub accept_encoding: String,
    /// Each phone's cookies (`name=value`), as its browser keeps them.
    pub phones: Vec<Mutex<Vec<String>>>,
    /// Survey paths of receipts not yet answered.
    pub receipts: Mutex<Vec<String>>,
    /// The score document's entity tag, for `If-None-Match`.
    pub scores_etag: Mutex<Option<String>>,
    pub import_csv: Bytes,
    pub import_rows: u64,
}

/// The outcome of one flow: how many units of work it completed (requests, forms,
/// rows) and how many requests it took.
pub struct Done {
    pub units: u64,
    pub requests: u64,
}

impl Target {
    fn request(&self, method: Method, path: &str) -> hyper::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.authority)
    }

    fn phone_request(
        &self,
        method: Method,
        path: &str,
        cookies: &[String],
    ) -> hyper::http::request::Builder {
        let mut builder = self
            .request(method, path)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, ACCEPT_HTML)
            .header(header::ACCEPT_LANGUAGE, "vi-VN,vi;q=0.9")
            .header(header::ACCEPT_ENCODING, &self.accept_encoding);
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        builder
    }

    fn api_request(&self, method: Method, path: &str) -> hyper::http::request::Builder {
        let builder = self
            .request(method, path)
            .header(header::ACCEPT_ENCODING, "gzip");
        match &self.token {
            Some(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
            None => builder,
        }
    }

    pub async fn run(
        &self,
        flow: Flow,
        conn: &mut Conn,
        rng: &mut impl Rng,
    ) -> Result<Done, String> {
        let one = Done {
            units: 1,
            requests: 1,
        };
        match flow {
            Flow::Healthz => {
                let request = self.phone_request(Method::GET, "/healthz", &[]);
                expect(conn.send(empty(request)).await?, &[200], "/healthz")?;
                Ok(one)
            }
            Flow::Static => {
                // No static file is served: the not-found page is the smallest page
                // rendered without any I/O (see docs/load.md).
                let request = self.phone_request(Method::GET, &self.static_path, &[]);
                expect(
                    conn.send(empty(request)).await?,
                    &[200, 404],
                    &self.static_path,
                )?;
                Ok(one)
            }
            Flow::Page => {
                let phone = rng.random_range(0..self.phones.len());
                self.form(conn, phone, &self.survey_path).await?;
                Ok(one)
            }
            Flow::Submit => {
                let phone = rng.random_range(0..self.phones.len());
                self.answer(conn, phone, &self.survey_path.clone(), rng)
                    .await?;
                Ok(Done {
                    units: 1,
                    requests: 3,
                })
            }
            Flow::Receipt => {
                let path = self
                    .receipts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop()
                    .ok_or(NO_RECEIPT_LEFT)?;
                let phone = rng.random_range(0..self.phones.len());
                self.answer(conn, phone, &path, rng).await?;
                Ok(Done {
                    units: 1,
                    requests: 3,
                })
            }
            Flow::Scores => {
                let path = format!("/api/v1/campaigns/{}/scores", self.campaign);
                let reply = conn
                    .send(empty(self.api_request(Method::GET, &path)))
                    .await?;
                let reply = expect(reply, &[200], &path)?;
                if !reply.text().starts_with('{') {
                    return Err(format!("{path}: not a JSON document"));
                }
                Ok(one)
            }
            Flow::ScoresUnchanged => {
                let path = format!("/api/v1/campaigns/{}/scores", self.campaign);
                let etag = self
                    .scores_etag
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let mut request = self.api_request(Method::GET, &path);
                if let Some(etag) = &etag {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                let reply = expect(conn.send(empty(request)).await?, &[200, 304], &path)?;
                if reply.status == 200 {
                    // Changed since (answers still arrive): the next read asks for this one.
                    *self.scores_etag.lock().unwrap_or_else(|p| p.into_inner()) =
                        reply.header("etag").map(str::to_owned);
                }
                Ok(one)
            }
            Flow::Import => {
                let path = format!("/api/v1/campaigns/{}/responses", self.campaign);
                let request = self
                    .api_request(Method::POST, &path)
                    .header(header::CONTENT_TYPE, "text/csv")
                    .body(Full::new(self.import_csv.clone()))
                    .map_err(|e| e.to_string())?;
                expect(conn.send(request).await?, &[201], &path)?;
                Ok(Done {
                    units: self.import_rows,
                    requests: 1,
                })
            }
            Flow::Mixed => {
                // 70 % citizens at a desk, 10 % receipts (while any are left), 20 %
                // score reads: a busy day as the issue pictures it.
                let roll = rng.random_range(0..100);
                let has_receipt = !self
                    .receipts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty();
                let flow = match roll {
                    0..70 => Flow::Submit,
                    70..80 if has_receipt => Flow::Receipt,
                    70..80 => Flow::Submit,
                    _ => Flow::Scores,
                };
                Box::pin(self.run(flow, conn, rng)).await
            }
        }
    }

    /// GETs a form as `phone`, keeping the cookies it is given; the form must be whole.
    async fn form(&self, conn: &mut Conn, phone: usize, path: &str) -> Result<Reply, String> {
        let cookies = self.cookies(phone);
        let reply = conn
            .send(empty(self.phone_request(Method::GET, path, &cookies)))
            .await?;
        self.keep_cookies(phone, &reply);
        let reply = expect(reply, &[200], "survey page")?;
        if memmem::find(&reply.body, FIELD_NONCE.as_bytes()).is_none() {
            return Err("survey page without a form nonce".into());
        }
        Ok(reply)
    }

    /// The citizen's whole path: the form, every question answered, the post, the
    /// thank-you page it redirects to.
    async fn answer(
        &self,
        conn: &mut Conn,
        phone: usize,
        path: &str,
        rng: &mut impl Rng,
    ) -> Result<(), String> {
        let page = self.form(conn, phone, path).await?;
        let html = page.text();
        let nonce = field_value(html, FIELD_NONCE).ok_or("no nonce in the form")?;
        let issued = field_value(html, FIELD_ISSUED_AT).ok_or("no issue time in the form")?;
        let questions = radio_names(html);
        if questions.is_empty() {
            return Err("no question in the form".into());
        }
        let mut body = String::with_capacity(512);
        for question in &questions {
            let value = rng.random_range(3..=5);
            body.push_str(&format!("{}={value}&", encode(question)));
        }
        body.push_str(&format!(
            "{FIELD_COMMENT}=&{FIELD_HONEYPOT}=&{FIELD_NONCE}={}&{FIELD_ISSUED_AT}={}",
            encode(&nonce),
            encode(&issued)
        ));
        let cookies = self.cookies(phone);
        let request = self
            .phone_request(Method::POST, path, &cookies)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::REFERER, format!("http://{}{path}", self.authority))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let reply = conn.send(request).await?;
        self.keep_cookies(phone, &reply);
        let reply = expect(reply, &[303], "form post")?;
        let location = reply.header("location").ok_or("303 without Location")?;
        let next = location
            .strip_prefix("http://")
            .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or(location)
            .to_owned();
        let cookies = self.cookies(phone);
        let thanks = conn
            .send(empty(self.phone_request(Method::GET, &next, &cookies)))
            .await?;
        expect(thanks, &[200], "thank-you page")?;
        Ok(())
    }

    fn cookies(&self, phone: usize) -> Vec<String> {
        self.phones[phone]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn keep_cookies(&self, phone: usize, reply: &Reply) {
        let mut jar = self.phones[phone].lock().unwrap_or_else(|p| p.into_inner());
        for set in reply.headers.get_all(header::SET_COOKIE) {
            let Some(pair) = set.to_str().ok().and_then(|s| s.split(';').next()) else {
                continue;
            };
            let name = pair.split('=').next().unwrap_or("");
            jar.retain(|kept| kept.split('=').next() != Some(name));
            jar.push(pair.trim().to_owned());
        }
    }
}

fn empty(builder: hyper::http::request::Builder) -> Request<Full<Bytes>> {
    builder
        .body(Full::new(Bytes::new()))
        .expect("a valid request")
}

fn expect(reply: Reply, statuses: &[u16], what: &str) -> Result<Reply, String> {
    if statuses.contains(&reply.status) {
        Ok(reply)
    } else {
        Err(format!("{what}: status {}", reply.status))
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

// The generator shares the machine with the server: its scans of each 20 KB page use
// memchr's vectorised search: `str::find` and a second UTF-8 check of each page took a
// sixth of its CPU.

/// The `value` of the input named `name`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = memmem::find(html.as_bytes(), format!("name=\"{name}\"").as_bytes())?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = tag.find("value=\"")? + 7;
    let len = tag[value..].find('"')?;
    Some(tag[value..value + len].replace("&amp;", "&"))
}

/// The names of the form's radio groups (its questions), in order, once each.
pub fn radio_names(html: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for at in memmem::find_iter(html.as_bytes(), b"<input") {
        let piece = &html[at + 6..];
        let tag = &piece[..memchr::memchr(b'>', piece.as_bytes()).unwrap_or(piece.len())];
        if !tag.contains("type=\"radio\"") {
            continue;
        }
        let Some(at) = tag.find("name=\"") else {
            continue;
        };
        let name = &tag[at + 6..];
        let name = &name[..name.find('"').unwrap_or(name.len())];
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_form() {
        let html = r#"<form><input type="hidden" name="_nonce" value="a.b&amp;c">
            <input type="radio" name="TC1" value="1"><input type="radio" name="TC1" value="2">
            <input type="radio" name="TC2" value="1"><input type="text" name="comment"></form>"#;
        assert_eq!(field_value(html, "_nonce").as_deref(), Some("a.b&c"));
        assert_eq!(radio_names(html), ["TC1", "TC2"]);
        assert_eq!(field_value(html, "_issued"), None);
    }
}
