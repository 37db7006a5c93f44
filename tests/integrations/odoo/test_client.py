"""The Odoo client's behaviour around the recordings: retries, paging, company context, bad answers, secrets."""
import json
import logging
from decimal import Decimal
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import urllib3

from integrations.odoo.client import JSON2, JSONRPC, OdooClient, OdooCredentials, to_decimal
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooConnectionError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooProtocolError,
    OdooRateLimitError,
    OdooServerError,
    OdooUserError,
)
from tests.integrations.odoo.conftest import API_KEY, CONTRACT_DIR, ENDPOINT, ODOO_URL, make_client

__all__: list[str] = []

VERSION = {"jsonrpc": "2.0", "id": 1, "result": {"server_version": "17.0", "server_version_info": [17, 0]}}


def ok(result):
    return {"jsonrpc": "2.0", "id": 1, "result": result}


def odoo_error(name, message):
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": name, "message": message}},
    }


def sent(rsps, n=0):
    return json.loads(rsps.calls[n].request.body)


def sent_kwargs(rsps, n=0):
    return sent(rsps, n)["params"]["args"][6]


def aborted_after_sending():
    """What requests raises when the server drops the connection after the body went out."""
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )


# -- retries --------------------------------------------------------------------------------------


def test_read_is_retried_after_a_connection_failure_and_then_succeeds(rsps, sleep):
    rsps.post(ENDPOINT, body=requests.ConnectionError("connection refused"))
    rsps.post(ENDPOINT, json=VERSION)

    assert make_client(sleep).version() == VERSION["result"]
    assert len(rsps.calls) == 2
    assert len(sleep.waits) == 1 and 0.25 <= sleep.waits[0] <= 0.5


def test_search_read_survives_two_503_answers_with_growing_waits(rsps, sleep):
    rsps.post(ENDPOINT, status=503, body="Service Unavailable")
    rsps.post(ENDPOINT, status=503, body="Service Unavailable")
    rsps.post(ENDPOINT, json=ok([{"id": 1, "name": "Coffee"}]))

    records = list(make_client(sleep).search_read("account.account", [], ["name"]))

    assert records == [{"id": 1, "name": "Coffee"}]
    assert len(rsps.calls) == 3
    first, second = sleep.waits
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


def test_429_waits_as_long_as_retry_after_says(rsps, sleep):
    rsps.post(ENDPOINT, status=429, headers={"Retry-After": "7"})
    rsps.post(ENDPOINT, json=ok(3))

    assert make_client(sleep).search_count("account.move", []) == 3
    assert sleep.waits == [7.0]


def test_429_retry_after_as_an_http_date_is_honoured(rsps, sleep):
    later = datetime.now(timezone.utc) + timedelta(seconds=20)
    rsps.post(ENDPOINT, status=429, headers={"Retry-After": format_datetime(later, usegmt=True)})
    rsps.post(ENDPOINT, json=ok([]))

    make_client(sleep).search("account.move", [])

    assert len(sleep.waits) == 1 and 15 <= sleep.waits[0] <= 20


def test_create_refused_with_429_is_sent_again_because_odoo_never_saw_it(rsps, sleep):
    rsps.post(ENDPOINT, status=429, headers={"Retry-After": "2"})
    rsps.post(ENDPOINT, json=ok(42))

    assert make_client(sleep).create("res.partner", {"name": "Bakker BV"}) == 42
    assert sleep.waits == [2.0]


def test_retry_after_beyond_the_cap_gives_up_at_once_with_a_rate_limit_error(rsps, sleep):
    rsps.post(ENDPOINT, status=429, headers={"Retry-After": "3600"})

    with pytest.raises(OdooRateLimitError) as caught:
        make_client(sleep, backoff_cap=30).version()

    assert caught.value.retry_after == 3600 and caught.value.should_retry
    assert sleep.waits == []


def test_gives_up_after_max_retries_with_a_connection_error(rsps, sleep):
    for _ in range(4):
        rsps.post(ENDPOINT, status=503)

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep, max_retries=3).version()

    assert caught.value.status == 503 and caught.value.should_retry
    assert len(rsps.calls) == 4 and len(sleep.waits) == 3


