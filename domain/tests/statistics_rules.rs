//! The rules of docs/statistics.md that go beyond R's `survey` (Wilson on n_eff, the
//! design-effect floor, the boundary and edge rules, the small-sample rules), on cases
//! small enough to compute by hand. Expected numbers come from the R expression quoted
//! next to each (with `wilson <- function(p, m, q) (p + q^2/(2*m) + c(-1, 1) * q *
//! sqrt(p*(1-p)/m + q^2/(4*m^2))) / (1 + q^2/m)` and `z <- qnorm(0.975)`); the engine's
//! own numbers are never used as expectations.

// The expected values are R's output (`options(digits = 17)`), copied verbatim.
#![allow(clippy::excessive_precision)]

use sipas_domain::statistics::{
    Accumulator, CampaignAnalysis, Confidence, CriterionMethod, Design, DesignEffectReference,
    Estimate, Flag, LeftOutReason, PooledDesignEffect, QuestionnaireShape, Scorer, ScoringOptions,
    StatisticsError, Stratum, UnitMoments, UnitResult, aggregate, beta_quantile, change,
    chi_squared_quantile, clopper_pearson, normal_quantile, score_unit, students_t_quantile,
    wilson,
};

const TOLERANCE: f64 = 1e-12;

#[track_caller]
fn assert_near(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0),
        "got {actual:.17}, expected {expected:.17}"
    );
}

#[track_caller]
fn assert_interval(low: Option<f64>, high: Option<f64>, expected: (f64, f64)) {
    assert_near(low.expect("lower bound"), expected.0);
    assert_near(high.expect("upper bound"), expected.1);
}

/// A questionnaire with a single criterion (one element).
fn one_criterion() -> QuestionnaireShape {
    QuestionnaireShape::new(vec![0]).unwrap()
}

/// `satisfied` answers of 5 and `dissatisfied` answers of 2 to a one-criterion form.
fn counts(shape: &QuestionnaireShape, satisfied: usize, dissatisfied: usize) -> Accumulator {
    let answers =
        std::iter::repeat_n([5u8], satisfied).chain(std::iter::repeat_n([2u8], dissatisfied));
    let mut accumulator = Accumulator::new(shape);
    for answer in answers {
        assert!(accumulator.add(&answer).unwrap());
    }
    accumulator
}

fn score(
    shape: &QuestionnaireShape,
    sample: &Accumulator,
    population: Option<u64>,
    reference: &DesignEffectReference,
) -> UnitResult {
    score_unit(
        shape,
        &Design::simple(sample, population),
        ScoringOptions::default(),
        reference,
        None,
    )
    .unwrap()
}

fn neutral(shape: &QuestionnaireShape) -> DesignEffectReference {
    DesignEffectReference::pool(shape, [])
}

/// A reference design effect of `value` from five qualifying units.
fn reference_of(value: f64, elements: usize) -> DesignEffectReference {
    let pool = PooledDesignEffect {
        numerator: value,
        denominator: 1.0,
        units: PooledDesignEffect::MIN_UNITS,
    };
    DesignEffectReference {
        sipas: pool,
        elements: vec![pool; elements],
    }
}

#[test]
fn wilson_matches_the_formula() {
    // wilson(0.8, 25, z)
    let interval = wilson(0.8, 25.0, normal_quantile(0.975).unwrap());
    assert_near(interval.low, 0.60869049630459671);
    assert_near(interval.high, 0.91139415313197425);
    // An infinite sample (census) is the point itself.
    let census = wilson(0.8, f64::INFINITY, 1.96);
    assert_eq!((census.low, census.high), (0.8, 0.8));
}

#[test]
fn criterion_wilson_with_fpc_and_upper_boundary_rule() {
    // 18 of 20 satisfied, N = 100: N_k = 100, n* = 20·99/80 = 24.75; n_k − x = 2 ≤ 2, so
    // upper = 1 − qchisq(0.05, 4)/2/24.75; lower = wilson(0.9, 24.75, z)[1].
    let shape = one_criterion();
    let sample = counts(&shape, 18, 2);
    let result = score(&shape, &sample, Some(100), &neutral(&shape));
    let criterion = &result.criteria[0];
    assert_eq!((criterion.answered, criterion.satisfied), (20, 18));
    assert_eq!(criterion.estimate, Some(0.9));
    assert_eq!(criterion.method, CriterionMethod::WilsonFpc);
    assert_interval(
        criterion.ci_low,
        criterion.ci_high,
        (0.72386280566425221, 0.98564195916369046),
    );
    assert!(result.has_flag(Flag::FewDissatisfied), "2 dissatisfied ≤ 3");
}

