"""Pleo delivers an exported expense again: what Odoo holds now decides, not what the portal remembers.

A bookkeeper cancels or deletes an entry in Odoo and presses Export again in Pleo: the expense is booked again
beside the cancelled one (or in place of the deleted one), the record says so in words, and Pleo hears of the
entry that is live in Odoo. An entry still live, posted or reset to draft, is never booked twice."""
from decimal import Decimal

import pytest

from exports.models import ExportRecord
from exports.services import export_queue_poll
from integrations.formats import money
from sandbox.pleo.models import ExportJobItem
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def export_once(export_client, fake_pleo):
    [item] = export_items_generate(company=fake_pleo.company, count=1, seed=7, kinds=["card_purchase"],
                                   with_receipts=False)
    export_job_create(company=fake_pleo.company, items=[item])
    export_queue_poll(client_id=export_client.pk)
    record = ExportRecord.objects.get(client=export_client)
    assert record.status == "exported" and record.odoo_state == "posted", record.last_error
    return item, record


def export_again(export_client, fake_pleo, item):
    job = export_job_create(company=fake_pleo.company, items=[item])
    export_queue_poll(client_id=export_client.pk)
    return ExportRecord.objects.get(client=export_client), ExportJobItem.objects.get(job=job)


def moves_of(odoo_admin, record):
    return odoo_admin.search_read("account.move", [["ref", "=", record.odoo_reference]], ["name", "state"],
                                  order="id")


def test_an_entry_cancelled_in_odoo_is_booked_again_beside_it(export_client, fake_pleo, odoo_admin):
    item, first = export_once(export_client, fake_pleo)
    odoo_admin.execute_kw("account.move", "button_draft", [[first.odoo_record_id]])
    odoo_admin.execute_kw("account.move", "button_cancel", [[first.odoo_record_id]])

    record, in_pleo = export_again(export_client, fake_pleo, item)

    cancelled, live = moves_of(odoo_admin, record)
    assert cancelled["id"] == first.odoo_record_id and cancelled["state"] == "cancel"
    assert live["state"] == "posted" and record.odoo_record_id == live["id"] and record.odoo_name == live["name"]
    assert record.status == "exported"
    history = " ".join(a.message for a in record.attempt_log.order_by("pk"))
    assert f"Booked as {first.odoo_name}, cancelled in Odoo" in history
    assert f"booked again as {live['name']}" in history
    assert in_pleo.status == "successful" and in_pleo.external_id == str(live["id"])


def test_an_entry_deleted_in_odoo_is_booked_again(export_client, fake_pleo, odoo_admin):
    item, first = export_once(export_client, fake_pleo)
    odoo_admin.execute_kw("account.move", "button_draft", [[first.odoo_record_id]])
    assert odoo_admin.execute_kw("account.move", "unlink", [[first.odoo_record_id]]) is True

    record, in_pleo = export_again(export_client, fake_pleo, item)

    [live] = moves_of(odoo_admin, record)
    assert live["id"] != first.odoo_record_id and live["state"] == "posted"
    assert record.status == "exported" and record.odoo_record_id == live["id"]
    assert in_pleo.status == "successful" and in_pleo.external_id == str(live["id"])


def test_an_entry_still_live_is_not_booked_again_however_often_pleo_delivers_it(export_client, fake_pleo,
                                                                                odoo_admin):
    item, first = export_once(export_client, fake_pleo)

    for _ in range(2):
        record, in_pleo = export_again(export_client, fake_pleo, item)
        assert [m["id"] for m in moves_of(odoo_admin, record)] == [first.odoo_record_id]
        assert in_pleo.status == "successful" and in_pleo.external_id == str(first.odoo_record_id)


def test_an_entry_reset_to_draft_and_edited_is_adopted_not_duplicated_and_its_new_total_noted(
        export_client, fake_pleo, odoo_admin):
    item, first = export_once(export_client, fake_pleo)
    assert first.odoo_amount_total == first.amount
    odoo_admin.execute_kw("account.move", "button_draft", [[first.odoo_record_id]])
    lines = odoo_admin.search_read("account.move.line", [["move_id", "=", first.odoo_record_id]],
                                   ["debit", "credit", "tax_line_id"])
    expense = next(line for line in lines if line["debit"] and not line["tax_line_id"])
    counter = next(line for line in lines if line["credit"])
    # The bookkeeper adds a euro to the expense and to the Wallet line: still balanced, a new total.
    odoo_admin.write("account.move", [first.odoo_record_id], {"line_ids": [
        [1, expense["id"], {"debit": expense["debit"] + 1}], [1, counter["id"], {"credit": counter["credit"] + 1}]]})

    [edited] = odoo_admin.read("account.move", [first.odoo_record_id], ["amount_total"])
    assert Decimal(str(edited["amount_total"])) >= first.amount + 1  # Odoo recomputes the VAT on top

    record, in_pleo = export_again(export_client, fake_pleo, item)

    assert [m["id"] for m in moves_of(odoo_admin, record)] == [first.odoo_record_id]
    assert record.status == "exported" and record.odoo_state == "draft"
    assert in_pleo.status == "successful" and in_pleo.external_id == str(first.odoo_record_id)
    noted = (f"Its total in Odoo is now {money(Decimal(str(edited['amount_total'])), 'EUR')}, it was booked at "
             f"{money(first.amount, 'EUR')}")
    assert noted.startswith("Its total in Odoo is now €")
    assert noted in record.attempt_log.order_by("pk").last().message and noted in record.differences
