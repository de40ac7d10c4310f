//! The report layer: each view of the figures (scores, quotas) is built here once, as a
//! typed value, for the JSON API now and for the dashboard, exports and published
//! snapshots next. A view is a pure function of a computed [`CampaignScores`] and what
//! the reader selected; nothing here reads the database or knows HTTP.
//!
//! [`Document`] is a view serialized once: its bytes and an entity tag derived from
//! them, so the tag is the same on every node that holds the same figures and changes
//! whenever any figure would.
//!
//! [`CampaignScores`]: crate::scores::CampaignScores

pub mod quotas;
pub mod scores;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A view as JSON bytes with its entity tag.
#[derive(Debug, Clone)]
pub struct Document {
    pub json: actix_web::web::Bytes,
    /// A strong entity tag, quoted: `"…"`.
    pub etag: String,
}

impl Document {
    pub fn new(view: &impl Serialize) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_vec(view)?;
        let hash = Sha256::digest(&json);
        let etag = format!(
            "\"{}\"",
            hash[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Ok(Self {
            json: json.into(),
            etag,
        })
    }
}

/// Which units of a campaign a reader asks about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnitSelection {
    /// Only units of this type.
    pub unit_type: Option<String>,
    /// Only the units under this one (a `parent=` filter): its whole subtree, without
    /// itself.
    pub under: Option<String>,
}

/// What a document was built from: the computed scores (by campaign and state), the
/// query and the reader's selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    pub campaign_id: i32,
    pub version: u64,
    pub query: crate::scores::QueryKey,
    pub view: View,
}

/// Which view of the scores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum View {
    Scores {
        selection: UnitSelection,
        detail: bool,
    },
    Unit(String),
    /// Quotas as of a day (the pace depends on it).
    Quotas(chrono::NaiveDate),
}

/// Documents already serialized, so an unchanged read is a copy, not a serialization of
/// every unit. Bounded by bytes.
#[derive(Clone)]
pub struct DocumentCache(moka::sync::Cache<DocumentKey, std::sync::Arc<Document>>);

impl Default for DocumentCache {
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .weigher(|_, d: &std::sync::Arc<Document>| {
                    u32::try_from(d.json.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(64 * 1024 * 1024)
                .build(),
        )
    }
}

impl DocumentCache {
    pub fn get_or_build<E>(
        &self,
        key: DocumentKey,
        build: impl FnOnce() -> Result<Document, E>,
    ) -> Result<std::sync::Arc<Document>, E> {
        if let Some(document) = self.0.get(&key) {
            return Ok(document);
        }
        let document = std::sync::Arc::new(build()?);
        self.0.insert(key, document.clone());
        Ok(document)
    }
}
