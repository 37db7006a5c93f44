"""The sandboxes answer over a real socket too, as in the demo: Verify both sides through live_server."""
import pytest

from integrations.services import odoo_connection_save, pleo_connection_save
from integrations.verify_odoo import odoo_company_choose, odoo_connection_verify
from integrations.verify_pleo import pleo_connection_verify
from sandbox.odoo.services import emulated_api_key, emulated_database_create
from sandbox.pleo.services import sandbox_company_create

# Both databases: the sandboxes answer over a real socket from the live server's own connections.
pytestmark = pytest.mark.both_databases


@pytest.mark.django_db(transaction=True)
def test_verify_both_sides_over_http(live_server, client_company):
    emulated = emulated_database_create(name="live17", version=17)
    odoo = odoo_connection_save(client=client_company, api_key=emulated_api_key(database=emulated, uid=6), data={
        "url": f"{live_server.url}/sandbox/odoo/live17", "database": "live17", "login": "pleo@example.com"})
    odoo_connection_verify(connection=odoo)
    odoo_company_choose(connection=odoo, company_id=1)
    report = odoo_connection_verify(connection=odoo)
    assert report.passed, [(c.key, c.detail) for c in report.failures]

    company, token = sandbox_company_create(name="Live ApS")
    pleo = pleo_connection_save(client=client_company, api_token=token,
                                data={"api_base_url": f"{live_server.url}/sandbox/pleo"})
    assert pleo_connection_verify(connection=pleo).passed
    pleo.refresh_from_db()
    assert pleo.company_id == str(company.uuid)