def test_connection_failures_give_up_after_max_retries(rsps, sleep):
    for _ in range(3):
        rsps.post(ENDPOINT, body=requests.ConnectionError("name or service not known"))

    with pytest.raises(OdooConnectionError, match="Could not reach Odoo at https://acme.odoo.example"):
        make_client(sleep, max_retries=2).search_count("res.partner", [])

    assert len(rsps.calls) == 3


def test_backoff_doubles_and_stays_under_the_cap(rsps, sleep):
    for _ in range(7):
        rsps.post(ENDPOINT, status=504)

    with pytest.raises(OdooConnectionError):
        make_client(sleep, max_retries=6, backoff_base=0.5, backoff_cap=4).version()

    ceilings = [0.5, 1, 2, 4, 4, 4]
    assert all(ceiling / 2 <= wait <= ceiling for wait, ceiling in zip(sleep.waits, ceilings, strict=True))


@pytest.mark.parametrize("model_method", ["create", "write", "unlink", "action_post", "message_post", "reconcile"])
@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"body": aborted_after_sending()},
    ],
    ids=["read-timeout", "502", "503", "504", "connection-aborted"],
)
def test_a_call_that_may_change_data_is_never_sent_twice(rsps, sleep, model_method, answer):
    rsps.post(ENDPOINT, **answer)

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep).execute_kw("account.move", model_method, [[1]], {})

    assert len(rsps.calls) == 1
    assert sleep.waits == []
    # The exporter looks its reference up in Odoo before booking again.
    assert caught.value.extra["may_have_reached_odoo"] is True
    assert "check before sending it again" in str(caught.value)


def test_create_on_a_read_timeout_tells_the_caller_odoo_did_not_answer_in_time(rsps, sleep):
    rsps.post(ENDPOINT, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(OdooConnectionError, match="did not answer within 60 seconds"):
        make_client(sleep).create("account.move", {"ref": "PLEO-1"})

    assert len(rsps.calls) == 1


def test_create_is_sent_again_when_the_connection_was_never_made(rsps, sleep):
    rsps.post(ENDPOINT, body=requests.exceptions.ConnectTimeout("connect timed out"))
    rsps.post(ENDPOINT, json=ok(5))

    assert make_client(sleep).create("account.move", {"ref": "PLEO-1"}) == 5
    assert len(rsps.calls) == 2


def test_a_create_that_never_left_is_not_reported_as_maybe_booked(rsps, sleep):
    for _ in range(2):
        rsps.post(ENDPOINT, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep, max_retries=1).create("account.move", {"ref": "PLEO-1"})

    assert "may_have_reached_odoo" not in caught.value.extra


def test_write_is_sent_again_when_dns_failed_before_any_connection(rsps, sleep):
    never_connected = requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(
            None, "/jsonrpc", urllib3.exceptions.NameResolutionError("acme.odoo.example", None, "no such host")
        )
    )
    rsps.post(ENDPOINT, body=never_connected)
    rsps.post(ENDPOINT, json=ok(True))

    assert make_client(sleep).write("account.move", [2], {"ref": "PLEO-1"}) is True
    assert len(rsps.calls) == 2


@pytest.mark.parametrize("answer", [{"body": requests.exceptions.ReadTimeout()}, {"body": aborted_after_sending()}])
def test_reads_are_retried_after_a_read_timeout_or_dropped_connection(rsps, sleep, answer):
    rsps.post(ENDPOINT, **answer)
    rsps.post(ENDPOINT, json=ok([{"id": 6, "name": "Pleo Integration"}]))

    assert make_client(sleep).read("res.users", [6], ["name"]) == [{"id": 6, "name": "Pleo Integration"}]
    assert len(rsps.calls) == 2


def test_odoo_errors_are_not_retried(rsps, sleep):
    rsps.post(ENDPOINT, json=odoo_error("odoo.exceptions.UserError", "Object no.such.model doesn't exist"))

    with pytest.raises(OdooUserError):
        make_client(sleep).search_count("no.such.model", [])

    assert len(rsps.calls) == 1 and sleep.waits == []


def test_every_call_has_a_timeout_and_verifies_tls(rsps):
    rsps.post(ENDPOINT, json=VERSION)

    make_client(timeout=(3, 45)).version()

    sent_with = rsps.calls[0].request.req_kwargs
    assert sent_with["timeout"] == (3, 45)
    # requests swaps True for the system CA bundle; either way the certificate is checked.
    assert sent_with["verify"] not in (False, None, "")


