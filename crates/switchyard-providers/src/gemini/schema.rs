//! JSON Schema → Gemini's `Schema` (a select subset of OpenAPI 3.0), used for function
//! parameters and `responseSchema`. Keeps what Gemini understands, rewrites what it can
//! express differently (type lists and `null` → `nullable`, `const` → `enum`, `oneOf` →
//! `anyOf`, local `$ref`s inlined) and drops the rest (`additionalProperties`, `$schema`,
//! `$defs`, `examples`, `exclusiveMinimum`, …), so a schema written for OpenAI is accepted.

use serde_json::{Map, Value, json};

/// Keys copied unchanged when present.
const KEPT: &[&str] = &[
    "title",
    "description",
    "nullable",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
    "default",
    "example",
    "propertyOrdering",
];

/// How deep nesting is followed before giving up on a branch.
const MAX_DEPTH: usize = 32;
/// How many `$ref`s one branch may expand (recursive schemas stop here, small).
const MAX_REFS: usize = 3;

/// Convert a JSON Schema to Gemini's schema subset.
pub fn to_gemini(schema: &Value) -> Value {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .cloned()
        .unwrap_or(Value::Null);
    convert(schema, &defs, 0, 0)
}

/// Whether a converted schema is an object with no declared properties (Gemini refuses
/// such `parameters`; a function without arguments omits them instead).
pub fn is_empty_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("OBJECT")
        && schema
            .get("properties")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
}

fn convert(schema: &Value, defs: &Value, depth: usize, refs: usize) -> Value {
    let Some(obj) = schema.as_object() else {
        return json!({});
    };
    if depth > MAX_DEPTH {
        return json!({"type": "OBJECT"});
    }
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        let target = resolve(reference, defs).filter(|_| refs < MAX_REFS);
        let mut out = match target {
            Some(target) => convert(target, defs, depth + 1, refs + 1),
            None => json!({"type": "OBJECT"}),
        };
        if let (Some(d), Some(o)) = (obj.get("description"), out.as_object_mut()) {
            o.insert("description".into(), d.clone());
        }
        return out;
    }
    let mut out = Map::new();
    for key in KEPT {
        if let Some(v) = obj.get(*key) {
            out.insert((*key).into(), v.clone());
        }
    }
    let mut nullable = false;
    let mut types: Vec<String> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| t == "null") {
        nullable = true;
        types.retain(|t| t != "null");
    }
    if types.is_empty() {
        if obj.contains_key("properties") {
            types.push("object".into());
        } else if obj.contains_key("items") {
            types.push("array".into());
        }
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        nullable |= values.iter().any(Value::is_null);
        let values: Vec<Value> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(enum_value)
            .collect();
        out.insert("enum".into(), Value::Array(values));
        if types.is_empty() {
            types.push("string".into());
        }
    } else if let Some(c) = obj.get("const") {
        out.insert("enum".into(), json!([enum_value(c)]));
        if types.is_empty() {
            types.push("string".into());
        }
    }
    if let Some(format) = obj.get("format").and_then(Value::as_str)
        && types.len() == 1
        && format_allowed(&types[0], format)
    {
        out.insert("format".into(), json!(format));
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        let props: Map<String, Value> = props
            .iter()
            .map(|(k, v)| (k.clone(), convert(v, defs, depth + 1, refs)))
            .collect();
        if !props.is_empty() {
            if let Some(Value::Array(req)) = obj.get("required") {
                let req: Vec<Value> = req
                    .iter()
                    .filter(|r| r.as_str().is_some_and(|r| props.contains_key(r)))
                    .cloned()
                    .collect();
                if !req.is_empty() {
                    out.insert("required".into(), Value::Array(req));
                }
            }
            out.insert("properties".into(), Value::Object(props));
        }
    }
    match obj.get("items") {
        Some(items @ Value::Object(_)) => {
            out.insert("items".into(), convert(items, defs, depth + 1, refs));
        }
        Some(Value::Array(tuple)) => {
            if let Some(first) = tuple.first() {
                out.insert("items".into(), convert(first, defs, depth + 1, refs));
            }
        }
        _ => {}
    }
    let alternatives = obj.get("anyOf").or_else(|| obj.get("oneOf"));
    if let Some(Value::Array(alts)) = alternatives {
        let mut branches = Vec::new();
        for alt in alts {
            if alt.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                branches.push(convert(alt, defs, depth + 1, refs));
            }
        }
        if branches.len() == 1 && types.is_empty() {
            let only = branches.pop().unwrap_or_default();
            merge_into(&mut out, only);
        } else if !branches.is_empty() {
            out.insert("anyOf".into(), Value::Array(branches));
        }
    }
    if let Some(Value::Array(all)) = obj.get("allOf") {
        for part in all {
            merge_into(&mut out, convert(part, defs, depth + 1, refs));
        }
    }
    match types.as_slice() {
        [] => {}
        [one] => {
            out.insert("type".into(), json!(one.to_ascii_uppercase()));
        }
        many if !out.contains_key("anyOf") => {
            let branches = many.iter().map(|t| json!({"type": t.to_ascii_uppercase()}));
            out.insert("anyOf".into(), Value::Array(branches.collect()));
        }
        _ => {}
    }
    if nullable {
        out.insert("nullable".into(), json!(true));
    }
    Value::Object(out)
}