#[test]
fn criterion_lower_boundary_rule_without_frame() {
    // 2 of 20, no frame: n* = 20; lower = qchisq(0.05, 4)/2/20, upper = wilson(0.1, 20, z)[2].
    let shape = one_criterion();
    let result = score(&shape, &counts(&shape, 2, 18), None, &neutral(&shape));
    let criterion = &result.criteria[0];
    assert_interval(
        criterion.ci_low,
        criterion.ci_high,
        (0.017768075534933103, 0.30103364522848719),
    );
    assert!(result.has_flag(Flag::NoFrame));
}

#[test]
fn boundary_rule_threshold_is_three_above_fifty_answers() {
    // 57 of 60 (3 dissatisfied, n_k > 50 so x* = 3): upper = 1 − qchisq(0.05, 6)/2/60.
    let shape = one_criterion();
    let criterion = score(&shape, &counts(&shape, 57, 3), None, &neutral(&shape)).criteria[0];
    assert_interval(
        criterion.ci_low,
        criterion.ci_high,
        (0.86299483523651477, 0.98637180921393408),
    );
    // 1 of 60: lower = qchisq(0.05, 2)/2/60.
    let criterion = score(&shape, &counts(&shape, 1, 59), None, &neutral(&shape)).criteria[0];
    assert_interval(
        criterion.ci_low,
        criterion.ci_high,
        (0.00085488823979250892, 0.088551297275900581),
    );
    // 3 of 50 is not a boundary case at n_k ≤ 50 (x* = 2): plain Wilson (no frame).
    let criterion = score(&shape, &counts(&shape, 3, 47), None, &neutral(&shape)).criteria[0];
    let plain = wilson(0.06, 50.0, normal_quantile(0.975).unwrap());
    assert_interval(criterion.ci_low, criterion.ci_high, (plain.low, plain.high));
}

#[test]
fn criterion_edge_rules_ignore_the_fpc() {
    // x = n_k: [n_k/(n_k + z²), 1]; x = 0: [0, z²/(n_k + z²)], with or without a frame.
    let shape = one_criterion();
    for population in [None, Some(50)] {
        let all = score(&shape, &counts(&shape, 20, 0), population, &neutral(&shape)).criteria[0];
        assert_interval(all.ci_low, all.ci_high, (0.83887484194718076, 1.0));
        let none = score(&shape, &counts(&shape, 0, 20), population, &neutral(&shape)).criteria[0];
        assert_interval(none.ci_low, none.ci_high, (0.0, 0.16112515805281932));
    }
}

#[test]
fn design_effect_floor_near_the_boundary() {
    // One criterion, 24 of 25 satisfied, N = 60 (f = 25/60): I = 0.96,
    // v = (1 − f)·I(1 − I)/(n − 1) = 0.00093333…, v0 = I(1 − I)/(n − 1) = 0.0016,
    // D_u = n/(n − 1), c = (n − 1)·0.04 = 0.96 < 15.
    let shape = one_criterion();
    let sample = counts(&shape, 24, 1);

    // D_ref = 1.5: floor n/((1 − f)·1.5) = 28.5714… < own n_eff 41.1428… → applied.
    // wilson(0.96, 25/((35/60)*1.5), qt(0.975, 24))
    let floored = score(&shape, &sample, Some(60), &reference_of(1.5, 1));
    assert_near(floored.sipas.estimate.unwrap(), 0.96);
    assert_near(floored.sipas.se.unwrap().powi(2), 0.00093333333333333408);
    assert_eq!(floored.sipas.df, Some(24));
    assert!(floored.sipas_detail.floor_applied);
    assert_near(floored.sipas_detail.n_eff.unwrap(), 28.571428571428577);
    assert_near(floored.sipas_detail.design_effect.unwrap(), 25.0 / 24.0);
    assert_near(floored.sipas_detail.effective_count.unwrap(), 0.96);
    assert_interval(
        floored.sipas.ci_low,
        floored.sipas.ci_high,
        (0.80788212131855719, 0.9927523261020732),
    );
    assert!(floored.has_flag(Flag::FewDissatisfied));
    assert!(floored.has_flag(Flag::SmallSample));

    // Fewer than 5 qualifying units: D_ref = 1, floor 42.857… > 41.142… → not applied.
    // wilson(0.96, 24/(35/60), qt(0.975, 24))
    let own = score(&shape, &sample, Some(60), &neutral(&shape));
    assert!(!own.sipas_detail.floor_applied);
    assert_near(own.sipas_detail.n_eff.unwrap(), 41.142857142857146);
    assert_interval(
        own.sipas.ci_low,
        own.sipas.ci_high,
        (0.84291534297531945, 0.99077002412319526),
    );
}

