//! Sufficient statistics of one stratum: integer sums from which every estimate and
//! linearised variance of the engine follows, so that a read never scans responses.

use super::{QuestionnaireShape, StatisticsError};

/// The highest answer on the scale; answers are 1..=5 and 0 means "no answer".
pub const MAX_ANSWER: u8 = 5;
/// Answers at or above this count as satisfied.
pub const SATISFIED_FROM: u8 = 4;

/// The first word of the serialised form, to recognise (and later migrate) the layout.
const FORMAT_VERSION: u64 = 1;

/// Sufficient statistics of the responses of one stratum (the caller keeps one per
/// unit and service point).
///
/// For each response `i` and criterion `k` let `y` = satisfied (answer 4 or 5),
/// `a` = the answer (0 when missing) and `r` = answered. The linearised variance of
/// every ratio-of-means statistic in the spec is a quadratic form in the influence
/// values `β_k y_ik − γ_k r_ik` (or with `a` in place of `y`), so the accumulator keeps
/// `n` and the cross-products
///
/// * `Σ y_k y_l`, `Σ r_k r_l`, `Σ a_k a_l` (symmetric, upper triangle),
/// * `Σ y_k r_l`, `Σ a_k r_l` (full square: not symmetric).
///
/// The per-criterion sums are their diagonals, because `y ≤ r` and `r² = r`:
/// `Σ y_k = Σ y_k y_k`, `Σ r_k = Σ r_k r_k`, `Σ a_k = Σ a_k r_k`. Everything is an
/// unsigned integer, so adding responses one by one, in any order, or merging
/// accumulators gives identical statistics (and identical results downstream).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Accumulator {
    criteria: usize,
    /// `[n, yy (triangle), rr (triangle), aa (triangle), yr (square), ar (square)]`:
    /// one buffer so merging and serialising are single loops.
    words: Vec<u64>,
}

/// Where each block starts in `Accumulator::words`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub criteria: usize,
    pub yy: usize,
    pub rr: usize,
    pub aa: usize,
    pub yr: usize,
    pub ar: usize,
    pub len: usize,
}

impl Layout {
    pub fn new(criteria: usize) -> Self {
        let triangle = criteria * (criteria + 1) / 2;
        let square = criteria * criteria;
        let yy = 1;
        let rr = yy + triangle;
        let aa = rr + triangle;
        let yr = aa + triangle;
        let ar = yr + square;
        Self {
            criteria,
            yy,
            rr,
            aa,
            yr,
            ar,
            len: ar + square,
        }
    }

    /// Offset of row `k` of an upper triangle stored row by row (its entry `(k, k)`).
    #[inline]
    pub fn row(&self, k: usize) -> usize {
        k * self.criteria - k * k.saturating_sub(1) / 2
    }
}

impl Accumulator {
    /// Empty statistics for a questionnaire of this shape.
    pub fn new(shape: &QuestionnaireShape) -> Self {
        Self::with_criteria(shape.criteria())
    }

    fn with_criteria(criteria: usize) -> Self {
        Self {
            criteria,
            words: vec![0; Layout::new(criteria).len],
        }
    }