/// A local reference (`#/$defs/Name` or `#/definitions/Name`).
fn resolve<'a>(reference: &str, defs: &'a Value) -> Option<&'a Value> {
    let name = reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))?;
    defs.get(name)
}

/// Gemini's enum values are strings.
fn enum_value(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        other => json!(other.to_string()),
    }
}

/// The formats Gemini accepts per type.
fn format_allowed(ty: &str, format: &str) -> bool {
    match ty {
        "string" => matches!(format, "enum" | "date-time"),
        "integer" => matches!(format, "int32" | "int64"),
        "number" => matches!(format, "float" | "double"),
        _ => false,
    }
}

/// Merge a converted sub-schema into `out`: properties and required lists are united,
/// other keys are taken when `out` lacks them.
fn merge_into(out: &mut Map<String, Value>, other: Value) {
    let Value::Object(other) = other else {
        return;
    };
    for (k, v) in other {
        match (k.as_str(), out.get_mut(&k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                mine.extend(theirs);
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for r in theirs {
                    if !mine.contains(&r) {
                        mine.push(r);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, v) => {
                out.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_style_schema_is_reduced_to_the_subset() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "city": {"type": "string", "description": "City", "format": "uri"},
                "unit": {"type": ["string", "null"], "enum": ["c", "f", null]},
                "days": {"type": "integer", "format": "int32", "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}},
                "mode": {"const": "fast"},
                "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
            },
            "required": ["city", "ghost"],
            "$defs": {"Tag": {"type": "object", "properties": {"name": {"type": "string"}}}}
        });
        assert_eq!(
            to_gemini(&schema),
            json!({
                "type": "OBJECT",
                "properties": {
                    "city": {"type": "STRING", "description": "City"},
                    "unit": {"type": "STRING", "enum": ["c", "f"], "nullable": true},
                    "days": {"type": "INTEGER", "format": "int32"},
                    "tags": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}}},
                    "mode": {"type": "STRING", "enum": ["fast"]},
                    "when": {"type": "STRING", "format": "date-time", "nullable": true}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn empty_objects_and_recursive_refs_are_safe() {
        let empty = to_gemini(&json!({"type": "object", "properties": {}}));
        assert!(is_empty_object(&empty));
        let recursive = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "properties": {"next": {"$ref": "#/$defs/Node"}}}}});
        let out = to_gemini(&recursive);
        assert_eq!(out["type"], "OBJECT");
        assert!(out["properties"]["next"].is_object());
    }
}