#[test]
fn reference_design_effect_needs_five_units() {
    // One-criterion units: n v0 = n·p(1 − p)/(n − 1), so
    // D_ref = Σ n p(1 − p) / Σ (n − 1) p(1 − p).
    let shape = one_criterion();
    let samples = [
        counts(&shape, 8, 2),  // n 10, p .8
        counts(&shape, 15, 5), // n 20, p .75
        counts(&shape, 3, 2),  // n 5, p .6
        counts(&shape, 4, 0),  // p = 1: does not qualify
        counts(&shape, 1, 0),  // n = 1: does not qualify
        counts(&shape, 9, 9),  // n 18, p .5
        counts(&shape, 2, 8),  // n 10, p .2
    ];
    let designs: Vec<Design<'_>> = samples.iter().map(|s| Design::simple(s, None)).collect();
    let analysis = CampaignAnalysis::compute(&shape, &designs);
    let pooled = analysis.design_effect_reference.sipas;
    assert_eq!(pooled.units, 5);
    // numerator Σ n·p(1−p) = 10·.16 + 20·.1875 + 5·.24 + 18·.25 + 10·.16 = 12.65
    // denominator Σ (n−1)·p(1−p) = 9·.16 + 19·.1875 + 4·.24 + 17·.25 + 9·.16 = 11.6525
    assert_near(pooled.numerator, 12.65);
    assert_near(pooled.denominator, 11.6525);
    assert_near(pooled.value(), 12.65 / 11.6525);

    // The first four qualifying units alone: D_ref = 1.
    let analysis = CampaignAnalysis::compute(&shape, &designs[..6]);
    assert_eq!(analysis.design_effect_reference.sipas.units, 4);
    assert_eq!(analysis.design_effect_reference.sipas.value(), 1.0);
    assert_eq!(analysis.design_effect_reference.elements[0].value(), 1.0);
}

#[test]
fn degenerate_unit_without_variance() {
    // Everyone answers (5, 1) to the two criteria of one element: p = (1, 0), I = 0.5 with
    // v = 0 exactly. n = 10, N = 40: n_eff = n(N − 1)/(N − n) = 13, no floor.
    // wilson(0.5, 13, qt(0.975, 9))
    let shape = QuestionnaireShape::new(vec![0, 0]).unwrap();
    let mut sample = Accumulator::new(&shape);
    for _ in 0..10 {
        sample.add(&[5, 1]).unwrap();
    }
    let result = score(&shape, &sample, Some(40), &reference_of(3.0, 1));
    assert_eq!(result.sipas.estimate, Some(0.5));
    assert_eq!(
        result.sipas.se,
        Some(0.0),
        "exactly zero, not rounding noise"
    );
    assert!(!result.sipas_detail.floor_applied);
    assert_near(result.sipas_detail.n_eff.unwrap(), 13.0);
    assert_interval(
        result.sipas.ci_low,
        result.sipas.ci_high,
        (0.23426706700102304, 0.76573293299897705),
    );
    assert_eq!(result.mean_score.estimate, Some(3.0));
    assert_eq!(result.mean_score.ci_low, Some(3.0));
    assert_eq!(result.mean_score.ci_high, Some(3.0));
}

#[test]
fn everyone_satisfied_is_degenerate_not_made_up() {
    // I = 1: n_eff = n(N − 1)/(N − n) = 30·89/60 = 44.5, interval [lower, 1].
    let shape = QuestionnaireShape::from_element_sizes(&[2, 1]).unwrap();
    let mut sample = Accumulator::new(&shape);
    for i in 0..30u8 {
        sample
            .add(&[4 + i % 2, 5, if i % 3 == 0 { 0 } else { 4 }])
            .unwrap();
    }
    let result = score(&shape, &sample, Some(90), &reference_of(2.0, 2));
    assert_eq!(result.sipas.estimate, Some(1.0));
    assert_eq!(result.sipas.se, Some(0.0));
    assert_eq!(result.sipas_detail.effective_count, None);
    assert_near(result.sipas_detail.n_eff.unwrap(), 44.5);
    let t = students_t_quantile(0.975, 29.0).unwrap();
    assert_near(result.sipas.ci_low.unwrap(), 44.5 / (44.5 + t * t));
    assert_eq!(result.sipas.ci_high, Some(1.0));
    assert!(result.has_flag(Flag::FewDissatisfied), "0 dissatisfied");
}