# -- object calls ------------------------------------------------------------------------------


def test_search_read_pages_through_all_records_with_offsets(rsps):
    rsps.post(ENDPOINT, json=ok([{"id": 1}, {"id": 2}]))
    rsps.post(ENDPOINT, json=ok([{"id": 3}, {"id": 4}]))
    rsps.post(ENDPOINT, json=ok([{"id": 5}]))

    records = list(make_client().search_read("account.account", [["deprecated", "=", False]], ["code"], batch_size=2))

    assert [r["id"] for r in records] == [1, 2, 3, 4, 5]
    pages = [(sent_kwargs(rsps, n)["offset"], sent_kwargs(rsps, n)["limit"]) for n in range(3)]
    assert pages == [(0, 2), (2, 2), (4, 2)]
    args = sent(rsps)["params"]["args"]
    assert args[3:6] == ["account.account", "search_read", [[["deprecated", "=", False]]]]
    assert sent_kwargs(rsps) == {"fields": ["code"], "offset": 0, "limit": 2, "order": "id"}


def test_search_read_asks_for_one_more_page_when_the_last_one_was_full(rsps):
    rsps.post(ENDPOINT, json=ok([{"id": 1}, {"id": 2}]))
    rsps.post(ENDPOINT, json=ok([]))

    assert len(list(make_client().search_read("res.partner", [], ["name"], batch_size=2))) == 2
    assert sent_kwargs(rsps, 1)["offset"] == 2


def test_search_read_stops_at_the_limit_and_keeps_the_order_stable(rsps):
    rsps.post(ENDPOINT, json=ok([{"id": 9}, {"id": 8}]))
    rsps.post(ENDPOINT, json=ok([{"id": 7}]))

    records = list(make_client().search_read("account.move", [], ["ref"], order="date desc", limit=3, batch_size=2))

    assert [r["id"] for r in records] == [9, 8, 7]
    assert [sent_kwargs(rsps, n)["limit"] for n in range(2)] == [2, 1]
    assert sent_kwargs(rsps)["order"] == "date desc, id"


def test_company_context_is_sent_with_every_object_call_and_merged_with_the_callers(rsps):
    rsps.post(ENDPOINT, json=ok([]))
    rsps.post(ENDPOINT, json=ok(True))
    rsps.post(ENDPOINT, json=ok([]))

    client = make_client(company_id=2)
    list(client.search_read("account.journal", [], ["name"], context={"lang": "nl_NL"}))
    client.has_group("account.group_account_user")
    client.execute_kw("account.move", "search", [[]], {"context": {"allowed_company_ids": [2, 1]}})

    assert sent_kwargs(rsps, 0)["context"] == {"allowed_company_ids": [2], "lang": "nl_NL"}
    assert sent_kwargs(rsps, 1)["context"] == {"allowed_company_ids": [2]}
    assert sent_kwargs(rsps, 2)["context"] == {"allowed_company_ids": [2, 1]}


def test_no_company_context_without_a_company(rsps):
    rsps.post(ENDPOINT, json=ok(0))

    make_client().search_count("account.move", [])

    assert "context" not in sent_kwargs(rsps)


def test_object_calls_log_in_first_when_the_user_id_is_unknown(rsps):
    rsps.post(ENDPOINT, json=ok(6))
    rsps.post(ENDPOINT, json=ok(1))
    rsps.post(ENDPOINT, json=ok(2))

    client = make_client(uid=None)
    client.search_count("account.move", [])
    client.search_count("account.move", [])

    assert sent(rsps, 0)["params"] == {
        "service": "common",
        "method": "authenticate",
        "args": ["pleo17", "pleo@example.com", API_KEY, {}],
    }
    assert sent(rsps, 1)["params"]["args"][:3] == ["pleo17", 6, API_KEY]
    assert client.uid == 6 and len(rsps.calls) == 3


def test_request_ids_differ_between_calls(rsps):
    rsps.post(ENDPOINT, json=VERSION)
    rsps.post(ENDPOINT, json=VERSION)

    client = make_client()
    client.version()
    client.version()

    assert sent(rsps, 0)["id"] != sent(rsps, 1)["id"]


