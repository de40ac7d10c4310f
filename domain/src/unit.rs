//! Units of the PAR Index (the province, departments, central agencies, districts,
//! communes) and their one-stop service points. Unit types are data, not an enum: the
//! 2021 three-tier structure and the 2025 two-tier one differ in their types and tree.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::campaign::FieldError;

/// A kind of unit and what the PAR Index gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitType {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Depth in the administrative tree (province = 0).
    pub tier: i32,
    /// Smallest quota a unit of this type gets, whatever its frame says (never above N).
    pub quota_floor: u32,
}

/// How many PAR Index points a unit type's total has and how many come from the survey
/// (the maxima; a unit's earned points are `statistics::ParPoints`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParMaxPoints {
    pub criteria_max_points: f64,
    pub survey_max_points: f64,
    pub max_total: f64,
}

/// A named PAR scheme (a decision of the province's People's Committee): the points
/// of each unit type. A campaign names its scheme; a type it leaves out earns no
/// points (the province itself, say).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParScheme {
    pub code: String,
    pub name: String,
    pub points: BTreeMap<String, ParMaxPoints>,
}

impl ParScheme {
    /// Checks the scheme and reports every problem at once: a plain code, a name,
    /// each unit type once, and points that are finite, not negative, with the survey's
    /// share above zero and criteria plus survey within the total.
    pub fn parse(
        code: &str,
        name: &str,
        points: impl IntoIterator<Item = (String, ParMaxPoints)>,
    ) -> Result<ParScheme, Vec<FieldError>> {
        let mut errors = Vec::new();
        checked_code(code, &mut errors);
        let name = checked_name(name, &mut errors);
        let mut by_type = BTreeMap::new();
        for (unit_type, p) in points {
            if !is_valid_code(&unit_type) {
                errors.push(FieldError::new(
                    "points",
                    format!("unit type {unit_type:?} is not a plain code"),
                ));
                continue;
            }
            let values = [p.criteria_max_points, p.survey_max_points, p.max_total];
            if values.iter().any(|v| !v.is_finite() || *v < 0.0)
                || p.survey_max_points <= 0.0
                || p.criteria_max_points + p.survey_max_points > p.max_total + 1e-9
            {
                errors.push(FieldError::new(
                    "points",
                    format!(
                        "{unit_type}: points must be finite and not negative, the survey's above 0, and criteria + survey at most the total"
                    ),
                ));
            }
            if by_type.insert(unit_type.clone(), p).is_some() {
                errors.push(FieldError::new(
                    "points",
                    format!("unit type {unit_type} is given twice"),
                ));
            }
        }
        if by_type.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "points",
                "give the points of at least one unit type",
            ));
        }
        if errors.is_empty() {
            Ok(ParScheme {
                code: code.to_owned(),
                name,
                points: by_type,
            })
        } else {
            Err(errors)
        }
    }
}

/// A plain code (see [`is_valid_code`]), or an error on the `code` field.
fn checked_code(code: &str, errors: &mut Vec<FieldError>) {
    if !is_valid_code(code) {
        errors.push(FieldError::new(
            "code",
            "code must be 1–32 letters, digits, '-', '_' or '.'",
        ));
    }
}

/// A trimmed name of 1–200 characters without control characters, or an error on
/// the `name` field.
fn checked_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    let length = name.chars().count();
    if !(1..=200).contains(&length) || crate::text::refuse_control(name).is_err() {
        errors.push(FieldError::new(
            "name",
            "name must be 1–200 characters without control characters",
        ));
    }
    name.to_owned()
}

/// How an old unit went into a new one across a reorganisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// All of the old unit went into the new one.
    Whole,
    /// The old unit was divided between several new ones.
    Split,
}

impl Relation {
    pub fn parse(s: &str) -> Option<Relation> {
        match s {
            "whole" => Some(Relation::Whole),
            "split" => Some(Relation::Split),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Whole => "whole",
            Relation::Split => "split",
        }
    }
}

