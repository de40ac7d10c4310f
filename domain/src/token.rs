//! Signed survey tokens, keyed dossier hashes and form nonces.
//!
//! A QR code encodes `{PUBLIC_URL}/s/{token}`. The token is short so that the QR stays
//! coarse enough to scan at arm's length on a cheap phone:
//!
//! ```text
//! byte 0        header: version (high nibble, 1) | kind (low nibble: 0 desk, 1 receipt)
//! byte 1        key id: first byte of a key-specific derivation (not the key itself)
//! varint        campaign id (zigzag LEB128, canonical)
//! varint        service point id (desk) or receipt id (receipt) (zigzag LEB128, canonical)
//! 8 bytes       tag: HMAC-SHA256 over all the bytes above, truncated to 8 bytes
//! ```
//!
//! encoded as base64url without padding. With ids below 64 the token is 16 characters; with
//! a campaign id below 8 192 it is at most 20 characters for ids below a million and 22 for
//! ids below 134 million.
//!
//! Key rotation: [`SigningKeys`] signs with its current secret and still verifies tokens
//! signed with any of its previous secrets, so printed posters and receipts keep working.
//! Every purpose (tokens, dossier hashes, form nonces, key ids) uses its own key derived
//! from the secret with HMAC, so one configured secret serves them all without mixing.
//!
//! A token names *what* is rated, nothing else: it carries no expiry (that is the
//! campaign's period and the receipt's `expires_at`, checked against the database).

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Token format version carried in the header's high nibble.
const VERSION: u8 = 1;
/// Length of the truncated HMAC tag, in bytes.
pub const TAG_LEN: usize = 8;
/// Header + key id.
const PREFIX_LEN: usize = 2;
/// Longest canonical LEB128 encoding of a u64.
const MAX_VARINT_LEN: usize = 10;
/// The longest token [`SigningKeys::sign`] can produce, in bytes before base64.
const MAX_TOKEN_BYTES: usize = PREFIX_LEN + 2 * MAX_VARINT_LEN + TAG_LEN;
/// Anything longer than this many characters is rejected before decoding.
pub const MAX_TOKEN_CHARS: usize = (MAX_TOKEN_BYTES * 4).div_ceil(3);

const KIND_DESK: u8 = 0;
const KIND_RECEIPT: u8 = 1;

/// Nonce layout: version byte, key id, issued-at (8 bytes, big-endian unix seconds),
/// 8 unique bytes, 8 tag bytes → 26 bytes, 35 characters.
const NONCE_VERSION: u8 = 1;
const NONCE_BYTES: usize = 2 + 8 + 8 + TAG_LEN;

/// What a survey QR code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SurveyToken {
    /// A desk poster: any number of citizens may answer.
    Desk {
        campaign_id: i64,
        service_point_id: i64,
    },
    /// A dossier receipt: answers once.
    Receipt { campaign_id: i64, receipt_id: i64 },
}

impl SurveyToken {
    /// The campaign the token belongs to.
    pub fn campaign_id(&self) -> i64 {
        match *self {
            SurveyToken::Desk { campaign_id, .. } | SurveyToken::Receipt { campaign_id, .. } => {
                campaign_id
            }
        }
    }

    /// Whether this token may be answered only once (a receipt).
    pub fn is_single_use(&self) -> bool {
        matches!(self, SurveyToken::Receipt { .. })
    }

    fn parts(&self) -> (u8, i64, i64) {
        match *self {
            SurveyToken::Desk {
                campaign_id,
                service_point_id,
            } => (KIND_DESK, campaign_id, service_point_id),
            SurveyToken::Receipt {
                campaign_id,
                receipt_id,
            } => (KIND_RECEIPT, campaign_id, receipt_id),
        }
    }
}

/// Why a token (or a form nonce) was refused. Every variant means "show the not-found
/// page"; the distinction is for logs and metrics only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64url, too short, too long, or its fields do not parse.
    #[error("malformed token")]
    Malformed,
    /// A format version this build does not know.
    #[error("unsupported token version")]
    UnsupportedVersion,
    /// No key in the ring has the token's key id (signed with a retired or foreign key).
    #[error("token signed with an unknown key")]
    UnknownKey,
    /// The tag does not match: forged or altered.
    #[error("bad token signature")]
    BadSignature,
}

/// One secret and the keys derived from it.
#[derive(Clone)]
struct KeyMaterial {
    id: u8,
    token_key: [u8; 32],
    dossier_key: [u8; 32],
    nonce_key: [u8; 32],
    keyed_hash_key: [u8; 32],
}

impl KeyMaterial {
    fn derive(secret: &[u8]) -> Self {
        let kid = derive(secret, b"sipas/key-id/v1");
        KeyMaterial {
            id: kid[0],
            token_key: derive(secret, b"sipas/survey-token/v1"),
            dossier_key: derive(secret, b"sipas/dossier-hash/v1"),
            nonce_key: derive(secret, b"sipas/form-nonce/v1"),
            keyed_hash_key: derive(secret, b"sipas/keyed-hash/v1"),
        }
    }
}

fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn mac_with(key: &[u8; 32], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac
}

/// The keyring: the current secret signs, every secret (current and previous) verifies.
///
/// Its `Debug` output never shows key material.
#[derive(Clone)]
pub struct SigningKeys {
    /// `keys[0]` is the current key; the rest are previous keys, newest first.
    keys: Vec<KeyMaterial>,
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeys")
            .field("current_key_id", &self.current_key_id())
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// A keyring signing with `current` and still accepting `previous` (newest first).
    /// Previous secrets equal to the current one or to each other are dropped.
    ///
    /// Any length is accepted, but use at least 32 random bytes.
    pub fn new(current: &[u8], previous: Vec<Vec<u8>>) -> Self {
        let mut secrets: Vec<&[u8]> = vec![current];
        for p in &previous {
            if !secrets.contains(&p.as_slice()) {
                secrets.push(p);
            }
        }
        SigningKeys {
            keys: secrets.into_iter().map(KeyMaterial::derive).collect(),
        }
    }

    /// The key id (one byte) that tokens signed now carry; log it when rotating keys.
    pub fn current_key_id(&self) -> u8 {
        self.keys[0].id
    }

    fn current(&self) -> &KeyMaterial {
        &self.keys[0]
    }

    /// Signs a token with the current key. Deterministic: the same token and key always
    /// give the same string (so a reprinted poster is the same QR).
    pub fn sign(&self, token: &SurveyToken) -> String {
        let key = self.current();
        let (kind, a, b) = token.parts();
        let mut buf = Vec::with_capacity(MAX_TOKEN_BYTES);
        buf.push((VERSION << 4) | kind);
        buf.push(key.id);
        put_varint(&mut buf, zigzag(a));
        put_varint(&mut buf, zigzag(b));
        let tag = mac_with(&key.token_key, &[&buf]).finalize().into_bytes();
        buf.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(&buf)
    }

