//! Golden vectors from a real client: requests signed by botocore, with botocore's own
//! canonical request, string to sign and signature (`testdata/gen_vectors.py` writes
//! `testdata/botocore-vectors.json`; regenerate with
//! `python3 testdata/gen_vectors.py > testdata/botocore-vectors.json`).
//!
//! For every vector: our canonical request and string to sign equal botocore's, `verify`
//! accepts the request, `sign`/`presign_url` reproduce botocore's signature, and changing
//! any signed part (body, a signed header, path, query, date, region) makes `verify` fail
//! with `InvalidSignatureException`.

use std::time::Duration;

use serde_json::Value;
use sigv4::{
    AuthLocation, Credentials, Error, Secret, SigningParams, UriEncoding, Verified, VerifyOptions,
    canonical_request, presign_url, sign, string_to_sign, verify,
};

use crate::support::{OwnedRequest, at};

const VECTORS_JSON: &str = include_str!("../../testdata/botocore-vectors.json");

#[derive(Debug, Clone)]
struct Vector {
    name: String,
    service: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    timestamp: String,
    location: AuthLocation,
    request: OwnedRequest,
    canonical_request: String,
    string_to_sign: String,
    signature: String,
    authorization: Option<String>,
    url: Option<String>,
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("vector field `{key}` is not a string")).to_owned()
}

fn vectors() -> Vec<Vector> {
    let document: Value = serde_json::from_str(VECTORS_JSON).expect("vectors file is json");
    let vectors = document["vectors"].as_array().expect("`vectors` array");
    assert!(vectors.len() >= 15, "expected at least 15 vectors, got {}", vectors.len());
    vectors.iter().map(parse_vector).collect()
}

fn parse_vector(vector: &Value) -> Vector {
    let request = &vector["request"];
    let headers = request["headers"]
        .as_array()
        .expect("headers array")
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()))
        .collect();
    let uri_encoding = match vector["uri_encoding"].as_str() {
        Some("s3") => UriEncoding::S3,
        Some("normal") => UriEncoding::Normal,
        other => panic!("unknown uri_encoding `{other:?}`"),
    };
    let location = match vector["auth_location"].as_str() {
        Some("header") => AuthLocation::Header,
        Some("query") => AuthLocation::Query,
        other => panic!("unknown auth_location `{other:?}`"),
    };
    Vector {
        name: text(vector, "name"),
        service: text(vector, "service"),
        region: text(vector, "region"),
        access_key_id: text(vector, "access_key_id"),
        secret_access_key: text(vector, "secret_access_key"),
        session_token: vector["session_token"].as_str().map(str::to_owned),
        timestamp: text(vector, "timestamp"),
        location,
        request: OwnedRequest {
            method: text(request, "method"),
            path: text(request, "path"),
            query: text(request, "query"),
            headers,
            body: hex::decode(text(request, "body_hex")).expect("body_hex is hex"),
            uri_encoding,
        },
        canonical_request: text(vector, "canonical_request"),
        string_to_sign: text(vector, "string_to_sign"),
        signature: text(vector, "signature"),
        authorization: vector["authorization"].as_str().map(str::to_owned),
        url: vector["url"].as_str().map(str::to_owned),
    }
}

impl Vector {
    fn signed_headers(&self) -> Vec<String> {
        let list = match self.location {
            AuthLocation::Header => {
                let authorization = self.authorization.as_deref().expect("authorization");
                let start = authorization.find("SignedHeaders=").expect("SignedHeaders") + 14;
                let rest = &authorization[start..];
                rest[..rest.find(',').expect("comma after SignedHeaders")].to_owned()
            }
            AuthLocation::Query => self.query_param("X-Amz-SignedHeaders").expect("signed headers"),
        };
        list.split(';').map(str::to_owned).collect()
    }

    fn query_param(&self, name: &str) -> Option<String> {
        self.request.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.replace("%2F", "/"))
        })
    }

    fn unix_time(&self) -> u64 {
        unix_from_amz_date(&self.timestamp)
    }

    fn options(&self) -> VerifyOptions<'_> {
        VerifyOptions {
            uri_encoding: self.request.uri_encoding,
            ..VerifyOptions::new(&self.service)
        }
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<Secret> + '_ {
        move |access_key_id: &str| {
            (access_key_id == self.access_key_id).then(|| Secret {
                secret_access_key: self.secret_access_key.clone(),
                principal: format!("principal-of-{access_key_id}"),
            })
        }
    }

    fn verify(&self, request: &OwnedRequest) -> Result<Verified, Error> {
        let now = at(self.unix_time() + 5);
        request.with_view(|view| verify(view, &self.lookup(), now, &self.options()))
    }
}