/// One line of the crosswalk between two periods, by unit id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Succession {
    pub predecessor: i32,
    pub successor: i32,
    pub relation: Relation,
}

/// The units of an earlier date a unit stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predecessors {
    /// Unit ids valid on that date, in code order.
    pub units: Vec<i32>,
    /// The unit itself was valid then: no crosswalk was needed.
    pub same_unit: bool,
    /// Some old unit was split between several new ones, so the group covers more
    /// (or less) than the new unit does: the comparison is approximate.
    pub approximate: bool,
}

/// A unit as the reference file gives it: official code, name, type and parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRecord {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
}

impl UnitRecord {
    /// Checks a unit as a manager or a file gives it and reports every problem at
    /// once; an empty parent is none (the province's root).
    pub fn parse(
        code: &str,
        name: &str,
        unit_type: &str,
        parent_code: Option<&str>,
    ) -> Result<UnitRecord, Vec<FieldError>> {
        let mut errors = Vec::new();
        checked_code(code, &mut errors);
        let name = checked_name(name, &mut errors);
        if !is_valid_code(unit_type) {
            errors.push(FieldError::new(
                "unit_type",
                "unit_type must be a unit type's code, such as department or commune",
            ));
        }
        let parent_code = parent_code.map(str::trim).filter(|p| !p.is_empty());
        if parent_code.is_some_and(|p| !is_valid_code(p)) {
            errors.push(FieldError::new(
                "parent_code",
                "parent_code must be a unit's code",
            ));
        }
        if parent_code == Some(code) {
            errors.push(FieldError::new(
                "parent_code",
                "a unit cannot be its own parent",
            ));
        }
        if errors.is_empty() {
            Ok(UnitRecord {
                code: code.to_owned(),
                name,
                unit_type: unit_type.to_owned(),
                parent_code: parent_code.map(str::to_owned),
            })
        } else {
            Err(errors)
        }
    }
}

/// The code of the service point every unit gets by default: its Bộ phận Một cửa.
pub const DEFAULT_SERVICE_POINT_CODE: &str = "MC";

/// Codes of units and service points appear in URLs and CSV files: keep them plain.
pub fn is_valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A unit as the tree sees it: one period of a unit. Codes are reused across periods
/// (a merged commune keeps one of the old codes), so each period is its own node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitNode {
    pub id: i32,
    pub code: String,
    pub parent_id: Option<i32>,
    pub valid_from: NaiveDate,
    /// Exclusive: the first day the unit no longer exists; `None` while it does.
    pub valid_until: Option<NaiveDate>,
}

impl UnitNode {
    pub fn is_valid_on(&self, on: NaiveDate) -> bool {
        self.valid_from <= on && self.valid_until.is_none_or(|until| on < until)
    }
}

/// Every unit of every period, indexed once so lookups cost the depth of the tree or
/// the size of the subtree, not a scan of all units.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    nodes: HashMap<i32, UnitNode>,
    /// Children of each node, whatever their periods.
    children: HashMap<i32, Vec<i32>>,
    /// The nodes of each code, one per period.
    by_code: HashMap<String, Vec<i32>>,
    /// Each unit's predecessors in the crosswalk, with how they went into it.
    predecessors: HashMap<i32, Vec<(i32, Relation)>>,
}

impl UnitTree {
    /// Builds the tree; a repeated id keeps its last node.
    pub fn new(nodes: impl IntoIterator<Item = UnitNode>) -> UnitTree {
        let nodes: HashMap<i32, UnitNode> = nodes.into_iter().map(|n| (n.id, n)).collect();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        let mut by_code: HashMap<String, Vec<i32>> = HashMap::new();
        for node in nodes.values() {
            if let Some(parent) = node.parent_id {
                children.entry(parent).or_default().push(node.id);
            }
            by_code.entry(node.code.clone()).or_default().push(node.id);
        }
        // Sorted so that results do not depend on the hash map's order.
        for ids in children.values_mut().chain(by_code.values_mut()) {
            ids.sort_unstable();
        }
        UnitTree {
            nodes,
            children,
            by_code,
            predecessors: HashMap::new(),
        }
    }

