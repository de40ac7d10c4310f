//! One virtual connection: HTTP/1.1 keep-alive over a TCP stream whose bytes are
//! counted both ways, so "bytes on the wire" includes headers and compression.

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Request, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Bytes received and sent by every connection of one phase.
#[derive(Default)]
pub struct Wire {
    pub received: AtomicU64,
    pub sent: AtomicU64,
}

struct Counted {
    stream: TcpStream,
    wire: Arc<Wire>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.wire.received.fetch_add(read as u64, Ordering::Relaxed);
        result
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.wire.sent.fetch_add(n as u64, Ordering::Relaxed);
        }
        result
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A response as the client sees it: the body read whole and decoded.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

pub struct Conn {
    address: String,
    wire: Arc<Wire>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(address: &str, wire: Arc<Wire>) -> Self {
        Self {
            address: address.to_owned(),
            wire,
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(&self.address)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(Counted {
                stream,
                wire: self.wire.clone(),
            });
            let (sender, connection) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected"))
    }

    /// Sends one request on this connection (opening it again if the server closed it)
    /// and reads the body whole, decoded as its `Content-Encoding` says.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, String> {
        let sender = self.connect().await?;
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                self.sender = None;
                return Err(format!("request: {e}"));
            }
        };
        let (parts, body) = response.into_parts();
        let raw = body
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        let encoding = parts
            .headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let body = decode(encoding, raw)?;
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

fn decode(encoding: &str, raw: Bytes) -> Result<Bytes, String> {
    let mut out = Vec::with_capacity(raw.len() * 4);
    let result = match encoding.trim() {
        "" | "identity" => return Ok(raw),
        "gzip" => flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out),
        // HTTP's "deflate" is the zlib format.
        "deflate" => flate2::read::ZlibDecoder::new(&raw[..]).read_to_end(&mut out),
        "br" => brotli_decompressor::Decompressor::new(&raw[..], 4096).read_to_end(&mut out),
        other => return Err(format!("unknown Content-Encoding {other:?}")),
    };
    result.map_err(|e| format!("{encoding} body does not decode: {e}"))?;
    Ok(out.into())
}
