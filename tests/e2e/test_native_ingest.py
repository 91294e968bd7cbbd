"""Native ingest, `POST /v1/events` (SigV4 service `opentrail`), end to end: records from
`opentrail gen` and from the shared corpus, sent as NDJSON, as a log-file body and gzipped,
signed with botocore's SigV4 signer and sent over http.client."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import uuid
from pathlib import Path

import pytest

from conftest import run_opentrail
from e2e_helpers import UUID_RE

CORPUS = Path("/work/shared/data/cloudtrail")
EVENT_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def gen(count: int, seed: int, fmt: str = "ndjson") -> bytes:
    return run_opentrail("gen", "--count", str(count), "--seed", str(seed), "--format", fmt)


def gen_records(count: int, seed: int) -> list[dict]:
    return [json.loads(line) for line in gen(count, seed).decode().splitlines() if line]


def ndjson(records: list[dict | str]) -> bytes:
    lines = [r if isinstance(r, str) else json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in records]
    return ("\n".join(lines) + "\n").encode()


def minimal_record(account_id: str, **overrides) -> dict:
    record = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "principalId": account_id, "arn": f"arn:aws:iam::{account_id}:root", "accountId": account_id},
        "eventTime": "2026-11-20T21:40:03Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.1",
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": account_id,
    }
    record.update(overrides)
    return record


def ingest_ok(server, body: bytes, headers=None) -> dict:
    response = server.native_ingest(body, headers)
    assert response.status == 200, response.body[:2000]
    assert response.headers["content-type"].startswith("application/json")
    assert UUID_RE.match(response.headers["x-amzn-requestid"])
    return response.json()


def assert_error(response, status, code):
    assert response.status == status, response.body[:2000]
    assert response.headers.get("x-amzn-errortype") == code
    body = response.json()
    assert body["__type"] == code
    assert body["message"]


def stored_by_event_id(server) -> dict[str, list[str]]:
    """Raw stored lines of native (non-integration) records, by eventID."""
    out: dict[str, list[str]] = {}
    for line in server.wal_dump_raw():
        record = json.loads(line)
        if record.get("eventCategory") == "ActivityAuditLog" and "metadata" in record:
            continue
        out.setdefault(record.get("eventID"), []).append(line)
    return out


def assert_all_accepted(answer: dict, event_ids: list[str]):
    n = len(event_ids)
    assert (answer["accepted"], answer["duplicates"], answer["rejected"], answer["retry"]) == (n, 0, 0, 0)
    assert [r["index"] for r in answer["results"]] == list(range(n))
    assert all(r["status"] == "accepted" for r in answer["results"])
    assert [r["eventID"] for r in answer["results"]] == event_ids


# --------------------------------------------------------------------------------------
# Accepted bodies
# --------------------------------------------------------------------------------------


def test_ndjson_from_gen_is_accepted_and_stored_verbatim(server):
    body = gen(300, seed=1001)
    lines = body.decode().splitlines()
    event_ids = [json.loads(line)["eventID"] for line in lines]
    assert len(set(event_ids)) == 300

    answer = ingest_ok(server, body)

    assert_all_accepted(answer, event_ids)
    stored = stored_by_event_id(server)
    for line, event_id in zip(lines, event_ids):
        assert stored.get(event_id) == [line], f"{event_id} stored as {stored.get(event_id)}"


def test_log_file_body_is_accepted(server):
    body = gen(50, seed=1002, fmt="logfile")
    records = json.loads(body)["Records"]
    event_ids = [r["eventID"] for r in records]

    answer = ingest_ok(server, body)

    assert_all_accepted(answer, event_ids)
    stored = stored_by_event_id(server)
    for record in records:
        [line] = stored[record["eventID"]]
        assert json.loads(line) == record


def test_gzip_body_is_accepted(server):
    body = gen(120, seed=1003)
    event_ids = [json.loads(line)["eventID"] for line in body.decode().splitlines()]

    answer = ingest_ok(server, gzip.compress(body), {"Content-Encoding": "gzip"})

    assert_all_accepted(answer, event_ids)
    counts = {k: len(v) for k, v in stored_by_event_id(server).items()}
    assert all(counts.get(e) == 1 for e in event_ids)


def test_gzip_log_file_and_identity_encoding(server):
    logfile = gen(10, seed=1004, fmt="logfile")
    ids = [r["eventID"] for r in json.loads(logfile)["Records"]]
    assert_all_accepted(ingest_ok(server, gzip.compress(logfile), {"Content-Encoding": "gzip"}), ids)

    plain = gen(10, seed=1005)
    ids = [json.loads(line)["eventID"] for line in plain.decode().splitlines()]
    assert_all_accepted(ingest_ok(server, plain, {"Content-Encoding": "identity"}), ids)


def test_corpus_log_file_is_accepted(server):
    """A `{"Records":[...]}` example from the AWS documentation, byte for byte."""
    body = (CORPUS / "logfiles" / "awsdocs-kms-developer-guide-example-02.json").read_bytes()
    records = json.loads(body)["Records"]
    answer = ingest_ok(server, body)
    assert_all_accepted(answer, [r["eventID"] for r in records])
    stored = stored_by_event_id(server)
    for record in records:
        [line] = stored[record["eventID"]]
        assert json.loads(line) == record


# --------------------------------------------------------------------------------------
# Per-record rejection
# --------------------------------------------------------------------------------------


def test_rejections_name_the_json_path_and_rule(server):
    base = gen_records(12, seed=1006)

    def variant(i, **changes):
        record = json.loads(json.dumps(base[i]))
        for path, value in changes.items():
            target = record
            *parents, name = path.split("__")
            for parent in parents:
                target = target[parent]
            if value is None:
                del target[name]
            else:
                target[name] = value
        return record

    first_resource = {"type": "AWS::S3::Bucket", "ARN": "bucket-without-arn"}
    duplicate_member = json.dumps(base[7], separators=(",", ":"))[:-1] + ',"eventName":"Again"}'
    body_records = [
        base[0],                                                     # 0 accepted
        variant(1, userIdentity__arn="not-an-arn"),                  # 1
        variant(2, eventTime="yesterday"),                           # 2
        variant(3, eventName=5),                                     # 3
        variant(4, recipientAccountId="12345"),                      # 4
        '{"eventVersion":"1.08","eventName":',                       # 5 not JSON
        "[1,2,3]",                                                   # 6 not an object
        duplicate_member,                                            # 7
        variant(8, eventSource=None),                                # 8
        variant(9, resources=[first_resource]),                      # 9
        variant(10, awsRegion="moon-1"),                             # 10
        variant(11, userIdentity__arn="not-an-arn", eventTime="2026-13-01T00:00:00Z"),  # 11: two problems
    ]
    expected = {
        1: {("$.userIdentity.arn", "invalid-format")},
        2: {("$.eventTime", "invalid-format")},
        3: {("$.eventName", "wrong-type")},
        4: {("$.recipientAccountId", "invalid-format")},
        5: {"rule": "invalid-json"},
        6: {("$", "not-an-object")},
        7: {("$.eventName", "duplicate-member")},
        8: {("$.eventSource", "required")},
        9: {("$.resources[0].ARN", "invalid-format")},
        10: {("$.awsRegion", "invalid-format")},
        11: {("$.userIdentity.arn", "invalid-format"), ("$.eventTime", "invalid-format")},
    }

    answer = ingest_ok(server, ndjson(body_records))

    assert (answer["accepted"], answer["duplicates"], answer["rejected"], answer["retry"]) == (1, 0, 11, 0)
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(12))
    assert results[0]["status"] == "accepted"
    assert results[0]["eventID"] == base[0]["eventID"]
    for index, want in expected.items():
        result = results[index]
        assert result["status"] == "rejected", result
        assert "eventID" not in result
        assert all(e["message"] for e in result["errors"]), result
        got = {(e["path"], e["rule"]) for e in result["errors"]}
        if isinstance(want, dict):
            assert {rule for _, rule in got} == {want["rule"]}, result
        else:
            assert got == want, result

    stored = stored_by_event_id(server)
    assert len(stored[base[0]["eventID"]]) == 1
    for record in base[1:]:
        assert record["eventID"] not in stored, "a rejected record must not be stored"


def test_missing_event_id_time_and_recipient_are_filled(server):
    """OTRF records are exported by Logstash: `eventTime` is absent (renamed `@timestamp`)."""
    lines = (CORPUS / "records" / "otrf.ndjson").read_text().splitlines()
    as_is = json.loads(lines[0])
    stripped = json.loads(lines[1])
    assert "eventTime" not in as_is and "eventTime" not in stripped
    del stripped["eventID"], stripped["recipientAccountId"]

    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    answer = ingest_ok(server, ndjson([as_is, stripped]))
    after = dt.datetime.now(dt.timezone.utc)

    assert (answer["accepted"], answer["rejected"]) == (2, 0), answer
    kept_id, filled_id = answer["results"][0]["eventID"], answer["results"][1]["eventID"]
    assert kept_id == as_is["eventID"]
    assert UUID_RE.match(filled_id) and filled_id != stripped.get("eventID")

    stored = stored_by_event_id(server)
    [kept] = [json.loads(line) for line in stored[kept_id]]
    [filled] = [json.loads(line) for line in stored[filled_id]]
    for record in (kept, filled):
        assert EVENT_TIME_RE.match(record["eventTime"]), record["eventTime"]
        t = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        assert before - dt.timedelta(seconds=2) <= t <= after + dt.timedelta(seconds=2)
    assert kept["recipientAccountId"] == as_is["recipientAccountId"] == "123456789123"
    assert filled["recipientAccountId"] == server.account_id
    assert filled["eventID"] == filled_id
    # Nothing else changed.
    for original, record in ((as_is, kept), (stripped, filled)):
        rest = {k: v for k, v in record.items() if k not in ("eventTime", "eventID", "recipientAccountId")}
        assert rest == {k: v for k, v in original.items() if k not in ("eventID", "recipientAccountId")}

    # A record without eventID cannot be recognised as a retry: every send is a new event.
    again = ingest_ok(server, ndjson([stripped]))
    assert again["accepted"] == 1
    assert again["results"][0]["eventID"] not in (filled_id, kept_id)


# --------------------------------------------------------------------------------------
# Deduplication
# --------------------------------------------------------------------------------------


def test_duplicate_event_id_is_reported_and_stored_once(server):
    records = gen_records(5, seed=1007)
    body = ndjson(records)
    event_ids = [r["eventID"] for r in records]
    assert_all_accepted(ingest_ok(server, body), event_ids)

    again = ingest_ok(server, body)
    assert (again["accepted"], again["duplicates"], again["rejected"], again["retry"]) == (0, 5, 0, 0)
    assert [(r["index"], r["status"], r["eventID"]) for r in again["results"]] == [
        (i, "duplicate", e) for i, e in enumerate(event_ids)
    ]

    # Same eventID, different content, mixed with a new record: still a duplicate.
    changed = dict(records[2], eventName="SomethingElse")
    fresh = gen_records(1, seed=1008)[0]
    mixed = ingest_ok(server, ndjson([changed, fresh]))
    assert [(r["status"], r["eventID"]) for r in mixed["results"]] == [
        ("duplicate", records[2]["eventID"]),
        ("accepted", fresh["eventID"]),
    ]

    stored = stored_by_event_id(server)
    for record in records + [fresh]:
        assert len(stored[record["eventID"]]) == 1
    assert json.loads(stored[records[2]["eventID"]][0])["eventName"] == records[2]["eventName"]


def test_duplicate_event_id_within_one_request(server):
    record = gen_records(1, seed=1009)[0]
    answer = ingest_ok(server, ndjson([record, record]))
    stored = stored_by_event_id(server)
    assert len(stored[record["eventID"]]) == 1
    assert [(r["status"], r.get("eventID")) for r in answer["results"]] == [
        ("accepted", record["eventID"]),
        ("duplicate", record["eventID"]),
    ], answer
    assert (answer["accepted"], answer["duplicates"], answer["retry"]) == (1, 1, 0)


# --------------------------------------------------------------------------------------
# Authentication and request-level errors
# --------------------------------------------------------------------------------------


def test_authentication_failures(server):
    records = gen_records(3, seed=1010)
    body = ndjson(records)
    assert_error(server.native_ingest(body, sign=False), 403, "MissingAuthenticationTokenException")
    assert_error(server.native_ingest(body, service="cloudtrail-data"), 400, "InvalidSignatureException")
    assert_error(server.native_ingest(body, credentials=("AKIAUNKNOWNKEY000000", "x" * 40)), 400, "UnrecognizedClientException")
    assert_error(server.native_ingest(body, credentials=(server.access_key_id, "x" * 40)), 400, "InvalidSignatureException")
    assert_error(server.native_ingest(body, tamper=lambda b: b.replace(b"eventName", b"eventname", 1)), 400, "InvalidSignatureException")
    stored = stored_by_event_id(server)
    assert not any(r["eventID"] in stored for r in records)


@pytest.mark.parametrize(
    "body, headers, status, code",
    [
        pytest.param(b"", None, 400, "ValidationException", id="empty"),
        pytest.param(b" \n\r\n\t ", None, 400, "ValidationException", id="whitespace"),
        pytest.param(b'{"Records": {"eventVersion": "1.08"}}', None, 400, "ValidationException", id="records-not-array"),
        pytest.param(b"this is not gzip", {"Content-Encoding": "gzip"}, 400, "InvalidRequest", id="bad-gzip"),
        pytest.param(b"{}", {"Content-Encoding": "br"}, 415, "UnsupportedMediaType", id="brotli"),
        pytest.param(b"{}\n" * 10_001, None, 413, "RequestEntityTooLarge", id="10001-records"),
    ],
)
def test_request_level_errors(server, body, headers, status, code):
    assert_error(server.native_ingest(body, headers), status, code)


def test_empty_records_list_is_an_empty_answer(server):
    assert ingest_ok(server, b'{"Records": []}') == {
        "accepted": 0, "duplicates": 0, "rejected": 0, "retry": 0, "results": [],
    }


def test_content_encoding_is_case_insensitive(server):
    body = gen(3, seed=1011)
    ids = [json.loads(line)["eventID"] for line in body.decode().splitlines()]
    assert_all_accepted(ingest_ok(server, gzip.compress(body), {"Content-Encoding": "GZIP"}), ids)


def _many_small_records(server):
    return [minimal_record(server.account_id) for _ in range(4097)]


def _few_large_records(server):
    # 40 valid records of ~230 KB each (payload objects at their 100 KB / 28 KB caps): 9.2 MB.
    return [
        minimal_record(
            server.account_id,
            requestParameters={"p": "r" * 102_000},
            responseElements={"p": "s" * 102_000},
            additionalEventData={"p": "a" * 28_000},
        )
        for _ in range(40)
    ]


@pytest.mark.parametrize("build", [_many_small_records, _few_large_records], ids=["4097-records", "9-mb-of-records"])
def test_large_valid_requests_are_stored(server, build):
    records = build(server)
    body = ndjson(records)
    assert len(body) < 16 * 1024 * 1024
    response = server.native_ingest(body)
    assert response.status == 200, response.body[:300]
    assert_all_accepted(response.json(), [r["eventID"] for r in records])


def test_health_and_unknown_path(server):
    health = server.signed_request("GET", "/health", sign=False)
    assert health.status == 200
    assert health.json()["status"] == "ok"
    ready = server.signed_request("GET", "/ready", sign=False)
    assert ready.status == 200
    assert ready.json()["status"] == "ready"
    assert_error(server.signed_request("POST", "/v2/events", b"{}"), 404, "UnknownOperationException")
