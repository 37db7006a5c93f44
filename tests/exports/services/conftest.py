"""A client ready to export: booking settings, categories, taxes and tags mapped against the sandboxes."""
import pytest

from sandbox.demo import export_mappings_seed


@pytest.fixture
def export_client(connected_client, fake_odoo, fake_pleo):
    """Client A with every mapping the export needs; journal entries, posted, receipts on, 0 % unmapped."""
    export_mappings_seed(client=connected_client, database=fake_odoo.database, company=fake_pleo.company)
    return connected_client
