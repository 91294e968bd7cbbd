//! One named test per way verification rejects a request, each asserting the error and
//! the AWS code, HTTP status and message the server will send (JSON protocol and S3).

use std::time::Duration;

use sigv4::{
    AuthLocation, CredentialProblem, Credentials, Error, PresignProblem, SigningParams,
    UriEncoding, Verified, VerifyOptions, presign_url, sign, verify,
};

use crate::support::{
    ACCESS_KEY_ID, OwnedRequest, PRINCIPAL, T_20261120_214550, at, credentials, lookup,
};

/// What the server sends for an error: JSON code, status, message; S3 code, status.
#[derive(Debug, PartialEq, Eq)]
struct Wire {
    aws_code: &'static str,
    http_status: u16,
    aws_message: String,
    s3_code: &'static str,
    s3_http_status: u16,
}

fn wire(error: &Error) -> Wire {
    Wire {
        aws_code: error.aws_code(),
        http_status: error.http_status(),
        aws_message: error.aws_message(),
        s3_code: error.s3_code(),
        s3_http_status: error.s3_http_status(),
    }
}

fn expect_wire(
    error: &Error,
    aws_code: &'static str,
    http_status: u16,
    aws_message: &str,
    s3_code: &'static str,
    s3_http_status: u16,
) {
    let expected = Wire {
        aws_code,
        http_status,
        aws_message: aws_message.to_owned(),
        s3_code,
        s3_http_status,
    };
    assert_eq!(wire(error), expected, "for `{error}`");
    let display = error.to_string();
    assert!(!display.ends_with('.'), "display `{display}` ends with a period");
    assert!(
        display.starts_with(|c: char| c.is_lowercase()),
        "display `{display}` does not start in lower case"
    );
}

/// A CloudTrail `LookupEvents` call signed at 2026-11-20T21:45:50Z, as boto3 sends it.
fn cloudtrail_request() -> OwnedRequest {
    signed_at(T_20261120_214550, &credentials(), UriEncoding::Normal)
}

fn signed_at(unix_secs: u64, credentials: &Credentials, uri_encoding: UriEncoding) -> OwnedRequest {
    let mut request = OwnedRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query: String::new(),
        headers: vec![
            ("Host".to_owned(), "127.0.0.1:8080".to_owned()),
            ("Content-Type".to_owned(), "application/x-amz-json-1.1".to_owned()),
            (
                "X-Amz-Target".to_owned(),
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents".to_owned(),
            ),
        ],
        body: br#"{"MaxResults": 5}"#.to_vec(),
        uri_encoding,
    };
    let service = match uri_encoding {
        UriEncoding::S3 => "s3",
        UriEncoding::Normal => "cloudtrail",
    };
    let params = SigningParams {
        credentials,
        region: "eu-west-1",
        service,
        now: at(unix_secs),
        uri_encoding,
    };
    sign(
        &mut request.headers,
        &request.method,
        &request.path,
        &request.query,
        &request.body,
        &params,
    );
    request.headers.push(("User-Agent".to_owned(), "aws-cli/1.45.11".to_owned()));
    request
}

fn cloudtrail_options() -> VerifyOptions<'static> {
    VerifyOptions::new("cloudtrail")
}

fn s3_options() -> VerifyOptions<'static> {
    VerifyOptions { uri_encoding: UriEncoding::S3, ..VerifyOptions::new("s3") }
}

fn check_at(
    request: &OwnedRequest,
    now_unix: u64,
    options: &VerifyOptions<'_>,
) -> Result<Verified, Error> {
    request.with_view(|view| verify(view, &lookup(), at(now_unix), options))
}

fn check(request: &OwnedRequest) -> Result<Verified, Error> {
    check_at(request, T_20261120_214550 + 1, &cloudtrail_options())
}

fn check_err(request: &OwnedRequest) -> Error {
    check(request).expect_err("request must be rejected")
}

fn edit_authorization(request: &mut OwnedRequest, edit: impl FnOnce(&str) -> String) {
    let authorization = edit(request.header("authorization").unwrap());
    request.set_header("authorization", &authorization);
}

