//! A campaign's statistics as of one moment, and the scores computed from them. Pure:
//! no I/O, no locks. The follower owns the statistics it updates; readers get immutable
//! [`CampaignState`]s that share every unit the follower has not touched since.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sipas_domain::campaign::{Channel, Channels};
use sipas_domain::questionnaire::Questionnaire;
use sipas_domain::statistics::{
    Accumulator, CampaignAnalysis, Design, DesignEffectReference, QuestionnaireShape,
    ScoringOptions, StatisticsError, Stratum, UnitMoments, UnitResult,
};
use sipas_domain::unit::UnitTree;

use crate::storage::CampaignRecord;

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

/// A unit's frame: its `N`, or `N_h` per service point (then it is stratified).
#[derive(Debug, Clone, PartialEq)]
pub enum UnitFrame {
    Whole(u64),
    ByServicePoint(BTreeMap<i32, u64>),
}

/// What a campaign's figures are computed against; reloaded whenever the campaign's
/// revision changes (settings, status, frame, quotas).
#[derive(Debug)]
pub struct Description {
    pub campaign: CampaignRecord,
    pub questionnaire: Arc<Questionnaire>,
    pub shape: QuestionnaireShape,
    /// The units valid when the campaign starts, in code order.
    pub units: Vec<UnitInfo>,
    /// Every unit of every period (a scope or a `parent=` filter is a subtree).
    pub tree: Arc<UnitTree>,
    pub frames: HashMap<i32, UnitFrame>,
    pub quotas: HashMap<i32, u64>,
    /// The reason of every quota a manager overrode, by unit id.
    pub overrides: HashMap<i32, String>,
}

/// What a reader asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreQuery {
    pub options: ScoringOptions,
    pub channels: Channels,
}

impl ScoreQuery {
    /// The campaign's official figures: its confidence level, the default criterion
    /// method, the channels it counts.
    pub fn official(campaign: &CampaignRecord) -> Result<Self, StatisticsError> {
        Ok(Self {
            options: ScoringOptions {
                confidence: sipas_domain::statistics::Confidence::new(
                    campaign.design.confidence(),
                )?,
                method: Default::default(),
            },
            channels: Channels::official(campaign.rules.count_unverified),
        })
    }

