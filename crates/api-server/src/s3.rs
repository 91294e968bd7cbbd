//! The read-only S3 subset on the service port, over the embedded local bucket store:
//! ListBuckets, GetBucketLocation, ListObjects (v1 and v2, with `delimiter` and
//! `encoding-type=url`), GetObject and HeadObject — path style, SigV4 (service `s3`), S3's XML
//! errors, lower-case `x-amz-meta-*` headers. So `aws s3 ls`, `aws s3 cp` and
//! `aws cloudtrail validate-logs` work with `AWS_ENDPOINT_URL` pointing at OpenTrail.
//!
//! There is no write or delete operation: delivered evidence is never changed through the API.
//! A caller reads a bucket when a trail it can see delivers there and its policies allow the
//! `s3:` action (see [`allowed`]).
//!
//! It is the `S3` table of the service layer (`service`), in `Protocol::RestXml`: [`route`] names
//! the operation from the method, path and query; its handlers answer whole responses (XML
//! documents, object bodies with their headers). Its calls are data events, not self-audited
//! (yet).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::TrailStore as _;

use crate::error::ApiError;
use crate::service::{
    self, Authz, AuthzTarget, BoxFuture, Call, Operation, Protocol, RawResult, Route, Service,
    Unlisted, xml_escape,
};
use crate::{AppState, Caller};

/// At most this many keys per listing page (S3's limit).
const MAX_KEYS: usize = 1000;
/// A delimiter listing scans at most this many keys to group common prefixes.
const DELIMITER_SCAN_MAX: usize = 100_000;

/// The read-only S3 API (REST-XML, path style). Each handler authorizes its action on the
/// bucket or object it names ([`allowed`]); ListBuckets lists the buckets the caller may
/// `s3:ListBucket`.
pub(crate) static S3: Service = Service {
    signing_name: "s3",
    iam_prefix: "s3",
    access_denied_code: "AccessDenied",
    protocol: Protocol::RestXml { route },
    // Every call is recorded (PCI DSS 10.2.1.3: access to audit logs is itself logged): object
    // reads and listings as S3 data events, which trails take by their data-event selectors,
    // so a trail can watch its own log bucket; ListBuckets and GetBucketLocation as management
    // events.
    audit_source: Some("s3.amazonaws.com"),
    audit_redact: None,
    audit_data: Some(data_resources),
    // REST-XML reads no body: the operations served take none.
    request_bytes_max: 0,
    operations: &[
        Operation::raw("ListBuckets", "s3:ListAllMyBuckets", Authz::Handler, list_buckets),
        Operation::raw("HeadBucket", "s3:ListBucket", Authz::Handler, head_bucket),
        Operation::raw(
            "GetBucketLocation",
            "s3:GetBucketLocation",
            Authz::Handler,
            get_bucket_location,
        ),
        Operation::raw("ListObjects", "s3:ListBucket", Authz::Handler, list_objects_v1),
        Operation::raw("ListObjectsV2", "s3:ListBucket", Authz::Handler, list_objects_v2),
        Operation::raw("GetObject", "s3:GetObject", Authz::Handler, get_object),
        Operation::raw("HeadObject", "s3:GetObject", Authz::Handler, head_object),
    ],
    unlisted: Unlisted::NONE,
};

/// The resources of an S3 data event, as CloudTrail lists them: the object (for object
/// operations) and its bucket; listings name the bucket's objects (`<bucket>/`) and the bucket.
fn data_resources(
    operation: &str,
    params: &[(&'static str, String)],
) -> Option<Vec<crate::service::audit::DataResource>> {
    use crate::service::audit::DataResource;
    let param = |name: &str| params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
    let bucket = param("bucketName")?;
    let object = match operation {
        "GetObject" | "HeadObject" => format!("s3:::{bucket}/{}", param("key")?),
        "ListObjects" | "ListObjectsV2" => format!("s3:::{bucket}/"),
        _ => return None,
    };
    Some(vec![
        DataResource { resource_type: "AWS::S3::Object", arn_rest: object },
        DataResource { resource_type: "AWS::S3::Bucket", arn_rest: format!("s3:::{bucket}") },
    ])
}

/// Whether a request is for the S3 API: signed with a credential scope for service `s3`.
pub(crate) fn is_s3_request(request: &Request) -> bool {
    service::signed_for(request, S3.signing_name)
}

/// Serves a request for the S3 API.
pub(crate) async fn serve(state: Arc<AppState>, request: Request) -> Response {
    service::serve(state, request, &S3, Route::default()).await
}

/// An error in S3's shape about `resource`.
/// S3's message for an internal error; the details (store paths, the backend's words) go to
/// the server's log only.
fn internal(err: &blob_store::Error) -> &'static str {
    tracing::error!(err = %err.detailed(), "an S3 request failed inside OpenTrail");
    "We encountered an internal error. Please try again."
}

fn error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
    resource: impl Into<String>,
) -> ApiError {
    ApiError::new(status, code, message).with_resource(resource)
}