#[test]
fn valid_request_is_verified() {
    let verified = check(&cloudtrail_request()).unwrap();
    assert_eq!(
        verified,
        Verified {
            access_key_id: ACCESS_KEY_ID.to_owned(),
            principal: PRINCIPAL.to_owned(),
            region: "eu-west-1".to_owned(),
            service: "cloudtrail".to_owned(),
            date: "20261120T214550Z".to_owned(),
            signed_headers: ["content-type", "host", "x-amz-date", "x-amz-target"]
                .map(str::to_owned)
                .to_vec(),
            security_token: None,
            location: AuthLocation::Header,
        }
    );
}

#[test]
fn missing_authentication() {
    let mut request = cloudtrail_request();
    request.remove_header("authorization");
    let error = check_err(&request);
    assert_eq!(error, Error::MissingAuthentication);
    expect_wire(
        &error,
        "MissingAuthenticationTokenException",
        403,
        "Missing Authentication Token",
        "AccessDenied",
        403,
    );
    assert_eq!(error.s3_message(), "Access Denied");
}

#[test]
fn unknown_access_key() {
    let other = Credentials { access_key_id: "AKIDUNKNOWN".to_owned(), ..credentials() };
    let request = signed_at(T_20261120_214550, &other, UriEncoding::Normal);
    let error = check_err(&request);
    assert_eq!(error, Error::UnknownAccessKey { access_key_id: "AKIDUNKNOWN".to_owned() });
    expect_wire(
        &error,
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
        "InvalidAccessKeyId",
        403,
    );
    assert_eq!(
        error.s3_message(),
        "The AWS Access Key Id you provided does not exist in our records."
    );
}

#[test]
fn wrong_secret_is_a_bad_signature() {
    let other = Credentials { secret_access_key: "not-the-secret".to_owned(), ..credentials() };
    let request = signed_at(T_20261120_214550, &other, UriEncoding::Normal);
    let error = check_err(&request);
    let Error::SignatureMismatch { access_key_id, canonical_request, string_to_sign } = &error
    else {
        panic!("expected a signature mismatch, got `{error}`");
    };
    assert_eq!(access_key_id, ACCESS_KEY_ID);
    assert!(canonical_request.starts_with("POST\n/\n\ncontent-type:application/x-amz-json-1.1\n"));
    assert!(string_to_sign.starts_with(
        "AWS4-HMAC-SHA256\n20261120T214550Z\n20261120/eu-west-1/cloudtrail/aws4_request\n"
    ));
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        "SignatureDoesNotMatch",
        403,
    );
    assert_eq!(
        error.s3_message(),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
}

#[test]
fn tampered_signature() {
    let mut request = cloudtrail_request();
    edit_authorization(&mut request, |authorization| {
        let flipped = if authorization.ends_with('0') { '1' } else { '0' };
        format!("{}{flipped}", &authorization[..authorization.len() - 1])
    });
    assert!(matches!(check_err(&request), Error::SignatureMismatch { .. }));
    // A truncated or non-hex signature is a mismatch too, not a parse error.
    edit_authorization(&mut request, |authorization| {
        authorization[..authorization.len() - 10].to_owned()
    });
    assert!(matches!(check_err(&request), Error::SignatureMismatch { .. }));
}

#[test]
fn clock_skew_example_from_aws() {
    // Signed at 00:00:00, received at 00:30:00: AWS's own example message.
    let signed = 1_795_132_800; // 2026-11-20T00:00:00Z
    let request = signed_at(signed, &credentials(), UriEncoding::Normal);
    let error = check_at(&request, signed + 30 * 60, &cloudtrail_options()).unwrap_err();
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Signature expired: 20261120T000000Z is now earlier than 20261120T001500Z (20261120T003000Z - 15 min.)",
        "RequestTimeTooSkewed",
        403,
    );
    assert_eq!(
        error.s3_message(),
        "The difference between the request time and the current time is too large."
    );
}

#[test]
fn clock_skew_past() {
    let request = cloudtrail_request();
    let limit = T_20261120_214550 + 15 * 60;
    assert!(
        check_at(&request, limit, &cloudtrail_options()).is_ok(),
        "exactly 15 min late is accepted"
    );
    let error = check_at(&request, limit + 1, &cloudtrail_options()).unwrap_err();
    assert_eq!(
        error,
        Error::SignatureExpired {
            request_date: "20261120T214550Z".to_owned(),
            earliest: "20261120T214551Z".to_owned(),
            now: "20261120T220051Z".to_owned(),
            skew_minutes: 15,
        }
    );
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Signature expired: 20261120T214550Z is now earlier than 20261120T214551Z (20261120T220051Z - 15 min.)",
        "RequestTimeTooSkewed",
        403,
    );
}

