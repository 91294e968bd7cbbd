"""Log-file integrity with the real `aws cloudtrail validate-logs` (pip awscli) pointed at the
running binary with only `AWS_ENDPOINT_URL`: digests every interval (an empty one included),
a stop and a restart of logging, with and without S3KeyPrefix, and a trail whose bucket is on
the S3-compatible test server.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from s3_server import S3Server
from test_delivery import generated, ingest, wait_for

DIGEST_INTERVAL_S = 3
SERVE_ARGS = ("--delivery-interval", "1s", "--digest-interval", f"{DIGEST_INTERVAL_S}s")
SUMMARY_RE = re.compile(r"^(\d+)/(\d+) (digest|log) files valid$", re.M)


def utc(seconds_ago: float = 0) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_objects(server, bucket: str) -> dict[str, bytes]:
    root = server.data_dir / "buckets" / bucket
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.json.gz")) if ".meta" not in p.relative_to(root).parts}


def digests_of(objects: dict[str, bytes]) -> list[dict]:
    found = [json.loads(gzip.decompress(body)) for key, body in objects.items() if "/CloudTrail-Digest/" in key]
    return sorted(found, key=lambda d: d["digestEndTime"])


def validate(server, arn: str, start: str, env: dict | None = None, *extra: str):
    """`aws cloudtrail validate-logs` with only the endpoint variables of `env` (default: the
    server's `AWS_ENDPOINT_URL`)."""
    return server.aws("cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", start, "--verbose", *extra, env=env)


def summary(stdout: str) -> dict[str, tuple[int, int]]:
    return {kind: (int(valid), int(total)) for valid, total, kind in SUMMARY_RE.findall(stdout)}


def run_trail_story(server, client, name: str, bucket: str, prefix: str | None, objects) -> str:
    """Creates a validating trail, delivers events over several digest intervals with one
    interval left empty and one stop/start of logging; returns the trail ARN."""
    kwargs = {"S3KeyPrefix": prefix} if prefix else {}
    arn = client.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True, **kwargs)["TrailARN"]
    client.start_logging(Name=name)
    lines = [l for l in generated(server, 80, seed=61) if '"eventCategory":"Management"' in l]
    ingest(server, lines[:20])
    wait_for(lambda: len(digests_of(objects())) >= 1, timeout_s=20)
    ingest(server, lines[20:40])
    # An interval with no API calls and no events: its digest lists no files.
    try:
        wait_for(lambda: any(not d["logFiles"] for d in digests_of(objects())[1:]), timeout_s=30)
    except AssertionError:
        raise AssertionError([(d["digestEndTime"], len(d["logFiles"])) for d in digests_of(objects())] + server.stderr_lines[-30:])
    client.stop_logging(Name=name)
    time.sleep(1.5)
    client.start_logging(Name=name)
    ingest(server, lines[40:])
    # The new chain's first digest, plus one more after it.
    wait_for(lambda: sum(1 for d in digests_of(objects()) if d["previousDigestS3Object"] is None) >= 2
             and digests_of(objects())[-1]["previousDigestS3Object"] is not None, timeout_s=40)
    return arn


@pytest.mark.parametrize("prefix", [None, "audit/pre"])
def test_aws_cli_validates_every_digest_and_log_file(start_server, prefix):
    server = start_server(*SERVE_ARGS)
    client = server.boto3_client("cloudtrail")
    start = utc(60)
    bucket = f"integrity-{'prefixed' if prefix else 'plain'}"
    objects = lambda: local_objects(server, bucket)
    arn = run_trail_story(server, client, "evidence", bucket, prefix, objects)
    digests = digests_of(objects())
    assert len(digests) >= 4
    assert any(not d["logFiles"] for d in digests), "an empty interval still has a digest"
    assert all(d["digestS3Object"].startswith(f"{prefix}/AWSLogs/" if prefix else "AWSLogs/") for d in digests)
    status = client.get_trail_status(Name="evidence")
    assert "LatestDigestDeliveryTime" in status and "LatestDigestDeliveryError" not in status

    result = validate(server, arn, start)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = summary(result.stdout)
    n_digests = counts["digest"][1]
    assert counts["digest"][0] == n_digests >= 4, result.stdout
    assert counts["log"][0] == counts["log"][1] >= 2, result.stdout
    assert "INVALID" not in result.stdout + result.stderr
    # The stop and restart of logging shows as a gap, not as silence.
    assert "No log files were delivered by CloudTrail between" in result.stderr + result.stdout, result.stderr


def test_aws_cli_validates_a_trail_whose_bucket_is_on_the_s3_server(start_server, tmp_path, monkeypatch):
    moto = S3Server(tmp_path)
    moto.start()
    try:
        moto.client().create_bucket(Bucket="ev-s3")
        config = tmp_path / "opentrail.toml"
        config.write_text(
            'version = 1\ndelivery_interval = "1s"\ndigest_interval = "3s"\n\n[[s3_stores]]\n'
            f'name = "moto"\nendpoint = "{moto.endpoint}"\nregion = "us-east-1"\n'
            'access_key_id = "AKIAIOSFODNN7EXAMPLE"\nsecret_access_key = "${MOTO_SECRET}"\nbuckets = ["ev-*"]\n'
        )
        monkeypatch.setenv("MOTO_SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        server = start_server("--config", str(config))
        client = server.boto3_client("cloudtrail")
        start = utc(60)
        arn = run_trail_story(server, client, "on-s3", "ev-s3", "p", lambda: moto.objects("ev-s3"))
        # CloudTrail calls go to OpenTrail, S3 calls to the S3 server.
        result = validate(server, arn, start, {"AWS_ENDPOINT_URL_S3": moto.endpoint})
        assert result.returncode == 0, result.stdout + result.stderr
        counts = summary(result.stdout)
        assert counts["digest"][0] == counts["digest"][1] >= 4, result.stdout
        assert counts["log"][0] == counts["log"][1] >= 2, result.stdout
    finally:
        moto.stop()