@pytest.mark.parametrize(
    ("version", "name", "call"),
    [
        *[(v, name, call) for v in ("v16", "v17", "v18", "v19") for name, call in [
            ("07-users-read-self", lambda c, a: c.read(a[3], *a[5], a[6]["fields"])),
            ("move-create-batch", lambda c, a: c.create(a[3], a[5][0])),
            ("rounding-entry-adjust-tax-line-to-1.74", lambda c, a: c.write(a[3], *a[5])),
        ]],
        *[(v, "09-users-has-group-model-call", lambda c, a: c.has_group(a[5][0])) for v in ("v16", "v17")],
    ],
)
def test_typed_helpers_send_what_real_odoo_was_sent(rsps, version, name, call):
    (path,) = [p for p in (CONTRACT_DIR / version).glob("*.json") if p.stem.endswith(name)]
    recording = json.loads(path.read_text())
    args = recording["request"]["params"]["args"]
    context = args[6].get("context", {})
    rsps.post(ENDPOINT, json=recording["response"])
    client = OdooClient(
        OdooCredentials(url=ODOO_URL, database=args[0], login="pleo@example.com", api_key=API_KEY),
        uid=args[1],
        company_id=context.get("allowed_company_ids", [None])[0],
    )

    assert call(client, args) == recording["response"]["result"]
    expected = json.loads(json.dumps(recording["request"]["params"]).replace('"<API_KEY>"', json.dumps(API_KEY)))
    assert sent(rsps)["params"] == expected


@pytest.mark.parametrize("version", ["v18", "v19"])
def test_has_group_on_18_and_19_finds_the_call_with_ids_once_and_keeps_it(rsps, version):
    refused = json.loads((CONTRACT_DIR / version / "09-users-has-group-model-call-as-17.json").read_text())
    works = json.loads((CONTRACT_DIR / version / "09-users-has-group-model-call.json").read_text())
    uid = works["request"]["params"]["args"][1]
    rsps.post(ENDPOINT, json=refused["response"])
    rsps.post(ENDPOINT, json=works["response"])
    rsps.post(ENDPOINT, json=ok(False))
    client = OdooClient(OdooCredentials(url=ODOO_URL, database=works["request"]["params"]["args"][0],
                                        login="pleo@example.com", api_key=API_KEY), uid=uid)

    assert client.has_group("account.group_account_user") is True
    assert client.has_group("base.group_system") is False

    expected = json.loads(json.dumps(works["request"]["params"]).replace('"<API_KEY>"', json.dumps(API_KEY)))
    assert sent(rsps, 0)["params"]["args"][5] == ["account.group_account_user"]  # 16/17's form first
    assert sent(rsps, 1)["params"] == expected
    assert sent(rsps, 2)["params"]["args"][5] == [[uid], "base.group_system"]  # straight to the form that works
    assert len(rsps.calls) == 3


def test_has_group_on_16_and_17_does_not_hide_a_later_type_error(rsps):
    rsps.post(ENDPOINT, json=ok(True))
    rsps.post(ENDPOINT, json=odoo_error("builtins.TypeError", "has_group() takes 2 positional arguments"))

    client = make_client()
    assert client.has_group("account.group_account_user") is True
    with pytest.raises(OdooServerError):
        client.has_group("base.group_system")
    assert len(rsps.calls) == 2


def test_a_json_rpc_error_with_odoo_19s_code_0_is_classified_like_any_other(rsps):
    error = odoo_error("odoo.exceptions.UserError", "The entry is not balanced.")
    error["error"]["code"] = 0
    rsps.post(ENDPOINT, json=error)

    with pytest.raises(OdooUserError, match="The entry is not balanced."):
        make_client().create("account.move", {"ref": "x"})


def test_create_with_a_list_makes_one_call_and_returns_the_ids(rsps):
    rsps.post(ENDPOINT, json=ok([7, 8, 9]))

    ids = make_client().create("account.move", [{"ref": "PLEO-1"}, {"ref": "PLEO-2"}, {"ref": "PLEO-3"}])

    assert ids == [7, 8, 9] and len(rsps.calls) == 1
    assert sent(rsps)["params"]["args"][5] == [[{"ref": "PLEO-1"}, {"ref": "PLEO-2"}, {"ref": "PLEO-3"}]]


