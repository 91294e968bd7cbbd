"""Trail delivery to a real S3-compatible server (moto's server mode on 127.0.0.1), configured
through `[[s3_stores]]` in opentrail.toml: log files in AWS's key layout listed by the real
`aws s3 ls`, every record exactly as ingested; bucket checks at CreateTrail
(S3BucketDoesNotExistException, InsufficientS3BucketPolicyException); an outage of the store
shown by GetTrailStatus and caught up afterwards without losing or duplicating anything, while a
trail on the local store keeps delivering.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from s3_server import S3Server
from test_delivery import INTERVAL, KEY_RE, generated, ingest, wait_for


def records_of(objects: dict[str, bytes]) -> list[str]:
    out = []
    for key, body in objects.items():
        if key.endswith(".json.gz"):
            for record in json.loads(gzip.decompress(body))["Records"]:
                out.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
    return out


def write_config(path: Path, s3: S3Server, buckets: list[str], credentials: tuple[str, str] | None = None) -> Path:
    key_id, secret = credentials or ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    path.write_text(
        f'version = 1\ndelivery_interval = "{INTERVAL}"\n\n[[s3_stores]]\n'
        f'name = "moto"\nendpoint = "{s3.endpoint}"\nregion = "us-east-1"\n'
        f'access_key_id = "{key_id}"\nsecret_access_key = "${{MOTO_SECRET}}"\n'
        f"buckets = {json.dumps(buckets)}\n"
    )
    return path


@pytest.fixture
def moto(tmp_path):
    server = S3Server(tmp_path)
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


def start_with_s3(start_server, monkeypatch, config: Path, secret: str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"):
    # The secret comes from the environment, as the sample configuration recommends.
    monkeypatch.setenv("MOTO_SECRET", secret)
    # The delivery interval comes from the file's `delivery_interval`.
    return start_server("--config", str(config))


def test_log_files_are_delivered_to_the_s3_store(start_server, moto, tmp_path, monkeypatch):
    moto.client().create_bucket(Bucket="acme-cloudtrail")
    server = start_with_s3(start_server, monkeypatch, write_config(tmp_path / "opentrail.toml", moto, ["acme-*"]))

    # A bucket the store does not have: refused as AWS does, with the CLI.
    missing = server.aws("cloudtrail", "create-trail", "--name", "nowhere", "--s3-bucket-name", "acme-missing")
    assert missing.returncode != 0 and "S3BucketDoesNotExistException" in missing.stderr, missing.stderr
    assert not (server.data_dir / "buckets" / "acme-missing").exists(), "never created locally"

    created = server.aws("cloudtrail", "create-trail", "--name", "to-s3", "--s3-bucket-name", "acme-cloudtrail",
                         "--s3-key-prefix", "org", "--is-multi-region-trail")
    assert created.returncode == 0, created.stderr
    assert server.aws("cloudtrail", "start-logging", "--name", "to-s3").returncode == 0
    lines = [l for l in generated(server, 200, seed=41) if '"eventCategory":"Management"' in l]
    ingest(server, lines)

    def all_there():
        got = records_of(moto.objects("acme-cloudtrail"))
        return got if set(lines) <= set(got) else None

    got = wait_for(all_there, timeout_s=30)
    sent = set(lines)
    assert sorted(r for r in got if r in sent) == sorted(lines), "each record exactly as ingested, exactly once"
    assert all(json.loads(r)["eventSource"] == "cloudtrail.amazonaws.com" for r in got if r not in sent)

    # The real AWS CLI lists AWS-shaped keys in the real S3 server.
    listing = server.aws("s3", "ls", "--recursive", "s3://acme-cloudtrail", "--endpoint-url", moto.endpoint,
                         env={"AWS_ENDPOINT_URL": None})
    assert listing.returncode == 0, listing.stderr
    keys = [line.split()[-1] for line in listing.stdout.splitlines() if line.strip()]
    assert keys and all(KEY_RE.match(k) and k.startswith(f"org/AWSLogs/{server.account_id}/CloudTrail/") for k in keys), keys
    head = moto.client().head_object(Bucket="acme-cloudtrail", Key=keys[0])
    assert head["ContentType"] == "application/json" and head["ContentEncoding"] == "gzip"
    # No write-check object is left behind, and nothing went to the local store.
    assert all(k.endswith(".json.gz") for k in keys), keys
    assert not (server.data_dir / "buckets" / "acme-cloudtrail").exists()

    # OpenTrail's own S3 API reads the same bucket through to the store.
    through = server.aws("s3", "ls", "--recursive", "s3://acme-cloudtrail")
    assert through.returncode == 0, through.stderr
    assert [line.split()[-1] for line in through.stdout.splitlines() if line.strip()] == keys

    status = server.boto3_client("cloudtrail").get_trail_status(Name="to-s3")
    assert "LatestDeliveryTime" in status and "LatestDeliveryError" not in status


def test_a_bucket_that_refuses_writes_is_an_insufficient_policy(start_server, tmp_path, monkeypatch):
    # moto enforces IAM from its 5th request on: create the bucket and a user allowed only to
    # list and read it; OpenTrail is configured with that user's keys.
    s3 = S3Server(tmp_path, auth_after=4)
    s3.start()
    try:
        s3.client().create_bucket(Bucket="locked-logs")
        iam = s3.client("iam")
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}],
        }))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        config = write_config(tmp_path / "opentrail.toml", s3, ["locked-logs"], (key["AccessKeyId"], key["SecretAccessKey"]))
        server = start_with_s3(start_server, monkeypatch, config, secret=key["SecretAccessKey"])
        client = server.boto3_client("cloudtrail")
        with pytest.raises(ClientError) as refused:
            client.create_trail(Name="locked", S3BucketName="locked-logs")
        assert refused.value.response["Error"]["Code"] == "InsufficientS3BucketPolicyException"
        assert "locked-logs" in refused.value.response["Error"]["Message"]
        assert client.list_trails()["Trails"] == [], "the refused trail was not created"
    finally:
        s3.stop()


def test_an_outage_is_reported_and_caught_up(start_server, moto, tmp_path, monkeypatch):
    moto.client().create_bucket(Bucket="outage-logs")
    server = start_with_s3(start_server, monkeypatch, write_config(tmp_path / "opentrail.toml", moto, ["outage-logs"]))
    client = server.boto3_client("cloudtrail")
    client.create_trail(Name="remote", S3BucketName="outage-logs", IsMultiRegionTrail=True)
    client.create_trail(Name="local", S3BucketName="local-logs", IsMultiRegionTrail=True)
    client.start_logging(Name="remote")
    client.start_logging(Name="local")
    before = [l for l in generated(server, 60, seed=51) if '"eventCategory":"Management"' in l]
    ingest(server, before)
    wait_for(lambda: set(before) <= set(records_of(moto.objects("outage-logs"))), timeout_s=30)

    moto.stop()
    during = [l for l in generated(server, 120, seed=52) if '"eventCategory":"Management"' in l]
    ingest(server, during)

    def error_shown():
        status = client.get_trail_status(Name="remote")
        return status if status.get("LatestDeliveryError") else None

    status = wait_for(error_shown, timeout_s=30)
    assert status["LatestDeliveryError"] == "ServiceUnavailable", status
    # The latest attempt (failed) is later than the latest successful one, before the outage.
    assert status["LatestDeliveryAttemptTime"] > status["LatestDeliveryAttemptSucceeded"], status
    # The local trail is not held back by the unreachable store.
    local_bucket = server.data_dir / "buckets" / "local-logs"

    def local_records():
        got = []
        for path in local_bucket.rglob("*.json.gz"):
            if ".meta" not in path.parts:
                got += [json.dumps(r, separators=(",", ":"), ensure_ascii=False)
                        for r in json.loads(gzip.decompress(path.read_bytes()))["Records"]]
        return got

    wait_for(lambda: set(during) <= set(local_records()), timeout_s=30)
    assert client.get_trail_status(Name="local").get("LatestDeliveryError") is None
    # A change to where the trail delivers cannot be checked now: refused, retryable, unchanged.
    once = server.boto3_client("cloudtrail", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as unreachable:
        once.update_trail(Name="remote", S3KeyPrefix="moved")
    assert unreachable.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert unreachable.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "S3KeyPrefix" not in client.get_trail(Name="remote")["Trail"]

    # The store comes back (empty: moto keeps nothing across restarts) and delivery catches up.
    time.sleep(2)
    moto.start()
    moto.client().create_bucket(Bucket="outage-logs")
    got = wait_for(lambda: (r := records_of(moto.objects("outage-logs"))) and set(during) <= set(r) and r, timeout_s=60)
    sent = set(during)
    delivered = [r for r in got if r in sent]
    assert len(delivered) == len(set(delivered)) == len(sent), "nothing lost, nothing twice"
    status = wait_for(lambda: (s := client.get_trail_status(Name="remote")) and "LatestDeliveryError" not in s and s, timeout_s=30)
    assert status["LatestDeliveryAttemptSucceeded"] == status["LatestDeliveryAttemptTime"], status
