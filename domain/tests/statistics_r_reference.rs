//! The statistics engine against R: estimates and linearised variances from the
//! `survey` package, quantiles and binomial intervals from base R, and the interval
//! rules of docs/statistics.md (unit, group and change between two rounds) applied in R
//! to R's own variances. The fixtures and the script that writes them are in
//! tests/fixtures/statistics/ (`Rscript generate.R`).

use serde_json::Value;
use sipas_domain::statistics::{
    Accumulator, CampaignAnalysis, Change, Confidence, Design, ElementResult, Estimate, Flag,
    GroupEstimate, Moments, QuestionnaireShape, ScoringOptions, Stratum, UnitMoments, UnitResult,
    aggregate, agresti_coull, beta_quantile, change, chi_squared_quantile, clopper_pearson,
    jeffreys, normal_quantile, students_t_quantile, wilson, wilson_cc,
};

const UNITS: &str = include_str!("fixtures/statistics/units.json");
const AGGREGATE: &str = include_str!("fixtures/statistics/aggregate.json");
const CHANGE: &str = include_str!("fixtures/statistics/change.json");
const QUANTILES: &str = include_str!("fixtures/statistics/quantiles.json");
const PROPORTIONS: &str = include_str!("fixtures/statistics/proportions.json");

/// The contract's tolerance: 1e-9 relative. The absolute slack only matters for values
/// that are 0 in exact arithmetic, where R leaves rounding noise far below it.
const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-15;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= RELATIVE * actual.abs().max(expected.abs()) + ABSOLUTE
}

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        close(actual, expected),
        "{what}: engine {actual:.17e}, R {expected:.17e} (relative error {:.3e})",
        ((actual - expected) / expected).abs()
    );
}

/// Compares an optional engine value with a JSON number or null.
#[track_caller]
fn assert_optional(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (Some(actual), Some(expected)) => assert_close(actual, expected, what),
        (None, None) => {}
        (actual, _) => panic!("{what}: engine {actual:?}, R {expected}"),
    }
}

fn f64_of(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

fn u64_of(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| f64_of(value) as u64)
}

struct FixtureUnit {
    name: String,
    campaign: String,
    shape: QuestionnaireShape,
    confidence: Confidence,
    frame: String,
    population: Option<u64>,
    strata: Vec<(Accumulator, Option<u64>)>,
    expected: Value,
}

fn parse_answers(text: &str) -> Vec<u8> {
    text.bytes().map(|digit| digit - b'0').collect()
}

fn fixture_units() -> Vec<FixtureUnit> {
    let fixture: Value = serde_json::from_str(UNITS).expect("units.json");
    parse_units(&fixture["units"])
}

/// Units as generate.R writes them (`unit_input`, with `expected` where it has one).
fn parse_units(units: &Value) -> Vec<FixtureUnit> {
    units
        .as_array()
        .expect("units")
        .iter()
        .map(|unit| {
            let element_of = unit["element_of"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| u64_of(e) as usize)
                .collect();
            let shape = QuestionnaireShape::new(element_of).unwrap();
            let strata = unit["strata"]
                .as_array()
                .unwrap()
                .iter()
                .map(|stratum| {
                    let mut accumulator = Accumulator::new(&shape);
                    for response in stratum["responses"].as_array().unwrap() {
                        accumulator
                            .add(&parse_answers(response.as_str().unwrap()))
                            .unwrap();
                    }
                    (
                        accumulator,
                        stratum["population"].as_f64().map(|p| p as u64),
                    )
                })
                .collect();
            FixtureUnit {
                name: unit["name"].as_str().unwrap().to_owned(),
                campaign: unit["campaign"].as_str().unwrap().to_owned(),
                shape,
                confidence: Confidence::new(f64_of(&unit["confidence"])).unwrap(),
                frame: unit["frame"].as_str().unwrap().to_owned(),
                population: unit["population"].as_f64().map(|p| p as u64),
                strata,
                expected: unit["expected"].clone(),
            }
        })
        .collect()
}

