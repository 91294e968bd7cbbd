"""Event history through the real clients: `aws cloudtrail lookup-events` and boto3's paginator
against generated traffic, compared with an oracle computed here from the ingested records.

- every lookup attribute, time ranges, several thousand results paginated with no duplicate and
  no gap, in AWS's order (newest first);
- who sees what: an account its own events, the organization's management account its members',
  the request region only; Insights events only with `--event-category insight`;
- an event is visible within 1 s of its acknowledgement;
- retention hides old events and removes their files;
- AWS's error codes; `opentrail lookup`; restart keeps everything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import OPENTRAIL_BIN, Server, cli_error_code, run_opentrail
from e2e_helpers import new_key

MGMT, MEMBER, OUTSIDER = "111122223333", "444455556666", "777788889999"
REGION = "us-east-1"
N_GENERATED = 15000
NOW = int(time.time())
# Generated traffic (10 events/s) starts two days ago: well inside the window, well before the
# self-audit records of this test's own calls.
GEN_START = NOW - 2 * 86_400
GEN_END = GEN_START + N_GENERATED // 10 + 3600


def iso(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the oracle: what event history must hold, derived independently from the records -------

PARAMETER_RESOURCES = {
    "s3.amazonaws.com": [("requestParameters.bucketName", "AWS::S3::Bucket")],
    "iam.amazonaws.com": [
        ("requestParameters.userName", "AWS::IAM::User"),
        ("requestParameters.roleName", "AWS::IAM::Role"),
        ("requestParameters.groupName", "AWS::IAM::Group"),
        ("requestParameters.policyArn", "AWS::IAM::Policy"),
        ("requestParameters.instanceProfileName", "AWS::IAM::InstanceProfile"),
        ("requestParameters.accessKeyId", "AWS::IAM::AccessKey"),
        ("responseElements.accessKey.accessKeyId", "AWS::IAM::AccessKey"),
    ],
    "ec2.amazonaws.com": [
        ("requestParameters.instancesSet.items[].instanceId", "AWS::EC2::Instance"),
        ("responseElements.instancesSet.items[].instanceId", "AWS::EC2::Instance"),
        ("requestParameters.instanceId", "AWS::EC2::Instance"),
        ("requestParameters.groupId", "AWS::EC2::SecurityGroup"),
        ("responseElements.groupId", "AWS::EC2::SecurityGroup"),
        ("requestParameters.vpcId", "AWS::EC2::VPC"),
        ("requestParameters.subnetId", "AWS::EC2::Subnet"),
        ("requestParameters.volumeId", "AWS::EC2::Volume"),
        ("requestParameters.snapshotId", "AWS::EC2::Snapshot"),
        ("requestParameters.imageId", "AWS::EC2::Ami"),
        ("requestParameters.keyName", "AWS::EC2::KeyPair"),
        ("requestParameters.networkAclId", "AWS::EC2::NetworkAcl"),
        ("requestParameters.routeTableId", "AWS::EC2::RouteTable"),
        ("requestParameters.internetGatewayId", "AWS::EC2::InternetGateway"),
        ("requestParameters.customerGatewayId", "AWS::EC2::CustomerGateway"),
        ("requestParameters.vpnGatewayId", "AWS::EC2::VPNGateway"),
    ],
    "kms.amazonaws.com": [("requestParameters.keyId", "AWS::KMS::Key")],
    "cloudtrail.amazonaws.com": [
        ("requestParameters.name", "AWS::CloudTrail::Trail"),
        ("requestParameters.trailName", "AWS::CloudTrail::Trail"),
    ],
    "lambda.amazonaws.com": [("requestParameters.functionName", "AWS::Lambda::Function")],
    "dynamodb.amazonaws.com": [("requestParameters.tableName", "AWS::DynamoDB::Table")],
    "logs.amazonaws.com": [("requestParameters.logGroupName", "AWS::Logs::LogGroup")],
    "secretsmanager.amazonaws.com": [
        ("requestParameters.secretId", "AWS::SecretsManager::Secret"),
        ("requestParameters.name", "AWS::SecretsManager::Secret"),
    ],
    "ssm.amazonaws.com": [("requestParameters.name", "AWS::SSM::Parameter")],
    "config.amazonaws.com": [
        ("requestParameters.configurationRecorder.name", "AWS::Config::ConfigurationRecorder"),
        ("requestParameters.configurationRecorderName", "AWS::Config::ConfigurationRecorder"),
    ],
}


def walk(value, path: list[str]):
    if not path:
        if isinstance(value, str):
            yield value
        return
    head, rest = path[0], path[1:]
    if not isinstance(value, dict):
        return
    if head.endswith("[]"):
        items = value.get(head[:-2])
        for item in items if isinstance(items, list) else []:
            yield from walk(item, rest)
    elif head in value:
        yield from walk(value[head], rest)


def resources(record: dict) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    listed = record.get("resources")
    if isinstance(listed, list) and listed:
        for r in listed:
            if isinstance(r, dict) and r.get("ARN"):
                entry = (r.get("type") or None, r["ARN"])
                if entry not in out:
                    out.append(entry)
        return out
    for path, kind in PARAMETER_RESOURCES.get(record.get("eventSource"), []):
        for name in walk(record, path.split(".")):
            if name and (kind, name) not in out:
                out.append((kind, name))
    return out


def username(record: dict) -> str | None:
    ui = record.get("userIdentity") or {}
    kind = ui.get("type")
    arn_tail = None
    if ui.get("arn"):
        arn_tail = ui["arn"].replace(":", "/").rsplit("/", 1)[-1] or None
    if kind == "Root":
        return "root"
    name = arn_tail if kind == "AssumedRole" else ui.get("userName") or None
    return name or arn_tail or ui.get("invokedBy") or ui.get("principalId")


def attributes(record: dict) -> set[tuple[str, str]]:
    ui = record.get("userIdentity") or {}
    values = {
        ("EventId", record.get("eventID")),
        ("EventName", record.get("eventName")),
        ("EventSource", record.get("eventSource")),
        ("AccessKeyId", ui.get("accessKeyId")),
        ("Username", username(record)),
    }
    if isinstance(record.get("readOnly"), bool):
        values.add(("ReadOnly", "true" if record["readOnly"] else "false"))
    for kind, name in resources(record):
        if kind:
            values.add(("ResourceType", kind))
        values.add(("ResourceName", name))
    return {(k, v) for k, v in values if v}


class Oracle:
    def __init__(self) -> None:
        # (time, order, record) of management events, in ingestion order.
        self.events: list[tuple[int, int, dict]] = []

    def add(self, record: dict) -> None:
        if record.get("eventCategory") != "Management":
            return
        t = int(dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
                .replace(tzinfo=dt.timezone.utc).timestamp())
        self.events.append((t, len(self.events), record))

    def answer(self, accounts: set[str], region: str = REGION, attribute: tuple[str, str] | None = None,
               start: int | None = None, end: int | None = None) -> list[str]:
        hits = [
            (t, order, r["eventID"]) for t, order, r in self.events
            if r.get("recipientAccountId") in accounts and r.get("awsRegion") == region
            and (start is None or t >= start) and (end is None or t <= end)
            and (attribute is None or attribute in attributes(r))
        ]
        hits.sort(reverse=True)
        return [event_id for _, _, event_id in hits]


# ---- the server ---------------------------------------------------------------------------------

class World:
    def __init__(self, server: Server, keys: dict[str, tuple[str, str]], oracle: Oracle, records: list[dict]):
        self.server = server
        self.keys = keys
        self.oracle = oracle
        self.records = records

    def env(self, who: str) -> dict[str, str]:
        key_id, secret = self.keys[who]
        return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}

    def boto(self, who: str, region: str = REGION):
        key_id, secret = self.keys[who]
        return self.server.boto3_client("cloudtrail", region=region, access_key_id=key_id,
                                        secret_access_key=secret)

    def cli_lookup(self, who: str, *args: str, region: str = REGION) -> list[dict]:
        proc = self.server.aws("cloudtrail", "lookup-events", "--region", region, "--output", "json",
                               *args, env=self.env(who))
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout or "{}").get("Events", [])


def ingest(server: Server, lines: list[bytes], key: tuple[str, str]) -> None:
    for i in range(0, len(lines), 1000):
        body = b"\n".join(lines[i:i + 1000]) + b"\n"
        response = server.native_ingest(body, credentials=key)
        assert response.status == 200, response.body
        answer = response.json()
        assert answer["rejected"] == 0, answer


@pytest.fixture(scope="module")
def world(start_server, tmp_path_factory) -> World:
    keys = {name: new_key() for name in ["admin", "member-admin", "outsider"]}

    def key(name):
        return f'{{ id = "{keys[name][0]}", secret = "{keys[name][1]}" }}'

    config = f"""