# -- answers that are not results ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 404, "body": "<html>Not Found</html>", "content_type": "text/html"},
        {"status": 401, "body": "Unauthorized", "content_type": "text/plain"},
        {"status": 403, "json": {"detail": "Forbidden"}},
        {"status": 200, "body": "not json at all", "content_type": "text/plain"},
        {"status": 200, "json": {"result": 6}},
        {"status": 200, "json": [1, 2, 3]},
    ],
    ids=["html-404", "401", "403-json", "not-json", "no-jsonrpc-envelope", "json-list"],
)
def test_an_answer_that_is_not_odoo_json_rpc_is_a_protocol_error(rsps, sleep, answer):
    rsps.post(ENDPOINT, **answer)

    with pytest.raises(OdooProtocolError) as caught:
        make_client(sleep).version()

    assert "The server at https://acme.odoo.example did not answer like Odoo's external API" in str(caught.value)
    assert caught.value.status == answer["status"]
    assert len(rsps.calls) == 1 and not caught.value.should_retry


def test_a_redirect_is_reported_with_its_target_instead_of_followed(rsps):
    rsps.post(ENDPOINT, status=301, headers={"Location": "https://acme.odoo.com/jsonrpc"})

    with pytest.raises(OdooProtocolError, match="redirects to https://acme.odoo.com/jsonrpc"):
        make_client().version()


def test_a_certificate_problem_is_a_connection_error_about_the_certificate(rsps, sleep):
    rsps.post(ENDPOINT, body=requests.exceptions.SSLError("certificate verify failed: self-signed certificate"))

    with pytest.raises(OdooConnectionError, match="certificate of https://acme.odoo.example could not be verified"):
        make_client(sleep).version()

    assert len(rsps.calls) == 1


def test_a_connect_timeout_names_the_connect_timeout(rsps, sleep):
    for _ in range(2):
        rsps.post(ENDPOINT, body=requests.exceptions.ConnectTimeout())

    with pytest.raises(OdooConnectionError, match="within 4 seconds"):
        make_client(sleep, timeout=(4, 60), max_retries=1).version()


def test_listing_databases_refused_by_the_server_is_a_permission_error(rsps):
    rsps.post(ENDPOINT, json=odoo_error("odoo.exceptions.AccessDenied", "Access Denied"))

    with pytest.raises(OdooPermissionError, match="does not allow listing its databases"):
        make_client().list_databases()


def test_a_missing_record_is_not_found(rsps):
    rsps.post(ENDPOINT, json=odoo_error("odoo.exceptions.MissingError", "Record does not exist or has been deleted."))

    with pytest.raises(OdooNotFoundError, match="Record does not exist"):
        make_client().write("account.move", [999], {"ref": "x"})


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("psycopg2.OperationalError", lambda c: c.search_count("account.move", [])),
        ("odoo.addons.base.models.ir_qweb.QWebException", lambda c: c.search_count("account.move", [])),
        ("", lambda c: c.version()),
    ],
)
def test_other_odoo_errors_are_server_errors_that_keep_odoos_message(rsps, name, call):
    rsps.post(ENDPOINT, json=odoo_error(name, "something broke"))

    with pytest.raises(OdooServerError) as caught:
        call(make_client())

    assert type(caught.value) is OdooServerError
    assert "something broke" in str(caught.value)


def test_a_json_rpc_error_on_http_500_keeps_its_odoo_class(rsps):
    rsps.post(ENDPOINT, status=500, json=odoo_error("odoo.exceptions.AccessDenied", "Access Denied"))

    with pytest.raises(OdooAuthenticationError):
        make_client().search_count("account.move", [])


# -- secrets --------------------------------------------------------------------------------------