    /// Adds the crosswalk between periods.
    pub fn with_successions(mut self, lines: impl IntoIterator<Item = Succession>) -> UnitTree {
        for line in lines {
            self.predecessors
                .entry(line.successor)
                .or_default()
                .push((line.predecessor, line.relation));
        }
        for list in self.predecessors.values_mut() {
            list.sort_unstable_by_key(|(id, _)| *id);
            list.dedup_by_key(|(id, _)| *id);
        }
        self
    }

    /// What `unit` stands for on an earlier date `on`: itself when it was valid then,
    /// otherwise the units of that date it came from, followed back through as many
    /// reorganisations as lie between (a unit of an in-between period is passed
    /// through). `None` when nothing valid on `on` leads to it.
    pub fn predecessors(&self, unit: i32, on: NaiveDate) -> Option<Predecessors> {
        if self.valid(unit, on).is_some() {
            return Some(Predecessors {
                units: vec![unit],
                same_unit: true,
                approximate: false,
            });
        }
        let mut found = Vec::new();
        let mut approximate = false;
        let mut visited = HashSet::from([unit]);
        let mut stack = vec![unit];
        while let Some(id) = stack.pop() {
            for &(predecessor, relation) in self.predecessors.get(&id).into_iter().flatten() {
                let Some(node) = self.nodes.get(&predecessor) else {
                    continue;
                };
                let leads_back = node.is_valid_on(on) || node.valid_from > on;
                // A split on a path that reaches the date makes the group approximate,
                // even when its old unit was reached another way first.
                approximate |= relation == Relation::Split && leads_back;
                if !visited.insert(predecessor) {
                    continue;
                }
                if node.is_valid_on(on) {
                    found.push(node);
                } else if leads_back {
                    stack.push(predecessor);
                }
            }
        }
        if found.is_empty() {
            return None;
        }
        found.sort_unstable_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
        Some(Predecessors {
            units: found.into_iter().map(|n| n.id).collect(),
            same_unit: false,
            approximate,
        })
    }

    pub fn node(&self, id: i32) -> Option<&UnitNode> {
        self.nodes.get(&id)
    }

    fn valid(&self, id: i32, on: NaiveDate) -> Option<&UnitNode> {
        self.nodes.get(&id).filter(|n| n.is_valid_on(on))
    }

    /// The unit with this code on that date. Should bad data give two, the one that
    /// started last wins (then the smaller id), so the answer is at least stable.
    pub fn resolve(&self, code: &str, on: NaiveDate) -> Option<i32> {
        self.by_code
            .get(code)?
            .iter()
            .filter_map(|&id| self.valid(id, on))
            .max_by_key(|n| (n.valid_from, std::cmp::Reverse(n.id)))
            .map(|n| n.id)
    }

