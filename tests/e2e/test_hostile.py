"""Hostile tenants and hostile input (issue 15), from the attacker's side with real clients.

Each test names the finding it proves closed. Findings not yet addressed have no test here yet.
"""

import http.client
import json
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
