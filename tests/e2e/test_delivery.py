"""Trail delivery with the real binary: events in through the native endpoint, log files out in
the embedded local bucket, in AWS's key layout, each delivered record exactly as ingested, each
event in exactly one file; nothing after StopLogging; nothing lost across a SIGKILL mid-delivery.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import botocore.exceptions
import pytest
from conftest import run_opentrail

INTERVAL = "1s"
KEY_RE = re.compile(
    r"^(?P<prefix>.+/)?AWSLogs/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/"
    r"(?P=acct)_CloudTrail_(?P=region)_(?P=y)(?P=m)(?P=d)T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


def generated(server, count: int, seed: int) -> list[str]:
    """Generated records, moved into the server's account (lines as sent)."""
    out = run_opentrail("gen", "--count", str(count), "--seed", str(seed)).decode()
    return [re.sub(r'"recipientAccountId":"\d{12}"', f'"recipientAccountId":"{server.account_id}"', line) for line in out.splitlines() if line]


def delivered(bucket_dir: Path) -> dict[str, list[str]]:
    """Object key → the records of that log file (as JSON text, in file order)."""
    files = {}
    for path in sorted(bucket_dir.rglob("*.json.gz")):
        if ".meta" in path.parts:
            continue
        key = path.relative_to(bucket_dir).as_posix()
        body = gzip.decompress(path.read_bytes())
        records = json.loads(body)["Records"]
        files[key] = [json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in records]
    return files


def wait_for(predicate, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout_s}s")


def ingest(server, lines: list[str]) -> None:
    response = server.native_ingest(("\n".join(lines) + "\n").encode())
    assert response.status == 200, response.body
    answer = json.loads(response.body)
    assert answer["rejected"] == 0, answer


def test_delivers_log_files_exactly_as_ingested(start_server):
    server = start_server("--delivery-interval", INTERVAL)
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="main", S3BucketName="audit-logs", S3KeyPrefix="prod", IsMultiRegionTrail=True)
    client.start_logging(Name="main")
    lines = generated(server, 300, seed=21)
    ingest(server, lines)
    bucket = server.data_dir / "buckets" / "audit-logs"
    # Management events of the account, all regions (the default selector); data events are not.
    expected = {line for line in lines if '"eventCategory":"Management"' in line}
    assert 50 < len(expected) < len(lines)

    def all_there():
        got = [r for records in delivered(bucket).values() for r in records]
        return got if expected <= set(got) else None

    got = wait_for(all_there)
    for key in delivered(bucket):
        match = KEY_RE.match(key)
        assert match, key
        assert match["prefix"] == "prod/" and match["acct"] == server.account_id, key
    sent = set(lines)
    ingested = [r for r in got if r in sent]
    assert sorted(ingested) == sorted(expected), "every delivered record is exactly as ingested, none extra"
    assert len(got) == len(set(got)), "each event in exactly one file"
    # Anything else delivered is OpenTrail's own record of the API calls made here.
    extras = [json.loads(r) for r in got if r not in sent]
    assert all(e["eventSource"] == "cloudtrail.amazonaws.com" and e["recipientAccountId"] == server.account_id for e in extras), extras
    # The trail's own StartLogging call (self-audit) is delivered too.
    assert any('"eventName":"StartLogging"' in r for r in got)
    status = client.get_trail_status(Name="main")
    assert status["IsLogging"] and "LatestDeliveryTime" in status and "LatestDeliveryError" not in status

    # StopLogging stops delivery from that moment.
    client.stop_logging(Name="main")
    later = generated(server, 40, seed=22)
    ingest(server, later)
    time.sleep(3)
    after = {r for records in delivered(bucket).values() for r in records}
    assert not ({line for line in later} & after), "events ingested after StopLogging are not delivered"


