//! Who is asking, and whether they may do it: API tokens by their scopes, staff by
//! their role and the unit their responsibility covers.

use chrono::NaiveDate;

use crate::unit::UnitTree;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Parses `read`, `write` or `read,write`.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = match part {
                "read" => Scope::Read,
                "write" => Scope::Write,
                other => {
                    return Err(format!(
                        "unknown scope {other:?}: use read, write or read,write"
                    ));
                }
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("at least one scope is needed: read, write or read,write".into());
        }
        Ok(scopes)
    }
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, everywhere.
    Admin,
    /// Reads and changes the data of their units.
    Manager,
    /// Reads the data of their units.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "manager" => Some(Self::Manager),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }
}

/// A staff account as an operator asks for it, checked: a plain username, a role, and
/// the code of the unit it answers for (none: the whole province).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Option<String>,
}

impl NewUser {
    /// Checks every field and reports every problem at once.
    pub fn parse(
        username: &str,
        display_name: Option<&str>,
        role: &str,
        scope: Option<&str>,
    ) -> Result<NewUser, Vec<crate::campaign::FieldError>> {
        use crate::campaign::FieldError;
        let mut errors = Vec::new();
        let username = username.trim().to_lowercase();
        if !(3..=64).contains(&username.len())
            || !username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            errors.push(FieldError::new(
                "username",
                "username must be 3–64 letters, digits, '.', '_' or '-'",
            ));
        }
        let display_name = display_name.map(str::trim).unwrap_or(&username).to_owned();
        if display_name.chars().count() > 200 || crate::text::refuse_control(&display_name).is_err()
        {
            errors.push(FieldError::new(
                "display_name",
                "the name must be at most 200 characters without control characters",
            ));
        }
        let parsed = Role::parse(role);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "role",
                format!("unknown role {role:?}: use admin, manager or viewer"),
            ));
        }
        let scope = scope.map(str::trim).filter(|s| !s.is_empty());
        if scope.is_some_and(|s| !crate::unit::is_valid_code(s)) {
            errors.push(FieldError::new("scope", "scope must be a unit's code"));
        }
        if parsed == Some(Role::Admin) && scope.is_some() {
            errors.push(FieldError::new(
                "scope",
                "an admin answers for the whole province: give no scope",
            ));
        }
        match parsed {
            Some(role) if errors.is_empty() => Ok(NewUser {
                username,
                display_name,
                role,
                scope: scope.map(str::to_owned),
            }),
            _ => Err(errors),
        }
    }
}

/// A new password as a staff member chooses it, checked: long enough to resist
/// guessing, not their username, typed the same twice.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest (argon2 hashes anything, but a megabyte "password" is an attack).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// What is wrong with a new password; the page says it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    ContainsUsername,
    Mismatch,
}

impl NewPassword {
    pub fn parse(
        username: &str,
        password: &str,
        confirmation: &str,
    ) -> Result<NewPassword, Vec<PasswordProblem>> {
        let mut problems = Vec::new();
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            problems.push(PasswordProblem::TooShort);
        } else if chars > MAX_PASSWORD_CHARS {
            problems.push(PasswordProblem::TooLong);
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            problems.push(PasswordProblem::ContainsUsername);
        }
        if password != confirmation {
            problems.push(PasswordProblem::Mismatch);
        }
        if problems.is_empty() {
            Ok(NewPassword(password.to_owned()))
        } else {
            Err(problems)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
}

/// What an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Campaign-wide things: creating campaigns, frames, a campaign's full list.
    Province,
    /// One unit's data.
    Unit(i32),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    ApiClient {
        id: i32,
        name: String,
        scopes: Vec<Scope>,
    },
    Staff {
        id: i32,
        username: String,
        role: Role,
        /// The root of the subtree they answer for; `None`: the whole province.
        unit: Option<i32>,
    },
}

impl Principal {
    /// The client's name or the username: the actor of audit records.
    pub fn name(&self) -> &str {
        match self {
            Self::ApiClient { name, .. } => name,
            Self::Staff { username, .. } => username,
        }
    }

