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

    /// Offset of `(k, l)` in a symmetric block, either order.
    #[inline]
    pub fn symmetric(&self, k: usize, l: usize) -> usize {
        let (k, l) = if k <= l { (k, l) } else { (l, k) };
        self.row(k) + (l - k)
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

    /// Batch fold: the statistics of these responses.
    pub fn from_responses<'r>(
        shape: &QuestionnaireShape,
        responses: impl IntoIterator<Item = &'r [u8]>,
    ) -> Result<Self, StatisticsError> {
        let mut accumulator = Self::new(shape);
        for answers in responses {
            accumulator.add(answers)?;
        }
        Ok(accumulator)
    }

    /// Adds one response: `answers[k]` is the answer to criterion `k`, 1–5, or 0 for no
    /// answer. A response without any answer is not a response (it does not count in
    /// `n`): it is ignored and `Ok(false)` returned. A malformed response changes nothing.
    pub fn add(&mut self, answers: &[u8]) -> Result<bool, StatisticsError> {
        let criteria = self.criteria;
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
        if answers.iter().all(|&value| value == 0) {
            return Ok(false);
        }

        // The response as indicator vectors on the stack (the shape caps the criteria).
        let mut y = [0u64; QuestionnaireShape::MAX_CRITERIA];
        let mut r = [0u64; QuestionnaireShape::MAX_CRITERIA];
        let mut a = [0u64; QuestionnaireShape::MAX_CRITERIA];
        for (k, &value) in answers.iter().enumerate() {
            a[k] = u64::from(value);
            r[k] = u64::from(value > 0);
            y[k] = u64::from(value >= SATISFIED_FROM);
        }
        let (y, r, a) = (&y[..criteria], &r[..criteria], &a[..criteria]);

        let layout = Layout::new(criteria);
        self.words[0] += 1;
        // Rows of unanswered criteria are all zero products: skip them. The row updates
        // are plain slice additions the compiler vectorises.
        for k in (0..criteria).filter(|&k| r[k] == 1) {
            let row = layout.row(k);
            let width = criteria - k;
            add_assign(&mut self.words[layout.rr + row..][..width], &r[k..]);
            add_scaled(&mut self.words[layout.aa + row..][..width], &a[k..], a[k]);
            add_scaled(
                &mut self.words[layout.ar + k * criteria..][..criteria],
                r,
                a[k],
            );
            if y[k] == 1 {
                add_assign(&mut self.words[layout.yy + row..][..width], &y[k..]);
                add_assign(&mut self.words[layout.yr + k * criteria..][..criteria], r);
            }
        }
        Ok(true)
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

#[inline]
fn add_assign(target: &mut [u64], values: &[u64]) {
    for (t, v) in target.iter_mut().zip(values) {
        *t += v;
    }
}

#[inline]
fn add_scaled(target: &mut [u64], values: &[u64], scale: u64) {
    for (t, v) in target.iter_mut().zip(values) {
        *t += scale * v;
    }
}