/// Unix seconds of `YYYYMMDD'T'HHMMSS'Z'`, independently of the crate (days from civil).
fn unix_from_amz_date(amz_date: &str) -> u64 {
    let field = |range: std::ops::Range<usize>| amz_date[range].parse::<i64>().unwrap();
    let (year, month, day) = (field(0..4), field(4..6), field(6..8));
    let (hour, minute, second) = (field(9..11), field(11..13), field(13..15));
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).unwrap()
}

#[test]
fn botocore_canonical_request_and_string_to_sign() {
    for vector in vectors() {
        let signed_headers = vector.signed_headers();
        let signed_refs: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
        let canonical = vector
            .request
            .with_view(|view| canonical_request(view, &signed_refs, vector.request.uri_encoding));
        assert_eq!(canonical, vector.canonical_request, "canonical request of `{}`", vector.name);
        let scope =
            format!("{}/{}/{}/aws4_request", &vector.timestamp[..8], vector.region, vector.service);
        let string_to_sign = string_to_sign(&vector.timestamp, &scope, &canonical);
        assert_eq!(string_to_sign, vector.string_to_sign, "string to sign of `{}`", vector.name);
    }
}

#[test]
fn botocore_requests_verify() {
    for vector in vectors() {
        let verified = vector
            .verify(&vector.request)
            .unwrap_or_else(|error| panic!("`{}` rejected: {error}", vector.name));
        let expected = Verified {
            access_key_id: vector.access_key_id.clone(),
            principal: format!("principal-of-{}", vector.access_key_id),
            region: vector.region.clone(),
            service: vector.service.clone(),
            date: vector.timestamp.clone(),
            signed_headers: vector.signed_headers(),
            security_token: vector.session_token.clone(),
            location: vector.location,
        };
        assert_eq!(verified, expected, "`{}`", vector.name);
    }
}

#[test]
fn sign_reproduces_botocore_signatures() {
    let mut n_checked = 0;
    for vector in vectors() {
        let credentials = Credentials {
            access_key_id: vector.access_key_id.clone(),
            secret_access_key: vector.secret_access_key.clone(),
            session_token: vector.session_token.clone(),
        };
        let params = SigningParams {
            credentials: &credentials,
            region: &vector.region,
            service: &vector.service,
            now: at(vector.unix_time()),
            uri_encoding: vector.request.uri_encoding,
        };
        let request = &vector.request;
        match vector.location {
            AuthLocation::Header => {
                let signed_headers = vector.signed_headers();
                // botocore signs with a `Date` header when the request has one; `sign`
                // always uses `X-Amz-Date`, so that vector is covered by `verify` only.
                if signed_headers.iter().any(|name| name == "date") {
                    continue;
                }
                let added_by_sign = ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];
                let mut headers: Vec<(String, String)> = request
                    .headers
                    .iter()
                    .filter(|(name, _)| {
                        let name = name.to_ascii_lowercase();
                        signed_headers.contains(&name) && !added_by_sign.contains(&name.as_str())
                    })
                    .cloned()
                    .collect();
                sign(
                    &mut headers,
                    &request.method,
                    &request.path,
                    &request.query,
                    &request.body,
                    &params,
                );
                let authorization = headers
                    .iter()
                    .find(|(name, _)| name == "authorization")
                    .map(|(_, value)| value.as_str());
                assert_eq!(authorization, vector.authorization.as_deref(), "`{}`", vector.name);
            }
            AuthLocation::Query => {
                let expires = vector.query_param("X-Amz-Expires").unwrap().parse().unwrap();
                let operation_query: Vec<&str> =
                    request.query.split('&').filter(|pair| !pair.starts_with("X-Amz-")).collect();
                let url = presign_url(
                    "http://127.0.0.1:8080",
                    &request.method,
                    &request.path,
                    &operation_query.join("&"),
                    Duration::from_secs(expires),
                    &params,
                );
                assert_eq!(Some(url), vector.url, "`{}`", vector.name);
            }
        }
        assert!(vector.signature.len() == 64, "`{}`", vector.name);
        n_checked += 1;
    }
    assert!(n_checked >= 15, "only {n_checked} vectors re-signed");
}

/// One tampering with a signed part of a vector's request.
struct Mutation {
    what: &'static str,
    apply: fn(&Vector, &mut OwnedRequest) -> bool,
}

