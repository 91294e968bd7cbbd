"""Hostile tenants and hostile input (issue 15), from the attacker's side with real clients.

Each test names the finding it proves closed (its number in the issue).
"""

import http.client
import json
import re
import socket
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import Response, Server

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON_11 = "application/x-amz-json-1.1"


def test_2_failed_authentication_writes_nothing_in_the_key_owners_name(server: Server):
    """A stranger who knows an access key id (not its secret) sends StopLogging with a 200 KB body,
    signed with a wrong secret: the call fails, and nothing of it reaches the audit trail, so no
    event, no CloudTrail-changes alarm and no disk filled in the key owner's name."""
    marker = "forged-" + uuid.uuid4().hex
    body = json.dumps({"Name": marker, "Padding": "x" * 200_000})
    wrong = (server.access_key_id, "w" * 40)
    response = server.signed_request(
        "POST", "/", body, service="cloudtrail", credentials=wrong,
        headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "StopLogging"},
    )
    assert response.status == 400, response.body
    assert json.loads(response.body)["__type"] == "InvalidSignatureException"
    request_id = response.headers["x-amzn-requestid"]
    # A correctly signed call after it is recorded, so the WAL was read past the forged one.
    good = server.signed_request(
        "POST", "/", "{}", service="cloudtrail",
        headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "ListTrails"},
    )
    assert good.status == 200, good.body
    raw = server.wal_dump_raw()
    assert any(good.headers["x-amzn-requestid"] in line for line in raw)
    assert not any(marker in line or request_id in line for line in raw), "the forged call was recorded"


def test_7_put_audit_events_needs_its_iam_action(start_server, tmp_path_factory):
    """A read-only user of the channel's own account cannot write events into it; a user whose
    policy allows `cloudtrail-data:PutAuditEvents` (and the account's root) can."""
    from e2e_helpers import audit_event, event_data, new_key

    account = "210987654321"
    keys = {name: new_key() for name in ("root", "reader", "writer")}

    def key(name):
        return f'{{ id = "{keys[name][0]}", secret = "{keys[name][1]}" }}'

    config = f"""
version = 1

[[accounts]]
id = "{account}"
name = "tenant"
root_access_keys = [{key("root")}]

[[users]]
account = "{account}"
name = "reader"
policies = ["AWSCloudTrail_ReadOnlyAccess"]
access_keys = [{key("reader")}]

[[users]]
account = "{account}"
name = "writer"
access_keys = [{key("writer")}]
[[users.statements]]
effect = "Allow"
actions = ["cloudtrail-data:PutAuditEvents"]
resources = ["*"]
"""
    path = tmp_path_factory.mktemp("hostile-7") / "opentrail.toml"
    path.write_text(config)
    server = start_server("--config", str(path))

    def client(service, name):
        access_key_id, secret = keys[name]
        return server.boto3_client(service, access_key_id=access_key_id, secret_access_key=secret)

    store = f"arn:aws:cloudtrail:{server.region}:{account}:eventdatastore/{uuid.uuid4()}"
    channel = client("cloudtrail", "root").create_channel(
        Name="app", Source="Custom", Destinations=[{"Type": "EVENT_DATA_STORE", "Location": store}],
    )["ChannelArn"]
    event = audit_event(event_data(account))
    import botocore.exceptions
    try:
        client("cloudtrail-data", "reader").put_audit_events(channelArn=channel, auditEvents=[event])
        raise AssertionError("a read-only user wrote an event")
    except botocore.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == "AccessDeniedException", err.response
    for name in ("writer", "root"):
        answer = client("cloudtrail-data", name).put_audit_events(
            channelArn=channel, auditEvents=[audit_event(event_data(account))],
        )
        assert len(answer["successful"]) == 1 and not answer["failed"], (name, answer)


def test_10_ready_tells_a_stranger_no_details(start_server):
    """`/ready` answers anyone: when the server cannot accept events it says so, but names no
    free space, path or WAL position (those are in the server's log)."""
    server = start_server("--disk-free-bytes-min", str(10**18))
    ready = server.signed_request("GET", "/ready", sign=False)
    assert ready.status == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert not any(ch.isdigit() for ch in body["reason"]), body
    assert "/" not in body["reason"], body