    /// Identifies the query among others (cache key, digest input).
    pub fn key(&self) -> QueryKey {
        QueryKey(
            self.options.confidence.level().to_bits(),
            self.options.method as u8,
            self.channels.bits(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryKey(u64, u8, u8);

fn channel_index(channel: Channel) -> u8 {
    Channel::ALL
        .iter()
        .position(|c| *c == channel)
        .expect("known channel") as u8
}

/// One unit's samples: an accumulator per service point and channel.
#[derive(Debug, Clone, Default)]
pub struct UnitSamples {
    strata: BTreeMap<(i32, u8), Accumulator>,
}

impl UnitSamples {
    fn responses(&self) -> u64 {
        self.strata.values().map(Accumulator::responses).sum()
    }
}

/// A campaign's counted responses as sufficient statistics, per unit. Cloning it is
/// cheap (each unit is shared); the follower changes a unit by copying it first if a
/// reader still holds it.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    units: HashMap<i32, Arc<UnitSamples>>,
    counted: u64,
}

impl Statistics {
    /// Adds one counted response.
    pub fn add(
        &mut self,
        shape: &QuestionnaireShape,
        unit: i32,
        service_point: i32,
        channel: Channel,
        answers: &[u8],
    ) -> Result<(), StatisticsError> {
        let samples = Arc::make_mut(self.units.entry(unit).or_default());
        // A response without any answer is not a response: it is not counted.
        if samples
            .strata
            .entry((service_point, channel_index(channel)))
            .or_insert_with(|| Accumulator::new(shape))
            .add(answers)?
        {
            self.counted += 1;
        }
        Ok(())
    }

    /// Adds statistics folded elsewhere (the bulk read at start).
    pub fn merge(
        &mut self,
        unit: i32,
        service_point: i32,
        channel: Channel,
        sample: Accumulator,
    ) -> Result<(), StatisticsError> {
        self.counted += sample.responses();
        let samples = Arc::make_mut(self.units.entry(unit).or_default());
        match samples
            .strata
            .entry((service_point, channel_index(channel)))
        {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(sample);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(&sample)?,
        }
        Ok(())
    }

    /// Counted responses, every channel.
    pub fn counted(&self) -> u64 {
        self.counted
    }
}

/// One campaign at one moment: what it is, and its statistics. Immutable.
#[derive(Debug, Clone)]
pub struct CampaignState {
    pub description: Arc<Description>,
    pub statistics: Statistics,
    /// Counts this node's states of the campaign: tells a cached result it is stale.
    /// It is not the same on every node; what a reader sees (and its ETag) is derived
    /// from the figures themselves.
    pub version: u64,
}

/// One unit's scores with what is needed to aggregate it.
#[derive(Debug, Clone)]
pub struct UnitScores {
    pub unit: UnitInfo,
    pub quota: Option<u64>,
    /// Why a manager overrode the quota; `None`: it is the frame's.
    pub quota_override: Option<String>,
    pub result: UnitResult,
    pub moments: UnitMoments,
}

/// Every unit of a campaign at one query, computed from one state.
#[derive(Debug)]
pub struct CampaignScores {
    pub campaign: CampaignRecord,
    pub questionnaire: Arc<Questionnaire>,
    pub tree: Arc<UnitTree>,
    pub query: ScoreQuery,
    pub units: Vec<UnitScores>,
    /// Identifies the statistics and query the figures come from; `sipas recompute`
    /// prints the same for the official query.
    pub digest: String,
    /// The state computed from (see [`CampaignState::version`]); 0 for a snapshot.
    pub version: u64,
    /// `D_ref` the intervals used: pooled from these units, or frozen in a snapshot.
    pub design_effect_reference: DesignEffectReference,
    /// The published snapshot these figures come from; `None`: live (provisional).
    pub snapshot: Option<u32>,
}

/// The design of one unit from its frame and the samples (by service point) of the
/// counted channels. A frame smaller than the responses it should contain is wrong: the
/// unit is then scored as if it had no frame (flagged `no_frame`) rather than not at all.
pub fn unit_design<'a>(
    frame: Option<&UnitFrame>,
    samples: &'a BTreeMap<i32, std::borrow::Cow<'a, Accumulator>>,
    empty: &'a Accumulator,
) -> Design<'a> {
    let pooled = |population| Design::Pooled {
        samples: samples.values().map(|s| s.as_ref()).collect(),
        population,
    };
    let n: u64 = samples.values().map(|s| s.responses()).sum();
    match frame {
        Some(UnitFrame::ByServicePoint(points))
            if samples
                .iter()
                .all(|(sp, s)| points.get(sp).is_some_and(|n_h| s.responses() <= *n_h)) =>
        {
            Design::Stratified(
                points
                    .iter()
                    .map(|(sp, population)| Stratum {
                        sample: samples.get(sp).map_or(empty, |s| s.as_ref()),
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
            tracing::debug!(
                n,
                "more responses than the frame's population; scored without frame"
            );
            pooled(None)
        }
        None => pooled(None),
    }
}

impl CampaignState {
    /// Every listed unit's scores for a query: CPU work, run off the async workers.
    pub fn score(&self, query: ScoreQuery) -> Result<CampaignScores, StatisticsError> {
        let d = &self.description;
        let shape = &d.shape;
        // Each unit's samples by service point, the counted channels merged (borrowed
        // when a service point has a single channel, as most do).
        let mut by_unit: HashMap<i32, BTreeMap<i32, std::borrow::Cow<'_, Accumulator>>> =
            HashMap::new();
        for (unit, samples) in &self.statistics.units {
            let merged = by_unit.entry(*unit).or_default();
            for ((sp, channel), sample) in &samples.strata {
                if !query.channels.contains(Channel::ALL[*channel as usize]) {
                    continue;
                }
                match merged.entry(*sp) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(std::borrow::Cow::Borrowed(sample));
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        o.get_mut().to_mut().merge(sample)?;
                    }
                }
            }
        }
        let listed: Vec<&UnitInfo> = d
            .units
            .iter()
            .filter(|u| {
                d.frames.contains_key(&u.id) || by_unit.get(&u.id).is_some_and(|s| !s.is_empty())
            })
            .collect();
        let empty = Accumulator::new(shape);
        let no_samples = BTreeMap::new();
        let designs: Vec<Design<'_>> = listed
            .iter()
            .map(|u| {
                unit_design(
                    d.frames.get(&u.id),
                    by_unit.get(&u.id).unwrap_or(&no_samples),
                    &empty,
                )
            })
            .collect();
        let quotas: Vec<Option<u64>> = listed
            .iter()
            .map(|u| d.quotas.get(&u.id).copied())
            .collect();
        let analysis = CampaignAnalysis::compute(shape, &designs);
        let results = analysis.score(shape, query.options, &quotas);
        let mut units = Vec::with_capacity(listed.len());
        for ((unit, moments), result) in listed.iter().zip(analysis.units).zip(results) {
            units.push(UnitScores {
                unit: (*unit).clone(),
                quota: d.quotas.get(&unit.id).copied(),
                quota_override: d.overrides.get(&unit.id).cloned(),
                result: result?,
                moments: moments?,
            });
        }
        Ok(CampaignScores {
            campaign: d.campaign.clone(),
            questionnaire: d.questionnaire.clone(),
            tree: d.tree.clone(),
            digest: digest(query.key(), &units),
            query,
            units,
            version: self.version,
            design_effect_reference: analysis.design_effect_reference,
            snapshot: None,
        })
    }

    /// Counted responses of a unit, every channel.
    pub fn unit_responses(&self, unit: i32) -> u64 {
        self.statistics
            .units
            .get(&unit)
            .map_or(0, |s| s.responses())
    }
}

/// Identifies a set of scores: the query and, per unit, what any change of responses
/// or frame moves (every counted response changes some unit's `n`). Cheap, and the
/// same on every node that holds the same statistics.
pub fn digest(key: QueryKey, units: &[UnitScores]) -> String {
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
