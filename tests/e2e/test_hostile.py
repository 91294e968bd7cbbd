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