version = 1

[[accounts]]
id = "{MGMT}"
name = "management"

[[accounts]]
id = "{MEMBER}"
name = "member"

[[accounts]]
id = "{OUTSIDER}"
name = "outsider"
root_access_keys = [{key("outsider")}]

[organization]
id = "o-lookuptest12"
management_account = "{MGMT}"
member_accounts = ["{MEMBER}"]

[[users]]
account = "{MGMT}"
name = "admin"
policies = ["AdministratorAccess"]
access_keys = [{key("admin")}]

[[users]]
account = "{MEMBER}"
name = "member-admin"
policies = ["AdministratorAccess"]
access_keys = [{key("member-admin")}]
"""
    work = tmp_path_factory.mktemp("lookup")
    path = work / "opentrail.toml"
    path.write_text(config)
    server = start_server("--config", str(path))
    generated = work / "generated.ndjson"
    run_opentrail("gen", "--count", str(N_GENERATED), "--seed", "23", "--start", iso(GEN_START),
                  "--output", str(generated), timeout=120)
    lines = [line for line in generated.read_bytes().split(b"\n") if line]
    oracle = Oracle()
    records = [json.loads(line) for line in lines]
    for record in records:
        oracle.add(record)
    # Each account's events come from a principal allowed to write them: the management
    # account's administrator writes its own and its member's; the outsider writes its own.
    outsider_lines = [line for line, r in zip(lines, records) if r.get("recipientAccountId") == OUTSIDER]
    ingest(server, [line for line, r in zip(lines, records) if r.get("recipientAccountId") != OUTSIDER], keys["admin"])
    ingest(server, outsider_lines, keys["outsider"])
    world = World(server, keys, oracle, records)
    # Wait until the last generated event is in history (the consumer runs beside ingest).
    last = oracle.answer({MGMT})[0]
    deadline = time.monotonic() + 30
    while not world.boto("admin").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": last}])["Events"]:
        assert time.monotonic() < deadline, "generated events never reached event history"
        time.sleep(0.2)
    return world


def sample_values(world: World) -> list[tuple[str, str]]:
    """Two values of every attribute that the management account's traffic has."""
    chosen: dict[str, list[str]] = {}
    for _, _, record in world.oracle.events[::37]:
        if record.get("recipientAccountId") != MGMT or record.get("awsRegion") != REGION:
            continue
        for attribute, value in sorted(attributes(record)):
            values = chosen.setdefault(attribute, [])
            if len(values) < 2 and value not in values:
                values.append(value)
    assert set(chosen) == {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
                           "EventSource", "AccessKeyId"}, chosen.keys()
    return [(attribute, value) for attribute, values in sorted(chosen.items()) for value in values]