#[test]
fn census_gives_point_intervals() {
    let shape = QuestionnaireShape::new(vec![0, 0, 1]).unwrap();
    let mut sample = Accumulator::new(&shape);
    for i in 0..12u8 {
        sample.add(&[1 + i % 5, 5 - i % 3, i % 6]).unwrap();
    }
    let result = score(&shape, &sample, Some(12), &neutral(&shape));
    let sipas = result.sipas;
    assert_eq!(sipas.se, Some(0.0));
    assert_eq!(sipas.ci_low, sipas.estimate);
    assert_eq!(sipas.ci_high, sipas.estimate);
    assert_eq!(result.sipas_detail.n_eff, None, "infinite");
    for criterion in &result.criteria {
        assert_eq!(criterion.ci_low, criterion.estimate);
        assert_eq!(criterion.ci_high, criterion.estimate);
    }
    assert_eq!(result.mean_score.ci_low, result.mean_score.estimate);
    for mean_score in result
        .elements
        .iter()
        .map(|e| e.mean_score)
        .chain(result.criteria.iter().map(|c| c.mean_score))
    {
        assert_eq!(mean_score.se, Some(0.0));
        assert_eq!(mean_score.ci_low, mean_score.estimate);
        assert_eq!(mean_score.ci_high, mean_score.estimate);
    }
}

#[test]
fn a_single_response_has_estimates_but_no_intervals() {
    let shape = QuestionnaireShape::new(vec![0, 0, 1]).unwrap();
    let mut sample = Accumulator::new(&shape);
    assert!(
        !sample.add(&[0, 0, 0]).unwrap(),
        "no answer is not a response"
    );
    assert!(sample.add(&[5, 3, 4]).unwrap());
    let result = score(&shape, &sample, Some(50), &neutral(&shape));
    assert_eq!(result.n, 1);
    // (mean(1, 0) + 1)/2
    assert_eq!(result.sipas.estimate, Some(0.75));
    assert_eq!(result.sipas.se, None);
    assert_eq!(result.sipas.df, None);
    assert_eq!(result.sipas.ci_low, None);
    assert_eq!(result.mean_score.estimate, Some(4.0));
    assert_eq!(result.mean_score.ci_high, None);
    assert!(
        result
            .criteria
            .iter()
            .all(|c| c.ci_low.is_none() && c.se.is_none())
    );
    // Element and criterion mean scores likewise: the answer itself, no interval.
    let element_scores: Vec<Estimate> = result.elements.iter().map(|e| e.mean_score).collect();
    let criterion_scores: Vec<Estimate> = result.criteria.iter().map(|c| c.mean_score).collect();
    let point = |estimate: f64| Estimate {
        estimate: Some(estimate),
        ..Estimate::default()
    };
    assert_eq!(element_scores, [point(4.0), point(4.0)]);
    assert_eq!(criterion_scores, [point(5.0), point(3.0), point(4.0)]);
    assert!(result.has_flag(Flag::NoVariance));
    assert!(result.has_flag(Flag::SmallSample));
    assert_eq!(result.margin_achieved(), None);
    // Nothing at all: no estimate either.
    let empty = score(&shape, &Accumulator::new(&shape), None, &neutral(&shape));
    assert_eq!(empty.sipas.estimate, None);
    assert_eq!(empty.strata, 0);
}

#[test]
fn single_respondent_stratum_is_merged() {
    let shape = one_criterion();
    let (a, b, lonely) = (
        counts(&shape, 7, 3),
        counts(&shape, 4, 4),
        counts(&shape, 1, 0),
    );
    let design = Design::Stratified(vec![
        Stratum {
            sample: &a,
            population: 50,
        },
        Stratum {
            sample: &b,
            population: 30,
        },
        Stratum {
            sample: &lonely,
            population: 5,
        },
    ]);
    let result = score_unit(
        &shape,
        &design,
        ScoringOptions::default(),
        &neutral(&shape),
        None,
    )
    .unwrap();
    assert!(result.has_flag(Flag::StratumMerged));
    assert_eq!(result.strata, 1);
    assert_eq!(result.population, Some(85));
    // Unweighted after merging: 12 of 19, v = (1 − 19/85)·p(1 − p)/18.
    let p = 12.0 / 19.0;
    assert_near(result.sipas.estimate.unwrap(), p);
    assert_near(
        result.sipas.se.unwrap().powi(2),
        (1.0 - 19.0 / 85.0) * p * (1.0 - p) / 18.0,
    );
    assert_eq!(result.sipas.df, Some(18));

    // Without the lonely stratum the unit stays stratified, weighted by N_h / n_h:
    // p = (50·0.7 + 30·0.5)/80.
    let design = Design::Stratified(vec![
        Stratum {
            sample: &a,
            population: 50,
        },
        Stratum {
            sample: &b,
            population: 30,
        },
    ]);
    let result = score_unit(
        &shape,
        &design,
        ScoringOptions::default(),
        &neutral(&shape),
        None,
    )
    .unwrap();
    assert!(!result.has_flag(Flag::StratumMerged));
    assert_eq!(result.strata, 2);
    assert_near(
        result.sipas.estimate.unwrap(),
        (50.0 * 0.7 + 30.0 * 0.5) / 80.0,
    );
    assert_eq!(result.sipas.df, Some(16));
}

