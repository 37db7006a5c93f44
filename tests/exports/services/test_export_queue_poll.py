"""The export pipeline end to end: Pleo sandbox export jobs booked in the emulated Odoo 16 and 17."""
from collections import defaultdict
from decimal import Decimal

import pytest

from exports.models import ExportRecord, ExportRun
from exports.services import export_queue_poll
from integrations.pleo.contract import money_to_decimal
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.models import ExportJob
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create


def odoo_moves(fake_odoo):
    return {r.values["ref"]: r for r in EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move")
            if r.values.get("ref")}


def odoo_lines(fake_odoo, move_id):
    return [r.values for r in EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move.line",
                                                            parent_id=move_id)]


def amount(value) -> Decimal:
    return Decimal(str(value or 0))


@pytest.mark.django_db
def test_every_kind_is_booked_once_balanced_with_pleos_total_and_vat(export_client, fake_odoo, fake_pleo):
    items = export_items_generate(company=fake_pleo.company, count=21, seed=1, with_receipts=False)
    job = export_job_create(company=fake_pleo.company, items=items)

    runs = export_queue_poll(client_id=export_client.pk, triggered_by="test")

    assert len(runs) == 1 and runs[0].status == "succeeded", runs[0].error
    records = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(client=export_client)}
    assert len(records) == len(items)
    failures = [(r.kind, r.last_error) for r in records.values() if r.status == "failed"]
    # 0 % VAT is left unmapped by the fixture: those items, and only those, fail, naming the tax code.
    assert failures and all("tax code “I0”" in reason for _, reason in failures), failures
    assert sum(r.status == "exported" for r in records.values()) == len(items) - len(failures)
    moves = odoo_moves(fake_odoo)
    for item in items:
        record = records[str(item.uuid)]
        if record.status != "exported":
            continue
        move = moves[record.odoo_reference]
        assert move.record_id == record.odoo_record_id
        assert move.values["state"] == "posted"
        lines = odoo_lines(fake_odoo, move.record_id)
        debit = sum(amount(line["debit"]) for line in lines)
        credit = sum(amount(line["credit"]) for line in lines)
        assert debit == credit, (record.kind, lines)
        pleo_total = money_to_decimal(item.payload["amount"]["inWalletCurrency"])
        assert debit >= abs(pleo_total)
        assert not any(line.get("name") == "Automatic Balancing Line" for line in lines)
    job.refresh_from_db()
    assert job.status in ("completed", "completed_with_errors")
    job_items = {str(ji.export_item.uuid): ji.status for ji in job.items.select_related("export_item")}
    for entry_id, record in records.items():
        assert job_items[entry_id] == ("failed" if record.status == "failed" else "successful")


@pytest.mark.django_db
def test_a_second_run_books_nothing_twice(export_client, fake_odoo, fake_pleo):
    items = export_items_generate(company=fake_pleo.company, count=6, seed=2, kinds=["card_purchase"],
                                  with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk)
    first = len(odoo_moves(fake_odoo))
    assert first == 6
    # The same entries in a new job (a user exports again): adopted, not booked again.
    export_job_create(company=fake_pleo.company, items=items)
    runs = export_queue_poll(client_id=export_client.pk)
    assert len(odoo_moves(fake_odoo)) == first
    assert runs[0].exported_count == 6
