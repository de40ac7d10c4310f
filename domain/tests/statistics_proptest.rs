//! Sufficient statistics are integers: adding responses one by one in any order, folding
//! chunks and merging them in any order must give exactly the batch fold, and therefore
//! bit-for-bit identical results.

use proptest::prelude::*;
use sipas_domain::statistics::{
    Accumulator, BulkFold, Confidence, Design, DesignEffectReference, QuestionnaireShape,
    ScoringOptions, Stratum, UnitResult, score_unit,
};

/// A questionnaire of 1–4 elements of 1–4 criteria, and responses to it (answers skewed
/// towards "no answer" and "satisfied", some forms left entirely blank).
fn survey() -> impl Strategy<Value = (QuestionnaireShape, Vec<Vec<u8>>)> {
    prop::collection::vec(1usize..=4, 1..=4).prop_flat_map(|sizes| {
        let shape = QuestionnaireShape::from_element_sizes(&sizes).unwrap();
        let criteria = shape.criteria();
        let answer = prop_oneof![2 => Just(0u8), 1 => 1u8..=3, 3 => 4u8..=5];
        let response = prop_oneof![
            1 => Just(vec![0u8; criteria]),
            12 => prop::collection::vec(answer, criteria),
        ];
        (Just(shape), prop::collection::vec(response, 0..150))
    })
}

/// Folds `responses` in the order given by `order`, in chunks cut at `cuts`, and merges
/// the chunks pairwise in the order given by `merges`.
fn fold_in_pieces(
    shape: &QuestionnaireShape,
    responses: &[Vec<u8>],
    order: &[usize],
    cuts: &[usize],
    merges: &[usize],
) -> Accumulator {
    let mut permuted: Vec<&Vec<u8>> = responses.iter().collect();
    // A permutation from random keys: sort indices by them.
    let mut keyed: Vec<(usize, &Vec<u8>)> = permuted
        .drain(..)
        .enumerate()
        .map(|(i, response)| (order.get(i).copied().unwrap_or(i), response))
        .collect();
    keyed.sort_by_key(|&(key, _)| key);
    let mut boundaries: Vec<usize> = cuts.iter().map(|&c| c % (keyed.len() + 1)).collect();
    boundaries.extend([0, keyed.len()]);
    boundaries.sort_unstable();
    let mut pieces: Vec<Accumulator> = boundaries
        .windows(2)
        .map(|window| {
            let mut piece = Accumulator::new(shape);
            for (_, response) in &keyed[window[0]..window[1]] {
                piece.add(response).unwrap();
            }
            piece
        })
        .collect();
    let mut step = 0;
    while pieces.len() > 1 {
        let pick = merges.get(step).copied().unwrap_or(0) % pieces.len();
        step += 1;
        let taken = pieces.swap_remove(pick);
        let into = merges.get(step).copied().unwrap_or(0) % pieces.len();
        pieces[into].merge(&taken).unwrap();
    }
    pieces.pop().unwrap()
}

/// Each sample as a stratum whose frame has `extra[h]` more dossiers than responses.
fn strata<'a>(samples: &'a [Accumulator], extra: &[u64]) -> Vec<Stratum<'a>> {
    samples
        .iter()
        .zip(extra)
        .map(|(sample, extra)| Stratum {
            sample,
            population: sample.responses() + extra,
        })
        .collect()
}

fn scores(shape: &QuestionnaireShape, design: &Design<'_>, confidence: f64) -> UnitResult {
    let options = ScoringOptions {
        confidence: Confidence::new(confidence).unwrap(),
        ..ScoringOptions::default()
    };
    score_unit(
        shape,
        design,
        options,
        &DesignEffectReference::pool(shape, []),
        None,
    )
    .unwrap()
}