fn design_of(unit: &FixtureUnit) -> Design<'_> {
    match unit.frame.as_str() {
        "none" => Design::Pooled {
            samples: unit.strata.iter().map(|(sample, _)| sample).collect(),
            population: None,
        },
        "unit" => Design::Pooled {
            samples: unit.strata.iter().map(|(sample, _)| sample).collect(),
            population: unit.population,
        },
        "strata" => Design::Stratified(
            unit.strata
                .iter()
                .map(|(sample, population)| Stratum {
                    sample,
                    population: population.expect("N_h"),
                })
                .collect(),
        ),
        other => panic!("unknown frame {other}"),
    }
}

fn check_moments(moments: &Moments, expected: &Value, what: &str) {
    assert_optional(
        moments.estimate,
        &expected["estimate"],
        &format!("{what} estimate"),
    );
    assert_optional(
        moments.variance,
        &expected["variance"],
        &format!("{what} variance"),
    );
    assert_optional(
        moments.variance_without_fpc,
        &expected["variance_without_fpc"],
        &format!("{what} v0"),
    );
}

fn check_estimate(estimate: &Estimate, moments: &Moments, expected: &Value, what: &str) {
    assert_optional(
        estimate.estimate,
        &expected["estimate"],
        &format!("{what} estimate"),
    );
    assert_optional(
        estimate.se,
        &expected["variance"].as_f64().map(f64::sqrt).into(),
        &format!("{what} se"),
    );
    assert_optional(
        estimate.ci_low,
        &expected["ci_low"],
        &format!("{what} ci_low"),
    );
    assert_optional(
        estimate.ci_high,
        &expected["ci_high"],
        &format!("{what} ci_high"),
    );
    assert_eq!(
        estimate.se.is_some(),
        moments.variance.is_some(),
        "{what}: se iff variance"
    );
}

/// A mean score (the unit's, an element's or a criterion's): moments and `± t·se`.
fn check_mean_score(estimate: &Estimate, moments: &Moments, expected: &Value, what: &str) {
    let what = format!("{what} mean score");
    check_moments(moments, expected, &what);
    check_estimate(estimate, moments, expected, &what);
    assert_eq!(
        estimate.df.is_some(),
        !expected["ci_low"].is_null(),
        "{what}: df iff interval"
    );
}

fn check_index(element: &ElementResult, moments: &Moments, expected: &Value, what: &str) {
    check_moments(moments, expected, what);
    check_estimate(&element.index, moments, expected, what);
    if expected["estimate"].is_null() || expected["ci_low"].is_null() {
        return;
    }
    assert_optional(
        element.detail.n_eff,
        &expected["n_eff"],
        &format!("{what} n_eff"),
    );
    assert_optional(
        element.detail.design_effect,
        &expected["design_effect"],
        &format!("{what} design effect"),
    );
    assert_optional(
        element.detail.effective_count,
        &expected["effective_count"],
        &format!("{what} c"),
    );
    assert_eq!(
        element.detail.floor_applied,
        expected["floor_applied"].as_bool().unwrap(),
        "{what} floor"
    );
}

