//! The audit log as the administrators' page shows it: the filter a query asks for
//! (a user, a unit and the units below it, Vietnam days), and each stored event as a
//! line (who, what, about what, when in Vietnam, before → after). Pure: the events and
//! the unit tree are read by the caller.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::audit_event;
use sipas_domain::campaign::{vietnam_day_start, vietnam_time};
use sipas_domain::unit::UnitTree;
use sipas_templates::staff::admin::AuditLine;
use sipas_templates::staff::form::FieldProblem;

use crate::storage::audit::AuditFilter;

/// Events per page.
pub const PAGE_SIZE: u64 = 100;

/// What the page's query says, as sent.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// A unit's code: that unit, every period of it, and everything below.
    pub unit: Option<String>,
    /// First Vietnam day, dd/mm/yyyy or yyyy-mm-dd.
    pub from: Option<String>,
    /// Last Vietnam day (inclusive).
    pub to: Option<String>,
    /// Older than this event id (the next page).
    pub before: Option<i64>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The storage filter a query asks for, or every problem with it (field, message in
/// the page's language).
pub fn filter(
    query: &AuditQuery,
    tree: &UnitTree,
    vi: bool,
) -> Result<AuditFilter, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, vi_text: String, en_text: String| {
        problems.push(FieldProblem {
            field: field.to_owned(),
            message: if vi { vi_text } else { en_text },
        })
    };
    let unit_ids = match given(&query.unit) {
        Some(code) => {
            let ids = tree.every_period_below(code);
            if ids.is_empty() {
                problem(
                    "unit",
                    format!("Không có đơn vị nào mã {code}."),
                    format!("No unit has the code {code}."),
                );
            }
            Some(ids)
        }
        None => None,
    };
    let mut day = |field: &str, text: Option<&str>| -> Option<NaiveDate> {
        let text = text?;
        let parsed = sipas_templates::format::parse_date(text);
        if parsed.is_none() {
            problem(
                field,
                format!("Ngày {text:?} không hợp lệ: ghi theo dạng dd/mm/yyyy."),
                format!("{text:?} is not a date: write it as dd/mm/yyyy."),
            );
        }
        parsed
    };
    let from = day("from", given(&query.from));
    let to = day("to", given(&query.to));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        problem(
            "to",
            "Ngày kết thúc phải sau ngày bắt đầu.".to_owned(),
            "The last day must not be before the first.".to_owned(),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AuditFilter {
        actor: given(&query.actor).map(str::to_owned),
        unit_ids,
        from: from.map(vietnam_day_start),
        until: to.and_then(|d| d.succ_opt()).map(vietnam_day_start),
        before_id: query.before,
    })
}

/// A JSON value as one line of text: strings bare, `null` as a dash, lists and
/// objects compact.
fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An object's keys and values as lines; anything else as one `value` line.
fn key_values(value: &serde_json::Value) -> Vec<(String, String)> {
    match value {
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        other => vec![(String::new(), text(other))],
    }
}

