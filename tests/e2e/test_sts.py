"""STS (AWS query, SigV4 service `sts`) with the real AWS CLI, boto3 and Terraform's
`data "aws_caller_identity"`: who a key belongs to, recorded as CloudTrail records it."""

import json
import time
import urllib.parse

import botocore.exceptions
import pytest
from conftest import Server

XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"


def records_named(server: Server, name: str) -> list[dict]:
    return [r for r in server.wal_dump() if r.get("eventName") == name]


def test_cli_and_boto3_name_the_administrator(server: Server):
    proc = server.aws("sts", "get-caller-identity")
    assert proc.returncode == 0, proc.stderr
    identity = json.loads(proc.stdout)
    assert identity["Account"] == server.account_id
    assert identity["Arn"] == f"arn:aws:iam::{server.account_id}:user/admin"
    assert identity["UserId"].startswith("AIDA") and len(identity["UserId"]) == 21, identity
    answer = server.boto3_client("sts").get_caller_identity()
    assert {k: answer[k] for k in ("Account", "Arn", "UserId")} == identity
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    request_id = answer["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 10
    while not [r for r in records_named(server, "GetCallerIdentity") if r["requestID"] == request_id]:
        assert time.monotonic() < deadline, "GetCallerIdentity was not recorded"
        time.sleep(0.2)
    [record] = [r for r in records_named(server, "GetCallerIdentity") if r["requestID"] == request_id]
    assert record["eventSource"] == "sts.amazonaws.com" and record["readOnly"] is True, record
    assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["userName"] == "admin"
    assert record["responseElements"] is None, record


def test_root_and_denied_users_still_learn_who_they_are(start_server, tmp_path_factory):
    """No permission is needed (AWS: not even past an explicit deny); the root user's user id is
    its account."""
    from e2e_helpers import new_key

    account = "610987654321"
    root, denied = new_key(), new_key()
    config = f"""
version = 1

[[accounts]]
id = "{account}"
name = "tenant"
root_access_keys = [{{ id = "{root[0]}", secret = "{root[1]}" }}]

[[users]]
account = "{account}"
name = "locked"
access_keys = [{{ id = "{denied[0]}", secret = "{denied[1]}" }}]
[[users.statements]]
effect = "Deny"
actions = ["*"]
resources = ["*"]
"""
    path = tmp_path_factory.mktemp("sts") / "opentrail.toml"
    path.write_text(config)
    server = start_server("--config", str(path))
    as_root = server.boto3_client("sts", access_key_id=root[0], secret_access_key=root[1]).get_caller_identity()
    assert (as_root["Account"], as_root["Arn"], as_root["UserId"]) == (account, f"arn:aws:iam::{account}:root", account)
    as_denied = server.boto3_client("sts", access_key_id=denied[0], secret_access_key=denied[1]).get_caller_identity()
    assert as_denied["Arn"] == f"arn:aws:iam::{account}:user/locked"


def test_wrong_keys_get_sts_errors_and_nothing_is_recorded(server: Server):
    def code(**keys):
        client = server.boto3_client("sts", **keys)
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            client.get_caller_identity()
        return refused.value.response["Error"]["Code"], refused.value.response["ResponseMetadata"]["HTTPStatusCode"]

    assert code(access_key_id="AKIAUNKNOWNKEY000000", secret_access_key="x" * 40) == ("InvalidClientTokenId", 403)
    assert code(secret_access_key="w" * 40) == ("SignatureDoesNotMatch", 403)
    unsigned = server.signed_request("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", sign=False,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status == 404 or b"<ErrorResponse" not in unsigned.body  # unsigned: no service is addressed
    # A signed call of an action STS has not: AWS query's InvalidAction, in its XML error shape.
    odd = server.signed_request("POST", "/", "Action=NoSuchThing&Version=2011-06-15", service="sts",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert odd.status == 400, odd.body
    assert f'<ErrorResponse xmlns="{XMLNS}">'.encode() in odd.body and b"<Code>InvalidAction</Code>" in odd.body
    missing = server.signed_request("POST", "/", "Version=2011-06-15", service="sts",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert missing.status == 400 and b"<Code>MissingAction</Code>" in missing.body, missing.body


def test_a_presigned_get_caller_identity_url_works(server: Server):
    """What `aws eks get-token` and Vault's AWS auth do: a presigned GET of GetCallerIdentity."""
    client = server.boto3_client("sts")
    url = client.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    parsed = urllib.parse.urlsplit(url)
    response = server.signed_request("GET", parsed.path or "/", query=parsed.query, sign=False)
    assert response.status == 200, response.body
    assert b"<GetCallerIdentityResult>" in response.body
    assert f"<Account>{server.account_id}</Account>".encode() in response.body


def test_terraform_reads_the_caller_identity(server: Server, tmp_path):
    """The provider validates its credentials with STS (`skip_credentials_validation = false`)
    and `data "aws_caller_identity"` answers the administrator's account and ARN."""
    from test_terraform import TF_PLUGIN_DIR, Terraform

    tf = Terraform(tmp_path, server, server.endpoint)
    (tf.dir / "main.tf").write_text("""
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" { type = string }
variable "region" { type = string }
variable "access_key" { type = string }
variable "secret_key" { type = string }
variable "s3_endpoint" { type = string }

provider "aws" {
  region                      = var.region
  access_key                  = var.access_key
  secret_key                  = var.secret_key
  skip_credentials_validation = false
  skip_requesting_account_id  = false
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints {
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

output "account_id" { value = data.aws_caller_identity.current.account_id }
output "arn" { value = data.aws_caller_identity.current.arn }
""")
    tf.run("init", "-input=false", "-no-color", "-plugin-dir", str(TF_PLUGIN_DIR), "-upgrade=false")
    tf.run("apply", "-auto-approve", "-input=false", "-no-color")
    outputs = tf.outputs()
    assert outputs == {"account_id": server.account_id,
                       "arn": f"arn:aws:iam::{server.account_id}:user/admin"}, tf.report(str(outputs))
