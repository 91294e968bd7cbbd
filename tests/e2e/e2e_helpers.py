"""Helpers shared by the e2e tests: integration-event builders and one PutAuditEvents
interface over the two real clients (the AWS CLI and boto3)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import string
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, cli_error_code

EVENT_TIME = "2026-11-20T21:40:03"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LAKE_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
DELETE = object()


BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_key() -> tuple[str, str]:
    """A fresh (access key id, secret) pair in AWS's shapes, for `opentrail.toml` identities."""
    key_id = "AKIA" + "".join(secrets.choice(BASE32) for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return key_id, secret


def unique(prefix: str = "e") -> str:
    """An id matching `^[-_A-Za-z0-9]+$`, unique across the session."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def event_dict(account_id: str, uid: str | None = None, **overrides: Any) -> dict:
    """A valid integration event (cloudtrail-data-api.md §6). `name=DELETE` removes a member;
    `userIdentity__type=DELETE` reaches into `userIdentity`."""
    data: dict[str, Any] = {
        "version": "1.0",
        "userIdentity": {"type": "AppUser", "principalId": "u-48213", "details": {"email": "dana@example.com"}},
        "userAgent": "order-svc/3.4.1",
        "eventSource": "orders.example.internal",
        "eventName": "CancelOrder",
        "eventTime": EVENT_TIME,
        "UID": uid or unique("uid"),
        "requestParameters": {"orderId": "A-1001"},
        "responseElements": {"status": "CANCELLED"},
        "sourceIPAddress": "198.51.100.23",
        "recipientAccountId": account_id,
    }
    for key, value in overrides.items():
        target, name = data, key
        if "__" in key:
            parent, name = key.split("__", 1)
            target = data[parent]
        if value is DELETE:
            target.pop(name, None)
        else:
            target[name] = value
    return data


def event_data(account_id: str, uid: str | None = None, **overrides: Any) -> str:
    """`event_dict` as compact JSON text (the `eventData` string)."""
    return json.dumps(event_dict(account_id, uid, **overrides), separators=(",", ":"), ensure_ascii=False)


def checksum(text: str) -> str:
    """base64(sha256(eventData)), as `printf %s "$eventData" | openssl dgst -binary -sha256 | base64`."""
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def audit_event(event_data_text: str, id: str | None = None, with_checksum: bool = True, **extra: Any) -> dict:
    entry = {"id": id or unique("id"), "eventData": event_data_text}
    if with_checksum:
        entry["eventDataChecksum"] = checksum(event_data_text)
    entry.update(extra)
    return entry


@dataclass
class PutResult:
    """What one PutAuditEvents call returned, whichever client made it."""

    ok: bool
    response: dict | None = None
    code: str | None = None
    message: str = ""

    def successful_ids(self) -> dict[str, str]:
        assert self.ok, f"call failed: {self.code}: {self.message}"
        return {entry["id"]: entry["eventID"] for entry in self.response["successful"]}

    def failed_codes(self) -> dict[str, str]:
        assert self.ok, f"call failed: {self.code}: {self.message}"
        return {entry["id"]: entry["errorCode"] for entry in self.response["failed"]}

    def failed_messages(self) -> dict[str, str]:
        assert self.ok, f"call failed: {self.code}: {self.message}"
        return {entry["id"]: entry["errorMessage"] for entry in self.response["failed"]}


class CliPutter:
    """`aws cloudtrail-data put-audit-events ... --audit-events file://...`."""

    name = "cli"

    def __init__(self, server: Server, tmp_path: Path):
        self.server = server
        self.tmp_path = tmp_path
        self.calls = 0

    def put(
        self,
        events: list[dict],
        *,
        channel: str | None = None,
        external_id: str | None = None,
        auth: str = "admin",
        credentials: tuple[str, str] | None = None,
        region: str | None = None,
    ) -> PutResult:
        self.calls += 1
        path = self.tmp_path / f"audit-events-{self.calls}.json"
        path.write_text(json.dumps(events), encoding="utf-8")
        args = [
            "cloudtrail-data",
            "put-audit-events",
            "--output",
            "json",
            "--channel-arn",
            channel or self.server.channel_arn,
            "--audit-events",
            f"file://{path}",
        ]
        if external_id is not None:
            args += ["--external-id", external_id]
        if region is not None:
            args += ["--region", region]
        env: dict[str, str | None] = {}
        if credentials is not None:
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = credentials
        if auth == "bad-secret":
            env["AWS_SECRET_ACCESS_KEY"] = "wrong" + self.server.secret_access_key[5:]
        elif auth == "unknown-key":
            env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000"
        elif auth == "none":
            args.append("--no-sign-request")
        else:
            assert auth == "admin", auth
        proc = self.server.aws(*args, env=env)
        if proc.returncode == 0:
            return PutResult(ok=True, response=json.loads(proc.stdout))
        assert proc.returncode == 255, f"aws exited {proc.returncode}:\nstdout={proc.stdout}\nstderr={proc.stderr}"
        code = cli_error_code(proc)
        assert code is not None, f"no `An error occurred (Code)` in stderr: {proc.stderr!r}"
        assert "when calling the PutAuditEvents operation" in proc.stderr
        return PutResult(ok=False, code=code, message=proc.stderr.strip())


_CLIENTS: dict[tuple, Any] = {}


class Boto3Putter:
    """`boto3.client("cloudtrail-data").put_audit_events(...)`."""

    name = "boto3"

    def __init__(self, server: Server):
        self.server = server

    def client(self, auth: str = "admin", credentials: tuple[str, str] | None = None, region: str | None = None):
        """A client per (server, auth, credentials, region), reused: creating one costs ~0.1 s."""
        key = (self.server.endpoint, auth, credentials, region)
        if key not in _CLIENTS:
            _CLIENTS[key] = self._new_client(auth, credentials, region)
        return _CLIENTS[key]

    def _new_client(self, auth: str, credentials: tuple[str, str] | None, region: str | None):
        kwargs: dict[str, Any] = {"region": region}
        if credentials is not None:
            kwargs["access_key_id"], kwargs["secret_access_key"] = credentials
        if auth == "bad-secret":
            kwargs["secret_access_key"] = "wrong" + self.server.secret_access_key[5:]
        elif auth == "unknown-key":
            kwargs["access_key_id"] = "AKIAUNKNOWNKEY000000"
        elif auth == "none":
            kwargs["config"] = Config(signature_version=UNSIGNED)
        else:
            assert auth == "admin", auth
        return self.server.boto3_client("cloudtrail-data", **kwargs)

    def put(
        self,
        events: list[dict],
        *,
        channel: str | None = None,
        external_id: str | None = None,
        auth: str = "admin",
        credentials: tuple[str, str] | None = None,
        region: str | None = None,
    ) -> PutResult:
        client = self.client(auth, credentials, region)
        params: dict[str, Any] = {"channelArn": channel or self.server.channel_arn, "auditEvents": events}
        if external_id is not None:
            params["externalId"] = external_id
        try:
            response = client.put_audit_events(**params)
        except ClientError as err:
            error = err.response["Error"]
            return PutResult(ok=False, code=error["Code"], message=error.get("Message", ""))
        response.pop("ResponseMetadata", None)
        return PutResult(ok=True, response=response)


def audit_records(server: Server) -> list[dict]:
    return [r for r in server.wal_dump() if r.get("eventCategory") == "ActivityAuditLog"]


def by_uid(records: list[dict], uid: str) -> list[dict]:
    return [r for r in records if isinstance(r.get("eventData"), dict) and r["eventData"].get("UID") == uid]


def event_id_counts(records: list[dict]) -> Counter:
    return Counter(r.get("eventID") for r in records)
