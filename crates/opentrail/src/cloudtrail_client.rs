//! One signed CloudTrail API call (AWS JSON 1.1 over plain HTTP, SigV4), for the commands that
//! talk to a running OpenTrail (`validate-logs`, `lookup`, the benchmarks), with the AWS CLI's
//! way of finding credentials, and the time arguments they share.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, bail};

use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

/// Calls `operation` at `http://<authority>/` with `body`; returns the status and the answer.
pub(crate) async fn call(
    client: &Client<HttpConnector, Full<Bytes>>,
    authority: &str,
    credentials: &sigv4::Credentials,
    region: &str,
    operation: &str,
    body: &str,
) -> Result<(StatusCode, Bytes), String> {
    let target = format!("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.{operation}");
    let mut headers = vec![
        ("host".to_owned(), authority.to_owned()),
        ("content-type".to_owned(), "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target".to_owned(), target),
    ];
    let params = sigv4::SigningParams {
        credentials,
        region,
        service: "cloudtrail",
        now: SystemTime::now(),
        uri_encoding: sigv4::UriEncoding::Normal,
    };
    sigv4::sign(&mut headers, "POST", "/", "", body.as_bytes(), &params);
    let mut request = hyper::Request::builder().method("POST").uri(format!("http://{authority}/"));
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| format!("build the {operation} request: {e}"))?;
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("call {operation} at http://{authority}/: {e}"))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("read the {operation} answer: {e}"))?
        .to_bytes();
    Ok((status, bytes))
}

/// `2026-11-21T10:00:00Z`, `2026-11-21T10:00:00`, `2026-11-21`, or Unix seconds; UTC.
pub(crate) fn parse_time(text: &str, what: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let full = match text.len() {
        10 => format!("{text}T00:00:00Z"),
        19 => format!("{text}Z"),
        _ => text.replace("+00:00", "Z"),
    };
    cloudtrail_model::time::EventTime::parse(&full)
        .map(|t| t.unix_seconds)
        .with_context(|| format!("{what} `{text}` is not a UTC time like `2026-11-21T10:00:00Z`"))
}

/// Credentials as the AWS CLI finds them: the environment, else the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) for `AWS_PROFILE` or `default`.
pub(crate) fn credentials() -> anyhow::Result<sigv4::Credentials> {
    if let (Some(access_key_id), Some(secret_access_key)) =
        (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    {
        return Ok(sigv4::Credentials {
            access_key_id,
            secret_access_key,
            session_token: env("AWS_SESSION_TOKEN"),
        });
    }
    let path = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".aws/credentials")));
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
    if let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) {
        let mut section = String::new();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_owned();
            } else if section == profile
                && let Some((key, value)) = line.split_once('=')
            {
                values.insert(key.trim().to_owned(), value.trim().to_owned());
            }
        }
        if let (Some(id), Some(secret)) =
            (values.get("aws_access_key_id"), values.get("aws_secret_access_key"))
        {
            return Ok(sigv4::Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: values.get("aws_session_token").cloned(),
            });
        }
    }
    bail!(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for OpenTrail, `source <data-dir>/admin.env`), or use --data-dir"
    )
}

/// `http://host:port[/]` → `host:port`; https is refused with what to do instead.
pub(crate) fn http_authority(url: &str, what: &str) -> anyhow::Result<String> {
    match url.strip_prefix("http://") {
        Some(rest) => Ok(rest.trim_end_matches('/').to_owned()),
        None => bail!(
            "{what} `{url}`: OpenTrail's commands speak plain http to the CloudTrail API (OpenTrail's own endpoint); for AWS itself use `aws cloudtrail validate-logs`, or pass --data-dir"
        ),
    }
}

/// An environment variable, unset when empty (as the AWS CLI treats them).
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The CloudTrail endpoint: `given`, else `AWS_ENDPOINT_URL_CLOUDTRAIL`, else
/// `AWS_ENDPOINT_URL`; `missing` is the error when there is none.
pub(crate) fn endpoint_url(given: Option<&str>, missing: &'static str) -> anyhow::Result<String> {
    given
        .map(str::to_owned)
        .or_else(|| env("AWS_ENDPOINT_URL_CLOUDTRAIL"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .context(missing)
}

/// The region: `given`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub(crate) fn region(given: Option<&str>) -> Option<String> {
    given.map(str::to_owned).or_else(|| env("AWS_REGION")).or_else(|| env("AWS_DEFAULT_REGION"))
}