def test_the_api_key_never_shows_in_errors_reprs_or_logs(rsps, sleep, caplog):
    caplog.set_level(logging.DEBUG)
    rsps.post(ENDPOINT, json=ok(6))  # lazy authenticate
    rsps.post(ENDPOINT, status=503)
    rsps.post(ENDPOINT, json=ok([{"id": 1}]))
    # A server that echoes the request in its error (Odoo does not, a proxy might).
    rsps.post(ENDPOINT, json=odoo_error("odoo.exceptions.UserError", f"bad args ['pleo17', 6, '{API_KEY}']"))
    rsps.post(ENDPOINT, json=odoo_error("builtins.TypeError", f"wrong shape {API_KEY}"))
    rsps.post(ENDPOINT, json=odoo_error("odoo.exceptions.AccessDenied", "Access Denied"))
    rsps.post(ENDPOINT, body=requests.exceptions.ReadTimeout(f"timed out sending {API_KEY}"))
    rsps.post(ENDPOINT, body=requests.exceptions.SSLError("bad certificate"))
    rsps.post(ENDPOINT, body="<html>oops</html>", content_type="text/html")
    rsps.post(ENDPOINT, json=ok(False))

    client = make_client(sleep, uid=None)
    assert list(client.search_read("res.partner", [], ["name"])) == [{"id": 1}]
    errors: list[OdooError] = []
    for _ in range(6):
        with pytest.raises(OdooError) as caught:
            client.create("res.partner", {"name": "x"})
        errors.append(caught.value)
    with pytest.raises(OdooAuthenticationError) as caught:
        client.authenticate()
    errors.append(caught.value)

    assert "wrong shape ***" in str(errors[1])
    for error in errors:
        shown = f"{error} {error!r} {error.payload!r} {error.extra!r} {error.args!r}"
        assert API_KEY not in shown
    assert API_KEY not in repr(client.credentials) and API_KEY not in repr(client)
    assert "res.partner" in caplog.text and "status=503" in caplog.text
    assert API_KEY not in caplog.text


def test_calls_are_logged_with_service_model_status_and_attempt(rsps, caplog):
    caplog.set_level(logging.DEBUG, logger="integrations.odoo.transport")
    rsps.post(ENDPOINT, json=ok(3))

    make_client().search_count("account.move", [])

    (record,) = caplog.records
    assert record.levelno == logging.DEBUG
    assert "object.execute_kw account.move.search_count status=200 attempt=1" in record.getMessage()


# -- money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounding", "expected"),
    [
        (92.59, Decimal("0.01"), Decimal("92.59")),
        (2.675, Decimal("0.01"), Decimal("2.68")),  # the float is 2.67499..., Odoo meant 2.675
        (0.125, Decimal("0.01"), Decimal("0.13")),
        (-0.125, Decimal("0.01"), Decimal("-0.13")),
        (1.74, 0.01, Decimal("1.74")),  # rounding read from Odoo as a float
        (10, Decimal("0.01"), Decimal("10.00")),
        (1.23, Decimal("0.05"), Decimal("1.25")),
        (1.5, Decimal("1"), Decimal("2")),
        (-0.001, Decimal("0.01"), Decimal("0.00")),
        ("21.005", Decimal("0.01"), Decimal("21.01")),
    ],
)
def test_to_decimal_rounds_odoo_amounts_half_up_by_the_currency_rounding(value, rounding, expected):
    result = to_decimal(value, rounding)

    assert result == expected and str(result) == str(expected)


def test_to_decimal_rounds_to_cents_by_default():
    assert str(to_decimal(8.2644)) == "8.26"


@pytest.mark.parametrize("value", [False, None])
def test_to_decimal_refuses_a_value_that_is_not_an_amount(value):
    with pytest.raises(TypeError):
        to_decimal(value)


# -- JSON-2: which transport, the retry rule, secrets ---------------------------------------------------

JSON2_URL = f"{ODOO_URL}/json/2"
CONTEXT_GET = f"{JSON2_URL}/res.users/context_get"
CONTEXT = {"lang": "en_US", "tz": False, "uid": 5}


def json2_recording(name):
    return json.loads((CONTRACT_DIR / "v19-json2" / name).read_text())


def test_the_client_speaks_json_rpc_unless_told_otherwise(rsps):
    rsps.post(ENDPOINT, json=VERSION)

    client = make_client()
    assert client.protocol == JSONRPC == "json-rpc"
    assert client.version() == VERSION["result"]


def test_a_client_built_for_json2_calls_json2_and_needs_no_login(rsps):
    rsps.post(f"{JSON2_URL}/account.move/search_count", json=3)

    client = make_client(uid=None, protocol=JSON2)
    assert client.search_count("account.move", [["state", "=", "posted"]]) == 3

    assert len(rsps.calls) == 1 and client.uid is None
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == f"bearer {API_KEY}"
    assert request.headers["X-Odoo-Database"] == "pleo17"
    assert json.loads(request.body) == {"domain": [["state", "=", "posted"]]}


