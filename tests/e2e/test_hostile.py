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
