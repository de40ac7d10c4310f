//! The score book: every campaign's statistics, derived from the database and the same
//! on every node.
//!
//! * The [`follower`] owns the statistics. It folds every stored response once at
//!   start, then follows the `responses` table from a stored position per campaign and
//!   each campaign's revision (see `storage::follow`), whichever node stored what.
//!   Database notifications only wake it early; what it reads is the truth.
//! * After each read that changed a campaign it publishes an immutable
//!   [`CampaignState`]. Scores are computed from such a state off the async workers,
//!   one computation per query at a time: a burst of changes is one recomputation,
//!   and readers get the last complete result meanwhile. Queries read recently are
//!   recomputed as soon as a new state is published, so what readers get trails the
//!   database by one read and one computation.

pub mod book;
pub mod follower;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sipas_domain::statistics::{Confidence, CriterionMethod, ScoringOptions, StatisticsError};
use tokio::sync::{Notify, watch};

pub use book::{
    CampaignScores, CampaignState, Description, QueryKey, ScoreQuery, UnitInfo, UnitScores,
};
pub use follower::LoadReport;

use crate::storage::{CampaignRecord, Storage, StorageError, campaigns};
use follower::{Followed, Questionnaires};

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Statistics(#[from] StatisticsError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The computation itself failed (a stored statistic of the wrong shape).
    #[error("the scores could not be computed: {0}")]
    Computation(String),
}

/// A query not read for this long is no longer recomputed on every change.
const WARM: Duration = Duration::from_secs(600);
/// Reads of the database at most this often, however often something wakes the
/// follower: a burst of answers is one read.
const MIN_FOLLOW_GAP: Duration = Duration::from_millis(50);
/// One query's scores are recomputed at most this often while answers keep arriving: a
/// burst of states is one computation, and a large province's recomputation does not
/// take a core to itself. Readers are served the last result meanwhile.
const MIN_RECOMPUTE_GAP: Duration = Duration::from_millis(250);
/// How long [`ScoreBook::catch_up`] waits for the follower at most.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(15);
/// At most this many queries per campaign keep a result.
const MAX_QUERIES: usize = 16;

type Computed = Result<Arc<CampaignScores>, Arc<str>>;

struct Slot {
    query: ScoreQuery,
    /// The newest result and the state version it was computed from.
    latest: Option<(u64, Computed)>,
    computing: bool,
    /// Bumped whenever `latest` changes.
    ready: watch::Sender<u64>,
    last_read: Instant,
}

/// A campaign as readers see it: its latest state and the scores computed from it.
struct Published {
    state: RwLock<Arc<CampaignState>>,
    slots: Mutex<HashMap<QueryKey, Slot>>,
}

