"""Every real Odoo 16 to 19 exchange in the shared contract, replayed through the client.

For each JSON-RPC recording (v16, v17, v18, v19) the client must send the recorded request (same params,
our API key in place of "<API_KEY>") and read the recorded answer: the same result, or the error class
the folder's table expects. Each JSON-2 recording (v19-json2) goes through the client's JSON-2 transport,
called the way callers call it today (JSON-RPC's positional shapes): it must send the recorded path,
headers and named arguments and read the recorded answer the same way. The plain HTTP recordings
(118, 119: is JSON-2 there?) go through the client's probes.
"""
import json
from pathlib import Path

import pytest

from integrations.odoo.client import JSON2, OdooClient, OdooCredentials
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooServerError,
    OdooUserError,
    OdooValidationError,
)
from integrations.odoo.json2 import named_arguments
from tests.integrations.odoo.conftest import API_KEY, CONTRACT_DIR, ENDPOINT, ODOO_URL

__all__: list[str] = []

FOLDERS = {"v16": 113, "v17": 112, "v18": 123, "v19": 123, "v19-json2": 125}
RECORDINGS = sorted(p for folder in FOLDERS for p in (CONTRACT_DIR / folder).glob("*.json"))

_AUTH, _NOT_FOUND, _PERM, _SERVER, _USER, _VALID = (
    OdooAuthenticationError, OdooNotFoundError, OdooPermissionError, OdooServerError, OdooUserError,
    OdooValidationError,
)
_REFUSED_LOGIN = (_AUTH, "refused the login")
_NO_SUCH_DB = (_NOT_FOUND, "'no_such_db' does not exist")

