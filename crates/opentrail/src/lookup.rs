//! `opentrail lookup`: event history from a running OpenTrail through LookupEvents (SigV4, the
//! AWS CLI's credentials), every page followed up to `--max-items`, as a table or JSON lines.

use std::io::Write;

use anyhow::{Context, bail};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

use crate::cli::LookupArgs;
use crate::cloudtrail_client;

pub(crate) fn run(args: LookupArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    runtime.block_on(run_async(args))
}

/// The request members, without paging.
fn request(args: &LookupArgs) -> anyhow::Result<Map<String, Value>> {
    let mut request = Map::new();
    let attributes = [
        ("EventId", &args.event_id),
        ("EventName", &args.event_name),
        ("ReadOnly", &args.read_only),
        ("Username", &args.username),
        ("ResourceType", &args.resource_type),
        ("ResourceName", &args.resource_name),
        ("EventSource", &args.event_source),
        ("AccessKeyId", &args.access_key_id),
    ];
    if let Some((key, Some(value))) = attributes.iter().find(|(_, v)| v.is_some()) {
        request.insert(
            "LookupAttributes".into(),
            json!([{ "AttributeKey": key, "AttributeValue": value }]),
        );
    }
    if let Some(text) = &args.start_time {
        request.insert(
            "StartTime".into(),
            json!(cloudtrail_client::parse_time(text, "--start-time")?),
        );
    }
    if let Some(text) = &args.end_time {
        request.insert("EndTime".into(), json!(cloudtrail_client::parse_time(text, "--end-time")?));
    }
    if args.insight {
        request.insert("EventCategory".into(), json!("insight"));
    }
    Ok(request)
}

async fn run_async(args: LookupArgs) -> anyhow::Result<()> {
    let url = cloudtrail_client::endpoint_url(
        args.endpoint_url.as_deref(),
        "no OpenTrail endpoint: set AWS_ENDPOINT_URL (for OpenTrail, `source <data-dir>/admin.env`) or pass --endpoint-url",
    )?;
    let authority = cloudtrail_client::http_authority(&url, "the OpenTrail endpoint")?;
    let region =
        cloudtrail_client::region(args.region.as_deref()).unwrap_or_else(|| "us-east-1".to_owned());
    let credentials = cloudtrail_client::credentials()?;
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let base = request(&args)?;

    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} events [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.output == "table" {
        writeln!(
            out,
            "{:<20}  {:<32}  {:<24}  {:<28}  {:<36}  RESOURCES",
            "EVENT TIME", "EVENT NAME", "USER NAME", "EVENT SOURCE", "EVENT ID"
        )?;
    }
    let mut n_printed = 0usize;
    let mut token: Option<String> = None;
    loop {
        let mut body = base.clone();
        let remaining = if args.max_items == 0 { 50 } else { args.max_items - n_printed };
        body.insert("MaxResults".into(), json!(remaining.min(50)));
        if let Some(token) = &token {
            body.insert("NextToken".into(), json!(token));
        }
        let body = Value::Object(body).to_string();
        let (status, answer) = cloudtrail_client::call(
            &client,
            &authority,
            &credentials,
            &region,
            "LookupEvents",
            &body,
        )
        .await
        .map_err(|message| anyhow::anyhow!(message))?;
        let answer: Value = serde_json::from_slice(&answer).with_context(|| {
            format!("LookupEvents answered {status} with a body that is not JSON")
        })?;
        if !status.is_success() {
            let code = answer.get("__type").and_then(Value::as_str).unwrap_or("error");
            let message = answer.get("message").and_then(Value::as_str).unwrap_or_default();
            bail!("LookupEvents failed: {code}: {message}");
        }
        let events = answer.get("Events").and_then(Value::as_array).cloned().unwrap_or_default();
        for event in &events {
            print_event(&mut out, event, &args.output)?;
            n_printed += 1;
            progress.inc(1);
        }
        token = answer.get("NextToken").and_then(Value::as_str).map(str::to_owned);
        if token.is_none() || (args.max_items != 0 && n_printed >= args.max_items) {
            break;
        }
    }
    progress.finish_and_clear();
    out.flush()?;
    if n_printed == 0 {
        tracing::info!("no events match");
    }
    Ok(())
}

fn print_event(out: &mut impl Write, event: &Value, output: &str) -> std::io::Result<()> {
    let text = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("-");
    if output == "json" {
        let mut event = event.clone();
        if let Some(record) = event
            .get("CloudTrailEvent")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            && let Some(object) = event.as_object_mut()
        {
            object.insert("CloudTrailEvent".into(), record);
        }
        return writeln!(out, "{event}");
    }
    let time = event
        .get("EventTime")
        .and_then(Value::as_f64)
        .map(|t| cloudtrail_model::time::format_unix_seconds(t.floor() as i64))
        .unwrap_or_else(|| "-".into());
    let resources: Vec<String> = event
        .get("Resources")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|r| {
                    let name = r.get("ResourceName").and_then(Value::as_str).unwrap_or("");
                    match r.get("ResourceType").and_then(Value::as_str) {
                        Some(kind) => format!("{kind} {name}"),
                        None => name.to_owned(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    writeln!(
        out,
        "{:<20}  {:<32}  {:<24}  {:<28}  {:<36}  {}",
        time,
        text("EventName"),
        text("Username"),
        text("EventSource"),
        text("EventId"),
        resources.join(", ")
    )
}
