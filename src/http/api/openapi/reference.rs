//! The OpenAPI document read as the reference page shows it: operations grouped by tag,
//! `$ref` schemas resolved into flat lists of fields.

use serde_json::Value;
use sipas_templates::api_docs::{Answer, Body, Endpoint, Field, Group, Param};

/// How deep nested objects are spelled out (deeper ones are named by their type).
const MAX_DEPTH: usize = 3;

/// Every operation of the document, grouped by its first tag in order of first
/// appearance; within a group in the document's path order.
pub fn groups(doc: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return groups;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method).filter(|op| op.is_object()) else {
                continue;
            };
            let tag = op["tags"][0].as_str().unwrap_or("api").to_owned();
            let endpoint = endpoint(doc, method, path, item, op);
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(group) => group.endpoints.push(endpoint),
                None => groups.push(Group {
                    tag,
                    endpoints: vec![endpoint],
                }),
            }
        }
    }
    groups
}

fn method_name(method: &str) -> &'static str {
    match method {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        _ => "DELETE",
    }
}

fn endpoint(doc: &Value, method: &str, path: &str, item: &Value, op: &Value) -> Endpoint {
    let summary = text(&op["summary"]);
    let description = text(&op["description"]);
    // utoipa puts a doc comment's first paragraph in the summary and repeats it in the
    // description: shown once.
    let description = description
        .strip_prefix(&summary)
        .map(str::trim)
        .unwrap_or(&description)
        .to_owned();
    let scope = op["security"].as_array().and_then(|requirements| {
        requirements
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|r| r.values())
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .next()
            .map(str::to_owned)
    });
    let mut params: Vec<Param> = Vec::new();
    for p in item["parameters"]
        .as_array()
        .into_iter()
        .chain(op["parameters"].as_array())
        .flatten()
    {
        let p = resolve(doc, p);
        params.push(Param {
            name: text(&p["name"]),
            location: text(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            kind: kind(&p["schema"]),
            description: text(&p["description"]),
        });
    }
    let request = op
        .get("requestBody")
        .map(|b| resolve(doc, b))
        .and_then(|b| body(doc, b));
    let mut responses = Vec::new();
    let mut errors = Vec::new();
    if let Some(answers) = op["responses"].as_object() {
        for (status, answer) in answers {
            let answer = resolve(doc, answer);
            let headers = answer["headers"]
                .as_object()
                .map(|h| h.keys().cloned().collect())
                .unwrap_or_default();
            let is_error = status.starts_with('4') || status.starts_with('5');
            let shown = Answer {
                status: status.clone(),
                description: text(&answer["description"]),
                // An error's body is always the error body, described once at the top.
                body: if is_error { None } else { body(doc, answer) },
                headers,
            };
            if is_error {
                errors.push(shown);
            } else {
                responses.push(shown);
            }
        }
    }
    Endpoint {
        method: method_name(method),
        path: path.to_owned(),
        summary,
        description,
        scope,
        params,
        request,
        responses,
        errors,
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A `$ref` followed to what it names (a local reference of the document).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..8 {
        match current["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => match doc.pointer(pointer) {
                Some(target) => current = target,
                None => break,
            },
            None => break,
        }
    }
    current
}

/// A request or response body: the first media type's schema and its fields.
fn body(doc: &Value, holder: &Value) -> Option<Body> {
    let (content_type, media) = holder["content"].as_object()?.iter().next()?;
    let schema = &media["schema"];
    let mut fields = Vec::new();
    collect_fields(doc, schema, "", 0, &mut fields);
    Some(Body {
        content_type: content_type.clone(),
        kind: kind(schema),
        description: text(&holder["description"]),
        fields,
    })
}

/// A schema's type in a few words: `string (date)`, `Unit`, `array of Unit`, `string |
/// null`.
fn kind(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str() {
        return name.rsplit('/').next().unwrap_or(name).to_owned();
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(variants) = schema[combinator].as_array() {
            let kinds: Vec<String> = variants.iter().map(kind).collect();
            return kinds.join(if combinator == "allOf" { " & " } else { " | " });
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return "any".to_owned();
    }
    types
        .iter()
        .map(|t| match *t {
            "array" => format!("array of {}", kind(&schema["items"])),
            "null" => "null".to_owned(),
            t => match schema["format"].as_str() {
                Some(format) => format!("{t} ({format})"),
                None => t.to_owned(),
            },
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The non-null schema of an optional one (`oneOf: [X, null]`), else itself.
fn non_null(schema: &Value) -> &Value {
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let real: Vec<&Value> = variants
            .iter()
            .filter(|v| v["type"].as_str() != Some("null"))
            .collect();
        if let [one] = real.as_slice() {
            return one;
        }
    }
    schema
}

/// The fields of an object schema (and of the objects in it, to [`MAX_DEPTH`]), named
/// from the body's root: `sipas.estimate`, `units[].unit_code`.
fn collect_fields(doc: &Value, schema: &Value, prefix: &str, depth: usize, out: &mut Vec<Field>) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = resolve(doc, non_null(schema));
    let is_array = match &schema["type"] {
        Value::String(t) => t == "array",
        Value::Array(ts) => ts.iter().any(|t| t == "array"),
        _ => false,
    };
    if is_array {
        collect_fields(doc, &schema["items"], &format!("{prefix}[]"), depth, out);
        return;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            collect_fields(doc, part, prefix, depth, out);
        }
    }
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in properties {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        // A description may sit beside a `$ref` or on the variant of an optional one.
        let description = [
            property,
            non_null(property),
            resolve(doc, non_null(property)),
        ]
        .iter()
        .find_map(|s| s["description"].as_str())
        .unwrap_or_default()
        .to_owned();
        out.push(Field {
            name: full.clone(),
            kind: kind(property),
            required: required.contains(&name.as_str()),
            description,
        });
        collect_fields(doc, property, &full, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_references_and_nests_fields() {
        let doc = json!({
            "paths": {"/api/v1/x/{id}": {"get": {
                "tags": ["things"], "summary": "A thing.", "description": "A thing.\n\nMore.",
                "security": [{"bearer": ["read"]}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "404": {"description": "no such thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                }
            }}},
            "components": {"schemas": {
                "Thing": {"type": "object", "required": ["code"], "properties": {
                    "code": {"type": "string", "description": "Its code."},
                    "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                    "when": {"type": ["string", "null"], "format": "date"}
                }},
                "Part": {"type": "object", "properties": {"n": {"type": "integer"}}}
            }}
        });
        let groups = groups(&doc);
        assert_eq!(groups.len(), 1);
        let e = &groups[0].endpoints[0];
        assert_eq!((e.method, e.path.as_str()), ("GET", "/api/v1/x/{id}"));
        assert_eq!(e.description, "More.");
        assert_eq!(e.scope.as_deref(), Some("read"));
        assert_eq!(e.params[0].name, "id");
        assert!(e.params[0].required);
        let body = e.responses[0].body.as_ref().unwrap();
        assert_eq!(body.kind, "Thing");
        let names: Vec<(&str, &str)> = body
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.kind.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("code", "string"),
                ("parts", "array of Part"),
                ("parts[].n", "integer"),
                ("when", "string (date) | null")
            ]
        );
        assert!(body.fields[0].required);
        assert_eq!(body.fields[0].description, "Its code.");
        assert_eq!(e.errors[0].status, "404");
        assert!(e.errors[0].body.is_none());
    }
}