/// serde_json prints the shortest representation that round-trips, so equal text means
/// bitwise-equal numbers (including the sign of zero).
fn bitwise(result: &UnitResult) -> String {
    serde_json::to_string(result).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_equals_batch(
        (shape, responses) in survey(),
        order in prop::collection::vec(any::<usize>(), 150),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        merges in prop::collection::vec(any::<usize>(), 16),
        extra in 0u64..200,
        confidence in 0.5f64..0.999,
    ) {
        // `from_responses` is the bulk fold (packed counters past 32 responses).
        let batch = Accumulator::from_responses(&shape, responses.iter().map(Vec::as_slice)).unwrap();
        let mut one_by_one = Accumulator::new(&shape);
        for response in &responses {
            one_by_one.add(response).unwrap();
        }
        prop_assert_eq!(&one_by_one, &batch);
        let pieces = fold_in_pieces(&shape, &responses, &order, &cuts, &merges);
        prop_assert_eq!(&pieces, &batch);
        prop_assert_eq!(pieces.to_words(), batch.to_words());
        prop_assert_eq!(Accumulator::from_bytes(&batch.to_bytes()).unwrap(), batch.clone());

        let population = batch.responses() + extra;
        for population in [None, Some(population)] {
            let a = scores(&shape, &Design::simple(&batch, population), confidence);
            let b = scores(&shape, &Design::simple(&pieces, population), confidence);
            prop_assert_eq!(bitwise(&a), bitwise(&b));
        }
    }

    #[test]
    fn stratified_incremental_equals_batch(
        (shape, responses) in survey(),
        labels in prop::collection::vec(0usize..3, 150),
        order in prop::collection::vec(any::<usize>(), 150),
        merges in prop::collection::vec(any::<usize>(), 16),
        extra in prop::collection::vec(0u64..50, 3),
    ) {
        let stratum_of = |i: usize| labels[i % labels.len()];
        let members = |h: usize| -> Vec<Vec<u8>> {
            responses.iter().enumerate().filter(|&(i, _)| stratum_of(i) == h).map(|(_, r)| r.clone()).collect()
        };
        let batch: Vec<Accumulator> = (0..3)
            .map(|h| Accumulator::from_responses(&shape, members(h).iter().map(Vec::as_slice)).unwrap())
            .collect();
        let pieces: Vec<Accumulator> = (0..3)
            .map(|h| fold_in_pieces(&shape, &members(h), &order, &[h * 7 + 3], &merges))
            .collect();
        prop_assert_eq!(&pieces, &batch);
        let a = scores(&shape, &Design::Stratified(strata(&batch, &extra)), 0.95);
        let b = scores(&shape, &Design::Stratified(strata(&pieces, &extra)), 0.95);
        prop_assert_eq!(bitwise(&a), bitwise(&b));
        // The same responses pooled, given per service point or already merged.
        let pooled = Design::Pooled { samples: batch.iter().collect(), population: None };
        let merged = fold_in_pieces(&shape, &responses, &order, &[], &merges);
        prop_assert_eq!(bitwise(&scores(&shape, &pooled, 0.9)), bitwise(&scores(&shape, &Design::simple(&merged, None), 0.9)));
    }
}

/// The bulk fold's packed counters (21, 21 and 22 bits) are unpacked before they can
/// overflow: the worst case (every answer 5), over twice as many responses as the widest
/// field could count, gives the same statistics as adding one by one.
#[test]
fn bulk_fold_flushes_before_its_counters_overflow() {
    let shape = QuestionnaireShape::new(vec![0, 0]).unwrap();
    let responses = 2 * ((1u64 << 22) / 5) + 7;
    let mut bulk = BulkFold::new(&shape);
    let mut direct = Accumulator::new(&shape);
    for i in 0..responses {
        let answers = if i % 1000 == 999 { [4, 0] } else { [5, 5] };
        assert!(bulk.add(&answers).unwrap());
        direct.add(&answers).unwrap();
    }
    let bulk = bulk.finish();
    assert_eq!(bulk.responses(), responses);
    assert_eq!(bulk, direct);
}
