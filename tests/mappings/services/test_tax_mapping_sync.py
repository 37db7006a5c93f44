"""Tax sync: the Odoo company's active purchase taxes become Pleo tax codes, kept in step run after run."""
from decimal import Decimal

import pytest

from mappings.choices import SyncRunStatus
from mappings.models import TaxMapping
from mappings.tax_sync import tax_mapping_sync
from sandbox.pleo.models import TaxCode
from sandbox.pleo.services import fault_add

# Both databases: rows updated under SELECT ... FOR UPDATE.
pytestmark = pytest.mark.both_databases


def purchase_taxes(odoo):
    return list(odoo.search_read("account.tax", [("type_tax_use", "=", "purchase"), ("company_id", "=", 1)],
                                 ["name", "amount", "amount_type", "price_include"]))


def ours(company):
    """The tax codes the portal made in the Pleo sandbox, by code."""
    return {t.code: t for t in TaxCode.objects.filter(company=company, code__startswith="odoo-tax-")}


@pytest.mark.django_db
def test_first_run_creates_one_pleo_tax_code_per_purchase_tax(connected_client, odoo_admin, fake_pleo, superuser):
    taxes = purchase_taxes(odoo_admin)
    run = tax_mapping_sync(client=connected_client, by=superuser)
    assert run.status == SyncRunStatus.SUCCEEDED, run.errors
    assert (run.created_count, run.updated_count, run.archived_count) == (len(taxes), 0, 0)
    assert run.triggered_by == "admin" and run.finished_at is not None
    codes = ours(fake_pleo.company)
    assert set(codes) == {f"odoo-tax-{t['id']}" for t in taxes}
    high = next(t for t in taxes if t["amount"] == 21.0 and not t["price_include"])
    assert codes[f"odoo-tax-{high['id']}"].rate == Decimal("0.21")
    assert codes[f"odoo-tax-{high['id']}"].name.startswith(high["name"])
    # Tax-included or not in Odoo, a Pleo amount is what was paid: never "exclusive" (Pleo refuses it).
    assert {c.type for c in codes.values()} == {"inclusive", "reverse"}
    reverse = [c for c in codes.values() if c.type == "reverse"]
    assert all(c.ingoing_tax_account and c.outgoing_tax_account for c in reverse)
    mapping = TaxMapping.objects.get(client=connected_client, odoo_tax_id=high["id"])
    assert mapping.pleo_tax_code_id == str(codes[f"odoo-tax-{high['id']}"].uuid)
    assert mapping.pleo_rate == Decimal("0.21") and mapping.odoo_tax_rate == Decimal("21")


@pytest.mark.django_db
def test_second_run_without_changes_changes_nothing(connected_client, fake_pleo):
    tax_mapping_sync(client=connected_client)
    before = {c: t.updated_at for c, t in ours(fake_pleo.company).items()}
    history = TaxMapping.history.count()
    run = tax_mapping_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 0, 0)
    assert {c: t.updated_at for c, t in ours(fake_pleo.company).items()} == before
    assert TaxMapping.history.count() == history


@pytest.mark.django_db
def test_rate_changed_in_odoo_updates_the_pleo_tax_code(connected_client, odoo_admin, fake_pleo):
    tax_mapping_sync(client=connected_client)
    tax = purchase_taxes(odoo_admin)[0]
    odoo_admin.write("account.tax", [tax["id"]], {"amount": 22.5})
    run = tax_mapping_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 1, 0)
    assert ours(fake_pleo.company)[f"odoo-tax-{tax['id']}"].rate == Decimal("0.225")
    mapping = TaxMapping.objects.get(client=connected_client, odoo_tax_id=tax["id"])
    assert mapping.odoo_tax_rate == Decimal("22.5")
    assert mapping.history.count() == 2  # created, then the rate change


