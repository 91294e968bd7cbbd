"""Local notification sinks for end-to-end tests: an HTTP webhook receiver and an SMTP server.

Both listen on 127.0.0.1 on an ephemeral port, run in background threads, record everything they
receive, and offer `wait_for(count, timeout)` to block until enough has arrived. Standard library
only.

    with WebhookReceiver() as hook, SmtpSink() as smtp:
        ...  # point OpenTrail at hook.url and smtp.host / smtp.port
        [delivery] = hook.wait_for(1)
        [mail] = smtp.wait_for(1)

Records are appended before the reply is sent, so a synchronous client (urllib, smtplib) sees
its request recorded as soon as it has the answer.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.policy
import http.server
import json as _json
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any, Callable

__all__ = ["Delivery", "WebhookReceiver", "Mail", "SmtpSink"]


def _wait(cond: threading.Condition, ready: Callable[[], bool], timeout: float) -> bool:
    """Waits on `cond` (held by the caller) until `ready()` or the timeout; returns `ready()`."""
    deadline = time.monotonic() + timeout
    while not ready():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return ready()
        cond.wait(remaining)
    return True


# ---------------------------------------------------------------------------------------------
# Webhook receiver
# ---------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One HTTP request received by a `WebhookReceiver`."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    received_at: float  # time.time()
    json: Any  # the body parsed as JSON, or None if empty or not JSON
    status: int  # what the receiver answered

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def summary(self) -> str:
        body = self.body[:200].decode("utf-8", "replace")
        more = "..." if len(self.body) > 200 else ""
        return f"{self.method} {self.path} -> {self.status} ({len(self.body)} bytes: {body!r}{more})"


class _WebhookHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # so `Expect: 100-continue` is honoured; we still close after each request
    server: "_WebhookServer"

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                if not size_line:
                    break
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers, up to the empty line.
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)  # CRLF after the chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        received_at = time.time()
        self.close_connection = True
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.send_error(400, "bad request body")
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            parsed = _json.loads(body) if body.strip() else None
        except ValueError:
            parsed = None
        status = self.server.receiver._record(self.command, self.path, headers, body, received_at, parsed)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep pytest output clean
        pass


class _WebhookServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: "WebhookReceiver"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a misbehaving client must not spam the test output


class WebhookReceiver:
    """An HTTP server that records every request and answers `status` (or 500 while `fail_next`)."""

    def __init__(self, status: int = 200, path: str = "/hook"):
        self.status = status
        self.fail_next = 0
        self._path = path
        self._cond = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._server: _WebhookServer | None = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "WebhookReceiver":
        if self._server is not None:
            return self
        server = _WebhookServer((self.host, self.port), _WebhookHandler)
        server.receiver = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"webhook-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "WebhookReceiver":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + self._path

    # -- records ----------------------------------------------------------------------------
    def _record(self, method: str, path: str, headers: dict[str, str], body: bytes,
                received_at: float, parsed: Any) -> int:
        with self._cond:
            if self.fail_next > 0:
                self.fail_next -= 1
                status = 500
            else:
                status = self.status
            self._deliveries.append(Delivery(method, path, headers, body, received_at, parsed, status))
            self._cond.notify_all()
            return status

    @property
    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    def successful(self) -> list[Delivery]:
        with self._cond:
            return [d for d in self._deliveries if d.ok]

    def clear(self) -> None:
        with self._cond:
            self._deliveries.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        """Blocks until at least `count` deliveries were answered 2xx; returns all successful ones."""
        with self._cond:
            ok = _wait(self._cond, lambda: sum(d.ok for d in self._deliveries) >= count, timeout)
            if ok:
                return [d for d in self._deliveries if d.ok]
            arrived = list(self._deliveries)
        lines = "\n".join(f"  {d.summary()}" for d in arrived) or "  (nothing)"
        raise AssertionError(
            f"webhook {self.url}: expected {count} successful deliveries within {timeout}s, "
            f"got {sum(d.ok for d in arrived)}; received {len(arrived)} request(s):\n{lines}")


# ---------------------------------------------------------------------------------------------
# SMTP sink
# ---------------------------------------------------------------------------------------------


@dataclass
class Mail:
    """One message accepted by an `SmtpSink`."""

    mail_from: str
    rcpt_to: list[str]
    data: bytes  # as received, dot-stuffing undone, without the final "."
    message: email.message.EmailMessage
    received_at: float  # time.time()
    auth_user: str | None = None

    @property
    def subject(self) -> str | None:
        value = self.message["Subject"]
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        """The text/plain body, decoded, with line endings normalised to "\\n" ("" if none)."""
        part = self.message.get_body(preferencelist=("plain",))
        if part is None:
            return ""
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return content.replace("\r\n", "\n")

    def summary(self) -> str:
        return f"from {self.mail_from!r} to {self.rcpt_to!r} subject {self.subject!r} auth {self.auth_user!r}"


class _SmtpQuit(Exception):
    pass


_MAX_LINE = 1 << 20
_EHLO_EXTENSIONS = ("8BITMIME", "SMTPUTF8", "PIPELINING", "AUTH PLAIN LOGIN")


def _strip_eol(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n") or line.endswith(b"\r"):
        return line[:-1]
    return line


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(value: str) -> str:
    return base64.b64decode(value.strip(), validate=True).decode("utf-8", "replace")


def _parse_path(arg: str, keyword: str) -> str | None:
    """`FROM:<a@b> BODY=8BITMIME` -> `a@b`; None if malformed. Parameters are ignored."""
    if not arg[: len(keyword) + 1].upper() == keyword + ":":
        return None
    rest = arg[len(keyword) + 1:].strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return None if end < 0 else rest[1:end]
    # Lenient: a bare address without angle brackets.
    return rest.split(" ", 1)[0] if rest else None


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: "_SmtpServer"
    timeout = 60  # seconds of client silence before the connection is dropped

    def setup(self) -> None:
        super().setup()
        self.sink = self.server.sink
        self.sink._track(self.connection, True)
        self.helo: str | None = None
        self.auth_user: str | None = None
        self._reset()

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.sink._track(self.connection, False)

    def _reset(self) -> None:
        self.mail_from: str | None = None
        self.rcpt_to: list[str] = []

    def reply(self, *lines: str) -> None:
        """Sends one reply; several lines make a multi-line reply with the same code."""
        out = []
        for i, line in enumerate(lines):
            code, text = line[:3], line[4:]
            sep = " " if i == len(lines) - 1 else "-"
            out.append(f"{code}{sep}{text}\r\n")
        self.wfile.write("".join(out).encode("utf-8"))

    def readline(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE)
        if not line:
            raise _SmtpQuit()
        if len(line) >= _MAX_LINE and not line.endswith(b"\n"):
            self.reply("500 Line too long")
            raise _SmtpQuit()
        return line

    def handle(self) -> None:
        try:
            self.reply(f"220 {self.sink.hostname} ESMTP OpenTrail test sink ready")
            while True:
                line = _strip_eol(self.readline()).decode("utf-8", "replace")
                verb, _, arg = line.strip().partition(" ")
                method = getattr(self, f"smtp_{verb.upper()}", None) if verb.isalpha() else None
                if method is None:
                    self.reply(f"502 Command not implemented: {verb[:40]}")
                    continue
                method(arg.strip())
        except _SmtpQuit:
            pass
        except socket.timeout:
            try:
                self.reply("421 Timeout, closing connection")
            except OSError:
                pass
        except (OSError, ValueError):
            pass
        except Exception as exc:  # never let a client kill anything; tell it something went wrong
            try:
                self.reply(f"451 Internal sink error: {type(exc).__name__}")
            except OSError:
                pass

    # -- commands ---------------------------------------------------------------------------
    def smtp_EHLO(self, arg: str) -> None:
        self.helo = arg or None
        self._reset()
        self.reply(f"250 {self.sink.hostname} Hello {arg or 'client'}",
                   *(f"250 {ext}" for ext in _EHLO_EXTENSIONS))

    def smtp_HELO(self, arg: str) -> None:
        self.helo = arg or None
        self._reset()
        self.reply(f"250 {self.sink.hostname} Hello {arg or 'client'}")

    def smtp_MAIL(self, arg: str) -> None:
        if self.mail_from is not None:
            self.reply("503 Nested MAIL command")
            return
        addr = _parse_path(arg, "FROM")
        if addr is None:
            self.reply("501 Syntax: MAIL FROM:<address>")
            return
        self.mail_from = addr
        self.reply("250 OK")

    def smtp_RCPT(self, arg: str) -> None:
        if self.mail_from is None:
            self.reply("503 Need MAIL before RCPT")
            return
        addr = _parse_path(arg, "TO")
        if not addr:
            self.reply("501 Syntax: RCPT TO:<address>")
            return
        self.rcpt_to.append(addr)
        self.reply("250 OK")

    def smtp_DATA(self, arg: str) -> None:
        if self.mail_from is None or not self.rcpt_to:
            self.reply("503 Need MAIL and RCPT before DATA")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines = []
        while True:
            line = self.readline()
            if _strip_eol(line) == b".":
                break
            if line.startswith(b"."):
                line = line[1:]  # undo dot-stuffing
            lines.append(line)
        data = b"".join(lines)
        received_at = time.time()
        message = BytesParser(policy=email.policy.default).parsebytes(data)
        mail = Mail(self.mail_from, list(self.rcpt_to), data, message, received_at, self.auth_user)
        number = self.sink._record(mail)
        self._reset()
        self.reply(f"250 OK queued as {number}")

    def smtp_RSET(self, arg: str) -> None:
        self._reset()
        self.reply("250 OK")

    def smtp_NOOP(self, arg: str) -> None:
        self.reply("250 OK")

    def smtp_QUIT(self, arg: str) -> None:
        self.reply(f"221 {self.sink.hostname} Bye")
        raise _SmtpQuit()

    def smtp_AUTH(self, arg: str) -> None:
        if self.auth_user is not None:
            self.reply("503 Already authenticated")
            return
        mechanism, _, initial = arg.partition(" ")
        mechanism, initial = mechanism.upper(), initial.strip()
        try:
            if mechanism == "PLAIN":
                if not initial or initial == "=":
                    self.reply("334 ")
                    initial = self._auth_response()
                    if initial is None:
                        return
                parts = _unb64(initial).split("\0")
                if len(parts) != 3:
                    self.reply("501 Malformed AUTH PLAIN response")
                    return
                user = parts[1]
            elif mechanism == "LOGIN":
                if initial and initial != "=":
                    user = _unb64(initial)
                else:
                    self.reply(f"334 {_b64('Username:')}")
                    response = self._auth_response()
                    if response is None:
                        return
                    user = _unb64(response)
                self.reply(f"334 {_b64('Password:')}")
                if self._auth_response() is None:
                    return
            else:
                self.reply("504 Unrecognized authentication type")
                return
        except (binascii.Error, ValueError):
            self.reply("501 Invalid base64 data")
            return
        self.auth_user = user
        self.reply("235 Authentication successful")

    def _auth_response(self) -> str | None:
        response = _strip_eol(self.readline()).decode("ascii", "replace").strip()
        if response == "*":
            self.reply("501 Authentication cancelled")
            return None
        return response


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: "SmtpSink"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class SmtpSink:
    """A minimal ESMTP server that accepts every message (and any credentials) and records it."""

    def __init__(self, hostname: str = "sink.opentrail.test"):
        self.hostname = hostname
        self.host = "127.0.0.1"
        self.port = 0
        self._cond = threading.Condition()
        self._mails: list[Mail] = []
        self._conns: set[socket.socket] = set()
        self._server: _SmtpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "SmtpSink":
        if self._server is not None:
            return self
        server = _SmtpServer((self.host, self.port), _SmtpHandler)
        server.sink = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"smtp-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # wake handler threads blocked on a silent client
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- records ----------------------------------------------------------------------------
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _record(self, mail: Mail) -> int:
        with self._cond:
            self._mails.append(mail)
            self._cond.notify_all()
            return len(self._mails)

    @property
    def mails(self) -> list[Mail]:
        with self._cond:
            return list(self._mails)

    def clear(self) -> None:
        with self._cond:
            self._mails.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Blocks until at least `count` messages were accepted; returns all of them."""
        with self._cond:
            if _wait(self._cond, lambda: len(self._mails) >= count, timeout):
                return list(self._mails)
            arrived = list(self._mails)
        lines = "\n".join(f"  {m.summary()}" for m in arrived) or "  (nothing)"
        raise AssertionError(
            f"SMTP sink {self.host}:{self.port}: expected {count} message(s) within {timeout}s, "
            f"got {len(arrived)}:\n{lines}")
