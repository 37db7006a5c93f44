"""Tax codes made in Pleo: read by the tax sync, each given its Odoo tax by a bookkeeper, then used by the export."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exports.models import ExportRecord
from exports.services import export_queue_poll
from mappings.models import PleoTaxCode, TaxMapping
from mappings.pleo_tax_codes import pleo_tax_code_map, pleo_tax_codes_refresh
from mappings.selectors import tax_code_targets_for
from mappings.tax_sync import tax_mapping_sync
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.models import TaxCode
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

# One Odoo version is enough: the rows come from Pleo, the Odoo side is the tax sync's, tested on every version.
pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("fake_odoo", [17], indirect=True)]

MADE_IN_PLEO = {"I21", "I9", "I0", "RC21", "E21"}  # the sandbox company's own tax codes (NL)


def zero_purchase_tax(odoo_admin) -> int:
    return odoo_admin.create("account.tax", {"name": "0% purchases", "amount": 0, "amount_type": "percent",
                                             "type_tax_use": "purchase", "price_include": False, "company_id": 1})


def test_the_tax_sync_keeps_a_row_for_each_code_made_in_pleo_and_none_for_its_own(connected_client, fake_pleo):
    run = tax_mapping_sync(client=connected_client)
    assert run.status == "succeeded", run.errors
    rows = {r.pleo_tax_code: r for r in PleoTaxCode.objects.filter(client=connected_client)}
    assert set(rows) == MADE_IN_PLEO
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    assert rows["I0"].pleo_tax_code_id == str(zero.uuid)
    assert rows["I0"].pleo_rate == Decimal("0") and rows["I0"].pleo_tax_name == "No VAT (0%)"
    assert rows["RC21"].pleo_type == "reverse" and rows["I21"].pleo_rate == Decimal("0.21")
    assert all(r.odoo_tax_id is None for r in rows.values())
    history = PleoTaxCode.history.count()
    tax_mapping_sync(client=connected_client)
    assert PleoTaxCode.history.count() == history  # nothing changed, nothing written


def test_a_code_renamed_or_dropped_in_pleo_is_updated_or_archived(connected_client, fake_pleo, superuser):
    assert pleo_tax_codes_refresh(client=connected_client, by=superuser) == len(MADE_IN_PLEO)
    TaxCode.objects.filter(company=fake_pleo.company, code="I9").update(name="Reduced VAT 9%")
    TaxCode.objects.filter(company=fake_pleo.company, code="E21").delete()

    assert pleo_tax_codes_refresh(client=connected_client, by=superuser) == 2

    rows = {r.pleo_tax_code: r for r in PleoTaxCode.objects.filter(client=connected_client)}
    assert rows["I9"].pleo_tax_name == "Reduced VAT 9%" and not rows["I9"].archived
    assert rows["E21"].archived  # kept: an expense still to export may carry it
    assert rows["I9"].history.first().history_user == superuser


def test_a_code_the_tax_sync_took_over_loses_its_row(connected_client, fake_pleo):
    pleo_tax_codes_refresh(client=connected_client)
    nine = TaxCode.objects.get(company=fake_pleo.company, code="I9")
    TaxMapping.objects.create(client=connected_client, odoo_tax_id=9, odoo_tax_name="9%",
                              pleo_tax_code_id=str(nine.uuid), pleo_tax_code="I9", pleo_rate=nine.rate)
    pleo_tax_codes_refresh(client=connected_client)
    assert set(PleoTaxCode.objects.filter(client=connected_client).values_list("pleo_tax_code", flat=True)) \
        == MADE_IN_PLEO - {"I9"}


def test_mapping_a_code_takes_only_an_odoo_purchase_tax_of_its_rate_and_kind(connected_client, odoo_admin, superuser):
    pleo_tax_codes_refresh(client=connected_client)
    zero = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I0")
    reverse = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="RC21")
    high = next(t for t in odoo_admin.search_read("account.tax", [("type_tax_use", "=", "purchase")],
                                                  ["name", "amount", "price_include"])
                if t["amount"] == 21.0 and not t["price_include"])

    with pytest.raises(ValidationError) as refused:
        pleo_tax_code_map(tax_code=zero, odoo_tax_id=high["id"], by=superuser)
    assert "The Pleo tax code “I0” is 0\u00a0% and the Odoo tax" in refused.value.messages[0]
    assert "choose an Odoo tax of 0\u00a0%" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        pleo_tax_code_map(tax_code=reverse, odoo_tax_id=high["id"], by=superuser)
    assert "is reverse charge and the Odoo tax" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        pleo_tax_code_map(tax_code=zero, odoo_tax_id=99999, by=superuser)
    assert "has no active purchase tax with id 99999" in refused.value.messages[0]

    tax_id = zero_purchase_tax(odoo_admin)
    pleo_tax_code_map(tax_code=zero, odoo_tax_id=tax_id, by=superuser)
    zero.refresh_from_db()
    assert (zero.odoo_tax_id, zero.odoo_tax_name) == (tax_id, "0% purchases")
    assert zero.history.first().history_user == superuser
    assert str(zero) == "I0 No VAT (0%) → 0% purchases"


def test_targets_hold_the_syncs_codes_and_the_hand_mapped_ones(connected_client, odoo_admin):
    tax_mapping_sync(client=connected_client)
    zero = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I0")
    tax_id = zero_purchase_tax(odoo_admin)
    pleo_tax_code_map(tax_code=zero, odoo_tax_id=tax_id)
    # One Odoo tax may serve several Pleo codes.
    other = PleoTaxCode.objects.create(client=connected_client, pleo_tax_code_id="other-zero", pleo_tax_code="Z",
                                       pleo_rate=Decimal("0"), pleo_type="inclusive", archived=True,
                                       odoo_tax_id=tax_id, odoo_tax_name="0% purchases")

    targets = tax_code_targets_for(client=connected_client)

    synced = TaxMapping.objects.filter(client=connected_client, archived=False).exclude(pleo_tax_code_id="")
    assert set(targets) == {m.pleo_tax_code_id for m in synced} | {zero.pleo_tax_code_id, other.pleo_tax_code_id}
    assert targets[zero.pleo_tax_code_id].odoo_tax_id == targets[other.pleo_tax_code_id].odoo_tax_id == tax_id
    assert not targets[zero.pleo_tax_code_id].reverse


def test_an_expense_with_a_hand_mapped_code_is_booked_with_its_odoo_tax(client, superuser, export_client, fake_odoo,
                                                                       fake_pleo, odoo_admin):
    """The demo's failure ("Pleo tax code “I0” (0 %) is not mapped"), fixed in the portal: read, map, export."""
    tax_id = zero_purchase_tax(odoo_admin)
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    client.force_login(superuser)
    page = client.get(reverse("admin:mappings_pleotaxcode_read"),
                      {"client": export_client.pk, "code_id": str(zero.uuid), "code": "I0"})
    row = PleoTaxCode.objects.get(client=export_client, pleo_tax_code_id=str(zero.uuid))
    assert page.status_code == 302 and page.url == reverse("admin:mappings_pleotaxcode_change", args=[row.pk])
    page = client.post(page.url, {"odoo_tax": tax_id})
    assert page.status_code == 302, page.content.decode()[:3000]

    items = export_items_generate(company=fake_pleo.company, count=8, seed=1, with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk, triggered_by="test")

    records = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(client=export_client)}
    assert [r.last_error for r in records.values() if r.status != "exported"] == []
    with_zero = [i for i in items if any((line.get("tax") or {}).get("code") == "I0"
                                         for line in i.payload["accountingEntryLines"])]
    assert with_zero  # the fixture's 0 % card purchase is among them
    for item in with_zero:
        move_id = records[str(item.uuid)].odoo_record_id
        lines = [r.values for r in EmulatedRecord.objects.filter(database=fake_odoo.database,
                                                                 model="account.move.line", parent_id=move_id)]
        assert any(tax_id in (line.get("tax_ids") or []) for line in lines), lines
