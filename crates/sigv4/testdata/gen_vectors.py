#!/usr/bin/env python3
"""Generate SigV4 golden vectors for the `sigv4` crate from a real client (botocore).

Run from the crate root:

    python3 testdata/gen_vectors.py > testdata/botocore-vectors.json

Every vector is a request exactly as botocore would put it on the wire (method, raw
path, raw query, headers including `Host`, body), together with botocore's own
canonical request, string to sign and signature, taken from botocore's debug log
(`botocore.auth` logs them in `SigV4Auth.add_auth`).

Two kinds of vectors:

* `client`: a real botocore client (`cloudtrail`, `cloudtrail-data`, `s3`) with
  `endpoint_url` pointed at a fake endpoint; the prepared request is captured in a
  `before-send` hook and never sent.  Presigned URLs come from
  `generate_presigned_url`.
* `signer`: a hand-built `AWSRequest` signed directly with `SigV4Auth`,
  `S3SigV4Auth` or `SigV4QueryAuth`, to reach edge cases the service models never
  produce (dot segments, raw `+`/`=` in paths, repeated headers, a `Date` header).

The clock is fixed by patching `botocore.auth.get_current_datetime`, and
`uuid.uuid4` is patched so `amz-sdk-invocation-id` is stable; the `User-Agent`
header (never signed: it is on botocore's blacklist) is replaced by a fixed string
so that regenerating on another machine gives the same file.
"""

import datetime
import json
import logging
import sys
import uuid
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_ACCESS_KEY = "ASIAEXAMPLESESSION"
SESSION_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes=="
)
ENDPOINT = "http://127.0.0.1:8080"
USER_AGENT = "opentrail-sigv4-vectors (botocore %s)" % botocore.__version__

NOW = [datetime.datetime(2026, 11, 20, 21, 45, 50)]
botocore.auth.get_current_datetime = lambda *args, **kwargs: NOW[0]
uuid.uuid4 = lambda: uuid.UUID("00000000-0000-4000-8000-000000000000")


class LogCapture(logging.Handler):
    """Keeps botocore.auth's debug records: canonical request, string to sign, signature."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def take(self):
        found = {}
        for record in self.records:
            if record.msg.startswith("CanonicalRequest:"):
                found["canonical_request"] = record.args[0]
            elif record.msg.startswith("StringToSign:"):
                found["string_to_sign"] = record.args[0]
            elif record.msg.startswith("Signature:"):
                found["signature"] = record.args[0]
        self.records = []
        assert set(found) == {"canonical_request", "string_to_sign", "signature"}, found
        return found


CAPTURE = LogCapture()
auth_logger = logging.getLogger("botocore.auth")
auth_logger.setLevel(logging.DEBUG)
auth_logger.addHandler(CAPTURE)
auth_logger.propagate = False


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def capture_before_send(request, **kwargs):
    raise Captured(request)


def host_of(url):
    return urlsplit(url).netloc


def wire_headers(url, header_items):
    """Headers as sent on the wire: `Host` first (added by the HTTP client), then botocore's."""
    headers = [["Host", host_of(url)]]
    for name, value in header_items:
        if isinstance(name, bytes):
            name = name.decode("ascii")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if name.lower() == "user-agent":
            value = USER_AGENT
        headers.append([name, value])
    return headers


def body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        position = body.tell()
        data = body.read()
        body.seek(position)
        return data
    return bytes(body)


def make_vector(name, description, kind, signer, service, region, uri_encoding,
                access_key, secret_key, session_token, method, url, headers, body,
                auth_location, logs):
    parts = urlsplit(url)
    authorization = None
    for header_name, value in headers:
        if header_name.lower() == "authorization":
            authorization = value
    return {
        "name": name,
        "description": description,
        "kind": kind,
        "signer": signer,
        "service": service,
        "region": region,
        "uri_encoding": uri_encoding,
        "access_key_id": access_key,
        "secret_access_key": secret_key,
        "session_token": session_token,
        "timestamp": NOW[0].strftime("%Y%m%dT%H%M%SZ"),
        "auth_location": auth_location,
        "request": {
            "method": method,
            "path": parts.path,
            "query": parts.query,
            "headers": headers,
            "body_hex": body.hex(),
        },
        "canonical_request": logs["canonical_request"],
        "string_to_sign": logs["string_to_sign"],
        "signature": logs["signature"],
        "authorization": authorization,
        "url": url if auth_location == "query" else None,
    }


