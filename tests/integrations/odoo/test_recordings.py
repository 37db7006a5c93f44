"""Every real Odoo 16 and 17 exchange in the shared contract, replayed through the client.

For each JSON-RPC recording the client must send the recorded request (same params, our API key in place
of "<API_KEY>") and read the recorded answer: the same result, or the error class this table expects.
The plain HTTP recordings (118, 119: is JSON-2 there?) go through the client's probes.
"""
import json
from pathlib import Path

import pytest

from integrations.odoo.client import OdooClient, OdooCredentials
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooServerError,
    OdooUserError,
    OdooValidationError,
)
from tests.integrations.odoo.conftest import API_KEY, CONTRACT_DIR, ENDPOINT, ODOO_URL

__all__: list[str] = []

RECORDINGS = sorted(CONTRACT_DIR.glob("v1[67]/*.json"))

# File -> (error class, text str(exc) must contain; None means Odoo's own `data.message`).
# Written by hand from the README, not derived from the files, so a wrong mapping fails.
EXPECTED_ERRORS = {
    "v16/03-common-authenticate-wrong-key.json": (OdooAuthenticationError, "refused the login"),
    "v16/04-common-authenticate-unknown-db.json": (OdooNotFoundError, "'no_such_db' does not exist"),
    "v16/05-object-wrong-key.json": (OdooAuthenticationError, None),
    "v16/08-error-users-has-group-with-ids.json": (OdooServerError, None),
    "v16/21-error-employees-read-private-address.json": (OdooPermissionError, None),
    "v16/24-error-partner-create-without-contact-creation-right.json": (OdooPermissionError, None),
    "v16/25-error-partner-create-invalid-vat.json": (OdooValidationError, None),
    "v16/28-error-account-create-as-accountant.json": (OdooPermissionError, None),
    "v16/30-error-account-duplicate-code.json": (OdooValidationError, None),
    "v16/55-move-create-unbalanced.json": (OdooUserError, None),
    "v16/56-error-create-unknown-account.json": (OdooValidationError, None),
    "v16/58-error-post-bill-without-partner.json": (OdooUserError, None),
    "v16/59-move-create-accounts-of-other-company.json": (OdooUserError, None),
    "v16/60-error-access-no-accounting-rights.json": (OdooPermissionError, None),
    "v16/61-error-unknown-model.json": (OdooUserError, None),
    "v16/62-error-unknown-method.json": (OdooServerError, None),
    "v16/63-error-private-method.json": (OdooPermissionError, None),
    "v16/68-error-unlink-posted.json": (OdooUserError, None),
    "v16/113-own-api-keys-expiration-field.json": (OdooServerError, None),
    "v17/03-common-authenticate-wrong-key.json": (OdooAuthenticationError, "refused the login"),
    "v17/04-common-authenticate-unknown-db.json": (OdooNotFoundError, "'no_such_db' does not exist"),
    "v17/05-object-wrong-key.json": (OdooAuthenticationError, None),
    "v17/08-error-users-has-group-with-ids.json": (OdooServerError, None),
    "v17/18-error-analytic-plans-company-field.json": (OdooServerError, None),
    "v17/23-error-partner-create-without-contact-creation-right.json": (OdooPermissionError, None),
    "v17/24-error-partner-create-invalid-vat.json": (OdooValidationError, None),
    "v17/27-error-account-create-as-accountant.json": (OdooPermissionError, None),
    "v17/29-error-account-duplicate-code.json": (OdooValidationError, None),
    "v17/54-move-create-unbalanced.json": (OdooUserError, None),
    "v17/55-error-create-unknown-account.json": (OdooValidationError, None),
    "v17/57-error-post-bill-without-partner.json": (OdooUserError, None),
    "v17/58-move-create-accounts-of-other-company.json": (OdooUserError, None),
    "v17/59-error-access-no-accounting-rights.json": (OdooPermissionError, None),
    "v17/60-error-unknown-model.json": (OdooUserError, None),
    "v17/61-error-unknown-method.json": (OdooServerError, None),
    "v17/62-error-private-method.json": (OdooPermissionError, None),
    "v17/67-error-unlink-posted.json": (OdooUserError, None),
    "v17/113-own-api-keys-expiration-field.json": (OdooServerError, None),
}
# Plain HTTP exchanges -> the probe that makes the request and what it must conclude from the answer.
PROBES = {
    "/json/2/res.users/context_get": "offers_json2",
    "/web/version": "web_version",
}
# Every recorded probe answer, on every version, and what the probe makes of it.
PROBE_ANSWERS = {
    "v16/118-json2-probe-context-get.json": False,  # 404 HTML
    "v16/119-web-version.json": None,
    "v17/118-json2-probe-context-get.json": False,
    "v17/119-web-version.json": None,
    "v18/118-json2-probe-context-get.json": False,  # 303 to the login page
    "v18/119-web-version.json": None,
    "v19-json2/02-users-context-get-uid.json": True,
    "v19-json2/01-web-version.json": {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0-20251227"},
}


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _no_retry(seconds):
    raise AssertionError(f"a recorded answer must not cause a retry (asked to sleep {seconds}s)")


def _replay(recording: dict):
    """The client and the public call that make the recorded request, and the API key it sends."""
    params = recording["request"]["params"]
    service, method, args = params["service"], params["method"], params["args"]
    database, login, uid, recorded_key = "pleo17", "pleo@example.com", None, "<API_KEY>"
    if (service, method) == ("common", "authenticate"):
        database, login, recorded_key = args[0], args[1], args[2]
    elif (service, method) == ("object", "execute_kw"):
        database, uid, recorded_key = args[0], args[1], args[2]
    # The wrong-key recordings sent a made-up key: send that one; everywhere else, ours.
    api_key = API_KEY if recorded_key == "<API_KEY>" else recorded_key
    client = OdooClient(
        OdooCredentials(url=ODOO_URL, database=database, login=login, api_key=api_key),
        uid=uid,
        sleep=_no_retry,
    )
    calls = {
        ("common", "version"): client.version,
        ("common", "authenticate"): client.authenticate,
        ("db", "list"): client.list_databases,
        ("object", "execute_kw"): lambda: client.execute_kw(*args[3:7]),
    }
    return client, calls[(service, method)], api_key


def _expected_params(recording: dict, api_key: str) -> dict:
    return json.loads(json.dumps(recording["request"]["params"]).replace('"<API_KEY>"', json.dumps(api_key)))


def _is_jsonrpc(recording: dict) -> bool:
    return "params" in recording["request"]


JSONRPC_RECORDINGS = [p for p in RECORDINGS if _is_jsonrpc(json.loads(p.read_text()))]
HTTP_RECORDINGS = [p for p in RECORDINGS if p not in JSONRPC_RECORDINGS]


def test_the_shared_contract_holds_all_225_recordings():
    assert len([p for p in RECORDINGS if p.parent.name == "v16"]) == 113, CONTRACT_DIR
    assert len([p for p in RECORDINGS if p.parent.name == "v17"]) == 112, CONTRACT_DIR
    assert sorted(_key(p) for p in HTTP_RECORDINGS) == [
        f"v{v}/{name}" for v in (16, 17) for name in ("118-json2-probe-context-get.json", "119-web-version.json")
    ]


def test_every_recorded_error_has_an_expected_class_and_nothing_else_does():
    def refused(path):
        recording = json.loads(path.read_text())
        return "error" in recording["response"] or (
            recording["request"]["params"]["method"] == "authenticate" and recording["response"]["result"] is False
        )

    assert {_key(p) for p in JSONRPC_RECORDINGS if refused(p)} == set(EXPECTED_ERRORS)


@pytest.mark.parametrize("path", JSONRPC_RECORDINGS, ids=_key)
def test_client_sends_the_recorded_request_and_reads_the_recorded_answer(path, rsps):
    recording = json.loads(path.read_text())
    rsps.post(ENDPOINT, json=recording["response"], status=recording["http_status"])
    client, call, api_key = _replay(recording)

    expected = EXPECTED_ERRORS.get(_key(path))
    if expected is None:
        result = call()
        assert result == recording["response"].get("result")
        if recording["request"]["params"]["method"] == "authenticate":
            assert client.uid == result
    else:
        error_class, text = expected
        with pytest.raises(error_class) as caught:
            call()
        error = caught.value
        assert type(error) is error_class
        odoo_error = recording["response"].get("error")
        if text is None:
            text = odoo_error["data"]["message"].strip()
        assert text in str(error)
        if odoo_error:
            assert error.name == odoo_error["data"]["name"]
            assert error.payload == odoo_error
        if api_key == API_KEY:
            assert API_KEY not in f"{error} {error!r} {error.payload!r} {error.extra!r}"

    assert len(rsps.calls) == 1
    sent = json.loads(rsps.calls[0].request.body)
    assert sent["jsonrpc"] == "2.0" and sent["method"] == "call" and isinstance(sent["id"], int)
    assert sent["params"] == _expected_params(recording, api_key)


def test_every_plain_http_recording_of_16_and_17_is_a_probe_answer():
    assert {_key(p) for p in HTTP_RECORDINGS} <= set(PROBE_ANSWERS)


@pytest.mark.parametrize("key", PROBE_ANSWERS)
def test_probes_send_the_recorded_request_and_read_the_recorded_answer(key, rsps):
    recording = json.loads((CONTRACT_DIR / key).read_text())
    request, response = recording["request"], recording["response"]
    body = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
    headers = {"Location": response["location"]} if "location" in response else None
    rsps.add(request["method"], f"{ODOO_URL}{request['path']}", body=body, status=response["status"],
             content_type=response["content_type"], headers=headers)
    database = request["headers"].get("X-Odoo-Database", "pleo17")
    client = OdooClient(OdooCredentials(url=ODOO_URL, database=database, login="pleo@example.com", api_key=API_KEY),
                        sleep=_no_retry)

    assert getattr(client, PROBES[request["path"]])() == PROBE_ANSWERS[key]

    sent = rsps.calls[0].request
    for header, value in request["headers"].items():
        assert sent.headers[header] == value.replace("<API_KEY>", API_KEY)
    assert (json.loads(sent.body) if sent.body else None) == request["body"]