#[test]
fn stratified_criterion_uses_wilson_on_the_effective_size() {
    // Two strata, one criterion: v = Σ W_h²(1 − f_h) p_h(1 − p_h)/(n_h − 1) with
    // W = (50, 30)/80; interval Wilson(p, p(1 − p)/v, z).
    let shape = one_criterion();
    let (a, b) = (counts(&shape, 7, 3), counts(&shape, 4, 4));
    let design = Design::Stratified(vec![
        Stratum {
            sample: &a,
            population: 50,
        },
        Stratum {
            sample: &b,
            population: 30,
        },
    ]);
    let result = score_unit(
        &shape,
        &design,
        ScoringOptions::default(),
        &neutral(&shape),
        None,
    )
    .unwrap();
    let p = (50.0 * 0.7 + 30.0 * 0.5) / 80.0;
    let v = (50.0f64 / 80.0).powi(2) * (1.0 - 10.0 / 50.0) * 0.21 / 9.0
        + (30.0f64 / 80.0).powi(2) * (1.0 - 8.0 / 30.0) * 0.25 / 7.0;
    let criterion = result.criteria[0];
    assert_near(criterion.se.unwrap().powi(2), v);
    let expected = wilson(p, p * (1.0 - p) / v, normal_quantile(0.975).unwrap());
    assert_interval(
        criterion.ci_low,
        criterion.ci_high,
        (expected.low, expected.high),
    );
}

#[test]
fn an_item_nobody_answered_is_left_out() {
    // Element 0 = criteria 0, 1; element 1 = criterion 2 (never answered).
    let shape = QuestionnaireShape::new(vec![0, 0, 1]).unwrap();
    let mut sample = Accumulator::new(&shape);
    for answers in [[5, 0, 0], [4, 0, 0], [2, 0, 0], [5, 5, 0]] {
        sample.add(&answers).unwrap();
    }
    let result = score(&shape, &sample, None, &neutral(&shape));
    // Element 0 = mean(3/4, 1/1); element 1 undefined; SIPAS = element 0.
    assert_near(result.elements[0].index.estimate.unwrap(), 0.875);
    assert_eq!(result.elements[1].index.estimate, None);
    assert_eq!(result.elements[1].index.ci_low, None);
    assert_near(result.sipas.estimate.unwrap(), 0.875);
    assert_eq!(result.criteria[2].answered, 0);
    assert_eq!(result.criteria[2].estimate, None);
    assert_eq!(result.criteria[2].ci_low, None);
    // Mean score: mean(16/4, 5/1) = 4.5.
    assert_near(result.mean_score.estimate.unwrap(), 4.5);
}

#[test]
fn other_criterion_methods_use_the_counts() {
    let shape = one_criterion();
    let sample = counts(&shape, 7, 18);
    let reference = neutral(&shape);
    for method in CriterionMethod::ALL {
        let options = ScoringOptions {
            method,
            confidence: Confidence::new(0.9).unwrap(),
        };
        let result = score_unit(
            &shape,
            &Design::simple(&sample, Some(80)),
            options,
            &reference,
            None,
        )
        .unwrap();
        let criterion = result.criteria[0];
        assert_eq!(criterion.method, method);
        if method == CriterionMethod::ClopperPearson {
            // binom.test(7, 25, conf.level = 0.9)$conf.int, via qbeta (the FPC is not used).
            let expected = clopper_pearson(7.0, 25.0, 0.1);
            assert_interval(
                criterion.ci_low,
                criterion.ci_high,
                (expected.low, expected.high),
            );
            assert_near(expected.low, beta_quantile(0.05, 7.0, 19.0).unwrap());
        }
        let (low, high) = (criterion.ci_low.unwrap(), criterion.ci_high.unwrap());
        assert!(
            (0.0..0.28).contains(&low) && (0.28..=1.0).contains(&high) && high > 0.28,
            "{method}"
        );
    }
    // Exact and Jeffreys intervals at the edges build no Beta with a zero shape.
    for (satisfied, dissatisfied) in [(0, 10), (10, 0)] {
        let sample = counts(&shape, satisfied, dissatisfied);
        for method in [CriterionMethod::ClopperPearson, CriterionMethod::Jeffreys] {
            let options = ScoringOptions {
                method,
                ..ScoringOptions::default()
            };
            let criterion = score_unit(
                &shape,
                &Design::simple(&sample, None),
                options,
                &reference,
                None,
            )
            .unwrap()
            .criteria[0];
            if satisfied == 0 {
                assert_eq!(criterion.ci_low, Some(0.0));
            } else {
                assert_eq!(criterion.ci_high, Some(1.0));
            }
        }
    }
}

