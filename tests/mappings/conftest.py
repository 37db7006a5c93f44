"""Fixtures of the mappings tests: a second client on company 2 of the same emulated Odoo."""
import pytest

from integrations.odoo.client import OdooClient, OdooCredentials
from integrations.verify_pleo import pleo_company_choose
from sandbox.odoo.services import emulated_api_key
from sandbox.transport import in_process_session


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
    """Client B: the second company (2) of the same emulated Odoo (same codes, other ids) and a Pleo company
    of its own."""
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
