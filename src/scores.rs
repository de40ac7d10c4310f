//! The score book: each campaign's sufficient statistics, kept in memory and up to date
//! as responses arrive, so a read never scans responses. It is built by one pass over
//! the stored responses (at start, and by `sipas recompute`), then fed every response
//! this process stores.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use sha2::{Digest, Sha256};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Questionnaire;
use sipas_domain::statistics::{
    Accumulator, BulkFold, CampaignAnalysis, Confidence, CriterionMethod, Design,
    QuestionnaireShape, ScoringOptions, StatisticsError, Stratum, UnitMoments, UnitResult,
};

use crate::storage::{
    CampaignRecord, CountedResponses, NewResponse, ResponseScan, Storage, StorageError, UnitFilter,
};

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Statistics(#[from] StatisticsError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A unit of a campaign as scores name it.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub survey_max_points: Option<f64>,
}

/// The channels whose responses count. A bit set over [`Channel::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    pub fn all() -> Self {
        Self((1 << Channel::ALL.len()) - 1)
    }

    /// The campaign's official choice: every channel, or only verified ones.
    pub fn official(campaign: &CampaignRecord) -> Self {
        if campaign.count_unverified {
            Self::all()
        } else {
            Self::only(Channel::ALL.iter().copied().filter(|c| c.is_verified()))
        }
    }

    pub fn only(channels: impl IntoIterator<Item = Channel>) -> Self {
        Self(channels.into_iter().fold(0, |bits, c| bits | Self::bit(c)))
    }

    fn bit(channel: Channel) -> u8 {
        1 << Channel::ALL
            .iter()
            .position(|c| *c == channel)
            .expect("known channel")
    }

    pub fn contains(self, channel: Channel) -> bool {
        self.0 & Self::bit(channel) != 0
    }

    pub fn names(self) -> Vec<&'static str> {
        Channel::ALL
            .into_iter()
            .filter(|c| self.contains(*c))
            .map(Channel::as_str)
            .collect()
    }
}

/// What a reader asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreQuery {
    pub options: ScoringOptions,
    pub channels: Channels,
}

/// One unit's scores with what is needed to aggregate it.
#[derive(Debug, Clone)]
pub struct UnitScores {
    pub unit: UnitInfo,
    pub quota: Option<u64>,
    pub result: UnitResult,
    pub moments: UnitMoments,
}

/// Every unit of a campaign at one query, computed once per change of the statistics.
#[derive(Debug)]
pub struct CampaignScores {
    pub questionnaire: Arc<Questionnaire>,
    pub units: Vec<UnitScores>,
    /// Identifies the statistics and query the figures come from (the `ETag`).
    pub digest: String,
}

/// A unit's frame: its `N`, or `N_h` per service point (then it is stratified).
#[derive(Debug, Clone, PartialEq)]
enum UnitFrame {
    Whole(u64),
    ByServicePoint(BTreeMap<i32, u64>),
}

struct CampaignBook {
    questionnaire: Arc<Questionnaire>,
    shape: QuestionnaireShape,
    units: BTreeMap<String, UnitInfo>,
    frames: HashMap<i32, UnitFrame>,
    quotas: HashMap<i32, u64>,
    samples: BTreeMap<(i32, i32, usize), Accumulator>,
    /// Counts changes, so cached scores know when they are stale.
    version: u64,
    cache: HashMap<(u64, u8, u8), (u64, Arc<CampaignScores>)>,
}

/// Scores kept per campaign for different queries (confidence, method, channels).
const MAX_CACHED_QUERIES: usize = 16;

fn channel_index(channel: Channel) -> usize {
    Channel::ALL
        .iter()
        .position(|c| *c == channel)
        .expect("known channel")
}