#[test]
fn confidence_is_validated_never_panics() {
    for bad in [
        0.0,
        1.0,
        -0.5,
        1.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert!(matches!(
            Confidence::new(bad),
            Err(StatisticsError::InvalidConfidence(_))
        ));
    }
    for bad in ["", "abc", "95", "1", "0", "-0.1", "NaN", "inf"] {
        assert!(
            bad.parse::<Confidence>().is_err(),
            "{bad:?} must be rejected"
        );
    }
    assert_eq!("0.9".parse::<Confidence>().unwrap().level(), 0.9);
    assert_eq!(Confidence::default().level(), 0.95);
    assert!(serde_json::from_str::<Confidence>("1.2").is_err());
    assert_eq!(
        serde_json::from_str::<Confidence>("0.8").unwrap().level(),
        0.8
    );
    // A barely valid level works end to end.
    let shape = one_criterion();
    let sample = counts(&shape, 5, 5);
    for level in [1e-9, 0.5, 1.0 - 1e-9] {
        let options = ScoringOptions {
            confidence: Confidence::new(level).unwrap(),
            ..ScoringOptions::default()
        };
        let result = score_unit(
            &shape,
            &Design::simple(&sample, None),
            options,
            &neutral(&shape),
            None,
        )
        .unwrap();
        assert!(result.sipas.ci_low.unwrap() <= 0.5 && 0.5 <= result.sipas.ci_high.unwrap());
    }
    // The quantile functions refuse what statrs would panic on.
    assert!(normal_quantile(1.5).is_err());
    assert!(normal_quantile(f64::NAN).is_err());
    assert!(students_t_quantile(-0.1, 10.0).is_err());
    assert!(students_t_quantile(0.5, 0.0).is_err());
    assert!(chi_squared_quantile(0.5, -1.0).is_err());
    assert!(beta_quantile(0.5, 0.0, 3.0).is_err());
    assert!(beta_quantile(0.5, 3.0, 0.0).is_err());
}

#[test]
fn criterion_method_parsing() {
    for (text, method) in [
        ("wilson-fpc", CriterionMethod::WilsonFpc),
        ("clopper-pearson", CriterionMethod::ClopperPearson),
        ("jeffreys", CriterionMethod::Jeffreys),
        ("agresti-coull", CriterionMethod::AgrestiCoull),
        ("wilson-cc", CriterionMethod::WilsonCc),
    ] {
        assert_eq!(text.parse::<CriterionMethod>().unwrap(), method);
        assert_eq!(method.to_string(), text);
        assert_eq!(serde_json::to_value(method).unwrap(), text);
    }
    assert_eq!(CriterionMethod::default(), CriterionMethod::WilsonFpc);
    assert_eq!(
        "wald".parse::<CriterionMethod>(),
        Err(StatisticsError::UnknownMethod("wald".into()))
    );
}

#[test]
fn par_points_scale_the_index_and_its_interval() {
    let shape = one_criterion();
    let result = score(&shape, &counts(&shape, 18, 7), Some(200), &neutral(&shape));
    let par = result.par(30.0);
    assert_eq!(par.survey_max_points, 30.0);
    assert_near(par.points.unwrap(), 0.72 * 30.0);
    assert_near(par.ci_low.unwrap(), result.sipas.ci_low.unwrap() * 30.0);
    assert_near(par.ci_high.unwrap(), result.sipas.ci_high.unwrap() * 30.0);
    // Hà Tĩnh 2021: 91.17 % of 10 points.
    let national = sipas_domain::statistics::ParPoints::from_index(
        &sipas_domain::statistics::Estimate {
            estimate: Some(0.9117),
            ..Default::default()
        },
        10.0,
    );
    assert_near(national.points.unwrap(), 9.117);
    assert_eq!(national.ci_low, None);
    // The served field names.
    let json = serde_json::to_value(national).unwrap();
    let mut fields: Vec<&String> = json.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["ci_high", "ci_low", "points", "survey_max_points"]);
    assert_eq!(json["survey_max_points"], 10.0);
}

