"""Metric filters, alarms and notifications through the real binary, a webhook receiver and an
SMTP sink started here:

- the CIS pack is on by default: `opentrail gen --storyline attack` fires each of its 15 alarms
  exactly once, at the webhook (SNS envelope, signature checked against the certificate at
  `SigningCertURL`) and by email; an hour of benign generated traffic fires none;
- `aws logs put-metric-filter`, `describe-metric-filters`, `test-metric-filter` and
  `delete-metric-filter` with the real AWS CLI (and boto3), with AWS's error codes;
- an alarm made through the JSON API on a filter made through the Logs API fires within a
  second of the event's acknowledgement;
- a failing endpoint is retried with backoff, and the notification history says so;
- a restart neither loses alarm states nor notifies again.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Server, cli_error_code, run_opentrail
from notify_sinks import SmtpSink, WebhookReceiver

N_ATTACK = 3000
CIS_V3_ALARMS = {
    "CIS-4.1-UnauthorizedAPICalls", "CIS-4.2-ConsoleSigninWithoutMFA", "CIS-4.3-RootAccountUsage",
    "CIS-4.4-IAMPolicyChanges", "CIS-4.5-CloudTrailConfigChanges", "CIS-4.6-ConsoleSigninFailures",
    "CIS-4.7-CMKDisableOrDeletion", "CIS-4.8-S3BucketPolicyChanges", "CIS-4.9-AWSConfigChanges",
    "CIS-4.10-SecurityGroupChanges", "CIS-4.11-NACLChanges", "CIS-4.12-NetworkGatewayChanges",
    "CIS-4.13-RouteTableChanges", "CIS-4.14-VPCChanges", "CIS-4.15-OrganizationsChanges",
}


def iso(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def config_text(webhook: WebhookReceiver | None, smtp: SmtpSink | None, extra: str = "") -> str:
    parts = ["version = 1", "[notifications]\nretries = 3\nbackoff = \"300ms\"\ntimeout = \"2s\""]
    if smtp is not None:
        # Defaults: `from = "opentrail@localhost"`, STARTTLS only if offered (the sink does not).
        parts.append(f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}')
    if webhook is not None:
        emails = '\nemails = ["soc@example.test"]' if smtp is not None else ""
        parts.append(f'[[notification_targets]]\nname = "security"\nwebhooks = ["{webhook.url}"]{emails}')
        parts.append('[cis_pack]\ntarget = "security"')
    parts.append(extra)
    return "\n\n".join(parts) + "\n"


def start_with_config(start_server, tmp_path: Path, text: str) -> Server:
    path = tmp_path / "opentrail.toml"
    path.write_text(text)
    return start_server("--config", str(path))


def ingest_lines(server: Server, lines: list[bytes], batch: int = 1000) -> list[float]:
    """Posts the records in batches; returns the time each batch was acknowledged."""
    acked = []
    for i in range(0, len(lines), batch):
        body = b"\n".join(lines[i:i + batch]) + b"\n"
        response = server.native_ingest(body)
        assert response.status == 200, response.body
        assert response.json()["rejected"] == 0, response.json()
        acked.append(time.time())
    return acked


def api(server: Server, method: str, path: str, body: dict | None = None, query: str = "") -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed_request(method, path, data, query=query,
                                     headers={"Content-Type": "application/json"} if body is not None else None)
    return response.status, (json.loads(response.body) if response.body else {})


def alarm_message(delivery) -> dict:
    envelope = delivery.json
    assert envelope is not None, delivery.body
    return json.loads(envelope["Message"])


def verify_envelope(delivery) -> None:
    """The SNS envelope's headers, and its SignatureVersion 2 signature against the served certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    envelope = delivery.json
    assert delivery.headers["x-amz-sns-message-type"] == "Notification"
    assert delivery.headers["x-amz-sns-message-id"] == envelope["MessageId"]
    assert delivery.headers["x-amz-sns-topic-arn"] == envelope["TopicArn"]
    assert delivery.headers["x-amz-sns-subscription-arn"].startswith(envelope["TopicArn"] + ":")
    assert delivery.headers["content-type"] == "text/plain; charset=UTF-8"
    assert envelope["Type"] == "Notification" and envelope["SignatureVersion"] == "2"
    to_sign = "".join(f"{name}\n{envelope[name]}\n" for name in
                      ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] if name in envelope)
    with urllib.request.urlopen(envelope["SigningCertURL"], timeout=10) as response:
        cert = x509.load_pem_x509_certificate(response.read())
    cert.public_key().verify(base64.b64decode(envelope["Signature"]), to_sign.encode(),
                             padding.PKCS1v15(), hashes.SHA256())