def test_8_webhook_secrets_stay_out_of_the_audit_trail(server: Server):
    """A notification target's webhook URL carries its secret in the path: the CreateTopic
    event that records the call (which read-only users may look up, and trails deliver) keeps
    only the scheme, host and a hash."""
    secret = "T0SECRET/B0SECRET/" + uuid.uuid4().hex
    name = "hostile-" + uuid.uuid4().hex[:8]
    body = json.dumps({"Name": name, "SlackWebhooks": [f"https://hooks.slack.example/services/{secret}"],
                       "Webhooks": [f"https://alerts.example/hook?token={secret}"]})
    created = server.signed_request("POST", "/v1/notification-targets", body, service="opentrail",
                                    headers={"Content-Type": "application/json"})
    assert created.status == 200, created.body
    records = [json.loads(line) for line in server.wal_dump_raw() if name in line]
    assert records and all(r["eventName"] == "CreateTopic" for r in records), records
    text = json.dumps(records)
    assert secret not in text and "T0SECRET" not in text, text
    webhooks = records[-1]["requestParameters"]["webhooks"]
    assert webhooks[0].startswith("https://alerts.example/…#sha256:"), webhooks
    # What a read-only user of the account sees: `aws cloudtrail lookup-events`.
    [event_id] = {r["eventID"] for r in records}
    deadline = time.monotonic() + 15
    while True:
        lookup = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                            f"AttributeKey=EventId,AttributeValue={event_id}")
        assert lookup.returncode == 0, lookup.stderr
        if json.loads(lookup.stdout)["Events"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert name in lookup.stdout, lookup.stdout
    assert secret not in lookup.stdout and "T0SECRET" not in lookup.stdout, lookup.stdout
    server.signed_request("DELETE", f"/v1/notification-targets/{name}", service="opentrail")


def two_tenants(start_server, tmp_path_factory, name: str):
    """A server with accounts A and B, each with a root key: (server, keys, accounts)."""
    from e2e_helpers import new_key

    accounts = {"A": "310987654321", "B": "410987654321"}
    keys = {tenant: new_key() for tenant in accounts}
    config = "version = 1\n" + "".join(
        f'\n[[accounts]]\nid = "{accounts[t]}"\nname = "tenant-{t}"\n'
        f'root_access_keys = [{{ id = "{keys[t][0]}", secret = "{keys[t][1]}" }}]\n'
        for t in accounts
    )
    path = tmp_path_factory.mktemp(name) / "opentrail.toml"
    path.write_text(config)
    return start_server("--config", str(path)), keys, accounts


def test_5_an_alarm_cannot_notify_another_accounts_target(start_server, tmp_path_factory):
    """B cannot point an alarm at A's notification target (and so cannot make A's webhook or
    inbox receive B's messages, nor read A's delivery errors): the action is refused as if the
    target did not exist."""
    server, keys, accounts = two_tenants(start_server, tmp_path_factory, "hostile-5")

    def api(tenant, method, path, body=None):
        response = server.signed_request(method, path, json.dumps(body) if body is not None else b"",
                                         credentials=keys[tenant],
                                         headers={"Content-Type": "application/json"})
        return response.status, (json.loads(response.body) if response.body else {})

    status, body = api("A", "POST", "/v1/notification-targets",
                       {"Name": "a-oncall", "Webhooks": ["https://a.example/hook"]})
    assert status == 200, body
    topic = body["NotificationTarget"]["TopicArn"]
    assert f":{accounts['A']}:" in topic
    alarm = {"AlarmName": "b-alarm", "MetricName": "Denied", "Namespace": "Custom", "Statistic": "Sum",
             "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
             "ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": [topic]}
    status, body = api("B", "POST", "/v1/alarms", alarm)
    assert status == 400 and body["__type"] == "InvalidParameterValue", body
    assert "names no notification target" in body["message"], body
    # A may use its own target.
    status, body = api("A", "POST", "/v1/alarms", dict(alarm, AlarmName="a-alarm"))
    assert status == 200, body


def record_for(account: str, event_id: str, name: str, region: str = "us-east-1", root: bool = True) -> dict:
    """A complete CloudTrail record of `account`'s root (or its IAM user `ops`) calling `name`."""
    identity = ({"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
                if root else {"type": "IAMUser", "principalId": "AIDAOPSEXAMPLE000001",
                              "arn": f"arn:aws:iam::{account}:user/ops", "accountId": account, "userName": "ops"})
    return {
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "eventSource": "cloudtrail.amazonaws.com", "eventName": name, "awsRegion": region,
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15", "requestParameters": {"name": "main"},
        "responseElements": None, "requestID": str(uuid.uuid4()), "eventID": event_id, "readOnly": False,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
        "eventCategory": "Management",
    }


def lookup_event(server: Server, credentials, event_id: str, timeout: float = 20) -> list[dict]:
    """The events LookupEvents shows the credentials' account for `event_id`, once indexed."""
    client = server.boto3_client("cloudtrail", access_key_id=credentials[0], secret_access_key=credentials[1])
    deadline = time.monotonic() + timeout
    while True:
        events = client.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event_id}])["Events"]
        if events or time.monotonic() > deadline:
            return [json.loads(e["CloudTrailEvent"]) for e in events]
        time.sleep(0.5)