@pytest.mark.parametrize("protocol", ["jsonrpc", "JSON-2", "xmlrpc", None])
def test_an_unknown_protocol_is_refused(protocol):
    with pytest.raises(ValueError, match="protocol must be one of json-rpc, json-2"):
        make_client(protocol=protocol)
    client = make_client()
    with pytest.raises(ValueError):
        client.protocol = protocol
    assert client.protocol == JSONRPC


@pytest.mark.parametrize(
    ("recording", "protocol"),
    [
        ("v19-json2/02-users-context-get-uid.json", JSON2),
        ("v19-json2/03-wrong-key.json", JSON2),  # JSON-2's own 401: the server has it, the key is wrong
        ("v18/118-json2-probe-context-get.json", JSONRPC),  # 303 to the login page
        ("v17/118-json2-probe-context-get.json", JSONRPC),  # 404 HTML
        ("v16/118-json2-probe-context-get.json", JSONRPC),
    ],
)
def test_detect_protocol_asks_the_server_and_switches_the_client(rsps, recording, protocol):
    response = json.loads((CONTRACT_DIR / recording).read_text())["response"]
    body = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
    headers = {"Location": response["location"]} if "location" in response else None
    rsps.post(CONTEXT_GET, body=body, status=response["status"], content_type=response["content_type"],
              headers=headers)

    client = make_client()
    assert client.detect_protocol() == protocol
    assert client.protocol == protocol and len(rsps.calls) == 1


def test_after_detecting_json2_the_same_public_calls_go_over_json2(rsps):
    rsps.post(CONTEXT_GET, json=CONTEXT)
    rsps.post(CONTEXT_GET, json=CONTEXT)
    rsps.post(f"{JSON2_URL}/res.users/has_group", json=True)

    client = make_client(uid=None)
    client.detect_protocol()
    assert client.has_group("account.group_account_user") is True  # logs in first: has_group needs the uid

    assert client.uid == 5
    assert json.loads(rsps.calls[2].request.body) == {"ids": [5], "group_ext_id": "account.group_account_user"}


def test_listing_databases_over_json2_is_refused_like_a_server_that_refuses_db_list(rsps):
    with pytest.raises(OdooPermissionError, match="does not allow listing its databases"):
        make_client(protocol=JSON2).list_databases()
    assert len(rsps.calls) == 0


def test_json2_version_falls_back_to_the_web_clients_route_where_web_version_is_missing(rsps):
    rsps.get(f"{ODOO_URL}/web/version", status=404, body="<html>Not Found</html>", content_type="text/html")
    rsps.post(f"{ODOO_URL}/web/webclient/version_info", json=VERSION)

    assert make_client(protocol=JSON2).version() == VERSION["result"]
    assert "Authorization" not in rsps.calls[0].request.headers  # no key where none is needed


# JSON-2 refuses (ValueError) a shape it cannot translate, so each method gets a real one.
CALL_SHAPES = {
    "create": ([{"ref": "PLEO-1"}], {}),
    "write": ([[1], {"ref": "PLEO-1"}], {}),
    "unlink": ([[1]], {}),
    "action_post": ([[1]], {}),
    "message_post": ([[1]], {"body": "Exported from Pleo"}),
    "reconcile": ([[1, 2]], {}),
}


@pytest.mark.parametrize("model_method", CALL_SHAPES)
@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"body": aborted_after_sending()},
        {"status": 200, "body": "[4", "content_type": "application/json"},
    ],
    ids=["read-timeout", "502", "503", "504", "connection-aborted", "cut-off"],
)
def test_json2_a_call_that_may_change_data_is_never_sent_twice(rsps, sleep, model_method, answer):
    rsps.post(f"{JSON2_URL}/account.move/{model_method}", **answer)

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep, protocol=JSON2).execute_kw("account.move", model_method, *CALL_SHAPES[model_method])

    assert len(rsps.calls) == 1 and sleep.waits == []
    assert caught.value.extra["may_have_reached_odoo"] is True
    assert "check before sending it again" in str(caught.value)


def test_json2_create_refused_with_429_is_sent_again(rsps, sleep):
    rsps.post(f"{JSON2_URL}/res.partner/create", status=429, headers={"Retry-After": "2"})
    rsps.post(f"{JSON2_URL}/res.partner/create", json=[42])

    assert make_client(sleep, protocol=JSON2).create("res.partner", {"name": "Bakker BV"}) == 42
    assert sleep.waits == [2.0] and len(rsps.calls) == 2
    assert json.loads(rsps.calls[1].request.body) == {"vals_list": [{"name": "Bakker BV"}]}


