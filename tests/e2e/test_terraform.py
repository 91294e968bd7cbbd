"""Terraform with the hashicorp/aws provider manages an `aws_cloudtrail` trail on OpenTrail,
with its bucket and bucket policy on the S3-compatible test server (moto): init (offline),
apply, a plan without changes, a switch to advanced event selectors and a new key prefix
(apply, plan without changes), destroy — each step checked through boto3 against the server,
and after each apply the trail really delivers log files into the bucket on moto (OpenTrail's
configuration routes the bucket there).

The configuration is in tests/e2e/terraform/: provider.tf, bucket.tf and one of trail-basic.tf
and trail-advanced.tf, copied into one working directory (so both steps share the state).

Requirements (CI machines have them; a missing one FAILS the test):
- terraform (>= 1.5) on PATH or at $TERRAFORM_BIN (default /usr/local/bin/terraform);
- the hashicorp/aws provider (5.x) unpacked in a plugin directory, $TF_PLUGIN_DIR
  (default /opt/tf-plugins), laid out as
  registry.terraform.io/hashicorp/aws/<version>/linux_amd64/terraform-provider-aws_v<version>_x5.
Terraform never reaches the network: `init -plugin-dir`, an empty CLI config, no checkpoint.
The provider's HTTP exchanges are logged (TF_LOG_PROVIDER=DEBUG) to a file in the tmp dir and
shown, with terraform's output, when a step fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import gzip

import pytest
from botocore.exceptions import ClientError

from s3_server import ROOT_KEY, S3Server
from test_delivery import generated, ingest, wait_for

TF_DIR = Path(__file__).parent / "terraform"
TERRAFORM_BIN = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform") or "/usr/local/bin/terraform"
TF_PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
TF_COMMAND_TIMEOUT_S = 180

TRAIL_NAME = "tf-e2e-trail"
BUCKET = "tf-e2e-audit-logs"
DATA_BUCKET_PREFIX = "arn:aws:s3:::tf-e2e-data-bucket/"

# Variables of the caller's environment that could change what terraform or the provider does.
_ENV_PREFIXES_TO_DROP = ("AWS_", "TF_", "CHECKPOINT_")
_ENV_VARS_TO_DROP = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class ServerIncompatibility(Exception):
    """The provider hit a known OpenTrail incompatibility (see the xfail reason)."""


# aws-sdk-go-v2 (the provider's SDK) sends `X-Amz-Target: CloudTrail_20131101.<Operation>`
# (the Smithy service shape name); botocore sends
# `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>`. OpenTrail only
# recognises the latter and answers the former 404 UnknownOperationException "no such endpoint".
_SHORT_TARGET_BUG_RE = re.compile(r"StatusCode: 404.*api error UnknownOperationException: no such endpoint", re.S)


_LOG_ENTRY_START_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _provider_binaries() -> list[Path]:
    return sorted(TF_PLUGIN_DIR.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*"))


def _require_tools() -> str:
    """Fails (never skips) when terraform or the provider is missing; returns the provider version."""
    if not (os.path.isfile(TERRAFORM_BIN) and os.access(TERRAFORM_BIN, os.X_OK)):
        pytest.fail(
            f"terraform not found (looked for {TERRAFORM_BIN!r}: $TERRAFORM_BIN, else PATH, else "
            "/usr/local/bin/terraform): install Terraform >= 1.5 "
            "(https://developer.hashicorp.com/terraform/install) or set TERRAFORM_BIN",
            pytrace=False,
        )
    binaries = _provider_binaries()
    if not binaries:
        pytest.fail(
            f"the hashicorp/aws provider is not in the plugin directory {TF_PLUGIN_DIR}: unpack "
            "terraform-provider-aws (5.x) into "
            f"{TF_PLUGIN_DIR}/registry.terraform.io/hashicorp/aws/<version>/linux_amd64/ "
            "(e.g. `terraform providers mirror` on a machine with network) or set TF_PLUGIN_DIR",
            pytrace=False,
        )
    return binaries[-1].parts[-3]


class Terraform:
    """One working directory, one state; every command's output kept for failure reports."""

    def __init__(self, work: Path, server, s3_endpoint: str) -> None:
        self.dir = work / "tf"
        self.dir.mkdir()
        self.log_path = work / "provider-debug.log"
        cli_config = work / "terraformrc"
        cli_config.write_text("")
        home = work / "home"
        home.mkdir()
        (home / "aws-config").write_text("")
        (home / "aws-credentials").write_text("")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_ENV_PREFIXES_TO_DROP) and k not in _ENV_VARS_TO_DROP
        }
        env.update(
            HOME=str(home),
            TF_CLI_CONFIG_FILE=str(cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            TF_LOG_PROVIDER="DEBUG",
            TF_LOG_PATH=str(self.log_path),
            NO_PROXY="127.0.0.1,localhost",
            AWS_CONFIG_FILE=str(home / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            TF_VAR_endpoint=server.endpoint,
            TF_VAR_region=server.region,
            TF_VAR_access_key=server.access_key_id,
            TF_VAR_secret_key=server.secret_access_key,
            TF_VAR_s3_endpoint=s3_endpoint,
        )
        self.env = env
        self.transcript: list[str] = []

    def use(self, variant: str) -> None:
        """Puts provider.tf, bucket.tf and trail-<variant>.tf (as trail.tf) in the working
        directory."""
        shutil.copy(TF_DIR / "provider.tf", self.dir / "provider.tf")
        shutil.copy(TF_DIR / "bucket.tf", self.dir / "bucket.tf")
        shutil.copy(TF_DIR / f"trail-{variant}.tf", self.dir / "trail.tf")
        self.transcript.append(f"==== configuration: provider.tf + trail-{variant}.tf")

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        cmd = [TERRAFORM_BIN, *args]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.dir,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=TF_COMMAND_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as err:
            self.transcript.append(f"==== $ terraform {' '.join(args)}: timed out after {TF_COMMAND_TIMEOUT_S}s")
            self.transcript.append(_text(err.stdout) + _text(err.stderr))
            raise AssertionError(self.report(f"terraform {' '.join(args)} timed out")) from None
        elapsed = time.monotonic() - started
        self.transcript.append(f"==== $ terraform {' '.join(args)}  -> exit {proc.returncode} in {elapsed:.1f}s")
        self.transcript.append(proc.stdout + proc.stderr)
        if proc.returncode not in ok:
            output = proc.stdout + proc.stderr
            if _SHORT_TARGET_BUG_RE.search(output):
                raise ServerIncompatibility(self.report("the provider's CloudTrail requests were refused"))
            raise AssertionError(self.report(f"terraform {' '.join(args)} exited {proc.returncode} (expected {ok})"))
        return proc

    def outputs(self) -> dict[str, str]:
        proc = self.run("output", "-json", "-no-color")
        return {name: item["value"] for name, item in json.loads(proc.stdout).items()}

    def http_exchanges(self, limit: int = 40) -> str:
        """The provider's last HTTP requests and responses (from the debug log)."""
        if not self.log_path.exists():
            return "(no provider log)"
        entries: list[list[str]] = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if _LOG_ENTRY_START_RE.match(line) or not entries:
                entries.append([line])
            else:
                entries[-1].append(line)
        picked: list[str] = []
        for entry in entries:
            if "HTTP Request Sent" not in entry[0] and "HTTP Response Received" not in entry[0]:
                continue
            kind = "REQUEST " if "HTTP Request Sent" in entry[0] else "RESPONSE"
            body = " ".join(line.strip()[2:] for line in entry if line.lstrip().startswith("| "))
            text = " ".join(line for line in entry if not line.lstrip().startswith("| "))
            fields = dict(re.findall(r'(http\.[\w.]+|rpc\.method)=("[^"]*"|\S+)', text))
            head = " ".join(
                f"{k}={fields[k]}"
                for k in (
                    "rpc.method",
                    "http.request.header.x_amz_target",
                    "http.url",
                    "http.status_code",
                    "http.response.header.x_amzn_errortype",
                )
                if k in fields
            )
            picked.append(f"{kind} {head}\n    {body}")
        return "\n".join(picked[-limit:]) or "(no HTTP exchanges logged)"

    def report(self, headline: str) -> str:
        transcript = "\n".join(self.transcript)
        if len(transcript) > 20000:
            transcript = "...\n" + transcript[-20000:]
        return f"{headline}\n\n{transcript}\n\n==== provider HTTP exchanges (last ones)\n{self.http_exchanges()}"


def _text(data) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _tags(client, arn: str) -> dict[str, str]:
    tag_lists = client.list_tags(ResourceIdList=[arn])["ResourceTagList"]
    assert [t["ResourceId"] for t in tag_lists] == [arn]
    return {t["Key"]: t.get("Value", "") for t in tag_lists[0].get("TagsList", [])}


def _field_selectors(selector: dict) -> dict[str, dict[str, list[str]]]:
    """{field: {operator: sorted values}}, independent of the order terraform sends them in."""
    return {
        fs["Field"]: {op: sorted(values) for op, values in fs.items() if op != "Field" and values}
        for fs in selector["FieldSelectors"]
    }


def _delivered_under(s3: S3Server, prefix: str) -> list[str]:
    """Records in the log files under `prefix` in the bucket on moto."""
    records = []
    for key, body in s3.objects(BUCKET).items():
        if key.startswith(prefix) and key.endswith(".json.gz"):
            records += [json.dumps(r, separators=(",", ":")) for r in json.loads(gzip.decompress(body))["Records"]]
    return records


def test_terraform_manages_a_trail(start_server, tmp_path):
    provider_version = _require_tools()
    s3 = S3Server(tmp_path)
    s3.start()
    try:
        _terraform_manages_a_trail(start_server, tmp_path, s3, provider_version)
    finally:
        s3.stop()


def _terraform_manages_a_trail(start_server, tmp_path, s3: S3Server, provider_version: str) -> None:
    config = tmp_path / "opentrail.toml"
    config.write_text(
        "version = 1\n[[s3_stores]]\n"
        f'name = "moto"\nendpoint = "{s3.endpoint}"\nregion = "us-east-1"\n'
        f'access_key_id = "{ROOT_KEY[0]}"\nsecret_access_key = "{ROOT_KEY[1]}"\nbuckets = ["tf-e2e-*"]\n'
    )
    server = start_server("--config", str(config), "--delivery-interval", "1s")
    client = server.boto3_client("cloudtrail")
    tf = Terraform(tmp_path, server, s3.endpoint)

    def delivers(prefix: str, seed: int) -> None:
        """Events sent now show up in log files under `prefix` in the bucket on moto."""
        # Write management events: what both steps' selectors take.
        lines = [l for l in generated(server, 80, seed=seed) if '"eventCategory":"Management"' in l and '"readOnly":false' in l]
        assert lines
        ingest(server, lines)
        try:
            wait_for(lambda: set(lines) <= set(_delivered_under(s3, prefix)), timeout_s=30)
        except AssertionError:
            raise AssertionError(tf.report(f"no delivery under {prefix} in the bucket on moto")) from None
    tf.transcript.append(f"==== hashicorp/aws {provider_version} from {TF_PLUGIN_DIR}; OpenTrail at {server.endpoint}")
    expected_arn = f"arn:aws:cloudtrail:{server.region}:{server.account_id}:trail/{TRAIL_NAME}"

    def check(condition: bool, what: str) -> None:
        if not condition:
            raise AssertionError(tf.report(f"check failed: {what}"))

    # ---- step 1: a trail with a basic event selector ------------------------------------
    tf.use("basic")
    tf.run("init", "-input=false", "-no-color", "-plugin-dir", str(TF_PLUGIN_DIR), "-upgrade=false")
    tf.run("apply", "-auto-approve", "-input=false", "-no-color")
    tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color")  # exit 2 would mean a diff

    outputs = tf.outputs()
    check(outputs == {"trail_arn": expected_arn, "home_region": server.region}, f"outputs {outputs}")

    trail = client.get_trail(Name=TRAIL_NAME)["Trail"]
    expected = {
        "Name": TRAIL_NAME,
        "TrailARN": expected_arn,
        "HomeRegion": server.region,
        "S3BucketName": BUCKET,
        "S3KeyPrefix": "opentrail/basic",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "LogFileValidationEnabled": True,
        "HasCustomEventSelectors": True,
        "IsOrganizationTrail": False,
    }
    got = {k: trail.get(k) for k in expected}
    check(got == expected, f"GetTrail after step 1: {got} != {expected}")
    check(client.get_trail_status(Name=TRAIL_NAME)["IsLogging"] is True, "the trail is logging")
    check(s3.client().get_bucket_policy(Bucket=BUCKET)["Policy"] != "", "the bucket policy is on moto")
    delivers(f"opentrail/basic/AWSLogs/{server.account_id}/CloudTrail/", seed=61)
    tags = _tags(client, expected_arn)
    check(tags == {"Environment": "e2e", "ManagedBy": "terraform"}, f"tags after step 1: {tags}")
    selectors = client.get_event_selectors(TrailName=TRAIL_NAME)
    check(not selectors.get("AdvancedEventSelectors"), f"no advanced selectors yet: {selectors}")
    basic = selectors.get("EventSelectors", [])
    check(len(basic) == 1, f"one basic selector: {basic}")
    check(
        basic[0]["ReadWriteType"] == "WriteOnly"
        and basic[0]["IncludeManagementEvents"] is True
        and basic[0]["DataResources"] == [{"Type": "AWS::S3::Object", "Values": [DATA_BUCKET_PREFIX]}],
        f"the basic selector: {basic[0]}",
    )

    # ---- step 2: switch to advanced event selectors -------------------------------------
    tf.use("advanced")
    tf.run("apply", "-auto-approve", "-input=false", "-no-color")
    tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color")

    trail = client.get_trail(Name=TRAIL_NAME)["Trail"]
    check(trail["S3KeyPrefix"] == "opentrail/advanced", f"UpdateTrail changed the key prefix: {trail}")
    check(trail["HasCustomEventSelectors"] is True and trail["LogFileValidationEnabled"] is True, f"{trail}")
    check(client.get_trail_status(Name=TRAIL_NAME)["IsLogging"] is True, "the trail is still logging")
    delivers(f"opentrail/advanced/AWSLogs/{server.account_id}/CloudTrail/", seed=62)
    tags = _tags(client, expected_arn)
    check(tags == {"ManagedBy": "terraform", "Stage": "advanced"}, f"tags after step 2: {tags}")
    selectors = client.get_event_selectors(TrailName=TRAIL_NAME)
    check(not selectors.get("EventSelectors"), f"the basic selectors are gone: {selectors}")
    advanced = {s["Name"]: _field_selectors(s) for s in selectors.get("AdvancedEventSelectors", [])}
    expected_advanced = {
        "Management events": {"eventCategory": {"Equals": ["Management"]}},
        "S3 object writes": {
            "eventCategory": {"Equals": ["Data"]},
            "resources.type": {"Equals": ["AWS::S3::Object"]},
            "resources.ARN": {"StartsWith": [DATA_BUCKET_PREFIX]},
            "readOnly": {"Equals": ["false"]},
        },
    }
    check(advanced == expected_advanced, f"advanced selectors: {advanced} != {expected_advanced}")

    # ---- step 3: destroy -----------------------------------------------------------------
    tf.run("destroy", "-auto-approve", "-input=false", "-no-color")
    try:
        client.get_trail(Name=TRAIL_NAME)
    except ClientError as err:
        check(err.response["Error"]["Code"] == "TrailNotFoundException", f"GetTrail after destroy: {err}")
    else:
        raise AssertionError(tf.report("the trail still exists after terraform destroy"))
    check(client.list_trails()["Trails"] == [], "ListTrails is empty after destroy")
    check(client.describe_trails()["trailList"] == [], "DescribeTrails is empty after destroy")
    buckets = [b["Name"] for b in s3.client().list_buckets()["Buckets"]]
    check(BUCKET not in buckets, f"terraform destroyed the bucket on moto: {buckets}")