    /// Whether `unit` is `ancestor` or below it, both being valid on `on`.
    pub fn contains(&self, ancestor: i32, unit: i32, on: NaiveDate) -> bool {
        if self.valid(ancestor, on).is_none() || self.valid(unit, on).is_none() {
            return false;
        }
        let mut current = unit;
        // A parent chain longer than the number of nodes can only be a cycle.
        for _ in 0..=self.nodes.len() {
            if current == ancestor {
                return true;
            }
            match self.nodes.get(&current).and_then(|n| n.parent_id) {
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    /// `root` and every unit below it that is valid on `on`, in code order; empty when
    /// `root` itself is not valid then. Agrees with [`UnitTree::contains`].
    pub fn subtree(&self, root: i32, on: NaiveDate) -> Vec<i32> {
        if self.valid(root, on).is_none() {
            return Vec::new();
        }
        let mut found = Vec::new();
        // Walks through nodes of other periods too, as `contains` does; the visited set
        // stops cycles in bad data.
        let mut visited = HashSet::from([root]);
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.valid(id, on) {
                found.push(node);
            }
            for &child in self.children.get(&id).into_iter().flatten() {
                if visited.insert(child) {
                    stack.push(child);
                }
            }
        }
        found.sort_unstable_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
        found.into_iter().map(|n| n.id).collect()
    }

    /// The units a responsibility for `root` (a unit as it is today) covers on `on`:
    /// `root`'s subtree when it was valid then, otherwise the subtrees of the units it
    /// came from, so a merged commune's officer also reads the communes that became it.
    /// Empty when nothing of that date leads to `root`.
    pub fn scope(&self, root: i32, on: NaiveDate) -> HashSet<i32> {
        self.predecessors(root, on)
            .map(|p| p.units)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| self.subtree(r, on))
            .collect()
    }

    /// Whether a responsibility for `root` covers `unit` on `on` (see [`UnitTree::scope`]).
    pub fn in_scope(&self, root: i32, unit: i32, on: NaiveDate) -> bool {
        self.predecessors(root, on).is_some_and(|p| {
            p.units
                .iter()
                .any(|&ancestor| self.contains(ancestor, unit, on))
        })
    }

    /// Every period of the units with this code and every unit below any of them,
    /// whatever its period, in id order: all a unit's code has ever covered (what the
    /// audit log's filter by unit looks for). Empty for an unknown code.
    pub fn every_period_below(&self, code: &str) -> Vec<i32> {
        let mut visited: HashSet<i32> = HashSet::new();
        let mut stack: Vec<i32> = self.by_code.get(code).cloned().unwrap_or_default();
        while let Some(id) = stack.pop() {
            if !visited.insert(id) {
                continue;
            }
            stack.extend(self.children.get(&id).into_iter().flatten().copied());
        }
        let mut found: Vec<i32> = visited.into_iter().collect();
        found.sort_unstable();
        found
    }

    /// The number of nodes, every period counted.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A service point (a desk) as a manager asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServicePoint {
    pub code: String,
    pub name: String,
}

impl NewServicePoint {
    /// Checks both fields and reports every problem at once.
    pub fn parse(code: &str, name: &str) -> Result<NewServicePoint, Vec<FieldError>> {
        let mut errors = Vec::new();
        checked_code(code, &mut errors);
        let name = checked_name(name, &mut errors);
        if errors.is_empty() {
            Ok(NewServicePoint {
                code: code.to_owned(),
                name,
            })
        } else {
            Err(errors)
        }
    }
}

/// A code for a new desk of a unit whose desks have `taken` codes, when the manager
/// gives none: `Q1`, `Q2`, … (*quầy*), the first not taken (closed desks keep theirs).
pub fn next_desk_code<'a>(taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: HashSet<String> = taken.into_iter().map(str::to_ascii_uppercase).collect();
    (1..)
        .map(|n| format!("Q{n}"))
        .find(|code| !taken.contains(code))
        .expect("a free code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_codes_are_generated_in_order() {
        assert_eq!(next_desk_code([]), "Q1");
        assert_eq!(next_desk_code(["MC", "Q1", "q2", "Q4"]), "Q3");
        assert!(is_valid_code(&next_desk_code(["Q1"])));
    }