#[test]
fn flags_and_quota() {
    let shape = one_criterion();
    let sample = counts(&shape, 20, 20);
    let reference = neutral(&shape);
    let design = Design::simple(&sample, Some(400));
    let options = ScoringOptions::default();
    let below = score_unit(&shape, &design, options, &reference, Some(45)).unwrap();
    assert_eq!(below.flags, vec![Flag::BelowQuota]);
    let met = score_unit(&shape, &design, options, &reference, Some(40)).unwrap();
    assert!(met.flags.is_empty());
    let json = serde_json::to_value(&below).unwrap();
    assert_eq!(json["flags"], serde_json::json!(["below_quota"]));
    assert_eq!(json["criteria"][0]["method"], "wilson-fpc");
    let small = score(&shape, &counts(&shape, 1, 1), None, &reference);
    let json = serde_json::to_value(&small).unwrap();
    assert_eq!(
        json["flags"],
        serde_json::json!(["no_frame", "small_sample", "few_dissatisfied"])
    );
    // Half-width of the SIPAS interval: the margin reported next to the quota.
    let margin = met.margin_achieved().unwrap();
    assert_near(
        margin,
        (met.sipas.ci_high.unwrap() - met.sipas.ci_low.unwrap()) / 2.0,
    );
}

#[test]
fn inconsistent_inputs_are_errors() {
    let shape = one_criterion();
    let other = QuestionnaireShape::new(vec![0, 1]).unwrap();
    let sample = counts(&shape, 5, 5);
    let reference = neutral(&shape);
    let options = ScoringOptions::default();
    assert_eq!(
        score_unit(
            &shape,
            &Design::simple(&sample, Some(9)),
            options,
            &reference,
            None
        ),
        Err(StatisticsError::SampleExceedsFrame {
            responses: 10,
            population: 9
        })
    );
    assert!(matches!(
        score_unit(
            &other,
            &Design::simple(&sample, None),
            options,
            &reference,
            None
        ),
        Err(StatisticsError::CriteriaMismatch { .. })
    ));
    // A campaign keeps going: the bad unit carries its error.
    let good = counts(&shape, 3, 3);
    let designs = [
        Design::simple(&sample, Some(9)),
        Design::simple(&good, Some(9)),
    ];
    let analysis = CampaignAnalysis::compute(&shape, &designs);
    let results = analysis.score(&shape, options, &[]);
    assert!(results[0].is_err());
    assert!(results[1].is_ok());
    assert!(QuestionnaireShape::new(vec![]).is_err());
    assert!(
        QuestionnaireShape::new(vec![0, 2]).is_err(),
        "element 1 empty"
    );
    assert!(QuestionnaireShape::new(vec![0; 65]).is_err());
}

#[test]
fn change_needs_both_intervals_and_is_significant_only_off_zero() {
    let estimate = |estimate: f64, low: f64, high: f64| Estimate {
        estimate: Some(estimate),
        se: Some((high - low) / 4.0),
        df: Some(30),
        ci_low: Some(low),
        ci_high: Some(high),
    };
    let round_1 = estimate(0.6, 0.5, 0.68);
    // Δ = 0.2, L = 0.2 − √(0.05² + 0.08²), U = 0.2 + √(0.04² + 0.1²).
    let up = change(&round_1, &estimate(0.8, 0.75, 0.84)).unwrap();
    assert_near(up.estimate, 0.8 - 0.6);
    assert_near(up.ci_low, 0.2 - (0.05f64.powi(2) + 0.08f64.powi(2)).sqrt());
    assert_near(up.ci_high, 0.2 + (0.04f64.powi(2) + 0.1f64.powi(2)).sqrt());
    assert!(up.significant);
    // Down, and clearly: the interval below 0.
    let down = change(&round_1, &estimate(0.3, 0.25, 0.36)).unwrap();
    assert!(down.ci_high < 0.0 && down.significant);
    // A positive Δ whose interval straddles 0 is no clear change.
    let unclear = change(&round_1, &estimate(0.65, 0.55, 0.74)).unwrap();
    assert!(unclear.estimate > 0.0 && unclear.ci_low < 0.0 && !unclear.significant);
    // Either side without an estimate or an interval (n < 2): nothing to say.
    let point_only = Estimate {
        estimate: Some(0.7),
        ..Estimate::default()
    };
    for missing in [Estimate::default(), point_only] {
        assert_eq!(change(&missing, &round_1), None);
        assert_eq!(change(&round_1, &missing), None);
    }
}

