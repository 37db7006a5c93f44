"""Bad answers from a server at the Odoo address: a web page or a cut-off JSON body sent with 200 OK.

Each becomes the client's own error with a sentence a bookkeeper can act on: never a JSONDecodeError,
never the API key, and a write is never sent twice because of it.
"""
import json

import pytest

from integrations.odoo.errors import OdooConnectionError, OdooError, OdooProtocolError
from tests.integrations.odoo.conftest import API_KEY, ENDPOINT, ODOO_URL, make_client

__all__: list[str] = []

LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Odoo</title></head><body><form action='/web/login'>"
              "<input name='login'/></form></body></html>")
PROXY_PAGE = "<html><head><title>Error</title></head><body><h1>Service temporarily unavailable</h1></body></html>"
CUT_OFF = '{"jsonrpc": "2.0", "id": 1, "result": [{"id": 1, "name": "Azure Inter'


def shown(error: OdooError) -> str:
    return f"{error} {error!r} {error.payload!r} {error.extra!r} {error.args!r}"


@pytest.mark.parametrize("page", [LOGIN_PAGE, PROXY_PAGE], ids=["login-page", "proxy-error-page"])
def test_a_web_page_with_200_is_named_as_such_with_what_to_check(rsps, sleep, page):
    rsps.post(ENDPOINT, body=page, status=200, content_type="text/html; charset=utf-8")

    with pytest.raises(OdooProtocolError) as caught:
        make_client(sleep).search_count("account.move", [])

    assert str(caught.value) == (f"Odoo at {ODOO_URL} answered with a web page instead of JSON-RPC: check the URL "
                                 "and database name.")
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no decoder traceback
    assert API_KEY not in shown(caught.value)


def test_a_web_page_without_a_content_type_is_still_recognised(rsps):
    rsps.post(ENDPOINT, body=LOGIN_PAGE, status=200, content_type="")

    with pytest.raises(OdooProtocolError, match="web page instead of JSON-RPC"):
        make_client().version()


def test_a_cut_off_answer_to_a_read_is_asked_again(rsps, sleep):
    rsps.post(ENDPOINT, body=CUT_OFF, status=200, content_type="application/json")
    rsps.post(ENDPOINT, json={"jsonrpc": "2.0", "id": 2, "result": 4})

    assert make_client(sleep).search_count("account.move", []) == 4
    assert len(sleep.waits) == 1


def test_a_cut_off_answer_that_keeps_coming_is_a_connection_error_with_a_plain_sentence(rsps, sleep):
    for _ in range(3):
        rsps.post(ENDPOINT, body=CUT_OFF, status=200, content_type="application/json")

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep, max_retries=2).read("res.partner", [1], ["name"])

    assert str(caught.value) == f"Odoo at {ODOO_URL} sent an answer that is cut off or is not valid JSON."
    assert "JSONDecodeError" not in shown(caught.value) and API_KEY not in shown(caught.value)
    assert caught.value.__context__ is None


@pytest.mark.parametrize("body", [CUT_OFF, '{"jsonrpc": "2.0", "id": 1, "result": 42,}', "[1, 2"],
                         ids=["cut-off", "trailing-comma", "open-list"])
def test_a_malformed_answer_to_a_create_is_sent_once_and_says_odoo_may_have_booked_it(rsps, sleep, body):
    rsps.post(ENDPOINT, body=body, status=200, content_type="application/json")

    with pytest.raises(OdooConnectionError) as caught:
        make_client(sleep).create("account.move", {"ref": "PLEO-1"})

    assert len(rsps.calls) == 1 and sleep.waits == []  # JSON-RPC has no idempotency key: never twice
    assert caught.value.extra["may_have_reached_odoo"] is True
    assert "Odoo may still have made the change: check before sending it again." in str(caught.value)
    assert json.loads(rsps.calls[0].request.body)["params"]["args"][4] == "create"


def test_a_web_page_answering_a_create_is_not_sent_again(rsps, sleep):
    rsps.post(ENDPOINT, body=LOGIN_PAGE, status=200, content_type="text/html")

    with pytest.raises(OdooProtocolError, match="web page instead of JSON-RPC"):
        make_client(sleep).create("account.move", {"ref": "PLEO-1"})

    assert len(rsps.calls) == 1