#[test]
fn clock_skew_future() {
    let request = cloudtrail_request();
    let limit = T_20261120_214550 - 15 * 60;
    assert!(
        check_at(&request, limit, &cloudtrail_options()).is_ok(),
        "exactly 15 min early is accepted"
    );
    let error = check_at(&request, limit - 1, &cloudtrail_options()).unwrap_err();
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Signature not yet current: 20261120T214550Z is still later than 20261120T214549Z (20261120T213049Z + 15 min.)",
        "RequestTimeTooSkewed",
        403,
    );
}

#[test]
fn clock_skew_is_configurable() {
    let request = cloudtrail_request();
    let options =
        VerifyOptions { allowed_skew: Duration::from_secs(5 * 60), ..cloudtrail_options() };
    let error = check_at(&request, T_20261120_214550 + 301, &options).unwrap_err();
    assert_eq!(
        error.aws_message(),
        "Signature expired: 20261120T214550Z is now earlier than 20261120T214551Z (20261120T215051Z - 5 min.)"
    );
}

/// A presigned S3 GetObject URL made at 2026-11-20T21:45:50Z, as a received request.
fn presigned_request(expires_secs: u64, credentials: &Credentials) -> OwnedRequest {
    let params = SigningParams {
        credentials,
        region: "us-east-1",
        service: "s3",
        now: at(T_20261120_214550),
        uri_encoding: UriEncoding::S3,
    };
    let url = presign_url(
        "http://127.0.0.1:9000",
        "GET",
        "/trail-bucket/AWSLogs/x%20y.json.gz",
        "",
        Duration::from_secs(expires_secs),
        &params,
    );
    let path_and_query = url.strip_prefix("http://127.0.0.1:9000").unwrap();
    let (path, query) = path_and_query.split_once('?').unwrap();
    OwnedRequest {
        method: "GET".to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: vec![("Host".to_owned(), "127.0.0.1:9000".to_owned())],
        body: Vec::new(),
        uri_encoding: UriEncoding::S3,
    }
}

#[test]
fn presigned_url_within_expiry() {
    let request = presigned_request(900, &credentials());
    let verified = check_at(&request, T_20261120_214550 + 900, &s3_options()).unwrap();
    assert_eq!(verified.location, AuthLocation::Query);
    assert_eq!(verified.signed_headers, ["host"]);
    assert_eq!(verified.region, "us-east-1");
}

#[test]
fn presigned_url_expired() {
    let request = presigned_request(900, &credentials());
    let error = check_at(&request, T_20261120_214550 + 901, &s3_options()).unwrap_err();
    assert_eq!(
        error,
        Error::PresignExpired {
            expires_at: "20261120T220050Z".to_owned(),
            now: "20261120T220051Z".to_owned(),
            expires_secs: 900,
        }
    );
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Request has expired",
        "AccessDenied",
        403,
    );
    assert_eq!(error.s3_message(), "Request has expired");
}

#[test]
fn presigned_url_dated_in_the_future() {
    let request = presigned_request(900, &credentials());
    let error = check_at(&request, T_20261120_214550 - 15 * 60 - 1, &s3_options()).unwrap_err();
    assert!(matches!(error, Error::SignatureNotYetCurrent { .. }), "{error}");
}

#[test]
fn presigned_url_with_session_token() {
    let temporary =
        Credentials { session_token: Some("token/with+chars==".to_owned()), ..credentials() };
    let request = presigned_request(60, &temporary);
    assert!(request.query.contains("X-Amz-Security-Token=token%2Fwith%2Bchars%3D%3D"));
    let verified = check_at(&request, T_20261120_214550, &s3_options()).unwrap();
    assert_eq!(verified.security_token.as_deref(), Some("token/with+chars=="));
}