# ---- tests -----------------------------------------------------------------------------------------

def test_cli_lookup_by_every_attribute_equals_the_oracle(world):
    n_compared = 0
    for attribute, value in sample_values(world):
        events = world.cli_lookup("admin", "--lookup-attributes", f"AttributeKey={attribute},AttributeValue={value}",
                                  "--end-time", str(GEN_END), "--page-size", "50")
        got = [e["EventId"] for e in events]
        expected = world.oracle.answer({MGMT, MEMBER}, attribute=(attribute, value), end=GEN_END)
        assert got == expected, f"{attribute}={value}: {len(got)} answered, {len(expected)} expected"
        assert len(set(got)) == len(got), "duplicates"
        n_compared += len(got)
    assert n_compared > 3000


def test_cli_paginates_thousands_without_duplicates_or_gaps(world):
    # ReadOnly=true over the whole window: thousands of events, 50 per page.
    events = world.cli_lookup("admin", "--lookup-attributes", "AttributeKey=ReadOnly,AttributeValue=true",
                              "--end-time", str(GEN_END))
    expected = world.oracle.answer({MGMT, MEMBER}, attribute=("ReadOnly", "true"), end=GEN_END)
    assert len(expected) > 3000
    assert [e["EventId"] for e in events] == expected
    # A time range, newest first, inclusive bounds, and the CLI's own --max-items/--starting-token.
    start, end = GEN_START + 120, GEN_START + 1020
    expected = world.oracle.answer({MGMT, MEMBER}, start=start, end=end)
    assert len(expected) > 500
    first = world.server.aws("cloudtrail", "lookup-events", "--start-time", str(start), "--end-time", str(end),
                             "--max-items", "130", "--page-size", "40", "--output", "json", env=world.env("admin"))
    assert first.returncode == 0, first.stderr
    first = json.loads(first.stdout)
    rest = world.cli_lookup("admin", "--start-time", str(start), "--end-time", str(end), "--page-size", "40",
                            "--starting-token", first["NextToken"])
    assert [e["EventId"] for e in first["Events"] + rest] == expected


