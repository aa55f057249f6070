//! The commands that talk to a running server: `log`, `show`, `search`, `export`.

use anyhow::Context;
use clap::Args;
use serde_json::Value;
use trail_client::Client;
use trail_core::input::{ActorInput, ErrorInput, ResourceInput};
use trail_core::EventInput;
use uuid::Uuid;

use crate::output::{line, say};

/// Where the server is and how to authenticate.
#[derive(Args, Debug)]
pub struct Remote {
    /// The server's URL.
    #[arg(long, env = "TRAIL_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key (ingest or admin scope to send, read or admin to read).
    #[arg(long, env = "TRAIL_API_KEY", hide_env_values = true)]
    api_key: String,
}

impl Remote {
    pub(crate) fn client(&self) -> Client {
        Client::new(&self.url, &self.api_key)
    }
}

#[derive(Args, Debug)]
pub struct LogArgs {
    #[command(flatten)]
    remote: Remote,
    /// Event type: a catalogue type (query-created, script-start, ...) or your own.
    #[arg(long = "type")]
    event_type: String,
    /// The resource as `kind:id:name` (`query:42:Top 10 Customers`); kind or name may be left out (`:42:Top 10`).
    #[arg(long)]
    resource: Option<String>,
    /// A parameter `name=value`; numbers, true/false and JSON are kept typed. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    #[arg(long)]
    message: Option<String>,
    /// Who acted, as `kind:id` (`user:alice@company.com`); default: the API key.
    #[arg(long)]
    actor: Option<String>,
    #[arg(long)]
    actor_name: Option<String>,
    #[arg(long)]
    session: Option<String>,
    /// client or server.
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    action: Option<String>,
    /// success, failed, in_progress or pending.
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    level: Option<String>,
    #[arg(long)]
    package: Option<String>,
    #[arg(long)]
    duration_ms: Option<u64>,
    #[arg(long)]
    ip: Option<String>,
    #[arg(long)]
    request_id: Option<String>,
    #[arg(long)]
    operation_id: Option<String>,
    /// RFC 3339; default now.
    #[arg(long)]
    occurred_at: Option<String>,
    /// A UUIDv7 to make retries of this command idempotent.
    #[arg(long)]
    id: Option<String>,
    /// Record an error with this message.
    #[arg(long)]
    error: Option<String>,
    #[arg(long, requires = "error")]
    stack_trace: Option<String>,
}

pub async fn run(a: LogArgs) -> anyhow::Result<()> {
    let event = EventInput {
        id: a.id,
        event_type: a.event_type,
        occurred_at: a.occurred_at,
        actor: a
            .actor
            .as_deref()
            .map(|s| parse_actor(s, a.actor_name.clone()))
            .transpose()?,
        session_id: a.session,
        source: a.source,
        resource: a.resource.as_deref().map(parse_resource),
        package: a.package,
        action: a.action,
        status: a.status,
        level: a.level,
        duration_ms: a.duration_ms,
        ip: a.ip,
        request_id: a.request_id,
        operation_id: a.operation_id,
        message: a.message,
        params: if a.params.is_empty() {
            None
        } else {
            Some(parse_params(&a.params)?)
        },
        error: a.error.map(|message| ErrorInput {
            message,
            stack_trace: a.stack_trace,
        }),
        ..EventInput::default()
    };
    let resp = a
        .remote
        .client()
        .send_event(&event)
        .await
        .map_err(explain)?;
    let e = &resp.events[0];
    let note = if e.duplicate { " (already stored)" } else { "" };
    say!("{} seq {}{note}", e.id, e.seq);
    Ok(())
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    remote: Remote,
    /// A search (docs/search.md), e.g. 'user:alice action:updated resource:database date:7d'.
    #[arg(default_value = "")]
    query: String,
    /// Events to show at most (pages of up to 500 are fetched as needed).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Print JSON lines (one event each) instead of a table.
    #[arg(long)]
    json: bool,
    /// Time zone for dates in the query and the output, e.g. Europe/Berlin [default: UTC].
    #[arg(long)]
    tz: Option<String>,
    /// Keep running and print new matching events as they arrive.
    #[arg(long)]
    follow: bool,
}