    /// Checks a token's signature against every key in the ring and returns what it names.
    /// Never panics, whatever the input.
    pub fn verify(&self, token: &str) -> Result<SurveyToken, TokenError> {
        if token.len() > MAX_TOKEN_CHARS || token.len() < 4 {
            return Err(TokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() < PREFIX_LEN + 2 + TAG_LEN || bytes.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let header = body[0];
        if header >> 4 != VERSION {
            return Err(TokenError::UnsupportedVersion);
        }
        let kind = header & 0x0f;
        if kind != KIND_DESK && kind != KIND_RECEIPT {
            return Err(TokenError::Malformed);
        }
        let kid = body[1];
        let mut rest = &body[PREFIX_LEN..];
        let a = unzigzag(take_varint(&mut rest)?);
        let b = unzigzag(take_varint(&mut rest)?);
        if !rest.is_empty() {
            return Err(TokenError::Malformed);
        }
        let mut known = false;
        let mut ok = false;
        for key in self.keys.iter().filter(|k| k.id == kid) {
            known = true;
            if mac_with(&key.token_key, &[body])
                .verify_truncated_left(tag)
                .is_ok()
            {
                ok = true;
                break;
            }
        }
        if !known {
            return Err(TokenError::UnknownKey);
        }
        if !ok {
            return Err(TokenError::BadSignature);
        }
        Ok(if kind == KIND_DESK {
            SurveyToken::Desk {
                campaign_id: a,
                service_point_id: b,
            }
        } else {
            SurveyToken::Receipt {
                campaign_id: a,
                receipt_id: b,
            }
        })
    }

    /// The keyed hash (64 lowercase hex digits) under which a receipt's dossier code is
    /// stored, with the current key. The code is trimmed of surrounding whitespace first;
    /// it is otherwise taken as given (case matters).
    pub fn dossier_hash(&self, campaign_id: i64, dossier_code: &str) -> String {
        dossier_hash_with(self.current(), campaign_id, dossier_code)
    }

    /// The dossier code's hash under every key in the ring, current first. Look a receipt
    /// up by any of them so lookups (and receipt idempotency) survive a key rotation.
    pub fn dossier_hashes(&self, campaign_id: i64, dossier_code: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| dossier_hash_with(k, campaign_id, dossier_code))
            .collect()
    }

    /// A keyed hash (64 lowercase hex digits) of `data` for a named `purpose`, with the
    /// current key: for values that must not be stored in the clear but must be compared,
    /// such as a client address for rate limiting (`keyed_hash("client-ip", ip.as_bytes())`,
    /// perhaps with the day in `purpose` so the values cannot be linked across days).
    /// Different purposes never give the same hash for the same data.
    pub fn keyed_hash(&self, purpose: &str, data: &[u8]) -> String {
        let key = self.current();
        let len = (purpose.len() as u64).to_be_bytes();
        let out = mac_with(&key.keyed_hash_key, &[&len, purpose.as_bytes(), data])
            .finalize()
            .into_bytes();
        hex(&out)
    }

    /// A fresh, signed form nonce for the hidden field of the survey form. It is unique
    /// (use it as the submission's idempotency key) and carries the time the form was
    /// issued (unix seconds), which [`SigningKeys::verify_form_nonce`] gives back: the
    /// server can enforce a minimum fill time without trusting a client-side field.
    pub fn new_form_nonce(&self, issued_at_unix: i64) -> String {
        self.form_nonce_with(issued_at_unix, unique_bytes())
    }

    /// As [`SigningKeys::new_form_nonce`] with caller-supplied unique bytes (for tests or
    /// a caller with its own random source).
    pub fn form_nonce_with(&self, issued_at_unix: i64, unique: [u8; 8]) -> String {
        let key = self.current();
        let mut buf = Vec::with_capacity(NONCE_BYTES);
        buf.push(NONCE_VERSION);
        buf.push(key.id);
        buf.extend_from_slice(&issued_at_unix.to_be_bytes());
        buf.extend_from_slice(&unique);
        let tag = mac_with(&key.nonce_key, &[&buf]).finalize().into_bytes();
        buf.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(&buf)
    }

    /// Checks a form nonce and returns the time its form was issued (unix seconds).
    pub fn verify_form_nonce(&self, nonce: &str) -> Result<FormNonce, TokenError> {
        if nonce.len() != (NONCE_BYTES * 4).div_ceil(3) {
            return Err(TokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(nonce.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() != NONCE_BYTES {
            return Err(TokenError::Malformed);
        }
        if bytes[0] != NONCE_VERSION {
            return Err(TokenError::UnsupportedVersion);
        }
        let (body, tag) = bytes.split_at(NONCE_BYTES - TAG_LEN);
        let mut known = false;
        for key in self.keys.iter().filter(|k| k.id == body[1]) {
            known = true;
            if mac_with(&key.nonce_key, &[body])
                .verify_truncated_left(tag)
                .is_ok()
            {
                let mut t = [0u8; 8];
                t.copy_from_slice(&body[2..10]);
                return Ok(FormNonce {
                    issued_at_unix: i64::from_be_bytes(t),
                });
            }
        }
        Err(if known {
            TokenError::BadSignature
        } else {
            TokenError::UnknownKey
        })
    }
}

/// What a verified form nonce says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormNonce {
    /// When the form was issued, unix seconds.
    pub issued_at_unix: i64,
}

fn dossier_hash_with(key: &KeyMaterial, campaign_id: i64, dossier_code: &str) -> String {
    let out = mac_with(
        &key.dossier_key,
        &[&campaign_id.to_be_bytes(), dossier_code.trim().as_bytes()],
    )
    .finalize()
    .into_bytes();
    hex(&out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

/// 8 bytes unique within and (with overwhelming probability) across processes: a
/// process-wide counter mixed with the OS-seeded keys of std's `RandomState` and the clock.
/// Not a secret on its own; the nonce's HMAC makes it unforgeable.
fn unique_bytes() -> [u8; 8] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(n);
    h.write_u128(nanos);
    h.finish().to_be_bytes()
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads one canonical LEB128 u64 (no redundant trailing zero groups, no overflow).
fn take_varint(input: &mut &[u8]) -> Result<u64, TokenError> {
    let mut v: u64 = 0;
    for i in 0..MAX_VARINT_LEN {
        let Some((&byte, rest)) = input.split_first() else {
            return Err(TokenError::Malformed);
        };
        *input = rest;
        let group = u64::from(byte & 0x7f);
        if i == MAX_VARINT_LEN - 1 && group > 1 {
            return Err(TokenError::Malformed);
        }
        v |= group << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && group == 0 {
                return Err(TokenError::Malformed);
            }
            return Ok(v);
        }
    }
    Err(TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip_and_canonical() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            let mut s = buf.as_slice();
            assert_eq!(take_varint(&mut s), Ok(v));
            assert!(s.is_empty());
        }
        // 0 encoded in two bytes is not canonical.
        let mut s: &[u8] = &[0x80, 0x00];
        assert_eq!(take_varint(&mut s), Err(TokenError::Malformed));
        // 11 continuation bytes overflow.
        let mut s: &[u8] = &[0xff; 11];
        assert_eq!(take_varint(&mut s), Err(TokenError::Malformed));
    }

    #[test]
    fn zigzag_round_trip() {
        for v in [0i64, 1, -1, 63, 64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }

    #[test]
    fn max_token_chars_covers_extremes() {
        let keys = SigningKeys::new(b"k", vec![]);
        let t = SurveyToken::Receipt {
            campaign_id: i64::MIN,
            receipt_id: i64::MIN,
        };
        let s = keys.sign(&t);
        assert!(s.len() <= MAX_TOKEN_CHARS);
        assert_eq!(keys.verify(&s), Ok(t));
    }
}
