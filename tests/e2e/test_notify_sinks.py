"""Self-tests of the notification sinks in notify_sinks.py (no OpenTrail server involved)."""

from __future__ import annotations

import json
import smtplib
import socket
import threading
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email import policy

import pytest

from notify_sinks import SmtpSink, WebhookReceiver


# ---------------------------------------------------------------------------------------------
# Webhook
# ---------------------------------------------------------------------------------------------


def post_json(url: str, payload: object, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.read() == b""
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


def test_webhook_records_json_post(hook):
    assert hook.url.startswith("http://127.0.0.1:") and hook.url.endswith("/hook")
    before = time.time()
    assert post_json(hook.url, {"event": "Test", "n": 1}, {"X-OpenTrail-Signature": "abc"}) == 200

    [delivery] = hook.wait_for(1, timeout=2)
    assert delivery.method == "POST"
    assert delivery.path == "/hook"
    assert delivery.json == {"event": "Test", "n": 1}
    assert json.loads(delivery.body) == delivery.json
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-opentrail-signature"] == "abc"
    assert delivery.status == 200
    assert before <= delivery.received_at <= time.time()


def test_webhook_records_get_and_any_path(hook):
    with urllib.request.urlopen(hook.base_url + "/other/path?x=1", timeout=5) as response:
        assert response.status == 200
    [delivery] = hook.wait_for(1, timeout=2)
    assert (delivery.method, delivery.path, delivery.body, delivery.json) == ("GET", "/other/path?x=1", b"", None)


def test_webhook_non_json_body(hook):
    request = urllib.request.Request(hook.url, data=b"not json", method="POST")
    urllib.request.urlopen(request, timeout=5).close()
    [delivery] = hook.wait_for(1, timeout=2)
    assert delivery.body == b"not json" and delivery.json is None


def test_webhook_fail_next_then_success(hook):
    hook.fail_next = 2
    assert post_json(hook.url, {"try": 1}) == 500
    assert post_json(hook.url, {"try": 2}) == 500
    assert post_json(hook.url, {"try": 3}) == 200
    assert hook.fail_next == 0

    assert [d.status for d in hook.deliveries] == [500, 500, 200]
    assert [d.json["try"] for d in hook.successful()] == [3]
    assert [d.json["try"] for d in hook.wait_for(1, timeout=2)] == [3]


def test_webhook_configurable_status():
    with WebhookReceiver(status=204) as receiver:
        assert post_json(receiver.url, {}) == 204
        assert len(receiver.wait_for(1, timeout=2)) == 1
        receiver.status = 404
        assert post_json(receiver.url, {}) == 404
        assert len(receiver.successful()) == 1


def test_webhook_wait_for_blocks_until_delivery(hook):
    timer = threading.Timer(0.1, post_json, args=(hook.url, {"late": True}))
    timer.start()
    try:
        [delivery] = hook.wait_for(1, timeout=5)
        assert delivery.json == {"late": True}
    finally:
        timer.join()


def test_webhook_wait_for_timeout_lists_arrivals(hook):
    hook.fail_next = 1
    post_json(hook.url, {"doomed": True})
    started = time.monotonic()
    with pytest.raises(AssertionError) as info:
        hook.wait_for(1, timeout=0.1)
    assert 0.09 <= time.monotonic() - started < 1.5
    message = str(info.value)
    assert "expected 1 successful deliveries" in message
    assert "POST /hook -> 500" in message and "doomed" in message


def test_webhook_stop_closes_port():
    receiver = WebhookReceiver().start()
    port = receiver.port
    receiver.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def sink():
    with SmtpSink() as smtp:
        yield smtp


def test_smtp_ehlo_advertises_extensions(sink):
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        code, _ = client.ehlo("tester")
        assert code == 250
        for ext in ("8bitmime", "smtputf8", "pipelining", "auth"):
            assert client.has_extn(ext), ext
        assert set(client.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        assert client.noop()[0] == 250
        assert client.rset()[0] == 250
        assert client.docmd("VRFY", "someone")[0] == 502
        assert client.docmd("BOGUS")[0] == 502
        assert client.docmd("RCPT", "TO:<x@example.com>")[0] == 503


def test_smtp_plain_message_without_login(sink):
    message = EmailMessage()
    message["From"] = "opentrail@example.com"
    message["To"] = "ops@example.com, sec@example.com"
    message["Subject"] = "Plain subject"
    message.set_content("line one\n.starts with a dot\n..two dots\n.\nend\n")
    before = time.time()
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.send_message(message)

    [mail] = sink.wait_for(1, timeout=2)
    assert mail.mail_from == "opentrail@example.com"
    assert mail.rcpt_to == ["ops@example.com", "sec@example.com"]
    assert mail.auth_user is None
    assert mail.subject == "Plain subject"
    assert mail.text == "line one\n.starts with a dot\n..two dots\n.\nend\n"
    assert b"\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n" in mail.data
    assert mail.message["To"] == "ops@example.com, sec@example.com"
    assert before <= mail.received_at <= time.time()


def test_smtp_utf8_with_plain_login_and_esmtp_params(sink):
    message = EmailMessage()
    message["From"] = "OpenTrail <opentrail@example.com>"
    message["To"] = "ops@example.com"
    message["Subject"] = "Alerte : connexion refusée ✓"
    message.set_content("Bonjour,\nconsole connexion refusée — ÄÖÜ ✓\n", cte="8bit")
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.login("alice", "s3cret")  # smtplib picks AUTH PLAIN with an initial response
        refused = client.sendmail("opentrail@example.com", ["ops@example.com"],
                                  message.as_bytes(policy=policy.SMTP),
                                  mail_options=["BODY=8BITMIME", "SMTPUTF8"])
        assert refused == {}

    [mail] = sink.wait_for(1, timeout=2)
    assert mail.auth_user == "alice"
    assert mail.subject == "Alerte : connexion refusée ✓"
    assert mail.text == "Bonjour,\nconsole connexion refusée — ÄÖÜ ✓\n"
    assert "connexion refusée".encode() in mail.data  # 8bit body kept as sent


def test_smtp_raw_utf8_headers_and_auth_login(sink):
    message = EmailMessage(policy=policy.SMTPUTF8)
    message["From"] = "opentrail@example.com"
    message["To"] = "jörg@exämple.com"
    message["Subject"] = "Grüße ✓"
    message.set_content("Hallo Jörg\n")
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.ehlo()
        client.user, client.password = "carol", "pw"
        # LOGIN without the initial response: the 334 Username:/Password: prompts.
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        assert code == 235
        client.send_message(message)  # international address -> SMTPUTF8

    [mail] = sink.wait_for(1, timeout=2)
    assert mail.auth_user == "carol"
    assert mail.rcpt_to == ["jörg@exämple.com"]
    assert mail.subject == "Grüße ✓"
    assert mail.text == "Hallo Jörg\n"


def test_smtp_auth_login_with_initial_response_and_several_mails(sink):
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.ehlo()
        client.user, client.password = "bob@example.com", "pw"
        assert client.auth("LOGIN", client.auth_login)[0] == 235
        for i in range(2):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: n{i}\r\n\r\nbody {i}\r\n")
    mails = sink.wait_for(2, timeout=2)
    assert [(m.subject, m.text, m.auth_user) for m in mails] == [
        ("n0", "body 0\n", "bob@example.com"), ("n1", "body 1\n", "bob@example.com")]


def test_smtp_pipelined_batch_with_bare_lf(sink):
    """A client that sends the whole transaction at once, with bare LF line endings."""
    with socket.create_connection((sink.host, sink.port), timeout=5) as conn:
        reader = conn.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        conn.sendall(b"HELO me\nMAIL FROM:<> BODY=8BITMIME\nRCPT TO:<x@example.com>\nDATA\n")
        replies = [reader.readline()[:3] for _ in range(4)]
        assert replies == [b"250", b"250", b"250", b"354"]
        conn.sendall(b"Subject: pipelined\n\n..hidden\n.\nQUIT\n")
        assert reader.readline()[:3] == b"250"
        assert reader.readline()[:3] == b"221"
    [mail] = sink.wait_for(1, timeout=2)
    assert (mail.mail_from, mail.rcpt_to, mail.subject, mail.text) == ("", ["x@example.com"], "pipelined", ".hidden\n")


def test_smtp_survives_bad_clients(sink):
    with socket.create_connection((sink.host, sink.port), timeout=5) as conn:
        reader = conn.makefile("rb")
        reader.readline()
        conn.sendall(b"AUTH PLAIN !!!notbase64\r\nAUTH CRAM-MD5\r\nMAIL FROM:oops\r\n")
        assert [reader.readline()[:3] for _ in range(3)] == [b"501", b"504", b"250"]
    with socket.create_connection((sink.host, sink.port), timeout=5) as conn:
        conn.sendall(b"\xff\xfe garbage \x00\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\npartial")
    # The sink still serves new clients after abrupt disconnects.
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: ok\r\n\r\nstill alive\r\n")
    [mail] = sink.wait_for(1, timeout=2)
    assert mail.text == "still alive\n"


def test_smtp_wait_for_timeout_lists_arrivals(sink):
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: only one\r\n\r\nx\r\n")
    with pytest.raises(AssertionError) as info:
        sink.wait_for(2, timeout=0.1)
    message = str(info.value)
    assert "expected 2 message(s)" in message and "got 1" in message and "'only one'" in message


def test_smtp_stop_with_idle_client_connected():
    sink = SmtpSink().start()
    idle = socket.create_connection((sink.host, sink.port), timeout=5)
    try:
        idle.recv(100)  # greeting
        started = time.monotonic()
        sink.stop()
        assert time.monotonic() - started < 1.5
        assert idle.recv(100) == b""  # the server closed the connection
    finally:
        idle.close()