pub async fn search(a: SearchArgs) -> anyhow::Result<()> {
    let client = a.remote.client();
    let mut shown = 0;
    let mut cursor: Option<String> = None;
    let mut newest: Option<(String, i64)> = None;
    while shown < a.limit {
        let page = client
            .search(
                &a.query,
                (a.limit - shown).min(500),
                cursor.as_deref(),
                a.tz.as_deref(),
            )
            .await
            .map_err(explain)?;
        if cursor.is_none() && !a.json {
            // After the first answer: a refused query prints its error alone.
            print_header();
        }
        if newest.is_none() {
            newest = page.events.first().map(|e| (e.occurred_at.clone(), e.seq));
        }
        for e in &page.events {
            print_event(e, a.json)?;
        }
        shown += page.events.len() as u32;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    if shown == 0 && !a.json {
        eprintln!("(no events match)");
    }
    if a.follow {
        follow(&client, &a, newest).await?;
    }
    Ok(())
}

fn print_header() {
    line(table_row(
        [
            "time (UTC)",
            "user",
            "action",
            "resource",
            "status",
            "ip",
            "duration",
        ]
        .map(String::from),
    ));
}

/// Polls the newest page and prints what is newer than the last event printed.
async fn follow(
    client: &Client,
    a: &SearchArgs,
    mut newest: Option<(String, i64)>,
) -> anyhow::Result<()> {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let page = client
            .search(&a.query, 100, None, a.tz.as_deref())
            .await
            .map_err(explain)?;
        let fresh: Vec<_> = page
            .events
            .iter()
            .take_while(|e| {
                newest
                    .as_ref()
                    .is_none_or(|(t, s)| (&e.occurred_at, e.seq) > (t, *s))
            })
            .collect();
        for e in fresh.iter().rev() {
            print_event(e, a.json)?;
        }
        if let Some(e) = fresh.first() {
            newest = Some((e.occurred_at.clone(), e.seq));
        }
    }
}

fn print_event(e: &trail_core::api::EventView, json: bool) -> anyhow::Result<()> {
    if json {
        line(serde_json::to_string(e)?);
        return Ok(());
    }
    let resource = e
        .resource
        .as_ref()
        .map(|r| {
            format!(
                "{} {}",
                r.kind,
                r.name.clone().or(r.id.clone()).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let user = e.actor.email.clone().unwrap_or_else(|| e.actor.id.clone());
    let duration = e.duration_ms.map(|d| format!("{d}ms")).unwrap_or_default();
    let time = e
        .occurred_at
        .get(..19)
        .unwrap_or(&e.occurred_at)
        .replace('T', " ");
    line(table_row([
        time,
        user,
        e.action.clone(),
        resource,
        e.status.to_string(),
        e.ip.clone().unwrap_or_default(),
        duration,
    ]));
    Ok(())
}

fn table_row(cells: [String; 7]) -> String {
    let widths = [19, 26, 10, 34, 11, 15, 8];
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| {
            let c: String = c.chars().take(w).collect();
            format!("{c:<w$}")
        })
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    remote: Remote,
    /// A search (docs/search.md); add `date:2024-06-01..2024-06-30` for a range.
    #[arg(default_value = "")]
    query: String,
    /// csv, json or ndjson.
    #[arg(long, default_value = "csv")]
    format: String,
    /// The file to write [default: standard output].
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
    /// Time zone for dates in the query, e.g. Europe/Berlin [default: UTC].
    #[arg(long)]
    tz: Option<String>,
}

pub async fn export(a: ExportArgs) -> anyhow::Result<()> {
    use futures::StreamExt;
    use std::io::Write;
    let resp = a
        .remote
        .client()
        .export(&a.query, &a.format, a.tz.as_deref())
        .await
        .map_err(explain)?;
    let mut out: Box<dyn Write> = match &a.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let started = std::time::Instant::now();
    let mut last_report = started;
    let (mut bytes, mut lines) = (0usize, 0usize);
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            anyhow::anyhow!("the export stopped early ({e}); the file is incomplete")
        })?;
        out.write_all(&chunk)?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        if a.output.is_some() && last_report.elapsed().as_millis() >= 250 {
            eprint!("\r{} lines, {:.1} MB", lines, bytes as f64 / 1e6);
            last_report = std::time::Instant::now();
        }
    }
    out.flush()?;
    if let Some(path) = &a.output {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "\r{lines} lines, {:.1} MB written to {} in {secs:.1} s",
            bytes as f64 / 1e6,
            path.display()
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    remote: Remote,
    /// The event's id.
    id: Uuid,
    /// Print the event as JSON instead of for reading.
    #[arg(long)]
    json: bool,
}

pub async fn get(a: GetArgs) -> anyhow::Result<()> {
    let event = a.remote.client().get_event(a.id).await.map_err(explain)?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&event)?);
    } else {
        print!("{}", describe(&event));
    }
    Ok(())
}