#[test]
fn presigned_url_missing_parameters() {
    let mut request = presigned_request(900, &credentials());
    request.query = request
        .query
        .split('&')
        .filter(|pair| !pair.starts_with("X-Amz-Expires=") && !pair.starts_with("X-Amz-Date="))
        .collect::<Vec<_>>()
        .join("&");
    let error = check_at(&request, T_20261120_214550, &s3_options()).unwrap_err();
    assert_eq!(
        error,
        Error::MalformedPresign {
            problem: PresignProblem::MissingParameters(vec!["X-Amz-Date", "X-Amz-Expires"]),
        }
    );
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        "AuthorizationQueryParametersError",
        400,
    );
}

#[test]
fn presigned_url_bad_expires() {
    let check_expires = |expires: &str, problem: PresignProblem, message: &str| {
        let mut request = presigned_request(900, &credentials());
        request.query =
            request.query.replace("X-Amz-Expires=900", &format!("X-Amz-Expires={expires}"));
        let error = check_at(&request, T_20261120_214550, &s3_options()).unwrap_err();
        assert_eq!(error, Error::MalformedPresign { problem });
        assert_eq!(error.s3_code(), "AuthorizationQueryParametersError");
        assert_eq!(error.s3_message(), message);
    };
    check_expires(
        "604801",
        PresignProblem::ExpiresTooLarge(604_801),
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
    check_expires(
        "99999999999999999999999",
        PresignProblem::ExpiresTooLarge(u64::MAX),
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
    check_expires(
        "-5",
        PresignProblem::ExpiresNegative("-5".to_owned()),
        "X-Amz-Expires must be non-negative",
    );
    check_expires(
        "5m",
        PresignProblem::ExpiresNotANumber("5m".to_owned()),
        "X-Amz-Expires should be a number",
    );
    check_expires(
        "",
        PresignProblem::ExpiresNotANumber(String::new()),
        "X-Amz-Expires should be a number",
    );
}

#[test]
fn presigned_url_unsupported_algorithm() {
    let mut request = presigned_request(900, &credentials());
    request.query = request.query.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
    let error = check_at(&request, T_20261120_214550, &s3_options()).unwrap_err();
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        "AuthorizationQueryParametersError",
        400,
    );
}

#[test]
fn header_and_presigned_query_together() {
    let mut request = cloudtrail_request();
    request.query = "X-Amz-Signature=abc".to_owned();
    let error = check_err(&request);
    assert_eq!(error, Error::MultipleAuthMechanisms);
    assert_eq!(error.aws_code(), "IncompleteSignatureException");
    assert_eq!(error.s3_code(), "InvalidArgument");
}

#[test]
fn duplicate_authorization_header() {
    let mut request = cloudtrail_request();
    let authorization = request.header("authorization").unwrap().to_owned();
    request.headers.push(("Authorization".to_owned(), authorization));
    let error = check_err(&request);
    assert_eq!(error, Error::DuplicateAuthorization);
    assert_eq!(error.aws_code(), "IncompleteSignatureException");
    assert_eq!(error.s3_code(), "AuthorizationHeaderMalformed");
}

#[test]
fn malformed_header_missing_components() {
    let check_missing = |authorization: &str, message: &str| {
        let mut request = cloudtrail_request();
        request.set_header("authorization", authorization);
        let error = check_err(&request);
        assert!(matches!(error, Error::MissingComponents { .. }), "{error}");
        expect_wire(
            &error,
            "IncompleteSignatureException",
            400,
            message,
            "AuthorizationHeaderMalformed",
            400,
        );
        assert_eq!(
            error.s3_message(),
            "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
        );
    };
    let credential = "Credential=AKIDEXAMPLE/20261120/eu-west-1/cloudtrail/aws4_request";
    check_missing(
        "AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    );
    check_missing(
        &format!("AWS4-HMAC-SHA256 {credential}, SignedHeaders=host;x-amz-date"),
        &format!(
            "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 {credential}, SignedHeaders=host;x-amz-date"
        ),
    );
    check_missing(
        &format!("AWS4-HMAC-SHA256 {credential}, Signature=abc"),
        &format!(
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 {credential}, Signature=abc"
        ),
    );
    check_missing(
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
    );
}

#[test]
fn malformed_header_missing_date() {
    let mut request = cloudtrail_request();
    request.remove_header("x-amz-date");
    let authorization = request.header("authorization").unwrap().to_owned();
    let error = check_err(&request);
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        &format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
        ),
        "AccessDenied",
        403,
    );
    assert_eq!(error.s3_message(), "AWS authentication requires a valid Date or x-amz-date header");
}

