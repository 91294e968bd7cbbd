"""End-to-end fixtures: the real `opentrail` binary, the real AWS CLI (v1) and boto3.

Every server runs on the loopback interface with a fresh data directory under pytest's
tmp dir. Nothing here reads the user's AWS configuration: the CLI and the in-process
boto3 clients see empty config/credentials files and the admin key from `admin.env`.

Environment:
- OPENTRAIL_BIN: the binary (default /root/.cache/opentrail/target/debug/opentrail).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

OPENTRAIL_BIN = os.environ.get("OPENTRAIL_BIN", "/root/.cache/opentrail/target/debug/opentrail")
VENV_BIN = str(Path(sys.executable).parent)
AWS_CLI = os.path.join(VENV_BIN, "aws")

STARTUP_TIMEOUT_S = 20
SHUTDOWN_TIMEOUT_S = 10
CLI_TIMEOUT_S = 120

BANNER_RE = re.compile(r"^OpenTrail listening on (http://127\.0\.0\.1:(\d+)) \(data in (.+)\)$")
CLI_ERROR_RE = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation")

# Variables of the caller's environment that could point the CLI or boto3 elsewhere.
_AWS_VARS_TO_DROP = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CA_BUNDLE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
)


def _scrub_aws_env(env: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in env.items():
        if key in _AWS_VARS_TO_DROP or key.startswith("AWS_ENDPOINT_URL"):
            continue
        out[key] = value
    return out


def _server_env() -> dict[str, str]:
    """The server's environment: no OPENTRAIL_* settings from the caller (region, listen...)."""
    env = {k: v for k, v in _scrub_aws_env(dict(os.environ)).items() if not k.startswith("OPENTRAIL_")}
    env["NO_COLOR"] = "1"
    return env


def run_opentrail(*args: str, timeout: float = 60, input: bytes | None = None) -> bytes:
    """Runs a short-lived `opentrail` command; returns stdout, fails the test on a non-zero exit."""
    proc = subprocess.run(
        [OPENTRAIL_BIN, "-q", *args], input=input, capture_output=True, timeout=timeout, env=_server_env()
    )
    assert proc.returncode == 0, f"opentrail {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}"
    return proc.stdout