/// One event for a person to read: seed 004's "Viewing Event Details".
fn describe(e: &trail_core::api::EventView) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let resource = e.resource.as_ref().map(|r| {
        let name = r
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        format!("{}{name} (id {})", r.kind, r.id.as_deref().unwrap_or("-"))
    });
    let user = match (&e.actor.email, &e.actor.name) {
        (Some(email), _) => email.clone(),
        (None, Some(name)) => format!("{name} ({})", e.actor.id),
        _ => e.actor.id.clone(),
    };
    let _ = writeln!(
        out,
        "{} {} — {}",
        e.event_type,
        e.id,
        e.message.as_deref().unwrap_or("")
    );
    let _ = writeln!(out, "\nBasic information");
    let _ = writeln!(out, "  User:      {user} ({})", e.actor.kind);
    let _ = writeln!(out, "  Action:    {}", e.action);
    let _ = writeln!(
        out,
        "  Resource:  {}",
        resource.unwrap_or_else(|| "-".into())
    );
    let _ = writeln!(out, "  Status:    {}", e.status);
    let _ = writeln!(out, "\nMetadata");
    let _ = writeln!(
        out,
        "  Time:       {} (received {})",
        e.occurred_at, e.received_at
    );
    let _ = writeln!(out, "  IP address: {}", opt(&e.ip));
    let _ = writeln!(out, "  User agent: {}", opt(&e.user_agent));
    let _ = writeln!(
        out,
        "  Session:    {}",
        e.session_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into())
    );
    let _ = writeln!(out, "  Request:    {}", opt(&e.request_id));
    let _ = writeln!(
        out,
        "  Duration:   {}",
        e.duration_ms
            .map(|d| format!("{d} ms"))
            .unwrap_or_else(|| "-".into())
    );
    let _ = writeln!(
        out,
        "  Package:    {}   Level: {}   Source: {}   Seq: {}",
        opt(&e.package),
        e.level,
        e.source,
        e.seq
    );
    if let Some(c) = &e.changes {
        let _ = writeln!(
            out,
            "\nChanges made\n  Before: {}\n  After:  {}\n  Changed fields:",
            c.before, c.after
        );
        for f in &c.changed {
            let _ = writeln!(out, "  - {f}");
        }
    }
    if !e.params.is_empty() {
        let _ = writeln!(out, "\nParameters");
        for (k, v) in &e.params {
            let _ = writeln!(out, "  {k} = {v}");
        }
    }
    if let Some(err) = &e.error {
        let _ = writeln!(
            out,
            "\nError: {} (signature {})",
            err.message, err.signature
        );
        if let Some(stack) = &err.stack_trace {
            for line in stack.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    if let Some(links) = &e.links {
        let _ = writeln!(out, "\nSee also");
        if let Some(s) = &e.session_id {
            let _ = writeln!(out, "  this session:      trail search 'session:{s}'");
        }
        if let (Some(r), Some(_)) = (&e.resource, &links.resource_activity) {
            let _ = writeln!(
                out,
                "  resource activity: trail search 'kind:{} resource.id:{} date:7d'",
                r.kind,
                r.id.as_deref().unwrap_or("")
            );
        }
    }
    let _ = writeln!(out, "\nHash: {}", e.hash);
    out
}

/// Turns an API error into a message listing every refused field.
pub(crate) fn explain(e: trail_client::ClientError) -> anyhow::Error {
    match &e {
        trail_client::ClientError::Api { body, .. } if !body.error.details.is_empty() => {
            let lines: Vec<String> = body
                .error
                .details
                .iter()
                .map(|d| format!("  {}: {}", d.field, d.message))
                .collect();
            anyhow::anyhow!("{e}\n{}", lines.join("\n"))
        }
        _ => e.into(),
    }
}

fn parse_resource(s: &str) -> ResourceInput {
    let mut parts = s.splitn(3, ':');
    let non_empty = |p: Option<&str>| p.filter(|x| !x.is_empty()).map(str::to_string);
    ResourceInput {
        kind: non_empty(parts.next()),
        id: non_empty(parts.next()),
        name: non_empty(parts.next()),
    }
}

fn parse_actor(s: &str, name: Option<String>) -> anyhow::Result<ActorInput> {
    let (kind, id) = s
        .split_once(':')
        .context("--actor must be kind:id, e.g. user:alice@company.com")?;
    Ok(ActorInput {
        kind: kind.into(),
        id: id.into(),
        name,
        email: id.contains('@').then(|| id.to_string()),
    })
}

fn parse_params(raw: &[String]) -> anyhow::Result<serde_json::Map<String, Value>> {
    raw.iter()
        .map(|p| {
            let (name, value) = p
                .split_once('=')
                .with_context(|| format!("--param {p:?} must be NAME=VALUE"))?;
            let typed = match serde_json::from_str::<Value>(value) {
                Ok(
                    v @ (Value::Number(_) | Value::Bool(_) | Value::Object(_) | Value::Array(_)),
                ) => v,
                _ => Value::String(value.to_string()),
            };
            Ok((name.to_string(), typed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_spec_splits_into_kind_id_and_name() {
        let r = parse_resource("query:42:Top 10: Customers");
        assert_eq!(
            (r.kind.as_deref(), r.id.as_deref(), r.name.as_deref()),
            (Some("query"), Some("42"), Some("Top 10: Customers"))
        );
        let r = parse_resource(":42");
        assert_eq!((r.kind, r.id.as_deref(), r.name), (None, Some("42"), None));
    }

    #[test]
    fn params_keep_types() {
        let p = parse_params(&[
            "rows=10".into(),
            "ok=true".into(),
            "name=Top 10".into(),
            "id=007x".into(),
        ])
        .unwrap();
        assert_eq!(p["rows"], 10);
        assert_eq!(p["ok"], true);
        assert_eq!(p["name"], "Top 10");
        assert_eq!(p["id"], "007x");
        assert!(parse_params(&["novalue".into()]).is_err());
    }
}
