//! The questionnaire as the statistics see it: which element each criterion belongs to.

use serde::{Deserialize, Serialize};

use super::StatisticsError;

/// Criterion `k` belongs to element `element_of(k)`; elements are numbered `0..elements()`
/// and criteria `0..criteria()`, in the order the caller's questionnaire lists them (the
/// caller maps indices to codes such as `TC1` / `E1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<usize>", into = "Vec<usize>")]
pub struct QuestionnaireShape {
    element_of: Vec<usize>,
    elements: usize,
}

impl QuestionnaireShape {
    /// Criteria per questionnaire we accept. Sufficient statistics grow with the square of
    /// it and `Accumulator::add` keeps a response's indicators on the stack; SIPAS has 22.
    pub const MAX_CRITERIA: usize = 64;

    /// `element_of[k]` is the element of criterion `k`. Every element from 0 to the largest
    /// must have at least one criterion.
    pub fn new(element_of: Vec<usize>) -> Result<Self, StatisticsError> {
        if element_of.is_empty() {
            return Err(StatisticsError::InvalidShape("no criteria".into()));
        }
        if element_of.len() > Self::MAX_CRITERIA {
            return Err(StatisticsError::InvalidShape(format!(
                "{} criteria, at most {} supported",
                element_of.len(),
                Self::MAX_CRITERIA
            )));
        }
        let elements = element_of.iter().max().map_or(0, |&e| e + 1);
        if let Some(empty) = (0..elements).find(|e| !element_of.contains(e)) {
            return Err(StatisticsError::InvalidShape(format!(
                "element {empty} has no criterion"
            )));
        }
        Ok(Self {
            element_of,
            elements,
        })
    }

    /// A shape from the number of criteria in each element, in order (SIPAS-2017 is `[4, 5, 6, 3, 4]`).
    pub fn from_element_sizes(sizes: &[usize]) -> Result<Self, StatisticsError> {
        Self::new(
            sizes
                .iter()
                .enumerate()
                .flat_map(|(e, &size)| std::iter::repeat_n(e, size))
                .collect(),
        )
    }

    pub fn criteria(&self) -> usize {
        self.element_of.len()
    }

    pub fn elements(&self) -> usize {
        self.elements
    }

    /// The element of criterion `k`.
    pub fn element_of(&self, criterion: usize) -> usize {
        self.element_of[criterion]
    }

    /// The element of every criterion, by criterion index.
    pub fn element_map(&self) -> &[usize] {
        &self.element_of
    }
}

impl TryFrom<Vec<usize>> for QuestionnaireShape {
    type Error = StatisticsError;
    fn try_from(element_of: Vec<usize>) -> Result<Self, Self::Error> {
        Self::new(element_of)
    }
}

impl From<QuestionnaireShape> for Vec<usize> {
    fn from(shape: QuestionnaireShape) -> Self {
        shape.element_of
    }
}