fn check_unit(unit: &FixtureUnit, moments: &UnitMoments, result: &UnitResult) {
    let expected = &unit.expected;
    let name = &unit.name;
    assert_eq!(result.n, u64_of(&expected["n"]), "{name} n");
    assert_eq!(
        result.strata as u64,
        u64_of(&expected["strata"]),
        "{name} strata"
    );
    assert_eq!(
        result.population,
        expected["population"].as_f64().map(|p| p as u64),
        "{name} population"
    );
    assert_eq!(
        result.has_flag(Flag::StratumMerged),
        expected["stratum_merged"].as_bool().unwrap(),
        "{name} stratum_merged"
    );
    assert_eq!(
        result.sipas.df,
        expected["df"].as_f64().map(|df| df as u64),
        "{name} df"
    );
    assert_eq!(
        result.has_flag(Flag::NoVariance),
        result.n < 2,
        "{name} no_variance"
    );
    assert_eq!(
        result.has_flag(Flag::NoFrame),
        unit.frame == "none",
        "{name} no_frame"
    );

    let sipas = ElementResult {
        index: result.sipas,
        mean_score: result.mean_score,
        detail: result.sipas_detail,
    };
    check_index(
        &sipas,
        &moments.sipas,
        &expected["sipas"],
        &format!("{name} SIPAS"),
    );
    check_mean_score(
        &result.mean_score,
        &moments.mean_score,
        &expected["mean_score"],
        name,
    );
    let elements = expected["elements"].as_array().unwrap();
    assert_eq!(elements.len(), result.elements.len());
    assert_eq!(elements.len(), moments.element_mean_scores.len());
    for (e, expected) in elements.iter().enumerate() {
        let what = format!("{name} element {e}");
        if expected.is_null() {
            assert_eq!(result.elements[e].index, Estimate::default(), "{what}");
            assert_eq!(result.elements[e].mean_score, Estimate::default(), "{what}");
            continue;
        }
        check_index(&result.elements[e], &moments.elements[e], expected, &what);
        check_mean_score(
            &result.elements[e].mean_score,
            &moments.element_mean_scores[e],
            &expected["mean_score"],
            &what,
        );
    }
    let criteria = expected["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), result.criteria.len());
    for (k, expected) in criteria.iter().enumerate() {
        let what = format!("{name} criterion {k}");
        let criterion = &result.criteria[k];
        assert_eq!(criterion.answered, u64_of(&expected["answered"]), "{what}");
        assert_eq!(
            criterion.satisfied,
            u64_of(&expected["satisfied"]),
            "{what}"
        );
        check_moments(&moments.criteria[k].index, expected, &what);
        assert_optional(
            criterion.estimate,
            &expected["estimate"],
            &format!("{what} estimate"),
        );
        assert_optional(
            criterion.ci_low,
            &expected["ci_low"],
            &format!("{what} ci_low"),
        );
        assert_optional(
            criterion.ci_high,
            &expected["ci_high"],
            &format!("{what} ci_high"),
        );
        check_mean_score(
            &criterion.mean_score,
            &moments.criteria[k].mean_score,
            &expected["mean_score"],
            &what,
        );
    }
}

#[test]
fn units_match_r_survey() {
    let units = fixture_units();
    let fixture: Value = serde_json::from_str(UNITS).unwrap();
    let mut campaigns: Vec<&str> = units.iter().map(|unit| unit.campaign.as_str()).collect();
    campaigns.dedup();
    let mut checked = 0;
    for campaign in campaigns {
        let members: Vec<&FixtureUnit> = units
            .iter()
            .filter(|unit| unit.campaign == campaign)
            .collect();
        let shape = &members[0].shape;
        let designs: Vec<Design<'_>> = members.iter().map(|unit| design_of(unit)).collect();
        let analysis = CampaignAnalysis::compute(shape, &designs);

        // D_ref pooled over the campaign, SIPAS and every element.
        let reference = &fixture["references"][campaign];
        let pooled = &analysis.design_effect_reference;
        let check_pool =
            |pool: &sipas_domain::statistics::PooledDesignEffect, expected: &Value, what: &str| {
                assert_eq!(
                    pool.units as u64,
                    u64_of(&expected["units"]),
                    "{what} units"
                );
                assert_close(pool.numerator, f64_of(&expected["numerator"]), what);
                assert_close(pool.denominator, f64_of(&expected["denominator"]), what);
                assert_close(pool.value(), f64_of(&expected["value"]), what);
            };
        check_pool(
            &pooled.sipas,
            &reference["sipas"],
            &format!("{campaign} D_ref SIPAS"),
        );
        for (e, pool) in pooled.elements.iter().enumerate() {
            check_pool(
                pool,
                &reference["elements"][e],
                &format!("{campaign} D_ref element {e}"),
            );
        }

        for (i, unit) in members.iter().enumerate() {
            let moments = analysis.units[i].as_ref().expect("consistent unit");
            let options = ScoringOptions {
                confidence: unit.confidence,
                ..ScoringOptions::default()
            };
            let result = analysis.score(shape, options, &[]).remove(i).unwrap();
            check_unit(unit, moments, &result);
            checked += 1;
        }
    }
    assert_eq!(checked, fixture["units"].as_array().unwrap().len());
}

/// A published snapshot stores each unit's moments and the campaign's `D_ref` as JSON
/// and re-scores them later: read back, they must give the very same results, at the
/// campaign's confidence and at any other, with every criterion method.
#[test]
fn moments_and_reference_read_back_from_json_score_exactly() {
    use sipas_domain::statistics::{CriterionMethod, DesignEffectReference, Scorer};
    let units = fixture_units();
    let mut campaigns: Vec<&str> = units.iter().map(|unit| unit.campaign.as_str()).collect();
    campaigns.dedup();
    let mut compared = 0;
    for campaign in campaigns {
        let members: Vec<&FixtureUnit> = units
            .iter()
            .filter(|unit| unit.campaign == campaign)
            .collect();
        let shape = &members[0].shape;
        let designs: Vec<Design<'_>> = members.iter().map(|unit| design_of(unit)).collect();
        let analysis = CampaignAnalysis::compute(shape, &designs);
        let moments: Vec<UnitMoments> = analysis
            .units
            .iter()
            .map(|u| u.clone().expect("consistent unit"))
            .collect();
        let json = serde_json::to_string(&(&moments, &analysis.design_effect_reference)).unwrap();
        let (restored, reference): (Vec<UnitMoments>, DesignEffectReference) =
            serde_json::from_str(&json).unwrap();
        assert_eq!(
            restored, moments,
            "{campaign}: moments read back bit for bit"
        );
        assert_eq!(reference, analysis.design_effect_reference);
        for level in [0.9, 0.95, 0.99] {
            for method in CriterionMethod::ALL {
                let options = ScoringOptions {
                    confidence: Confidence::new(level).unwrap(),
                    method,
                };
                let live = analysis.score(shape, options, &[]);
                let mut scorer = Scorer::new(options);
                for (unit, expected) in restored.iter().zip(live) {
                    let again = scorer.score(shape, unit, &reference, None);
                    assert_eq!(again, expected.unwrap(), "{campaign} at {level} {method:?}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 0);
}

#[test]
fn group_aggregate_matches_r_combined_design() {
    let units = fixture_units();
    let fixture: Value = serde_json::from_str(AGGREGATE).unwrap();
    let expected = &fixture["expected"];
    let members: Vec<&FixtureUnit> = fixture["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| {
            units
                .iter()
                .find(|unit| unit.name == name.as_str().unwrap())
                .unwrap()
        })
        .collect();
    let moments: Vec<UnitMoments> = members
        .iter()
        .map(|unit| UnitMoments::compute(&unit.shape, &design_of(unit)).unwrap())
        .collect();
    let confidence = Confidence::new(f64_of(&fixture["confidence"])).unwrap();
    let group = aggregate(&moments, confidence);
    check_group(&group, expected, "group");
}

/// A group estimate against R's combined design (`group_estimate` in generate.R).
fn check_group(group: &GroupEstimate, expected: &Value, what: &str) {
    assert_eq!(group.n, u64_of(&expected["n"]), "{what} n");
    assert_eq!(group.strata as u64, u64_of(&expected["strata"]), "{what} H");
    assert_eq!(
        group.population,
        u64_of(&expected["population"]),
        "{what} N"
    );
    assert_eq!(
        group.units_included as u64,
        u64_of(&expected["units_included"]),
        "{what} units included"
    );
    assert_eq!(group.sipas.df, Some(u64_of(&expected["df"])), "{what} df");
    let left_out: Vec<(u64, String)> = group
        .left_out
        .iter()
        .map(|unit| {
            let reason = serde_json::to_value(unit.reason).unwrap();
            (unit.unit as u64, reason.as_str().unwrap().to_owned())
        })
        .collect();
    let expected_left_out: Vec<(u64, String)> = expected["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unit| {
            (
                u64_of(&unit["unit"]),
                unit["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(left_out, expected_left_out, "{what} left out");
    let elements = expected["elements"].as_array().unwrap();
    assert_eq!(group.elements.len(), elements.len(), "{what} elements");
    let mut figures = vec![
        (&group.sipas, &expected["sipas"], format!("{what} SIPAS")),
        (
            &group.mean_score,
            &expected["mean_score"],
            format!("{what} mean score"),
        ),
    ];
    for (e, (estimate, expected)) in group.elements.iter().zip(elements).enumerate() {
        if expected.is_null() {
            assert_eq!(estimate.estimate, None, "{what} element {e}");
            continue;
        }
        figures.push((estimate, expected, format!("{what} element {e}")));
    }
    for (estimate, expected, what) in figures {
        assert_optional(estimate.estimate, &expected["estimate"], &what);
        assert_close(
            estimate.se.unwrap().powi(2),
            f64_of(&expected["variance"]),
            &what,
        );
        assert_eq!(estimate.df, group.sipas.df, "{what} df");
        assert_optional(estimate.ci_low, &expected["ci_low"], &what);
        assert_optional(estimate.ci_high, &expected["ci_high"], &what);
    }
}

#[track_caller]
fn check_change(actual: Option<Change>, expected: &Value, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: no change computed"));
    assert_close(actual.estimate, f64_of(&expected["estimate"]), what);
    assert_close(
        actual.ci_low,
        f64_of(&expected["ci_low"]),
        &format!("{what} low"),
    );
    assert_close(
        actual.ci_high,
        f64_of(&expected["ci_high"]),
        &format!("{what} high"),
    );
    assert_eq!(
        actual.significant,
        expected["significant"].as_bool().unwrap(),
        "{what} significant"
    );
}

#[test]
fn change_between_rounds_matches_r() {
    let fixture: Value = serde_json::from_str(CHANGE).unwrap();
    let confidence = Confidence::new(f64_of(&fixture["confidence"])).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    let round_2 = parse_units(&Value::Array(
        cases.iter().map(|case| case["round_2"].clone()).collect(),
    ));
    // The round-2 units are one campaign (D_ref pooled over them).
    let shape = &round_2[0].shape;
    let designs: Vec<Design<'_>> = round_2.iter().map(design_of).collect();
    let analysis = CampaignAnalysis::compute(shape, &designs);
    let reference = &fixture["round_2_reference"]["sipas"];
    assert_close(
        analysis.design_effect_reference.sipas.value(),
        f64_of(&reference["value"]),
        "round 2 D_ref",
    );
    let options = ScoringOptions {
        confidence,
        ..ScoringOptions::default()
    };
    let scored = analysis.score(shape, options, &[]);

    let mut significance = Vec::new();
    for (case, unit) in cases.iter().zip(scored) {
        let name = case["name"].as_str().unwrap();
        let expected = &case["expected"];
        let round_1 = parse_units(&case["round_1"]);
        let moments: Vec<UnitMoments> = round_1
            .iter()
            .map(|unit| UnitMoments::compute(&unit.shape, &design_of(unit)).unwrap())
            .collect();
        let group = aggregate(&moments, confidence);
        check_group(&group, &expected["round_1"], &format!("{name} round 1"));

        let unit = unit.expect("consistent unit");
        let what = format!("{name} round 2");
        for (actual, expected, what) in std::iter::once((
            &unit.sipas,
            &expected["round_2"]["sipas"],
            format!("{what} SIPAS"),
        ))
        .chain(
            unit.elements
                .iter()
                .zip(expected["round_2"]["elements"].as_array().unwrap())
                .enumerate()
                .map(|(e, (element, expected))| {
                    (&element.index, expected, format!("{what} element {e}"))
                }),
        ) {
            assert_optional(actual.estimate, &expected["estimate"], &what);
            assert_optional(actual.ci_low, &expected["ci_low"], &what);
            assert_optional(actual.ci_high, &expected["ci_high"], &what);
        }

        let expected_change = &expected["change"];
        check_change(
            change(&group.sipas, &unit.sipas),
            &expected_change["sipas"],
            &format!("{name} change SIPAS"),
        );
        significance.push(expected_change["sipas"]["significant"].as_bool().unwrap());
        let elements = expected_change["elements"].as_array().unwrap();
        assert_eq!(elements.len(), unit.elements.len(), "{name} elements");
        for (e, expected) in elements.iter().enumerate() {
            check_change(
                change(&group.elements[e], &unit.elements[e].index),
                expected,
                &format!("{name} change element {e}"),
            );
            significance.push(expected["significant"].as_bool().unwrap());
        }
    }
    // Both answers were exercised.
    assert!(significance.contains(&true) && significance.contains(&false));
}

#[test]
fn quantiles_match_r() {
    let fixture: Value = serde_json::from_str(QUANTILES).unwrap();
    let cases = |name: &str| fixture[name].as_array().unwrap().clone();
    for case in cases("normal") {
        let p = f64_of(&case["p"]);
        assert_close(
            normal_quantile(p).unwrap(),
            f64_of(&case["q"]),
            &format!("qnorm({p})"),
        );
    }
    for case in cases("students_t") {
        let (p, df) = (f64_of(&case["p"]), f64_of(&case["df"]));
        assert_close(
            students_t_quantile(p, df).unwrap(),
            f64_of(&case["q"]),
            &format!("qt({p}, {df})"),
        );
    }
    for case in cases("chi_squared") {
        let (p, df) = (f64_of(&case["p"]), f64_of(&case["df"]));
        assert_close(
            chi_squared_quantile(p, df).unwrap(),
            f64_of(&case["q"]),
            &format!("qchisq({p}, {df})"),
        );
    }
    for case in cases("beta") {
        let (p, a, b) = (f64_of(&case["p"]), f64_of(&case["a"]), f64_of(&case["b"]));
        assert_close(
            beta_quantile(p, a, b).unwrap(),
            f64_of(&case["q"]),
            &format!("qbeta({p}, {a}, {b})"),
        );
    }
}

#[test]
fn binomial_intervals_match_r() {
    let fixture: Value = serde_json::from_str(PROPORTIONS).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let (x, n) = (f64_of(&case["x"]), f64_of(&case["n"]));
        let confidence = f64_of(&case["confidence"]);
        let alpha = 1.0 - confidence;
        let z = normal_quantile(1.0 - alpha / 2.0).unwrap();
        let check = |interval: sipas_domain::statistics::Interval, method: &str| {
            let expected = case[method].as_array().unwrap();
            let what = format!("{method} x={x} n={n} confidence={confidence}");
            assert_close(interval.low, f64_of(&expected[0]), &format!("{what} low"));
            assert_close(interval.high, f64_of(&expected[1]), &format!("{what} high"));
        };
        check(clopper_pearson(x, n, alpha), "clopper_pearson");
        check(jeffreys(x, n, alpha), "jeffreys");
        check(agresti_coull(x, n, z), "agresti_coull");
        check(wilson(x / n, n, z), "wilson");
        check(wilson_cc(x, n, z), "wilson_cc");
    }
}
