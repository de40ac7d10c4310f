//! League tables with rank intervals against an independent implementation:
//! tests/fixtures/league/generate.py (numpy and scipy) computes, from the raw answers of
//! 18 synthetic units, every unit's SIPAS index, its linearised variance, the pooled
//! `D_ref`, the unit intervals at the league's `γ` (Wilson with the `t` quantile, the
//! design-effect floor, the degenerate rule), then totals, ranks and the Bonferroni /
//! MOVER rank intervals, all by docs/statistics.md and none of it by this crate. Here
//! the engine scores the same answers (phase one and two, as the service does) and the
//! league module ranks them; intervals and totals must agree to 1e-9 relative, the
//! reasons, `K`, ranks and rank intervals exactly. The script refuses data where a
//! rank decision would rest on a difference below 1e-6.

use serde_json::Value;
use sipas_domain::statistics::league::{self, Contender};
use sipas_domain::statistics::{
    Accumulator, CampaignAnalysis, Confidence, Design, QuestionnaireShape, ScoringOptions,
};

const FIXTURE: &str = include_str!("fixtures/league/league.json");

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * actual.abs().max(expected.abs()) + 1e-15,
        "{what}: engine {actual:.17e}, scipy {expected:.17e}"
    );
}

#[test]
fn the_league_matches_the_independent_computation() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shape = QuestionnaireShape::new(
        fixture["element_of"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_u64().unwrap() as usize)
            .collect(),
    )
    .unwrap();
    let m = fixture["survey_max_points"].as_f64().unwrap();
    let units = fixture["units"].as_array().unwrap();
    let samples: Vec<Accumulator> = units
        .iter()
        .map(|u| {
            let mut acc = Accumulator::new(&shape);
            for r in u["responses"].as_array().unwrap() {
                let answers: Vec<u8> = r.as_str().unwrap().bytes().map(|b| b - b'0').collect();
                acc.add(&answers).unwrap();
            }
            acc
        })
        .collect();
    let designs: Vec<Design<'_>> = units
        .iter()
        .zip(&samples)
        .map(|(u, s)| Design::Pooled {
            samples: vec![s],
            population: u["population"].as_u64(),
        })
        .collect();
    let analysis = CampaignAnalysis::compute(&shape, &designs);
    assert_close(
        analysis.design_effect_reference.sipas.value(),
        fixture["d_ref"].as_f64().unwrap(),
        "D_ref",
    );

    // Step one: who is ranked, hence γ.
    let reasons: Vec<_> = units
        .iter()
        .zip(&analysis.units)
        .map(|(u, moments)| {
            let moments = moments.as_ref().unwrap();
            let n = moments.n;
            league::unranked_reason((n > 0).then_some(0.0), n, u["appraised"].as_f64(), false)
        })
        .collect();
    for (u, reason) in units.iter().zip(&reasons) {
        assert_eq!(
            reason.map(|r| r.as_str()),
            u["expected"]["reason"].as_str(),
            "{}",
            u["code"]
        );
    }
    let k = reasons.iter().filter(|r| r.is_none()).count();
    assert_eq!(k as u64, fixture["ranked"].as_u64().unwrap());
    let gamma = league::confidence(k).unwrap();
    assert_close(gamma, fixture["gamma"].as_f64().unwrap(), "γ");

    // Step two: the unit intervals at γ, then the league.
    let options = ScoringOptions {
        confidence: Confidence::new(gamma).unwrap(),
        method: Default::default(),
    };
    let results = analysis.score(&shape, options, &[]);
    let mut ranked = Vec::new();
    for ((u, reason), result) in units.iter().zip(&reasons).zip(&results) {
        if reason.is_some() {
            continue;
        }
        let result = result.as_ref().unwrap();
        let expected = &u["expected"];
        let code = u["code"].as_str().unwrap();
        assert_eq!(result.n, expected["n"].as_u64().unwrap(), "{code} n");
        let s = &result.sipas;
        let contender = Contender {
            appraised: u["appraised"].as_f64().unwrap(),
            index: s.estimate.unwrap(),
            low: s.ci_low.unwrap(),
            high: s.ci_high.unwrap(),
        };
        assert_close(
            contender.index,
            expected["index"].as_f64().unwrap(),
            &format!("{code} I"),
        );
        assert_close(
            contender.low,
            expected["ci_low"].as_f64().unwrap(),
            &format!("{code} l_γ"),
        );
        assert_close(
            contender.high,
            expected["ci_high"].as_f64().unwrap(),
            &format!("{code} u_γ"),
        );
        ranked.push((code, expected, contender));
    }
    let contenders: Vec<Contender> = ranked.iter().map(|(_, _, c)| *c).collect();
    for ((code, expected, _), placing) in ranked.iter().zip(league::rank(&contenders, m)) {
        assert_close(
            placing.total,
            expected["total"].as_f64().unwrap(),
            &format!("{code} total"),
        );
        assert_eq!(
            (placing.rank, placing.rank_low, placing.rank_high),
            (
                expected["rank"].as_u64().unwrap() as usize,
                expected["rank_low"].as_u64().unwrap() as usize,
                expected["rank_high"].as_u64().unwrap() as usize,
            ),
            "{code}: rank, rank_low, rank_high"
        );
    }
    // The fixture holds a tie (two units with the same answers and points).
    let mut ranks: Vec<u64> = ranked
        .iter()
        .map(|(_, e, _)| e["rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert!(ranks.windows(2).any(|w| w[0] == w[1]), "the fixture's tie");
}
