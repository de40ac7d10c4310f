//! The audit log as a hash chain: each entry carries the hash of the one before it, so
//! an entry edited, deleted or slipped in afterwards breaks the chain at that point.
//!
//! An entry's hash is SHA-256 over the previous entry's hash and the entry's canonical
//! fields (sequence number, instant to the microsecond, actor, action, subject, detail,
//! unit), each length-prefixed so no two different entries encode alike. The first
//! entry's previous hash is [`GENESIS`]. The chain's head (the last sequence number and
//! hash) is kept apart, so cutting entries off the end is caught too.

use sha2::{Digest, Sha256};

/// The "previous hash" of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's fields that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub seq: i64,
    /// The instant, in microseconds since the Unix epoch (what both databases keep).
    pub at_micros: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
    pub unit_id: Option<i32>,
}

/// The hash of `entry` following an entry whose hash is `prev_hash`, in lowercase hex.
pub fn entry_hash(prev_hash: &str, entry: &Entry<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"sipas-audit-v1");
    field(prev_hash.as_bytes());
    field(&entry.seq.to_be_bytes());
    field(&entry.at_micros.to_be_bytes());
    field(entry.actor.as_bytes());
    field(entry.action.as_bytes());
    field(entry.subject.as_bytes());
    field(entry.detail.as_bytes());
    match entry.unit_id {
        Some(id) => field(&id.to_be_bytes()),
        None => field(b""),
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// An entry as stored: its fields and the link columns, any of which may have been
/// tampered with (or be missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry<'a> {
    pub entry: Entry<'a>,
    pub prev_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
}

/// Where the chain breaks first, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The entry with this sequence number is gone (deleted), or one was inserted out
    /// of sequence: the next stored entry is `found` (`None`: the log ends early).
    #[error("entry {seq} is missing (the next stored entry is {})", found.map_or("none".to_owned(), |f| f.to_string()))]
    Missing { seq: i64, found: Option<i64> },
    /// The entry does not name the hash of the entry before it.
    #[error("entry {seq} does not link to the entry before it (previous hash differs)")]
    Unlinked { seq: i64 },
    /// The entry's fields are not those it was written with (edited).
    #[error("entry {seq} was changed after it was written (its hash does not match its fields)")]
    Altered { seq: i64 },
    /// The chain's head names a last entry this log does not end with.
    #[error("the log ends at entry {last} but its head says {head_seq}")]
    Head { last: i64, head_seq: i64 },
}

impl Break {
    /// The first sequence number that does not hold.
    pub fn seq(&self) -> i64 {
        match *self {
            Break::Missing { seq, .. } | Break::Unlinked { seq } | Break::Altered { seq } => seq,
            Break::Head { last, head_seq } => last.min(head_seq) + 1,
        }
    }
}

/// Walks a chain entry by entry (in sequence order), remembering only the last link, so
/// a log of any length is checked in constant memory.
#[derive(Debug, Clone)]
pub struct Walker {
    next_seq: i64,
    prev_hash: String,
    broken: Option<Break>,
}

impl Default for Walker {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
            broken: None,
        }
    }
}

impl Walker {
    /// Takes the next stored entry; after the first break, the rest are ignored.
    pub fn step(&mut self, stored: &StoredEntry<'_>) {
        if self.broken.is_some() {
            return;
        }
        let seq = stored.entry.seq;
        if seq != self.next_seq {
            self.broken = Some(Break::Missing {
                seq: self.next_seq,
                found: Some(seq),
            });
            return;
        }
        if stored.prev_hash != Some(self.prev_hash.as_str()) {
            self.broken = Some(Break::Unlinked { seq });
            return;
        }
        let computed = entry_hash(&self.prev_hash, &stored.entry);
        if stored.hash != Some(computed.as_str()) {
            self.broken = Some(Break::Altered { seq });
            return;
        }
        self.prev_hash = computed;
        self.next_seq += 1;
    }

