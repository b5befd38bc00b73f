//! Usage analytics over HTTP: the admin report and export (`/api/v1/admin/usage`,
//! `/api/v1/admin/usage/export`) and the caller's own report (`/api/v1/usage`, pinned to the
//! caller's user whatever they ask). Query parameters become a store filter here; a bad one
//! is a 400 naming it. The figures come from the store, the export stream from core.

use std::str::FromStr;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::{Map, Value, json};
use switchyard_core::usage_export::{self, ExportFormat};
use switchyard_store::{GroupBy, StatusClass, UsageFilter, UsageGroup, UsageReport};
use switchyard_types::{Identity, Millis};

use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::QueryParams;

/// Most groups one report returns; `truncated` says when more matched.
pub const MAX_GROUPS: u32 = 10_000;

/// Query parameters as sent: `name=value` pairs, in order.
type Pairs = Vec<(String, String)>;

/// Which parameters a route accepts besides the filters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Report,
    Export,
}

/// A parsed, validated usage query.
#[derive(Debug, Default)]
struct UsageQuery {
    filter: UsageFilter,
    group_by: Vec<GroupBy>,
    format: Option<ExportFormat>,
}

/// The filters as echoed back in a report.
#[derive(Serialize)]
struct Filters<'a> {
    from: Option<Millis>,
    to: Option<Millis>,
    key_id: Option<&'a str>,
    user_id: Option<&'a str>,
    team_id: Option<&'a str>,
    model: Option<&'a str>,
    provider: Option<&'a str>,
    status: Option<&'static str>,
}

fn parse_value<T: FromStr>(name: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| ApiError::field(name, format!("{e}")))
}

fn parse_millis(name: &str, value: &str) -> Result<Millis, ApiError> {
    match value.parse::<Millis>() {
        Ok(ms) if ms >= 0 => Ok(ms),
        _ => Err(ApiError::field(
            name,
            format!("`{value}` is not a time; expected Unix milliseconds (an integer >= 0)"),
        )),
    }
}

/// Parses the query of `route`: unknown or repeated parameters, bad values and `from`
/// after `to` are 400s naming the parameter. Empty values count as absent.
fn parse(pairs: &Pairs, route: Route) -> Result<UsageQuery, ApiError> {
    let mut q = UsageQuery::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(ApiError::field(name, "given more than once"));
        }
        seen.push(name);
        if value.is_empty() {
            continue;
        }
        let text = || Some(value.clone());
        let f = &mut q.filter;
        match (name.as_str(), route) {
            ("from", _) => f.from = Some(parse_millis(name, value)?),
            ("to", _) => f.to = Some(parse_millis(name, value)?),
            ("key_id", _) => f.key_id = text(),
            ("user_id", _) => f.user_id = text(),
            ("team_id", _) => f.team_id = text(),
            ("model", _) => f.model = text(),
            ("provider", _) => f.provider = text(),
            ("status", _) => f.status = Some(parse_value::<StatusClass>(name, value)?),
            ("group_by", Route::Report) => {
                for part in value.split(',').map(str::trim) {
                    let by = parse_value::<GroupBy>(name, part)?;
                    if q.group_by.contains(&by) {
                        return Err(ApiError::field(name, format!("`{part}` is named twice")));
                    }
                    q.group_by.push(by);
                }
            }
            ("format", Route::Export) => q.format = Some(parse_value(name, value)?),
            _ => {
                let known = match route {
                    Route::Report => "group_by",
                    Route::Export => "format",
                };
                return Err(ApiError::field(
                    name,
                    format!(
                        "unknown parameter; expected from, to, key_id, user_id, team_id, model, \
                         provider, status or {known}"
                    ),
                ));
            }
        }
    }
    if let (Some(from), Some(to)) = (q.filter.from, q.filter.to)
        && from > to
    {
        return Err(ApiError::field("from", "must not be after `to`"));
    }
    Ok(q)
}

/// One group as JSON: its dimension values by field name, then its figures.
fn group_json(group: &UsageGroup) -> Value {
    let mut object = match serde_json::to_value(&group.stats) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (by, value) in &group.key {
        object.insert(by.field().to_owned(), json!(value));
    }
    Value::Object(object)
}