#[test]
fn group_aggregate_leaves_out_units_without_frame() {
    // Two framed units of one criterion: I = (100·0.6 + 300·0.8)/400 and
    // v = Σ W²(1 − f) p(1 − p)/(n − 1).
    let shape = one_criterion();
    let (a, b, c) = (
        counts(&shape, 6, 4),
        counts(&shape, 16, 4),
        counts(&shape, 3, 3),
    );
    let moments: Vec<UnitMoments> = [
        Design::simple(&a, Some(100)),
        Design::simple(&c, None),
        Design::simple(&b, Some(300)),
    ]
    .iter()
    .map(|design| UnitMoments::compute(&shape, design).unwrap())
    .collect();
    let group = aggregate(&moments, Confidence::default());
    assert_eq!(group.units_included, 2);
    assert_eq!(group.left_out.len(), 1);
    assert_eq!(group.left_out[0].unit, 1);
    assert_eq!(group.left_out[0].reason, LeftOutReason::NoFrame);
    assert_eq!((group.n, group.population, group.strata), (30, 400, 2));
    let estimate = (100.0 * 0.6 + 300.0 * 0.8) / 400.0;
    let v =
        0.25f64.powi(2) * 0.9 * 0.24 / 9.0 + 0.75f64.powi(2) * (1.0 - 20.0 / 300.0) * 0.16 / 19.0;
    assert_near(group.sipas.estimate.unwrap(), estimate);
    assert_near(group.sipas.se.unwrap().powi(2), v);
    let t = students_t_quantile(0.975, 28.0).unwrap();
    let expected = wilson(estimate, estimate * (1.0 - estimate) / v, t);
    assert_interval(
        group.sipas.ci_low,
        group.sipas.ci_high,
        (expected.low, expected.high),
    );
    // One element of one criterion: its group index is the SIPAS index, by the same rule.
    assert_eq!(group.elements, [group.sipas]);

    // Nothing to weight: no estimate, and every unit is listed.
    let group = aggregate(&moments[1..2], Confidence::default());
    assert_eq!(group.sipas.estimate, None);
    assert_eq!(group.elements, [Estimate::default()]);
    assert_eq!(group.units_included, 0);
    assert_eq!(group.left_out.len(), 1);
}

#[test]
fn accumulator_rejects_malformed_responses() {
    let shape = QuestionnaireShape::new(vec![0, 0, 1]).unwrap();
    let mut sample = Accumulator::new(&shape);
    assert_eq!(
        sample.add(&[1, 2]),
        Err(StatisticsError::AnswerCount {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        sample.add(&[1, 6, 2]),
        Err(StatisticsError::AnswerOutOfRange {
            criterion: 1,
            value: 6
        })
    );
    assert_eq!(sample, Accumulator::new(&shape), "nothing half-added");
    assert!(sample.merge(&Accumulator::new(&one_criterion())).is_err());
}

#[test]
fn accumulator_serialisation_round_trips_and_detects_damage() {
    let shape = QuestionnaireShape::from_element_sizes(&[2, 3]).unwrap();
    let mut sample = Accumulator::new(&shape);
    for i in 0..50u8 {
        sample
            .add(&[i % 6, (i / 2) % 6, 5 - i % 6, (i % 6 * 5) % 6, 1 + i % 5])
            .unwrap();
    }
    let words = sample.to_words();
    assert_eq!(Accumulator::from_words(&words).unwrap(), sample);
    assert_eq!(Accumulator::from_bytes(&sample.to_bytes()).unwrap(), sample);
    assert!(Accumulator::from_words(&words[..words.len() - 1]).is_err());
    assert!(Accumulator::from_bytes(&sample.to_bytes()[1..]).is_err());
    let mut wrong_version = words.clone();
    wrong_version[0] = 99;
    assert!(Accumulator::from_words(&wrong_version).is_err());
    let mut inflated = words.clone();
    inflated[2] = 0; // n = 0 while criteria were answered
    assert!(matches!(
        Accumulator::from_words(&inflated),
        Err(StatisticsError::CorruptStatistics(_))
    ));
    assert!(Accumulator::from_words(&[]).is_err());
}

#[test]
fn scorer_reuses_quantiles_consistently() {
    // A scorer shared across units gives what a fresh one gives.
    let shape = one_criterion();
    let samples = [
        counts(&shape, 10, 5),
        counts(&shape, 30, 3),
        counts(&shape, 10, 5),
    ];
    let reference = neutral(&shape);
    let mut shared = Scorer::new(ScoringOptions::default());
    for sample in &samples {
        let moments = UnitMoments::compute(&shape, &Design::simple(sample, None)).unwrap();
        let fresh =
            Scorer::new(ScoringOptions::default()).score(&shape, &moments, &reference, None);
        assert_eq!(shared.score(&shape, &moments, &reference, None), fresh);
    }
}
