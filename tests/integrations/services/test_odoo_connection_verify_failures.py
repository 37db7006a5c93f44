"""Verify against servers that are not a healthy Odoo 16/17: each gives one clear failed check.

These servers cannot be played by the Odoo emulator (an HTML page, a TLS error, Odoo 15 or 18), so
the exchanges are given with `responses`; the healthy paths run against the emulator elsewhere.
"""
import json

import pytest
import requests
import responses

from integrations.verify_odoo import odoo_connection_verify

URL = "https://client.odoo.com"


def rpc(result=None, error=None):
    body = {"jsonrpc": "2.0", "id": 1}
    if error is not None:
        body["error"] = error
    else:
        body["result"] = result
    return body


def version(major):
    return {"server_version": f"{major}.0", "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": f"{major}.0", "protocol_version": 1}


def odoo_answers(rsps, answers):
    """Answer each JSON-RPC call by (service, method) from `answers`."""
    def callback(request):
        params = json.loads(request.body)["params"]
        answer = answers[(params["service"], params["method"])]
        return (200, {"Content-Type": "application/json"}, json.dumps(answer))
    rsps.add_callback(responses.POST, f"{URL}/jsonrpc", callback=callback)


def checks(report):
    return {c.key: c for c in report.checks}


@pytest.fixture
def odoo_online(odoo_connection):
    odoo_connection.url = URL
    odoo_connection.database = "client"
    odoo_connection.save()
    return odoo_connection


@pytest.mark.django_db
def test_plain_http_address_fails_before_any_request(odoo_online):
    odoo_online.url = "http://client.example.com"
    with responses.RequestsMock():  # any request would fail the test
        report = odoo_connection_verify(connection=odoo_online)
    assert checks(report)["address"].passed is False
    assert "plain http" in checks(report)["address"].detail
    assert checks(report)["login"].passed is None
    assert report.passed is False


@pytest.mark.django_db
def test_a_web_page_instead_of_odoo_is_named_as_such(odoo_online):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{URL}/jsonrpc", body="<html><body>Welcome to nginx</body></html>",
                 status=200, content_type="text/html")
        report = odoo_connection_verify(connection=odoo_online)
    assert checks(report)["server"].passed is False
    assert "does not answer like Odoo" in checks(report)["server"].detail


@pytest.mark.django_db
@pytest.mark.parametrize("failure, words", [
    (requests.exceptions.SSLError("certificate verify failed"), "certificate"),
    (requests.exceptions.ConnectTimeout("timed out"), "within 5 seconds"),
    (requests.exceptions.ConnectionError("Name or service not known"), "reach"),
])
def test_unreachable_server_fails_the_server_check(odoo_online, failure, words, settings):
    settings.ODOO_MAX_RETRIES = 0
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{URL}/jsonrpc", body=failure)
        report = odoo_connection_verify(connection=odoo_online)
    server = checks(report)["server"]
    assert server.passed is False
    assert words in server.detail.lower()
    odoo_online.refresh_from_db()
    assert odoo_online.verification_passed is False
    assert odoo_online.check_report["checks"][1]["passed"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("major", [15, 20])
def test_unsupported_odoo_version_is_refused_by_name(odoo_online, major):
    with responses.RequestsMock() as rsps:
        odoo_answers(rsps, {("common", "version"): rpc(version(major))})
        report = odoo_connection_verify(connection=odoo_online)
    check = checks(report)["version"]
    assert check.passed is False
    assert f"Odoo {major}.0" in check.detail and "Odoo 16, 17, 18 and 19" in check.detail


@pytest.mark.django_db
def test_unknown_database_names_the_database(odoo_online):
    odoo_online.database = "no_such_db"
    error = {"code": 200, "message": "Odoo Server Error", "data": {
        "name": "psycopg2.OperationalError", "debug": "", "arguments": [], "context": {},
        "message": 'connection to server failed: FATAL:  database "no_such_db" does not exist\n'}}
    with responses.RequestsMock() as rsps:
        odoo_answers(rsps, {("common", "version"): rpc(version(17)),
                            ("db", "list"): rpc(error={"code": 200, "message": "Odoo Server Error", "data": {
                                "name": "odoo.exceptions.AccessDenied", "debug": "", "message": "Access Denied",
                                "arguments": [], "context": {}}}),
                            ("common", "authenticate"): rpc(error=error)})
        report = odoo_connection_verify(connection=odoo_online)
    check = checks(report)["database"]
    assert check.passed is False
    assert "no_such_db" in check.detail
    assert "“client”" in check.detail  # proposed from the odoo.com subdomain


@pytest.mark.django_db
def test_database_not_in_the_servers_list_is_refused_with_the_list(odoo_online):
    odoo_online.url = URL
    with responses.RequestsMock() as rsps:
        odoo_answers(rsps, {("common", "version"): rpc(version(16)), ("db", "list"): rpc(["prod", "staging"])})
        report = odoo_connection_verify(connection=odoo_online)
    check = checks(report)["database"]
    assert check.passed is False
    assert "prod, staging" in check.detail


@pytest.mark.django_db
def test_refused_key_on_odoo_online_mentions_the_plan(odoo_online):
    with responses.RequestsMock() as rsps:
        odoo_answers(rsps, {("common", "version"): rpc(version(17)), ("db", "list"): rpc(["client"]),
                            ("common", "authenticate"): rpc(False)})
        report = odoo_connection_verify(connection=odoo_online)
    check = checks(report)["login"]
    assert check.passed is False
    assert "plan" in check.detail
    assert odoo_online.api_key not in json.dumps(odoo_online.check_report)