    /// The verdict once every entry was stepped through: the number of entries that
    /// hold, or the first break. `head` is the chain head's (last seq, last hash).
    pub fn finish(self, head: (i64, &str)) -> Result<u64, Break> {
        if let Some(broken) = self.broken {
            return Err(broken);
        }
        let last = self.next_seq - 1;
        let (head_seq, head_hash) = head;
        if head_seq > last {
            return Err(Break::Missing {
                seq: last + 1,
                found: None,
            });
        }
        if head_seq != last || head_hash != self.prev_hash {
            return Err(Break::Head { last, head_seq });
        }
        Ok(last as u64)
    }
}

/// Checks a whole chain held in memory: see [`Walker`].
pub fn verify<'a>(
    entries: impl IntoIterator<Item = StoredEntry<'a>>,
    head: (i64, &str),
) -> Result<u64, Break> {
    let mut walker = Walker::default();
    for e in entries {
        walker.step(&e);
    }
    walker.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        seq: i64,
        detail: String,
        prev: String,
        hash: String,
    }

    fn entry(seq: i64, detail: &str) -> Entry<'_> {
        Entry {
            seq,
            at_micros: 1_700_000_000_000_000 + seq,
            actor: "admin",
            action: "campaign.open",
            subject: "DEMO-2026",
            detail,
            unit_id: (seq % 2 == 0).then_some(7),
        }
    }

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let detail = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(&prev, &entry(seq, &detail));
                let row = Row {
                    seq,
                    detail,
                    prev: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn check(rows: &[Row], head: (i64, &str)) -> Result<u64, Break> {
        verify(
            rows.iter().map(|r| StoredEntry {
                entry: entry(r.seq, &r.detail),
                prev_hash: Some(&r.prev),
                hash: Some(&r.hash),
            }),
            head,
        )
    }

    fn head(rows: &[Row]) -> (i64, String) {
        rows.last()
            .map_or((0, GENESIS.to_owned()), |r| (r.seq, r.hash.clone()))
    }

    #[test]
    fn an_intact_chain_holds() {
        let rows = chain(5);
        let (s, h) = head(&rows);
        assert_eq!(check(&rows, (s, &h)), Ok(5));
        assert_eq!(check(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut rows = chain(5);
        let (s, h) = head(&rows);
        rows[2].detail = "{\"n\":99}".into();
        assert_eq!(check(&rows, (s, &h)), Err(Break::Altered { seq: 3 }));
    }

    #[test]
    fn an_edited_entry_rehashed_breaks_the_next_link() {
        let mut rows = chain(5);
        let (s, h) = head(&rows);
        rows[2].detail = "{\"n\":99}".into();
        rows[2].hash = entry_hash(&rows[2].prev, &entry(3, &rows[2].detail));
        assert_eq!(check(&rows, (s, &h)), Err(Break::Unlinked { seq: 4 }));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut rows = chain(5);
        let (s, h) = head(&rows);
        rows.remove(1);
        assert_eq!(
            check(&rows, (s, &h)),
            Err(Break::Missing {
                seq: 2,
                found: Some(3)
            })
        );
        // The last one cut off: the head still names it.
        let mut rows = chain(5);
        rows.pop();
        assert_eq!(
            check(&rows, (s, &h)),
            Err(Break::Missing {
                seq: 5,
                found: None
            })
        );
        assert_eq!(
            Break::Missing {
                seq: 5,
                found: None
            }
            .seq(),
            5
        );
    }

    #[test]
    fn every_field_counts() {
        let base = entry(1, "{}");
        let h = entry_hash(GENESIS, &base);
        let variants = [
            Entry {
                seq: 2,
                ..base.clone()
            },
            Entry {
                at_micros: base.at_micros + 1,
                ..base.clone()
            },
            Entry {
                actor: "x",
                ..base.clone()
            },
            Entry {
                action: "x",
                ..base.clone()
            },
            Entry {
                subject: "x",
                ..base.clone()
            },
            Entry {
                detail: "{ }",
                ..base.clone()
            },
            Entry {
                unit_id: Some(1),
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(entry_hash(GENESIS, &v), h, "{v:?}");
        }
        // Field boundaries are part of the encoding.
        let a = Entry {
            actor: "ab",
            action: "c",
            ..base.clone()
        };
        let b = Entry {
            actor: "a",
            action: "bc",
            ..base.clone()
        };
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
        assert_ne!(entry_hash(GENESIS, &base), entry_hash(&h, &base));
    }
}