    /// Batch fold: the statistics of these responses (through [`BulkFold`]).
    pub fn from_responses<'r>(
        shape: &QuestionnaireShape,
        responses: impl IntoIterator<Item = &'r [u8]>,
    ) -> Result<Self, StatisticsError> {
        let mut fold = BulkFold::new(shape);
        for answers in responses {
            fold.add(answers)?;
        }
        Ok(fold.finish())
    }

    /// Adds one response: `answers[k]` is the answer to criterion `k`, 1–5, or 0 for no
    /// answer. A response without any answer is not a response (it does not count in
    /// `n`): it is ignored and `Ok(false)` returned. A malformed response changes nothing.
    pub fn add(&mut self, answers: &[u8]) -> Result<bool, StatisticsError> {
        if !validate(self.criteria, answers)? {
            return Ok(false);
        }
        self.add_valid(answers);
        Ok(true)
    }

    /// `add` for a response already validated and with at least one answer.
    fn add_valid(&mut self, answers: &[u8]) {
        let criteria = self.criteria;
        const M: usize = QuestionnaireShape::MAX_CRITERIA;
        let mut y = [0u64; M];
        let mut r = [0u64; M];
        let mut a = [0u64; M];
        for (k, &value) in answers.iter().enumerate() {
            a[k] = u64::from(value);
            r[k] = u64::from(value > 0);
            y[k] = u64::from(value >= SATISFIED_FROM);
        }
        let (y, r, a) = (&y[..criteria], &r[..criteria], &a[..criteria]);

        let layout = Layout::new(criteria);
        self.words[0] += 1;
        // Rows of unanswered criteria are all zero products: skip them. Every update is a
        // slice addition the compiler vectorises (a constant factor, not a multiplication
        // by a runtime value).
        for (k, &value) in answers.iter().enumerate().filter(|&(_, &value)| value > 0) {
            let row = layout.row(k);
            let width = criteria - k;
            add_assign(&mut self.words[layout.rr + row..][..width], &r[k..]);
            add_times(value, &mut self.words[layout.aa + row..][..width], &a[k..]);
            add_times(
                value,
                &mut self.words[layout.ar + k * criteria..][..criteria],
                r,
            );
            if y[k] == 1 {
                add_assign(&mut self.words[layout.yy + row..][..width], &y[k..]);
                add_assign(&mut self.words[layout.yr + k * criteria..][..criteria], r);
            }
        }
    }

    /// Adds another stratum's statistics to these (merging service points, or a
    /// single-respondent stratum into the rest of its unit).
    pub fn merge(&mut self, other: &Accumulator) -> Result<(), StatisticsError> {
        if other.criteria != self.criteria {
            return Err(StatisticsError::CriteriaMismatch {
                expected: self.criteria,
                got: other.criteria,
            });
        }
        add_assign(&mut self.words, &other.words);
        Ok(())
    }

    /// The number of criteria these statistics are for.
    pub fn criteria(&self) -> usize {
        self.criteria
    }

    /// `n`: responses with at least one answer.
    pub fn responses(&self) -> u64 {
        self.words[0]
    }

    /// How many responses answered criterion `k`.
    pub fn answered(&self, criterion: usize) -> u64 {
        let layout = self.layout();
        self.words[layout.rr + layout.row(criterion)]
    }

    /// How many responses were satisfied (4 or 5) with criterion `k`.
    pub fn satisfied(&self, criterion: usize) -> u64 {
        let layout = self.layout();
        self.words[layout.yy + layout.row(criterion)]
    }

    /// The sum of the answers (1–5) to criterion `k`.
    pub fn score_sum(&self, criterion: usize) -> u64 {
        let layout = self.layout();
        self.words[layout.ar + criterion * self.criteria + criterion]
    }

    pub(crate) fn layout(&self) -> Layout {
        Layout::new(self.criteria)
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    /// The compact serialised form, for storage checkpoints:
    /// `[format version, criteria, n, cross-products…]`.
    pub fn to_words(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.words.len() + 2);
        out.push(FORMAT_VERSION);
        out.push(self.criteria as u64);
        out.extend_from_slice(&self.words);
        out
    }

    /// Reads `to_words` back, checking that the statistics are consistent.
    pub fn from_words(words: &[u64]) -> Result<Self, StatisticsError> {
        let [version, criteria, data @ ..] = words else {
            return Err(StatisticsError::CorruptStatistics("too short"));
        };
        if *version != FORMAT_VERSION {
            return Err(StatisticsError::CorruptStatistics("unknown format version"));
        }
        let criteria = usize::try_from(*criteria)
            .ok()
            .filter(|&k| (1..=QuestionnaireShape::MAX_CRITERIA).contains(&k))
            .ok_or(StatisticsError::CorruptStatistics("criteria out of range"))?;
        if data.len() != Layout::new(criteria).len {
            return Err(StatisticsError::CorruptStatistics("wrong length"));
        }
        let accumulator = Self {
            criteria,
            words: data.to_vec(),
        };
        accumulator.check()?;
        Ok(accumulator)
    }

    /// The serialised form as little-endian bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_words()
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect()
    }

    /// Reads `to_bytes` back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StatisticsError> {
        if !bytes.len().is_multiple_of(8) {
            return Err(StatisticsError::CorruptStatistics(
                "length not a multiple of 8",
            ));
        }
        let words: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
            .collect();
        Self::from_words(&words)
    }

    /// Invariants every real fold satisfies; a cheap guard against a damaged checkpoint.
    fn check(&self) -> Result<(), StatisticsError> {
        let layout = self.layout();
        let n = self.responses();
        let k_max = self.criteria;
        for k in 0..k_max {
            let answered = self.answered(k);
            let satisfied = self.satisfied(k);
            let score = self.score_sum(k);
            if answered > n || satisfied > answered {
                return Err(StatisticsError::CorruptStatistics(
                    "satisfied ≤ answered ≤ n violated",
                ));
            }
            let minimum = answered + 3 * satisfied;
            if score < minimum || score > u64::from(MAX_ANSWER) * answered {
                return Err(StatisticsError::CorruptStatistics(
                    "score sum inconsistent with the counts",
                ));
            }
            if self.words[layout.yr + k * k_max + k] != satisfied
                || self.words[layout.aa + layout.row(k)] > u64::from(MAX_ANSWER) * score
            {
                return Err(StatisticsError::CorruptStatistics(
                    "cross-products inconsistent with the counts",
                ));
            }
        }
        if n > 0 && (0..k_max).all(|k| self.answered(k) == 0) {
            return Err(StatisticsError::CorruptStatistics(
                "responses without any answer",
            ));
        }
        Ok(())
    }
}