/// S3's HTTP binding (path style): the operation a request names, with the bucket
/// (`bucketName`) and key (`key`) its path names, percent-decoded. Only `GET` and `HEAD` are
/// served; anything else is a write, refused before authentication.
fn route(parts: &Parts) -> Result<Route, ApiError> {
    let path = parts.uri.path();
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "OpenTrail's S3 API is read-only: delivered log files and digests are never changed",
            path,
        ));
    }
    let query = query_pairs(parts.uri.query().unwrap_or(""));
    let trimmed = path.trim_start_matches('/');
    let (bucket, key) = match trimmed.split_once('/') {
        Some((bucket, key)) => (percent_decode(bucket), percent_decode(key)),
        None => (percent_decode(trimmed), String::new()),
    };
    let operation = if bucket.is_empty() {
        "ListBuckets"
    } else if !key.is_empty() {
        if parts.method == Method::HEAD { "HeadObject" } else { "GetObject" }
    } else if parts.method == Method::HEAD {
        "HeadBucket"
    } else if query.iter().any(|(k, _)| k == "location") {
        "GetBucketLocation"
    } else if param(&query, "list-type") == Some("2") {
        "ListObjectsV2"
    } else {
        "ListObjects"
    };
    let mut route = Route::to(operation);
    if !bucket.is_empty() {
        route = route.with("bucketName", bucket);
    }
    if !key.is_empty() {
        route = route.with("key", key);
    }
    Ok(route)
}

/// A query string's parameters, decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Authorizes the call's action on the bucket (or object) it names (reading the catalog on the
/// blocking pool), then checks the bucket exists; the bucket's name.
async fn bucket(call: &Arc<Call>) -> Result<&str, ApiError> {
    let bucket = call.param("bucketName");
    let allowed = call
        .blocking(|call| {
            let (bucket, key) = (call.param("bucketName"), call.param("key"));
            let resource = if key.is_empty() {
                format!("arn:aws:s3:::{bucket}")
            } else {
                format!("arn:aws:s3:::{bucket}/{key}")
            };
            Ok(allowed(&call.state, &call.caller, bucket, &call.action, &resource))
        })
        .await?;
    if !allowed {
        return Err(error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied",
            format!("/{bucket}"),
        ));
    }
    match call.state.blobs.bucket_exists(bucket).await {
        Ok(true) => Ok(bucket),
        Ok(false) | Err(_) => Err(error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            format!("/{bucket}"),
        )),
    }
}

/// The region a bucket is in: the home region of a trail delivering there, else the caller's.
async fn bucket_region(call: &Arc<Call>) -> Result<String, ApiError> {
    let region = call
        .blocking(|call| {
            let bucket = call.param("bucketName");
            Ok(call.state.catalog.trails().ok().and_then(|trails| {
                trails.into_iter().find(|t| t.s3_bucket_name == bucket).map(|t| t.home_region)
            }))
        })
        .await?;
    Ok(region.unwrap_or_else(|| call.caller.region.clone()))
}

/// HeadBucket: whether the bucket exists and the caller may list it (200, 404, 403, all
/// without a body), with the bucket's region in `x-amz-bucket-region`, as S3 answers.
fn head_bucket(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move {
        bucket(&call).await?;
        let region = bucket_region(&call).await?;
        let mut response = StatusCode::OK.into_response();
        if let Ok(value) = HeaderValue::from_str(&region) {
            response.headers_mut().insert("x-amz-bucket-region", value);
        }
        Ok(response)
    })
}

fn get_bucket_location(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move {
        bucket(&call).await?;
        let region = bucket_region(&call).await?;
        // us-east-1 is written as an empty constraint, as S3 does.
        let constraint = if region == "us-east-1" { String::new() } else { region };
        Ok(xml(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{constraint}</LocationConstraint>"
        )))
    })
}

fn list_objects_v1(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move {
        let bucket = bucket(&call).await?;
        list_objects(&call.state.blobs, bucket, false, &query_pairs(&call.query)).await
    })
}

