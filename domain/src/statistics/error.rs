//! The one error type of the statistics engine.

use thiserror::Error;

/// Everything the statistics engine can refuse. None of these is a bug: each names
/// an input the caller (API, import, storage) should turn into a clear message.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatisticsError {
    /// The confidence level is not a number strictly between 0 and 1 (the API answers 422).
    #[error("confidence must be a number strictly between 0 and 1, got {0:?}")]
    InvalidConfidence(String),
    /// The `method=` of a criterion interval is not one we offer.
    #[error(
        "unknown interval method {0:?}; expected one of wilson-fpc, clopper-pearson, jeffreys, agresti-coull, wilson-cc"
    )]
    UnknownMethod(String),
    /// The questionnaire shape cannot be used (no criteria, too many, a gap in the elements).
    #[error("invalid questionnaire shape: {0}")]
    InvalidShape(String),
    /// A response does not have one answer per criterion.
    #[error("a response has {got} answers but the questionnaire has {expected} criteria")]
    AnswerCount { expected: usize, got: usize },
    /// An answer is not 0 (no answer) or 1–5.
    #[error("answer {value} to criterion {criterion} is outside 0..=5")]
    AnswerOutOfRange { criterion: usize, value: u8 },
    /// Two accumulators (or an accumulator and a shape) count a different number of criteria.
    #[error("sufficient statistics for {got} criteria where {expected} were expected")]
    CriteriaMismatch { expected: usize, got: usize },
    /// More responses than completed dossiers in the frame: the frame (or the data) is wrong.
    #[error("{responses} responses exceed the frame's population of {population}")]
    SampleExceedsFrame { responses: u64, population: u64 },
    /// A serialised accumulator does not decode to consistent sufficient statistics.
    #[error("corrupt serialised sufficient statistics: {0}")]
    CorruptStatistics(&'static str),
    /// A probability or a distribution parameter outside its domain (statrs would panic).
    #[error("invalid argument to a quantile function: {0}")]
    InvalidQuantileArgument(&'static str),
}
