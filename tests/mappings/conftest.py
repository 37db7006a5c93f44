"""Fixtures of the mappings tests: a client wired to the emulated Odoo (company 1) and the Pleo sandbox."""
import pytest

from integrations.odoo.client import OdooClient, OdooCredentials
from integrations.services import pleo_company_choose
from sandbox.odoo.services import emulated_api_key
from sandbox.transport import in_process_session


@pytest.fixture(autouse=True)
def _empty_cache():
    # The Odoo pick lists are cached; one test's chart must not show up in the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def connected_client(client_company, odoo_connection_to_sandbox, pleo_connection_to_sandbox, fake_pleo):
    """Client A, whose Odoo company (1, "Client A BV") and Pleo company are chosen."""
    odoo_connection_to_sandbox.company_id = 1
    odoo_connection_to_sandbox.company_name = "Client A BV"
    odoo_connection_to_sandbox.save()
    pleo_company_choose(connection=pleo_connection_to_sandbox, company_id=fake_pleo.company_id,
                        company_name="Client A ApS")
    return client_company


@pytest.fixture
def odoo_admin(fake_odoo):
    """The emulated Odoo as its administrator (uid 2), to change Odoo data the way a user would."""
    return OdooClient(
        OdooCredentials(url=fake_odoo.url, database=fake_odoo.name, login="admin",
                        api_key=emulated_api_key(database=fake_odoo.database, uid=2)),
        company_id=1, uid=2, session=in_process_session(), max_retries=0,
    )


@pytest.fixture
def odoo_admin_b(fake_odoo):
    """The emulated Odoo's administrator acting in company 2 (Client B)."""
    return OdooClient(
        OdooCredentials(url=fake_odoo.url, database=fake_odoo.name, login="admin",
                        api_key=emulated_api_key(database=fake_odoo.database, uid=2)),
        company_id=2, uid=2, session=in_process_session(), max_retries=0,
    )


@pytest.fixture
def second_client(db, fake_odoo, sandbox_http):
    """Client B: the second company (2) of the same emulated Odoo (same codes, other ids) and a Pleo company of its own."""
    from integrations.services import odoo_connection_save, pleo_connection_save
    from sandbox.pleo.services import sandbox_company_create
    from sandbox.transport import SANDBOX_TEST_URL
    from tests.factories import ClientFactory

    client = ClientFactory(name="Client B BV")
    odoo = odoo_connection_save(client=client, data={"url": fake_odoo.url, "database": fake_odoo.name,
                                                     "login": fake_odoo.login}, api_key=fake_odoo.api_key)
    odoo.company_id, odoo.company_name = 2, "Client B BV"
    odoo.save()
    company, token = sandbox_company_create(name="Client B ApS", currency="EUR")
    pleo = pleo_connection_save(client=client, data={"api_base_url": f"{SANDBOX_TEST_URL}/sandbox/pleo"},
                                api_token=token)
    pleo_company_choose(connection=pleo, company_id=str(company.uuid), company_name="Client B ApS")
    client.pleo_company = company
    return client


def odoo_account(odoo, code, *, company_id=1):
    """The id of the Odoo account with this code in the company."""
    rows = odoo.search_read("account.account", [("code", "=", code), ("company_id", "=", company_id)], ["code"])
    return next(iter(rows))["id"]


def odoo_purchase_tax(odoo, amount, *, company_id=1):
    """The id of the company's first tax-excluded percent purchase tax of this rate (names differ in 16 and 17)."""
    rows = odoo.search_read("account.tax", [("amount", "=", amount), ("type_tax_use", "=", "purchase"),
                                            ("price_include", "=", False), ("amount_type", "=", "percent"),
                                            ("company_id", "=", company_id)], ["name"], order="id")
    return next(iter(rows))["id"]