def test_boto3_paginator_equals_the_oracle(world):
    paginator = world.boto("admin").get_paginator("lookup_events")
    for attribute, value in [("EventSource", "sts.amazonaws.com"), ("EventName", "Decrypt"), ("ReadOnly", "false")]:
        pages = paginator.paginate(LookupAttributes=[{"AttributeKey": attribute, "AttributeValue": value}],
                                   EndTime=dt.datetime.fromtimestamp(GEN_END, dt.timezone.utc),
                                   PaginationConfig={"PageSize": 37})
        got = [e["EventId"] for page in pages for e in page["Events"]]
        assert got == world.oracle.answer({MGMT, MEMBER}, attribute=(attribute, value), end=GEN_END), attribute
        assert len(got) > 100


def test_event_shape_carries_the_stored_record(world):
    events = world.boto("admin").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}],
        EndTime=dt.datetime.fromtimestamp(GEN_END, dt.timezone.utc), MaxResults=5)["Events"]
    assert len(events) == 5
    by_id = {r["eventID"]: r for r in world.records}
    for event in events:
        record = by_id[event["EventId"]]
        assert json.loads(event["CloudTrailEvent"]) == record
        assert event["EventName"] == record["eventName"]
        assert event["EventSource"] == "kms.amazonaws.com"
        assert event["ReadOnly"] in ("true", "false") and event["ReadOnly"] == str(record["readOnly"]).lower()
        assert event["EventTime"].timestamp() == dt.datetime.strptime(
            record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
        assert event.get("AccessKeyId") == record["userIdentity"].get("accessKeyId")
        assert event.get("Username") == username(record)
        assert [(r.get("ResourceType"), r["ResourceName"]) for r in event["Resources"]] == resources(record)


def test_accounts_see_their_own_events_and_the_management_account_its_members(world):
    window = ["--start-time", str(GEN_START), "--end-time", str(GEN_END)]
    attribute = ["--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole"]
    member = [e["EventId"] for e in world.cli_lookup("member-admin", *window, *attribute)]
    assert member == world.oracle.answer({MEMBER}, attribute=("EventName", "AssumeRole"), start=GEN_START, end=GEN_END)
    outsider = [e["EventId"] for e in world.cli_lookup("outsider", *window, *attribute)]
    assert outsider == world.oracle.answer({OUTSIDER}, attribute=("EventName", "AssumeRole"), start=GEN_START,
                                           end=GEN_END)
    assert member and outsider
    management = [e["EventId"] for e in world.cli_lookup("admin", *window, *attribute)]
    assert set(member) <= set(management) and not set(outsider) & set(management)
    # The request region only.
    eu = [e["EventId"] for e in world.cli_lookup("admin", *window, region="eu-west-1")]
    assert eu == world.oracle.answer({MGMT, MEMBER}, region="eu-west-1", start=GEN_START, end=GEN_END)
    assert eu


def test_insights_events_answer_only_the_insight_category(world):
    shared = Path(os.environ.get("OPENTRAIL_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
    doc = json.loads((shared / "data/cloudtrail/lookup/awsdocs-cloudtrail-user-guide-lookup-events-example-01.json")
                     .read_text())
    insights = []
    for i, event in enumerate(doc["Events"]):
        event = dict(event, recipientAccountId=MGMT, eventTime=iso(NOW - 3600 + i), eventID=str(uuid.uuid4()))
        insights.append(event)
    ingest(world.server, [json.dumps(e).encode() for e in insights], world.keys["admin"])
    client = world.boto("admin")
    deadline = time.monotonic() + 5
    while True:
        found = client.lookup_events(EventCategory="insight")["Events"]
        if len(found) == len(insights) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [e["EventId"] for e in found] == [e["eventID"] for e in reversed(insights)]
    assert found[0]["EventName"] == insights[-1]["insightDetails"]["eventName"]
    assert json.loads(found[0]["CloudTrailEvent"]) == insights[-1]
    ids = {e["eventID"] for e in insights}
    management = client.lookup_events(StartTime=dt.datetime.fromtimestamp(NOW - 3700, dt.timezone.utc),
                                      EndTime=dt.datetime.fromtimestamp(NOW - 3000, dt.timezone.utc))["Events"]
    assert not ids & {e["EventId"] for e in management}


def test_an_event_is_visible_within_a_second_of_its_acknowledgement(world):
    client = world.boto("admin")
    delays = []
    for i in range(5):
        event_id = str(uuid.uuid4())
        record = dict(world.records[0], eventID=event_id, recipientAccountId=MGMT, awsRegion=REGION,
                      eventTime=iso(int(time.time())), eventCategory="Management", managementEvent=True)
        response = world.server.native_ingest(json.dumps(record) + "\n", credentials=world.keys["admin"])
        acked = time.monotonic()
        assert response.status == 200 and response.json()["accepted"] == 1
        while not client.lookup_events(
                LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event_id}])["Events"]:
            assert time.monotonic() - acked < 5, "not visible after 5 s"
            time.sleep(0.01)
        delays.append(time.monotonic() - acked)
    print(f"acknowledgement to visible in LookupEvents: {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")
    assert max(delays) < 1.0, delays


def test_errors_use_the_aws_codes(world):
    client = world.boto("admin")
    attribute = {"AttributeKey": "Username", "AttributeValue": "alice"}
    cases = [
        ({"LookupAttributes": [attribute, attribute]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "red"}]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "x" * 2001}]},
         "InvalidLookupAttributesException"),
        ({"StartTime": dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc),
          "EndTime": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)}, "InvalidTimeRangeException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as err:
            client.lookup_events(**params)
        assert err.value.response["Error"]["Code"] == code, params
    # A token only continues the request it came from.
    page = client.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}],
                                MaxResults=2)
    with pytest.raises(ClientError) as err:
        client.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
                             NextToken=page["NextToken"])
    assert err.value.response["Error"]["Code"] == "InvalidNextTokenException"
    # boto3 refuses MaxResults 0 itself; the server does too.
    raw = world.server.signed_request(
        "POST", "/", json.dumps({"MaxResults": 0}), service="cloudtrail", credentials=world.keys["admin"],
        headers={"X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                 "Content-Type": "application/x-amz-json-1.1"})
    assert raw.status == 400 and raw.json()["__type"].endswith("InvalidMaxResultsException"), raw.body
    proc = world.server.aws("cloudtrail", "lookup-events", "--page-size", "60", env=world.env("admin"))
    assert cli_error_code(proc) == "InvalidMaxResultsException", proc.stderr


def test_opentrail_lookup_command(world):
    env = dict(world.server.env, **world.env("admin"), AWS_ENDPOINT_URL=world.server.endpoint, AWS_REGION=REGION)
    value = next(v for a, v in sample_values(world) if a == "Username")
    proc = subprocess.run([OPENTRAIL_BIN, "lookup", "--username", value, "--end-time", str(GEN_END),
                           "--max-items", "0", "--output", "json"], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [e["EventId"] for e in got] == world.oracle.answer({MGMT, MEMBER}, attribute=("Username", value),
                                                              end=GEN_END)
    assert isinstance(got[0]["CloudTrailEvent"], dict)
    table = subprocess.run([OPENTRAIL_BIN, "lookup", "--event-name", "AssumeRole", "--max-items", "7"], env=env,
                           capture_output=True, timeout=60)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.decode().splitlines()
    assert lines[0].startswith("EVENT TIME") and len(lines) == 8
    assert all("AssumeRole" in line for line in lines[1:])
    bad = subprocess.run([OPENTRAIL_BIN, "lookup", "--username", "a", "--event-name", "b"], env=env,
                         capture_output=True, timeout=60)
    assert bad.returncode == 2 and b"cannot be used with" in bad.stderr


def test_history_survives_a_restart(world):
    before = [e["EventId"] for e in world.cli_lookup(
        "admin", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt", "--end-time", str(GEN_END))]
    assert world.server.stop() == 0
    world.server.start()
    after = [e["EventId"] for e in world.cli_lookup(
        "admin", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt", "--end-time", str(GEN_END))]
    assert before == after and after


def test_retention_hides_old_events_and_reclaims_their_space(start_server):
    server = start_server("--history-retention", "20s")
    history = server.data_dir / "history"
    client = server.boto3_client("cloudtrail")
    now = int(time.time())
    records = [{
        "eventVersion": "1.11", "eventTime": iso(now - 2), "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser", "awsRegion": REGION, "eventID": str(uuid.uuid4()),
        "sourceIPAddress": "203.0.113.9", "userAgent": "e2e", "requestID": str(uuid.uuid4()),
        "userIdentity": {"type": "IAMUser", "userName": "retention-test", "accountId": server.account_id},
        "requestParameters": {"userName": f"user-{i}", "padding": secrets.token_hex(200)},
        "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True, "eventCategory": "Management",
    } for i in range(300)]
    response = server.native_ingest("\n".join(json.dumps(r) for r in records) + "\n")
    assert response.json()["accepted"] == 300, response.body[:2000]
    by_user = [{"AttributeKey": "Username", "AttributeValue": "retention-test"}]
    deadline = time.monotonic() + 5
    while len(client.lookup_events(LookupAttributes=by_user)["Events"]) < 50:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # With a 20 s window, segments seal within a second; wait for the files that hold them.
    deadline = time.monotonic() + 10
    while not list(history.glob("*.seg")):
        assert time.monotonic() < deadline, "no segment sealed"
        time.sleep(0.5)
    sealed_before = {p.name: p.stat().st_size for p in history.glob("*.seg")}
    assert sum(sealed_before.values()) > 50_000
    # Past the window: hidden at once, files removed by housekeeping.
    time.sleep(max(0.0, now + 21 - time.time()))
    assert client.lookup_events(LookupAttributes=by_user)["Events"] == []
    deadline = time.monotonic() + 30
    while set(sealed_before) & {p.name for p in history.glob("*.seg")}:
        assert time.monotonic() < deadline, "expired segments were not removed"
        time.sleep(0.5)
    assert server.stop() == 0
