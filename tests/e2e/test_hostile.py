"""Hostile tenants and hostile input (issue 15), from the attacker's side with real clients.

Each test names the finding it proves closed. Findings not yet addressed have no test here yet.
"""

import json
import uuid

from conftest import Server

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON_11 = "application/x-amz-json-1.1"


def test_2_failed_authentication_writes_nothing_in_the_key_owners_name(server: Server):
    """A stranger who knows an access key id (not its secret) sends StopLogging with a 200 KB body,
    signed with a wrong secret: the call fails, and nothing of it reaches the audit trail, so no
    event, no CloudTrail-changes alarm and no disk filled in the key owner's name."""
    marker = "forged-" + uuid.uuid4().hex
    body = json.dumps({"Name": marker, "Padding": "x" * 200_000})
    wrong = (server.access_key_id, "w" * 40)
    response = server.signed_request(
        "POST", "/", body, service="cloudtrail", credentials=wrong,
        headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "StopLogging"},
    )
    assert response.status == 400, response.body
    assert json.loads(response.body)["__type"] == "InvalidSignatureException"
    request_id = response.headers["x-amzn-requestid"]
    # A correctly signed call after it is recorded, so the WAL was read past the forged one.
    good = server.signed_request(
        "POST", "/", "{}", service="cloudtrail",
        headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + "ListTrails"},
    )
    assert good.status == 200, good.body
    raw = server.wal_dump_raw()
    assert any(good.headers["x-amzn-requestid"] in line for line in raw)
    assert not any(marker in line or request_id in line for line in raw), "the forged call was recorded"