def test_1_native_ingest_cannot_forge_or_claim_another_accounts_evidence(start_server, tmp_path_factory):
    """With A's root key, a record for B (StopLogging by B's root) is refused, and its eventID is
    not claimed: B's own record with that eventID is stored later. Writing for another account
    takes an organization's management account with a policy allowing `opentrail:PutEvents` on
    the member's events; even then B's own copy of an eventID is B's."""
    from e2e_helpers import new_key

    management, member, outsider = "310987654321", "410987654321", "510987654321"
    keys = {name: new_key() for name in ("A", "B", "C", "ingester", "reader")}

    def root(account, name):
        return (f'\n[[accounts]]\nid = "{account}"\nname = "{name}"\n'
                f'root_access_keys = [{{ id = "{keys[name][0]}", secret = "{keys[name][1]}" }}]\n')

    config = "version = 1\n" + root(management, "A") + root(member, "B") + root(outsider, "C") + f"""
[organization]
id = "o-hostile1234"
management_account = "{management}"
member_accounts = ["{member}"]

[[users]]
account = "{management}"
name = "ingester"
access_keys = [{{ id = "{keys['ingester'][0]}", secret = "{keys['ingester'][1]}" }}]
[[users.statements]]
effect = "Allow"
actions = ["opentrail:PutEvents"]
resources = ["arn:aws:opentrail:*:{member}:events", "arn:aws:opentrail:*:{management}:events"]

[[users]]
account = "{management}"
name = "reader"
policies = ["AWSCloudTrail_ReadOnlyAccess"]
access_keys = [{{ id = "{keys['reader'][0]}", secret = "{keys['reader'][1]}" }}]
"""
    path = tmp_path_factory.mktemp("hostile-1") / "opentrail.toml"
    path.write_text(config)
    server = start_server("--config", str(path))

    def post(who, *records):
        body = "\n".join(json.dumps(r) for r in records) + "\n"
        response = server.native_ingest(body, credentials=keys[who])
        assert response.status == 200, response.body
        return response.json()["results"]

    # A (another account, and A's root is no management user with a policy) forges B's StopLogging.
    stolen_id = str(uuid.uuid4())
    [forged] = post("A", record_for(member, stolen_id, "StopLogging"))
    assert forged["status"] == "rejected", forged
    assert forged["errors"][0]["rule"] == "access-denied", forged
    # An outsider and a read-only user are refused too.
    assert post("C", record_for(member, str(uuid.uuid4()), "StopLogging"))[0]["status"] == "rejected"
    assert post("reader", record_for(management, str(uuid.uuid4()), "StopLogging"))[0]["status"] == "rejected"
    # B's real event with that eventID is stored, and B's history shows B's record, not A's.
    [real] = post("B", record_for(member, stolen_id, "DescribeTrails"))
    assert real == {"index": 0, "status": "accepted", "eventID": stolen_id}, real
    shown = lookup_event(server, keys["B"], stolen_id)
    assert [e["eventName"] for e in shown] == ["DescribeTrails"], shown

    # The management account's ingester may write the member's events, by its policy...
    shared_id = str(uuid.uuid4())
    [managed] = post("ingester", record_for(member, shared_id, "CreateTrail"))
    assert managed["status"] == "accepted", managed
    # ...but a member never writes the management account's, and B's own copy is still B's.
    assert post("B", record_for(management, str(uuid.uuid4()), "CreateTrail"))[0]["status"] == "rejected"
    [own] = post("B", record_for(member, shared_id, "CreateTrail"))
    assert own["status"] == "accepted", own
    [again] = post("B", record_for(member, shared_id, "CreateTrail"))
    assert again["status"] == "duplicate", again
    raw = server.wal_dump_raw()
    assert not any(stolen_id in line and "StopLogging" in line for line in raw), "the forgery was stored"


def test_4_self_audit_is_fail_closed_and_truncates_what_is_too_large(start_server):
    """A PutEventSelectors call echoing 480 values of 2,000 characters (about 1 MB each way) is
    recorded, its parameters and response replaced by CloudTrail's `omitted` marker; and when
    the WAL cannot take a record (the disk guard trips), a change is refused with an AWS error
    and not made."""
    server = start_server()
    client = server.boto3_client("cloudtrail")
    name = "hostile-4"
    client.create_trail(Name=name, S3BucketName="hostile-4-bucket")
    values = [f"{i:03d}" + "v" * 1997 for i in range(480)]
    selectors = [{"Name": "big", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::b/{v}" for v in values]},
    ]}]
    answer = client.put_event_selectors(TrailName=name, AdvancedEventSelectors=selectors)
    request_id = answer["ResponseMetadata"]["RequestId"]
    records = [json.loads(line) for line in server.wal_dump_raw() if request_id in line]
    assert len(records) == 1, "the call's record was not stored"
    [record] = records
    assert record["eventName"] == "PutEventSelectors"
    for field in ("requestParameters", "responseElements"):
        assert record[field]["omitted"] is True, record[field]
        assert record[field]["originalSize"] > 900_000, record[field]

    guarded = start_server("--disk-free-bytes-min", str(10**18))
    import botocore.exceptions
    try:
        guarded.boto3_client("cloudtrail").create_trail(Name="unrecorded", S3BucketName="unrecorded-bucket")
        raise AssertionError("a change was made that could not be recorded")
    except botocore.exceptions.ClientError as err:
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 503, err.response
    trails = guarded.boto3_client("cloudtrail").list_trails()["Trails"]
    assert "unrecorded" not in [t["Name"] for t in trails], trails


