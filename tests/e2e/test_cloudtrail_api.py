"""The CloudTrail control-plane API (AWS JSON 1.1) end to end: the real AWS CLI (v1) and boto3
against the real binary (spec: shared/spec/cloudtrail-api.md).

- Golden outputs: every trail, selector, tag, channel and public-key command, run with both
  clients, compared with hand-written AWS-shaped outputs in golden/ (see golden/README.md).
- Error codes: a table of error cases, every one with boto3, a cross-section with the CLI, and
  the framing/authentication errors with raw signed requests.
- Self-audit: the CloudTrail records `opentrail wal dump` shows for calls (failed ones
  included; a failed authentication never), matched by request id.
- Authorization: identities, policies and an organization from a `--config` file.
- Robustness: a seeded fuzz of signed and unsigned requests.

Tests that show a server bug are strict xfails whose reason starts with "server bug:".
AWS CLI calls cost ~0.8 s of CPU each, so independent ones run in a small thread pool.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import difflib
import hashlib
import http.client
import json
import os
import random
import re
import string
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, cli_error_code
from e2e_helpers import UUID_RE, new_key

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON_11 = "application/x-amz-json-1.1"
GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("OPENTRAIL_UPDATE_GOLDEN") == "1"

HOME = "us-east-1"
OTHER = "us-west-2"
LIMIT_REGION = "eu-north-1"
CLI_WORKERS = 3

# The KMS key id and the selectors are those of the AWS CLI examples (awscli/examples/cloudtrail);
# the event data store ids are made up.
KMS_KEY_ID = "4c5ae5ac-3c13-421e-8335-c7868ef6a769"
EDS_1 = "1f6b9a2c-0d4e-4f1a-9b3c-5d7e8f9a0b1c"
EDS_2 = "2a7c0b3d-1e5f-4a2b-8c4d-6e8f9a0b1c2d"
BASIC_SELECTORS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [
            {
                "Type": "AWS::S3::Object",
                "Values": ["arn:aws:s3:::amzn-s3-demo-bucket/prefix", "arn:aws:s3:::amzn-s3-demo-bucket2/prefix2"],
            },
            {
                "Type": "AWS::Lambda::Function",
                "Values": ["arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function"],
            },
        ],
    }
]
ADVANCED_SELECTORS = [
    {"Name": "Log all management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
    {
        "Name": "Log PutObject and DeleteObject events for all but one bucket",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "eventName", "Equals": ["PutObject", "DeleteObject"]},
            {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::amzn-s3-demo-bucket/"]},
        ],
    },
    {
        "Name": "Log data events for a specific Lambda function",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
            {"Field": "resources.ARN", "Equals": ["arn:aws:lambda:us-east-1:123456789012:function:myFunction"]},
        ],
    },
    {
        "Name": "Log all Publish API calls on a specific SNS topic",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::SNS::Topic"]},
            {"Field": "eventName", "Equals": ["Publish"]},
            {"Field": "resources.ARN", "Equals": ["arn:aws:sns:us-east-1:123456789012:myTopic.fifo"]},
        ],
    },
]
INSIGHT_SELECTORS = [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}]


# ---- clients ----------------------------------------------------------------------------


class CallFailed(Exception):
    """An AWS error answer, as either client reports it."""

    def __init__(self, code: str, message: str, request_id: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.request_id = code, message, request_id


class Cli:
    """`aws cloudtrail <command> ... --output json` as a subprocess (CLI v1 exits 255 on errors)."""

    kind = "cli"

    def __init__(self, server: Server, credentials: tuple[str, str] | None = None, auth: str = "signed"):
        self.server = server
        self.env: dict[str, str | None] = {}
        if credentials is not None:
            self.env["AWS_ACCESS_KEY_ID"], self.env["AWS_SECRET_ACCESS_KEY"] = credentials
        self.auth = auth

    def run(self, *args: str, region: str | None = None, debug: bool = False) -> dict:
        argv = ["cloudtrail", *args, "--output", "json"]
        if region is not None:
            argv += ["--region", region]
        if self.auth == "unsigned":
            argv.append("--no-sign-request")
        if debug:
            argv.append("--debug")
        proc = self.server.aws(*argv, env=self.env)
        if proc.returncode == 0:
            out = json.loads(proc.stdout) if proc.stdout.strip() else {}
            if debug:
                out = {"output": out, "request_id": debug_request_id(proc.stderr)}
            return out
        assert proc.returncode == 255, f"aws {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        code = cli_error_code(proc)
        assert code is not None, f"no `An error occurred (Code)` in stderr of aws {' '.join(args)}: {proc.stderr!r}"
        raise CallFailed(code, proc.stderr.strip(), debug_request_id(proc.stderr) if debug else None)


def debug_request_id(stderr: str) -> str | None:
    """The `x-amzn-requestid` response header, from `aws --debug` output."""
    match = re.search(r"['\"]x-amzn-requestid['\"]: ['\"]([0-9a-f-]{36})['\"]", stderr, re.IGNORECASE)
    return match.group(1) if match else None


class Boto:
    """boto3 CloudTrail clients per region for one identity."""

    kind = "boto3"

    def __init__(self, server: Server, credentials: tuple[str, str] | None = None, auth: str = "signed"):
        self.server = server
        self.credentials = credentials
        self.auth = auth
        self._clients: dict[str, Any] = {}

    def client(self, region: str | None = None):
        region = region or HOME
        if region not in self._clients:
            kwargs: dict[str, Any] = {"region": region}
            if self.credentials is not None:
                kwargs["access_key_id"], kwargs["secret_access_key"] = self.credentials
            config = Config(retries={"max_attempts": 1})
            if self.auth == "unsigned":
                config = config.merge(Config(signature_version=UNSIGNED))
            self._clients[region] = self.server.boto3_client("cloudtrail", config=config, **kwargs)
        return self._clients[region]

    def run(self, method: str, region: str | None = None, paginate: bool = False, **params) -> dict:
        client = self.client(region)
        try:
            if paginate:
                return client.get_paginator(method).paginate(**params).build_full_result()
            response = getattr(client, method)(**params)
        except ClientError as err:
            error = err.response["Error"]
            request_id = err.response.get("ResponseMetadata", {}).get("RequestId")
            raise CallFailed(error["Code"], error.get("Message", ""), request_id) from None
        response.pop("ResponseMetadata", None)
        return response


def expect_error(code: str, fn: Callable[[], Any], message_part: str | None = None) -> CallFailed:
    with pytest.raises(CallFailed) as info:
        fn()
    assert info.value.code == code, f"expected {code}, got {info.value.code}: {info.value.message}"
    if message_part is not None:
        assert message_part in info.value.message
    return info.value


def parallel(*thunks: Callable[[], Any], workers: int = CLI_WORKERS) -> list[Any]:
    """Runs independent calls concurrently; re-raises the first failure."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(thunk) for thunk in thunks]
        return [future.result() for future in futures]


def raw_call(
    server: Server,
    operation: str | None,
    body: bytes | str | dict = b"{}",
    *,
    target: str | None = None,
    sign: bool = True,
    credentials: tuple[str, str] | None = None,
    region: str | None = None,
    timestamp: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
    service: str = "cloudtrail",
):
    """One hand-built JSON 1.1 request (for what the SDKs refuse to send)."""
    if isinstance(body, dict):
        body = json.dumps(body)
    send = {"Content-Type": JSON_11}
    if target is not None or operation is not None:
        send["X-Amz-Target"] = target if target is not None else TARGET_PREFIX + operation
    send.update(headers or {})
    return server.signed_request(
        "POST", "/", body, service=service, headers=send, credentials=credentials, sign=sign,
        region=region or HOME, timestamp=timestamp,
    )


