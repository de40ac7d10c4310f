//! Statistics engine timings: folding responses into sufficient statistics, and scoring
//! every unit of a synthetic campaign of 2,000 units (SIPAS-2017, 22 criteria) built from
//! 10 thousand and from 10 million responses.
//!
//!     cargo bench -p sipas-domain --bench statistics
//!
//! `SIPAS_BENCH_RESPONSES=10000,100000` picks other campaign sizes.
//!
//! Plain `std::time`: each scoring step is repeated and the median and best reported.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sipas_domain::statistics::{
    Accumulator, CampaignAnalysis, Confidence, Design, QuestionnaireShape, ScoringOptions, Stratum,
    aggregate,
};

const UNITS: usize = 2_000;
const REPEATS: usize = 21;

/// splitmix64: a small deterministic generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A pool of realistic responses: one latent satisfaction per respondent drives all
/// answers; element 5 is often skipped.
fn response_pool(shape: &QuestionnaireShape, size: usize, rng: &mut Rng) -> Vec<u8> {
    let criteria = shape.criteria();
    let mut pool = Vec::with_capacity(size * criteria);
    for _ in 0..size {
        let latent = rng.uniform() * 2.0 - 0.4;
        for k in 0..criteria {
            let skip = if shape.element_of(k) == 4 { 0.3 } else { 0.05 };
            let answer = if rng.uniform() < skip {
                0
            } else {
                let score = latent + rng.uniform() * 2.5;
                (score.floor() as i64 + 1).clamp(1, 5) as u8
            };
            pool.push(answer);
        }
    }
    pool
}

struct Unit {
    /// One accumulator per service point.
    service_points: Vec<Accumulator>,
    /// N per service point (stratified), per unit (pooled), or none.
    frame: Frame,
}

struct Fold {
    /// Responses in arrival order (each to a random unit).
    arrival: Duration,
    /// The same responses read back grouped by unit and service point, bulk-folded.
    grouped: Duration,
}

enum Frame {
    None,
    Unit(u64),
    ServicePoints(Vec<u64>),
}

/// Builds the campaign's accumulators from `responses` responses, returning the fold time.
fn build_campaign(
    shape: &QuestionnaireShape,
    pool: &[u8],
    responses: usize,
    rng: &mut Rng,
) -> (Vec<Unit>, Fold) {
    let criteria = shape.criteria();
    let pool_size = pool.len() / criteria;
    let mut units: Vec<Unit> = (0..UNITS)
        .map(|u| {
            let points = 1 + u % 3;
            let frame = match u % 10 {
                0 => Frame::None,
                1..=6 => Frame::Unit(0),
                _ => Frame::ServicePoints(vec![0; points]),
            };
            Unit {
                service_points: (0..points).map(|_| Accumulator::new(shape)).collect(),
                frame,
            }
        })
        .collect();
    // Which unit, service point and pool response each response is, decided before
    // timing and packed in a u64 (unit << 32 | point << 24 | response) to save memory.
    let mut targets: Vec<u64> = (0..responses)
        .map(|i| {
            let unit = (i % UNITS) as u64;
            let point = rng.next() % units[unit as usize].service_points.len() as u64;
            let response = rng.next() % pool_size as u64;
            unit << 32 | point << 24 | response
        })
        .collect();
    let unpack = |target: u64| {
        let at = (target & 0xFF_FFFF) as usize * criteria;
        (
            (target >> 32) as usize,
            ((target >> 24) & 0xFF) as usize,
            &pool[at..at + criteria],
        )
    };
    // As they arrive: every response lands on a different unit's statistics, out of cache.
    let start = Instant::now();
    for &target in &targets {
        let (unit, point, answers) = unpack(target);
        units[unit].service_points[point]
            .add(answers)
            .expect("valid response");
    }
    let arrival = start.elapsed();
    // As a rebuild reads them back (ORDER BY unit, service point): one bulk fold per
    // stratum.
    targets.sort_unstable();
    let start = Instant::now();
    let mut rebuilt: Vec<Vec<Accumulator>> = Vec::with_capacity(UNITS);
    let mut rest = &targets[..];
    for (u, unit) in units.iter().enumerate() {
        let mut points = Vec::with_capacity(unit.service_points.len());
        for p in 0..unit.service_points.len() {
            let end = rest
                .iter()
                .position(|&target| {
                    let (unit, point, _) = unpack(target);
                    (unit, point) != (u, p)
                })
                .unwrap_or(rest.len());
            let responses = rest[..end].iter().map(|&target| unpack(target).2);
            points.push(Accumulator::from_responses(shape, responses).expect("valid"));
            rest = &rest[end..];
        }
        rebuilt.push(points);
    }
    let grouped = start.elapsed();
    // Order does not matter: identical statistics.
    for (unit, points) in units.iter().zip(&rebuilt) {
        assert!(unit.service_points == *points);
    }
    let fold = Fold { arrival, grouped };
    // Frames: about three completed dossiers per response.
    for unit in &mut units {
        let n: Vec<u64> = unit
            .service_points
            .iter()
            .map(Accumulator::responses)
            .collect();
        match &mut unit.frame {
            Frame::None => {}
            Frame::Unit(population) => *population = n.iter().sum::<u64>() * 3 + 10,
            Frame::ServicePoints(populations) => {
                for (population, n) in populations.iter_mut().zip(&n) {
                    *population = n * 3 + 5;
                }
            }
        }
    }
    (units, fold)
}

