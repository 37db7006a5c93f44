"""The demo: three clients wired to the sandboxes, whose connections verify and whose expenses wait in Pleo."""
import pytest
from django.core.management import call_command

from exports.choices import RUNS_THAT_REACHED_ODOO
from exports.services import export_queue_poll
from integrations.models import Client
from integrations.verify_odoo import odoo_connection_verify
from integrations.verify_pleo import pleo_connection_verify
from exports.models import ExportRecord
from exports.retry import export_records_retry
from mappings.models import CategoryMapping, PleoTaxCode
from mappings.pleo_tax_codes import pleo_tax_code_map, pleo_tax_codes_refresh
from mappings.selectors import odoo_purchase_taxes_for_pleo
from sandbox.demo import DEMO_CLIENTS, demo_seed
from sandbox.pleo.models import ExportJob


@pytest.mark.django_db
def test_demo_clients_verify_against_the_sandboxes(sandbox_http):
    summary = demo_seed(base_url="http://sandbox.test")
    assert summary.clients == [name for name, *_ in DEMO_CLIENTS]
    assert summary.expenses >= 300
    assert summary.username == "demo" and len(summary.password) >= 12
    for client in Client.objects.select_related("odoo_connection", "pleo_connection"):
        # Seeded verified, so the dashboard opens on healthy connections; and Verify passes again.
        assert client.odoo_connection.verification_passed and client.pleo_connection.verification_passed
        odoo = odoo_connection_verify(connection=client.odoo_connection)
        assert odoo.passed, [(c.key, c.detail) for c in odoo.failures]
        assert pleo_connection_verify(connection=client.pleo_connection).passed
    connections = [c.odoo_connection for c in Client.objects.select_related("odoo_connection")]
    assert {(c.server_version[:2], c.protocol) for c in connections} == {
        ("16", "json-rpc"), ("17", "json-rpc"), ("19", "json-2")}
    assert ExportJob.objects.filter(status="pending").count() >= 6

    # The demo's mappings are complete enough to export: run one client's queue as the schedule would.
    for name in (DEMO_CLIENTS[0][0], DEMO_CLIENTS[2][0]):  # on Odoo 16 over JSON-RPC, on 19 over JSON-2
        runs = export_queue_poll(client_id=Client.objects.get(name=name).pk)
        # The 0 % tax code is left unmapped on purpose: its expenses fail, the others are booked.
        assert runs and all(run.status in RUNS_THAT_REACHED_ODOO for run in runs), [r.error for r in runs]
        assert sum(run.exported_count for run in runs) > sum(run.failed_count for run in runs), name
        # ... and can be fixed the way a bookkeeper would: the 0 % Odoo tax is there to choose for "I0".
        client = Client.objects.get(name=name)
        pleo_tax_codes_refresh(client=client)
        zero = PleoTaxCode.objects.get(client=client, pleo_tax_code="I0")
        fitting = [tax for tax in odoo_purchase_taxes_for_pleo(client=client)
                   if tax.rate == zero.pleo_rate and "0% purchases" in tax.label]
        assert len(fitting) == 1
        pleo_tax_code_map(tax_code=zero, odoo_tax_id=fitting[0].id)
        for_want_of_i0 = ExportRecord.objects.filter(client=client, status="failed",
                                                     failure_reason_type="tax_code_unknown")
        assert export_records_retry(records=for_want_of_i0) > 0
        assert not for_want_of_i0.exists()  # the others want GBP activated in Odoo, as their reason says


@pytest.mark.django_db
def test_demo_is_not_seeded_over_existing_clients(client_company, capsys):
    call_command("demo_seed")
    assert "not seeded" in capsys.readouterr().out
    assert Client.objects.count() == 1


# Pleo category → the Odoo account it is booked on, as the Category mappings page shows it: the Dutch chart
# in Dutch on Odoo 16, in English from 17.
FITTING_ACCOUNTS = {
    "Meals and entertainment": ("451500 Representatiekosten", "451500 Representation costs"),
    "Travel - accommodation": ("451000 Reis- en verblijfkosten", "451000 Travel and accommodation expenses"),
    "Travel - local transport": ("404200 Overige reiskosten", "404200 Other travel expenses"),
    "Software subscriptions": ("436000 Automatiseringskosten", "436000 Automation costs"),
    "Office supplies": ("431000 Kantoorbenodigdheden", "431000 Office supplies"),
    "Consulting fees": ("460500 Advieskosten", "460500 Consultancy fees"),
    "Bank fees": ("463000 Bankkosten", "463000 Bank charges"),
}


@pytest.mark.django_db
def test_demo_categories_are_mapped_to_fitting_dutch_accounts(export_client, fake_odoo):
    shown = dict(CategoryMapping.objects.filter(client=export_client)
                 .values_list("pleo_account_name", "odoo_account_label"))
    dutch, english = zip(*FITTING_ACCOUNTS.values(), strict=True)
    expected = dict(zip(FITTING_ACCOUNTS, dutch if fake_odoo.version == 16 else english, strict=True))
    assert {category: shown[category] for category in FITTING_ACCOUNTS} == expected
    # Every category is mapped, none on a payroll account (4000xx-4017xx: wages, commuting, study costs).
    assert all(shown.values()), shown
    assert not [label for label in shown.values() if "400100" <= label[:6] <= "401799"], shown
