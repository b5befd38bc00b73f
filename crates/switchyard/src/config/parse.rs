//! Reading TOML into typed configuration: syntax, then every unknown key and type error.
//!
//! The text is parsed into a `toml::Value` first, then each section (and each catalog
//! entry) is deserialized on its own through `serde_ignored` (unknown keys) wrapped
//! by `serde_path_to_error` (where a type error is), so one bad entry does not hide
//! the problems of the others.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use switchyard_types::{ModelKind, TaskType};

use super::error::Problems;
use super::{Config, ModelConfig};

/// Where the parsed catalog entries came from, so later problems name the right keys.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// File index of each entry of `Config::providers` (entries that failed to parse are skipped).
    pub providers: Vec<usize>,
    /// File index of each entry of `Config::models`.
    pub models: Vec<usize>,
    /// File index of each entry of `Config::groups`.
    pub groups: Vec<usize>,
    /// Names of entries that failed to parse: references to them are not reported again.
    pub failed_providers: HashSet<String>,
    /// Model names of entries that failed to parse.
    pub failed_models: HashSet<String>,
    /// Group names of entries that failed to parse.
    pub failed_groups: HashSet<String>,
}

impl Layout {
    /// The layout of a configuration that did not come from a file.
    pub(crate) fn identity(config: &Config) -> Self {
        Self {
            providers: (0..config.providers.len()).collect(),
            models: (0..config.models.len()).collect(),
            groups: (0..config.groups.len()).collect(),
            ..Self::default()
        }
    }
}

/// Parse `text`; `None` when it is not valid TOML (the one problem is recorded).
pub(crate) fn parse(text: &str, problems: &mut Problems) -> Option<(Config, Layout)> {
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            let at = err
                .span()
                .map(|span| line_col(text, span.start))
                .unwrap_or_else(|| "toml".to_string());
            problems.push(at, one_line(err.message()));
            return None;
        }
    };

    let defines_catalog = ["providers", "models", "groups"]
        .iter()
        .any(|key| table.contains_key(*key));
    let mut config = Config::default();
    if defines_catalog {
        config.providers.clear();
        config.models.clear();
        config.groups.clear();
    }
    let mut layout = Layout::default();

    for (key, value) in table {
        match key.as_str() {
            "server" => set(&mut config.server, section(value, "server", problems)),
            "database" => set(&mut config.database, section(value, "database", problems)),
            "redis" => config.redis = section(value, "redis", problems),
            "log" => set(&mut config.log, section(value, "log", problems)),
            "security" => set(&mut config.security, section(value, "security", problems)),
            "governance" => set(
                &mut config.governance,
                section(value, "governance", problems),
            ),
            "routing" => set(&mut config.routing, section(value, "routing", problems)),
            "health" => set(&mut config.health, section(value, "health", problems)),
            "tasks" => set(&mut config.tasks, section(value, "tasks", problems)),
            "providers" => {
                let (items, index) = list(value, "providers", problems, |raw| {
                    layout.failed_providers.extend(str_field(raw, "name"));
                });
                config.providers = items;
                layout.providers = index;
            }
            "models" => {
                let raw_items = match &value {
                    toml::Value::Array(items) => items.clone(),
                    _ => Vec::new(),
                };
                let (mut items, index) = list(value, "models", problems, |raw| {
                    layout.failed_models.extend(str_field(raw, "name"));
                });
                for (model, i) in items.iter_mut().zip(&index) {
                    if raw_items
                        .get(*i)
                        .is_some_and(|raw| raw.get("task_types").is_none())
                    {
                        default_task_types(model);
                    }
                    // Only chat models stream by default.
                    if raw_items
                        .get(*i)
                        .is_some_and(|raw| raw.get("capabilities").is_none())
                        && !model.kinds.contains(&ModelKind::Chat)
                    {
                        model.capabilities.clear();
                    }
                }
                config.models = items;
                layout.models = index;
            }
            "groups" => {
                let (items, index) = list(value, "groups", problems, |raw| {
                    layout.failed_groups.extend(str_field(raw, "name"));
                });
                config.groups = items;
                layout.groups = index;
            }
            _ => problems.push(key, "unknown key"),
        }
    }
    Some((config, layout))
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// A model that does not say its task types gets those of its kinds: `chat` for chat
/// models, else `embedding`, `image_generation`, `video_generation` as its kinds say.
fn default_task_types(model: &mut ModelConfig) {
    if model.kinds.contains(&ModelKind::Chat) {
        return;
    }
    model.task_types = model
        .kinds
        .iter()
        .map(|kind| match kind {
            ModelKind::Chat => TaskType::Chat,
            ModelKind::Embedding => TaskType::Embedding,
            ModelKind::Image => TaskType::ImageGeneration,
            ModelKind::Video => TaskType::VideoGeneration,
        })
        .collect();
}

/// Deserialize an array of entries one by one; returns the good ones with their file indices.
fn list<T: DeserializeOwned>(
    value: toml::Value,
    path: &str,
    problems: &mut Problems,
    mut on_failed: impl FnMut(&toml::Value),
) -> (Vec<T>, Vec<usize>) {
    let items = match value {
        toml::Value::Array(items) => items,
        other => {
            let msg = format!("invalid type: {}, expected an array", other.type_str());
            problems.push(path, msg);
            return (Vec::new(), Vec::new());
        }
    };
    let mut good = Vec::with_capacity(items.len());
    let mut index = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let raw = item.clone();
        match section(item, &format!("{path}[{i}]"), problems) {
            Some(entry) => {
                good.push(entry);
                index.push(i);
            }
            None => on_failed(&raw),
        }
    }
    (good, index)
}

/// Deserialize one value at `path`, recording every unknown key and the first type error.
fn section<T: DeserializeOwned>(
    value: toml::Value,
    path: &str,
    problems: &mut Problems,
) -> Option<T> {
    let mut unknown = Vec::new();
    let result = {
        let mut on_ignored = |p: serde_ignored::Path<'_>| unknown.push(ignored_path(&p));
        let de = serde_ignored::Deserializer::new(value, &mut on_ignored);
        serde_path_to_error::deserialize::<_, T>(de)
    };
    for key in unknown {
        problems.push(join(path, &key), "unknown key");
    }
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            let mut at = join(path, &tracked_path(err.path()));
            let message = err.inner().message();
            if let Some(field) = backticked(message, "missing field `") {
                at = join(&at, field);
                problems.push(at, "missing required key");
            } else if let Some(field) = backticked(message, "unknown field `") {
                if !at.ends_with(field) {
                    at = join(&at, field);
                }
                let expected = message.split_once(", ").map_or("", |(_, rest)| rest);
                problems.push(at, format!("unknown key ({expected})"));
            } else {
                problems.push(at, one_line(message));
            }
            None
        }
    }
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// A non-empty string field of a raw entry, used to suppress cascading problems.
fn str_field(raw: &toml::Value, key: &str) -> Option<String> {
    raw.get(key)
        .and_then(toml::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `prefix.rest`, `prefix[i]` or either part alone when the other is empty.
fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => rest.trim_start_matches('.').to_string(),
        (false, false) if rest.starts_with('[') || rest.starts_with('.') => {
            format!("{prefix}{rest}")
        }
        (false, false) => format!("{prefix}.{rest}"),
    }
}

/// `serde_ignored`'s path as `a.b[0].c`.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => join(&ignored_path(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// `serde_path_to_error`'s path as `a.b[0].c`.
fn tracked_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => out = join(&out, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// `line L, column C` (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

/// Messages may span lines; a problem is one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
