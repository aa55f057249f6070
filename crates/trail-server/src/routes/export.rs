//! Streaming export of a search as CSV, a JSON array or NDJSON. Pages are read
//! one after another with cursors and written as they come, so memory stays flat
//! and the first bytes leave at once. The export is itself audited.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::Response;
use chrono::Utc;
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use trail_core::api::{ErrorBody, EventView};
use trail_core::Actor;
use trail_store::search::SearchRequest;

use super::events::parse_filter;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

const PAGE: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// A search (docs/search.md); add `date:` for a range. Empty exports everything.
    q: Option<String>,
    /// `csv`, `json` (one array) or `ndjson`.
    format: Format,
    /// IANA time zone for dates in the query (default UTC).
    tz: Option<String>,
}

/// Download every event matching a search, newest first.
#[utoipa::path(get, path = "/api/v1/export", tag = "events", params(ExportParams),
    responses((status = 200, description = "The file, streamed"), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn export(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require_read()?;
    let Query(p) = params?;
    let q = p.q.unwrap_or_default();
    let filter = parse_filter(&q, p.tz.as_deref(), &caller)?;
    let filter = super::events::group_words(&state, caller.account(), filter).await?;
    let filter = crate::access::restrict(&state, &caller, filter).await?;
    let (content_type, extension) = match p.format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let job = Export {
        state,
        actor: caller.actor(),
        account: caller.account(),
        query: q,
        format: p.format,
        operation: format!("export-{}", uuid::Uuid::now_v7()),
    };
    // Recorded before the first byte leaves: a reader who stops early was still seen.
    job.audit(None).await;
    let body = Body::from_stream(job.stream(SearchRequest {
        filter,
        after: None,
        limit: PAGE,
        params: true,
    }));
    let disposition = format!(
        "attachment; filename=\"trail-export-{}.{extension}\"",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(body)
        .expect("static headers are valid"))
}

struct Export {
    state: Arc<AppState>,
    actor: Actor,
    account: uuid::Uuid,
    query: String,
    format: Format,
    /// Joins the records of the export's start and end.
    operation: String,
}

/// Where the stream is.
enum Step {
    Start(SearchRequest),
    Page(SearchRequest, usize),
    Finish(usize),
    Done,
}

impl Export {
    fn stream(self, first: SearchRequest) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        let this = Arc::new(self);
        stream::unfold(Step::Start(first), move |step| {
            let this = this.clone();
            async move {
                match step {
                    Step::Start(req) => Some((Ok(this.header()), Step::Page(req, 0))),
                    Step::Page(req, rows) => Some(this.page(req, rows).await),
                    Step::Finish(rows) => {
                        this.audit(Some(rows)).await;
                        Some((Ok(this.footer()), Step::Done))
                    }
                    Step::Done => None,
                }
            }
        })
    }

    async fn page(
        &self,
        mut req: SearchRequest,
        rows: usize,
    ) -> (Result<Bytes, std::io::Error>, Step) {
        match self.state.store.search(self.account, &req).await {
            Ok(page) => {
                let mut out = String::new();
                for (i, e) in page.events.iter().enumerate() {
                    self.write(&mut out, &EventView::from(e), rows + i == 0);
                }
                let rows = rows + page.events.len();
                let next = match page.next {
                    Some(c) => {
                        req.after = Some(c);
                        Step::Page(req, rows)
                    }
                    None => Step::Finish(rows),
                };
                (Ok(Bytes::from(out)), next)
            }
            Err(e) => {
                // The status line is gone already; cutting the stream short tells the
                // client the file is incomplete.
                tracing::error!(error = %e, rows, "export failed");
                (Err(std::io::Error::other(e.to_string())), Step::Done)
            }
        }
    }

    fn header(&self) -> Bytes {
        Bytes::from_static(match self.format {
            Format::Csv => CSV_HEADER.as_bytes(),
            Format::Json => b"[",
            Format::Ndjson => b"",
        })
    }

    fn footer(&self) -> Bytes {
        Bytes::from_static(match self.format {
            Format::Json => b"]\n",
            _ => b"",
        })
    }

    fn write(&self, out: &mut String, e: &EventView, first: bool) {
        match self.format {
            Format::Csv => csv_row(out, e),
            Format::Json => {
                if !first {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
            }
            Format::Ndjson => {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
        }
    }

    /// Reading the log is itself recorded (seed 004: who downloaded what): once
    /// when the export starts (`in_progress`), and with its row count when it ends.
    async fn audit(&self, rows: Option<usize>) {
        let format = match self.format {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        };
        let (status, message) = match rows {
            None => ("in_progress", format!("Started an export as {format}")),
            Some(n) => ("success", format!("Exported {n} events as {format}")),
        };
        let item = json!({
            "type": "log-exported", "action": "exported", "level": "audit", "status": status,
            "operation_id": self.operation,
            "resource": {"kind": "audit-log", "name": "activity log"},
            "message": message,
            "params": {"query": self.query, "format": format, "rows": rows}
        });
        crate::audit::record(&self.state, self.account, self.actor.clone(), item).await;
    }
}

const CSV_HEADER: &str =
    "timestamp,user,action,resource,status,ip_address,id,seq,type,resource_kind,resource_id,\
package,level,source,duration_ms,session_id,request_id,user_agent,message,error,params,changes\n";

fn csv_row(out: &mut String, e: &EventView) {
    use std::borrow::Cow;
    let resource = e.resource.as_ref();
    fn text(v: &Option<String>) -> Cow<'_, str> {
        Cow::Borrowed(v.as_deref().unwrap_or_default())
    }
    let shown = |v: Option<String>| Cow::Owned(v.unwrap_or_default());
    // Borrowed where the view already holds the text: an export writes millions of rows.
    let cells: [Cow<str>; 22] = [
        Cow::Borrowed(&e.occurred_at),
        Cow::Borrowed(e.actor.email.as_deref().unwrap_or(&e.actor.id)),
        Cow::Borrowed(&e.action),
        Cow::Borrowed(
            resource
                .and_then(|r| r.name.as_deref().or(r.id.as_deref()))
                .unwrap_or_default(),
        ),
        Cow::Owned(e.status.to_string()),
        text(&e.ip),
        Cow::Owned(e.id.to_string()),
        Cow::Owned(e.seq.to_string()),
        Cow::Borrowed(&e.event_type),
        shown(resource.map(|r| r.kind.to_string())),
        Cow::Borrowed(resource.and_then(|r| r.id.as_deref()).unwrap_or_default()),
        text(&e.package),
        Cow::Owned(e.level.to_string()),
        Cow::Owned(e.source.to_string()),
        shown(e.duration_ms.map(|d| d.to_string())),
        shown(e.session_id.map(|s| s.to_string())),
        text(&e.request_id),
        text(&e.user_agent),
        text(&e.message),
        Cow::Borrowed(
            e.error
                .as_ref()
                .map(|x| x.message.as_str())
                .unwrap_or_default(),
        ),
        if e.params.is_empty() {
            Cow::Borrowed("")
        } else {
            Cow::Owned(serde_json::to_string(&e.params).unwrap_or_default())
        },
        shown(
            e.changes
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default()),
        ),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_cell(out, cell);
    }
    out.push('\n');
}

/// Quotes a cell when needed, and defuses spreadsheet formulas: a cell that starts
/// with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
pub fn csv_cell(out: &mut String, cell: &str) {
    let defused = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&defused.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&defused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> String {
        let mut out = String::new();
        csv_cell(&mut out, s);
        out
    }

    #[test]
    fn csv_cells_are_escaped_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