/// Checks a response; `Ok(false)` when it has no answer at all (not a response).
fn validate(criteria: usize, answers: &[u8]) -> Result<bool, StatisticsError> {
    if answers.len() != criteria {
        return Err(StatisticsError::AnswerCount {
            expected: criteria,
            got: answers.len(),
        });
    }
    if let Some((criterion, &value)) = answers
        .iter()
        .enumerate()
        .find(|&(_, &value)| value > MAX_ANSWER)
    {
        return Err(StatisticsError::AnswerOutOfRange { criterion, value });
    }
    Ok(answers.iter().any(|&value| value > 0))
}

#[inline]
fn add_assign(target: &mut [u64], values: &[u64]) {
    for (t, v) in target.iter_mut().zip(values) {
        *t += v;
    }
}

#[inline]
fn add_scaled<const FACTOR: u64>(target: &mut [u64], values: &[u64]) {
    for (t, v) in target.iter_mut().zip(values) {
        *t += FACTOR * v;
    }
}

/// `target += factor · values` for an answer value 1–5, dispatched to a constant factor.
#[inline]
fn add_times(factor: u8, target: &mut [u64], values: &[u64]) {
    match factor {
        1 => add_assign(target, values),
        2 => add_scaled::<2>(target, values),
        3 => add_scaled::<3>(target, values),
        4 => add_scaled::<4>(target, values),
        _ => add_scaled::<5>(target, values),
    }
}

/// A fast fold of many responses of one stratum (a rebuild, an import), giving exactly
/// the statistics `Accumulator::add` would.
///
/// Instead of the ~1,250 products a 22-criterion response contributes, it adds one
/// packed word per (answered criterion k, criterion l): in row `(k, a_k)` the word
/// `r_l | y_l << 21 | a_l << 42` (three 21-bit counters in a u64). Every cross-product
/// follows from these rows, e.g. `Σ a_k r_l = Σ_v v·(r-field of row (k, v))`, and they
/// are unpacked into the accumulator before the narrow counters could overflow.
#[derive(Debug, Clone)]
pub struct BulkFold {
    accumulator: Accumulator,
    /// `[k][v − 1][l]` packed counters, for the responses since the last flush; allocated
    /// once the fold is past `DIRECT_LIMIT` responses (small strata go straight in).
    rows: Vec<u64>,
    pending: u64,
}