    #[test]
    fn codes_are_plain() {
        assert!(is_valid_code("18073"));
        assert!(is_valid_code("S-GTVT"));
        assert!(!is_valid_code(""));
        assert!(!is_valid_code("a b"));
        assert!(!is_valid_code("x/../y"));
        assert!(!is_valid_code(&"x".repeat(33)));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn node(id: i32, code: &str, parent_id: Option<i32>) -> UnitNode {
        UnitNode {
            id,
            code: code.into(),
            parent_id,
            valid_from: day(2020, 1, 1),
            valid_until: None,
        }
    }

    /// Hà Tĩnh before and after the 2025 reform: province 42; district 436 (Thành phố
    /// Hà Tĩnh) with communes 18073 (Phường Nam Hà) and 18077 until 30 June 2025; from
    /// 1 July 2025 the commune 18073 (Phường Thành Sen) sits directly under the province.
    fn ha_tinh() -> UnitTree {
        let reform = day(2025, 7, 1);
        let ended = |mut n: UnitNode| {
            n.valid_until = Some(reform);
            n
        };
        let started = |mut n: UnitNode| {
            n.valid_from = reform;
            n
        };
        UnitTree::new([
            node(1, "42", None),
            ended(node(2, "436", Some(1))),
            ended(node(3, "18073", Some(2))),
            ended(node(4, "18077", Some(2))),
            node(5, "S-NV", Some(1)),
            started(node(6, "18073", Some(1))),
            ended(node(7, "437", Some(1))),
            ended(node(8, "18100", Some(7))),
        ])
    }

    #[test]
    fn validity_ends_the_day_before_valid_until() {
        let tree = ha_tinh();
        let nam_ha = tree.node(3).unwrap();
        assert!(nam_ha.is_valid_on(day(2025, 6, 30)));
        assert!(!nam_ha.is_valid_on(day(2025, 7, 1)));
        assert!(!nam_ha.is_valid_on(day(2019, 12, 31)));
        assert!(tree.node(99).is_none());
        assert_eq!(tree.len(), 8);
        assert!(!tree.is_empty());
        assert!(UnitTree::default().is_empty());
    }

    #[test]
    fn a_code_covers_every_period_and_everything_below() {
        let tree = ha_tinh();
        assert_eq!(tree.every_period_below("436"), [2, 3, 4]);
        // Both periods of a reused code, without the other commune of its old district.
        assert_eq!(tree.every_period_below("18073"), [3, 6]);
        assert_eq!(tree.every_period_below("42"), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(tree.every_period_below("nope").is_empty());
    }

    #[test]
    fn a_reused_code_resolves_by_date() {
        let tree = ha_tinh();
        assert_eq!(tree.resolve("18073", day(2025, 6, 30)), Some(3));
        assert_eq!(tree.resolve("18073", day(2025, 7, 1)), Some(6));
        assert_eq!(tree.resolve("18077", day(2025, 7, 1)), None);
        assert_eq!(tree.resolve("18077", day(2021, 3, 1)), Some(4));
        assert_eq!(tree.resolve("18073", day(2019, 1, 1)), None);
        assert_eq!(tree.resolve("99999", day(2021, 3, 1)), None);
    }

    #[test]
    fn contains_follows_the_three_levels() {
        let tree = ha_tinh();
        let on = day(2021, 3, 1);
        assert!(tree.contains(1, 3, on), "province ⊇ commune");
        assert!(tree.contains(2, 3, on), "district ⊇ its commune");
        assert!(tree.contains(1, 2, on));
        assert!(tree.contains(3, 3, on), "a unit contains itself");
        assert!(!tree.contains(3, 2, on), "not upwards");
        assert!(!tree.contains(7, 3, on), "not another district's commune");
        assert!(!tree.contains(2, 5, on), "not a department");
        assert!(!tree.contains(1, 6, on), "Thành Sen does not exist yet");
        assert!(!tree.contains(1, 99, on));
        assert!(!tree.contains(99, 1, on));
    }

    #[test]
    fn contains_needs_both_valid_on_the_date() {
        let tree = ha_tinh();
        let after = day(2025, 7, 1);
        assert!(tree.contains(1, 6, after));
        assert!(!tree.contains(2, 3, after), "both ended");
        assert!(!tree.contains(1, 3, after), "Nam Hà has ended");
        assert!(
            !tree.contains(2, 6, after),
            "the old district holds no new commune"
        );
    }

    #[test]
    fn subtrees_by_date_in_code_order() {
        let tree = ha_tinh();
        let before = day(2021, 3, 1);
        assert_eq!(tree.subtree(1, before), vec![3, 4, 8, 1, 2, 7, 5]);
        assert_eq!(tree.subtree(2, before), vec![3, 4, 2]);
        assert_eq!(tree.subtree(3, before), vec![3]);
        let after = day(2025, 7, 1);
        assert_eq!(tree.subtree(1, after), vec![6, 1, 5]);
        assert_eq!(tree.subtree(2, after), Vec::<i32>::new(), "ended root");
        assert_eq!(tree.subtree(99, after), Vec::<i32>::new());
        // The subtree is exactly what `contains` accepts.
        for on in [before, after] {
            for root in 1..=8 {
                let expected: HashSet<i32> =
                    (1..=8).filter(|&u| tree.contains(root, u, on)).collect();
                let subtree = tree.subtree(root, on);
                assert_eq!(subtree.len(), expected.len());
                assert_eq!(subtree.into_iter().collect::<HashSet<_>>(), expected);
            }
        }
    }

    #[test]
    fn a_cycle_in_bad_data_ends() {
        // 2 → 3 → 4 → 2, hanging from nothing; 5 is a self-loop.
        let tree = UnitTree::new([
            node(1, "42", None),
            node(2, "A", Some(4)),
            node(3, "B", Some(2)),
            node(4, "C", Some(3)),
            node(5, "D", Some(5)),
        ]);
        let on = day(2021, 3, 1);
        assert!(!tree.contains(1, 3, on));
        assert!(tree.contains(2, 3, on));
        assert!(
            tree.contains(3, 2, on),
            "inside the cycle everything is above"
        );
        assert!(!tree.contains(1, 5, on));
        assert!(tree.contains(5, 5, on));
        assert_eq!(tree.subtree(2, on), vec![2, 3, 4]);
        assert_eq!(tree.subtree(5, on), vec![5]);
        assert_eq!(tree.subtree(1, on), vec![1]);
    }

    #[test]
    fn service_points_are_checked() {
        let sp = NewServicePoint::parse("MC-2", "  Bộ phận Một cửa số 2 ").unwrap();
        assert_eq!(sp.code, "MC-2");
        assert_eq!(sp.name, "Bộ phận Một cửa số 2");
        assert!(NewServicePoint::parse("MC", &"đ".repeat(200)).is_ok());
        let fields = |code: &str, name: &str| -> Vec<&'static str> {
            NewServicePoint::parse(code, name)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("a b", " "), vec!["code", "name"]);
        assert_eq!(fields("", "Desk"), vec!["code"]);
        assert_eq!(fields("MC", "Desk\0"), vec!["name"]);
        assert_eq!(fields("MC", "Desk\n2"), vec!["name"]);
        assert_eq!(fields("MC", &"x".repeat(201)), vec!["name"]);
        let errors = NewServicePoint::parse("x/y", "").unwrap_err();
        assert_eq!(
            errors[0].message,
            "code must be 1–32 letters, digits, '-', '_' or '.'"
        );
        assert_eq!(
            errors[1].message,
            "name must be 1–200 characters without control characters"
        );
    }

    /// Hà Tĩnh's wards across the reform: Nam Hà (3) and Bắc Hà (4) merged whole into
    /// Thành Sen (6); Đại Nài (9) split between Thành Sen and Hà Huy Tập (10).
    fn across_the_reform() -> UnitTree {
        let reform = day(2025, 7, 1);
        let mut nodes: Vec<UnitNode> = Vec::new();
        for (id, code, old) in [
            (3, "18073", true),
            (4, "18077", true),
            (9, "18082", true),
            (6, "18073", false),
            (10, "18652", false),
            (11, "99001", false),
        ] {
            let mut n = node(id, code, Some(1));
            if old {
                n.valid_until = Some(reform);
            } else {
                n.valid_from = reform;
            }
            nodes.push(n);
        }
        nodes.push(node(1, "42", None));
        let line = |predecessor, successor, relation| Succession {
            predecessor,
            successor,
            relation,
        };
        UnitTree::new(nodes).with_successions([
            line(3, 6, Relation::Whole),
            line(4, 6, Relation::Whole),
            line(9, 6, Relation::Split),
            line(9, 10, Relation::Split),
            line(3, 6, Relation::Whole),
        ])
    }

    #[test]
    fn a_merged_unit_stands_for_its_predecessors() {
        let tree = across_the_reform();
        let before = day(2021, 3, 1);
        let thanh_sen = tree.predecessors(6, before).unwrap();
        assert_eq!(thanh_sen.units, vec![3, 4, 9], "in code order, once each");
        assert!(thanh_sen.approximate, "Đại Nài was split");
        assert!(!thanh_sen.same_unit);
        let ha_huy_tap = tree.predecessors(10, before).unwrap();
        assert_eq!(ha_huy_tap.units, vec![9]);
        assert!(ha_huy_tap.approximate);
        // A unit valid on both dates is itself; one with no crosswalk line has none.
        let province = tree.predecessors(1, before).unwrap();
        assert_eq!((province.units, province.same_unit), (vec![1], true));
        assert_eq!(tree.predecessors(11, before), None);
        // Before the old units existed, nothing leads to them.
        assert_eq!(tree.predecessors(6, day(2019, 1, 1)), None);
    }

    #[test]
    fn predecessors_pass_through_an_in_between_period() {
        // 1 (2020–2023) → 2 (2023–2025) → 3 (2025–): a 2021 round is reached from 3.
        let mut a = node(1, "A", None);
        a.valid_until = Some(day(2023, 1, 1));
        let mut b = node(2, "B", None);
        b.valid_from = day(2023, 1, 1);
        b.valid_until = Some(day(2025, 7, 1));
        let mut c = node(3, "C", None);
        c.valid_from = day(2025, 7, 1);
        let tree = UnitTree::new([a, b, c]).with_successions([
            Succession {
                predecessor: 1,
                successor: 2,
                relation: Relation::Whole,
            },
            Succession {
                predecessor: 2,
                successor: 3,
                relation: Relation::Whole,
            },
        ]);
        let found = tree.predecessors(3, day(2021, 6, 1)).unwrap();
        assert_eq!((found.units, found.approximate), (vec![1], false));
        assert_eq!(
            tree.predecessors(3, day(2024, 1, 1)).unwrap().units,
            vec![2]
        );
    }

    #[test]
    fn par_schemes_are_checked() {
        let points = |c: f64, s: f64, t: f64| ParMaxPoints {
            criteria_max_points: c,
            survey_max_points: s,
            max_total: t,
        };
        let scheme = ParScheme::parse(
            "HT-2026",
            " Hà Tĩnh 2026 ",
            [("commune".to_string(), points(70.0, 30.0, 100.0))],
        )
        .unwrap();
        assert_eq!(scheme.name, "Hà Tĩnh 2026");
        assert_eq!(scheme.points["commune"].survey_max_points, 30.0);
        let fields = |code: &str, list: Vec<(String, ParMaxPoints)>| -> Vec<String> {
            ParScheme::parse(code, "x", list)
                .unwrap_err()
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect()
        };
        assert_eq!(
            fields("x", vec![]),
            vec!["points: give the points of at least one unit type"]
        );
        let twice = fields(
            "a b",
            vec![
                ("commune".into(), points(70.0, 30.0, 100.0)),
                ("commune".into(), points(70.0, 40.0, 100.0)),
                ("department".into(), points(80.0, f64::NAN, 100.0)),
                ("x y".into(), points(1.0, 1.0, 2.0)),
            ],
        );
        assert_eq!(twice.len(), 5, "{twice:?}");
        assert!(twice[0].starts_with("code:"));
        assert!(twice.iter().any(|e| e.contains("commune is given twice")));
        assert!(
            twice
                .iter()
                .any(|e| e.starts_with("points: commune: points must"))
        );
        assert!(twice.iter().any(|e| e.starts_with("points: department:")));
        assert!(
            twice
                .iter()
                .any(|e| e.contains("\"x y\" is not a plain code"))
        );
    }

    #[test]
    fn units_are_checked() {
        let unit = UnitRecord::parse("S-NV", " Sở Nội vụ ", "department", Some(" ")).unwrap();
        assert_eq!(unit.name, "Sở Nội vụ");
        assert_eq!(unit.parent_code, None);
        let fields: Vec<&str> = UnitRecord::parse("a/b", "", "no type", Some("a/b"))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["code", "name", "unit_type", "parent_code", "parent_code"]
        );
    }
}