# ---- the CIS pack ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def attack(start_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("alarms-attack")
    with WebhookReceiver() as webhook, SmtpSink() as smtp:
        server = start_with_config(start_server, work, config_text(webhook, smtp))
        generated = work / "attack.ndjson"
        run_opentrail("gen", "--storyline", "attack", "--count", str(N_ATTACK), "--seed", "9",
                      "--start", iso(time.time() - 600), "--output", str(generated), timeout=120)
        planted = json.loads((work / "attack.ndjson.planted.json").read_text())["planted"]
        lines = [line for line in generated.read_bytes().split(b"\n") if line]
        acked = ingest_lines(server, lines)
        deliveries = webhook.wait_for(15, timeout=30)
        mails = smtp.wait_for(15, timeout=30)
        time.sleep(3)  # anything extra would arrive now
        yield {"server": server, "webhook": webhook, "smtp": smtp, "planted": planted, "acked": acked,
               "deliveries": list(webhook.successful()), "mails": list(smtp.mails), "first": deliveries}


def test_attack_storyline_fires_each_cis_alarm_exactly_once_at_the_webhook(attack):
    names = [alarm_message(d)["AlarmName"] for d in attack["deliveries"]]
    assert sorted(names) == sorted(CIS_V3_ALARMS), names
    for delivery in attack["deliveries"]:
        message = alarm_message(delivery)
        assert message["NewStateValue"] == "ALARM"
        assert message["OldStateValue"] in ("OK", "INSUFFICIENT_DATA")
        assert message["Trigger"]["Namespace"] == "CISBenchmark"
        assert message["Trigger"]["Statistic"] == "SUM"
        assert message["Trigger"]["Period"] == 300 and message["Trigger"]["Threshold"] == 1.0
        assert message["AlarmArn"].endswith(":alarm:" + message["AlarmName"])
        assert delivery.json["Subject"].startswith(f'ALARM: "{message["AlarmName"]}" in ')
        verify_envelope(delivery)


def test_attack_storyline_fires_each_cis_alarm_exactly_once_by_email(attack):
    subjects = sorted(m.subject for m in attack["mails"])
    assert len(subjects) == 15, subjects
    assert {s.split('"')[1] for s in subjects} == CIS_V3_ALARMS
    for mail in attack["mails"]:
        assert mail.rcpt_to == ["soc@example.test"]
        assert mail.mail_from == "opentrail@localhost"
        message = json.loads(mail.text.split("\n\n--\n")[0])
        assert message["NewStateValue"] == "ALARM"