fn designs(units: &[Unit]) -> Vec<Design<'_>> {
    units
        .iter()
        .map(|unit| match &unit.frame {
            Frame::None => Design::Pooled {
                samples: unit.service_points.iter().collect(),
                population: None,
            },
            Frame::Unit(population) => Design::Pooled {
                samples: unit.service_points.iter().collect(),
                population: Some(*population),
            },
            Frame::ServicePoints(populations) => Design::Stratified(
                unit.service_points
                    .iter()
                    .zip(populations)
                    .map(|(sample, &population)| Stratum { sample, population })
                    .collect(),
            ),
        })
        .collect()
}

/// Median and best of `REPEATS` runs.
fn time<T>(mut run: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            black_box(run());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    (times[REPEATS / 2], times[0])
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn main() {
    let shape = QuestionnaireShape::from_element_sizes(&[4, 5, 6, 3, 4]).unwrap();
    let mut rng = Rng(2021);
    let pool = response_pool(&shape, 1 << 16, &mut rng);
    let options = ScoringOptions {
        confidence: Confidence::DEFAULT,
        ..ScoringOptions::default()
    };
    let quotas: Vec<Option<u64>> = (0..UNITS).map(|u| Some(25 + (u % 3) as u64 * 10)).collect();

    println!(
        "statistics engine: {UNITS} units, {} criteria",
        shape.criteria()
    );
    println!(
        "| responses | fold, arrival order | rebuild, bulk fold per stratum | phase 1: moments + D_ref | phase 2: intervals + flags | scoring, both phases | aggregate of all units |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    // SIPAS_BENCH_RESPONSES=10000 runs one size only (for profiling).
    let sizes: Vec<usize> = match std::env::var("SIPAS_BENCH_RESPONSES") {
        Ok(sizes) => sizes
            .split(',')
            .map(|s| s.trim().parse().expect("a number"))
            .collect(),
        Err(_) => vec![10_000, 10_000_000],
    };
    for responses in sizes {
        let (units, fold) = build_campaign(&shape, &pool, responses, &mut rng);
        let designs = designs(&units);
        let (phase1, phase1_best) = time(|| CampaignAnalysis::compute(&shape, &designs));
        let analysis = CampaignAnalysis::compute(&shape, &designs);
        let (phase2, phase2_best) = time(|| analysis.score(&shape, options, &quotas));
        let (total, total_best) =
            time(|| CampaignAnalysis::compute(&shape, &designs).score(&shape, options, &quotas));
        let moments: Vec<_> = analysis
            .units
            .iter()
            .filter_map(|unit| unit.as_ref().ok())
            .collect();
        let (group, _) = time(|| aggregate(moments.iter().copied(), Confidence::DEFAULT));
        let results = analysis.score(&shape, options, &quotas);
        assert!(results.iter().all(Result::is_ok));
        let per = |d: Duration| d.as_secs_f64() * 1e9 / responses as f64;
        println!(
            "| {responses} | {} ({:.0} ns each) | {} ({:.0} ns each) | {} (best {}) | {} (best {}) | {} (best {}) | {} |",
            ms(fold.arrival),
            per(fold.arrival),
            ms(fold.grouped),
            per(fold.grouped),
            ms(phase1),
            ms(phase1_best),
            ms(phase2),
            ms(phase2_best),
            ms(total),
            ms(total_best),
            ms(group),
        );
    }
}