/// Up to this many responses a fold adds directly: the packed rows would cost more to
/// allocate and unpack than they save.
const DIRECT_LIMIT: u64 = 32;

const FIELD_BITS: u32 = 21;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;
/// A packed counter grows by at most 5 per response (the `a` field).
const PENDING_LIMIT: u64 = FIELD_MASK / MAX_ANSWER as u64;
const VALUES: usize = MAX_ANSWER as usize;

impl BulkFold {
    pub fn new(shape: &QuestionnaireShape) -> Self {
        Self::for_criteria(shape.criteria())
    }

    fn for_criteria(criteria: usize) -> Self {
        Self {
            accumulator: Accumulator::with_criteria(criteria),
            rows: Vec::new(),
            pending: 0,
        }
    }

    /// As `Accumulator::add`.
    pub fn add(&mut self, answers: &[u8]) -> Result<bool, StatisticsError> {
        let criteria = self.accumulator.criteria;
        if !validate(criteria, answers)? {
            return Ok(false);
        }
        if self.rows.is_empty() {
            if self.accumulator.responses() < DIRECT_LIMIT {
                self.accumulator.add_valid(answers);
                return Ok(true);
            }
            self.rows = vec![0; criteria * VALUES * criteria];
        }
        let mut packed = [0u64; QuestionnaireShape::MAX_CRITERIA];
        for (word, &value) in packed.iter_mut().zip(answers) {
            *word = u64::from(value > 0)
                | u64::from(value >= SATISFIED_FROM) << FIELD_BITS
                | u64::from(value) << (2 * FIELD_BITS);
        }
        let packed = &packed[..criteria];
        for (k, &value) in answers.iter().enumerate().filter(|&(_, &value)| value > 0) {
            let row = (k * VALUES + usize::from(value) - 1) * criteria;
            add_assign(&mut self.rows[row..row + criteria], packed);
        }
        self.accumulator.words[0] += 1;
        self.pending += 1;
        if self.pending == PENDING_LIMIT {
            self.flush();
        }
        Ok(true)
    }

    /// Unpacks the pending rows into the accumulator.
    fn flush(&mut self) {
        let criteria = self.accumulator.criteria;
        let layout = Layout::new(criteria);
        let words = &mut self.accumulator.words;
        for k in 0..criteria {
            for l in 0..criteria {
                let (mut r, mut y_r, mut y_y, mut a_r, mut a_a) = (0, 0, 0, 0, 0);
                for v in 1..=VALUES as u64 {
                    let cell = self.rows[(k * VALUES + v as usize - 1) * criteria + l];
                    let (r_l, y_l, a_l) = (
                        cell & FIELD_MASK,
                        (cell >> FIELD_BITS) & FIELD_MASK,
                        cell >> (2 * FIELD_BITS),
                    );
                    r += r_l;
                    a_r += v * r_l;
                    a_a += v * a_l;
                    if v >= u64::from(SATISFIED_FROM) {
                        y_r += r_l;
                        y_y += y_l;
                    }
                }
                words[layout.yr + k * criteria + l] += y_r;
                words[layout.ar + k * criteria + l] += a_r;
                // The symmetric blocks keep the upper triangle (either order gives it).
                if k <= l {
                    let at = layout.row(k) + (l - k);
                    words[layout.rr + at] += r;
                    words[layout.yy + at] += y_y;
                    words[layout.aa + at] += a_a;
                }
            }
        }
        self.rows.fill(0);
        self.pending = 0;
    }

    /// The statistics of everything added.
    pub fn finish(mut self) -> Accumulator {
        if self.pending > 0 {
            self.flush();
        }
        self.accumulator
    }
}
