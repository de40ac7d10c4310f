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

/// A view as JSON bytes with its entity tag, and its gzip form once asked for.
#[derive(Debug)]
pub struct Document {
    pub json: actix_web::web::Bytes,
    /// The hash of the bytes that names them (hex): the entity tag is `"{tag}"` and,
    /// for the gzip form, `"{tag}-gzip"`.
    pub tag: String,
    gzip: std::sync::OnceLock<actix_web::web::Bytes>,
}

impl Document {
    pub fn new(view: &impl Serialize) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_vec(view)?;
        let hash = Sha256::digest(&json);
        let tag = hash[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Ok(Self {
            json: json.into(),
            tag,
            gzip: std::sync::OnceLock::new(),
        })
    }

    /// The bytes gzip-compressed, computed once: a reader that accepts gzip (every
    /// phone and most clients) gets a copy, not a compression per request.
    pub fn gzip(&self) -> &actix_web::web::Bytes {
        self.gzip.get_or_init(|| {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(self.json.len() / 4),
                flate2::Compression::default(),
            );
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(&self.json);
            encoder.finish().unwrap_or_default().into()
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

impl DocumentKey {
    /// The key of a view of these computed scores.
    pub fn new(scores: &crate::scores::CampaignScores, view: View) -> Self {
        Self {
            campaign_id: scores.campaign.id,
            version: scores.version,
            query: scores.query.key(),
            view,
        }
    }
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
    /// Builds, compresses and keeps the documents most reads ask for (the official
    /// scores of every unit and the quotas), right after the scores are computed and
    /// off the async workers, so those reads are a copy.
    pub fn prebuild(&self, scores: &crate::scores::CampaignScores) {
        let Ok(official) = crate::scores::ScoreQuery::official(&scores.campaign) else {
            return;
        };
        if scores.query.key() != official.key() {
            return;
        }
        let listed: Vec<_> = scores.units.iter().collect();
        let today = chrono::Utc::now().date_naive();
        let views: [(View, Result<Document, serde_json::Error>); 2] = [
            (
                View::Scores {
                    selection: UnitSelection::default(),
                    detail: false,
                },
                Document::new(&scores::campaign_scores(scores, &listed, false)),
            ),
            (
                View::Quotas(today),
                Document::new(&quotas::quotas(scores, &listed, today)),
            ),
        ];
        for (view, document) in views {
            match document {
                Ok(document) => {
                    document.gzip();
                    self.0.insert(
                        DocumentKey::new(scores, view),
                        std::sync::Arc::new(document),
                    );
                }
                Err(error) => tracing::error!(%error, "a document could not be serialized"),
            }
        }
    }

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