def test_10_credentials_must_name_a_real_region(server: Server):
    """Quotas are kept per region (5 trails per region): a request signed for an invented region
    is refused at authentication, before any quota or handler sees it."""
    response = server.signed_request(
        "POST", "/", json.dumps({"Name": "t", "S3BucketName": "b"}), service="cloudtrail",
        region="xx-invented-9", headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "CreateTrail"},
    )
    assert response.status == 400, response.body
    body = response.json()
    assert body["__type"] in ("IncompleteSignatureException", "InvalidSignatureException"), body
    assert "valid region" in body["message"], body
    ok = server.signed_request("POST", "/", "{}", service="cloudtrail", region="eu-west-1",
                               headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "ListTrails"})
    assert ok.status == 200, ok.body


def test_11_a_newcomers_first_start_is_secure_by_default(start_server, tmp_path_factory):
    """A newcomer starts OpenTrail and uses `admin.env` with the AWS CLI: their calls are an IAM
    user's (never Root: the CIS root-usage alarm stays quiet, though it notifies a webhook), the
    root key sits apart in a 0600 file, and the default trail (multi-region, global events,
    validation, logging) delivers log files and digests that `aws cloudtrail validate-logs`
    accepts from the first minute. A `cn-north-1` event never reaches this `aws`-partition trail."""
    from conftest import read_env_file
    from notify_sinks import WebhookReceiver

    with WebhookReceiver() as webhook:
        config = (f'version = 1\ndelivery_interval = "1s"\ndigest_interval = "2s"\n\n'
                  f'[[notification_targets]]\nname = "security"\nwebhooks = ["{webhook.url}"]\n\n'
                  f'[cis_pack]\ntarget = "security"\n')
        path = tmp_path_factory.mktemp("hostile-11") / "opentrail.toml"
        path.write_text(config)
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        server = start_server("--config", str(path), default_trail=True)
        banner = "\n".join(server.stdout_lines)
        assert "root.env" in banner and "management-events" in banner, banner
        # A quiet start: a handful of lines, none per alarm.
        assert len(server.stderr_lines) <= 6, server.stderr_text()

        root_env = server.data_dir / "root.env"
        assert root_env.stat().st_mode & 0o777 == 0o600
        root = read_env_file(root_env)
        assert root["AWS_ACCESS_KEY_ID"] != server.access_key_id

        trails = json.loads(server.aws("cloudtrail", "describe-trails").stdout)["trailList"]
        [trail] = trails
        assert (trail["Name"], trail["IsMultiRegionTrail"], trail["IncludeGlobalServiceEvents"],
                trail["LogFileValidationEnabled"]) == ("management-events", True, True, True), trail
        status = json.loads(server.aws("cloudtrail", "get-trail-status", "--name", "management-events").stdout)
        assert status["IsLogging"] is True, status
        lookup = server.aws("cloudtrail", "lookup-events", "--max-results", "5")
        assert lookup.returncode == 0, lookup.stderr

        # The newcomer's calls are the administrator's, an IAM user.
        def own_calls():
            return [r for r in server.wal_dump() if r.get("eventName") in ("DescribeTrails", "GetTrailStatus")]
        deadline = time.monotonic() + 10
        while len(own_calls()) < 2:
            assert time.monotonic() < deadline, server.wal_dump()
            time.sleep(0.2)
        identities = {(r["userIdentity"]["type"], r["userIdentity"].get("userName")) for r in own_calls()}
        assert identities == {("IAMUser", "admin")}, identities

        # Events of both partitions, written for the account by its administrator.
        account = server.account_id
        china, home = str(uuid.uuid4()), str(uuid.uuid4())
        response = server.native_ingest("\n".join(json.dumps(r) for r in (
            record_for(account, china, "DescribeTrails", region="cn-north-1", root=False),
            record_for(account, home, "DescribeTrails", region="eu-west-1", root=False),
        )))
        assert [r["status"] for r in response.json()["results"]] == ["accepted", "accepted"], response.body

        bucket_dir = server.data_dir / "buckets" / trail["S3BucketName"]

        def delivered_text():
            import gzip
            return "".join(gzip.decompress(p.read_bytes()).decode() for p in bucket_dir.rglob("*.json.gz")
                           if "/CloudTrail/" in p.as_posix() and ".meta" not in p.parts)
        deadline = time.monotonic() + 20
        while home not in delivered_text() or not list(bucket_dir.rglob("*CloudTrail-Digest*.json.gz")):
            assert time.monotonic() < deadline, sorted(p.name for p in bucket_dir.rglob("*"))
            time.sleep(0.5)
        assert china not in delivered_text(), "a cn-north-1 event reached an aws-partition trail"
        time.sleep(3)  # the digest covering the newest files
        result = server.aws("cloudtrail", "validate-logs", "--trail-arn", trail["TrailARN"], "--start-time", start)
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(r"^(\d+)/\1 digest files valid$", result.stdout, re.M), result.stdout
        assert re.search(r"^([1-9]\d*)/\1 log files valid$", result.stdout, re.M), result.stdout

        # Meanwhile the root-usage alarm never fired for the newcomer...
        state = server.signed_request("GET", "/v1/alarms/CIS-4.3-RootAccountUsage", service="opentrail").json()
        assert state["MetricAlarm"]["StateValue"] != "ALARM", state
        assert not webhook.deliveries, webhook.deliveries
        assert "alarm state changed" not in server.stderr_text(), server.stderr_text()
        # ...and does for the root key (so the quiet above is no accident).
        root_client = server.boto3_client("cloudtrail", access_key_id=root["AWS_ACCESS_KEY_ID"],
                                          secret_access_key=root["AWS_SECRET_ACCESS_KEY"])
        root_client.describe_trails()
        webhook.wait_for(1, timeout=30)
        names = [json.loads(json.loads(d.body)["Message"])["AlarmName"] for d in webhook.deliveries]
        assert "CIS-4.3-RootAccountUsage" in names, names