@pytest.mark.django_db
def test_tax_archived_in_odoo_is_archived_in_pleo(connected_client, odoo_admin, fake_pleo):
    tax_mapping_sync(client=connected_client)
    tax = purchase_taxes(odoo_admin)[0]
    odoo_admin.write("account.tax", [tax["id"]], {"active": False})
    run = tax_mapping_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 0, 1)
    assert ours(fake_pleo.company)[f"odoo-tax-{tax['id']}"].archived is True
    assert TaxMapping.objects.get(client=connected_client, odoo_tax_id=tax["id"]).archived is True
    # Active again in Odoo: the same Pleo code comes back, no second one.
    odoo_admin.write("account.tax", [tax["id"]], {"active": True})
    run = tax_mapping_sync(client=connected_client)
    assert (run.created_count, run.updated_count) == (0, 1)
    assert ours(fake_pleo.company)[f"odoo-tax-{tax['id']}"].archived is False


@pytest.mark.django_db
def test_tax_pleo_cannot_express_is_skipped_with_the_reason(connected_client, odoo_admin, fake_pleo):
    fixed = odoo_admin.create("account.tax", {"name": "Recycling fee", "amount": 2.5, "amount_type": "fixed",
                                              "type_tax_use": "purchase", "company_id": 1})
    run = tax_mapping_sync(client=connected_client)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.skipped_count == 1
    assert "Recycling fee" in run.notes and "fixed" in run.notes
    assert f"odoo-tax-{fixed}" not in ours(fake_pleo.company)
    mapping = TaxMapping.objects.get(client=connected_client, odoo_tax_id=fixed)
    assert mapping.pleo_tax_code_id == "" and "percentage only" in mapping.skip_reason


@pytest.mark.django_db
def test_pleo_failure_mid_way_records_a_failed_run_and_keeps_the_mapping(connected_client, odoo_admin, fake_pleo):
    tax_mapping_sync(client=connected_client)
    first, second = purchase_taxes(odoo_admin)[:2]
    odoo_admin.write("account.tax", [first["id"], second["id"]], {"amount": 19.0})
    new = odoo_admin.create("account.tax", {"name": "New 4%", "amount": 4.0, "amount_type": "percent",
                                            "type_tax_use": "purchase", "company_id": 1})
    before = {m.odoo_tax_id: (m.pleo_tax_code_id, m.pleo_rate) for m in TaxMapping.objects.all()}
    # The create goes through; the first update (a PUT: never repeated automatically) fails.
    fault_add(company=fake_pleo.company, method="PUT", path_prefix="/v0/tax-codes/", kind="http_500")

    run = tax_mapping_sync(client=connected_client)

    assert run.status == SyncRunStatus.FAILED
    assert "Pleo had an internal error" in run.errors
    assert (run.created_count, run.updated_count) == (1, 0)
    after = {m.odoo_tax_id: (m.pleo_tax_code_id, m.pleo_rate) for m in TaxMapping.objects.all()}
    assert after[first["id"]] == before[first["id"]] and after[second["id"]] == before[second["id"]]
    assert after[new][0] == str(ours(fake_pleo.company)[f"odoo-tax-{new}"].uuid)

    retry = tax_mapping_sync(client=connected_client)
    assert retry.status == SyncRunStatus.SUCCEEDED
    assert (retry.created_count, retry.updated_count) == (0, 2)
    codes = ours(fake_pleo.company)
    assert TaxCode.objects.filter(company=fake_pleo.company, code=f"odoo-tax-{new}").count() == 1
    assert codes[f"odoo-tax-{first['id']}"].rate == Decimal("0.19")


@pytest.mark.django_db
def test_odoo_unreachable_records_a_failed_run(connected_client, fake_odoo, settings):
    from sandbox.odoo.services import emulated_fault_add

    settings.ODOO_MAX_RETRIES = 0  # the retry loop has its own tests; here only the outcome counts
    emulated_fault_add(database=fake_odoo.database, kind="http_502", model="account.tax", count=10)
    run = tax_mapping_sync(client=connected_client, triggered_by="schedule")
    assert run.status == SyncRunStatus.FAILED
    assert "not reachable" in run.errors
    assert not TaxMapping.objects.exists()


@pytest.mark.django_db
def test_paused_client_is_not_synced(connected_client):
    from integrations.errors import PortalError

    connected_client.status = "paused"
    connected_client.save()
    with pytest.raises(PortalError, match="paused"):
        tax_mapping_sync(client=connected_client)
