"""A real S3-compatible server for the S3 path: moto's server mode (from PyPI, installed by the
test command), started on 127.0.0.1 on a free port, stoppable and restartable on that port to
stage outages.

moto keeps everything in memory: a restart comes back empty, so tests recreate their buckets.
With `auth_after=N`, moto enforces IAM policies from its N+1th request on, which lets a test
make a bucket refuse OpenTrail's writes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

MOTO_BIN = str(Path(sys.executable).parent / "moto_server")
# moto accepts any credentials until IAM enforcement starts.
ROOT_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    def __init__(self, log_dir: Path, auth_after: int | None = None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.auth_after = auth_after
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.proc is None
        env = dict(os.environ)
        if self.auth_after is not None:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.auth_after)
        log = open(self.log_dir / f"moto-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [MOTO_BIN, "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"moto_server exited {self.proc.returncode}; see {log.name}")
                time.sleep(0.1)
        raise AssertionError(f"moto_server did not listen on {self.port} within 30 s")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        # The port must be refusing connections before the outage counts as begun.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.1)
            except OSError:
                return

    def client(self, service: str = "s3", credentials: tuple[str, str] = ROOT_KEY):
        return boto3.session.Session(
            aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name="us-east-1",
        ).client(service, endpoint_url=self.endpoint)

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of `bucket`: key → bytes."""
        s3 = self.client()
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                out[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return out