fn report_json(report: &UsageReport, q: &UsageQuery) -> Value {
    let f = &q.filter;
    let filters = Filters {
        from: f.from,
        to: f.to,
        key_id: f.key_id.as_deref(),
        user_id: f.user_id.as_deref(),
        team_id: f.team_id.as_deref(),
        model: f.model.as_deref(),
        provider: f.provider.as_deref(),
        status: f.status.map(StatusClass::as_str),
    };
    let group_by: Vec<&str> = q.group_by.iter().map(|g| g.as_str()).collect();
    json!({
        "groups": report.groups.iter().map(group_json).collect::<Vec<_>>(),
        "totals": report.totals,
        "filters": filters,
        "group_by": group_by,
        "truncated": report.truncated,
    })
}

async fn run_report(state: &AppState, q: &UsageQuery) -> Result<Json<Value>, ApiError> {
    let report = state
        .store
        .usage()
        .report(&q.filter, &q.group_by, MAX_GROUPS)
        .await?;
    Ok(Json(report_json(&report, q)))
}

/// GET /api/v1/admin/usage: totals and groups over every caller's usage.
pub async fn report(
    State(state): State<AppState>,
    QueryParams(pairs): QueryParams<Pairs>,
) -> Result<Json<Value>, ApiError> {
    let q = parse(&pairs, Route::Report)?;
    run_report(&state, &q).await
}

/// GET /api/v1/usage: the caller's own report; `user_id` is always the caller's.
pub async fn own_report(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    QueryParams(pairs): QueryParams<Pairs>,
) -> Result<Json<Value>, ApiError> {
    let mut q = parse(&pairs, Route::Report)?;
    q.filter.user_id = Some(caller.user_id);
    run_report(&state, &q).await
}

/// GET /api/v1/admin/usage/export: the matching records as CSV (the default) or JSON,
/// streamed page by page as an attachment.
pub async fn export(
    State(state): State<AppState>,
    QueryParams(pairs): QueryParams<Pairs>,
) -> Result<Response, ApiError> {
    let q = parse(&pairs, Route::Export)?;
    let format = q.format.unwrap_or(ExportFormat::Csv);
    let stream = usage_export::export(state.store.clone(), q.filter, format).inspect_err(|e| {
        tracing::error!(error = %e, "usage export failed part-way; the download is cut short");
    });
    let disposition = format!("attachment; filename=\"usage.{}\"", format.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn param(result: Result<UsageQuery, ApiError>) -> Option<String> {
        result.err().and_then(|e| e.param)
    }

    #[test]
    fn filters_and_group_by_parse() {
        let q = parse(
            &pairs(&[
                ("from", "10"),
                ("to", "20"),
                ("model", "m"),
                ("key_id", ""),
                ("status", "error"),
                ("group_by", "model, day"),
            ]),
            Route::Report,
        );
        let Ok(q) = q else {
            unreachable!("valid query refused")
        };
        assert_eq!((q.filter.from, q.filter.to), (Some(10), Some(20)));
        assert_eq!(q.filter.model.as_deref(), Some("m"));
        assert_eq!(q.filter.key_id, None);
        assert_eq!(q.filter.status, Some(StatusClass::Error));
        assert_eq!(q.group_by, [GroupBy::Model, GroupBy::Day]);
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = [
            (("group_by", "color"), Route::Report, "group_by"),
            (("group_by", "day,day"), Route::Report, "group_by"),
            (("from", "yesterday"), Route::Report, "from"),
            (("to", "-5"), Route::Report, "to"),
            (("status", "maybe"), Route::Report, "status"),
            (("format", "xml"), Route::Export, "format"),
            (("format", "csv"), Route::Report, "format"),
            (("group_by", "day"), Route::Export, "group_by"),
            (("colour", "red"), Route::Report, "colour"),
        ];
        for ((name, value), route, expected) in bad {
            let got = param(parse(&pairs(&[(name, value)]), route));
            assert_eq!(got.as_deref(), Some(expected), "{name}={value}");
        }
        let reversed = pairs(&[("from", "20"), ("to", "10")]);
        assert_eq!(
            param(parse(&reversed, Route::Report)).as_deref(),
            Some("from")
        );
        let twice = pairs(&[("model", "a"), ("model", "b")]);
        assert_eq!(
            param(parse(&twice, Route::Report)).as_deref(),
            Some("model")
        );
    }
}