def test_json2_write_is_sent_again_when_the_connection_was_never_made(rsps, sleep):
    rsps.post(f"{JSON2_URL}/account.move/write", body=requests.exceptions.ConnectTimeout("connect timed out"))
    rsps.post(f"{JSON2_URL}/account.move/write", json=True)

    assert make_client(sleep, protocol=JSON2).write("account.move", [2], {"ref": "PLEO-1"}) is True
    assert len(rsps.calls) == 2


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ReadTimeout()},
        {"body": aborted_after_sending()},
        {"status": 503},
        {"status": 200, "body": '[{"id": 5, "na', "content_type": "application/json"},
    ],
    ids=["read-timeout", "connection-aborted", "503", "cut-off"],
)
def test_json2_reads_are_retried(rsps, sleep, answer):
    rsps.post(f"{JSON2_URL}/res.users/read", **answer)
    rsps.post(f"{JSON2_URL}/res.users/read", json=[{"id": 5, "name": "Pleo Integration"}])

    records = make_client(sleep, protocol=JSON2).read("res.users", [5], ["name"])
    assert records == [{"id": 5, "name": "Pleo Integration"}]
    assert len(rsps.calls) == 2 and len(sleep.waits) == 1


@pytest.mark.parametrize("name", ["24-error-partner-create-invalid-vat.json", "03-wrong-key.json",
                                  "60-error-unknown-model.json", "62d-error-unknown-argument.json"])
def test_json2_errors_from_odoo_are_not_retried(rsps, sleep, name):
    response = json2_recording(name)["response"]
    rsps.post(f"{JSON2_URL}/res.partner/search_read", json=response["body"], status=response["status"])

    with pytest.raises(OdooError) as caught:
        make_client(sleep, protocol=JSON2).execute_kw("res.partner", "search_read", [[]])

    assert not caught.value.should_retry and len(rsps.calls) == 1 and sleep.waits == []


def test_json2_never_shows_the_api_key_in_errors_reprs_or_logs(rsps, sleep, caplog):
    caplog.set_level(logging.DEBUG)
    create = f"{JSON2_URL}/res.partner/create"
    rsps.post(CONTEXT_GET, status=401, json={"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"})
    # Servers that echo the request (Odoo does not, a proxy might).
    rsps.post(create, status=422, json={"name": "odoo.exceptions.UserError", "message": f"bad key {API_KEY}",
                                        "arguments": [f"bearer {API_KEY}"], "debug": f"bearer {API_KEY}"})
    rsps.post(create, status=500, json={"name": "builtins.TypeError", "message": f"wrong shape {API_KEY}"})
    rsps.post(create, status=404, body="<!DOCTYPE html><title>404 Not Found</title>", content_type="text/html")
    rsps.post(create, status=503)
    rsps.post(create, body=requests.exceptions.ReadTimeout(f"timed out sending bearer {API_KEY}"))
    rsps.post(create, status=200, body="<html>login</html>", content_type="text/html")

    client = make_client(sleep, uid=None, protocol=JSON2)
    errors: list[Exception] = []
    with pytest.raises(OdooAuthenticationError) as caught:
        client.authenticate()
    errors.append(caught.value)
    for _ in range(6):
        with pytest.raises(OdooError) as caught:
            client.create("res.partner", {"name": "x"})
        errors.append(caught.value)
    with pytest.raises(ValueError) as caught:
        client.execute_kw("res.partner", "name_create", ["x", {"secret": 1}])
    errors.append(caught.value)

    assert "Invalid apikey: Odoo refused the login or API key" in str(errors[0])
    assert "wrong shape ***" in str(errors[2])
    for error in errors:
        shown = f"{error} {error!r} {error.args!r} {getattr(error, 'payload', '')!r} {getattr(error, 'extra', '')!r}"
        assert API_KEY not in shown
    assert API_KEY not in repr(client) and API_KEY not in caplog.text
    assert "res.partner.create" in caplog.text and "status=503" in caplog.text
    # The key travels in the Authorization header only.
    assert all(API_KEY not in (call.request.body or b"").decode() for call in rsps.calls)
    assert all(call.request.headers["Authorization"] == f"bearer {API_KEY}" for call in rsps.calls)