def assert_json_error(response, code: str, status: int = 400) -> dict:
    """The AWS JSON 1.1 error wire format (spec §4)."""
    assert response.status == status, (response.status, response.body)
    assert response.headers.get("x-amzn-errortype") == code, response.headers
    assert UUID_RE.match(response.headers.get("x-amzn-requestid", "")), response.headers
    assert response.headers.get("content-type") == JSON_11
    body = response.json()
    assert body["__type"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return body


# ---- golden outputs -------------------------------------------------------------------------

ISO_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
ANY_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
UNORDERED_LISTS = {"trailList": "Name", "Trails": "Name", "Channels": "Name", "TagsList": "Key", "ResourceTagList": "ResourceId"}


def jsonable(value: Any) -> Any:
    """boto3's parsed values back to wire JSON: datetime → epoch seconds, blob → base64."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def normalize(value: Any, accounts: list[str], key: str | None = None, parent: dict | None = None) -> Any:
    """Replaces run-dependent values with the placeholders of golden/README.md."""
    if isinstance(value, dict):
        return {k: normalize(v, accounts, k, value) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalize(v, accounts, key, parent) for v in value]
        sort_key = UNORDERED_LISTS.get(key or "")
        if sort_key and all(isinstance(i, dict) for i in items):
            items.sort(key=lambda item: str(item.get(sort_key)))
        return items
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return "<TIME>" if key and key.endswith("Time") else value
    if isinstance(value, str):
        if key == "Fingerprint" and re.fullmatch(r"[0-9a-f]{32}", value):
            return "<FINGERPRINT>"
        if key == "Value" and parent is not None and "Fingerprint" in parent:
            return "<KEY>"
        if ISO_TIME_RE.match(value):
            return "<ISOTIME>"
        for account in accounts:
            value = value.replace(account, "<ACCOUNT>")
        return ANY_UUID_RE.sub("<UUID>", value)
    return value


def golden_mismatch(name: str, actual: Any) -> str | None:
    """Compares with golden/<name>.json (or rewrites it under OPENTRAIL_UPDATE_GOLDEN=1)."""
    path = GOLDEN_DIR / f"{name}.json"
    if UPDATE_GOLDEN:
        path.write_text(json.dumps(actual, indent=4) + "\n")
        return None
    if not path.exists():
        return f"{name}: no golden file {path}"
    expected = json.loads(path.read_text())
    if expected == actual:
        return None
    diff = difflib.unified_diff(
        json.dumps(expected, indent=2, sort_keys=True).splitlines(),
        json.dumps(actual, indent=2, sort_keys=True).splitlines(),
        f"golden/{name}.json",
        "actual (normalized)",
        lineterm="",
    )
    return f"{name}:\n" + "\n".join(diff)


class Flow:
    """Runs one command with either client and keeps its output under the golden name."""

    def __init__(self, client: Cli | Boto):
        self.client = client
        self.outputs: dict[str, Any] = {}

    def step(self, golden: str, cli: list[str], method: str, params: dict | None = None,
             region: str | None = None, paginate: bool = False) -> Any:
        if self.client.kind == "cli":
            out = self.client.run(*cli, region=region)
        else:
            out = jsonable(self.client.run(method, region=region, paginate=paginate, **(params or {})))
        assert golden not in self.outputs, f"golden name {golden} used twice"
        self.outputs[golden] = out
        return out

    def error(self, code: str, cli: list[str], method: str, params: dict, region: str | None = None) -> None:
        if self.client.kind == "cli":
            expect_error(code, lambda: self.client.run(*cli, region=region))
        else:
            expect_error(code, lambda: self.client.run(method, region=region, **params))


@pytest.mark.parametrize("kind", ["cli", "boto3"])
def test_commands_match_golden(start_server, kind):
    """Every P0/P1 trail and channel command with both clients, against AWS-shaped goldens."""
    srv = start_server()
    acct = srv.account_id
    flow = Flow(Cli(srv) if kind == "cli" else Boto(srv))
    t1 = f"arn:aws:cloudtrail:{HOME}:{acct}:trail/Trail1"
    t2 = f"arn:aws:cloudtrail:{HOME}:{acct}:trail/Trail2"
    log_group = f"arn:aws:logs:{HOME}:{acct}:log-group:CloudTrail:*"
    role = f"arn:aws:iam::{acct}:role/CloudTrail_CloudWatchLogs_Role"
    eds = [f"arn:aws:cloudtrail:{HOME}:{acct}:eventdatastore/{EDS_1}", f"arn:aws:cloudtrail:{HOME}:{acct}:eventdatastore/{EDS_2}"]
    dest = [[{"Type": "EVENT_DATA_STORE", "Location": location}] for location in eds]
    channel_tags = [{"Key": "tagkey", "Value": "tagvalue"}]
    keys_since = dt.datetime(2016, 1, 1, 20, 30, tzinfo=dt.timezone.utc)

    # Stage 1: create.
    def trail1():
        flow.step("create-trail", [
            "create-trail", "--name", "Trail1", "--s3-bucket-name", "amzn-s3-demo-bucket",
            "--s3-key-prefix", "my-prefix", "--sns-topic-name", "my-topic", "--include-global-service-events",
            "--is-multi-region-trail", "--enable-log-file-validation",
            "--cloud-watch-logs-log-group-arn", log_group, "--cloud-watch-logs-role-arn", role,
            "--kms-key-id", KMS_KEY_ID, "--tags-list", "Key=name,Value=Alice", "Key=location,Value=us",
        ], "create_trail", {
            "Name": "Trail1", "S3BucketName": "amzn-s3-demo-bucket", "S3KeyPrefix": "my-prefix",
            "SnsTopicName": "my-topic", "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": True,
            "EnableLogFileValidation": True, "CloudWatchLogsLogGroupArn": log_group,
            "CloudWatchLogsRoleArn": role, "KmsKeyId": KMS_KEY_ID,
            "TagsList": [{"Key": "name", "Value": "Alice"}, {"Key": "location", "Value": "us"}],
        })
        flow.step("get-trail-status", ["get-trail-status", "--name", "Trail1"], "get_trail_status", {"Name": "Trail1"})

    def trail2():
        flow.step("create-trail--minimal", [
            "create-trail", "--name", "Trail2", "--s3-bucket-name", "amzn-s3-demo-bucket2",
            "--no-include-global-service-events",
        ], "create_trail", {"Name": "Trail2", "S3BucketName": "amzn-s3-demo-bucket2", "IncludeGlobalServiceEvents": False})
        flow.step("add-tags", ["add-tags", "--resource-id", t2, "--tags-list", "Key=name,Value=Bob"],
                  "add_tags", {"ResourceId": t2, "TagsList": [{"Key": "name", "Value": "Bob"}]})

    def channel():
        created = flow.step("create-channel", [
            "create-channel", "--name", "my-channel", "--source", "Custom",
            "--destinations", json.dumps(dest[0]), "--tags", json.dumps(channel_tags),
        ], "create_channel", {"Name": "my-channel", "Source": "Custom", "Destinations": dest[0], "Tags": channel_tags})
        arn = created["ChannelArn"]
        assert re.fullmatch(rf"arn:aws:cloudtrail:{HOME}:{acct}:channel/[0-9a-f-]{{36}}", arn), arn
        channel_id = arn.rsplit("/", 1)[1]
        flow.step("get-channel", ["get-channel", "--channel", arn], "get_channel", {"Channel": arn})
        flow.step("list-channels", ["list-channels"], "list_channels")
        flow.step("update-channel", [
            "update-channel", "--channel", arn, "--name", "my-renamed-channel", "--destinations", json.dumps(dest[1]),
        ], "update_channel", {"Channel": arn, "Name": "my-renamed-channel", "Destinations": dest[1]})
        # DeleteChannel by UUID (the API takes the ARN or the UUID).
        flow.step("delete-channel", ["delete-channel", "--channel", channel_id], "delete_channel", {"Channel": channel_id})
        flow.error("ChannelNotFoundException", ["get-channel", "--channel", arn], "get_channel", {"Channel": arn})

    def public_keys():
        flow.step("list-public-keys", ["list-public-keys", "--start-time", "2016-01-01T20:30:00.000Z"],
                  "list_public_keys", {"StartTime": keys_since}, paginate=True)

    parallel(trail1, trail2, channel, public_keys)

    # Stage 2: read what was created.
    def reads_a():
        flow.step("get-trail", ["get-trail", "--name", "Trail1"], "get_trail", {"Name": "Trail1"})
        flow.step("describe-trails", ["describe-trails"], "describe_trails")
        # By name and by ARN, as the AWS CLI example (`--trail-name-list Trail1 Trail2`).
        flow.step("describe-trails--trail-name-list", ["describe-trails", "--trail-name-list", "Trail1", t2],
                  "describe_trails", {"trailNameList": ["Trail1", t2]})
        flow.step("list-trails", ["list-trails"], "list_trails", paginate=True)

    def reads_b():
        # The multi-region Trail1 as a shadow trail seen from another region; Trail2 is not seen.
        flow.step("describe-trails--shadow", ["describe-trails"], "describe_trails", region=OTHER)
        flow.step("describe-trails--no-include-shadow-trails", ["describe-trails", "--no-include-shadow-trails"],
                  "describe_trails", {"includeShadowTrails": False}, region=OTHER)

    def reads_c():
        flow.step("get-event-selectors", ["get-event-selectors", "--trail-name", "Trail2"],
                  "get_event_selectors", {"TrailName": "Trail2"})
        flow.step("list-tags", ["list-tags", "--resource-id-list", t1, t2], "list_tags",
                  {"ResourceIdList": [t1, t2]}, paginate=True)

    # Logging state is not part of the Trail shape: it can change while the others read.
    def logging():
        flow.step("start-logging", ["start-logging", "--name", "Trail1"], "start_logging", {"Name": "Trail1"})
        flow.step("get-trail-status--logging", ["get-trail-status", "--name", "Trail1"], "get_trail_status", {"Name": "Trail1"})
        flow.step("stop-logging", ["stop-logging", "--name", t1], "stop_logging", {"Name": t1})
        flow.step("get-trail-status--stopped", ["get-trail-status", "--name", t1], "get_trail_status", {"Name": t1})

    parallel(reads_a, reads_b, reads_c, logging)

    # Stage 3: change (one track per trail: a trail's changes are not made concurrently).
    def selectors_trail1():
        flow.step("put-event-selectors--basic", ["put-event-selectors", "--trail-name", "Trail1", "--event-selectors",
                  json.dumps(BASIC_SELECTORS)], "put_event_selectors", {"TrailName": "Trail1", "EventSelectors": BASIC_SELECTORS})
        flow.step("put-insight-selectors", ["put-insight-selectors", "--trail-name", "Trail1", "--insight-selectors",
                  json.dumps(INSIGHT_SELECTORS)], "put_insight_selectors", {"TrailName": "Trail1", "InsightSelectors": INSIGHT_SELECTORS})
        flow.step("get-insight-selectors", ["get-insight-selectors", "--trail-name", "Trail1"],
                  "get_insight_selectors", {"TrailName": "Trail1"})

    def trail2_changes():
        # Partial update: only the prefix and validation change.
        flow.step("update-trail", ["update-trail", "--name", "Trail2", "--s3-key-prefix", "new-prefix",
                  "--enable-log-file-validation"], "update_trail",
                  {"Name": "Trail2", "S3KeyPrefix": "new-prefix", "EnableLogFileValidation": True})
        flow.step("put-event-selectors--advanced", ["put-event-selectors", "--trail-name", "Trail2",
                  "--advanced-event-selectors", json.dumps(ADVANCED_SELECTORS)], "put_event_selectors",
                  {"TrailName": "Trail2", "AdvancedEventSelectors": ADVANCED_SELECTORS})
        flow.step("get-event-selectors--advanced", ["get-event-selectors", "--trail-name", t2],
                  "get_event_selectors", {"TrailName": t2})
        flow.step("remove-tags", ["remove-tags", "--resource-id", t1, "--tags-list", "Key=name", "Key=location"],
                  "remove_tags", {"ResourceId": t1, "TagsList": [{"Key": "name"}, {"Key": "location"}]})
        flow.step("list-tags--after-remove", ["list-tags", "--resource-id-list", t1, t2], "list_tags",
                  {"ResourceIdList": [t1, t2]}, paginate=True)

    parallel(selectors_trail1, trail2_changes)

    # Stage 4: the flags the changes set, then delete.
    flow.step("get-trail--after-update", ["get-trail", "--name", "Trail2"], "get_trail", {"Name": "Trail2"})
    flow.step("get-trail--after-selectors", ["get-trail", "--name", "Trail1"], "get_trail", {"Name": "Trail1"})
    flow.step("delete-trail", ["delete-trail", "--name", "Trail2"], "delete_trail", {"Name": "Trail2"})
    flow.step("list-trails--after-delete", ["list-trails"], "list_trails", paginate=True)
    flow.error("TrailNotFoundException", ["get-trail", "--name", "Trail2"], "get_trail", {"Name": "Trail2"})

    mismatches = [m for name, out in sorted(flow.outputs.items()) if (m := golden_mismatch(name, normalize(out, [acct])))]
    unused = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in flow.outputs)
    assert not unused, f"golden files no command produced: {unused}"
    assert not mismatches, "outputs differ from the golden files:\n\n" + "\n\n".join(mismatches)

    # What the placeholders hide.
    (key,) = flow.outputs["list-public-keys"]["PublicKeyList"]
    der = base64.b64decode(key["Value"], validate=True)
    assert der[0] == 0x30, "Value must be DER (a SEQUENCE)"
    assert key["Value"].startswith("MIIBCgKCAQEA"), "a 2048-bit PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo"
    assert key["Fingerprint"] == hashlib.md5(der).hexdigest()
    now = time.time()
    assert key["ValidityStartTime"] <= now + 5 and now - 5 <= key["ValidityEndTime"]
    assert key["ValidityEndTime"] - key["ValidityStartTime"] == pytest.approx(30 * 24 * 3600, abs=1)
    stopped = flow.outputs["get-trail-status--stopped"]
    assert now - 300 < stopped["StartLoggingTime"] <= stopped["StopLoggingTime"] <= now + 5
    assert flow.outputs["create-trail"]["KmsKeyId"] == f"arn:aws:kms:{HOME}:{acct}:key/{KMS_KEY_ID}"


# ---- error codes ------------------------------------------------------------------------------


@dataclass
class Case:
    """One error: a boto3 call (method, params) and optionally the same call with the CLI.
    `<ACCT>` (the account) and `<BASE>` (the base trail's ARN) are filled in."""

    id: str
    code: str
    method: str
    params: dict = field(default_factory=dict)
    cli: list[str] | None = None
    region: str | None = None
    auth: str = "admin"  # admin | unknown-key | bad-secret | unsigned


ERROR_CASES = [
    Case("trail-not-found", "TrailNotFoundException", "get_trail", {"Name": "no-such-trail"},
         ["get-trail", "--name", "no-such-trail"]),
    Case("trail-not-found-by-arn", "TrailNotFoundException", "get_trail_status",
         {"Name": "arn:aws:cloudtrail:us-east-1:<ACCT>:trail/no-such-trail"}),
    Case("trail-already-exists", "TrailAlreadyExistsException", "create_trail",
         {"Name": "err-base", "S3BucketName": "err-bucket"}),
    Case("trail-name-too-short", "InvalidTrailNameException", "create_trail", {"Name": "ab", "S3BucketName": "err-bucket"}),
    Case("trail-name-too-long", "InvalidTrailNameException", "create_trail", {"Name": "a" * 129, "S3BucketName": "err-bucket"}),
    Case("trail-name-bad-char", "InvalidTrailNameException", "create_trail", {"Name": "my trail", "S3BucketName": "err-bucket"}),
    Case("trail-name-starts-with-dash", "InvalidTrailNameException", "create_trail", {"Name": "-trail", "S3BucketName": "err-bucket"}),
    Case("trail-name-ends-with-dot", "InvalidTrailNameException", "create_trail", {"Name": "trail.", "S3BucketName": "err-bucket"}),
    Case("trail-name-adjacent-periods", "InvalidTrailNameException", "create_trail", {"Name": "my..trail", "S3BucketName": "err-bucket"},
         ["create-trail", "--name", "my..trail", "--s3-bucket-name", "err-bucket"]),
    Case("trail-name-dash-underscore", "InvalidTrailNameException", "create_trail", {"Name": "my-_trail", "S3BucketName": "err-bucket"}),
    Case("trail-name-ip-address", "InvalidTrailNameException", "create_trail", {"Name": "192.168.5.4", "S3BucketName": "err-bucket"}),
    Case("trail-name-on-get", "InvalidTrailNameException", "get_trail", {"Name": "bad name"}),
    Case("bucket-name", "InvalidS3BucketNameException", "create_trail", {"Name": "err-bucket-trail", "S3BucketName": "Bad_Bucket"}),
    Case("bucket-name-on-update", "InvalidS3BucketNameException", "update_trail", {"Name": "err-base", "S3BucketName": "a..b"}),
    Case("prefix-too-long", "InvalidS3PrefixException", "create_trail",
         {"Name": "err-prefix", "S3BucketName": "err-bucket", "S3KeyPrefix": "p" * 201}),
    Case("prefix-trailing-slash", "InvalidS3PrefixException", "update_trail", {"Name": "err-base", "S3KeyPrefix": "logs/"}),
    # A prefix no bucket can hold would stall every delivery of the trail: refused up front.
    Case("prefix-dot-dot", "InvalidS3PrefixException", "update_trail", {"Name": "err-base", "S3KeyPrefix": "x/../y"}),
    Case("prefix-dot", "InvalidS3PrefixException", "create_trail",
         {"Name": "err-prefix", "S3BucketName": "err-bucket", "S3KeyPrefix": "./logs"}),
    Case("prefix-control-character", "InvalidS3PrefixException", "update_trail", {"Name": "err-base", "S3KeyPrefix": "lo\u0007gs"}),
    Case("prefix-keys-over-1024-bytes", "InvalidS3PrefixException", "update_trail", {"Name": "err-base", "S3KeyPrefix": "\U0001F600" * 200}),
    Case("sns-topic-name", "InvalidSnsTopicNameException", "update_trail", {"Name": "err-base", "SnsTopicName": "t" * 257}),
    Case("kms-key-id", "InvalidKmsKeyIdException", "update_trail", {"Name": "err-base", "KmsKeyId": "not-a-key"}),
    Case("cloudwatch-group-without-role", "InvalidParameterCombinationException", "update_trail",
         {"Name": "err-base", "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:<ACCT>:log-group:CloudTrail:*"}),
    Case("multi-region-without-global-events", "InvalidParameterCombinationException", "create_trail",
         {"Name": "err-multi", "S3BucketName": "err-bucket", "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": False},
         ["create-trail", "--name", "err-multi", "--s3-bucket-name", "err-bucket", "--is-multi-region-trail",
          "--no-include-global-service-events"]),
    Case("cloudwatch-log-group-arn", "InvalidCloudWatchLogsLogGroupArnException", "update_trail",
         {"Name": "err-base", "CloudWatchLogsLogGroupArn": "arn:aws:s3:::not-a-log-group",
          "CloudWatchLogsRoleArn": "arn:aws:iam::<ACCT>:role/CloudTrail_CloudWatchLogs_Role"}),
    Case("cloudwatch-role-arn", "InvalidCloudWatchLogsRoleArnException", "update_trail",
         {"Name": "err-base", "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:<ACCT>:log-group:CloudTrail:*",
          "CloudWatchLogsRoleArn": "arn:aws:s3:::not-a-role"}),
    Case("trail-arn-invalid", "CloudTrailARNInvalidException", "get_trail", {"Name": "arn:aws:cloudtrail:us-east-1:123:trail/x"}),
    Case("trail-arn-not-cloudtrail", "CloudTrailARNInvalidException", "add_tags",
         {"ResourceId": "arn:aws:s3:::amzn-s3-demo-bucket", "TagsList": [{"Key": "k", "Value": "v"}]}),
    Case("sixth-trail-in-region", "MaximumNumberOfTrailsExceededException", "create_trail",
         {"Name": "limit-boto3", "S3BucketName": "err-bucket"},
         ["create-trail", "--name", "limit-cli", "--s3-bucket-name", "err-bucket"], region=LIMIT_REGION),
    Case("update-outside-home-region", "InvalidHomeRegionException", "update_trail",
         {"Name": "<BASE>", "S3KeyPrefix": "elsewhere"}, region=OTHER),
    Case("delete-outside-home-region", "InvalidHomeRegionException", "delete_trail", {"Name": "<BASE>"}, region=OTHER),
    Case("start-outside-home-region", "InvalidHomeRegionException", "start_logging", {"Name": "<BASE>"}, region=OTHER),
    Case("stop-outside-home-region", "InvalidHomeRegionException", "stop_logging", {"Name": "<BASE>"},
         ["stop-logging", "--name", "<BASE>"], region=OTHER),
    Case("put-selectors-outside-home-region", "InvalidHomeRegionException", "put_event_selectors",
         {"TrailName": "<BASE>", "EventSelectors": [{"ReadWriteType": "All"}]}, region=OTHER),
    Case("selectors-more-than-five", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"ReadWriteType": "All"}] * 6}),
    Case("selectors-bucket-type", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Bucket", "Values": ["arn:aws:s3"]}]}]},
         ["put-event-selectors", "--trail-name", "err-base", "--event-selectors",
          '[{"DataResources": [{"Type": "AWS::S3::Bucket", "Values": ["arn:aws:s3"]}]}]']),
    Case("selectors-bucket-without-slash", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket"]}]}]}),
    Case("selectors-nothing-selected", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"IncludeManagementEvents": False}]}),
    Case("selectors-bad-read-write-type", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"ReadWriteType": "Sometimes"}]}),
    Case("selectors-bad-excluded-source", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"ExcludeManagementEventSources": ["s3.amazonaws.com"]}]}),
    Case("selectors-both-kinds", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "EventSelectors": [{"ReadWriteType": "All"}],
          "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}),
    Case("selectors-neither-kind", "InvalidEventSelectorsException", "put_event_selectors", {"TrailName": "err-base"}),
    Case("advanced-without-category", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]}),
    Case("advanced-insight-category", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Insight"]}]}]}),
    Case("advanced-read-only-starts-with", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "AdvancedEventSelectors": [{"FieldSelectors": [
             {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "StartsWith": ["t"]}]}]}),
    Case("advanced-data-without-type", "InvalidEventSelectorsException", "put_event_selectors",
         {"TrailName": "err-base", "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}),
    Case("insight-type", "InvalidInsightSelectorsException", "put_insight_selectors",
         {"TrailName": "err-base", "InsightSelectors": [{"InsightType": "ApiRateInsight"}]}),
    Case("insight-type-twice", "InvalidInsightSelectorsException", "put_insight_selectors",
         {"TrailName": "err-base", "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}] * 2}),
    Case("insight-not-enabled", "InsightNotEnabledException", "get_insight_selectors", {"TrailName": "err-base"},
         ["get-insight-selectors", "--trail-name", "err-base"]),
    Case("tags-limit", "TagsLimitExceededException", "add_tags",
         {"ResourceId": "<BASE>", "TagsList": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}),
    Case("tags-limit-on-create", "TagsLimitExceededException", "create_trail",
         {"Name": "err-tags", "S3BucketName": "err-bucket", "TagsList": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}),
    Case("tag-key-reserved", "InvalidTagParameterException", "add_tags",
         {"ResourceId": "<BASE>", "TagsList": [{"Key": "aws:reserved", "Value": "v"}]},
         ["add-tags", "--resource-id", "<BASE>", "--tags-list", "Key=aws:reserved,Value=v"]),
    Case("tag-key-too-long", "InvalidTagParameterException", "add_tags",
         {"ResourceId": "<BASE>", "TagsList": [{"Key": "k" * 129, "Value": "v"}]}),
    Case("tag-value-too-long", "InvalidTagParameterException", "add_tags",
         {"ResourceId": "<BASE>", "TagsList": [{"Key": "k", "Value": "v" * 257}]}),
    Case("tag-resource-type", "ResourceTypeNotSupportedException", "list_tags",
         {"ResourceIdList": ["arn:aws:cloudtrail:us-east-1:<ACCT>:widget/abc"]}),
    Case("tag-resource-not-found", "ResourceNotFoundException", "add_tags",
         {"ResourceId": "arn:aws:cloudtrail:us-east-1:<ACCT>:trail/no-such-trail", "TagsList": [{"Key": "k", "Value": "v"}]}),
    Case("public-keys-time-range", "InvalidTimeRangeException", "list_public_keys",
         {"StartTime": dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc), "EndTime": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)},
         ["list-public-keys", "--start-time", "2030-01-01T00:00:00Z", "--end-time", "2020-01-01T00:00:00Z"]),
    Case("public-keys-token", "InvalidTokenException", "list_public_keys", {"NextToken": "bogus-token"}),
    Case("list-tags-token", "InvalidTokenException", "list_tags", {"ResourceIdList": ["<BASE>"], "NextToken": "bogus-token"}),
    Case("list-trails-token", "InvalidNextTokenException", "list_trails", {"NextToken": "bogus-token"}),
    Case("list-channels-token", "InvalidNextTokenException", "list_channels", {"NextToken": "bogus-token"}),
    Case("channel-arn-invalid", "ChannelARNInvalidException", "get_channel", {"Channel": "not-a-channel"},
         ["get-channel", "--channel", "not-a-channel"]),
    Case("channel-arn-not-a-channel", "ChannelARNInvalidException", "delete_channel",
         {"Channel": "arn:aws:cloudtrail:us-east-1:<ACCT>:trail/err-base"}),
    Case("channel-not-found", "ChannelNotFoundException", "get_channel", {"Channel": "12345678-90ab-cdef-1234-567890abcdef"}),
    Case("channel-not-found-on-update", "ChannelNotFoundException", "update_channel",
         {"Channel": "arn:aws:cloudtrail:us-east-1:<ACCT>:channel/12345678-90ab-cdef-1234-567890abcdef", "Name": "renamed"}),
    Case("channel-already-exists", "ChannelAlreadyExistsException", "create_channel",
         {"Name": "err-channel", "Source": "Custom",
          "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:us-east-1:<ACCT>:eventdatastore/{EDS_1}"}]}),
    Case("channel-destination-arn", "EventDataStoreARNInvalidException", "create_channel",
         {"Name": "err-channel-2", "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": "arn:aws:s3:::bucket"}]}),
    Case("channel-source", "InvalidSourceException", "create_channel",
         {"Name": "err-channel-3", "Source": "s" * 257,
          "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:us-east-1:<ACCT>:eventdatastore/{EDS_1}"}]}),
    Case("channel-name", "InvalidParameterException", "create_channel",
         {"Name": "bad name!", "Source": "Custom",
          "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:us-east-1:<ACCT>:eventdatastore/{EDS_1}"}]}),
    Case("organization-trail-without-organization", "OrganizationsNotInUseException", "create_trail",
         {"Name": "err-org", "S3BucketName": "err-bucket", "IsOrganizationTrail": True},
         ["create-trail", "--name", "err-org", "--s3-bucket-name", "err-bucket", "--is-organization-trail"]),
    Case("unsupported-operation", "UnsupportedOperationException", "create_event_data_store", {"Name": "my-event-data-store"},
         ["create-event-data-store", "--name", "my-event-data-store"]),
    Case("unknown-access-key", "UnrecognizedClientException", "list_trails", {}, ["list-trails"], auth="unknown-key"),
    Case("wrong-secret", "InvalidSignatureException", "describe_trails", {}, ["describe-trails"], auth="bad-secret"),
    Case("unsigned", "MissingAuthenticationTokenException", "list_trails", {}, ["list-trails"], auth="unsigned"),
]