#[test]
fn malformed_header_not_key_value() {
    let mut request = cloudtrail_request();
    edit_authorization(&mut request, |authorization| {
        authorization.replace("Credential=", "Credential= ")
    });
    let authorization = request.header("authorization").unwrap().to_owned();
    let error = check_err(&request);
    assert_eq!(
        error,
        Error::NotKeyValue {
            component: "AKIDEXAMPLE/20261120/eu-west-1/cloudtrail/aws4_request".to_owned(),
            authorization: authorization.clone(),
        }
    );
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        &format!(
            "'AKIDEXAMPLE/20261120/eu-west-1/cloudtrail/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
        ),
        "AuthorizationHeaderMalformed",
        400,
    );
}

#[test]
fn malformed_header_unsupported_algorithm() {
    let mut request = cloudtrail_request();
    edit_authorization(&mut request, |authorization| {
        authorization.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    });
    let error = check_err(&request);
    assert!(
        matches!(&error, Error::UnsupportedAlgorithm { algorithm, .. } if algorithm == "AWS4-HMAC-SHA512")
    );
    assert_eq!(error.aws_code(), "IncompleteSignatureException");
    assert_eq!(error.s3_code(), "InvalidRequest");
    assert_eq!(
        error.s3_message(),
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    );

    // SigV2, as an old client would send it.
    request.set_header("authorization", "AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=");
    let error = check_err(&request);
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
        "InvalidRequest",
        400,
    );
}

#[test]
fn malformed_header_bad_credential_scope() {
    let check_credential = |credential: &str, problem: CredentialProblem, message: &str| {
        let mut request = cloudtrail_request();
        edit_authorization(&mut request, |authorization| {
            let start = authorization.find("Credential=").unwrap() + 11;
            let end = authorization.find(',').unwrap();
            format!("{}{credential}{}", &authorization[..start], &authorization[end..])
        });
        let error = check_err(&request);
        assert_eq!(
            error,
            Error::MalformedCredential {
                credential: credential.to_owned(),
                problem,
                location: AuthLocation::Header,
            }
        );
        expect_wire(
            &error,
            "IncompleteSignatureException",
            400,
            message,
            "AuthorizationHeaderMalformed",
            400,
        );
    };
    check_credential(
        "AKIDEXAMPLE/20261120/eu-west-1/cloudtrail",
        CredentialProblem::Shape,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20261120/eu-west-1/cloudtrail'",
    );
    check_credential(
        "/20261120/eu-west-1/cloudtrail/aws4_request",
        CredentialProblem::Shape,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '/20261120/eu-west-1/cloudtrail/aws4_request'",
    );
    check_credential(
        "AKIDEXAMPLE/20261120/eu-west-1/cloudtrail/aws5_request",
        CredentialProblem::Terminator,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
    );
    check_credential(
        "AKIDEXAMPLE/20261120/EU_WEST/cloudtrail/aws4_request",
        CredentialProblem::Region,
        "Credential should be scoped to a valid region. ",
    );
}

#[test]
fn malformed_x_amz_date() {
    let mut request = cloudtrail_request();
    request.set_header("x-amz-date", "2026-11-20T21:45:50Z");
    let error = check_err(&request);
    assert_eq!(
        error,
        Error::MalformedDate {
            value: "2026-11-20T21:45:50Z".to_owned(),
            location: AuthLocation::Header
        }
    );
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "Date must be in ISO-8601 'basic format'. Got '2026-11-20T21:45:50Z'. See http://en.wikipedia.org/wiki/ISO_8601",
        "AccessDenied",
        403,
    );
}

#[test]
fn wrong_service_in_scope() {
    let request = cloudtrail_request();
    let options = VerifyOptions::new("cloudtrail-data");
    let error = check_at(&request, T_20261120_214550, &options).unwrap_err();
    assert_eq!(
        error,
        Error::WrongService {
            expected: "cloudtrail-data".to_owned(),
            actual: "cloudtrail".to_owned(),
            location: AuthLocation::Header,
        }
    );
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Credential should be scoped to correct service: 'cloudtrail-data'. ",
        "AuthorizationHeaderMalformed",
        400,
    );
}