SESSION = botocore.session.get_session()


def client(service, region, endpoint=ENDPOINT, session_token=None, config=None):
    access_key = SESSION_ACCESS_KEY if session_token else ACCESS_KEY
    secret_key = SESSION_SECRET_KEY if session_token else SECRET_KEY
    base = Config(user_agent=USER_AGENT, retries={"max_attempts": 0, "mode": "standard"})
    if config is not None:
        base = base.merge(config)
    c = SESSION.create_client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=base,
    )
    c.meta.events.register("before-send", capture_before_send)
    return c, access_key, secret_key


def client_vector(name, description, service, region, call, uri_encoding="normal",
                  endpoint=ENDPOINT, session_token=None, config=None, signer="SigV4Auth"):
    c, access_key, secret_key = client(service, region, endpoint, session_token, config)
    try:
        call(c)
    except Captured as captured:
        request = captured.request
    else:
        raise AssertionError("request was not captured")
    logs = CAPTURE.take()
    headers = wire_headers(request.url, request.headers.items())
    return make_vector(
        name, description, "client", signer, c.meta.service_model.signing_name, region,
        uri_encoding, access_key, secret_key, session_token, request.method, request.url,
        headers, body_bytes(request.body), "header", logs,
    )


def s3_config():
    """Path-style SigV4 S3 requests, as OpenTrail's S3 API is addressed."""
    return Config(signature_version="s3v4", s3={"addressing_style": "path"})


def s3_client_vector(name, description, region, call):
    """A path-style S3 call, signed as S3 signs (single-encoded path)."""
    return client_vector(name, description, "s3", region, call, uri_encoding="s3",
                         config=s3_config(), signer="S3SigV4Auth")


def presign_vector(name, description, region, bucket, key, expires, session_token=None):
    c, access_key, secret_key = client("s3", region, session_token=session_token, config=s3_config())
    url = c.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )
    logs = CAPTURE.take()
    headers = [["Host", host_of(url)], ["User-Agent", "curl/8.5.0"], ["Accept", "*/*"]]
    return make_vector(
        name, description, "client", "S3SigV4QueryAuth", "s3", region, "s3",
        access_key, secret_key, session_token, "GET", url, headers, b"", "query", logs,
    )


def signer_vector(name, description, auth_class, service, region, method, path_and_query,
                  headers, body=b"", uri_encoding="normal", session_token=None, expires=None):
    access_key = SESSION_ACCESS_KEY if session_token else ACCESS_KEY
    secret_key = SESSION_SECRET_KEY if session_token else SECRET_KEY
    credentials = Credentials(access_key, secret_key, session_token)
    url = ENDPOINT + path_and_query
    request = AWSRequest(method=method, url=url, headers=None, data=body)
    for header_name, value in headers:
        # HTTPHeaders.__setitem__ appends, so repeated names stay repeated.
        request.headers[header_name] = value
    if expires is None:
        auth = auth_class(credentials, service, region)
    else:
        auth = auth_class(credentials, service, region, expires=expires)
    auth.add_auth(request)
    logs = CAPTURE.take()
    prepared = request.prepare()
    auth_location = "query" if expires is not None else "header"
    # `prepare()` folds repeated headers into one, so take the headers from the signed
    # AWSRequest (which keeps repeats, as the wire does) plus what `prepare()` added.
    header_items = list(request.headers.items())
    present = {header_name.lower() for header_name, _ in header_items}
    for header_name, value in prepared.headers.items():
        if header_name.lower() not in present:
            header_items.append((header_name, value))
    return make_vector(
        name, description, "signer", auth_class.__name__, service, region, uri_encoding,
        access_key, secret_key, session_token, method, prepared.url,
        wire_headers(prepared.url, header_items), body_bytes(prepared.body),
        auth_location, logs,
    )