def fill(value: Any, tokens: dict[str, str]) -> Any:
    if isinstance(value, str):
        for token, replacement in tokens.items():
            value = value.replace(token, replacement)
        return value
    if isinstance(value, list):
        return [fill(v, tokens) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, tokens) for k, v in value.items()}
    return value


@dataclass
class Ctx:
    """A dedicated server with a base trail, a channel, and a region at its trail limit."""

    server: Server
    tokens: dict[str, str]
    clients: dict[tuple[str, str], Cli | Boto] = field(default_factory=dict)

    def client(self, kind: str, auth: str = "admin") -> Cli | Boto:
        if (kind, auth) not in self.clients:
            credentials = None
            if auth == "unknown-key":
                credentials = ("AKIAUNKNOWNKEY2222222", self.server.secret_access_key)
            elif auth == "bad-secret":
                credentials = (self.server.access_key_id, "wrong" + self.server.secret_access_key[5:])
            mode = "unsigned" if auth == "unsigned" else "signed"
            cls = Cli if kind == "cli" else Boto
            self.clients[(kind, auth)] = cls(self.server, credentials, mode)
        return self.clients[(kind, auth)]

    @property
    def boto(self) -> Boto:
        return self.client("boto3")


@pytest.fixture(scope="module")
def ct(start_server) -> Ctx:
    srv = start_server()
    acct = srv.account_id
    ctx = Ctx(srv, {"<ACCT>": acct, "<BASE>": f"arn:aws:cloudtrail:{HOME}:{acct}:trail/err-base"})
    ctx.boto.run("create_trail", Name="err-base", S3BucketName="err-bucket", IsMultiRegionTrail=True)
    ctx.boto.run("create_channel", Name="err-channel", Source="Custom", Destinations=[
        {"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:{HOME}:{acct}:eventdatastore/{EDS_1}"}])
    for n in range(5):
        ctx.boto.run("create_trail", region=LIMIT_REGION, Name=f"limit-{n}", S3BucketName="err-bucket")
    return ctx


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.id)
def test_error_code_boto3(ct, case):
    client = ct.client("boto3", case.auth)
    params = fill(case.params, ct.tokens)
    err = expect_error(case.code, lambda: client.run(case.method, region=case.region, **params))
    assert err.message, "every error carries a message"


