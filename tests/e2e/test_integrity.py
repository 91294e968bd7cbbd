"""Log-file integrity with the real `aws cloudtrail validate-logs` (pip awscli) pointed at the
running binary with only `AWS_ENDPOINT_URL`: digests every interval (an empty one included),
a stop and a restart of logging, with and without S3KeyPrefix, and a trail whose bucket is on
the S3-compatible test server.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import OPENTRAIL_BIN
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


def ours_validate(server, arn: str, start: str, *extra: str, env: dict | None = None):
    """`opentrail validate-logs --output json` with the server's AWS environment."""
    run_env = dict(server.env)
    run_env.update(env or {})
    return subprocess.run([OPENTRAIL_BIN, "validate-logs", "--trail-arn", arn, "--start-time", start, "--output", "json", *extra],
                          env=run_env, capture_output=True, text=True, timeout=120)


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
    try:
        # The first digest also makes the region's signing key (RSA-2048), slow on a loaded CI.
        wait_for(lambda: len(digests_of(objects())) >= 1, timeout_s=60)
    except AssertionError:
        raise AssertionError("no digest within 60 s; server log:\n" + "\n".join(server.stderr_lines[-40:]))
    ingest(server, lines[20:40])
    # An interval with no API calls and no events: its digest lists no files.
    try:
        wait_for(lambda: any(not d["logFiles"] for d in digests_of(objects())[1:]), timeout_s=60)
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

    # Ours agrees, through the APIs and straight from the data directory.
    for extra in ([], ["--data-dir", str(server.data_dir)]):
        ours = ours_validate(server, arn, start, *extra)
        assert ours.returncode == 0, ours.stdout + ours.stderr
        report = json.loads(ours.stdout)
        assert report["valid"] and report["summary"]["digestFiles"]["invalid"] == 0
        assert report["summary"]["digestFiles"]["valid"] >= n_digests
        assert report["summary"]["logFiles"]["invalid"] == 0
        assert report["summary"]["logFiles"]["valid"] >= counts["log"][1]
        assert report["gaps"], "the restart is reported"


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


# ---- tampering ---------------------------------------------------------------------------