impl CampaignBook {
    fn empty(questionnaire: Arc<Questionnaire>, shape: QuestionnaireShape) -> Self {
        Self {
            questionnaire,
            shape,
            units: BTreeMap::new(),
            frames: HashMap::new(),
            quotas: HashMap::new(),
            samples: BTreeMap::new(),
            version: 0,
            cache: HashMap::new(),
        }
    }

    fn add(
        &mut self,
        unit_id: i32,
        service_point_id: i32,
        channel: Channel,
        answers: &[u8],
    ) -> Result<(), StatisticsError> {
        let shape = &self.shape;
        let sample = self
            .samples
            .entry((unit_id, service_point_id, channel_index(channel)))
            .or_insert_with(|| Accumulator::new(shape));
        sample.add(answers)?;
        self.version += 1;
        Ok(())
    }

    /// The design of one unit from its frame and the samples of the counted channels.
    /// A frame smaller than the responses it should contain is wrong: the unit is then
    /// scored as if it had no frame (flagged `no_frame`) rather than not at all.
    fn design<'a>(
        &self,
        unit: i32,
        samples: &'a BTreeMap<i32, Accumulator>,
        empty: &'a Accumulator,
    ) -> Design<'a> {
        let pooled = |population| Design::Pooled {
            samples: samples.values().collect(),
            population,
        };
        let n: u64 = samples.values().map(Accumulator::responses).sum();
        match self.frames.get(&unit) {
            Some(UnitFrame::ByServicePoint(points))
                if samples
                    .iter()
                    .all(|(sp, s)| points.get(sp).is_some_and(|n_h| s.responses() <= *n_h)) =>
            {
                Design::Stratified(
                    points
                        .iter()
                        .map(|(sp, population)| Stratum {
                            sample: samples.get(sp).unwrap_or(empty),
                            population: *population,
                        })
                        .collect(),
                )
            }
            // Responses at a desk the frame does not name: the unit cannot be
            // stratified, but its N is still known.
            Some(UnitFrame::ByServicePoint(points)) if n <= points.values().sum() => {
                pooled(Some(points.values().sum()))
            }
            Some(UnitFrame::Whole(population)) if n <= *population => pooled(Some(*population)),
            Some(_) => {
                tracing::warn!(
                    unit,
                    n,
                    "more responses than the frame's population; scored without frame"
                );
                pooled(None)
            }
            None => pooled(None),
        }
    }

    fn score(&mut self, query: ScoreQuery) -> Result<Arc<CampaignScores>, ScoreError> {
        let key = (
            query.options.confidence.level().to_bits(),
            query.options.method as u8,
            query.channels.0,
        );
        if let Some((version, scores)) = self.cache.get(&key)
            && *version == self.version
        {
            return Ok(scores.clone());
        }
        // Each unit's samples by service point, the counted channels merged.
        let mut by_unit: BTreeMap<i32, BTreeMap<i32, Accumulator>> = BTreeMap::new();
        for ((unit, sp, channel), sample) in &self.samples {
            if !query.channels.contains(Channel::ALL[*channel]) {
                continue;
            }
            let merged = by_unit
                .entry(*unit)
                .or_default()
                .entry(*sp)
                .or_insert_with(|| Accumulator::new(&self.shape));
            merged.merge(sample)?;
        }
        let listed: Vec<&UnitInfo> = self
            .units
            .values()
            .filter(|u| self.frames.contains_key(&u.id) || by_unit.contains_key(&u.id))
            .collect();
        let empty = Accumulator::new(&self.shape);
        let no_samples = BTreeMap::new();
        let designs: Vec<Design<'_>> = listed
            .iter()
            .map(|u| self.design(u.id, by_unit.get(&u.id).unwrap_or(&no_samples), &empty))
            .collect();
        let quotas: Vec<Option<u64>> = listed
            .iter()
            .map(|u| self.quotas.get(&u.id).copied())
            .collect();
        let analysis = CampaignAnalysis::compute(&self.shape, &designs);
        let results = analysis.score(&self.shape, query.options, &quotas);
        let mut units = Vec::with_capacity(listed.len());
        for ((unit, moments), result) in listed.iter().zip(analysis.units).zip(results) {
            units.push(UnitScores {
                unit: (*unit).clone(),
                quota: self.quotas.get(&unit.id).copied(),
                result: result?,
                moments: moments?,
            });
        }
        let digest = digest(key, &units);
        let scores = Arc::new(CampaignScores {
            questionnaire: self.questionnaire.clone(),
            units,
            digest,
        });
        // A few queries are common (the official one, a channel split); any number of
        // confidence levels could be asked for, so the cache stays small.
        if self.cache.len() >= MAX_CACHED_QUERIES {
            self.cache
                .retain(|_, (version, _)| *version == self.version);
            if self.cache.len() >= MAX_CACHED_QUERIES {
                self.cache.clear();
            }
        }
        self.cache.insert(key, (self.version, scores.clone()));
        Ok(scores)
    }
}