def test_error_codes_cli(ct):
    """The CLI cross-section: exit status 255 and `An error occurred (Code)` on stderr."""
    cases = [c for c in ERROR_CASES if c.cli is not None]
    assert len(cases) >= 12

    def run(case: Case) -> str | None:
        client = ct.client("cli", case.auth)
        try:
            out = client.run(*fill(case.cli, ct.tokens), region=case.region)
        except CallFailed as err:
            return None if err.code == case.code else f"{case.id}: expected {case.code}, got {err.code}"
        return f"{case.id}: expected {case.code}, the command succeeded: {out}"

    failures = [f for f in parallel(*[lambda c=c: run(c) for c in cases]) if f]
    assert not failures, "\n".join(failures)


def test_error_table_covers_thirty_codes():
    codes = {c.code for c in ERROR_CASES}
    assert len(ERROR_CASES) >= 30 and len(codes) >= 30, (len(ERROR_CASES), len(codes))


# Raw requests: what the SDKs validate client-side or cannot send.


def test_unknown_operation(server):
    body = assert_json_error(raw_call(server, "FrobnicateTrail"), "UnknownOperationException")
    assert "FrobnicateTrail" in body["message"]
    # A target of another service's prefix never reaches the CloudTrail API.
    response = raw_call(server, None, target="DynamoDB_20120810.ListTables")
    assert_json_error(response, "UnknownOperationException", status=404)


def test_unsupported_operation_raw(server):
    for operation in ["CreateEventDataStore", "StartQuery", "CreateDashboard"]:
        assert_json_error(raw_call(server, operation, {"Name": "x"}), "UnsupportedOperationException")


@pytest.mark.parametrize(
    "operation,body",
    [
        ("GetTrail", {"Name": 5}),
        ("CreateTrail", {"Name": "ser-trail", "S3BucketName": "b-bucket", "IsMultiRegionTrail": "yes"}),
        ("DescribeTrails", {"trailNameList": "Trail1"}),
        ("DescribeTrails", {"trailNameList": [1, 2]}),
        ("CreateTrail", {"Name": "ser-tags", "S3BucketName": "b-bucket", "TagsList": {"Key": "k"}}),
        ("ListChannels", {"MaxResults": "10"}),
        ("ListPublicKeys", {"StartTime": "yesterday"}),
        ("GetTrail", "[1, 2, 3]"),
        ("GetTrail", '{"Name": "unterminated'),
        ("GetTrail", b"\xff\xfe not utf-8"),
    ],
    ids=["number-for-string", "string-for-boolean", "string-for-list", "numbers-in-string-list",
         "structure-for-list", "string-for-integer", "string-for-timestamp", "array-body", "truncated-json", "not-utf8"],
)
def test_serialization_exception(server, operation, body):
    assert_json_error(raw_call(server, operation, body), "SerializationException")


def test_missing_required_members(server):
    assert_json_error(raw_call(server, "CreateTrail", {}), "TrailNotProvidedException")
    assert_json_error(raw_call(server, "GetTrail", {}), "InvalidTrailNameException")
    assert_json_error(raw_call(server, "ListTags", {}), "InvalidParameterException")
    # An empty body is `{}` (spec §2), so DescribeTrails succeeds with nothing at all.
    response = raw_call(server, "DescribeTrails", b"")
    assert response.status == 200 and "trailList" in response.json()


def test_content_type_application_json_is_accepted(server):
    response = raw_call(server, "ListTrails", b"{}", headers={"Content-Type": "application/json"})
    assert response.status == 200, response.body
    assert response.headers["content-type"] == JSON_11
    assert UUID_RE.match(response.headers["x-amzn-requestid"])