impl Published {
    fn state(&self) -> Arc<CampaignState> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<QueryKey, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Shared {
    storage: Storage,
    campaigns: RwLock<HashMap<i32, Arc<Published>>>,
    codes: RwLock<HashMap<String, i32>>,
    wake: Notify,
    /// Follower reads started and completed, for [`ScoreBook::catch_up`].
    started: AtomicU64,
    completed: watch::Sender<u64>,
    following: AtomicBool,
    versions: AtomicU64,
    /// Called with every result just computed, off the async workers.
    on_computed: std::sync::OnceLock<OnComputed>,
    /// The runtime computations run on: the service's own, not a request worker's
    /// (a worker may stop while a computation is under way).
    runtime: tokio::runtime::Handle,
    /// Computations running at once, across campaigns and queries: at most one per core.
    computations: Arc<tokio::sync::Semaphore>,
    /// Published snapshots read on this node, parsed and re-scored once each: they
    /// never change, so this node's copy is right on every node.
    snapshots: crate::snapshots::SnapshotCache,
}

/// What the report layer does with scores as soon as they are computed.
pub type OnComputed = Arc<dyn Fn(&CampaignScores) + Send + Sync>;

/// The statistics loaded at start, until [`ScoreBook::follow`] hands them to the
/// follower.
type Loaded = (HashMap<i32, Followed>, Questionnaires);

/// A handle on the score book; cheap to clone.
#[derive(Clone)]
pub struct ScoreBook {
    shared: Arc<Shared>,
    loaded: Arc<Mutex<Option<Loaded>>>,
}

impl ScoreBook {
    /// Builds every campaign's statistics from the stored responses. Nothing follows
    /// the database until [`ScoreBook::follow`].
    pub async fn load(storage: Storage) -> Result<(Self, LoadReport), ScoreError> {
        let mut questionnaires = Questionnaires::default();
        let (followed, report) = follower::load(&storage, &mut questionnaires).await?;
        let book = Self {
            shared: Arc::new(Shared {
                storage,
                campaigns: RwLock::new(HashMap::new()),
                codes: RwLock::new(HashMap::new()),
                wake: Notify::new(),
                started: AtomicU64::new(0),
                completed: watch::Sender::new(0),
                following: AtomicBool::new(false),
                versions: AtomicU64::new(0),
                on_computed: std::sync::OnceLock::new(),
                runtime: tokio::runtime::Handle::current(),
                computations: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(1, |n| n.get()),
                )),
                snapshots: Default::default(),
            }),
            loaded: Arc::new(Mutex::new(None)),
        };
        for (id, f) in &followed {
            book.publish(*id, f);
        }
        *book.loaded.lock().unwrap_or_else(|p| p.into_inner()) = Some((followed, questionnaires));
        Ok((book, report))
    }

    /// Sets what is done with each result as soon as it is computed (the report layer
    /// serializes the documents most reads ask for). Set once, before following.
    pub fn on_computed(&self, hook: OnComputed) {
        let _ = self.shared.on_computed.set(hook);
    }

    /// Starts following the database on the current runtime.
    pub fn follow(&self) {
        let Some((mut followed, mut questionnaires)) =
            self.loaded.lock().unwrap_or_else(|p| p.into_inner()).take()
        else {
            return;
        };
        self.shared.following.store(true, Ordering::SeqCst);
        self.listen();
        let book = self.clone();
        tokio::spawn(async move {
            let mut failing = false;
            let mut broken = HashMap::new();
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(follower::POLL) => {}
                    _ = book.shared.wake.notified() => {}
                }
                let since = last.elapsed();
                if since < MIN_FOLLOW_GAP {
                    tokio::time::sleep(MIN_FOLLOW_GAP - since).await;
                }
                last = Instant::now();
                let cycle = book.shared.started.fetch_add(1, Ordering::SeqCst) + 1;
                let storage = book.shared.storage.clone();
                match follower::follow_once(
                    &storage,
                    &mut followed,
                    &mut questionnaires,
                    &mut broken,
                )
                .await
                {
                    Ok(changed) => {
                        if failing {
                            tracing::info!("following the database again");
                            failing = false;
                        }
                        for id in changed {
                            if let Some(f) = followed.get(&id) {
                                book.publish(id, f);
                            }
                        }
                        book.forget_except(&followed);
                    }
                    Err(error) => {
                        // Said once per outage; the positions did not move, so the
                        // next read catches up.
                        if !failing {
                            tracing::warn!(%error, "cannot follow the database; scores are not updated");
                            failing = true;
                        }
                    }
                }
                book.shared.completed.send_replace(cycle);
            }
        });
    }

    /// On PostgreSQL, wakes the follower whenever the database says something changed
    /// (the `sipas_changes` notification): another node's answers are then read at
    /// once, not at the next poll. A hint only; polling goes on whatever happens here.
    fn listen(&self) {
        if self.shared.storage.backend() != sea_orm::DbBackend::Postgres {
            return;
        }
        let book = self.clone();
        tokio::spawn(async move {
            use sea_orm::sqlx::postgres::PgListener;
            let pool = book
                .shared
                .storage
                .db()
                .get_postgres_connection_pool()
                .clone();
            loop {
                let listening = async {
                    let mut listener = PgListener::connect_with(&pool).await?;
                    listener.listen("sipas_changes").await?;
                    loop {
                        listener.recv().await?;
                        book.wake();
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), sea_orm::sqlx::Error>(())
                };
                if let Err(error) = listening.await {
                    tracing::debug!(%error, "database notifications lost; polling only for a while");
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
    }

    /// Wakes the follower now (a response was just stored, or a notification came).
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// Returns after a follower read that began after this call: everything committed
    /// before the call is then in the published states.
    pub async fn catch_up(&self) {
        if !self.shared.following.load(Ordering::SeqCst) {
            return;
        }
        let target = self.shared.started.load(Ordering::SeqCst) + 1;
        let mut completed = self.shared.completed.subscribe();
        self.wake();
        // Bounded: a follower that cannot read (a database outage) must not hold the
        // caller; what it could not read, it reads later.
        let _ = tokio::time::timeout(CATCH_UP_LIMIT, completed.wait_for(|c| *c >= target)).await;
    }

    /// Publishes a followed campaign's new state and sets its recent queries computing.
    fn publish(&self, id: i32, followed: &Followed) {
        let version = self.shared.versions.fetch_add(1, Ordering::SeqCst) + 1;
        let state = Arc::new(CampaignState {
            description: followed.description.clone(),
            statistics: followed.statistics.clone(),
            version,
        });
        let campaign = &state.description.campaign;
        {
            let mut codes = self.shared.codes.write().unwrap_or_else(|p| p.into_inner());
            codes.retain(|_, v| *v != id);
            codes.insert(campaign.code.clone(), id);
        }
        let official = ScoreQuery::official(campaign).ok();
        let published = {
            let mut campaigns = self
                .shared
                .campaigns
                .write()
                .unwrap_or_else(|p| p.into_inner());
            match campaigns.get(&id) {
                Some(p) => {
                    *p.state.write().unwrap_or_else(|p| p.into_inner()) = state;
                    p.clone()
                }
                None => {
                    let p = Arc::new(Published {
                        state: RwLock::new(state),
                        slots: Mutex::new(HashMap::new()),
                    });
                    campaigns.insert(id, p.clone());
                    p
                }
            }
        };
        let mut slots = published.slots();
        // The official figures are always kept warm: quotas and the front page read
        // them, and the index engine does.
        if let Some(query) = official {
            slots
                .entry(query.key())
                .or_insert_with(|| Slot::new(query))
                .last_read = Instant::now();
        }
        slots.retain(|_, s| s.computing || s.last_read.elapsed() < WARM);
        evict_coldest(&mut slots, MAX_QUERIES);
        let to_compute: Vec<QueryKey> = slots
            .iter_mut()
            .filter(|(_, s)| !s.computing)
            .map(|(k, s)| {
                s.computing = true;
                *k
            })
            .collect();
        drop(slots);
        for key in to_compute {
            self.spawn_compute(&published, key);
        }
    }

    /// Starts the computation of a query whose slot was just marked `computing`.
    fn spawn_compute(&self, published: &Arc<Published>, key: QueryKey) {
        let guard = Computing {
            published: published.clone(),
            key,
        };
        let hook = self.shared.on_computed.get().cloned();
        let permits = self.shared.computations.clone();
        self.shared.runtime.spawn(compute(guard, hook, permits));
    }

    /// Drops campaigns that no longer exist.
    fn forget_except(&self, followed: &HashMap<i32, Followed>) {
        let mut campaigns = self
            .shared
            .campaigns
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if campaigns.len() == followed.len() {
            return;
        }
        campaigns.retain(|id, _| followed.contains_key(id));
        let mut codes = self.shared.codes.write().unwrap_or_else(|p| p.into_inner());
        codes.retain(|_, id| followed.contains_key(id));
    }

    fn published(&self, id: i32) -> Option<Arc<Published>> {
        self.shared
            .campaigns
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    /// The latest state of a campaign, by id.
    pub fn state(&self, id: i32) -> Option<Arc<CampaignState>> {
        self.published(id).map(|p| p.state())
    }

    /// The latest state of a campaign, by code. A campaign created a moment ago on
    /// another node may not be followed yet: the database says whether it exists, and
    /// then one follower read brings it in.
    pub async fn state_by_code(&self, code: &str) -> Result<Arc<CampaignState>, ScoreError> {
        let known = |book: &Self| {
            let id = *book
                .shared
                .codes
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(code)?;
            book.state(id)
        };
        if let Some(state) = known(self) {
            return Ok(state);
        }
        campaigns::by_code(self.shared.storage.db(), code).await?;
        self.catch_up().await;
        known(self).ok_or_else(|| StorageError::NotFound(format!("campaign {code}")).into())
    }

    /// Every followed campaign's latest state.
    pub fn states(&self) -> Vec<Arc<CampaignState>> {
        self.shared
            .campaigns
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|p| p.state())
            .collect()
    }

    /// Every unit's scores for a query, from the campaign's latest state. Never waits
    /// for a recomputation when an earlier result of the query exists: that result is
    /// served while the next one is computed. Only a query never asked before (or not
    /// for a long while) waits for its first computation.
    pub async fn scores(
        &self,
        campaign_id: i32,
        query: ScoreQuery,
    ) -> Result<Arc<CampaignScores>, ScoreError> {
        self.scores_when(campaign_id, query, false).await
    }

    /// Like [`ScoreBook::scores`], but waits for the result of the latest state: for a
    /// writer that reads its own change back.
    pub async fn fresh_scores(
        &self,
        campaign_id: i32,
        query: ScoreQuery,
    ) -> Result<Arc<CampaignScores>, ScoreError> {
        self.scores_when(campaign_id, query, true).await
    }

    async fn scores_when(
        &self,
        campaign_id: i32,
        query: ScoreQuery,
        fresh: bool,
    ) -> Result<Arc<CampaignScores>, ScoreError> {
        let published = self
            .published(campaign_id)
            .ok_or_else(|| StorageError::NotFound(format!("campaign {campaign_id}")))?;
        let key = query.key();
        // A fresh reader wants a result of this state or a later one.
        let wanted = published.state().version;
        loop {
            let mut ready = {
                let version = published.state().version;
                let mut slots = published.slots();
                if !slots.contains_key(&key) {
                    evict_coldest(&mut slots, MAX_QUERIES - 1);
                }
                let slot = slots.entry(key).or_insert_with(|| Slot::new(query));
                slot.last_read = Instant::now();
                let enough = if fresh { wanted } else { version };
                if let Some((v, result)) = &slot.latest
                    && *v >= enough
                {
                    return result
                        .clone()
                        .map_err(|e| ScoreError::Computation(e.to_string()));
                }
                if !slot.computing {
                    slot.computing = true;
                    self.spawn_compute(&published, key);
                }
                // Stale, and the next result is on its way: serve this one meanwhile.
                if !fresh && let Some((_, result)) = &slot.latest {
                    return result
                        .clone()
                        .map_err(|e| ScoreError::Computation(e.to_string()));
                }
                slot.ready.subscribe()
            };
            if ready.changed().await.is_err() {
                return Err(ScoreError::Computation("the computation stopped".into()));
            }
        }
    }

    /// This node's published snapshots already read.
    pub fn snapshots(&self) -> &crate::snapshots::SnapshotCache {
        &self.shared.snapshots
    }

    /// The storage the book follows.
    pub fn storage(&self) -> &Storage {
        &self.shared.storage
    }

    /// Counted responses of a campaign (every channel), without computing anything.
    pub fn counted(&self, campaign_id: i32) -> u64 {
        self.state(campaign_id)
            .map_or(0, |s| s.statistics.counted())
    }
}

impl Slot {
    fn new(query: ScoreQuery) -> Self {
        Self {
            query,
            latest: None,
            computing: false,
            ready: watch::Sender::new(0),
            last_read: Instant::now(),
        }
    }
}

/// Drops the coldest slots not computing until at most `keep` remain.
fn evict_coldest(slots: &mut HashMap<QueryKey, Slot>, keep: usize) {
    while slots.len() > keep {
        let coldest = slots
            .iter()
            .filter(|(_, s)| !s.computing)
            .min_by_key(|(_, s)| s.last_read)
            .map(|(k, _)| *k);
        match coldest {
            Some(key) => {
                slots.remove(&key);
            }
            None => break,
        }
    }
}

/// A query's slot marked `computing`: if the computation ends any other way than by
/// clearing the mark itself (a panic, a runtime shutting down), the mark is cleared and
/// the waiting readers woken, so the next reader starts another.
struct Computing {
    published: Arc<Published>,
    key: QueryKey,
}

impl Drop for Computing {
    fn drop(&mut self) {
        if let Some(slot) = self.published.slots().get_mut(&self.key)
            && slot.computing
        {
            slot.computing = false;
            slot.ready.send_modify(|n| *n += 1);
        }
    }
}

/// Computes a query's scores from the latest state until the result is current or
/// nobody reads the query any more; at most one such task runs per query, and one
/// recomputation per [`MIN_RECOMPUTE_GAP`].
async fn compute(guard: Computing, hook: Option<OnComputed>, permits: Arc<tokio::sync::Semaphore>) {
    let published = &guard.published;
    let key = guard.key;
    let mut last: Option<Instant> = None;
    loop {
        if let Some(last) = last {
            let since = last.elapsed();
            if since < MIN_RECOMPUTE_GAP {
                tokio::time::sleep(MIN_RECOMPUTE_GAP - since).await;
            }
        }
        last = Some(Instant::now());
        let Ok(_permit) = permits.acquire().await else {
            return;
        };
        let state = published.state();
        let Some(query) = published.slots().get(&key).map(|s| s.query) else {
            return;
        };
        let version = state.version;
        let hook = hook.clone();
        let computed = tokio::task::spawn_blocking(move || {
            let scores = state.score(query)?;
            if let Some(hook) = hook {
                hook(&scores);
            }
            Ok::<_, StatisticsError>(scores)
        });
        let result: Computed = match computed.await {
            Ok(Ok(scores)) => Ok(Arc::new(scores)),
            Ok(Err(error)) => {
                tracing::error!(%error, "scores could not be computed");
                Err(error.to_string().into())
            }
            Err(error) => Err(error.to_string().into()),
        };
        let mut slots = published.slots();
        let Some(slot) = slots.get_mut(&key) else {
            return;
        };
        slot.latest = Some((version, result));
        slot.ready.send_modify(|n| *n += 1);
        // Read under the lock: a state published meanwhile either finds `computing`
        // still set (and this loop sees its version), or finds it cleared and starts
        // a computation itself.
        let latest_version = published.state().version;
        if latest_version == version || slot.last_read.elapsed() >= WARM {
            slot.computing = false;
            return;
        }
    }
}

/// Parses a reader's `confidence=` and `method=` (defaults: the campaign's level and
/// Wilson with FPC); a bad value is a typed error, never a panic.
pub fn scoring_options(
    campaign: &CampaignRecord,
    confidence: Option<&str>,
    method: Option<&str>,
) -> Result<ScoringOptions, StatisticsError> {
    let confidence = match confidence {
        Some(text) => text.parse::<Confidence>()?,
        None => Confidence::new(campaign.design.confidence())?,
    };
    let method = match method {
        Some(text) => text.parse::<CriterionMethod>()?,
        None => CriterionMethod::default(),
    };
    Ok(ScoringOptions { confidence, method })
}