def test_each_alarm_fires_within_a_second_of_its_first_event(attack):
    """Latency from the acknowledgement of the batch holding a metric's first planted event to
    the webhook delivery of its alarm (measured here; the benchmark measures p50/p99)."""
    first_batch: dict[str, int] = {}
    for p in attack["planted"]:
        for metric in p["cisMetrics"]:
            first_batch.setdefault(metric, p["index"] // 1000)
    latencies = {}
    for delivery in attack["deliveries"]:
        metric = alarm_message(delivery)["Trigger"]["MetricName"]
        latencies[metric] = delivery.received_at - attack["acked"][first_batch[metric]]
    assert len(latencies) == 15
    print("ack -> webhook latency per alarm (s):", {k: round(v, 3) for k, v in sorted(latencies.items())})
    assert max(latencies.values()) < 2.0, latencies


def test_alarm_states_and_history_through_the_json_api(attack):
    server = attack["server"]
    status, body = api(server, "GET", "/v1/alarms")
    assert status == 200, body
    alarms = {a["AlarmName"]: a for a in body["MetricAlarms"]}
    assert set(alarms) == CIS_V3_ALARMS
    assert all(a["StateValue"] == "ALARM" for a in alarms.values())
    assert all(a["TreatMissingData"] == "notBreaching" for a in alarms.values())
    status, history = api(server, "GET", "/v1/alarms/CIS-4.3-RootAccountUsage/history")
    assert status == 200
    assert history["AlarmHistoryItems"][0]["HistorySummary"].endswith("to ALARM")
    status, notes = api(server, "GET", "/v1/notifications", query="limit=100")
    assert status == 200
    delivered = [n for n in notes["Notifications"] if n["Status"] == "delivered"]
    assert len(delivered) == 30  # 15 webhooks + 15 emails
    assert {n["Protocol"] for n in delivered} == {"http", "email"}


def test_a_restart_keeps_alarm_states_and_does_not_notify_again(attack):
    server, webhook = attack["server"], attack["webhook"]
    before = len(webhook.deliveries)
    assert server.stop() == 0
    server.start()
    time.sleep(3)
    status, body = api(server, "GET", "/v1/alarms")
    assert status == 200
    states = {a["AlarmName"]: (a["StateValue"], a["StateReason"]) for a in body["MetricAlarms"]}
    assert all(state == "ALARM" for state, _ in states.values()), (states, server.stderr_text())
    assert len(webhook.deliveries) == before


def test_an_hour_of_benign_traffic_fires_no_alarm(start_server, tmp_path):
    with WebhookReceiver() as webhook:
        server = start_with_config(start_server, tmp_path, config_text(webhook, None))
        generated = tmp_path / "benign.ndjson"
        # 36 000 events at 10 per second: an hour of the attack's background, nothing planted.
        run_opentrail("gen", "--storyline", "benign", "--count", "36000", "--seed", "4",
                      "--start", iso(time.time() - 3600), "--output", str(generated), timeout=180)
        lines = [line for line in generated.read_bytes().split(b"\n") if line]
        assert len(lines) == 36000
        ingest_lines(server, lines, batch=2000)
        # A last, CIS-relevant event shows the consumer has read everything before it.
        root = json.loads(lines[-1])
        root.update(eventID="5d0b7b54-0000-4000-8000-00000000beef", eventName="ConsoleLogin",
                    eventSource="signin.amazonaws.com", eventType="AwsConsoleSignIn",
                    userIdentity={"type": "Root", "principalId": root["recipientAccountId"],
                                  "arn": f"arn:aws:iam::{root['recipientAccountId']}:root",
                                  "accountId": root["recipientAccountId"]},
                    responseElements={"ConsoleLogin": "Success"},
                    additionalEventData={"MFAUsed": "Yes"})
        root.pop("errorCode", None)
        root.pop("errorMessage", None)
        ingest_lines(server, [json.dumps(root).encode()])
        deliveries = webhook.wait_for(1, timeout=15)
        time.sleep(2)
        names = [alarm_message(d)["AlarmName"] for d in webhook.successful()]
        assert names == ["CIS-4.3-RootAccountUsage"], names
        status, body = api(server, "GET", "/v1/alarms")
        states = {a["AlarmName"]: a["StateValue"] for a in body["MetricAlarms"]}
        assert states.pop("CIS-4.3-RootAccountUsage") == "ALARM"
        assert set(states.values()) == {"OK"}, states
        assert deliveries


def test_no_target_configured_is_said_in_the_log(start_server, tmp_path):
    server = start_with_config(start_server, tmp_path, "version = 1\n")
    deadline = time.monotonic() + 10
    while not any("no notification target is configured" in line for line in server.stderr_lines):
        assert time.monotonic() < deadline, server.stderr_text()
        time.sleep(0.1)
    status, body = api(server, "GET", "/v1/alarms")
    assert status == 200 and len(body["MetricAlarms"]) == 15
    assert all(a["AlarmActions"] == [] for a in body["MetricAlarms"])


# ---- the CloudWatch Logs API and custom alarms -------------------------------------------------

@pytest.fixture(scope="module")
def custom(start_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("alarms-custom")
    with WebhookReceiver() as webhook:
        text = config_text(None, None, '[cis_pack]\nenabled = false')
        server = start_with_config(start_server, work, text)
        yield {"server": server, "webhook": webhook}


def test_aws_logs_metric_filter_commands(custom):
    server = custom["server"]
    pattern = '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "NoSuchBucket") }'
    put = server.aws("logs", "put-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
                     "--filter-name", "missing-buckets", "--filter-pattern", pattern,
                     "--metric-transformations",
                     "metricName=MissingBuckets,metricNamespace=Custom,metricValue=1,unit=Count")
    assert put.returncode == 0, put.stderr
    server.aws("logs", "put-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
               "--filter-name", "latency", "--filter-pattern", "{ $.eventName = \"GetObject\" }",
               "--metric-transformations", "metricName=Latency,metricNamespace=Custom,metricValue=$.latency,defaultValue=0")
    described = server.aws("logs", "describe-metric-filters", "--log-group-name", "CloudTrail/DefaultLogGroup")
    assert described.returncode == 0, described.stderr
    filters = json.loads(described.stdout)["metricFilters"]
    assert [f["filterName"] for f in filters] == ["latency", "missing-buckets"]
    missing = filters[1]
    assert missing["filterPattern"] == pattern
    assert missing["metricTransformations"] == [{"metricName": "MissingBuckets", "metricNamespace": "Custom",
                                                 "metricValue": "1", "unit": "Count"}]
    assert missing["logGroupName"] == "CloudTrail/DefaultLogGroup"
    assert isinstance(missing["creationTime"], int) and missing["creationTime"] > 1_600_000_000_000
    by_metric = server.aws("logs", "describe-metric-filters", "--metric-name", "Latency", "--metric-namespace", "Custom")
    assert [f["filterName"] for f in json.loads(by_metric.stdout)["metricFilters"]] == ["latency"]
    prefix = server.aws("logs", "describe-metric-filters", "--log-group-name", "CloudTrail/DefaultLogGroup",
                        "--filter-name-prefix", "miss")
    assert [f["filterName"] for f in json.loads(prefix.stdout)["metricFilters"]] == ["missing-buckets"]

    tested = server.aws("logs", "test-metric-filter", "--filter-pattern", "[ip, user, status=4*]",
                        "--log-event-messages", "127.0.0.1 alice 404", "10.0.0.1 bob 200", "10.0.0.2 carol 403")
    assert tested.returncode == 0, tested.stderr
    matches = json.loads(tested.stdout)["matches"]
    assert [m["eventNumber"] for m in matches] == [1, 3]
    assert matches[0]["eventMessage"] == "127.0.0.1 alice 404"
    assert matches[0]["extractedValues"] == {"$ip": "127.0.0.1", "$user": "alice", "$status": "404"}

    deleted = server.aws("logs", "delete-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
                         "--filter-name", "latency")
    assert deleted.returncode == 0, deleted.stderr
    again = server.aws("logs", "delete-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
                       "--filter-name", "latency")
    assert cli_error_code(again) == "ResourceNotFoundException"
    bad = server.aws("logs", "put-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
                     "--filter-name", "bad", "--filter-pattern", "{ $.eventName = ",
                     "--metric-transformations", "metricName=X,metricNamespace=Custom,metricValue=1")
    assert cli_error_code(bad) == "InvalidParameterException", bad.stderr
    both = server.aws("logs", "put-metric-filter", "--log-group-name", "CloudTrail/DefaultLogGroup",
                      "--filter-name", "bad", "--filter-pattern", "{ $.eventName = \"x\" }",
                      "--metric-transformations",
                      'metricName=X,metricNamespace=Custom,metricValue=1,defaultValue=0,dimensions={Source=$.eventSource}')
    assert cli_error_code(both) == "InvalidParameterException", both.stderr


def test_boto3_logs_client(custom):
    logs = custom["server"].boto3_client("logs")
    logs.put_metric_filter(logGroupName="boto", filterName="f1", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}])
    pages = logs.get_paginator("describe_metric_filters").paginate(logGroupName="boto", PaginationConfig={"PageSize": 1})
    names = [f["filterName"] for page in pages for f in page["metricFilters"]]
    assert names == ["f1"]
    result = logs.test_metric_filter(filterPattern="ERROR", logEventMessages=["ERROR disk full", "ok"])
    assert [m["eventNumber"] for m in result["matches"]] == [1]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_metric_filter(logGroupName="boto", filterName="nope")
    logs.delete_metric_filter(logGroupName="boto", filterName="f1")