def test_authentication_errors_raw(server):
    assert_json_error(raw_call(server, "ListTrails", sign=False), "MissingAuthenticationTokenException", status=403)
    assert_json_error(raw_call(server, "ListTrails", credentials=("AKIAUNKNOWNKEY2222222", "x" * 40)), "UnrecognizedClientException")
    assert_json_error(raw_call(server, "ListTrails", credentials=(server.access_key_id, "y" * 40)), "InvalidSignatureException")
    # Signed for another service.
    assert_json_error(raw_call(server, "ListTrails", service="cloudtrail-data"), "InvalidSignatureException")
    # Body changed after signing.
    tampered = server.signed_request("POST", "/", b"{}", service="cloudtrail", region=HOME,
                                     headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET_PREFIX + "ListTrails"},
                                     tamper=lambda b: b'{"NextToken":null}')
    assert_json_error(tampered, "InvalidSignatureException")


def test_signature_expired_and_not_yet_current(server):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    past = assert_json_error(raw_call(server, "ListTrails", timestamp=now - dt.timedelta(minutes=20)), "InvalidSignatureException")
    assert past["message"].startswith("Signature expired"), past
    future = assert_json_error(raw_call(server, "ListTrails", timestamp=now + dt.timedelta(minutes=20)), "InvalidSignatureException")
    assert future["message"].startswith("Signature not yet current"), future
    # Within the 15 minute window it is fine.
    assert raw_call(server, "ListTrails", timestamp=now - dt.timedelta(minutes=10)).status == 200


def test_endpoint_path_does_not_matter(server):
    """botocore posts to the endpoint URL's path (spec §2): an endpoint `.../opentrail` works."""
    session = boto3.session.Session(aws_access_key_id=server.access_key_id,
                                    aws_secret_access_key=server.secret_access_key, region_name=HOME)
    client = session.client("cloudtrail", endpoint_url=server.endpoint + "/opentrail")
    assert "Trails" in client.list_trails()
    assert "PublicKeyList" in client.list_public_keys()


# ---- semantics not covered by the goldens ---------------------------------------------------------


