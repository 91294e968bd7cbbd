//! One signed CloudTrail API call (AWS JSON 1.1 over plain HTTP, SigV4), for the commands that
//! talk to a running OpenTrail: `validate-logs` and the benchmarks.

use std::time::SystemTime;

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