def test_custom_alarm_on_a_logs_filter_fires_within_a_second(custom):
    server, webhook = custom["server"], custom["webhook"]
    status, body = api(server, "POST", "/v1/notification-targets", {"Name": "oncall", "Webhooks": [webhook.url]})
    assert status == 200, body
    topic = body["NotificationTarget"]["TopicArn"]
    assert topic == f"arn:aws:sns:{server.region}:{server.account_id}:oncall"
    put = server.aws("logs", "put-metric-filter", "--log-group-name", "trail", "--filter-name", "deny",
                     "--filter-pattern", '{ $.errorCode = "AccessDenied*" }',
                     "--metric-transformations", "metricName=Denied,metricNamespace=Custom,metricValue=1")
    assert put.returncode == 0, put.stderr
    alarm = {"AlarmName": "denied-calls", "MetricName": "Denied", "Namespace": "Custom", "Statistic": "Sum",
             "Period": 60, "EvaluationPeriods": 1, "Threshold": 2, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
             "TreatMissingData": "notBreaching", "AlarmActions": [topic]}
    status, body = api(server, "POST", "/v1/alarms", alarm)
    assert status == 200, body
    assert body["MetricAlarm"]["StateValue"] in ("OK", "INSUFFICIENT_DATA")
    status, body = api(server, "POST", "/v1/alarms", dict(alarm, Period=45))
    assert status == 400 and body["__type"] == "InvalidParameterValue" and "Period" in body["message"]
    status, body = api(server, "POST", "/v1/alarms", dict(alarm, AlarmActions=["arn:aws:sns:us-east-1:111122223333:nope"]))
    assert status == 400 and "nope" in body["message"]

    def event(n: int) -> bytes:
        return json.dumps({
            "eventVersion": "1.11", "eventTime": iso(time.time()), "eventSource": "s3.amazonaws.com",
            "eventName": "GetBucketPolicy", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9",
            "userAgent": "test", "errorCode": "AccessDenied", "errorMessage": "Access Denied",
            "userIdentity": {"type": "IAMUser", "accountId": server.account_id, "userName": "mallory",
                             "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{server.account_id}:user/mallory"},
            "eventID": f"00000000-0000-4000-8000-{n:012d}", "eventType": "AwsApiCall", "readOnly": True,
            "managementEvent": True, "eventCategory": "Management", "recipientAccountId": server.account_id,
        }).encode()

    ingest_lines(server, [event(1)])
    time.sleep(1.5)
    assert webhook.successful() == [], "one denied call is under the threshold of 2"
    ingest_lines(server, [event(2)])
    acked = time.time()
    [delivery] = webhook.wait_for(1, timeout=10)
    latency = delivery.received_at - acked
    print(f"ack -> webhook: {latency * 1000:.0f} ms")
    assert latency < 1.0, latency
    message = alarm_message(delivery)
    assert message["AlarmName"] == "denied-calls" and message["NewStateValue"] == "ALARM"
    assert "2.0" in message["NewStateReason"]
    verify_envelope(delivery)