def test_trail_lifecycle_semantics(ct):
    boto = ct.boto
    acct = ct.server.account_id
    name = "sem-" + uuid.uuid4().hex[:8]
    arn = f"arn:aws:cloudtrail:{HOME}:{acct}:trail/{name}"
    boto.run("create_trail", Name=name, S3BucketName="sem-bucket", TagsList=[{"Key": "gone", "Value": "soon"}])
    try:
        # Defaults of CreateTrail (spec: global events on, single region, no validation, not logging).
        trail = boto.run("get_trail", Name=arn)["Trail"]
        assert (trail["IncludeGlobalServiceEvents"], trail["IsMultiRegionTrail"], trail["LogFileValidationEnabled"]) == (True, False, False)
        assert boto.run("get_trail_status", Name=name)["IsLogging"] is False
        # Idempotent start/stop; StartLoggingTime is kept across a second start.
        boto.run("start_logging", Name=name)
        first = boto.run("get_trail_status", Name=name)["StartLoggingTime"]
        boto.run("start_logging", Name=name)
        assert boto.run("get_trail_status", Name=name)["StartLoggingTime"] == first
        # A failed update changes nothing.
        expect_error("InvalidParameterCombinationException",
                     lambda: boto.run("update_trail", Name=name, S3BucketName="changed-bucket", IsMultiRegionTrail=True,
                                      IncludeGlobalServiceEvents=False))
        assert boto.run("get_trail", Name=name)["Trail"]["S3BucketName"] == "sem-bucket"
        # The trail name is unique in the account, whatever the region.
        expect_error("TrailAlreadyExistsException",
                     lambda: boto.run("create_trail", region=OTHER, Name=name, S3BucketName="sem-bucket"))
        # Not visible by name from another region (a single-region trail has no shadow).
        expect_error("TrailNotFoundException", lambda: boto.run("get_trail", region=OTHER, Name=name))
        assert name not in [t["Name"] for t in boto.run("describe_trails", region=OTHER)["trailList"]]
        # ...but ListTrails lists trails of every region.
        assert arn in [t["TrailARN"] for t in boto.run("list_trails", region=OTHER, paginate=True)["Trails"]]
        # Selectors: applying advanced ones replaces the basic ones, and back.
        boto.run("put_event_selectors", TrailName=name, AdvancedEventSelectors=ADVANCED_SELECTORS[:1])
        got = boto.run("get_event_selectors", TrailName=name)
        assert "EventSelectors" not in got and got["AdvancedEventSelectors"] == ADVANCED_SELECTORS[:1]
        boto.run("put_event_selectors", TrailName=name, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
        got = boto.run("get_event_selectors", TrailName=name)
        assert "AdvancedEventSelectors" not in got
        # Back to the default selector: HasCustomEventSelectors is false again.
        assert boto.run("get_trail", Name=name)["Trail"]["HasCustomEventSelectors"] is False
        # An empty insight selector list turns Insights off.
        boto.run("put_insight_selectors", TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
        assert boto.run("get_trail", Name=name)["Trail"]["HasInsightSelectors"] is True
        boto.run("put_insight_selectors", TrailName=name, InsightSelectors=[])
        assert boto.run("get_trail", Name=name)["Trail"]["HasInsightSelectors"] is False
        # AddTags overwrites the value of an existing key.
        boto.run("add_tags", ResourceId=arn, TagsList=[{"Key": "gone", "Value": "later"}])
        tags = boto.run("list_tags", ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
        assert tags == [{"Key": "gone", "Value": "later"}]
    finally:
        boto.run("delete_trail", Name=arn)
    expect_error("TrailNotFoundException", lambda: boto.run("get_trail_status", Name=name))
    # Deleting a trail drops its tags: a new trail of that name starts untagged.
    boto.run("create_trail", Name=name, S3BucketName="sem-bucket")
    try:
        assert boto.run("list_tags", ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == []
    finally:
        boto.run("delete_trail", Name=name)


def test_list_channels_pagination(ct):
    boto = ct.boto
    acct = ct.server.account_id
    dest = [{"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:{HOME}:{acct}:eventdatastore/{EDS_2}"}]
    created = [boto.run("create_channel", Name=f"page-{n}", Source="Custom", Destinations=dest)["ChannelArn"] for n in range(3)]
    try:
        seen, token, pages = [], None, 0
        while True:
            params = {"MaxResults": 2} | ({"NextToken": token} if token else {})
            page = boto.run("list_channels", **params)
            pages += 1
            assert len(page["Channels"]) <= 2
            seen += [c["ChannelArn"] for c in page["Channels"]]
            token = page.get("NextToken")
            if not token:
                break
            assert 4 <= len(token) <= 1000
        assert pages >= 2 and len(seen) == len(set(seen))
        assert set(created) <= set(seen)
        assert set(seen) == {c["ChannelArn"] for c in boto.run("list_channels")["Channels"]}
    finally:
        for arn in created:
            boto.run("delete_channel", Channel=arn)


# ---- server bugs / mismatches with AWS (strict xfail) --------------------------------------------


def test_insight_selectors_require_management_events(ct):
    boto = ct.boto
    name = "ins-" + uuid.uuid4().hex[:8]
    boto.run("create_trail", Name=name, S3BucketName="ins-bucket")
    try:
        boto.run("put_event_selectors", TrailName=name, EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": False,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
        expect_error("InvalidInsightSelectorsException", lambda: boto.run(
            "put_insight_selectors", TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]))
        boto.run("put_event_selectors", TrailName=name, EventSelectors=[{"ReadWriteType": "ReadOnly"}])
        expect_error("InvalidInsightSelectorsException", lambda: boto.run(
            "put_insight_selectors", TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]))
    finally:
        boto.run("delete_trail", Name=name)


def test_tag_without_value_is_listed_without_value(ct):
    arn = ct.tokens["<BASE>"]
    ct.boto.run("add_tags", ResourceId=arn, TagsList=[{"Key": "valueless"}])
    try:
        tags = ct.boto.run("list_tags", ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
        assert {"Key": "valueless"} in tags, tags
    finally:
        ct.boto.run("remove_tags", ResourceId=arn, TagsList=[{"Key": "valueless"}])


def test_channel_tags_are_listable(ct):
    acct = ct.server.account_id
    created = ct.boto.run("create_channel", Name="tagged-" + uuid.uuid4().hex[:8], Source="Custom",
                          Destinations=[{"Type": "EVENT_DATA_STORE", "Location": f"arn:aws:cloudtrail:{HOME}:{acct}:eventdatastore/{EDS_1}"}],
                          Tags=[{"Key": "team", "Value": "audit"}])
    try:
        listed = ct.boto.run("list_tags", ResourceIdList=[created["ChannelArn"]])["ResourceTagList"]
        assert listed == [{"ResourceId": created["ChannelArn"], "TagsList": [{"Key": "team", "Value": "audit"}]}]
    finally:
        ct.boto.run("delete_channel", Channel=created["ChannelArn"])


@pytest.mark.xfail(strict=True, reason="known limitation: more than 100 headers, or a header block over ~400 KiB, is "
                   "refused by the HTTP layer (hyper) with a bare `431` before OpenTrail sees the request")
def test_oversized_header_block_gets_a_json_error(server):
    many = {f"X-Filler-{n}": "v" for n in range(150)}
    for headers in [many, {"X-Filler": "a" * (1024 * 1024)}]:
        response = raw_call(server, "ListTrails", headers=headers)
        assert response.status in (400, 431)
        assert "__type" in response.json()


# ---- self-audit -------------------------------------------------------------------------------------


def test_self_audit_records(ct):
    srv, boto = ct.server, ct.boto
    acct, key_id = srv.account_id, srv.access_key_id
    name = "audited-" + uuid.uuid4().hex[:8]
    boto.run("create_trail", Name=name, S3BucketName="audit-bucket")
    boto.run("start_logging", Name=name)

    cli_stop = Cli(srv).run("stop-logging", "--name", name, debug=True)
    boto.run("start_logging", Name=name)
    boto_stop = boto.client().stop_logging(Name=name)["ResponseMetadata"]["RequestId"]
    failed = expect_error("TrailNotFoundException", lambda: boto.run("start_logging", Name="no-such-audited-trail"))
    bad_secret = Boto(srv, (key_id, "wrong" + srv.secret_access_key[5:]))
    failed_auth = expect_error("InvalidSignatureException", lambda: bad_secret.run("stop_logging", Name=name))
    unknown_key = Boto(srv, ("AKIAUNKNOWNKEY2222222", srv.secret_access_key))
    unknown = expect_error("UnrecognizedClientException", lambda: unknown_key.run("stop_logging", Name=name))
    raw = raw_call(srv, "GetTrailStatus", {"Name": name})
    assert raw.status == 200

    ids = {
        "cli-stop": cli_stop["request_id"], "boto3-stop": boto_stop, "failed": failed.request_id,
        "failed-auth": failed_auth.request_id, "unknown-key": unknown.request_id,
        "raw": raw.headers["x-amzn-requestid"],
    }
    for label, request_id in ids.items():
        assert request_id and UUID_RE.match(request_id), (label, request_id)
    assert len(set(ids.values())) == len(ids)

    records = {r.get("requestID"): r for r in srv.wal_dump() if r.get("eventSource") == "cloudtrail.amazonaws.com"}
    unaudited = ("unknown-key", "failed-auth")
    missing = [label for label, rid in ids.items() if label not in unaudited and rid not in records]
    assert not missing, f"no self-audit record for {missing}"
    # A request that failed authentication is not recorded, as in AWS: a request naming an
    # unknown key has nobody to attribute it to, and one with a known key id but a wrong
    # signature carries the sender's words, not the key owner's.
    for label in unaudited:
        assert ids[label] not in records, label

    def check(label, event_name, read_only, error_code=None):
        record = records[ids[label]]
        assert record["eventSource"] == "cloudtrail.amazonaws.com"
        assert record["eventName"] == event_name, (label, record)
        assert record["readOnly"] is read_only
        assert record["eventType"] == "AwsApiCall" and record["eventCategory"] == "Management"
        assert record["managementEvent"] is True
        assert record["awsRegion"] == HOME and record["recipientAccountId"] == acct
        # admin.env holds the administrator IAM user's key, never the root user's.
        identity = record["userIdentity"]
        assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identity["principalId"]), identity
        assert identity == {"type": "IAMUser", "principalId": identity["principalId"],
                            "arn": f"arn:aws:iam::{acct}:user/admin", "accountId": acct,
                            "accessKeyId": key_id, "userName": "admin"}
        assert UUID_RE.match(record["eventID"]) and record["eventID"] != record["requestID"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["eventTime"])
        if error_code is None:
            assert "errorCode" not in record, record
        else:
            assert record["errorCode"] == error_code and record["errorMessage"], record
        return record

    cli_record = check("cli-stop", "StopLogging", False)
    assert cli_record["requestParameters"] == {"name": name}
    assert cli_record["userAgent"].startswith("aws-cli/1.")
    assert check("boto3-stop", "StopLogging", False)["userAgent"].startswith("Boto3/")
    assert check("failed", "StartLogging", False, "TrailNotFoundException")["requestParameters"] == {"name": "no-such-audited-trail"}
    assert check("raw", "GetTrailStatus", True)["requestParameters"] == {"name": name}
    boto.run("delete_trail", Name=name)


# ---- authorization ----------------------------------------------------------------------------------

MGMT, MEMBER, OUTSIDER = "111122223333", "444455556666", "777788889999"


@dataclass
class Org:
    server: Server
    keys: dict[str, tuple[str, str]]
    boto: dict[str, Boto]
    trails: dict[str, str]


@pytest.fixture(scope="module")
def org(start_server, tmp_path_factory) -> Org:
    keys = {name: new_key() for name in
            ["mgmt-root", "member-root", "outsider-root", "admin", "reader", "nostop", "prod", "member-admin"]}

    def key(name):
        return f'{{ id = "{keys[name][0]}", secret = "{keys[name][1]}" }}'

    config = f"""
version = 1

[[accounts]]
id = "{MGMT}"
name = "management"
root_access_keys = [{key("mgmt-root")}]

[[accounts]]
id = "{MEMBER}"
name = "member"
root_access_keys = [{key("member-root")}]

[[accounts]]
id = "{OUTSIDER}"
name = "outsider"
root_access_keys = [{key("outsider-root")}]

[organization]
id = "o-e2etest123"
management_account = "{MGMT}"
member_accounts = ["{MEMBER}"]

[[users]]
account = "{MGMT}"
name = "admin"
policies = ["AdministratorAccess"]
access_keys = [{key("admin")}]

[[users]]
account = "{MGMT}"
name = "reader"
path = "/audit/"
policies = ["AWSCloudTrail_ReadOnlyAccess"]
access_keys = [{key("reader")}]

[[users]]
account = "{MGMT}"
name = "nostop"
access_keys = [{key("nostop")}]
[[users.statements]]
effect = "Allow"
actions = ["cloudtrail:*"]
resources = ["*"]
[[users.statements]]
sid = "NeverStop"
effect = "Deny"
actions = ["cloudtrail:StopLogging"]
resources = ["*"]

[[users]]
account = "{MGMT}"
name = "prod-operator"
access_keys = [{key("prod")}]
[[users.statements]]
effect = "Allow"
actions = ["cloudtrail:*"]
resources = ["arn:aws:cloudtrail:*:{MGMT}:trail/prod-*"]
[[users.statements]]
effect = "Allow"
actions = ["cloudtrail:DescribeTrails", "cloudtrail:ListTrails"]
resources = ["*"]

[[users]]
account = "{MEMBER}"
name = "member-admin"
policies = ["AdministratorAccess"]
access_keys = [{key("member-admin")}]
"""
    path = tmp_path_factory.mktemp("ct-config") / "opentrail.toml"
    path.write_text(config)
    srv = start_server("--config", str(path))
    boto = {name: Boto(srv, creds) for name, creds in keys.items()}
    trails = {
        "<ORG>": f"arn:aws:cloudtrail:{HOME}:{MGMT}:trail/org-trail",
        "<PROD>": f"arn:aws:cloudtrail:{HOME}:{MGMT}:trail/prod-trail",
        "<DEV>": f"arn:aws:cloudtrail:{HOME}:{MGMT}:trail/dev-trail",
    }
    root = boto["mgmt-root"]
    created = root.run("create_trail", Name="org-trail", S3BucketName="org-bucket", IsOrganizationTrail=True,
                       IsMultiRegionTrail=True)
    assert created["IsOrganizationTrail"] is True
    root.run("create_trail", Name="prod-trail", S3BucketName="org-bucket")
    root.run("create_trail", Name="dev-trail", S3BucketName="org-bucket")
    return Org(srv, keys, boto, trails)


ALLOW = "allowed"
DENY = "AccessDeniedException"


@dataclass
class Row:
    identity: str
    kind: str  # cli | boto3
    cli: list[str]
    method: str
    params: dict
    expected: str  # ALLOW or an error code
    region: str | None = None
    check: Callable[[dict], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.identity}:{self.method}:{self.expected}"


def names_in(result: dict) -> set[str]:
    return {t["Name"] for t in result.get("trailList", result.get("Trails", []))}


def only_the_organization_trail(result: dict) -> bool:
    """What a member account sees of the management account: the organization trail(s), not
    prod-trail/dev-trail (its own trails may be created concurrently by other rows)."""
    names = names_in(result)
    return "org-trail" in names and not names & {"prod-trail", "dev-trail", "prod-new-trail"}


AUTHZ_ROWS = [
    # AWSCloudTrail_ReadOnlyAccess: Describe*, Get*, List*, LookupEvents.
    Row("reader", "cli", ["describe-trails"], "describe_trails", {}, ALLOW,
        check=lambda r: names_in(r) >= {"org-trail", "prod-trail", "dev-trail"}),
    Row("reader", "boto3", [], "get_trail", {"Name": "<PROD>"}, ALLOW),
    Row("reader", "boto3", [], "list_trails", {}, ALLOW),
    Row("reader", "boto3", [], "get_trail_status", {"Name": "dev-trail"}, ALLOW),
    Row("reader", "boto3", [], "get_event_selectors", {"TrailName": "dev-trail"}, ALLOW),
    Row("reader", "boto3", [], "list_public_keys", {}, ALLOW),
    Row("reader", "boto3", [], "list_tags", {"ResourceIdList": ["<DEV>"]}, ALLOW),
    Row("reader", "cli", ["create-trail", "--name", "reader-trail", "--s3-bucket-name", "org-bucket"], "create_trail", {}, DENY),
    Row("reader", "boto3", [], "stop_logging", {"Name": "<DEV>"}, DENY),
    Row("reader", "cli", ["put-event-selectors", "--trail-name", "dev-trail", "--event-selectors", '[{"ReadWriteType": "All"}]'],
        "put_event_selectors", {}, DENY),
    Row("reader", "boto3", [], "delete_trail", {"Name": "dev-trail"}, DENY),
    Row("reader", "boto3", [], "add_tags", {"ResourceId": "<DEV>", "TagsList": [{"Key": "k", "Value": "v"}]}, DENY),
    # Allow cloudtrail:* with Deny cloudtrail:StopLogging: the explicit deny wins.
    Row("nostop", "boto3", [], "start_logging", {"Name": "dev-trail"}, ALLOW),
    Row("nostop", "cli", ["stop-logging", "--name", "dev-trail"], "stop_logging", {}, DENY),
    Row("nostop", "boto3", [], "update_trail", {"Name": "dev-trail", "S3KeyPrefix": "nostop"}, ALLOW),
    # Resource-scoped: trail/prod-* only.
    Row("prod", "boto3", [], "get_trail", {"Name": "prod-trail"}, ALLOW),
    Row("prod", "cli", ["start-logging", "--name", "prod-trail"], "start_logging", {}, ALLOW),
    Row("prod", "boto3", [], "stop_logging", {"Name": "<DEV>"}, DENY),
    Row("prod", "boto3", [], "get_trail", {"Name": "dev-trail"}, DENY),
    Row("prod", "boto3", [], "describe_trails", {}, ALLOW),
    Row("prod", "boto3", [], "create_trail", {"Name": "prod-new-trail", "S3BucketName": "org-bucket"}, ALLOW),
    Row("prod", "boto3", [], "create_trail", {"Name": "dev-new-trail", "S3BucketName": "org-bucket"}, DENY),
    Row("prod", "boto3", [], "list_public_keys", {}, DENY),
    # AdministratorAccess in the management account.
    Row("admin", "boto3", [], "create_trail", {"Name": "admin-trail", "S3BucketName": "org-bucket"}, ALLOW, region="eu-west-1"),
    Row("admin", "boto3", [], "put_event_selectors", {"TrailName": "<ORG>", "EventSelectors": [{"ReadWriteType": "All"}]}, ALLOW),
    # The organization trail from a member account: readable by ARN, never changeable.
    Row("member-admin", "cli", ["get-trail", "--name", "<ORG>"], "get_trail", {},
        ALLOW, check=lambda r: r["Trail"]["IsOrganizationTrail"] is True),
    Row("member-admin", "boto3", [], "get_trail_status", {"Name": "<ORG>"}, ALLOW),
    Row("member-admin", "boto3", [], "get_event_selectors", {"TrailName": "<ORG>"}, ALLOW),
    Row("member-admin", "boto3", [], "describe_trails", {}, ALLOW, check=only_the_organization_trail),
    Row("member-admin", "boto3", [], "list_trails", {}, ALLOW, check=only_the_organization_trail),
    Row("member-admin", "boto3", [], "stop_logging", {"Name": "<ORG>"}, DENY),
    Row("member-admin", "cli", ["update-trail", "--name", "<ORG>", "--s3-key-prefix", "mine"], "update_trail", {}, DENY),
    Row("member-admin", "boto3", [], "delete_trail", {"Name": "<ORG>"}, DENY),
    Row("member-admin", "boto3", [], "put_event_selectors", {"TrailName": "<ORG>", "EventSelectors": [{"ReadWriteType": "All"}]}, DENY),
    Row("member-admin", "boto3", [], "add_tags", {"ResourceId": "<ORG>", "TagsList": [{"Key": "k", "Value": "v"}]}, DENY),
    Row("member-root", "boto3", [], "stop_logging", {"Name": "<ORG>"}, DENY),
    Row("member-root", "boto3", [], "delete_trail", {"Name": "<ORG>"}, DENY),
    # The management account's other trails do not exist for the member.
    Row("member-admin", "boto3", [], "get_trail", {"Name": "<DEV>"}, "TrailNotFoundException"),
    Row("member-root", "boto3", [], "get_trail_status", {"Name": "<PROD>"}, "TrailNotFoundException"),
    # Accounts outside the organization do not see its trail.
    Row("outsider-root", "boto3", [], "get_trail", {"Name": "<ORG>"}, "TrailNotFoundException"),
    Row("outsider-root", "boto3", [], "describe_trails", {}, ALLOW, check=lambda r: names_in(r) == set()),
    # Creating organization trails: only the management account.
    Row("mgmt-root", "cli", ["create-trail", "--name", "org-trail-2", "--s3-bucket-name", "org-bucket",
                             "--is-organization-trail", "--is-multi-region-trail"], "create_trail", {},
        ALLOW, region=OTHER, check=lambda r: r["IsOrganizationTrail"] is True),
    Row("member-root", "boto3", [], "create_trail", {"Name": "member-org-trail", "S3BucketName": "org-bucket",
                                                      "IsOrganizationTrail": True}, "NotOrganizationMasterAccountException"),
    Row("member-root", "boto3", [], "create_trail", {"Name": "member-trail", "S3BucketName": "org-bucket"}, ALLOW),
]


def test_authorization_table(org):
    assert len(AUTHZ_ROWS) >= 20

    def run(row: Row) -> str | None:
        try:
            if row.kind == "cli":
                result = Cli(org.server, org.keys[row.identity]).run(*fill(row.cli, org.trails), region=row.region)
            else:
                result = org.boto[row.identity].run(row.method, region=row.region, **fill(row.params, org.trails))
        except CallFailed as err:
            if err.code != row.expected:
                return f"{row.id}: got {err.code}: {err.message}"
            if err.code == DENY:
                arn = {"reader": f"arn:aws:iam::{MGMT}:user/audit/reader", "member-root": f"arn:aws:iam::{MEMBER}:root"}
                if row.identity in arn and arn[row.identity] not in err.message:
                    return f"{row.id}: AccessDenied message does not name the caller: {err.message}"
            return None
        if row.expected != ALLOW:
            return f"{row.id}: expected {row.expected}, the call succeeded"
        if row.check is not None and not row.check(result):
            return f"{row.id}: unexpected result {result}"
        return None

    results = parallel(*[lambda r=row: run(r) for row in AUTHZ_ROWS])
    failures = [f for f in results if f]
    assert not failures, "\n".join(failures)
    assert sum(r.kind == "cli" for r in AUTHZ_ROWS) >= 6, "a cross-section runs with the AWS CLI"


def test_s3_api_reads_follow_the_same_rules(org):
    """The read-only S3 API asks the same IAM-style question with `s3:` actions: the bucket's
    account (the trails delivering there) may read it, a member account may read its organization
    trail's bucket, another account may not, and a user needs an `s3:` permission."""
    from botocore.exceptions import ClientError

    def s3(identity: str):
        key_id, secret = org.keys[identity]
        return org.server.boto3_client("s3", access_key_id=key_id, secret_access_key=secret, region=HOME)

    def outcome(identity: str, call: str, **params) -> str:
        try:
            getattr(s3(identity), call)(**params)
        except ClientError as err:
            return err.response["Error"]["Code"]
        return ALLOW

    listed = {b["Name"] for b in s3("mgmt-root").list_buckets()["Buckets"]}
    assert listed == {"org-bucket"}
    assert {b["Name"] for b in s3("member-root").list_buckets()["Buckets"]} == {"org-bucket"}
    assert s3("outsider-root").list_buckets()["Buckets"] == []
    expected = {
        "mgmt-root": ALLOW, "admin": ALLOW, "member-root": ALLOW, "member-admin": ALLOW,
        "outsider-root": "AccessDenied", "reader": "AccessDenied", "nostop": "AccessDenied",
    }
    got = {identity: outcome(identity, "list_objects_v2", Bucket="org-bucket") for identity in expected}
    assert got == expected
    # Authorized callers learn a key is missing; others learn nothing about the bucket.
    assert outcome("member-root", "get_object", Bucket="org-bucket", Key="AWSLogs/none.json.gz") == "NoSuchKey"
    assert outcome("outsider-root", "get_object", Bucket="org-bucket", Key="AWSLogs/none.json.gz") == "AccessDenied"
    assert outcome("outsider-root", "list_objects_v2", Bucket="not-a-trail-bucket") == "AccessDenied"


# ---- robustness -------------------------------------------------------------------------------------

FUZZ_OPERATIONS = [
    "CreateTrail", "GetTrail", "DescribeTrails", "ListTrails", "UpdateTrail", "DeleteTrail", "GetTrailStatus",
    "StartLogging", "StopLogging", "PutEventSelectors", "GetEventSelectors", "PutInsightSelectors",
    "GetInsightSelectors", "AddTags", "RemoveTags", "ListTags", "ListPublicKeys", "CreateChannel", "GetChannel",
    "ListChannels", "UpdateChannel", "DeleteChannel", "LookupEvents", "CreateEventDataStore", "StartQuery",
]
FUZZ_MEMBERS = [
    "Name", "S3BucketName", "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
    "EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId", "IsOrganizationTrail",
    "TagsList", "trailNameList", "includeShadowTrails", "NextToken", "TrailName", "EventSelectors",
    "AdvancedEventSelectors", "InsightSelectors", "EventDataStore", "ResourceId", "ResourceIdList", "StartTime",
    "EndTime", "Channel", "Source", "Destinations", "Tags", "MaxResults", "LookupAttributes",
]
FUZZ_REGIONS = [HOME, OTHER, "eu-west-1"]
FUZZ_NAMES = ["fuzz-a", "fuzz-b", "fuzz-c", "Trail1"]


FUZZ_REQUIRED = {
    "CreateTrail": ["Name", "S3BucketName"], "GetTrail": ["Name"], "UpdateTrail": ["Name"], "DeleteTrail": ["Name"],
    "GetTrailStatus": ["Name"], "StartLogging": ["Name"], "StopLogging": ["Name"],
    "PutEventSelectors": ["TrailName", "EventSelectors"], "GetEventSelectors": ["TrailName"],
    "PutInsightSelectors": ["TrailName", "InsightSelectors"], "GetInsightSelectors": ["TrailName"],
    "AddTags": ["ResourceId", "TagsList"], "RemoveTags": ["ResourceId", "TagsList"], "ListTags": ["ResourceIdList"],
    "CreateChannel": ["Name", "Source", "Destinations"], "GetChannel": ["Channel"], "UpdateChannel": ["Channel"],
    "DeleteChannel": ["Channel"],
}


class Fuzzer:
    """Seeded random requests: mostly plausible members (so calls reach the handlers and change
    state), some of the wrong type, and some bodies and targets that are not requests at all."""

    def __init__(self, rng: random.Random, account: str):
        self.rng = rng
        self.account = account
        self.channels: list[str] = []  # ARNs of channels the fuzz created

    def text(self) -> str:
        r = self.rng
        return r.choice([
            "", " ", "a", "-", "arn:", "arn:aws:cloudtrail:::", "\u00e9\u4e2d\U0001F600", "\x00", "null", "{}", "%s%n",
            "../../etc/passwd", "a" * r.randint(100, 3000), "".join(r.choice(string.printable) for _ in range(r.randint(1, 40))),
        ])

    def trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.rng.choice(FUZZ_REGIONS)}:{self.account}:trail/{self.rng.choice(FUZZ_NAMES)}"

    def channel(self) -> str:
        r = self.rng
        if self.channels and r.random() < 0.7:
            arn = r.choice(self.channels)
            return arn if r.random() < 0.5 else arn.rsplit("/", 1)[1]
        return f"arn:aws:cloudtrail:{HOME}:{self.account}:channel/{uuid.UUID(int=r.getrandbits(128))}"

    def scalar(self) -> Any:
        r = self.rng
        return r.choice([
            self.text(), r.randint(-2**63, 2**63), 10**40, -1, 0, r.random() * 1e12, float("1e308"), True, False, None,
            self.trail_arn(), self.channel(), r.choice(FUZZ_NAMES), "fuzz-bucket",
        ])

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        roll = r.random()
        if depth > 3 or roll < 0.55:
            return self.scalar()
        if roll < 0.8:
            return [self.value(depth + 1) for _ in range(r.randint(0, 4))]
        return {r.choice(FUZZ_MEMBERS + ["Type", "Values", "Field", "Equals", "Key", "Value", "Location", "InsightType",
                                         "ReadWriteType", "IncludeManagementEvents", "DataResources", "FieldSelectors"]):
                self.value(depth + 1) for _ in range(r.randint(0, 4))}

    def member(self, name: str) -> Any:
        r = self.rng
        if r.random() < 0.25:
            return self.value()
        eds = f"arn:aws:cloudtrail:{HOME}:{self.account}:eventdatastore/{EDS_1}"
        plausible = {
            "Name": r.choice(FUZZ_NAMES) if r.random() < 0.8 else self.trail_arn(),
            "TrailName": r.choice(FUZZ_NAMES) if r.random() < 0.7 else self.trail_arn(),
            "S3BucketName": r.choice(["fuzz-bucket"] * 5 + ["Fuzz_Bucket"]), "S3KeyPrefix": r.choice(["p", "p/", "a" * 201]),
            "SnsTopicName": r.choice(["topic", ""]), "KmsKeyId": r.choice([KMS_KEY_ID, "alias/x", "bad", ""]),
            "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{HOME}:{self.account}:log-group:g:*",
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{self.account}:role/r",
            "IsMultiRegionTrail": r.random() < 0.5, "IncludeGlobalServiceEvents": r.random() < 0.7,
            "EnableLogFileValidation": r.random() < 0.5, "IsOrganizationTrail": r.random() < 0.1,
            "includeShadowTrails": r.random() < 0.5, "trailNameList": [r.choice(FUZZ_NAMES), self.trail_arn()],
            "EventSelectors": [{"ReadWriteType": r.choice(["All", "ReadOnly", "WriteOnly", "Bogus"]),
                                "IncludeManagementEvents": r.random() < 0.8,
                                "DataResources": r.choice([[], [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]])}],
            "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": r.choice(["eventCategory", "readOnly", "x"]),
                                                            "Equals": [r.choice(["Management", "Data", "true"])]}]}],
            "InsightSelectors": r.choice([[], [{"InsightType": r.choice(["ApiCallRateInsight", "ApiErrorRateInsight", "x"])}]]),
            "ResourceId": self.trail_arn(), "ResourceIdList": [self.trail_arn() for _ in range(r.randint(1, 3))],
            "TagsList": [{"Key": r.choice(["k", "team", "aws:k", ""]), "Value": r.choice(["v", ""])}],
            "Tags": [{"Key": "k", "Value": "v"}], "Source": r.choice(["Custom", "Custom", "partner-x"]),
            "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": eds}], "Channel": self.channel(),
            "StartTime": r.randint(0, 2**32), "EndTime": r.randint(0, 2**32), "MaxResults": r.randint(-5, 2000),
        }
        return plausible[name] if name in plausible else self.value()

    def body(self, operation: str | None) -> bytes:
        r = self.rng
        if r.random() < 0.8:
            names = r.sample(FUZZ_MEMBERS, r.randint(0, 4))
            if operation in FUZZ_REQUIRED and r.random() < 0.85:
                names = FUZZ_REQUIRED[operation] + [n for n in names if n not in FUZZ_REQUIRED[operation]]
            return json.dumps({name: self.member(name) for name in names}).encode()
        return r.choice([
            b"", b"   ", b"null", b"[]", b"42", b'"text"', b"{", b"{]", b'{"Name": }', b"\xff\xfe\x00",
            b"[" * 5000 + b"]" * 5000, b'{"a":' * 200 + b"1" + b"}" * 200, json.dumps([self.value()]).encode(),
            b"Name=fuzz-a&S3BucketName=fuzz-bucket", b'<?xml version="1.0"?><Name>x</Name>',
        ])

    def target(self) -> tuple[str | None, str | None]:
        """(X-Amz-Target, the operation it names)."""
        r = self.rng
        if r.random() < 0.85:
            # Creations weigh more, so that later calls find something to act on.
            operation = r.choice(FUZZ_OPERATIONS + ["CreateTrail"] * 4 + ["CreateChannel"] * 2)
            return TARGET_PREFIX + operation, operation
        return r.choice([
            None, TARGET_PREFIX, TARGET_PREFIX + "Bogus", TARGET_PREFIX + "Get Trail", TARGET_PREFIX + "GetTrail.Extra",
            TARGET_PREFIX + "a" * 300, "CloudTrail_20131101.GetTrail", TARGET_PREFIX.upper() + "GetTrail",
            TARGET_PREFIX + "\u00e9", "",
        ]), None