def fnv_subscription_arn(topic: str, protocol: str, endpoint: str) -> str:
    """What anyone can compute from a topic and an endpoint: the subscription ARN's suffix is an
    unkeyed FNV-1a hash (so the ARN alone must never be what unsubscribes)."""
    h = 0x6C62272E07BB014262B821756295C58D
    for byte in topic.encode() + b"\0" + protocol.encode() + b"\0" + endpoint.encode():
        h = ((h ^ byte) * 0x0000000001000000000000000000013B) % (1 << 128)
    b = bytearray(h.to_bytes(16, "big"))
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    x = b.hex()
    return f"{topic}:{x[0:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:32]}"


def test_3_unsubscribe_needs_the_keyed_token_and_is_audited(server: Server):
    """A stranger who computes a webhook's subscription ARN, or forges or omits the token, is
    refused (403 `AuthorizationError`), changes nothing and writes nothing; the target still
    notifies. The link of a received notification works once, and the target's account then
    finds the `Unsubscribe` event (by an anonymous principal) without the webhook's secret."""
    import time
    import urllib.parse
    from notify_sinks import WebhookReceiver

    def api(method, path, body=None):
        response = server.signed_request(method, path, json.dumps(body) if body is not None else b"",
                                         headers={"Content-Type": "application/json"})
        return response.status, (json.loads(response.body) if response.body else {})

    def notify(state):
        status, body = api("POST", f"/v1/alarms/{name}/state", {"StateValue": state, "StateReason": "drill"})
        assert status == 200, body

    secret = "HOOKSECRET" + uuid.uuid4().hex
    name = "hostile-3-" + uuid.uuid4().hex[:8]
    with WebhookReceiver() as webhook:
        hook = f"{webhook.url}/{secret}"
        status, body = api("POST", "/v1/notification-targets", {"Name": name, "Webhooks": [hook]})
        assert status == 200, body
        topic = body["NotificationTarget"]["TopicArn"]
        alarm = {"AlarmName": name, "MetricName": "Nothing", "Namespace": "Custom", "Statistic": "Sum",
                 "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "TreatMissingData": "ignore",
                 "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": [topic], "OKActions": [topic]}
        status, body = api("POST", "/v1/alarms", alarm)
        assert status == 200, body
        notify("ALARM")
        [first] = webhook.wait_for(1, timeout=15)
        arn = first.headers["x-amz-sns-subscription-arn"]
        assert fnv_subscription_arn(topic, "http", hook) == arn, "the attacker computes the ARN"

        # The attacker's tries: no token (as every link sent before tokens), forged, another's.
        marker = "attacker-" + uuid.uuid4().hex
        real = urllib.parse.urlsplit(first.json["UnsubscribeURL"])
        token = urllib.parse.parse_qs(real.query).get("Token", [""])[0]
        tries = [{"SubscriptionArn": arn}, {"SubscriptionArn": arn, "Token": "0" * 64},
                 {"SubscriptionArn": arn, "Token": marker},
                 {"SubscriptionArn": arn[:-1] + ("0" if arn[-1] != "0" else "1"), "Token": token}]
        for params in tries:
            refused = server.signed_request("GET", "/sns/unsubscribe", sign=False, headers={"User-Agent": marker},
                                            query=urllib.parse.urlencode({"Action": "Unsubscribe", **params}))
            assert refused.status == 403, (params, refused.body)
            assert b"<Code>AuthorizationError</Code>" in refused.body, refused.body
        assert not any(marker in line for line in server.wal_dump_raw()), "a refused attempt was recorded"
        webhook.clear()
        notify("OK")
        [second] = webhook.wait_for(1, timeout=15)
        assert second.path.endswith(secret), "the target still notifies"

        # The real link works, once.
        opened = server.signed_request("GET", real.path, sign=False, query=real.query)
        assert opened.status == 200 and b"UnsubscribeResponse" in opened.body, opened.body
        again = server.signed_request("GET", real.path, sign=False, query=real.query)
        assert again.status == 404 and b"<Code>NotFound</Code>" in again.body, again.body
        targets = api("GET", "/v1/notification-targets")[1]["NotificationTargets"]
        assert name not in [t["Name"] for t in targets], "its last endpoint went, so did the target"

    cloudtrail = server.boto3_client("cloudtrail")
    deadline = time.monotonic() + 30
    while True:
        events = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Unsubscribe"}])["Events"]
        mine = [e for e in events if arn in e["CloudTrailEvent"]]
        if len(mine) >= 2:
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.5)
    assert all(e["EventSource"] == "sns.amazonaws.com" for e in mine), mine
    records = sorted((json.loads(e["CloudTrailEvent"]) for e in mine), key=lambda r: "errorCode" in r)
    done, gone = records
    assert done["requestParameters"] == {"subscriptionArn": arn}, done
    assert "errorCode" not in done and gone["errorCode"] == "NotFound", records
    assert done["userIdentity"] == {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    assert done["recipientAccountId"] == server.account_id and done["awsRegion"] == server.region, done
    assert not any(secret in e["CloudTrailEvent"] or token in e["CloudTrailEvent"] for e in mine), mine
    api("DELETE", f"/v1/alarms/{name}")


def test_10_per_account_caps_refuse_with_limit_exceeded(start_server, tmp_path_factory):
    """A tenant cannot grow the catalog without bound: its 101st notification target is refused
    with SNS's `TopicLimitExceeded` and the 101st metric filter of a log group with CloudWatch
    Logs' `LimitExceededException` (AWS's quota of 100); replacing one of them still works, and
    another tenant's count is its own."""
    import botocore.exceptions

    server, keys, accounts = two_tenants(start_server, tmp_path_factory, "hostile-10")

    def create_target(tenant, name, hook="https://a.example/hook"):
        response = server.signed_request("POST", "/v1/notification-targets",
                                         json.dumps({"Name": name, "Webhooks": [hook]}),
                                         credentials=keys[tenant], headers={"Content-Type": "application/json"})
        return response.status, json.loads(response.body)

    for idx in range(100):
        status, body = create_target("A", f"t{idx:03}")
        assert status == 200, (idx, body)
    status, body = create_target("A", "one-too-many")
    assert status == 403 and body.get("__type") == "TopicLimitExceeded", (status, body)
    assert create_target("A", "t000", "https://a.example/other")[0] == 200, "a replacement is no new target"
    assert create_target("B", "one-too-many")[0] == 200, "B has a count of its own"

    access_key_id, secret = keys["A"]
    logs = server.boto3_client("logs", access_key_id=access_key_id, secret_access_key=secret)
    transformation = [{"metricName": "Stops", "metricNamespace": "Custom", "metricValue": "1"}]

    def put(log_group, filter_name):
        logs.put_metric_filter(logGroupName=log_group, filterName=filter_name,
                               filterPattern='{ $.eventName = "StopLogging" }',
                               metricTransformations=transformation)

    for idx in range(100):
        put("tenant/a", f"f{idx:03}")
    try:
        put("tenant/a", "one-too-many")
        raise AssertionError("the 101st metric filter of a log group was accepted")
    except botocore.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == "LimitExceededException", err.response
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    put("tenant/a", "f000")
    put("tenant/other", "f000")


# ---- finding 6: memory and connections at the edge ------------------------------------------

NATIVE_BODY_BYTES_MAX = 16 * 1024 * 1024
HEADER_READ_TIMEOUT_S = 10


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class _RssPeak:
    """Samples a process's resident memory every 5 ms until stopped; `peak_mb` is the highest."""

    def __init__(self, pid: int):
        self.pid, self.peak_mb, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _rss_mb(self.pid))
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.2)  # memory freed late still counts
        self._stop.set()
        self._thread.join()