fn list_objects_v2(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move {
        let bucket = bucket(&call).await?;
        list_objects(&call.state.blobs, bucket, true, &query_pairs(&call.query)).await
    })
}

fn get_object(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move { object(&call, false).await })
}

fn head_object(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move { object(&call, true).await })
}

/// GetObject, or HeadObject (`head`: the headers without the body).
async fn object(call: &Arc<Call>, head: bool) -> RawResult {
    let bucket = bucket(call).await?;
    let key = call.param("key");
    let object = match call.state.blobs.get(bucket, key).await {
        Ok(object) => object,
        Err(blob_store::Error::NoSuchKey { .. }) | Err(blob_store::Error::InvalidKey { .. }) => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
                format!("/{bucket}/{key}"),
            ));
        }
        Err(err) => {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                internal(&err),
                format!("/{bucket}/{key}"),
            ));
        }
    };
    let info = &object.info;
    let etag = info.e_tag.clone().unwrap_or_else(|| format!("\"{}\"", md5_hex(&object.body)));
    let body = if head { Body::empty() } else { Body::from(object.body.clone()) };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("content-length", &info.size.to_string());
    set("etag", &etag);
    set("last-modified", &http_date(info.last_modified));
    set("accept-ranges", "bytes");
    set("content-type", info.meta.content_type.as_deref().unwrap_or("binary/octet-stream"));
    if let Some(encoding) = &info.meta.content_encoding {
        set("content-encoding", encoding);
    }
    for (name, value) in &info.meta.user {
        // Lower-case names: botocore keeps the case it receives and validate-logs looks for
        // `signature` (integrity.md §4).
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(
                format!("x-amz-meta-{}", name.to_ascii_lowercase()).as_bytes(),
            ),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

/// Whether the caller may do `action` (an `s3:` action) on `resource` in `bucket`: some trail
/// delivers to the bucket, and the IAM-style rules allow the action as if the bucket belonged to
/// that trail's account — its own account's buckets, and read-only its organization trail's
/// bucket. A configured user needs an `s3:` permission (AdministratorAccess, or a statement);
/// an account root needs none.
fn allowed(state: &AppState, caller: &Caller, bucket: &str, action: &str, resource: &str) -> bool {
    let Ok(trails) = state.catalog.trails() else { return false };
    trails.iter().filter(|trail| trail.s3_bucket_name == bucket).any(|trail| {
        let target = AuthzTarget {
            resource,
            resource_account: &trail.account_id,
            organization_trail: trail.is_organization_trail,
        };
        service::decide(state, caller, action, &target).is_ok()
    })
}

fn list_buckets(call: Arc<Call>) -> BoxFuture<RawResult> {
    Box::pin(async move {
        let buckets = call.blocking(|call| Ok(readable_buckets(&call.state, &call.caller))).await?;
        list_all_my_buckets(&call.state, &call.caller, &buckets).await
    })
}

/// The buckets trails deliver to that `caller` may `s3:ListBucket`, sorted.
fn readable_buckets(state: &AppState, caller: &Caller) -> Vec<String> {
    let trails = state.catalog.trails().unwrap_or_default();
    let mut buckets: Vec<String> = trails
        .into_iter()
        .map(|t| t.s3_bucket_name)
        .filter(|b| allowed(state, caller, b, "s3:ListBucket", &format!("arn:aws:s3:::{b}")))
        .collect();
    buckets.sort();
    buckets.dedup();
    buckets
}

async fn list_all_my_buckets(state: &AppState, caller: &Caller, buckets: &[String]) -> RawResult {
    let mut entries = String::new();
    for bucket in buckets {
        // A trail's bucket that has not been created yet (nothing delivered) is still listed,
        // dated now; the local store dates the others by their directory.
        let created = state.blobs.bucket_created(bucket).await.ok().flatten();
        entries.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
            xml_escape(bucket),
            iso_time(created.unwrap_or_else(SystemTime::now))
        ));
    }
    Ok(xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>{}</ID></Owner><Buckets>{entries}</Buckets></ListAllMyBucketsResult>",
        caller.account_id
    )))
}