# Folder -> file -> (error class, text str(exc) must contain; None means Odoo's own message).
# Written by hand from the README, not derived from the files, so a wrong mapping fails.
EXPECTED_ERRORS = {
    "v16": {
        "03-common-authenticate-wrong-key.json": _REFUSED_LOGIN,
        "04-common-authenticate-unknown-db.json": _NO_SUCH_DB,
        "05-object-wrong-key.json": (_AUTH, None),
        "08-error-users-has-group-with-ids.json": (_SERVER, None),
        "21-error-employees-read-private-address.json": (_PERM, None),
        "24-error-partner-create-without-contact-creation-right.json": (_PERM, None),
        "25-error-partner-create-invalid-vat.json": (_VALID, None),
        "28-error-account-create-as-accountant.json": (_PERM, None),
        "30-error-account-duplicate-code.json": (_VALID, None),
        "55-move-create-unbalanced.json": (_USER, None),
        "56-error-create-unknown-account.json": (_VALID, None),
        "58-error-post-bill-without-partner.json": (_USER, None),
        "59-move-create-accounts-of-other-company.json": (_USER, None),
        "60-error-access-no-accounting-rights.json": (_PERM, None),
        "61-error-unknown-model.json": (_USER, None),
        "62-error-unknown-method.json": (_SERVER, None),
        "63-error-private-method.json": (_PERM, None),
        "68-error-unlink-posted.json": (_USER, None),
        "113-own-api-keys-expiration-field.json": (_SERVER, None),
    },
    "v17": {
        "03-common-authenticate-wrong-key.json": _REFUSED_LOGIN,
        "04-common-authenticate-unknown-db.json": _NO_SUCH_DB,
        "05-object-wrong-key.json": (_AUTH, None),
        "08-error-users-has-group-with-ids.json": (_SERVER, None),
        "18-error-analytic-plans-company-field.json": (_SERVER, None),
        "23-error-partner-create-without-contact-creation-right.json": (_PERM, None),
        "24-error-partner-create-invalid-vat.json": (_VALID, None),
        "27-error-account-create-as-accountant.json": (_PERM, None),
        "29-error-account-duplicate-code.json": (_VALID, None),
        "54-move-create-unbalanced.json": (_USER, None),
        "55-error-create-unknown-account.json": (_VALID, None),
        "57-error-post-bill-without-partner.json": (_USER, None),
        "58-move-create-accounts-of-other-company.json": (_USER, None),
        "59-error-access-no-accounting-rights.json": (_PERM, None),
        "60-error-unknown-model.json": (_USER, None),
        "61-error-unknown-method.json": (_SERVER, None),
        "62-error-private-method.json": (_PERM, None),
        "67-error-unlink-posted.json": (_USER, None),
        "113-own-api-keys-expiration-field.json": (_SERVER, None),
    },
    # 18: has_group with ids works (08, 09), keys carry expiration_date (113), a non-existent private
    # method is an AttributeError (62).
    "v18": {
        "03-common-authenticate-wrong-key.json": _REFUSED_LOGIN,
        "04-common-authenticate-unknown-db.json": _NO_SUCH_DB,
        "05-object-wrong-key.json": (_AUTH, None),
        "09-users-has-group-model-call-as-17.json": (_SERVER, None),
        "11-company-search-read-as-17.json": (_SERVER, None),
        "13-accounts-search-read-as-17.json": (_SERVER, None),
        "14-accounts-payable-as-17.json": (_SERVER, None),
        "18-error-analytic-plans-company-field.json": (_SERVER, None),
        "23-error-partner-create-without-contact-creation-right.json": (_PERM, None),
        "24-error-partner-create-invalid-vat.json": (_VALID, None),
        "27-error-account-create-as-accountant.json": (_PERM, None),
        "28-account-create-wallet-as-adviser-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code.json": (_VALID, None),
        "54-move-create-unbalanced.json": (_USER, None),
        "55-error-create-unknown-account.json": (_VALID, None),
        "57-error-post-bill-without-partner.json": (_USER, None),
        "58-move-create-accounts-of-other-company.json": (_USER, None),
        "59-error-access-no-accounting-rights.json": (_PERM, None),
        "60-error-unknown-model.json": (_USER, None),
        "61-error-unknown-method.json": (_SERVER, None),
        "62-error-private-method.json": (_SERVER, None),
        "62b-error-private-method-existing.json": (_PERM, None),
        "67-error-unlink-posted.json": (_USER, None),
    },
    # 19: error `code` 0; groups_id gone (07-as-17); a Settings user may create contacts (23); VAT
    # without a country is accepted (24-as-17); a private method is an AccessError again (62).
    "v19": {
        "03-common-authenticate-wrong-key.json": _REFUSED_LOGIN,
        "04-common-authenticate-unknown-db.json": _NO_SUCH_DB,
        "05-object-wrong-key.json": (_AUTH, None),
        "07-users-read-self-as-17.json": (_SERVER, None),
        "09-users-has-group-model-call-as-17.json": (_SERVER, None),
        "11-company-search-read-as-17.json": (_SERVER, None),
        "13-accounts-search-read-as-17.json": (_SERVER, None),
        "14-accounts-payable-as-17.json": (_SERVER, None),
        "18-error-analytic-plans-company-field.json": (_SERVER, None),
        "24-error-partner-create-invalid-vat.json": (_VALID, None),
        "27-error-account-create-as-accountant.json": (_PERM, None),
        "28-account-create-wallet-as-adviser-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code.json": (_VALID, None),
        "54-move-create-unbalanced.json": (_USER, None),
        "55-error-create-unknown-account.json": (_VALID, None),
        "57-error-post-bill-without-partner.json": (_USER, None),
        "58-move-create-accounts-of-other-company.json": (_USER, None),
        "59-error-access-no-accounting-rights.json": (_PERM, None),
        "60-error-unknown-model.json": (_USER, None),
        "61-error-unknown-method.json": (_SERVER, None),
        "62-error-private-method.json": (_PERM, None),
        "62b-error-private-method-existing.json": (_PERM, None),
        "67-error-unlink-posted.json": (_USER, None),
    },
    # JSON-2: the same Odoo exceptions as the same classes; 401 for a wrong or missing key, 404 for an
    # unknown model, method or record, and the HTML 404 of an unknown database like JSON-RPC's 04.
    "v19-json2": {
        "03-wrong-key.json": (_AUTH, None),
        "04-unknown-db.json": _NO_SUCH_DB,
        "05-object-wrong-key.json": (_AUTH, None),
        "05b-no-authorization-header.json": (_AUTH, None),
        "07-users-read-self-as-17.json": (_SERVER, None),
        "09-users-has-group-model-call-as-17.json": (_SERVER, None),
        "11-company-search-read-as-17.json": (_SERVER, None),
        "13-accounts-search-read-as-17.json": (_SERVER, None),
        "14-accounts-payable-as-17.json": (_SERVER, None),
        "18-error-analytic-plans-company-field.json": (_SERVER, None),
        "24-error-partner-create-invalid-vat.json": (_VALID, None),
        "27-error-account-create-as-accountant-as-17.json": (_PERM, None),
        "27-error-account-create-as-accountant.json": (_PERM, None),
        "28-account-create-wallet-as-adviser-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code-as-17.json": (_SERVER, None),
        "29-error-account-duplicate-code.json": (_VALID, None),
        "52b-error-create-batch-one-invalid.json": (_VALID, None),
        "54-move-create-unbalanced.json": (_USER, None),
        "55-error-create-unknown-account.json": (_VALID, None),
        "57-error-post-bill-without-partner.json": (_USER, None),
        "58-move-create-accounts-of-other-company.json": (_USER, None),
        "59-error-access-no-accounting-rights.json": (_PERM, None),
        "60-error-unknown-model.json": (_NOT_FOUND, None),
        "61-error-unknown-method.json": (_NOT_FOUND, None),
        "62-error-private-method.json": (_PERM, None),
        "62b-error-private-method-existing.json": (_PERM, None),
        "62c-error-positional-args.json": (_SERVER, None),
        "62d-error-unknown-argument.json": (_SERVER, None),
        "62e-error-get.json": (_NOT_FOUND, None),
        "62f-error-missing-record-action.json": (_NOT_FOUND, None),
        "67-error-unlink-posted.json": (_USER, None),
    },
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
    "v19-json2/03-wrong-key.json": True,  # JSON-2's own 401: the server speaks it, the key is wrong
    "v19-json2/04-unknown-db.json": False,  # HTML 404: nothing tells JSON-2 apart from 16/17 here
    "v19-json2/01-web-version.json": {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0-20251227"},
}
# JSON-2 requests the client never makes itself: their answer is replayed on the request it does make.
ANSWER_ONLY = {
    "v19-json2/62e-error-get.json": "a GET: the client always POSTs to /json/2, so Odoo's 404 is read on a POST",
}
# v19-json2 files whose v19 (JSON-RPC) twin, translated by the client, is not the recorded JSON-2 body.
TWIN_DIFFERENCES = {
    "09-users-has-group-model-call-as-17.json": "on purpose: the client turns 17's model call into ids [uid]",
    "27-error-account-create-as-accountant.json": "v19/27 sent 17's company_id; v19-json2/27 company_ids",
    "40-move-bill-create.json": "partner KLM is 12 in v19, 13 in v19-json2",
    "87b-tax-read-21-inc.json": "the copied tax is 64 in v19, 63 in v19-json2",
    **{name: "partner KLM is 12 in v19, 13 in v19-json2" for name in (
        "101-fx-bill-create-usd.json", "108-bill-line-without-tax-ids.json", "110-bill-line-with-empty-tax-ids.json",
        "88-rounding-bill-price-included-10.00.json", "90-rounding-bill-three-lines-3.33-included.json",
        "92-rounding-bill-three-lines-2.75-excluded.json", "95-rounding-bill-create-excluded-8.26.json")},
}


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _expected_error(path: Path):
    return EXPECTED_ERRORS[path.parent.name].get(path.name)


def _no_retry(seconds):
    raise AssertionError(f"a recorded answer must not cause a retry (asked to sleep {seconds}s)")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _is_jsonrpc(recording: dict) -> bool:
    return "params" in recording["request"]


JSONRPC_RECORDINGS = [p for p in RECORDINGS if _is_jsonrpc(_load(p))]
JSON2_RECORDINGS = [p for p in RECORDINGS if p.parent.name == "v19-json2"]
HTTP_RECORDINGS = [p for p in RECORDINGS if p not in JSONRPC_RECORDINGS and p not in JSON2_RECORDINGS]


def test_the_shared_contract_holds_every_folder_with_its_count():
    assert {folder: len([p for p in RECORDINGS if p.parent.name == folder]) for folder in FOLDERS} == FOLDERS
    assert sorted(_key(p) for p in HTTP_RECORDINGS) == [
        f"v{v}/{name}" for v in (16, 17, 18) for name in ("118-json2-probe-context-get.json", "119-web-version.json")
    ]
    assert all(not _is_jsonrpc(_load(p)) and _load(p)["protocol"] == "json-2" for p in JSON2_RECORDINGS)


@pytest.mark.parametrize("folder", ["v16", "v17", "v18", "v19"])
def test_every_recorded_json_rpc_error_has_an_expected_class_and_nothing_else_does(folder):
    def refused(path):
        recording = _load(path)
        return "error" in recording["response"] or (
            recording["request"]["params"]["method"] == "authenticate" and recording["response"]["result"] is False
        )

    assert {p.name for p in JSONRPC_RECORDINGS if p.parent.name == folder and refused(p)} == set(
        EXPECTED_ERRORS[folder]
    )


def test_every_recorded_json2_error_has_an_expected_class_and_nothing_else_does():
    refused = {p.name for p in JSON2_RECORDINGS if _load(p)["response"]["status"] != 200}
    assert refused == set(EXPECTED_ERRORS["v19-json2"])


# -- JSON-RPC (16 to 19) -----------------------------------------------------------------------------


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


@pytest.mark.parametrize("path", JSONRPC_RECORDINGS, ids=_key)
def test_client_sends_the_recorded_request_and_reads_the_recorded_answer(path, rsps):
    recording = _load(path)
    rsps.post(ENDPOINT, json=recording["response"], status=recording["http_status"])
    client, call, api_key = _replay(recording)

    expected = _expected_error(path)
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


# -- JSON-2 (19) ------------------------------------------------------------------------------------

# Named arguments -> the positional JSON-RPC shape callers use (as in the v19 twins): which leading
# named arguments become positional, in order.
_POSITIONAL = {
    "search_read": ("domain",),
    "search": ("domain",),
    "search_count": ("domain",),
    "write": ("ids", "vals"),
    "copy": ("ids", "default"),
    "fields_get": ("allfields",),
    "has_group": ("ids", "group_ext_id"),
}


def _as_execute_kw(method: str, body: dict) -> tuple[list, dict, int | None]:
    """A recorded JSON-2 body -> (args, kwargs, company_id) as today's callers pass them to execute_kw."""
    kwargs = dict(body)
    company_id = None
    context = kwargs.get("context")
    if context and list(context) == ["allowed_company_ids"] and len(context["allowed_company_ids"]) == 1:
        company_id = kwargs.pop("context")["allowed_company_ids"][0]  # the client's company, not the caller's
    if method == "create":
        values = kwargs.pop("vals_list")
        return [values[0] if len(values) == 1 else values], kwargs, company_id  # one record: a dict, as callers do
    names = _POSITIONAL.get(method, ("ids",))
    if not all(name in kwargs for name in names):
        return [], kwargs, company_id  # a call that is all names (09-as-17, 62c): passed as it is
    return [kwargs.pop(name) for name in names], kwargs, company_id


def _json2_replay(path: Path):
    """The client, the public call that makes the recorded request, the API key and the expected result."""
    recording = _load(path)
    request, body = recording["request"], recording["response"]["body"]
    headers = request["headers"]
    recorded_key = headers["Authorization"].removeprefix("bearer ") if "Authorization" in headers else ""
    api_key = API_KEY if recorded_key == "<API_KEY>" else recorded_key
    company_id = None
    if request["path"] == "/web/version":
        expected = {"server_version": body["version"], "server_version_info": body["version_info"]}
        call = lambda c: c.version()  # noqa: E731
    elif request["path"] == "/web/webclient/version_info":
        expected = body["result"]
        call = lambda c: c.version()  # noqa: E731
    elif request["path"] == "/json/2/res.users/context_get":
        expected = body["uid"] if isinstance(body, dict) and "uid" in body else None
        call = lambda c: c.authenticate()  # noqa: E731
    else:
        model, method = request["path"].removeprefix("/json/2/").split("/")
        args, kwargs, company_id = _as_execute_kw(method, request["body"] or {})
        single = method == "create" and isinstance(args[0], dict)
        expected = body[0] if single and isinstance(body, list) else body
        call = lambda c: c.execute_kw(model, method, args, kwargs)  # noqa: E731
    client = OdooClient(
        OdooCredentials(url=ODOO_URL, database=headers.get("X-Odoo-Database", ""), login="pleo@example.com",
                        api_key=api_key),
        company_id=company_id, sleep=_no_retry, protocol=JSON2,
    )
    return client, call, api_key, expected


def _answer(rsps, method: str, path: str, response: dict) -> None:
    body = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
    rsps.add(method, f"{ODOO_URL}{path}", body=body, status=response["status"], content_type=response["content_type"])


@pytest.mark.parametrize("path", JSON2_RECORDINGS, ids=_key)
def test_json2_client_sends_the_recorded_request_and_reads_the_recorded_answer(path, rsps):
    recording = _load(path)
    request, response = recording["request"], recording["response"]
    answer_only = _key(path) in ANSWER_ONLY
    if request["path"] == "/web/webclient/version_info":
        # The fallback when /web/version is not there: answered as 18 answers it (v18/119).
        _answer(rsps, "GET", "/web/version", _load(CONTRACT_DIR / "v18/119-web-version.json")["response"])
    _answer(rsps, "POST" if answer_only else request["method"], request["path"], response)
    client, call, api_key, expected_result = _json2_replay(path)

    expected = _expected_error(path)
    if expected is None:
        assert call(client) == expected_result
        if request["path"] == "/json/2/res.users/context_get":
            assert client.uid == expected_result == 5
    else:
        error_class, text = expected
        with pytest.raises(error_class) as caught:
            call(client)
        error = caught.value
        assert type(error) is error_class and error.status == response["status"]
        odoo_error = response["body"] if isinstance(response["body"], dict) else None
        assert (text or odoo_error["message"].strip()) in str(error)
        if odoo_error:
            assert error.name == odoo_error["name"] and error.payload == odoo_error
        assert API_KEY not in f"{error} {error!r} {error.payload!r} {error.extra!r} {error.args!r}"

    sent = rsps.calls[-1].request
    assert sent.url == f"{ODOO_URL}{request['path']}"
    if answer_only:
        return
    assert sent.method == request["method"]
    recorded = {k: v.replace("<API_KEY>", API_KEY) for k, v in request["headers"].items()}
    for header in ("Authorization", "X-Odoo-Database"):
        assert sent.headers.get(header) == recorded.get(header), header
    if request["body"] is None:
        assert not sent.body
    else:
        assert sent.headers["Content-Type"] == "application/json"
        sent_body = json.loads(sent.body)
        if request["path"] == "/web/webclient/version_info":
            assert isinstance(sent_body.pop("id"), int) and request["body"].pop("id")
        assert sent_body == request["body"]


@pytest.mark.parametrize(
    "path", [p for p in JSON2_RECORDINGS if (CONTRACT_DIR / "v19" / p.name).exists()
             and _load(p)["request"]["path"].startswith("/json/2/")], ids=_key,
)
def test_the_v19_json_rpc_call_translates_to_the_recorded_json2_body(path):
    """What callers send today (v19's JSON-RPC twin) becomes, byte for byte, what real JSON-2 was sent."""
    args = _load(CONTRACT_DIR / "v19" / path.name)["request"]["params"]["args"]
    body, _ = named_arguments(args[3], args[4], args[5], args[6] if len(args) > 6 else {}, uid=5)

    if path.name in TWIN_DIFFERENCES:
        assert body != _load(path)["request"]["body"], f"no longer differs: {TWIN_DIFFERENCES[path.name]}"
    else:
        assert body == _load(path)["request"]["body"]


# -- probes ------------------------------------------------------------------------------------------


def test_every_plain_http_recording_of_16_to_18_is_a_probe_answer():
    assert {_key(p) for p in HTTP_RECORDINGS} <= set(PROBE_ANSWERS)


@pytest.mark.parametrize("key", PROBE_ANSWERS)
def test_probes_send_the_recorded_request_and_read_the_recorded_answer(key, rsps):
    recording = _load(CONTRACT_DIR / key)
    request, response = recording["request"], recording["response"]
    body = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
    headers = {"Location": response["location"]} if "location" in response else None
    rsps.add(request["method"], f"{ODOO_URL}{request['path']}", body=body, status=response["status"],
             content_type=response["content_type"], headers=headers)
    database = request["headers"].get("X-Odoo-Database", "pleo17")
    recorded_key = request["headers"].get("Authorization", "bearer <API_KEY>").removeprefix("bearer ")
    api_key = API_KEY if recorded_key == "<API_KEY>" else recorded_key
    client = OdooClient(OdooCredentials(url=ODOO_URL, database=database, login="pleo@example.com", api_key=api_key),
                        sleep=_no_retry)

    assert getattr(client, PROBES[request["path"]])() == PROBE_ANSWERS[key]

    sent = rsps.calls[0].request
    for header, value in request["headers"].items():
        assert sent.headers[header] == value.replace("<API_KEY>", API_KEY)
    assert (json.loads(sent.body) if sent.body else None) == request["body"]