def test_sigkill_during_delivery_loses_and_duplicates_nothing(start_server):
    server = start_server("--delivery-interval", INTERVAL)
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="crash", S3BucketName="crash-logs", IsMultiRegionTrail=True)
    client.start_logging(Name="crash")
    bucket = server.data_dir / "buckets" / "crash-logs"
    sent: set[str] = set()
    for round_idx in range(6):
        lines = [l for l in generated(server, 150, seed=100 + round_idx) if '"eventCategory":"Management"' in l]
        ingest(server, lines)
        sent |= set(lines)
        # Kill at a moment somewhere inside the next delivery interval, then restart on the same data.
        time.sleep(0.3 + 0.25 * round_idx)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        server.proc = None
        server.start()
        client = server.boto3_client("cloudtrail")

    def all_there():
        got = [r for records in delivered(bucket).values() for r in records]
        return got if sent <= set(got) else None

    got = wait_for(all_there, timeout_s=20)
    ingested = [r for r in got if r in sent]
    assert len(ingested) == len(set(ingested)) == len(sent), "every acknowledged event in exactly one file"


def test_the_s3_api_serves_delivered_files_read_only(start_server, tmp_path):
    server = start_server("--delivery-interval", INTERVAL)
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="s3api", S3BucketName="s3api-logs", IsMultiRegionTrail=True)
    client.start_logging(Name="s3api")
    ingest(server, [l for l in generated(server, 60, seed=31) if '"eventCategory":"Management"' in l])
    bucket = server.data_dir / "buckets" / "s3api-logs"
    wait_for(lambda: delivered(bucket))
    listing = server.aws("s3", "ls", "s3://s3api-logs", "--recursive")
    assert listing.returncode == 0, listing.stderr
    keys = [line.split()[-1] for line in listing.stdout.splitlines() if line.strip()]
    assert keys and all(KEY_RE.match(k) for k in keys), keys
    assert set(keys) <= set(delivered(bucket)) and len(keys) >= 1
    target = tmp_path / "copy.json.gz"
    copied = server.aws("s3", "cp", f"s3://s3api-logs/{keys[0]}", str(target))
    assert copied.returncode == 0, copied.stderr
    assert target.read_bytes() == (bucket / keys[0]).read_bytes()
    s3 = server.boto3_client("s3")
    head = s3.head_object(Bucket="s3api-logs", Key=keys[0])
    assert head["ContentLength"] == target.stat().st_size
    location = s3.get_bucket_location(Bucket="s3api-logs")
    assert location.get("LocationConstraint") in (None, "")
    # HeadBucket: 200 with the bucket's region; 403 for a bucket no trail of the caller's
    # account delivers to (the read-only API's rule); 404 for a trail's bucket that is gone.
    head_bucket = s3.head_bucket(Bucket="s3api-logs")
    assert head_bucket["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == server.region

    def head_error(name: str) -> str:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.head_bucket(Bucket=name)
        return refused.value.response["Error"]["Code"]

    assert head_error("someone-elses-bucket") == "403"
    client.create_trail(Name="gone", S3BucketName="gone-logs")
    shutil.rmtree(server.data_dir / "buckets" / "gone-logs")
    assert head_error("gone-logs") == "404"
    missing = server.aws("s3api", "get-object", "--bucket", "s3api-logs", "--key", "AWSLogs/nope.json.gz", str(tmp_path / "x"))
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr
    refused = server.aws("s3", "cp", str(target), "s3://s3api-logs/tampered.json.gz")
    assert refused.returncode != 0 and "MethodNotAllowed" in refused.stderr
    assert not (bucket / "tampered.json.gz").exists(), "nothing can be written through the API"


def test_reads_of_a_log_bucket_are_s3_data_events_another_trail_delivers(start_server, tmp_path):
    """Access to audit logs is itself logged (PCI DSS 10.2.1.3): reading a delivered log file
    through the S3 API is a `GetObject` data event naming the object and its bucket, and a trail
    whose advanced selectors watch that bucket delivers it (a failed read too)."""
    server = start_server("--delivery-interval", INTERVAL)
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="watched", S3BucketName="watched-logs", IsMultiRegionTrail=True)
    client.start_logging(Name="watched")
    client.create_trail(Name="watcher", S3BucketName="watcher-logs", IsMultiRegionTrail=True)
    client.put_event_selectors(TrailName="watcher", AdvancedEventSelectors=[{"Name": "log bucket reads", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::watched-logs/"]},
    ]}])
    client.start_logging(Name="watcher")
    ingest(server, [l for l in generated(server, 40, seed=37) if '"eventCategory":"Management"' in l])
    watched = server.data_dir / "buckets" / "watched-logs"
    key = sorted(wait_for(lambda: delivered(watched)))[0]
    s3 = server.boto3_client("s3")
    s3.get_object(Bucket="watched-logs", Key=key)["Body"].read()
    missing = server.aws("s3api", "get-object", "--bucket", "watched-logs", "--key", "AWSLogs/gone.json.gz", str(tmp_path / "x"))
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr

    def reads():
        found = [json.loads(r) for records in delivered(server.data_dir / "buckets" / "watcher-logs").values()
                 for r in records if '"GetObject"' in r]
        return found if len(found) >= 2 else None

    found = wait_for(reads, timeout_s=20)
    [read] = [r for r in found if "errorCode" not in r]
    assert (read["eventSource"], read["eventCategory"], read["managementEvent"], read["readOnly"]) == (
        "s3.amazonaws.com", "Data", False, True), read
    assert read["requestParameters"] == {"bucketName": "watched-logs", "key": key}, read
    assert read["resources"] == [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::watched-logs/{key}"},
                                 {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::watched-logs"}], read
    assert read["userIdentity"]["type"] == "IAMUser" and read["recipientAccountId"] == server.account_id
    [failed] = [r for r in found if "errorCode" in r]
    assert failed["errorCode"] == "NoSuchKey", failed
    # The watched trail takes management events only: no data event in its files.
    assert not any('"eventCategory":"Data"' in r and "s3.amazonaws.com" in r
                   for records in delivered(watched).values() for r in records)


def test_stop_and_restart_keep_every_logging_window_and_audit_events_stay_off_trails(start_server):
    """An event acknowledged while the trail logged is delivered even if the trail is stopped
    and started again before the next delivery; nothing acknowledged in the gap is. Events sent
    with PutAuditEvents go where their channel sends them (event data stores), never to trail
    files, as in AWS."""
    server = start_server("--delivery-interval", "3s")
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="windows", S3BucketName="windows-logs", IsMultiRegionTrail=True)
    bucket = server.data_dir / "buckets" / "windows-logs"
    lines = [l for l in generated(server, 200, seed=71) if '"eventCategory":"Management"' in l]
    first, gap, second = lines[:20], lines[20:40], lines[40:60]
    client.start_logging(Name="windows")
    ingest(server, first)
    client.stop_logging(Name="windows")
    ingest(server, gap)
    client.start_logging(Name="windows")
    ingest(server, second)
    audit_event_data = json.dumps({"version": "1.0", "userIdentity": {"type": "app", "principalId": "p"},
                                   "eventSource": "app.example.com", "eventName": "Marker", "eventTime": "2026-11-21T00:00:00Z",
                                   "UID": "trail-window-marker", "recipientAccountId": server.account_id})
    put = server.boto3_client("cloudtrail-data").put_audit_events(
        channelArn=server.channel_arn, auditEvents=[{"id": "m1", "eventData": audit_event_data}])
    assert [e["id"] for e in put["successful"]] == ["m1"], put

    def both_windows():
        got = {r for records in delivered(bucket).values() for r in records}
        return got if set(first) | set(second) <= got else None

    got = wait_for(both_windows, timeout_s=20)
    time.sleep(3.5)  # one more interval: nothing else arrives
    got = {r for records in delivered(bucket).values() for r in records}
    assert not set(gap) & got, "events acknowledged while the trail was stopped are not delivered"
    assert not any("trail-window-marker" in r or "app.example.com" in r for r in got), "PutAuditEvents never reach trails"
