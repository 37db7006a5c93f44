"""Verify of the Pleo side against the Pleo sandbox: token, scopes and the company."""
import uuid

import pytest

from integrations.services import pleo_connection_save
from integrations.verify_pleo import pleo_company_choose, pleo_connection_verify
from sandbox.pleo.services import api_token_create, sandbox_company_create, sandbox_organisation_create
from tests.factories import ClientFactory


def checks(report):
    return {c.key: c for c in report.checks}


@pytest.mark.django_db
def test_company_token_passes_and_fills_in_the_company(pleo_connection_to_sandbox, fake_pleo):
    report = pleo_connection_verify(connection=pleo_connection_to_sandbox)
    assert report.passed, [(c.key, c.detail) for c in report.failures]
    pleo_connection_to_sandbox.refresh_from_db()
    assert pleo_connection_to_sandbox.company_id == fake_pleo.company_id
    assert pleo_connection_to_sandbox.verification_passed is True
    # Pleo does not tell the company's name: until it is entered the check says whose token it is in words.
    assert checks(report)["token"].detail == "Signed in with the API key of a Pleo company."
    assert checks(report)["company"].detail == f"Pleo company {fake_pleo.company_id}"


@pytest.mark.django_db
def test_the_token_check_names_the_company_and_how_pleo_was_signed_in_to(client_company, sandbox_http):
    company, key = sandbox_company_create(name="Studio Noord BV")
    named = {"api_base_url": "http://sandbox.test/sandbox/pleo", "company_name": "Studio Noord BV"}
    connection = pleo_connection_save(client=client_company, api_token=key, data=named)
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["token"].detail == "Signed in with the API key of Studio Noord BV."
    assert checks(report)["company"].detail == "Studio Noord BV"

    _, oauth = sandbox_company_create(name="Studio Noord BV", company_id=uuid.uuid4(), auth_method="OAUTH2")
    connection = pleo_connection_save(client=ClientFactory(name="Client B BV"), api_token=oauth, data=named)
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["token"].detail == (
        "Signed in through the app “Pleo to Odoo portal (sandbox)”, for Studio Noord BV.")
    assert "API_KEY" not in str(report.as_dict()) and "OAUTH2" not in str(report.as_dict())


@pytest.mark.django_db
def test_unknown_token_fails_the_token_check(client_company, fake_pleo):
    connection = pleo_connection_save(client=client_company, data={"api_base_url": fake_pleo.url},
                                      api_token="pleo-sandbox-not-a-real-token")
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["token"].passed is False
    assert checks(report)["company"].passed is None


@pytest.mark.django_db
def test_token_without_export_scopes_fails_the_scope_check(client_company, fake_pleo):
    token = api_token_create(company=fake_pleo.company, scope="tags:read")
    connection = pleo_connection_save(client=client_company, data={"api_base_url": fake_pleo.url}, api_token=token)
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["scopes"].passed is False
    assert "export-jobs:write" in checks(report)["scopes"].detail


@pytest.mark.django_db
def test_token_of_another_company_is_refused(client_company, fake_pleo):
    connection = pleo_connection_save(client=client_company, api_token=fake_pleo.token,
                                      data={"api_base_url": fake_pleo.url, "company_id": str(uuid.uuid4())})
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["company"].passed is False


@pytest.mark.django_db
def test_organisation_token_needs_the_company_id_then_passes(client_company, sandbox_http):
    organisation, token = sandbox_organisation_create(name="Holding")
    company, _ = sandbox_company_create(name="Daughter ApS", organisation=organisation)
    connection = pleo_connection_save(client=client_company, api_token=token,
                                      data={"api_base_url": "http://sandbox.test/sandbox/pleo"})
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["token"].detail == "Signed in with the API key of a Pleo organisation."
    assert checks(report)["company"].passed is False
    assert "Enter the Pleo company id" in checks(report)["company"].fix

    pleo_company_choose(connection=connection, company_id=str(company.uuid), company_name="Daughter ApS")
    assert pleo_connection_verify(connection=connection).passed

    stranger, _ = sandbox_company_create(name="Not in the holding ApS")
    pleo_company_choose(connection=connection, company_id=str(stranger.uuid))
    report = pleo_connection_verify(connection=connection)
    assert checks(report)["company"].passed is False
    assert "not reachable" in checks(report)["company"].detail