def query_string(params: dict[str, str]) -> str:
    """An RFC 3986 query string as botocore would send it (`:` -> %3A, `/` -> %2F)."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="-_.~")


def cli_error_code(proc: subprocess.CompletedProcess) -> str | None:
    match = CLI_ERROR_RE.search(proc.stderr)
    return match.group(1) if match else None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    # Allows `status, headers, body = server.signed_request(...)`.
    def __iter__(self):
        return iter((self.status, self.headers, self.body))


@dataclass
class Server:
    """One running `opentrail serve`."""

    data_dir: Path
    work_dir: Path
    extra_args: tuple[str, ...] = ()
    # The default trail of the first start counts against the 5 trails per region and shows
    # in every listing; tests about other things start without it (`--no-default-trail`).
    default_trail: bool = False
    proc: subprocess.Popen | None = None
    endpoint: str = ""
    port: int = 0
    admin: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    stdout_lines: list[str] = field(default_factory=list)
    stderr_lines: list[str] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.stdout_lines, self.stderr_lines = [], []
        first_line: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [
                OPENTRAIL_BIN,
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--listen",
                "127.0.0.1:0",
                *(() if self.default_trail else ("--no-default-trail",)),
                *self.extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_server_env(),
        )

        def drain(stream, sink: list[str], notify: queue.Queue | None) -> None:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                sink.append(line)
                if notify is not None and len(sink) == 1:
                    notify.put(line)
            if notify is not None and not sink:
                notify.put(None)
            stream.close()

        self._threads = [
            threading.Thread(target=drain, args=(self.proc.stdout, self.stdout_lines, first_line), daemon=True),
            threading.Thread(target=drain, args=(self.proc.stderr, self.stderr_lines, None), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        try:
            line = first_line.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            self._kill()
            raise AssertionError(f"opentrail printed nothing within {STARTUP_TIMEOUT_S}s; stderr:\n{self.stderr_text()}")
        if line is None:
            self.proc.wait(timeout=5)
            code = self.proc.returncode
            self.proc = None
            raise AssertionError(f"opentrail serve exited ({code}) before listening; stderr:\n{self.stderr_text()}")
        match = BANNER_RE.match(line)
        assert match, f"unexpected first stdout line: {line!r}"
        self.endpoint, self.port = match.group(1), int(match.group(2))
        assert Path(match.group(3)) == self.data_dir
        # The banner is written in one go; its last line names `wal dump`. Wait for the drain
        # thread to have collected all of it, so tests can read `stdout_lines` without racing.
        self.wait_for_stdout(lambda line: "opentrail wal dump" in line)
        self.admin = read_env_file(self.data_dir / "admin.env")
        self.env = self._client_env()

    def wait_for_stdout(self, predicate, timeout: float = 10) -> str:
        """Polls the collected stdout until a line satisfies `predicate`; returns that line."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.stdout_lines):
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching stdout line within {timeout}s: {self.stdout_lines!r}")
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"opentrail exited ({self.proc.returncode}); stderr:\n{self.stderr_text()}")
            time.sleep(0.01)

    def stop(self) -> int:
        """SIGTERM; returns the exit code (waits at most SHUTDOWN_TIMEOUT_S)."""
        assert self.proc is not None, "not running"
        proc = self.proc
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError(f"opentrail did not exit within {SHUTDOWN_TIMEOUT_S}s of SIGTERM")
        for thread in self._threads:
            thread.join(timeout=5)
        self.proc = None
        return code

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_lines[-50:])

    # ---- identities ------------------------------------------------------------------

    @property
    def channel_arn(self) -> str:
        return self.admin["OPENTRAIL_DEFAULT_CHANNEL_ARN"]

    @property
    def channel_id(self) -> str:
        return self.channel_arn.rsplit("/", 1)[1]

    @property
    def account_id(self) -> str:
        return self.channel_arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.admin["AWS_REGION"]

    @property
    def access_key_id(self) -> str:
        return self.admin["AWS_ACCESS_KEY_ID"]

    @property
    def secret_access_key(self) -> str:
        return self.admin["AWS_SECRET_ACCESS_KEY"]

    def _client_env(self) -> dict[str, str]:
        env = _scrub_aws_env(dict(os.environ))
        env.update(self.admin)
        config = self.work_dir / "aws-config"
        credentials = self.work_dir / "aws-credentials"
        config.write_text("")
        credentials.write_text("")
        env["AWS_CONFIG_FILE"] = str(config)
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
        env["PYTHONWARNINGS"] = "ignore"
        return env

    # ---- clients ---------------------------------------------------------------------

    def aws(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Runs the AWS CLI with this server's environment (plus `env` overrides)."""
        run_env = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                run_env.pop(key, None)
            else:
                run_env[key] = value
        return subprocess.run(
            [AWS_CLI, *args], env=run_env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
        )

    def boto3_client(
        self,
        service: str,
        *,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        config: Config | None = None,
    ):
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            region_name=region or self.region,
        )
        return session.client(service, endpoint_url=self.endpoint, config=config)

    def signed_request(
        self,
        method: str,
        path: str,
        body: bytes | str = b"",
        service: str = "opentrail",
        headers: dict[str, str] | None = None,
        query: str = "",
        credentials: Credentials | tuple[str, str] | None = None,
        *,
        sign: bool = True,
        region: str | None = None,
        timestamp=None,
        tamper=None,
    ) -> Response:
        """Sends one request signed with SigV4 (botocore's signer) over http.client.

        `query` is an already encoded query string (see `query_string`). `sign=False` sends it
        unsigned. `timestamp` (a naive UTC datetime) signs as if at that time. `tamper(body)`
        changes the body after signing.
        """
        if isinstance(body, str):
            body = body.encode()
        target = path + ("?" + query if query else "")
        url = self.endpoint + target
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        if sign:
            if credentials is None:
                credentials = Credentials(self.access_key_id, self.secret_access_key)
            elif isinstance(credentials, tuple):
                credentials = Credentials(*credentials)
            signer = SigV4Auth(credentials, service, region or self.region)
            if timestamp is not None:
                with mock.patch.object(botocore.auth, "get_current_datetime", return_value=timestamp):
                    signer.add_auth(request)
            else:
                signer.add_auth(request)
        if tamper is not None:
            body = tamper(body)
        send_headers = {k: v for k, v in request.headers.items()}
        send_headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, target, body=body, headers=send_headers)
            response = connection.getresponse()
            data = response.read()
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            return Response(response.status, response_headers, data)
        finally:
            connection.close()

    def native_ingest(self, body: bytes | str, headers: dict[str, str] | None = None, **kwargs) -> Response:
        """`POST /v1/events`, signed for service `opentrail` unless `service=` says otherwise."""
        kwargs.setdefault("service", "opentrail")
        return self.signed_request("POST", "/v1/events", body, headers=headers, **kwargs)

    # ---- storage ---------------------------------------------------------------------

    def wal_dump_raw(self) -> list[str]:
        out = run_opentrail("wal", "dump", "--data-dir", str(self.data_dir))
        return [line for line in out.decode("utf-8").split("\n") if line]

    def wal_dump(self) -> list[dict]:
        return [json.loads(line) for line in self.wal_dump_raw()]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


@pytest.fixture(scope="session", autouse=True)
def _hermetic_aws_env(tmp_path_factory):
    """In-process boto3 must not read the user's AWS config either."""
    home = tmp_path_factory.mktemp("aws-home")
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key in _AWS_VARS_TO_DROP or key.startswith("AWS_ENDPOINT_URL"):
                mp.delenv(key)
        mp.setenv("AWS_CONFIG_FILE", str(home / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def opentrail_bin() -> str:
    if not os.access(OPENTRAIL_BIN, os.X_OK):
        pytest.fail(f"opentrail binary not found at {OPENTRAIL_BIN} (set OPENTRAIL_BIN)")
    return OPENTRAIL_BIN


@pytest.fixture(scope="session")
def start_server(tmp_path_factory, opentrail_bin):
    """Factory: `start_server(*extra_args)` starts a server with a fresh data directory.

    Every server still running at the end of the session gets SIGTERM and must exit 0.
    """
    started: list[Server] = []

    def start(*extra_args: str, default_trail: bool = False) -> Server:
        work = tmp_path_factory.mktemp("opentrail")
        server = Server(data_dir=work / "data", work_dir=work, extra_args=tuple(extra_args),
                        default_trail=default_trail)
        server.start()
        started.append(server)
        return server

    yield start
    failures = []
    for server in started:
        if server.proc is not None:
            code = server.stop()
            if code != 0:
                failures.append(f"{server.endpoint}: exit {code}\n{server.stderr_text()}")
    assert not failures, "servers did not exit cleanly on SIGTERM:\n" + "\n".join(failures)


@pytest.fixture(scope="session")
def server(tmp_path_factory, opentrail_bin):
    """The shared server (one per session). Teardown: SIGTERM, exit code 0 within 10 s."""
    work = tmp_path_factory.mktemp("opentrail-shared")
    srv = Server(data_dir=work / "data", work_dir=work)
    srv.start()
    yield srv
    code = srv.stop()
    assert code == 0, f"opentrail exited {code} after SIGTERM; stderr:\n{srv.stderr_text()}"