def _send_raw(server: Server, method: str, path: str, body: bytes, headers: dict[str, str]):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = dict(headers)
        headers["Content-Length"] = str(len(body))
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_fuzz_requests_never_break_the_server(start_server):
    """~500 seeded random requests (signed and not; known, unsupported and junk targets; plausible,
    mistyped, non-JSON, empty, deeply nested and 2 MiB bodies; odd content types, big headers):
    every answer is HTTP with a JSON body (`__type` on errors, no 5xx but 503), the server stays
    up, and afterwards what ListTrails/ListChannels list is consistent with Get*/Describe*."""
    srv = start_server()
    rng = random.Random(20261121)
    fuzz = Fuzzer(rng, srv.account_id)
    problems: list[str] = []
    n_requests, n_ok, started = 500, 0, time.monotonic()
    statuses: dict[int, int] = {}
    big_body_at = {rng.randrange(50, 250), rng.randrange(250, 450)}
    for n in range(n_requests):
        target, operation = fuzz.target()
        body = b"x" * (2 * 1024 * 1024) if n in big_body_at else fuzz.body(operation)
        headers: dict[str, str] = {}
        if target is not None:
            headers["X-Amz-Target"] = target
        roll = rng.random()
        headers["Content-Type"] = JSON_11 if roll < 0.8 else rng.choice(["application/json", "text/plain", "", "application/xml"])
        if rng.random() < 0.05:
            headers["X-Fuzz-Filler"] = "h" * rng.randint(8 * 1024, 64 * 1024)
        method, path = "POST", "/"
        if rng.random() < 0.05:
            method, path = rng.choice([("GET", "/"), ("PUT", "/"), ("POST", "/opentrail"), ("POST", "/v1/../"), ("DELETE", "/x")])
        signed = rng.random() < 0.85
        service = rng.choice(["cloudtrail"] * 19 + ["s3"])
        try:
            if signed:
                credentials = rng.choice([None] * 9 + [(srv.access_key_id, "bad" + srv.secret_access_key[3:])])
                response = srv.signed_request(method, path, body, service=service,
                                              headers=headers, credentials=credentials, region=rng.choice(FUZZ_REGIONS))
                status, response_headers, data = response.status, response.headers, response.body
            else:
                status, response_headers, data = _send_raw(srv, method, path, body, headers)
        except (OSError, http.client.HTTPException) as err:
            problems.append(f"#{n} {target} {body[:80]!r}: no HTTP answer: {err!r}")
            continue
        statuses[status] = statuses.get(status, 0) + 1
        where = f"#{n} {method} {path} {target} signed={signed} body={body[:120]!r}"
        if status >= 500 and status != 503:
            problems.append(f"{where}: HTTP {status} {data[:300]!r}")
            continue
        if signed and service == "s3" and (data.startswith(b"<?xml") or target is None):
            # Signed for S3 and not aimed at CloudTrail: OpenTrail's read-only S3 API answers in
            # S3's XML shape (errors carry a <Code>). With an X-Amz-Target the CloudTrail handler
            # answers first, with a JSON signature error, checked below like any other.
            if not data.startswith(b"<?xml") or (status >= 400 and b"<Code>" not in data):
                problems.append(f"{where}: HTTP {status} S3 answer is not S3 XML: {data[:200]!r}")
            continue
        try:
            payload = json.loads(data)
        except ValueError:
            problems.append(f"{where}: HTTP {status} body is not JSON: {data[:200]!r}")
            continue
        if not isinstance(payload, dict):
            problems.append(f"{where}: HTTP {status} body is not a JSON object")
        elif status == 200:
            n_ok += 1
            if response_headers.get("content-type") != JSON_11:
                problems.append(f"{where}: HTTP 200 with content-type {response_headers.get('content-type')}")
            if operation == "CreateChannel" and isinstance(payload.get("ChannelArn"), str):
                fuzz.channels.append(payload["ChannelArn"])
        elif not isinstance(payload.get("__type"), str) or not payload["__type"] or "message" not in payload:
            problems.append(f"{where}: HTTP {status} error without __type/message: {payload}")
        elif response_headers.get("x-amzn-errortype") != payload["__type"]:
            problems.append(f"{where}: x-amzn-ErrorType {response_headers.get('x-amzn-errortype')} != {payload['__type']}")
        if not UUID_RE.match(response_headers.get("x-amzn-requestid", "")):
            problems.append(f"{where}: no x-amzn-RequestId")
        if n % 50 == 49:
            status, _, data = _send_raw(srv, "GET", "/health", b"", {})
            assert status == 200 and json.loads(data)["status"] == "ok", (n, status, data)
    elapsed = time.monotonic() - started
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:20])
    assert n_ok >= 20, f"too few successful calls to have reached the handlers: {statuses}"
    assert elapsed < 20, f"{n_requests} requests took {elapsed:.1f}s"
    assert srv.proc.poll() is None, "the server died"

    # Afterwards: consistent state, as both clients see it.
    boto = Boto(srv)
    listed = boto.run("list_trails", paginate=True)["Trails"]
    for info in listed:
        trail = boto.run("get_trail", region=info["HomeRegion"], Name=info["TrailARN"])["Trail"]
        assert (trail["Name"], trail["TrailARN"], trail["HomeRegion"]) == (info["Name"], info["TrailARN"], info["HomeRegion"])
        assert trail["TrailARN"] == f"arn:aws:cloudtrail:{info['HomeRegion']}:{srv.account_id}:trail/{info['Name']}"
        boto.run("get_trail_status", region=info["HomeRegion"], Name=info["TrailARN"])
        selectors = boto.run("get_event_selectors", region=info["HomeRegion"], TrailName=info["TrailARN"])
        assert ("EventSelectors" in selectors) != ("AdvancedEventSelectors" in selectors)
        if trail["HasInsightSelectors"]:
            assert boto.run("get_insight_selectors", region=info["HomeRegion"], TrailName=info["TrailARN"])["InsightSelectors"]
    arns = {t["TrailARN"] for t in listed}
    for region in FUZZ_REGIONS:
        described = boto.run("describe_trails", region=region)["trailList"]
        assert {t["TrailARN"] for t in described} <= arns
        homed_here = {t["TrailARN"] for t in listed if t["HomeRegion"] == region}
        assert homed_here <= {t["TrailARN"] for t in described}
    channels = boto.run("list_channels")["Channels"]
    for channel in channels:
        assert boto.run("get_channel", Channel=channel["ChannelArn"])["Name"] == channel["Name"]
    cli = Cli(srv)
    described, cli_channels = parallel(lambda: cli.run("describe-trails"), lambda: cli.run("list-channels"))
    assert {t["TrailARN"] for t in described["trailList"]} == {t["TrailARN"] for t in boto.run("describe_trails")["trailList"]}
    assert {c["ChannelArn"] for c in cli_channels["Channels"]} == {c["ChannelArn"] for c in channels}
