//! The report layer: each view of the figures (scores, quotas, the overview, the digest,
//! the unit page, exports) is built here once, as a typed value, for the JSON API, the
//! dashboard and the exports alike, live or from a published snapshot. A view is a pure
//! function of computed [`CampaignScores`] (or rows read for it) and what the reader
//! selected; nothing here reads the database or knows HTTP.
//!
//! [`Document`] is a view serialized once: its bytes and an entity tag derived from
//! them, so the tag is the same on every node that holds the same figures and changes
//! whenever any figure would.
//!
//! [`CampaignScores`]: crate::scores::CampaignScores

pub mod audit;
pub mod change;
pub mod digest;
pub mod exports;
pub mod league;
pub mod overview;
pub mod quotas;
pub mod scores;
pub mod snapshot;
pub mod unit_page;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::scores::{CampaignScores, QueryKey};

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
        Ok(Self::from_bytes(serde_json::to_vec(view)?))
    }

    /// Bytes already serialized (a published snapshot's stored document), served as
    /// they are.
    pub fn from_bytes(json: Vec<u8>) -> Self {
        let hash = Sha256::digest(&json);
        let tag = hash[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Self {
            json: json.into(),
            tag,
            gzip: std::sync::OnceLock::new(),
        }
    }

    /// The bytes gzip-compressed, computed once: a reader that accepts gzip (every
    /// phone and most clients) gets a copy, not a compression per request.
    pub fn gzip(&self) -> &actix_web::web::Bytes {
        self.gzip.get_or_init(|| {
            use std::io::Write;
            // A large document is recompressed with every new result: the fast level
            // takes a fifth of the time for a tenth more bytes.
            let level = if self.json.len() > 64 * 1024 {
                flate2::Compression::fast()
            } else {
                flate2::Compression::default()
            };
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::with_capacity(self.json.len() / 4), level);
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
    /// The published snapshot the scores come from (`None`: live): a snapshot's
    /// figures never share a document with the live ones.
    pub snapshot: Option<u32>,
    pub version: u64,
    pub query: QueryKey,
    pub view: View,
}

impl DocumentKey {
    /// The view this document is of, as remembered among those read lately.
    fn wanted_view(&self) -> WantedView {
        (self.campaign_id, self.query, self.view.wanted())
    }

    /// The key of a view of these computed scores.
    pub fn new(scores: &CampaignScores, view: View) -> Self {
        Self {
            campaign_id: scores.campaign.id,
            snapshot: scores.snapshot,
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
    /// Quotas as of a day (the pace depends on it), of the selected units, optionally
    /// only those of one status.
    Quotas {
        today: chrono::NaiveDate,
        selection: UnitSelection,
        status: Option<sipas_domain::quota::QuotaStatus>,
    },
}

/// Documents already serialized, so an unchanged read is a copy, not a serialization of
/// every unit. Bounded by bytes, least recently used first out (a new version's document
/// must always get in), and built once however many readers ask at the same moment.
/// The views read lately are rebuilt as soon as new scores are computed, so their
/// readers find them ready.
#[derive(Clone)]
pub struct DocumentCache {
    documents: moka::sync::Cache<DocumentKey, Option<Arc<Document>>>,
    /// When each view (of a campaign and query) was last read, and its latest live
    /// document's key.
    wanted: Arc<Mutex<HashMap<WantedView, Wanted>>>,
}

struct Wanted {
    read_at: Instant,
    /// Dropped from the cache once a later version is in: under a steady flow of
    /// answers each view gets a new version every follower read, and the superseded
    /// ones, never read again, would fill the cache (64 MB at 244 units in minutes).
    latest: Option<DocumentKey>,
}

impl Wanted {
    /// Keeps `key` as the latest and returns the key it supersedes, if any.
    fn supersede(&mut self, key: &DocumentKey) -> Option<DocumentKey> {
        match &self.latest {
            Some(latest) if latest.version >= key.version => None,
            _ => self.latest.replace(key.clone()),
        }
    }
}

/// A view of a campaign's scores at a query, whatever their version.
type WantedView = (i32, QueryKey, View);

/// A view read within this long is rebuilt with every new result.
const WANTED_FOR: Duration = Duration::from_secs(600);
/// At most this many views per result are rebuilt ahead of their readers.
const MAX_PREBUILT: usize = 8;
/// At most this many views are remembered as read lately (all campaigns).
const MAX_WANTED: usize = 256;

impl Default for DocumentCache {
    fn default() -> Self {
        Self {
            documents: moka::sync::Cache::builder()
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                // A "no such unit" answer is kept too, weighed as a small document.
                .weigher(|_, d: &Option<Arc<Document>>| {
                    d.as_ref()
                        .map_or(1024, |d| u32::try_from(d.json.len()).unwrap_or(u32::MAX))
                })
                .max_capacity(64 * 1024 * 1024)
                .build(),
            wanted: Arc::default(),
        }
    }
}

/// Builds one view of computed scores; `None` when the view names a unit the scores do
/// not have.
fn build(scores: &CampaignScores, view: &View) -> Result<Option<Document>, serde_json::Error> {
    match view {
        View::Scores { selection, detail } => {
            let Some(listed) = scores::select(scores, selection) else {
                return Ok(None);
            };
            Document::new(&scores::campaign_scores(scores, &listed, *detail)).map(Some)
        }
        View::Unit(code) => match scores.units.iter().find(|u| &u.unit.code == code) {
            Some(unit) => Document::new(&scores::unit_score(scores, unit, true)).map(Some),
            None => Ok(None),
        },
        View::Quotas {
            today,
            selection,
            status,
        } => {
            let Some(listed) = scores::select(scores, selection) else {
                return Ok(None);
            };
            let rows: Vec<_> = quotas::quotas(scores, &listed, *today)
                .into_iter()
                .filter(|q| status.is_none_or(|s| q.status == s))
                .collect();
            Document::new(&rows).map(Some)
        }
    }
}

impl DocumentCache {
    /// The document of a view of these scores (`None`: the view names a unit the
    /// scores do not have).
    pub fn document(
        &self,
        scores: &CampaignScores,
        view: View,
    ) -> Result<Option<Arc<Document>>, Arc<serde_json::Error>> {
        let key = DocumentKey::new(scores, view);
        let document = self
            .documents
            .try_get_with_by_ref(&key, || build(scores, &key.view).map(|d| d.map(Arc::new)))?;
        // Only live views that exist are worth building ahead of their readers (a
        // snapshot's never change).
        if document.is_some() && scores.snapshot.is_none() {
            let mut wanted = self.wanted.lock().unwrap_or_else(|p| p.into_inner());
            if wanted.len() >= MAX_WANTED {
                wanted.retain(|_, w| w.read_at.elapsed() < WANTED_FOR);
            }
            if wanted.len() >= MAX_WANTED
                && let Some(oldest) = wanted
                    .iter()
                    .min_by_key(|(_, w)| w.read_at)
                    .map(|(view, _)| view.clone())
            {
                wanted.remove(&oldest);
            }
            let entry = wanted.entry(key.wanted_view()).or_insert(Wanted {
                read_at: Instant::now(),
                latest: None,
            });
            entry.read_at = Instant::now();
            if let Some(superseded) = entry.supersede(&key) {
                self.documents.invalidate(&superseded);
            }
        }
        Ok(document)
    }

    /// Builds and compresses the views of these scores read lately, right after the
    /// scores are computed and off the async workers, so their readers get a copy.
    pub fn prebuild(&self, scores: &CampaignScores) {
        let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now());
        let views: Vec<View> = {
            let mut wanted = self.wanted.lock().unwrap_or_else(|p| p.into_inner());
            wanted.retain(|_, w| w.read_at.elapsed() < WANTED_FOR);
            let mut views: Vec<(&View, &Instant)> = wanted
                .iter()
                .filter(|((campaign, query, _), _)| {
                    *campaign == scores.campaign.id && *query == scores.query.key()
                })
                .map(|((_, _, view), w)| (view, &w.read_at))
                .collect();
            views.sort_by_key(|(_, at)| std::cmp::Reverse(**at));
            views
                .into_iter()
                .take(MAX_PREBUILT)
                .map(|(view, _)| view.on(today))
                .collect()
        };
        for view in views {
            match build(scores, &view) {
                Ok(document) => {
                    let document = document.map(|d| {
                        d.gzip();
                        Arc::new(d)
                    });
                    let key = DocumentKey::new(scores, view);
                    self.documents.insert(key.clone(), document);
                    let superseded = self
                        .wanted
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_mut(&key.wanted_view())
                        .and_then(|w| w.supersede(&key));
                    if let Some(superseded) = superseded {
                        self.documents.invalidate(&superseded);
                    }
                }
                Err(error) => tracing::error!(%error, "a document could not be serialized"),
            }
        }
    }
}

impl View {
    /// The view as remembered among those read lately: quotas whatever the day.
    fn wanted(&self) -> View {
        match self {
            View::Quotas {
                selection, status, ..
            } => View::Quotas {
                today: chrono::NaiveDate::MIN,
                selection: selection.clone(),
                status: *status,
            },
            other => other.clone(),
        }
    }

    /// A remembered view as read on `today`.
    fn on(&self, today: chrono::NaiveDate) -> View {
        match self {
            View::Quotas {
                selection, status, ..
            } => View::Quotas {
                today,
                selection: selection.clone(),
                status: *status,
            },
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::overview::fixture::scores;

    fn all_units() -> View {
        View::Scores {
            selection: UnitSelection::default(),
            detail: false,
        }
    }

    /// A view read once is rebuilt at each new version; the versions it supersedes
    /// leave the cache, so a steady flow of answers does not fill it.
    #[test]
    fn a_new_version_of_a_view_drops_the_one_it_supersedes() {
        let cache = DocumentCache::default();
        let mut first = scores(&[(4, 3)]);
        first.version = 1;
        assert!(cache.document(&first, all_units()).unwrap().is_some());
        let first_key = DocumentKey::new(&first, all_units());
        assert!(cache.documents.contains_key(&first_key));

        let mut later = scores(&[(4, 4)]);
        for version in 2..=5 {
            later.version = version;
            cache.prebuild(&later);
        }
        cache.documents.run_pending_tasks();
        assert!(!cache.documents.contains_key(&first_key), "version 1 left");
        let kept: Vec<u64> = cache.documents.iter().map(|(k, _)| k.version).collect();
        assert_eq!(kept, [5], "only the latest version is kept");

        // A reader still on an older version gets its document, and the latest stays.
        let mut older = scores(&[(4, 4)]);
        older.version = 3;
        assert!(cache.document(&older, all_units()).unwrap().is_some());
        let latest = DocumentKey::new(&later, all_units());
        assert!(cache.documents.contains_key(&latest));
    }
}