class Bucket:
    """The trail's local bucket on disk: objects and their metadata sidecars."""

    def __init__(self, server, name: str):
        self.root = server.data_dir / "buckets" / name
        self.meta = server.data_dir / "buckets" / ".meta" / name

    def keys(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.json.gz"))

    def path(self, key: str) -> Path:
        return self.root / key

    def snapshot(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for base in (self.root, self.meta) for p in base.rglob("*") if p.is_file()}

    def restore(self, snapshot: dict[Path, bytes]) -> None:
        for base in (self.root, self.meta):
            for p in base.rglob("*"):
                if p.is_file() and p not in snapshot:
                    p.unlink()
        for p, body in snapshot.items():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(body)


def test_tampering_is_detected_by_ours_and_what_the_aws_cli_misses_is_known(start_server):
    server = start_server(*SERVE_ARGS)
    client = server.boto3_client("cloudtrail")
    start = utc(60)
    arn = client.create_trail(Name="tamper", S3BucketName="tamper-logs", EnableLogFileValidation=True)["TrailARN"]
    client.start_logging(Name="tamper")
    bucket = Bucket(server, "tamper-logs")
    lines = [l for l in generated(server, 200, seed=71) if '"awsRegion":"us-east-1"' in l]
    for part in range(4):
        ingest(server, lines[part * 10:(part + 1) * 10])
        time.sleep(DIGEST_INTERVAL_S)
    client.stop_logging(Name="tamper")
    # Let the final digest (and the files delivered just before it) settle.
    time.sleep(2 * DIGEST_INTERVAL_S + 1)
    digest_keys = [k for k in bucket.keys() if "/CloudTrail-Digest/" in k]
    assert len(digest_keys) >= 5, digest_keys
    clean = bucket.snapshot()
    baseline = validate(server, arn, start)
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    assert ours_validate(server, arn, start).returncode == 0

    digests = {k: json.loads(gzip.decompress(bucket.path(k).read_bytes())) for k in digest_keys}
    with_files = [k for k in digest_keys[2:-1] if digests[k]["logFiles"]]
    assert with_files, "a middle digest lists log files"
    middle = with_files[0]
    log_key = digests[middle]["logFiles"][0]["s3Object"]
    i = digest_keys.index(middle)

    def tamper_log_bytes():
        body = gzip.decompress(bucket.path(log_key).read_bytes()).replace(b'"eventName":"', b'"eventName":"X', 1)
        bucket.path(log_key).write_bytes(gzip.compress(body))

    def delete_log():
        bucket.path(log_key).unlink()

    def tamper_digest():
        body = gzip.decompress(bucket.path(middle).read_bytes()).replace(b'"hashValue":"', b'"hashValue":"0', 1)
        bucket.path(middle).write_bytes(gzip.compress(body))

    def delete_digest():
        bucket.path(middle).unlink()

    def delete_two_digests():
        bucket.path(digest_keys[i]).unlink()
        bucket.path(digest_keys[i - 1]).unlink()

    def tamper_signature():
        sidecar = bucket.meta / middle
        text = sidecar.read_text()
        at = text.index("x-amz-meta-signature: ") + len("x-amz-meta-signature: ")
        flipped = "1" if text[at] != "1" else "2"
        sidecar.write_text(text[:at] + flipped + text[at + 1:])

    moved_key = log_key.replace(".json.gz", "").rsplit("_", 1)[0] + "_MovedByAnAttackr.json.gz"
    foreign_key = log_key.replace(".json.gz", "").rsplit("_", 1)[0] + "_ForeignLogFile01.json.gz"

    def move_log():
        bucket.path(log_key).rename(bucket.path(moved_key))

    def add_foreign_log():
        bucket.path(foreign_key).write_bytes(gzip.compress(b'{"Records":[]}'))

    # case → (tamper, what ours must report, whether the AWS CLI notices at all, digests that are
    # gone: their log files are then in no digest, and ours says so too)
    cases = {
        "log file bytes changed": (tamper_log_bytes, {log_key: "modified"}, True, []),
        "log file deleted": (delete_log, {log_key: "deleted"}, True, []),
        "digest changed": (tamper_digest, {middle: "bad-signature"}, True, []),
        "digest deleted": (delete_digest, {middle: "deleted"}, True, [middle]),
        "two consecutive digests deleted": (delete_two_digests, {digest_keys[i]: "deleted", digest_keys[i - 1]: "missing"}, True,
                                            [digest_keys[i], digest_keys[i - 1]]),
        "digest signature metadata changed": (tamper_signature, {middle: "bad-signature"}, True, []),
        "log file moved": (move_log, {log_key: "moved"}, True, []),
        "foreign log file added": (add_foreign_log, {foreign_key: "not-in-any-digest"}, False, []),
    }
    aws_missed = []
    for name, (tamper, expected, aws_notices, gone) in cases.items():
        expected = dict(expected)
        expected.update({f["s3Object"]: "not-in-any-digest" for k in gone for f in digests[k]["logFiles"]})
        bucket.restore(clean)
        tamper()
        aws = validate(server, arn, start)
        ours = ours_validate(server, arn, start)
        report = json.loads(ours.stdout)
        found = {f["s3Object"]: f["status"] for f in report["digestFiles"] + report["logFiles"] if f["status"] != "valid"}
        assert ours.returncode == 1 and not report["valid"], f"{name}: ours missed it\n{ours.stdout}"
        assert found == expected, f"{name}: ours found {found}"
        aws_text = aws.stdout + aws.stderr
        assert (aws.returncode != 0) == aws_notices, f"{name}: AWS CLI exit {aws.returncode}\n{aws_text}"
        if name == "two consecutive digests deleted":
            # The AWS CLI names the digest the chain points at, then jumps to the next one it
            # finds: the second deleted digest is never mentioned.
            assert digest_keys[i] in aws_text and digest_keys[i - 1] not in aws_text, aws_text
            aws_missed.append(name + " (names only one of the two)")
        if not aws_notices:
            aws_missed.append(name)
        # The text report says the same, line by line.
        text = subprocess.run([OPENTRAIL_BIN, "validate-logs", "--trail-arn", arn, "--start-time", start],
                              env=server.env, capture_output=True, text=True, timeout=120)
        assert text.returncode == 1 and all(k in text.stdout for k in expected), text.stdout
    bucket.restore(clean)
    assert ours_validate(server, arn, start).returncode == 0, "restored: valid again"
    assert aws_missed == ["two consecutive digests deleted (names only one of the two)", "foreign log file added"]


def test_bench_validate_logs_times_both_validators_on_the_same_trail(tmp_path):
    from conftest import VENV_BIN
    env = {"PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    out = subprocess.run([OPENTRAIL_BIN, "bench", "validate-logs", "--seconds", "8", "--data-dir", str(tmp_path / "bench")],
                         env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = [l for l in out.stdout.splitlines() if "files valid" in l]
    assert len(lines) == 3, out.stdout
    # Both validators saw the same digests and log files, all valid.
    counts = [re.findall(r"(\d+)/(\d+) (digest|log) files valid", l) for l in lines]
    assert counts[0] == counts[1] == counts[2] and all(v == t for v, t, _ in counts[0]), out.stdout
    assert re.search(r"ratio: [\d.]+x faster", out.stdout), out.stdout
