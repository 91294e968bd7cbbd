"""Hostile tenants and hostile input (issue 15), from the attacker's side with real clients.

Each test names the finding it proves closed. Findings not yet addressed have no test here yet.
"""

import json
import uuid

from conftest import Server

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