    /// Whether the action is allowed at all, wherever it applies.
    pub fn allows(&self, action: Action) -> bool {
        match self {
            Self::ApiClient { scopes, .. } => scopes.contains(&match action {
                Action::Read => Scope::Read,
                Action::Write => Scope::Write,
            }),
            Self::Staff { role, .. } => match role {
                Role::Admin | Role::Manager => true,
                Role::Viewer => action == Action::Read,
            },
        }
    }

    /// Whether the caller reads citizens' free-text comments: they may name people, so
    /// viewers (read-only observers) see the figures but not the words.
    pub fn reads_comments(&self) -> bool {
        match self {
            Self::ApiClient { scopes, .. } => scopes.contains(&Scope::Read),
            Self::Staff { role, .. } => matches!(role, Role::Admin | Role::Manager),
        }
    }

    /// The units this caller may read on `on`; `None`: all of them.
    pub fn readable_units(
        &self,
        tree: &UnitTree,
        on: NaiveDate,
    ) -> Option<std::collections::HashSet<i32>> {
        match self {
            Self::Staff {
                role: Role::Manager | Role::Viewer,
                unit: Some(root),
                ..
            } => Some(tree.scope(*root, on)),
            _ => None,
        }
    }

    /// Whether the action is allowed on this resource, with the unit tree as it is on
    /// `on`. Tokens are province-wide machines, limited by their scopes only; staff
    /// other than admins are limited to their subtree, and fail closed when their unit
    /// does not exist on that date.
    pub fn may(&self, action: Action, resource: Resource, tree: &UnitTree, on: NaiveDate) -> bool {
        if !self.allows(action) {
            return false;
        }
        let scope_unit = match self {
            Self::ApiClient { .. } => return true,
            Self::Staff {
                role: Role::Admin, ..
            } => return true,
            Self::Staff { unit, .. } => *unit,
        };
        match (resource, scope_unit) {
            // Everyone reads campaign lists; only the province's managers change them.
            (Resource::Province, _) => action == Action::Read || scope_unit.is_none(),
            (Resource::Unit(_), None) => true,
            (Resource::Unit(unit), Some(root)) => tree.in_scope(root, unit, on),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitNode;

    #[test]
    fn scopes_parse() {
        assert_eq!(Scope::parse_list("read").unwrap(), vec![Scope::Read]);
        assert_eq!(
            Scope::parse_list("read, write,read").unwrap(),
            vec![Scope::Read, Scope::Write]
        );
        assert!(Scope::parse_list("admin").is_err());
        assert!(Scope::parse_list("").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Manager, Role::Viewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Scope::Write.as_str(), "write");
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const PROVINCE: i32 = 1;
    const DISTRICT: i32 = 2;
    const COMMUNE: i32 = 3;
    const OTHER_DISTRICT: i32 = 4;
    const OTHER_COMMUNE: i32 = 5;

    /// Province 1; district 2 (ended at the 2025 reform) with commune 3; district 4
    /// with commune 5.
    fn tree() -> UnitTree {
        let node = |id, code: &str, parent_id, valid_until| UnitNode {
            id,
            code: code.into(),
            parent_id,
            valid_from: day(2020, 1, 1),
            valid_until,
        };
        let reform = Some(day(2025, 7, 1));
        UnitTree::new([
            node(PROVINCE, "42", None, None),
            node(DISTRICT, "436", Some(PROVINCE), reform),
            node(COMMUNE, "18073", Some(DISTRICT), None),
            node(OTHER_DISTRICT, "437", Some(PROVINCE), None),
            node(OTHER_COMMUNE, "18100", Some(OTHER_DISTRICT), None),
        ])
    }

    fn token(scopes: &[Scope]) -> Principal {
        Principal::ApiClient {
            id: 1,
            name: "index-engine".into(),
            scopes: scopes.to_vec(),
        }
    }

    fn staff(role: Role, unit: Option<i32>) -> Principal {
        Principal::Staff {
            id: 2,
            username: "nguyen.van.a".into(),
            role,
            unit,
        }
    }

    const ALL_RESOURCES: [Resource; 6] = [
        Resource::Province,
        Resource::Unit(PROVINCE),
        Resource::Unit(DISTRICT),
        Resource::Unit(COMMUNE),
        Resource::Unit(OTHER_DISTRICT),
        Resource::Unit(OTHER_COMMUNE),
    ];

    /// The resources on which `principal` may do `action` on 1 March 2021.
    fn permitted(principal: &Principal, action: Action) -> Vec<Resource> {
        let tree = tree();
        ALL_RESOURCES
            .into_iter()
            .filter(|&r| principal.may(action, r, &tree, day(2021, 3, 1)))
            .collect()
    }

    #[test]
    fn names_are_the_audit_actor() {
        assert_eq!(token(&[Scope::Read]).name(), "index-engine");
        assert_eq!(staff(Role::Viewer, None).name(), "nguyen.van.a");
    }

    #[test]
    fn tokens_act_province_wide_within_their_scopes() {
        let reader = token(&[Scope::Read]);
        assert!(reader.allows(Action::Read));
        assert!(!reader.allows(Action::Write));
        assert_eq!(permitted(&reader, Action::Read), ALL_RESOURCES);
        assert!(permitted(&reader, Action::Write).is_empty());
        let writer = token(&[Scope::Write]);
        assert!(permitted(&writer, Action::Read).is_empty());
        assert_eq!(permitted(&writer, Action::Write), ALL_RESOURCES);
        let both = token(&[Scope::Read, Scope::Write]);
        assert_eq!(permitted(&both, Action::Write), ALL_RESOURCES);
        assert!(permitted(&token(&[]), Action::Read).is_empty());
    }

    #[test]
    fn admins_may_everything() {
        for unit in [None, Some(COMMUNE)] {
            let admin = staff(Role::Admin, unit);
            assert!(admin.allows(Action::Write));
            assert_eq!(permitted(&admin, Action::Read), ALL_RESOURCES);
            assert_eq!(permitted(&admin, Action::Write), ALL_RESOURCES);
        }
    }

    #[test]
    fn province_managers_may_everything() {
        let manager = staff(Role::Manager, None);
        assert!(manager.allows(Action::Write));
        assert_eq!(permitted(&manager, Action::Read), ALL_RESOURCES);
        assert_eq!(permitted(&manager, Action::Write), ALL_RESOURCES);
    }

    #[test]
    fn district_managers_keep_to_their_subtree() {
        let manager = staff(Role::Manager, Some(DISTRICT));
        let mine = [Resource::Unit(DISTRICT), Resource::Unit(COMMUNE)];
        let mut readable = vec![Resource::Province];
        readable.extend(mine);
        assert_eq!(permitted(&manager, Action::Read), readable);
        assert_eq!(
            permitted(&manager, Action::Write),
            mine,
            "no Province write"
        );
        let commune_manager = staff(Role::Manager, Some(COMMUNE));
        assert_eq!(
            permitted(&commune_manager, Action::Write),
            [Resource::Unit(COMMUNE)]
        );
    }

    #[test]
    fn viewers_read_as_managers_and_never_write() {
        for unit in [None, Some(DISTRICT)] {
            let viewer = staff(Role::Viewer, unit);
            let manager = staff(Role::Manager, unit);
            assert!(viewer.allows(Action::Read));
            assert!(!viewer.allows(Action::Write));
            assert_eq!(
                permitted(&viewer, Action::Read),
                permitted(&manager, Action::Read)
            );
            assert!(permitted(&viewer, Action::Write).is_empty());
        }
    }

    #[test]
    fn staff_of_an_ended_unit_may_nothing_on_units() {
        let tree = tree();
        let after = day(2025, 7, 1);
        for role in [Role::Manager, Role::Viewer] {
            let p = staff(role, Some(DISTRICT));
            for action in [Action::Read, Action::Write] {
                // The commune outlives its district, yet is no longer theirs.
                for unit in [DISTRICT, COMMUNE, PROVINCE] {
                    assert!(!p.may(action, Resource::Unit(unit), &tree, after));
                }
            }
            assert!(p.may(
                Action::Read,
                Resource::Unit(COMMUNE),
                &tree,
                day(2025, 6, 30)
            ));
        }
        // Unknown scope units fail closed too.
        let lost = staff(Role::Manager, Some(99));
        assert!(!lost.may(Action::Read, Resource::Unit(COMMUNE), &tree, after));
        // Still valid for a province-wide manager.
        let manager = staff(Role::Manager, None);
        assert!(manager.may(Action::Write, Resource::Unit(COMMUNE), &tree, after));
    }

    #[test]
    fn a_scope_follows_its_unit_across_the_reform() {
        use crate::unit::{Relation, Succession};
        let node = |id, code: &str, parent_id, from: NaiveDate, until| UnitNode {
            id,
            code: code.into(),
            parent_id,
            valid_from: from,
            valid_until: until,
        };
        let (old, new) = (day(2020, 1, 1), day(2025, 7, 1));
        // Old: province 1, district 2 with communes 3, 4 and 5. New: province 1,
        // commune 13 (merged from 3 and 4), commune 15 (5 unchanged, new row).
        let tree = UnitTree::new([
            node(1, "42", None, old, None),
            node(2, "436", Some(1), old, Some(new)),
            node(3, "18073", Some(2), old, Some(new)),
            node(4, "18074", Some(2), old, Some(new)),
            node(5, "18196", Some(2), old, Some(new)),
            node(13, "18073", Some(1), new, None),
            node(15, "18196", Some(1), new, None),
        ])
        .with_successions(
            [(3, 13), (4, 13), (5, 15)].map(|(predecessor, successor)| Succession {
                predecessor,
                successor,
                relation: Relation::Whole,
            }),
        );
        let (round_2021, round_2026) = (day(2021, 3, 1), day(2026, 3, 1));
        let merged = staff(Role::Manager, Some(13));
        let readable = |p: &Principal, on| {
            let mut units: Vec<i32> = p.readable_units(&tree, on).unwrap().into_iter().collect();
            units.sort_unstable();
            units
        };
        assert_eq!(readable(&merged, round_2021), [3, 4]);
        assert_eq!(readable(&merged, round_2026), [13]);
        assert!(merged.may(Action::Read, Resource::Unit(4), &tree, round_2021));
        assert!(!merged.may(Action::Read, Resource::Unit(5), &tree, round_2021));
        assert!(!merged.may(Action::Read, Resource::Unit(15), &tree, round_2026));
        let unchanged = staff(Role::Viewer, Some(15));
        assert_eq!(readable(&unchanged, round_2021), [5]);
        assert_eq!(readable(&unchanged, round_2026), [15]);
        // A district office reads its communes in 2021 and nothing after the reform.
        let district = staff(Role::Manager, Some(2));
        assert_eq!(readable(&district, round_2021), [2, 3, 4, 5]);
        assert!(readable(&district, round_2026).is_empty());
        assert_eq!(
            staff(Role::Admin, Some(2)).readable_units(&tree, round_2026),
            None
        );
        assert!(district.reads_comments() && !unchanged.reads_comments());
    }

    #[test]
    fn new_passwords_are_checked() {
        use PasswordProblem::*;
        assert!(NewPassword::parse("lan", "mật khẩu dài", "mật khẩu dài").is_ok());
        assert_eq!(
            NewPassword::parse("lan", "short", "short").unwrap_err(),
            [TooShort]
        );
        assert_eq!(
            NewPassword::parse("lan.nt", "xxLAN.NTxxxx", "other").unwrap_err(),
            [ContainsUsername, Mismatch]
        );
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(
            NewPassword::parse("a", &long, &long).unwrap_err(),
            [TooLong]
        );
        let ok = NewPassword::parse("a", "0123456789", "0123456789").unwrap();
        assert_eq!(format!("{ok:?}"), "NewPassword(…)");
    }

    #[test]
    fn new_users_are_checked() {
        let user = NewUser::parse(" Nguyen.Van.A ", None, "manager", Some("18073")).unwrap();
        assert_eq!(user.username, "nguyen.van.a");
        assert_eq!(user.display_name, "nguyen.van.a");
        assert_eq!(
            (user.role, user.scope.as_deref()),
            (Role::Manager, Some("18073"))
        );
        let admin = NewUser::parse("ha", Some("x"), "admin", Some("42")).unwrap_err();
        let fields: Vec<&str> = admin.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["username", "scope"]);
        let bad = NewUser::parse("a b c", Some("Tê\nn"), "boss", Some("x/y")).unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["username", "display_name", "role", "scope"]);
    }
}