def _gzip_bomb(zeros: int) -> bytes:
    """A gzip body decoding to `{"Records":[0,0,…]}`: under the decoded-size cap, far over the
    record limit."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b'{"Records":[0')]
    chunk = b",0" * 1_000_000
    for _ in range(zeros // 1_000_000):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.compress(b"]}") + compressor.flush())
    return b"".join(parts)


def test_6_a_gzip_bomb_is_refused_at_once_and_memory_stays_small(start_server):
    """A 60 KB signed gzip body that expands to 30 million zeros in `Records` (60 MB, under the
    64 MiB decoded cap) is answered 413 within a second, alone and from 8 senders at once, and
    the server's resident memory stays under 300 MB throughout: the record count is checked as
    the body decodes, not after a document of 30 million values was built."""
    server = start_server()
    bomb = _gzip_bomb(30_000_000)
    assert len(bomb) < 100_000, len(bomb)

    def send() -> tuple[float, Response]:
        started = time.monotonic()
        response = server.native_ingest(bomb, {"Content-Encoding": "gzip"})
        return time.monotonic() - started, response

    with _RssPeak(server.proc.pid) as rss:
        elapsed, response = send()
        assert response.status == 413, response.body[:300]
        assert response.json()["__type"] == "RequestEntityTooLarge"
        assert elapsed < 1.0, f"answered after {elapsed:.2f} s"
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: send(), range(8)))
    assert [r.status for _, r in answers] == [413] * 8, [r.body[:200] for _, r in answers]
    slowest = max(elapsed for elapsed, _ in answers)
    print(f"bomb: {len(bomb)} bytes; alone {elapsed * 1000:.0f} ms, slowest of 8 {slowest * 1000:.0f} ms; RSS peak {rss.peak_mb:.0f} MB")
    assert slowest < 1.0, f"the slowest of 8 concurrent bombs was answered after {slowest:.2f} s"
    assert rss.peak_mb < 300, f"resident memory peaked at {rss.peak_mb:.0f} MB"
    # Still serving.
    assert server.signed_request("GET", "/health", sign=False).status == 200


def test_6_an_oversized_content_length_is_refused_before_the_body_is_sent(server: Server):
    """Headers declaring a 17 MiB native body get 413 at once; not a byte of the body is sent."""
    request = AWSRequest(method="POST", url=server.endpoint + "/v1/events", data=b"")
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "opentrail", server.region).add_auth(request)
    headers = dict(request.headers.items())
    headers["Content-Length"] = str(NATIVE_BODY_BYTES_MAX + 1024 * 1024)
    head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode())
        started = time.monotonic()
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except socket.timeout:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), f"no 413 within 5 s without a body: {answer[:200]!r}"
    assert time.monotonic() - started < 1.0


def _seconds_until_closed(sock: socket.socket, limit_s: float) -> tuple[float, bytes]:
    """How long until the server closes `sock` (EOF or reset), and what it sent meanwhile."""
    started, received = time.monotonic(), b""
    sock.settimeout(limit_s)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    except ConnectionResetError:
        pass
    except socket.timeout:
        return float("inf"), received
    return time.monotonic() - started, received


def test_6_a_connection_that_stalls_in_its_headers_is_closed(server: Server):
    """Slowloris: half a request header, then silence. The server hangs up after its 10 s
    header timeout instead of holding the connection (and its memory) forever."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        seconds, _ = _seconds_until_closed(sock, HEADER_READ_TIMEOUT_S + 10)
    assert HEADER_READ_TIMEOUT_S - 1 <= seconds <= HEADER_READ_TIMEOUT_S + 5, f"closed after {seconds:.1f} s"