async fn list_objects(
    blobs: &blob_store::BlobStore,
    bucket: &str,
    v2: bool,
    query: &[(String, String)],
) -> RawResult {
    let param = |name: &str| param(query, name);
    let prefix = param("prefix").unwrap_or("");
    let delimiter = param("delimiter").filter(|d| !d.is_empty());
    let url_encoded = param("encoding-type") == Some("url");
    let max_keys = match param("max-keys") {
        None => MAX_KEYS,
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    "Provided max-keys not an integer or within integer range",
                    format!("/{bucket}"),
                )
            })?
            .min(MAX_KEYS),
    };
    // v1: `marker`; v2: `continuation-token` (ours is the last key) or `start-after`.
    let start_after =
        if v2 { param("continuation-token").or(param("start-after")) } else { param("marker") };
    let start_after = start_after.filter(|s| !s.is_empty()).map(str::to_owned);

    let mut contents = Vec::new();
    let mut common_prefixes: Vec<String> = Vec::new();
    let mut cursor = start_after.clone();
    let mut truncated = false;
    let mut scanned = 0usize;
    let mut last_key: Option<String> = None;
    'pages: loop {
        let page =
            blobs.list(bucket, prefix, cursor.as_deref(), MAX_KEYS).await.map_err(|err| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    internal(&err),
                    format!("/{bucket}"),
                )
            })?;
        for object in &page.objects {
            scanned += 1;
            if contents.len() + common_prefixes.len() >= max_keys || scanned > DELIMITER_SCAN_MAX {
                truncated = true;
                break 'pages;
            }
            last_key = Some(object.key.clone());
            if let Some(delimiter) = delimiter
                && let Some(idx) = object.key[prefix.len()..].find(delimiter)
            {
                let common = object.key[..prefix.len() + idx + delimiter.len()].to_owned();
                if common_prefixes.last() != Some(&common) {
                    common_prefixes.push(common);
                }
                continue;
            }
            contents.push(object.clone());
        }
        match page.next_start_after() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let encode = |text: &str| if url_encoded { url_encode(text) } else { xml_escape(text) };
    let mut out = String::with_capacity(256 + contents.len() * 300);
    out.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix>",
        xml_escape(bucket),
        encode(prefix)
    ));
    if v2 {
        out.push_str(&format!("<KeyCount>{}</KeyCount>", contents.len() + common_prefixes.len()));
        if let Some(token) = param("continuation-token") {
            out.push_str(&format!("<ContinuationToken>{}</ContinuationToken>", xml_escape(token)));
        }
        if let Some(start) = param("start-after") {
            out.push_str(&format!("<StartAfter>{}</StartAfter>", encode(start)));
        }
        if truncated && let Some(last) = &last_key {
            out.push_str(&format!(
                "<NextContinuationToken>{}</NextContinuationToken>",
                xml_escape(last)
            ));
        }
    } else {
        out.push_str(&format!("<Marker>{}</Marker>", encode(param("marker").unwrap_or(""))));
        if truncated && let Some(last) = &last_key {
            out.push_str(&format!("<NextMarker>{}</NextMarker>", encode(last)));
        }
    }
    out.push_str(&format!("<MaxKeys>{max_keys}</MaxKeys>"));
    if let Some(delimiter) = delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", encode(delimiter)));
    }
    if url_encoded {
        out.push_str("<EncodingType>url</EncodingType>");
    }
    out.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
    for object in &contents {
        let etag =
            object.e_tag.clone().unwrap_or_else(|| "\"00000000000000000000000000000000\"".into());
        out.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            encode(&object.key),
            iso_time(object.last_modified),
            xml_escape(&etag),
            object.size
        ));
    }
    for common in &common_prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            encode(common)
        ));
    }
    out.push_str("</ListBucketResult>");
    Ok(xml(out))
}

/// The value of a query parameter.
fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn xml(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/xml"));
    response
}

/// S3's `encoding-type=url`: keys percent-encoded except unreserved characters and `/`.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] == b'%'
            && idx + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[idx + 1..idx + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            idx += 3;
        } else {
            out.push(bytes[idx]);
            idx += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn iso_time(time: SystemTime) -> String {
    let text = cloudtrail_model::time::format_unix_seconds(unix_seconds(time));
    format!("{}.000Z", &text[..text.len() - 1])
}

/// RFC 7231 date: `Sat, 21 Nov 2026 02:30:00 GMT`.
fn http_date(time: SystemTime) -> String {
    let seconds = unix_seconds(time);
    let (days, in_day) = cloudtrail_model::time::split_days(seconds);
    let (year, month, day) = cloudtrail_model::time::civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(url_encode("AWSLogs/a b/ü+x"), "AWSLogs/a%20b/%C3%BC%2Bx");
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(xml_escape("a<&>\"'"), "a&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(
            http_date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_227_000)),
            "Sat, 21 Nov 2026 02:10:00 GMT"
        );
    }
}
