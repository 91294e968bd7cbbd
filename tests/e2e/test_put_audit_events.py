"""CloudTrail Data `PutAuditEvents` end to end: the real AWS CLI and boto3 against the real
binary (spec: ../shared/spec/cloudtrail-data-api.md, cloudtrail-api.md §4-5).

Tests parametrized with `putter` run once with `aws cloudtrail-data put-audit-events` and
once with `boto3.client("cloudtrail-data").put_audit_events`. Raw signed requests are used
only where the SDKs refuse to send the request (0 events, missing channelArn, bad JSON).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import sqlite3
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import query_string, read_env_file
from e2e_helpers import (
    DELETE,
    EVENT_TIME,
    LAKE_TIME_RE,
    UUID_RE,
    Boto3Putter,
    CliPutter,
    audit_event,
    audit_records,
    by_uid,
    checksum,
    event_data,
    event_dict,
    event_id_counts,
    unique,
)

EVENT_DATA_BYTES_MAX = 256 * 1024
REQUEST_BYTES_MAX = 1024 * 1024


@pytest.fixture(params=["cli", "boto3"])
def putter(request, server, tmp_path):
    if request.param == "cli":
        return CliPutter(server, tmp_path)
    return Boto3Putter(server)


def put_raw(server, body, *, channel=None, external_id=None, query=None, **kwargs):
    """A PutAuditEvents request built by hand and signed for `cloudtrail-data`."""
    if query is None:
        params = {"channelArn": channel or server.channel_arn}
        if external_id is not None:
            params["externalId"] = external_id
        query = query_string(params)
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    kwargs.setdefault("service", "cloudtrail-data")
    return server.signed_request(
        "POST", "/PutAuditEvents", body, headers={"Content-Type": "application/json"}, query=query, **kwargs
    )


def assert_aws_error(response, status, code):
    """rest-json error wire format (cloudtrail-data-api.md §4)."""
    assert response.status == status, response.body
    assert response.headers.get("x-amzn-errortype") == code
    assert UUID_RE.match(response.headers.get("x-amzn-requestid", "")), response.headers
    body = response.json()
    assert body["__type"] == code
    assert isinstance(body["message"], str) and body["message"]


def padded(text: str, size: int) -> str:
    """`text` (a JSON object) with insignificant whitespace appended up to `size` bytes."""
    assert len(text.encode()) <= size
    return text + " " * (size - len(text.encode()))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------------------
# Success paths
# --------------------------------------------------------------------------------------


def test_put_audit_event_is_stored_with_envelope_and_unchanged_payload(putter, server):
    uid = unique("uid")
    data = event_dict(
        server.account_id,
        uid,
        requestParameters={"orderId": "A-1001", "amount": "@AMOUNT@", "big": "@BIG@", "note": 'Zoë ✓ "q" \\ /'},
        additionalEventData={"nested": {"list": [1, "two", None, True, {"k": []}]}},
    )
    # Number text that a float round trip would change: the stored payload must keep it.
    text = (
        json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        .replace('"@AMOUNT@"', "1.50")
        .replace('"@BIG@"', "123456789012345678901234567890")
    )
    entry = audit_event(text, id=unique("order-svc"))
    before = now_utc()
    result = putter.put([entry], external_id="order-svc+1=a,b.c@d:e/f-g_h")
    after = now_utc()

    assert result.ok, result.message
    assert result.response["failed"] == []
    assert len(result.response["successful"]) == 1
    assert result.response["successful"][0]["id"] == entry["id"]
    event_id = result.response["successful"][0]["eventID"]
    assert UUID_RE.match(event_id), event_id

    raw = [line for line in server.wal_dump_raw() if uid in line]
    assert len(raw) == 1, raw
    record = json.loads(raw[0])
    assert list(record) == [
        "eventVersion", "eventCategory", "eventType", "eventID", "eventTime",
        "awsRegion", "recipientAccountId", "metadata", "eventData",
    ]
    assert record["eventVersion"] == "1.0"
    assert record["eventCategory"] == "ActivityAuditLog"
    assert record["eventType"] == "ActivityLog"
    assert record["eventID"] == event_id
    assert record["eventTime"] == EVENT_TIME
    assert record["awsRegion"] == server.region
    assert record["recipientAccountId"] == server.account_id
    assert record["metadata"]["channelARN"] == server.channel_arn
    ingestion = record["metadata"]["ingestionTime"]
    assert LAKE_TIME_RE.match(ingestion), ingestion
    ingestion_time = dt.datetime.strptime(ingestion, "%Y-%m-%dT%H:%M:%S")
    assert before - dt.timedelta(seconds=2) <= ingestion_time <= after + dt.timedelta(seconds=2)
    # The caller's payload, byte for byte (number text, escapes and UTF-8 kept).
    assert raw[0].endswith('"eventData":' + text + "}"), raw[0]


def test_channel_given_as_bare_uuid(putter, server):
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid))
    result = putter.put([entry], channel=server.channel_id)
    assert result.ok, result.message
    event_id = result.successful_ids()[entry["id"]]
    [record] = by_uid(audit_records(server), uid)
    assert record["eventID"] == event_id
    assert record["metadata"]["channelARN"] == server.channel_arn


def test_aws_region_is_the_credential_scope_region(putter, server):
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid))
    result = putter.put([entry], region="eu-west-1")
    assert result.ok, result.message
    [record] = by_uid(audit_records(server), uid)
    assert record["awsRegion"] == "eu-west-1"
    # The channel is still the one named in the request.
    assert record["metadata"]["channelARN"] == server.channel_arn


def test_checksum_is_optional(putter, server):
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid), with_checksum=False)
    result = putter.put([entry])
    assert result.ok, result.message
    assert set(result.successful_ids()) == {entry["id"]}
    assert len(by_uid(audit_records(server), uid)) == 1


def test_batch_of_100_with_one_bad_entry_is_a_partial_success(putter, server):
    uids = [unique("uid") for _ in range(100)]
    entries = [audit_event(event_data(server.account_id, uid), id=f"batch-{i:03d}-{uid}") for i, uid in enumerate(uids)]
    bad = 57
    entries[bad]["eventDataChecksum"] = checksum(entries[bad]["eventData"] + " ")

    result = putter.put(entries)

    assert result.ok, result.message
    successful = result.successful_ids()
    assert set(successful) == {e["id"] for i, e in enumerate(entries) if i != bad}
    assert len(set(successful.values())) == 99, "every stored event gets its own eventID"
    assert all(UUID_RE.match(v) for v in successful.values())
    assert result.failed_codes() == {entries[bad]["id"]: "InvalidChecksum"}

    records = audit_records(server)
    for i, uid in enumerate(uids):
        found = by_uid(records, uid)
        if i == bad:
            assert found == []
        else:
            assert len(found) == 1
            assert found[0]["eventID"] == successful[entries[i]["id"]]


def test_retry_with_same_id_returns_same_event_id_and_stores_once(putter, server):
    uid1, uid2 = unique("uid"), unique("uid")
    first = audit_event(event_data(server.account_id, uid1))
    result = putter.put([first])
    assert result.ok, result.message
    event_id = result.successful_ids()[first["id"]]

    # The retry carries the same id (and a new event alongside it).
    second = audit_event(event_data(server.account_id, uid2))
    retry = putter.put([first, second])
    assert retry.ok, retry.message
    ids = retry.successful_ids()
    assert ids[first["id"]] == event_id
    assert ids[second["id"]] != event_id
    assert retry.failed_codes() == {}

    # The same channel named by its bare UUID is the same channel.
    again = putter.put([first], channel=server.channel_id)
    assert again.ok, again.message
    assert again.successful_ids() == {first["id"]: event_id}

    records = audit_records(server)
    assert len(by_uid(records, uid1)) == 1
    assert len(by_uid(records, uid2)) == 1
    assert event_id_counts(records)[event_id] == 1


# --------------------------------------------------------------------------------------
# Per-entry failures (HTTP 200, entry in `failed`)
# --------------------------------------------------------------------------------------

REQUIRED_FIELDS = [
    ("version", "eventData.version"),
    ("userIdentity__type", "eventData.userIdentity.type"),
    ("userIdentity__principalId", "eventData.userIdentity.principalId"),
    ("eventSource", "eventData.eventSource"),
    ("eventName", "eventData.eventName"),
    ("eventTime", "eventData.eventTime"),
    ("UID", "eventData.UID"),
    ("recipientAccountId", "eventData.recipientAccountId"),
]


def test_per_entry_errors(putter, server):
    acct = server.account_id
    other_account = "111122223333" if acct != "111122223333" else "444455556666"
    cases: dict[str, tuple[str, str]] = {}  # id -> (expected code, uid)
    entries = []

    def add(name, code, text=None, uid=None, **entry_fields):
        uid = uid or unique("uid")
        if text is None:
            text = event_data(acct, uid)
        entry = audit_event(text, id=unique(name))
        entry.update(entry_fields)
        entries.append(entry)
        cases[entry["id"]] = (code, uid)

    add("good", None)
    good_text = event_data(acct, unique("uid"))
    add("bad-checksum", "InvalidChecksum", eventDataChecksum=checksum(good_text))
    add("hex-checksum", "InvalidChecksum", eventDataChecksum="0" * 64)
    uid = unique("uid")
    add("oversize", "FieldTooLong", padded(event_data(acct, uid), EVENT_DATA_BYTES_MAX + 1), uid=uid)
    add("not-json", "InvalidData", '{"version":"1.0",')
    add("not-object", "InvalidData", '["version","1.0"]')
    add("identity-not-object", "InvalidData", event_data(acct, uid := unique("uid"), userIdentity="root"), uid=uid)
    add("name-not-string", "InvalidData", event_data(acct, uid := unique("uid"), eventName=5), uid=uid)
    add("bad-time", "InvalidData", event_data(acct, uid := unique("uid"), eventTime="20/11/2026 21:40"), uid=uid)
    add("bad-date", "InvalidData", event_data(acct, uid := unique("uid"), eventTime="2026-02-30T00:00:00"), uid=uid)
    add("bad-ip", "InvalidData", event_data(acct, uid := unique("uid"), sourceIPAddress="999.1.1.1"), uid=uid)
    add("params-not-object", "InvalidData", event_data(acct, uid := unique("uid"), requestParameters="x"), uid=uid)
    add("long-name", "FieldTooLong", event_data(acct, uid := unique("uid"), eventName="n" * 1025), uid=uid)
    add("long-version", "FieldTooLong", event_data(acct, uid := unique("uid"), version="v" * 257), uid=uid)
    add("long-type", "FieldTooLong", event_data(acct, uid := unique("uid"), userIdentity__type="t" * 129), uid=uid)
    add("long-error", "FieldTooLong", event_data(acct, uid := unique("uid"), errorMessage="m" * 257), uid=uid)
    add(
        "big-params",
        "FieldTooLong",
        event_data(acct, uid := unique("uid"), requestParameters={"blob": "x" * (100 * 1024)}),
        uid=uid,
    )
    add(
        "big-additional",
        "FieldTooLong",
        event_data(acct, uid := unique("uid"), additionalEventData={"blob": "x" * (28 * 1024)}),
        uid=uid,
    )
    add("wrong-recipient", "InvalidRecipient", event_data(acct, uid := unique("uid"), recipientAccountId=other_account), uid=uid)
    missing_ids = {}
    for field_name, path in REQUIRED_FIELDS:
        uid = unique("uid")
        overrides = {field_name: DELETE}
        add(f"missing-{field_name.replace('__', '-')}", "FieldNotFound", event_data(acct, uid, **overrides), uid=uid)
        missing_ids[entries[-1]["id"]] = path

    result = putter.put(entries)

    assert result.ok, result.message
    expected_failed = {i: code for i, (code, _) in cases.items() if code}
    assert result.failed_codes() == expected_failed
    assert set(result.successful_ids()) == {i for i, (code, _) in cases.items() if code is None}
    messages = result.failed_messages()
    for entry_id, path in missing_ids.items():
        assert path in messages[entry_id], messages[entry_id]
    for message in messages.values():
        assert 1 <= len(message) <= 1024

    records = audit_records(server)
    for entry_id, (code, uid) in cases.items():
        assert len(by_uid(records, uid)) == (0 if code else 1), entry_id


def test_event_data_of_exactly_256_kib_is_accepted(putter, server):
    """The limit is inclusive; the stored record (envelope + payload) is larger than 256 KiB."""
    uid = unique("uid")
    base = event_data(server.account_id, uid, userIdentity__details={"blob": ""})
    fill = EVENT_DATA_BYTES_MAX - len(base.encode())
    text = event_data(server.account_id, uid, userIdentity__details={"blob": "b" * fill})
    assert len(text.encode()) == EVENT_DATA_BYTES_MAX
    entry = audit_event(text)
    result = putter.put([entry])
    assert result.ok, result.message
    assert result.failed_codes() == {}
    [record] = by_uid(audit_records(server), uid)
    assert record["eventID"] == result.successful_ids()[entry["id"]]
    assert record["eventData"]["userIdentity"]["details"]["blob"] == "b" * fill


def test_fractional_seconds_and_z_are_accepted_in_event_time(putter, server):
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid, eventTime="2026-11-20T21:40:03.123Z"))
    result = putter.put([entry])
    assert result.ok, result.message
    assert result.failed_codes() == {}
    [record] = by_uid(audit_records(server), uid)
    assert record["eventTime"] == "2026-11-20T21:40:03"
    assert record["eventData"]["eventTime"] == "2026-11-20T21:40:03.123Z"


def test_duplicate_recipient_member_is_rejected(putter, server):
    uid = unique("uid")
    text = event_data(server.account_id, uid)
    spoofed = text[:-1] + ',"recipientAccountId":"999999999999"}'
    entry = audit_event(spoofed)
    result = putter.put([entry])
    stored = by_uid(audit_records(server), uid)
    assert result.ok, result.message
    assert result.failed_codes().get(entry["id"]) in {"InvalidData", "InvalidRecipient"}, (result.response, stored)
    assert stored == []


def test_overlong_recipient_is_invalid_recipient(server):
    entry = audit_event(event_data(server.account_id, recipientAccountId=server.account_id + "0"))
    result = Boto3Putter(server).put([entry])
    assert result.failed_codes() == {entry["id"]: "InvalidRecipient"}


# --------------------------------------------------------------------------------------
# Whole-request errors through the CLI and boto3
# --------------------------------------------------------------------------------------


def _unknown_channel(server):
    return f"arn:aws:cloudtrail:{server.region}:{server.account_id}:channel/{uuid.uuid4()}"


WHOLE_REQUEST_ERRORS = {
    # name: (code, build(server) -> dict of put() kwargs)
    "unknown-channel-arn": ("ChannelNotFound", lambda s, e: {"channel": _unknown_channel(s)}),
    "unknown-channel-uuid": ("ChannelNotFound", lambda s, e: {"channel": str(uuid.uuid4())}),
    "channel-arn-other-account": (
        "ChannelNotFound",
        lambda s, e: {"channel": s.channel_arn.replace(s.account_id, "111122223333" if s.account_id != "111122223333" else "444455556666")},
    ),
    "invalid-channel-arn": ("InvalidChannelARN", lambda s, e: {"channel": "arn:aws:s3:::my-bucket"}),
    "invalid-channel-text": ("InvalidChannelARN", lambda s, e: {"channel": "my-channel"}),
    "trail-arn-as-channel": (
        "InvalidChannelARN",
        lambda s, e: {"channel": f"arn:aws:cloudtrail:{s.region}:{s.account_id}:trail/my-trail"},
    ),
    "bad-external-id": ("ValidationException", lambda s, e: {"external_id": "has space"}),
    "101-events": ("ValidationException", lambda s, e: {"events": [audit_event(event_data(s.account_id, e)) for _ in range(101)]}),
    "bad-event-id": ("ValidationException", lambda s, e: {"events": [audit_event(event_data(s.account_id, e), id="not ok!")]}),
    "long-event-id": ("ValidationException", lambda s, e: {"events": [audit_event(event_data(s.account_id, e), id="i" * 129)]}),
    "duplicate-ids": (
        "DuplicatedAuditEventId",
        lambda s, e: {"events": [audit_event(event_data(s.account_id, e), id="same-id"), audit_event(event_data(s.account_id), id="same-id")]},
    ),
    "body-over-1-mib": (
        "ValidationException",
        # Six events of 190,000 bytes: each is valid in size, the request is about 1.1 MiB.
        lambda s, e: {"events": [audit_event(padded(event_data(s.account_id, e), 190_000)) for _ in range(6)]},
    ),
    "bad-secret": ("InvalidSignatureException", lambda s, e: {"auth": "bad-secret"}),
    "unknown-key": ("UnrecognizedClientException", lambda s, e: {"auth": "unknown-key"}),
    "no-auth": ("MissingAuthenticationTokenException", lambda s, e: {"auth": "none"}),
}


@pytest.mark.parametrize("case", list(WHOLE_REQUEST_ERRORS))
def test_whole_request_error(putter, server, case):
    code, build = WHOLE_REQUEST_ERRORS[case]
    uid = unique("uid")
    kwargs = build(server, uid)
    events = kwargs.pop("events", None) or [audit_event(event_data(server.account_id, uid))]
    result = putter.put(events, **kwargs)
    assert not result.ok, result.response
    assert result.code == code, result.message
    assert by_uid(audit_records(server), uid) == [], "nothing of a rejected request is stored"


def test_error_http_status_codes(server):
    """400 for every request error, 403 for a missing signature (cloudtrail-api.md §4)."""
    client = Boto3Putter(server)
    for auth, status in [("none", 403), ("unknown-key", 400), ("bad-secret", 400)]:
        with pytest.raises(ClientError) as info:
            client.client(auth).put_audit_events(
                channelArn=server.channel_arn, auditEvents=[audit_event(event_data(server.account_id))]
            )
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, auth
    with pytest.raises(ClientError) as info:
        client.client().put_audit_events(
            channelArn=_unknown_channel(server), auditEvents=[audit_event(event_data(server.account_id))]
        )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["Error"]["Code"] == "ChannelNotFound"


# --------------------------------------------------------------------------------------
# Requests the SDKs will not send: raw SigV4-signed HTTP
# --------------------------------------------------------------------------------------


def test_raw_success_response_shape(server):
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid))
    response = put_raw(server, {"auditEvents": [entry]})
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("application/json")
    assert UUID_RE.match(response.headers["x-amzn-requestid"])
    body = response.json()
    assert set(body) == {"successful", "failed"}
    assert body["failed"] == []
    assert [e["id"] for e in body["successful"]] == [entry["id"]]


@pytest.mark.parametrize(
    "body, code",
    [
        pytest.param(b'{"auditEvents": [', "SerializationException", id="truncated-json"),
        pytest.param(b"not json at all", "SerializationException", id="not-json"),
        pytest.param(b"[]", "SerializationException", id="array-body"),
        pytest.param(b'{"auditEvents": {"id": "x"}}', "SerializationException", id="events-not-a-list"),
        pytest.param(b'{"auditEvents": ["x"]}', "SerializationException", id="event-not-an-object"),
        pytest.param(b'{"auditEvents": [{"id": "x", "eventData": {}}]}', "SerializationException", id="event-data-not-a-string"),
        pytest.param(b'{"auditEvents": []}', "ValidationException", id="zero-events"),
        pytest.param(b"{}", "ValidationException", id="no-audit-events"),
        pytest.param(b'{"auditEvents": [{"eventData": "{}"}]}', "ValidationException", id="missing-id"),
        pytest.param(b'{"auditEvents": [{"id": "x"}]}', "ValidationException", id="missing-event-data"),
    ],
)
def test_raw_malformed_body(server, body, code):
    assert_aws_error(put_raw(server, body), 400, code)


def test_raw_missing_channel_arn(server):
    body = {"auditEvents": [audit_event(event_data(server.account_id))]}
    assert_aws_error(put_raw(server, body, query=""), 400, "ValidationException")
    assert_aws_error(put_raw(server, body, query=query_string({"externalId": "ext-1"})), 400, "ValidationException")


def test_raw_body_size_limit_is_1_mib(server):
    """A body of exactly 1 MiB is read and processed; one byte more is refused as a whole."""
    uid = unique("uid")
    entry = audit_event(event_data(server.account_id, uid))
    text = json.dumps({"auditEvents": [entry]})
    at_limit = padded(text, REQUEST_BYTES_MAX)
    response = put_raw(server, at_limit)
    assert response.status == 200, response.body
    assert [e["id"] for e in response.json()["successful"]] == [entry["id"]]

    uid2 = unique("uid")
    entry2 = audit_event(event_data(server.account_id, uid2))
    over = padded(json.dumps({"auditEvents": [entry2]}), REQUEST_BYTES_MAX + 1)
    assert_aws_error(put_raw(server, over), 400, "ValidationException")
    records = audit_records(server)
    assert len(by_uid(records, uid)) == 1
    assert by_uid(records, uid2) == []


def test_raw_authentication_failures(server):
    body = json.dumps({"auditEvents": [audit_event(event_data(server.account_id))]})
    # No Authorization header at all.
    assert_aws_error(put_raw(server, body, sign=False), 403, "MissingAuthenticationTokenException")
    # Unknown access key id; wrong secret.
    assert_aws_error(put_raw(server, body, credentials=("AKIAUNKNOWNKEY000000", "x" * 40)), 400, "UnrecognizedClientException")
    assert_aws_error(put_raw(server, body, credentials=(server.access_key_id, "x" * 40)), 400, "InvalidSignatureException")
    # Signed for another service (the native API's), or for `cloudtrail`.
    assert_aws_error(put_raw(server, body, service="opentrail"), 400, "InvalidSignatureException")
    assert_aws_error(put_raw(server, body, service="cloudtrail"), 400, "InvalidSignatureException")
    # Body changed after signing.
    tampered = put_raw(server, body, tamper=lambda b: b.replace(b'"version', b'"Version'))
    assert_aws_error(tampered, 400, "InvalidSignatureException")
    # Signature dated 20 minutes ago or ahead: outside the 15-minute window.
    for minutes in (-20, 20):
        stale = put_raw(server, body, timestamp=now_utc() + dt.timedelta(minutes=minutes))
        assert_aws_error(stale, 400, "InvalidSignatureException")
        assert "Signature" in stale.json()["message"]
    # 10 minutes off is still inside the window.
    assert put_raw(server, body, timestamp=now_utc() - dt.timedelta(minutes=10)).status == 200


def test_raw_signature_must_cover_the_query(server):
    body = json.dumps({"auditEvents": [audit_event(event_data(server.account_id))]})
    signed_query = query_string({"channelArn": server.channel_arn})
    sent_query = query_string({"channelArn": server.channel_id})
    # Sign one query (the full ARN), send another (the bare UUID of the same channel).
    request = AWSRequest(
        method="POST",
        url=f"{server.endpoint}/PutAuditEvents?{signed_query}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "cloudtrail-data", server.region).add_auth(request)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", f"/PutAuditEvents?{sent_query}", body=body.encode(), headers=dict(request.headers.items()))
        response = connection.getresponse()
        status, payload = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 400
    assert payload["__type"] == "InvalidSignatureException"


# --------------------------------------------------------------------------------------
# A second account, inactive keys and a restart (dedicated server)
# --------------------------------------------------------------------------------------

SECOND_ACCOUNT = "210987654321"
SECOND_KEY = ("AKIASECONDACCOUNT001", "s" * 40)
INACTIVE_KEY = ("AKIAINACTIVEKEY00001", "i" * 40)


@pytest.fixture(scope="module")
def two_accounts(start_server):
    """A server restarted once: before the restart one event is stored; while stopped, a
    second account (with a key and a channel) and an inactive key of the first account are
    added to the catalog (OpenTrail has no API for that yet)."""
    srv = start_server()
    assert any(line.startswith("First start: account") for line in srv.stdout_lines[:3])
    assert (srv.data_dir / "admin.env").stat().st_mode & 0o777 == 0o600
    first_admin = dict(srv.admin)
    uid = unique("uid")
    before = audit_event(event_data(srv.account_id, uid), id="stored-before-restart")
    result = Boto3Putter(srv).put([before])
    event_id = result.successful_ids()[before["id"]]

    assert srv.stop() == 0
    second_channel_id = str(uuid.uuid4())
    second_channel = f"arn:aws:cloudtrail:{srv.region}:{SECOND_ACCOUNT}:channel/{second_channel_id}"
    db = sqlite3.connect(srv.data_dir / "catalog.sqlite")
    try:
        with db:
            db.execute("INSERT INTO accounts (account_id, name, created_at) VALUES (?, 'second', 0)", (SECOND_ACCOUNT,))
            rows = [
                (*SECOND_KEY, SECOND_ACCOUNT, f"arn:aws:iam::{SECOND_ACCOUNT}:root", SECOND_ACCOUNT, "Active"),
                (*INACTIVE_KEY, srv.account_id, f"arn:aws:iam::{srv.account_id}:root", srv.account_id, "Inactive"),
            ]
            for key_id, secret, account, arn, principal, status in rows:
                db.execute(
                    "INSERT INTO access_keys (access_key_id, secret_access_key, account_id, principal_type, "
                    "principal_arn, principal_id, user_name, status, created_at) VALUES (?, ?, ?, 'Root', ?, ?, NULL, ?, 0)",
                    (key_id, secret, account, arn, principal, status),
                )
            db.execute(
                "INSERT INTO channels (channel_id, channel_arn, name, source, account_id, region, created_at) "
                "VALUES (?, ?, 'second', 'Custom', ?, ?, 0)",
                (second_channel_id, second_channel, SECOND_ACCOUNT, srv.region),
            )
    finally:
        db.close()
    srv.start()
    return {
        "server": srv,
        "first_admin": first_admin,
        "before": before,
        "before_event_id": event_id,
        "before_uid": uid,
        "second_channel": second_channel,
    }


@pytest.fixture(params=["cli", "boto3"])
def putter2(request, two_accounts, tmp_path):
    srv = two_accounts["server"]
    return CliPutter(srv, tmp_path) if request.param == "cli" else Boto3Putter(srv)


def test_restart_rewrites_admin_env_and_keeps_identity(two_accounts):
    srv = two_accounts["server"]
    assert not any(line.startswith("First start") for line in srv.stdout_lines[:3])
    admin = read_env_file(srv.data_dir / "admin.env")
    assert admin["AWS_ENDPOINT_URL"] == srv.endpoint
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "OPENTRAIL_DEFAULT_CHANNEL_ARN"):
        assert admin[key] == two_accounts["first_admin"][key], key
    assert (srv.data_dir / "admin.env").stat().st_mode & 0o777 == 0o600


def test_retry_after_restart_returns_the_first_event_id(putter2, two_accounts):
    srv = two_accounts["server"]
    result = putter2.put([two_accounts["before"]])
    assert result.ok, result.message
    assert result.successful_ids() == {two_accounts["before"]["id"]: two_accounts["before_event_id"]}
    assert len(by_uid(audit_records(srv), two_accounts["before_uid"])) == 1


def test_other_accounts_channel_is_insufficient_permission(putter2, two_accounts):
    srv = two_accounts["server"]
    uid = unique("uid")
    # The second account writes to the first account's channel, and the reverse.
    own = putter2.put([audit_event(event_data(SECOND_ACCOUNT, uid))], credentials=SECOND_KEY)
    assert (own.ok, own.code) == (False, "ChannelInsufficientPermission"), own
    rev = putter2.put([audit_event(event_data(srv.account_id, uid))], channel=two_accounts["second_channel"])
    assert (rev.ok, rev.code) == (False, "ChannelInsufficientPermission"), rev
    assert by_uid(audit_records(srv), uid) == []


def test_second_account_writes_to_its_own_channel(putter2, two_accounts):
    srv = two_accounts["server"]
    uid = unique("uid")
    good = audit_event(event_data(SECOND_ACCOUNT, uid))
    wrong = audit_event(event_data(srv.account_id), id=unique("wrong"))
    result = putter2.put([good, wrong], channel=two_accounts["second_channel"], credentials=SECOND_KEY)
    assert result.ok, result.message
    assert result.failed_codes() == {wrong["id"]: "InvalidRecipient"}
    [record] = by_uid(audit_records(srv), uid)
    assert record["recipientAccountId"] == SECOND_ACCOUNT
    assert record["metadata"]["channelARN"] == two_accounts["second_channel"]
    assert record["eventID"] == result.successful_ids()[good["id"]]


def test_same_caller_id_on_two_channels_is_two_events(two_accounts):
    srv = two_accounts["server"]
    client = Boto3Putter(srv)
    a = client.put([audit_event(event_data(srv.account_id), id="per-channel-id")])
    b = client.put(
        [audit_event(event_data(SECOND_ACCOUNT), id="per-channel-id")],
        channel=two_accounts["second_channel"],
        credentials=SECOND_KEY,
    )
    assert a.successful_ids()["per-channel-id"] != b.successful_ids()["per-channel-id"]


def test_inactive_key_is_unrecognized(putter2, two_accounts):
    srv = two_accounts["server"]
    result = putter2.put([audit_event(event_data(srv.account_id))], credentials=INACTIVE_KEY)
    assert (result.ok, result.code) == (False, "UnrecognizedClientException")


# --------------------------------------------------------------------------------------
# Overload: 503 with Retry-After (dedicated server that believes the disk is full)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_disk_server(start_server):
    return start_server("--disk-free-bytes-min", str(1 << 62))


def test_low_disk_answers_503_service_unavailable_with_retry_after(full_disk_server, tmp_path):
    srv = full_disk_server
    uid = unique("uid")
    entry = audit_event(event_data(srv.account_id, uid))

    raw = put_raw(srv, {"auditEvents": [entry]})
    assert_aws_error(raw, 503, "ServiceUnavailable")
    assert raw.headers.get("retry-after") == "5"

    client = srv.boto3_client("cloudtrail-data", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        client.put_audit_events(channelArn=srv.channel_arn, auditEvents=[entry])
    assert info.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    events_file = tmp_path / "events.json"
    events_file.write_text(json.dumps([entry]))
    proc = srv.aws(
        "cloudtrail-data", "put-audit-events", "--channel-arn", srv.channel_arn,
        "--audit-events", f"file://{events_file}", env={"AWS_MAX_ATTEMPTS": "1"},
    )
    assert proc.returncode == 255, proc.stderr
    assert "An error occurred (ServiceUnavailable) when calling the PutAuditEvents operation" in proc.stderr

    native = srv.native_ingest(b'{"eventVersion":"1.08"}\n')
    assert_aws_error(native, 503, "ServiceUnavailable")
    assert native.headers.get("retry-after") == "5"

    ready = srv.signed_request("GET", "/ready", sign=False)
    assert ready.status == 503
    assert ready.json()["status"] == "unavailable"
    assert srv.wal_dump() == []