def test_failed_deliveries_are_retried_with_backoff_and_recorded(custom):
    server, webhook = custom["server"], custom["webhook"]
    status, body = api(server, "POST", "/v1/notification-targets", {"Name": "flaky", "Webhooks": [webhook.url + "/flaky"]})
    assert status == 200, body
    topic = body["NotificationTarget"]["TopicArn"]
    alarm = {"AlarmName": "manual", "MetricName": "Nothing", "Namespace": "Custom", "Statistic": "Sum", "Period": 60,
             "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
             "TreatMissingData": "ignore", "AlarmActions": [topic], "OKActions": [topic]}
    assert api(server, "POST", "/v1/alarms", alarm)[0] == 200
    webhook.clear()
    webhook.fail_next = 2
    status, body = api(server, "POST", "/v1/alarms/manual/state", {"StateValue": "ALARM", "StateReason": "drill"})
    assert status == 200, body
    [delivery] = webhook.wait_for(1, timeout=15)
    attempts = [d for d in webhook.deliveries if d.path.endswith("/flaky")]
    assert [d.status for d in attempts] == [500, 500, 200]
    assert len({d.headers["x-amz-sns-message-id"] for d in attempts}) == 1, "a retry keeps its message id"
    gaps = [b.received_at - a.received_at for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.55, gaps  # 300 ms, then 600 ms
    assert alarm_message(delivery)["NewStateReason"] == "drill"
    deadline = time.monotonic() + 5
    while True:
        notes = api(server, "GET", "/v1/notifications", query="limit=10")[1]["Notifications"]
        mine = [n for n in notes if n["AlarmName"] == "manual"]
        if mine and mine[0]["Status"] == "delivered":
            break
        assert time.monotonic() < deadline, notes
        time.sleep(0.1)
    assert mine[0]["Attempts"] == 3
    assert mine[0]["LastError"] is None
    # Every attempt failing ends as `failed` with the endpoint's answer.
    webhook.fail_next = 10
    api(server, "POST", "/v1/alarms/manual/state", {"StateValue": "OK", "StateReason": "drill over"})
    deadline = time.monotonic() + 15
    while True:
        notes = api(server, "GET", "/v1/notifications", query="limit=10")[1]["Notifications"]
        if notes[0]["Status"] == "failed":
            break
        assert time.monotonic() < deadline, notes
        time.sleep(0.2)
    assert notes[0]["Attempts"] == 4 and "500" in notes[0]["LastError"]
    webhook.fail_next = 0


def test_aws_logs_log_group_commands(custom):
    server = custom["server"]
    created = server.aws("logs", "create-log-group", "--log-group-name", "audit/cloudtrail")
    assert created.returncode == 0, created.stderr
    again = server.aws("logs", "create-log-group", "--log-group-name", "audit/cloudtrail")
    assert cli_error_code(again) == "ResourceAlreadyExistsException"
    put = server.aws("logs", "put-metric-filter", "--log-group-name", "audit/cloudtrail", "--filter-name", "stops",
                     "--filter-pattern", '{ $.eventName = "StopLogging" }',
                     "--metric-transformations", "metricName=Stops,metricNamespace=Custom,metricValue=1")
    assert put.returncode == 0, put.stderr
    groups = json.loads(server.aws("logs", "describe-log-groups", "--log-group-name-prefix", "audit/").stdout)
    assert [(g["logGroupName"], g["metricFilterCount"]) for g in groups["logGroups"]] == [("audit/cloudtrail", 1)]
    assert groups["logGroups"][0]["arn"].endswith(":log-group:audit/cloudtrail:*")
    deleted = server.aws("logs", "delete-log-group", "--log-group-name", "audit/cloudtrail")
    assert deleted.returncode == 0, deleted.stderr
    left = json.loads(server.aws("logs", "describe-metric-filters", "--log-group-name", "audit/cloudtrail").stdout)
    assert left["metricFilters"] == []
    gone = server.aws("logs", "delete-log-group", "--log-group-name", "audit/cloudtrail")
    assert cli_error_code(gone) == "ResourceNotFoundException"


def test_slack_webhooks_and_unsubscribe(custom):
    server, webhook = custom["server"], custom["webhook"]
    status, body = api(server, "POST", "/v1/notification-targets",
                       {"Name": "chat", "SlackWebhooks": [webhook.url + "/slack"], "Webhooks": [webhook.url + "/sns"]})
    assert status == 200, body
    topic = body["NotificationTarget"]["TopicArn"]
    alarm = {"AlarmName": "chat-drill", "MetricName": "Nothing", "Namespace": "Custom", "Statistic": "Sum",
             "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
             "TreatMissingData": "ignore", "AlarmActions": [topic], "AlarmDescription": "a <drill> & more"}
    assert api(server, "POST", "/v1/alarms", alarm)[0] == 200
    webhook.clear()
    assert api(server, "POST", "/v1/alarms/chat-drill/state", {"StateValue": "ALARM", "StateReason": "drill"})[0] == 200
    deliveries = webhook.wait_for(2, timeout=10)
    slack = next(d for d in deliveries if d.path.endswith("/slack"))
    assert slack.headers["content-type"] == "application/json"
    assert set(slack.json) == {"text"}
    assert slack.json["text"].startswith('*ALARM*: "chat-drill" in ') and "drill" in slack.json["text"]
    sns = next(d for d in deliveries if d.path.endswith("/sns"))
    verify_envelope(sns)
    # The envelope's UnsubscribeURL removes that endpoint; the Slack one stays.
    with urllib.request.urlopen(sns.json["UnsubscribeURL"], timeout=10) as response:
        assert response.status == 200 and b"UnsubscribeResponse" in response.read()
    targets = api(server, "GET", "/v1/notification-targets")[1]["NotificationTargets"]
    chat = next(t for t in targets if t["Name"] == "chat")
    assert chat["Webhooks"] == [] and chat["SlackWebhooks"] == [webhook.url + "/slack"]


def test_config_file_alarms_name_their_target(start_server, tmp_path):
    with WebhookReceiver() as webhook:
        extra = """
[[notification_targets]]
name = "ops"
webhooks = ["%s"]

[cis_pack]
enabled = false

[[metric_filters]]
filterName = "stops"
logGroupName = "CloudTrail/DefaultLogGroup"
filterPattern = '{ $.eventName = "StopLogging" }'
metricTransformations = [{ metricName = "Stops", metricNamespace = "Custom", metricValue = "1" }]

[[alarms]]
AlarmName = "trail-stopped"
MetricName = "Stops"
Namespace = "Custom"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
Threshold = 1.0
ComparisonOperator = "GreaterThanOrEqualToThreshold"
TreatMissingData = "notBreaching"
AlarmActions = ["ops"]
""" % webhook.url
        server = start_with_config(start_server, tmp_path, config_text(None, None, extra))
        status, body = api(server, "GET", "/v1/alarms/trail-stopped")
        assert status == 200, body
        assert body["MetricAlarm"]["AlarmActions"] == [f"arn:aws:sns:{server.region}:{server.account_id}:ops"]
        # OpenTrail's own StopLogging call (self-audit) trips it.
        created = server.aws("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", "alarm-test-bucket")
        assert created.returncode == 0, created.stderr
        stopped = server.aws("cloudtrail", "stop-logging", "--name", "main")
        assert stopped.returncode == 0, stopped.stderr
        [delivery] = webhook.wait_for(1, timeout=10)
        assert alarm_message(delivery)["AlarmName"] == "trail-stopped"


def test_alarm_api_calls_are_recorded_as_cloudtrail_events(custom):
    server = custom["server"]
    alarm = {"AlarmName": "audited", "MetricName": "Nothing", "Namespace": "Custom", "Statistic": "Sum",
             "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}
    assert api(server, "POST", "/v1/alarms", alarm)[0] == 200
    assert api(server, "POST", "/v1/alarms/audited/actions", {"ActionsEnabled": False})[0] == 200
    assert api(server, "GET", "/v1/alarms/audited")[1]["MetricAlarm"]["ActionsEnabled"] is False
    deadline = time.monotonic() + 10
    while True:
        found = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                           "AttributeKey=EventName,AttributeValue=DisableAlarmActions")
        events = json.loads(found.stdout)["Events"] if found.returncode == 0 else []
        if events:
            break
        assert time.monotonic() < deadline, found.stderr
        time.sleep(0.2)
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventSource"] == "monitoring.amazonaws.com"
    assert record["requestParameters"] == {"actionsEnabled": False, "alarmName": "audited"}
    assert record["userIdentity"]["accountId"] == server.account_id
    assert record["readOnly"] is False


def test_email_json_gets_the_signed_envelope(start_server, tmp_path):
    with SmtpSink() as smtp:
        extra = f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}

[[notification_targets]]
name = "siem"
email_json = ["siem@example.test"]

[cis_pack]
enabled = false
"""
        server = start_with_config(start_server, tmp_path, "version = 1\n" + extra)
        topic = f"arn:aws:sns:{server.region}:{server.account_id}:siem"
        alarm = {"AlarmName": "json-mail", "MetricName": "Nothing", "Namespace": "Custom", "Statistic": "Sum",
                 "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
                 "TreatMissingData": "ignore", "AlarmActions": [topic]}
        assert api(server, "POST", "/v1/alarms", alarm)[0] == 200
        assert api(server, "POST", "/v1/alarms/json-mail/state", {"StateValue": "ALARM", "StateReason": "drill"})[0] == 200
        [mail] = smtp.wait_for(1, timeout=10)
        assert mail.subject == f'ALARM: "json-mail" in {mail.subject.split(" in ", 1)[1]}'
        envelope = json.loads(mail.text)
        assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
        assert json.loads(envelope["Message"])["AlarmName"] == "json-mail"