def test_6_an_idle_keep_alive_connection_is_closed(server: Server):
    """A client that makes one request on a keep-alive connection and then stays silent loses the
    connection after the idle timeout (the header timer, 10 s)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        assert response.status == 200
        response.read()
        assert not response.will_close
        seconds, extra = _seconds_until_closed(connection.sock, HEADER_READ_TIMEOUT_S + 10)
    finally:
        connection.close()
    assert HEADER_READ_TIMEOUT_S - 1 <= seconds <= HEADER_READ_TIMEOUT_S + 5, f"closed after {seconds:.1f} s"
    assert extra == b"", extra[:200]


def test_9_validate_logs_reports_a_truncated_chain_and_never_panics(start_server):
    """An attacker with the bucket deletes the newest digests together with the log files they
    list: the chain left is consistent, so only what the trail says it delivered last
    (GetTrailStatus' LatestDigestDeliveryTime, the catalog's chain head) shows the cut. Then
    poisoned keys and garbage bodies in the digest folder: findings (exit 1), never a panic."""
    import gzip
    import os
    import random
    import subprocess
    import time
    from datetime import datetime, timedelta, timezone

    from conftest import OPENTRAIL_BIN
    from test_delivery import generated, ingest, wait_for

    interval_s = 2
    server = start_server("--delivery-interval", "1s", "--digest-interval", f"{interval_s}s")
    client = server.boto3_client("cloudtrail")
    start = (datetime.now(timezone.utc) - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bucket = "hostile-truncation"
    arn = client.create_trail(Name="evidence", S3BucketName=bucket, EnableLogFileValidation=True)["TrailARN"]
    client.start_logging(Name="evidence")
    root = server.data_dir / "buckets" / bucket

    def digests() -> list[tuple[str, dict]]:
        found = [(p.relative_to(root).as_posix(), json.loads(gzip.decompress(p.read_bytes())))
                 for p in root.rglob("*.json.gz") if "/CloudTrail-Digest/" in p.relative_to(root).as_posix()]
        return sorted(found, key=lambda kd: kd[1]["digestEndTime"])

    lines = [l for l in generated(server, 80, seed=61) if '"eventCategory":"Management"' in l]
    ingest(server, lines[:20])
    try:
        wait_for(lambda: any(d["logFiles"] for _, d in digests()) and len(digests()) >= 4, timeout_s=90)
    except AssertionError:
        raise AssertionError("too few digests; server log:\n" + "\n".join(server.stderr_lines[-40:]))
    ingest(server, lines[20:40])
    try:
        wait_for(lambda: len(digests()) >= 7, timeout_s=60)
    except AssertionError:
        raise AssertionError("too few digests; server log:\n" + "\n".join(server.stderr_lines[-40:]))
    # Logging stops: the chain's final digest, then nothing more is delivered.
    client.stop_logging(Name="evidence")
    count = len(digests())
    for _ in range(100):
        time.sleep(3 * interval_s)
        if len(digests()) == count:
            break
        count = len(digests())
    status = client.get_trail_status(Name="evidence")
    assert "LatestDigestDeliveryTime" in status, status

    def ours(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([OPENTRAIL_BIN, "validate-logs", "--trail-arn", arn, "--start-time", start, "--output", "json", *extra],
                              env=dict(server.env), capture_output=True, text=True, timeout=120)

    whole = ours()
    assert whole.returncode == 0, whole.stdout + whole.stderr

    # The attack: the newest three digests and every log file they list, gone.
    chain = digests()
    deleted = chain[-3:]
    for key, digest in deleted:
        doomed = [key] + [f["s3Object"] for f in digest["logFiles"]]
        for doomed_key in doomed:
            (root / doomed_key).unlink()
            (server.data_dir / "buckets" / ".meta" / bucket / doomed_key).unlink(missing_ok=True)
    deleted_keys = {key for key, _ in deleted}
    newest_left = chain[-4][1]["digestEndTime"]

    for extra in ([], ["--data-dir", str(server.data_dir)]):
        result = ours(*extra)
        assert result.returncode == 1, (extra, result.returncode, result.stdout, result.stderr)
        report = json.loads(result.stdout)
        truncated = [f for f in report["digestFiles"] if f["status"] == "truncated"]
        assert len(truncated) == 1, (extra, report["digestFiles"][:5])
        assert truncated[0]["s3Object"] in deleted_keys, (extra, truncated, sorted(deleted_keys))
        assert f"the newest here ends at {newest_left}" in truncated[0]["reason"], truncated
    # The chain head names the newest digest the trail delivered.
    head = [f for f in json.loads(ours("--data-dir", str(server.data_dir)).stdout)["digestFiles"] if f["status"] == "truncated"]
    assert head[0]["s3Object"] == deleted[-1][0], head
    text = subprocess.run([OPENTRAIL_BIN, "validate-logs", "--trail-arn", arn, "--start-time", start],
                          env=dict(server.env), capture_output=True, text=True, timeout=120)
    assert text.returncode == 1 and "INVALID: missing: the trail delivered digests until" in text.stdout, text.stdout + text.stderr

    # Poisoned keys: multi-byte characters in the date part, and random bodies.
    folder = chain[0][0].rsplit("/", 4)[0]
    name = chain[0][0].rsplit("/", 1)[1]
    rng = random.Random(15)
    poisoned = [
        f"{folder}/2€26/1ü/2é/{name[:-24]}2€261120T1€0000Z.json.gz",
        f"{folder}/20€1/345/x/{name}",
        f"{folder}/é/ü/😀/{name[:-8]}😀.json.gz",
        chain[1][0][:-8] + "_backfill.json.gz",
        "/".join(chain[0][0].split("/")[:-1]) + "/" + name[:-24] + "20261120T1ü0000Z.json.gz",
    ]
    for key in poisoned:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
    for extra in ([], ["--data-dir", str(server.data_dir)]):
        result = ours(*extra)
        assert result.returncode == 1, (extra, result.returncode, result.stdout[-2000:], result.stderr[-2000:])
        assert "panicked" not in result.stderr, result.stderr