CHANNEL_ARN = (
    "arn:aws:cloudtrail:eu-west-1:123456789012:channel/01234567-89ab-cdef-0123-456789abcdef"
)


def build():
    vectors = []

    def at(*args):
        NOW[0] = datetime.datetime(*args)

    at(2026, 11, 20, 21, 45, 50)
    vectors.append(client_vector(
        "cloudtrail-lookup-events",
        "JSON 1.1 POST / with X-Amz-Target from a real cloudtrail client",
        "cloudtrail", "eu-west-1",
        lambda c: c.lookup_events(
            StartTime=datetime.datetime(2024, 1, 2, 3, 4, 5),
            EndTime=datetime.datetime(2024, 1, 2, 5, 0, 0),
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}],
        ),
    ))
    vectors.append(client_vector(
        "cloudtrail-describe-trails-session-token",
        "temporary credentials: x-amz-security-token is signed",
        "cloudtrail", "us-east-1",
        lambda c: c.describe_trails(trailNameList=["trail-1", "arn:aws:cloudtrail:us-east-1:123456789012:trail/t2"]),
        session_token=SESSION_TOKEN,
    ))
    vectors.append(client_vector(
        "cloudtrail-endpoint-with-base-path",
        "endpoint URL with a path: botocore posts to /opentrail (no trailing slash)",
        "cloudtrail", "ap-southeast-2",
        lambda c: c.get_trail_status(Name="my-trail"),
        endpoint=ENDPOINT + "/opentrail",
    ))
    vectors.append(client_vector(
        "cloudtrail-data-put-audit-events",
        "rest-json POST with channelArn (encoded ':' and '/') and externalId query parameters",
        "cloudtrail-data", "eu-west-1",
        lambda c: c.put_audit_events(
            channelArn=CHANNEL_ARN,
            externalId="ext-1+2=3",
            auditEvents=[{"id": "evt1", "eventData": "{\"version\":\"1.0\"}", "eventDataChecksum": "abc"}],
        ),
    ))
    vectors.append(s3_client_vector(
        "s3-list-objects-v2",
        "S3 GET with ListObjectsV2 query (prefix with space, unicode, '/', delimiter, max-keys)",
        "us-east-1",
        lambda c: c.list_objects_v2(
            Bucket="trail-bucket", Prefix="AWSLogs/123456789012/CloudTrail/eu west/\u00e9t\u00e9/",
            Delimiter="/", MaxKeys=50, StartAfter="AWSLogs/a+b=c",
        ),
    ))
    vectors.append(s3_client_vector(
        "s3-get-object-odd-key",
        "S3 GET object whose key has spaces, unicode, '+', '=', '~' and '/' (single-encoded path)",
        "eu-central-1",
        lambda c: c.get_object(Bucket="trail-bucket", Key="dir one/caf\u00e9+x=y~z/\u2713.json.gz"),
    ))
    vectors.append(presign_vector(
        "s3-presigned-get-object",
        "presigned S3 GetObject URL (query auth, UNSIGNED-PAYLOAD, host only signed)",
        "us-east-1", "trail-bucket",
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/file name.json.gz", 900,
    ))
    vectors.append(presign_vector(
        "s3-presigned-get-object-session-token",
        "presigned S3 GetObject URL with X-Amz-Security-Token in the query",
        "eu-west-1", "digest-bucket", "AWSLogs/123456789012/CloudTrail-Digest/x+y.json.gz", 3600,
        session_token=SESSION_TOKEN,
    ))

    at(2026, 11, 20, 12, 0, 0)
    vectors.append(signer_vector(
        "opentrail-get-encoded-path-and-query",
        "path segments with encoded spaces and unicode (double-encoded in the canonical URI); "
        "repeated query keys, empty values, a key without '=' and unsorted keys",
        botocore.auth.SigV4Auth, "opentrail", "eu-west-1", "GET",
        "/trails/my%20trail/%E2%9C%93?b=2&a=1&a=0&empty=&flag&z=%2F",
        [["Accept", "application/json"]],
    ))
    vectors.append(signer_vector(
        "opentrail-path-raw-plus-equals-encoded-slash",
        "raw '+' and '=' in the path and an encoded slash: non-S3 canonical URI encodes them again",
        botocore.auth.SigV4Auth, "opentrail", "us-west-2", "GET",
        "/keys/a+b=c/x%2Fy/%7Etilde", [],
    ))
    vectors.append(signer_vector(
        "opentrail-path-dot-segments",
        "dot segments and doubled slashes are normalised for non-S3 services",
        botocore.auth.SigV4Auth, "opentrail", "us-east-1", "GET",
        "/a/./b/../c//d/", [],
    ))
    vectors.append(signer_vector(
        "opentrail-repeated-and-messy-headers",
        "repeated header joined with ',', values trimmed and inner whitespace runs collapsed, "
        "mixed-case names",
        botocore.auth.SigV4Auth, "opentrail", "eu-north-1", "POST",
        "/ingest?mode=fast",
        [
            ["Content-Type", "application/json"],
            ["X-OpenTrail-Tag", "  first   value\twith \t tabs  "],
            ["x-opentrail-tag", "second"],
            ["X-Amz-Meta-Owner", "Alice  Smith"],
        ],
        body=b'{"events": [1, 2, 3]}',
    ))
    vectors.append(signer_vector(
        "opentrail-date-header",
        "a Date header instead of X-Amz-Date (botocore then signs `date` in RFC 2822 form)",
        botocore.auth.SigV4Auth, "opentrail", "eu-west-1", "GET",
        "/health", [["Date", "Thu, 01 Jan 1970 00:00:00 GMT"]],
    ))
    vectors.append(signer_vector(
        "s3-signer-path-raw-plus-encoded-slash",
        "S3 signer: the path is used as sent (no normalisation, no second encoding)",
        botocore.auth.S3SigV4Auth, "s3", "us-east-1", "GET",
        "/bucket/a+b%3Dc/./d%2Fe%20f//g?list-type=2&prefix=a%2Fb&continuation-token=1%2Bx%3D%3D",
        [], uri_encoding="s3",
    ))
    vectors.append(signer_vector(
        "opentrail-presigned-query-auth",
        "non-S3 presigned URL (SigV4QueryAuth): payload hash is the SHA-256 of the empty body",
        botocore.auth.SigV4QueryAuth, "opentrail", "eu-west-1", "GET",
        "/exports/report.csv?format=csv", [], expires=300,
    ))
    vectors.append(signer_vector(
        "opentrail-post-binary-body-reserved-query",
        "binary body; query values with reserved characters percent-encoded; unreserved '-._~' kept",
        botocore.auth.SigV4Auth, "opentrail", "sa-east-1", "POST",
        "/upload?q=a%20b%2Bc%26d%3De%2A&key-._~=v-._~&%C3%A9=%E2%9C%93",
        [["Content-Type", "application/octet-stream"]],
        body=bytes(range(256)),
    ))

    at(2024, 2, 29, 23, 59, 59)
    vectors.append(client_vector(
        "cloudtrail-leap-day-last-second",
        "credential date of a leap day at 23:59:59",
        "cloudtrail", "eu-west-1",
        lambda c: c.list_trails(),
    ))
    vectors.append(signer_vector(
        "opentrail-session-token-signer",
        "SigV4Auth with a session token and an empty body POST",
        botocore.auth.SigV4Auth, "opentrail", "eu-west-1", "POST", "/", [],
        session_token=SESSION_TOKEN,
    ))
    return vectors


def main():
    vectors = build()
    document = {
        "generator": "testdata/gen_vectors.py",
        "botocore_version": botocore.__version__,
        "vectors": vectors,
    }
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