#[test]
fn host_not_signed() {
    let mut request = cloudtrail_request();
    edit_authorization(&mut request, |authorization| {
        authorization.replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;")
    });
    let error = check_err(&request);
    assert_eq!(error, Error::HostNotSigned { location: AuthLocation::Header });
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        "AccessDenied",
        403,
    );
}

#[test]
fn date_scope_mismatch() {
    let mut request = cloudtrail_request();
    edit_authorization(&mut request, |authorization| {
        authorization.replace("/20261120/", "/20261119/")
    });
    let error = check_err(&request);
    assert_eq!(
        error,
        Error::CredentialDateMismatch {
            scope_date: "20261119".to_owned(),
            request_date: "20261120T214550Z".to_owned(),
            location: AuthLocation::Header,
        }
    );
    expect_wire(
        &error,
        "InvalidSignatureException",
        400,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261119' != '20261120', from '20261120T214550Z'.",
        "AuthorizationHeaderMalformed",
        400,
    );
}

#[test]
fn session_token_must_be_signed() {
    let temporary =
        Credentials { session_token: Some("FwoGZXIvYXdzEXAMPLE".to_owned()), ..credentials() };
    let request = signed_at(T_20261120_214550, &temporary, UriEncoding::Normal);
    let verified = check(&request).unwrap();
    assert_eq!(verified.security_token.as_deref(), Some("FwoGZXIvYXdzEXAMPLE"));

    // A token added after signing is not covered by the signature.
    let mut request = cloudtrail_request();
    request.headers.push(("X-Amz-Security-Token".to_owned(), "injected".to_owned()));
    let error = check_err(&request);
    assert_eq!(error, Error::HeadersNotSigned { names: vec!["x-amz-security-token".to_owned()] });
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "There were headers present in the request which were not signed",
        "AccessDenied",
        403,
    );
}

#[test]
fn s3_header_auth_requires_content_sha256() {
    let request = signed_at(T_20261120_214550, &credentials(), UriEncoding::S3);
    assert!(check_at(&request, T_20261120_214550, &s3_options()).is_ok());

    let mut request = request;
    request.remove_header("x-amz-content-sha256");
    let error = check_at(&request, T_20261120_214550, &s3_options()).unwrap_err();
    assert_eq!(error, Error::MissingContentSha256);
    expect_wire(
        &error,
        "IncompleteSignatureException",
        400,
        "Missing required header for this request: x-amz-content-sha256",
        "InvalidRequest",
        400,
    );
}

#[test]
fn s3_unsigned_amz_headers_are_rejected() {
    let mut request = signed_at(T_20261120_214550, &credentials(), UriEncoding::S3);
    request.headers.push(("X-Amz-Copy-Source".to_owned(), "/other-bucket/key".to_owned()));
    let error = check_at(&request, T_20261120_214550, &s3_options()).unwrap_err();
    assert_eq!(error, Error::HeadersNotSigned { names: vec!["x-amz-copy-source".to_owned()] });
    assert_eq!(error.s3_code(), "AccessDenied");
    // Other services do not insist on it: the header is simply not covered.
    let mut request = cloudtrail_request();
    request.headers.push(("X-Amz-Copy-Source".to_owned(), "/other-bucket/key".to_owned()));
    assert!(check(&request).is_ok());
}

#[test]
fn closure_credential_lookup() {
    let request = cloudtrail_request();
    let only_alice = |access_key_id: &str| {
        (access_key_id == ACCESS_KEY_ID).then(|| sigv4::Secret {
            secret_access_key: crate::support::SECRET_ACCESS_KEY.to_owned(),
            principal: "alice".to_owned(),
        })
    };
    let verified = request
        .with_view(|view| verify(view, &only_alice, at(T_20261120_214550), &cloudtrail_options()))
        .unwrap();
    assert_eq!(verified.principal, "alice");
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let credentials =
        Credentials { session_token: Some("session-token-value".to_owned()), ..credentials() };
    let debug = format!("{credentials:?} {:?}", lookup());
    assert!(!debug.contains(crate::support::SECRET_ACCESS_KEY), "{debug}");
    assert!(!debug.contains("session-token-value"), "{debug}");
    assert!(debug.contains(ACCESS_KEY_ID));
}
