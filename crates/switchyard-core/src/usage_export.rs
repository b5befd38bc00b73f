//! Usage export: the records matching a filter as CSV (RFC 4180: header row, CRLF, quoted
//! fields) or as one JSON array, produced page by page over a keyset cursor so an export of
//! any size holds at most one page of records in memory.

use std::fmt::Write as _;
use std::str::FromStr;

use futures::Stream;
use switchyard_store::{Store, StoreError, UsageCursor, UsageFilter};
use switchyard_types::UsageRecord;

/// Records fetched per database round trip.
pub const PAGE: u32 = 1000;

/// The CSV header row: the columns of a usage record, in this order.
pub const CSV_HEADER: &str = "id,request_id,key_id,user_id,team_id,model,provider,endpoint,\
input_tokens,output_tokens,cached_input_tokens,reasoning_tokens,cost_usd,latency_ms,ttft_ms,\
status,error_kind,created_at\r\n";

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of usage records.
    Json,
}

impl ExportFormat {
    /// The format's name (`csv`, `json`), also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    /// The media type of the exported document.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }

    fn head(self) -> &'static str {
        match self {
            Self::Csv => CSV_HEADER,
            Self::Json => "[",
        }
    }

    fn tail(self) -> &'static str {
        match self {
            Self::Csv => "",
            Self::Json => "]\n",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown format `{other}`; expected csv or json")),
        }
    }
}

/// Where the export is.
enum Phase {
    Head,
    Body(Option<UsageCursor>),
    Tail,
    Done,
}

struct State {
    store: Store,
    filter: UsageFilter,
    format: ExportFormat,
    phase: Phase,
    written: u64,
}

/// The export as a stream of text chunks: the head, one chunk per page, the tail. A database
/// failure ends the stream with that error.
pub fn export(
    store: Store,
    filter: UsageFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<String, StoreError>> + Send + 'static {
    let state = State {
        store,
        filter,
        format,
        phase: Phase::Head,
        written: 0,
    };
    futures::stream::unfold(state, |mut s| async move {
        match std::mem::replace(&mut s.phase, Phase::Done) {
            Phase::Head => {
                s.phase = Phase::Body(None);
                Some((Ok(s.format.head().to_owned()), s))
            }
            Phase::Body(cursor) => {
                let page = s
                    .store
                    .usage()
                    .page_after(&s.filter, cursor.as_ref(), PAGE)
                    .await;
                match page {
                    Err(e) => Some((Err(e), s)),
                    Ok(records) => {
                        let full = records.len() >= usize::try_from(PAGE).unwrap_or(usize::MAX);
                        s.phase = match records.last() {
                            Some(last) if full => Phase::Body(Some(UsageCursor {
                                created_at: last.created_at,
                                id: last.id.clone(),
                            })),
                            _ => Phase::Tail,
                        };
                        let chunk = encode(&records, s.format, s.written);
                        s.written += records.len() as u64;
                        Some((chunk, s))
                    }
                }
            }
            Phase::Tail => Some((Ok(s.format.tail().to_owned()), s)),
            Phase::Done => None,
        }
    })
}

/// One page of records in `format`; `before` records were written earlier.
fn encode(
    records: &[UsageRecord],
    format: ExportFormat,
    before: u64,
) -> Result<String, StoreError> {
    let mut out = String::with_capacity(records.len() * 256);
    for (i, r) in records.iter().enumerate() {
        match format {
            ExportFormat::Csv => csv_row(&mut out, r),
            ExportFormat::Json => {
                if before > 0 || i > 0 {
                    out.push(',');
                }
                out.push('\n');
                let json = serde_json::to_string(r)
                    .map_err(|e| StoreError::Corrupt(format!("usage record {}: {e}", r.id)))?;
                out.push_str(&json);
            }
        }
    }
    Ok(out)
}

/// Appends one CSV row (CRLF-terminated) for a record.
pub fn csv_row(out: &mut String, r: &UsageRecord) {
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let texts = [
        r.id.as_str(),
        &r.request_id,
        r.key_id.as_deref().unwrap_or(""),
        r.user_id.as_deref().unwrap_or(""),
        r.team_id.as_deref().unwrap_or(""),
        &r.model,
        &r.provider,
        &r.endpoint,
    ];
    for text in texts {
        csv_text(out, text);
        out.push(',');
    }
    let _ = write!(
        out,
        "{},{},{},{},{},{},{},{},",
        r.input_tokens,
        r.output_tokens,
        r.cached_input_tokens,
        r.reasoning_tokens,
        r.cost_usd,
        r.latency_ms,
        opt(r.ttft_ms),
        r.status,
    );
    csv_text(out, r.error_kind.map(|k| k.as_str()).unwrap_or(""));
    let _ = write!(out, ",{}\r\n", r.created_at);
}

/// Appends a text field: quoted (quotes doubled) when it holds a comma, quote, CR or LF;
/// prefixed with `'` when a spreadsheet would read it as a formula (`=`, `+`, `-`, `@`, tab,
/// CR), since request ids and model names can come from clients.
pub fn csv_text(out: &mut String, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = text.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> String {
        let mut out = String::new();
        csv_text(&mut out, text);
        out
    }

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\r\nlines"), "\"two\r\nlines\"");
    }

    #[test]
    fn csv_fields_that_look_like_formulas_are_defused() {
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("=1,2"), "\"'=1,2\"");
        assert_eq!(field("@sum"), "'@sum");
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("csv".parse(), Ok(ExportFormat::Csv));
        assert_eq!("json".parse(), Ok(ExportFormat::Json));
        let err = "xml".parse::<ExportFormat>().err().unwrap_or_default();
        assert!(err.contains("`xml`"), "{err}");
    }
}
