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