const MUTATIONS: &[Mutation] = &[
    Mutation { what: "body byte", apply: mutate_body },
    Mutation { what: "path", apply: mutate_path },
    Mutation { what: "query", apply: mutate_query },
    Mutation { what: "date", apply: mutate_date },
    Mutation { what: "region", apply: mutate_region },
];

/// Returns false when the body is not covered by the signature (presigned S3 URLs sign
/// `UNSIGNED-PAYLOAD`).
fn mutate_body(vector: &Vector, request: &mut OwnedRequest) -> bool {
    match (vector.location, request.uri_encoding) {
        (AuthLocation::Query, UriEncoding::S3) => false,
        // S3 signs the `x-amz-content-sha256` header, which stands for the body.
        (_, UriEncoding::S3) => {
            let hash = request.header("x-amz-content-sha256").unwrap().to_owned();
            let flipped = if hash.ends_with('0') { "1" } else { "0" };
            request.set_header("x-amz-content-sha256", &format!("{}{flipped}", &hash[..63]));
            true
        }
        (_, UriEncoding::Normal) => {
            match request.body.first_mut() {
                Some(byte) => *byte ^= 0x01,
                None => request.body.push(b'x'),
            }
            true
        }
    }
}

fn mutate_path(_: &Vector, request: &mut OwnedRequest) -> bool {
    request.path.push('x');
    true
}

fn mutate_query(_: &Vector, request: &mut OwnedRequest) -> bool {
    if !request.query.is_empty() {
        request.query.push('&');
    }
    request.query.push_str("mutated=1");
    true
}

/// Moves the request date by one second, keeping the day (so the credential date matches).
fn mutate_date(vector: &Vector, request: &mut OwnedRequest) -> bool {
    let seconds: u32 = vector.timestamp[13..15].parse().unwrap();
    let moved_seconds = if seconds < 59 { seconds + 1 } else { seconds - 1 };
    let moved = format!("{}{moved_seconds:02}Z", &vector.timestamp[..13]);
    match vector.location {
        AuthLocation::Query => {
            request.query = request.query.replace(
                &format!("X-Amz-Date={}", vector.timestamp),
                &format!("X-Amz-Date={moved}"),
            );
        }
        AuthLocation::Header if request.header("x-amz-date").is_some() => {
            request.set_header("x-amz-date", &moved);
        }
        // The `Date` header may also carry the ISO 8601 basic format.
        AuthLocation::Header => request.set_header("date", &moved),
    }
    true
}

fn mutate_region(vector: &Vector, request: &mut OwnedRequest) -> bool {
    let other = if vector.region == "ca-central-1" { "us-west-1" } else { "ca-central-1" };
    match vector.location {
        AuthLocation::Query => {
            let from = format!("%2F{}%2F", vector.region);
            assert!(request.query.contains(&from));
            request.query = request.query.replace(&from, &format!("%2F{other}%2F"));
        }
        AuthLocation::Header => {
            let from = format!("/{}/", vector.region);
            let authorization =
                request.header("authorization").unwrap().replace(&from, &format!("/{other}/"));
            request.set_header("authorization", &authorization);
        }
    }
    true
}

fn assert_signature_mismatch(vector: &Vector, request: &OwnedRequest, what: &str) {
    let result = vector.verify(request);
    let Err(error) = result else {
        panic!("`{}`: verify accepted a request with a changed {what}", vector.name);
    };
    assert!(
        matches!(error, Error::SignatureMismatch { .. }),
        "`{}`: changed {what} gave `{error}`, not a signature mismatch",
        vector.name
    );
    assert_eq!(error.aws_code(), "InvalidSignatureException");
    assert_eq!(error.http_status(), 400);
    assert_eq!(error.s3_code(), "SignatureDoesNotMatch");
    assert_eq!(error.s3_http_status(), 403);
}

#[test]
fn mutating_any_signed_part_fails_verification() {
    for vector in vectors() {
        for mutation in MUTATIONS {
            let mut request = vector.request.clone();
            if (mutation.apply)(&vector, &mut request) {
                assert_signature_mismatch(&vector, &request, mutation.what);
            }
        }
        // Every signed header in turn (the date has its own mutation above).
        for name in vector.signed_headers() {
            if name == "x-amz-date" || name == "date" {
                continue;
            }
            let mut request = vector.request.clone();
            let value =
                request.header(&name).unwrap_or_else(|| panic!("`{name}` missing")).to_owned();
            request.set_header(&name, &format!("{value}x"));
            assert_signature_mismatch(&vector, &request, &format!("`{name}` header"));
        }
    }
}