/// Identifies a set of scores: the query and, per unit, what any change of responses
/// or frame moves (every counted response changes some unit's `n`). Cheap, and the
/// same on every node that holds the same statistics.
fn digest(key: (u64, u8, u8), units: &[UnitScores]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.0.to_be_bytes());
    hasher.update([key.1, key.2]);
    for u in units {
        let r = &u.result;
        hasher.update(u.unit.code.as_bytes());
        for value in [Some(r.n), r.population, u.quota, Some(r.strata as u64)] {
            hasher.update(value.map_or(u64::MAX, |v| v).to_be_bytes());
        }
        for value in [r.sipas.estimate, r.mean_score.estimate] {
            hasher.update(value.map_or(u64::MAX, f64::to_bits).to_be_bytes());
        }
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Folds responses read from storage, one [`BulkFold`] per stratum and channel.
struct Folder {
    shapes: Arc<HashMap<i32, QuestionnaireShape>>,
    folds: HashMap<(i32, i32, i32, usize), BulkFold>,
    values: Vec<u8>,
    responses: u64,
}

impl Folder {
    fn new(shapes: Arc<HashMap<i32, QuestionnaireShape>>) -> Self {
        Self {
            shapes,
            folds: HashMap::new(),
            values: Vec::new(),
            responses: 0,
        }
    }

    fn add(&mut self, group: CountedResponses<'_>) -> Result<(), StorageError> {
        // A campaign created after the scan began: its own book reads it.
        let Some(shape) = self.shapes.get(&group.campaign_id) else {
            return Ok(());
        };
        let key = (
            group.campaign_id,
            group.unit_id,
            group.service_point_id,
            channel_index(group.channel),
        );
        let fold = self
            .folds
            .entry(key)
            .or_insert_with(|| BulkFold::new(shape));
        for answers in group.answers.split(',') {
            self.values.clear();
            self.values
                .extend(answers.bytes().map(|d| d.wrapping_sub(b'0')));
            fold.add(&self.values)
                .map_err(|e| StorageError::Invalid(format!("a stored response: {e}")))?;
            self.responses += 1;
        }
        Ok(())
    }

    fn finish(self) -> impl Iterator<Item = ((i32, i32, i32, usize), Accumulator)> {
        self.folds.into_iter().map(|(k, fold)| (k, fold.finish()))
    }
}

/// What a rebuild read, for `sipas recompute`.
#[derive(Debug, Default)]
pub struct RebuildReport {
    pub campaigns: usize,
    pub responses: u64,
}

pub struct ScoreBook {
    storage: Storage,
    campaigns: RwLock<HashMap<i32, Arc<Mutex<CampaignBook>>>>,
}

impl ScoreBook {
    /// Builds every campaign's statistics from the stored responses.
    pub async fn load(storage: Storage) -> Result<(Self, RebuildReport), ScoreError> {
        let book = Self {
            storage,
            campaigns: RwLock::new(HashMap::new()),
        };
        let mut books = HashMap::new();
        for campaign in book.storage.campaigns().await? {
            books.insert(campaign.id, book.describe(&campaign).await?);
        }
        let shapes: Arc<HashMap<i32, QuestionnaireShape>> =
            Arc::new(books.iter().map(|(id, b)| (*id, b.shape.clone())).collect());
        // One sequential read of the whole table, shared out between the cores: each
        // task folds its id range, and the integer statistics merge exactly.
        let mut tasks = Vec::new();
        if let Some((min, max)) = book.storage.response_id_bounds().await? {
            let parts = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(1, 8) as i64;
            let step = (max - min) / parts + 1;
            for part in 0..parts {
                let (storage, shapes) = (book.storage.clone(), shapes.clone());
                let scan = ResponseScan::Ids {
                    from: min + part * step,
                    to: min + (part + 1) * step,
                };
                tasks.push(tokio::spawn(async move {
                    let mut folder = Folder::new(shapes);
                    storage
                        .fold_counted_responses(scan, |r| folder.add(r))
                        .await?;
                    Ok::<_, ScoreError>(folder)
                }));
            }
        }
        let mut report = RebuildReport {
            campaigns: books.len(),
            responses: 0,
        };
        for task in tasks {
            let folder = task
                .await
                .map_err(|e| StorageError::Invalid(format!("rebuild task: {e}")))??;
            report.responses += folder.responses;
            for ((campaign, unit, sp, channel), sample) in folder.finish() {
                let Some(book) = books.get_mut(&campaign) else {
                    continue;
                };
                match book.samples.entry((unit, sp, channel)) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(sample);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        o.get_mut().merge(&sample)?
                    }
                }
            }
        }
        {
            let mut campaigns = book.campaigns.write().expect("score book lock");
            for (id, campaign_book) in books {
                campaigns.insert(id, Arc::new(Mutex::new(campaign_book)));
            }
        }
        Ok((book, report))
    }

    /// A campaign's book without responses yet: questionnaire, units, frame, quotas.
    async fn describe(&self, campaign: &CampaignRecord) -> Result<CampaignBook, ScoreError> {
        let questionnaire = Arc::new(
            self.storage
                .questionnaire(campaign.questionnaire_id)
                .await?,
        );
        let shape = QuestionnaireShape::new(questionnaire.element_of_criteria())?;
        let mut book = CampaignBook::empty(questionnaire, shape);
        self.load_units_and_frame(campaign, &mut book).await?;
        Ok(book)
    }

    /// One campaign's statistics from scratch (a campaign this process met after its
    /// start): its description and one pass over its counted responses.
    async fn build(&self, campaign: &CampaignRecord) -> Result<(CampaignBook, u64), ScoreError> {
        let mut book = self.describe(campaign).await?;
        let mut folder = Folder::new(Arc::new(HashMap::from([(campaign.id, book.shape.clone())])));
        self.storage
            .fold_counted_responses(ResponseScan::Campaign(campaign.id), |r| folder.add(r))
            .await?;
        let responses = folder.responses;
        book.samples = folder
            .finish()
            .map(|((_, u, sp, ch), a)| ((u, sp, ch), a))
            .collect();
        Ok((book, responses))
    }

    async fn load_units_and_frame(
        &self,
        campaign: &CampaignRecord,
        book: &mut CampaignBook,
    ) -> Result<(), ScoreError> {
        let points = self.storage.survey_points(&campaign.par_scheme).await?;
        let units = self
            .storage
            .units(&UnitFilter {
                on: Some(campaign.starts_on),
                ..Default::default()
            })
            .await?;
        book.units = units
            .into_iter()
            .map(|u| {
                let info = UnitInfo {
                    id: u.id,
                    survey_max_points: points.get(&u.unit_type).copied(),
                    code: u.code.clone(),
                    name: u.name,
                    unit_type: u.unit_type,
                    parent_code: u.parent_code,
                };
                (u.code, info)
            })
            .collect();
        let mut frames: HashMap<i32, UnitFrame> = HashMap::new();
        for entry in self.storage.frame(campaign.id).await? {
            match entry.service_point_id {
                None => {
                    frames.insert(entry.unit_id, UnitFrame::Whole(entry.population));
                }
                Some(sp) => {
                    let frame = frames
                        .entry(entry.unit_id)
                        .or_insert_with(|| UnitFrame::ByServicePoint(BTreeMap::new()));
                    if let UnitFrame::ByServicePoint(points) = frame {
                        points.insert(sp, entry.population);
                    }
                }
            }
        }
        book.frames = frames;
        book.quotas = self.storage.quotas(campaign.id).await?;
        book.version += 1;
        Ok(())
    }

    /// The book of a campaign, and whether it was built from storage just now (then it
    /// already counts every committed response). Campaigns created by this process get
    /// their (empty) book at creation; this builds the others on first use.
    async fn book_or_build(
        &self,
        campaign: &CampaignRecord,
    ) -> Result<(Arc<Mutex<CampaignBook>>, bool), ScoreError> {
        if let Some(book) = self
            .campaigns
            .read()
            .expect("score book lock")
            .get(&campaign.id)
        {
            return Ok((book.clone(), false));
        }
        let (built, _) = self.build(campaign).await?;
        let mut campaigns = self.campaigns.write().expect("score book lock");
        Ok((
            campaigns
                .entry(campaign.id)
                .or_insert_with(|| Arc::new(Mutex::new(built)))
                .clone(),
            true,
        ))
    }

    async fn book(
        &self,
        campaign: &CampaignRecord,
    ) -> Result<Arc<Mutex<CampaignBook>>, ScoreError> {
        Ok(self.book_or_build(campaign).await?.0)
    }

    /// Gives a campaign just created its book: it cannot have responses yet.
    pub async fn campaign_created(&self, campaign: &CampaignRecord) -> Result<(), ScoreError> {
        self.book(campaign).await.map(|_| ())
    }

    /// Counts responses this process has just committed.
    pub async fn record_all(
        &self,
        campaign: &CampaignRecord,
        responses: &[NewResponse],
    ) -> Result<(), ScoreError> {
        let (book, built_now) = self.book_or_build(campaign).await?;
        if built_now {
            return Ok(());
        }
        let mut book = book.lock().expect("campaign book lock");
        for r in responses.iter().filter(|r| r.exclusion.is_none()) {
            book.add(r.unit_id, r.service_point_id, r.channel, r.answers.values())?;
        }
        Ok(())
    }

    /// Reloads a campaign's frame and quotas after they changed.
    pub async fn frame_changed(&self, campaign: &CampaignRecord) -> Result<(), ScoreError> {
        let book = self.book(campaign).await?;
        let mut fresh = {
            let book = book.lock().expect("campaign book lock");
            CampaignBook::empty(book.questionnaire.clone(), book.shape.clone())
        };
        self.load_units_and_frame(campaign, &mut fresh).await?;
        let mut book = book.lock().expect("campaign book lock");
        book.units = fresh.units;
        book.frames = fresh.frames;
        book.quotas = fresh.quotas;
        book.version += 1;
        Ok(())
    }

    /// How many counted responses a campaign has, per channel, without scanning them.
    pub async fn counted(&self, campaign: &CampaignRecord) -> Result<u64, ScoreError> {
        let book = self.book(campaign).await?;
        let book = book.lock().expect("campaign book lock");
        Ok(book.samples.values().map(Accumulator::responses).sum())
    }

    /// Every unit's scores for a query (cached until the statistics change).
    pub async fn scores(
        &self,
        campaign: &CampaignRecord,
        query: ScoreQuery,
    ) -> Result<Arc<CampaignScores>, ScoreError> {
        let book = self.book(campaign).await?;
        let mut book = book.lock().expect("campaign book lock");
        book.score(query)
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