/// One stored event as the page shows it. `units`: each unit id's name and code. A
/// detail with `before`/`after` (or a plain `from`/`to` move) shows them side by side,
/// and its other keys under them.
pub fn line(event: &audit_event::Model, units: &HashMap<i32, (String, String)>) -> AuditLine {
    let detail: serde_json::Value =
        serde_json::from_str(&event.detail).unwrap_or(serde_json::Value::Null);
    let mut before = None;
    let mut after = None;
    let mut rest = Vec::new();
    if let serde_json::Value::Object(map) = &detail {
        let pair = if map.contains_key("before") || map.contains_key("after") {
            Some(("before", "after"))
        } else if map.contains_key("from") && map.contains_key("to") {
            Some(("from", "to"))
        } else {
            None
        };
        for (key, value) in map {
            match pair {
                Some((b, _)) if key == b => before = Some(key_values(value)),
                Some((_, a)) if key == a => after = Some(key_values(value)),
                _ => rest.push((key.clone(), text(value))),
            }
        }
        // Older entries kept a value both at the top and in `after`: shown once.
        let shown: Vec<&(String, String)> = before.iter().chain(after.iter()).flatten().collect();
        rest.retain(|kv| !shown.contains(&kv));
    } else if !detail.is_null() {
        rest.push(("detail".to_owned(), text(&detail)));
    }
    AuditLine {
        id: event.id,
        who: event.actor.clone(),
        action: event.action.clone(),
        subject: event.subject.clone(),
        unit: event.unit_id.map(|id| match units.get(&id) {
            Some((name, code)) => format!("{name} ({code})"),
            None => format!("#{id}"),
        }),
        when: vietnam_time(event.at).format("%d/%m/%Y %H:%M").to_string(),
        before,
        after,
        detail: rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sipas_domain::unit::UnitNode;

    fn event(detail: serde_json::Value) -> audit_event::Model {
        audit_event::Model {
            id: 7,
            // 17:30 UTC is 00:30 the next day in Vietnam.
            at: chrono::Utc.with_ymd_and_hms(2026, 3, 1, 17, 30, 0).unwrap(),
            actor: "admin".into(),
            action: "user.disable".into(),
            subject: "lan".into(),
            detail: detail.to_string(),
            unit_id: Some(3),
            seq: Some(1),
            prev_hash: None,
            hash: None,
        }
    }

    #[test]
    fn before_and_after_side_by_side_in_vietnam_time() {
        let units = HashMap::from([(3, ("Phường Thành Sen".to_owned(), "18073".to_owned()))]);
        let l = line(
            &event(serde_json::json!({
                "before": { "disabled": false, "scope": null },
                "after": { "disabled": true, "scope": null },
                "note": ["a", "b"],
            })),
            &units,
        );
        assert_eq!(l.when, "02/03/2026 00:30");
        assert_eq!(l.unit.as_deref(), Some("Phường Thành Sen (18073)"));
        let before = l.before.unwrap();
        assert!(before.contains(&("disabled".into(), "false".into())));
        assert!(before.contains(&("scope".into(), "—".into())));
        assert!(
            l.after
                .unwrap()
                .contains(&("disabled".into(), "true".into()))
        );
        assert_eq!(l.detail, [("note".to_owned(), "a, b".to_owned())]);

        let moved = line(
            &event(serde_json::json!({ "from": "draft", "to": "open" })),
            &units,
        );
        assert_eq!(moved.before.unwrap(), [(String::new(), "draft".to_owned())]);
        let repeated = line(
            &event(serde_json::json!({ "role": "viewer", "after": { "role": "viewer" } })),
            &units,
        );
        assert!(repeated.detail.is_empty(), "{:?}", repeated.detail);
        let plain = line(&event(serde_json::json!({ "lines": 3 })), &HashMap::new());
        assert!(plain.before.is_none() && plain.after.is_none());
        assert_eq!(plain.detail, [("lines".to_owned(), "3".to_owned())]);
        assert_eq!(plain.unit.as_deref(), Some("#3"));
    }

    #[test]
    fn filters_are_checked_and_days_are_vietnam_days() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let tree = UnitTree::new([
            UnitNode {
                id: 1,
                code: "42".into(),
                parent_id: None,
                valid_from: day(1),
                valid_until: None,
            },
            UnitNode {
                id: 2,
                code: "18073".into(),
                parent_id: Some(1),
                valid_from: day(1),
                valid_until: None,
            },
        ]);
        let query = AuditQuery {
            actor: Some(" admin ".into()),
            unit: Some("42".into()),
            from: Some("01/03/2026".into()),
            to: Some("2026-03-02".into()),
            before: Some(50),
        };
        let f = filter(&query, &tree, true).unwrap();
        assert_eq!(f.actor.as_deref(), Some("admin"));
        assert_eq!(f.unit_ids, Some(vec![1, 2]));
        assert_eq!(
            f.from,
            Some(chrono::Utc.with_ymd_and_hms(2026, 2, 28, 17, 0, 0).unwrap())
        );
        assert_eq!(
            f.until,
            Some(chrono::Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).unwrap())
        );
        assert_eq!(f.before_id, Some(50));
        let bad = AuditQuery {
            unit: Some("999".into()),
            from: Some("31/02/2026".into()),
            to: Some("01/01/2026".into()),
            ..Default::default()
        };
        let fields: Vec<String> = filter(&bad, &tree, false)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["unit", "from"]);
        assert_eq!(
            filter(&AuditQuery::default(), &tree, true).unwrap(),
            AuditFilter::default()
        );
    }
}
