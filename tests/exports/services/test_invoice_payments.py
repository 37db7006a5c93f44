"""Supplier invoices follow Pleo into vendor bills, and their payments leave the bills paid in Odoo."""
import pytest

from exports.models import ExportRecord
from exports.services import export_queue_poll
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def invoice_and_payment(fake_pleo):
    """A supplier invoice booked on accounts payable in Pleo and, a few weeks on, its payment from the Wallet."""
    invoice, payment = export_items_generate(company=fake_pleo.company, count=2, seed=4,
                                             kinds=["invoice", "invoice_payment"], with_receipts=False)
    assert invoice.payload["type"] == "invoice" and payment.payload["type"] == "invoice_payment"
    return invoice, payment


def record_of(item):
    return ExportRecord.objects.get(pleo_accounting_entry_id=str(item.uuid))


def test_a_supplier_invoice_becomes_a_vendor_bill_and_its_payment_leaves_it_paid(export_client, fake_pleo,
                                                                                 odoo_admin):
    invoice, payment = invoice_and_payment(fake_pleo)
    export_job_create(company=fake_pleo.company, items=[invoice])
    export_queue_poll(client_id=export_client.pk)
    bill_record = record_of(invoice)
    assert bill_record.status == "exported", bill_record.last_error
    number = invoice.payload["additionalInformation"]["invoiceInformation"]["invoiceNumber"]
    [bill] = odoo_admin.read("account.move", [bill_record.odoo_record_id],
                             ["move_type", "state", "payment_reference", "invoice_date", "invoice_date_due",
                              "payment_state"])
    assert bill["move_type"] == "in_invoice" and bill["state"] == "posted"
    assert bill["payment_reference"] == number and bill["payment_state"] == "not_paid"
    info = invoice.payload["additionalInformation"]["invoiceInformation"]
    assert bill["invoice_date"] == info["invoiceDate"][:10] and bill["invoice_date_due"] == info["dueDate"][:10]

    export_job_create(company=fake_pleo.company, items=[payment])
    export_queue_poll(client_id=export_client.pk)

    payment_record = record_of(payment)
    assert payment_record.status == "exported", payment_record.last_error
    [bill] = odoo_admin.read("account.move", [bill_record.odoo_record_id], ["name", "payment_state"])
    assert bill["payment_state"] == "paid"
    assert f"Matched with the vendor bill {bill['name']}" in payment_record.attempt_log.last().message


def test_a_payment_whose_invoice_is_not_in_odoo_is_booked_and_says_why_it_stayed_unmatched(export_client, fake_pleo,
                                                                                           odoo_admin):
    _, payment = invoice_and_payment(fake_pleo)
    export_job_create(company=fake_pleo.company, items=[payment])
    export_queue_poll(client_id=export_client.pk)

    record = record_of(payment)
    assert record.status == "exported", record.last_error
    [move] = odoo_admin.read("account.move", [record.odoo_record_id], ["move_type", "state"])
    assert move == {"id": record.odoo_record_id, "move_type": "entry", "state": "posted"}
    number = payment.payload["additionalInformation"]["invoiceInformation"]["invoiceNumber"]
    said = record.attempt_log.last().message
    assert f"no posted vendor bill of this vendor with invoice number {number}" in said
    assert "export the invoice from Pleo, or match the payment in Odoo" in said


def test_a_client_that_books_supplier_invoices_as_journal_entries_keeps_them_so(export_client, fake_pleo):
    from mappings.booking_settings import booking_settings_update

    booking_settings_update(client=export_client, data={"kind_modes": {"invoice": "journal_entry"}})
    invoice, _ = invoice_and_payment(fake_pleo)
    export_job_create(company=fake_pleo.company, items=[invoice])
    export_queue_poll(client_id=export_client.pk)

    record = record_of(invoice)
    assert record.status == "exported" and record.odoo_values["move_type"] == "entry"


def payment_copy(fake_pleo, payment, n: int, cents: int | None = None):
    """Another Pleo payment of the same invoice (same vendor and number), for `cents` if given."""
    import copy
    import uuid

    from sandbox.pleo.models import ExportItem

    payload = copy.deepcopy(payment.payload)
    entry_id = uuid.uuid5(payment.uuid, f"copy {n}")
    payload["accountingEntryId"] = str(entry_id)
    payload["additionalInformation"]["reconciliationId"] = f"{payment.reconciliation_id}-{n}"
    if cents is not None:
        for money in [payload["amount"]] + [line["lineAmount"] for line in payload["accountingEntryLines"]]:
            for side in money.values():
                side["value"] = cents
    return ExportItem.objects.create(uuid=entry_id, company=fake_pleo.company, type=payment.type, kind=payment.kind,
                                     reconciliation_id=payload["additionalInformation"]["reconciliationId"],
                                     payload=payload)


def export(fake_pleo, export_client, *items):
    export_job_create(company=fake_pleo.company, items=list(items))
    export_queue_poll(client_id=export_client.pk)


def test_a_payment_exported_before_its_invoice_is_matched_when_the_invoice_arrives(export_client, fake_pleo,
                                                                                   odoo_admin):
    invoice, payment = invoice_and_payment(fake_pleo)
    export(fake_pleo, export_client, payment)
    assert "no posted vendor bill" in record_of(payment).attempt_log.last().message

    export(fake_pleo, export_client, invoice)

    bill_record = record_of(invoice)
    assert bill_record.status == "exported", bill_record.last_error
    [bill] = odoo_admin.read("account.move", [bill_record.odoo_record_id], ["payment_state"])
    assert bill["payment_state"] == "paid"
    [payment_move] = odoo_admin.read("account.move", [record_of(payment).odoo_record_id], ["name"])
    assert f"Matched with the payment {payment_move['name']} booked before it" in bill_record.attempt_log.last().message


def test_a_partial_payment_is_booked_but_never_matched_silently(export_client, fake_pleo, odoo_admin):
    invoice, payment = invoice_and_payment(fake_pleo)
    partial = payment_copy(fake_pleo, payment, 1, cents=1000)
    export(fake_pleo, export_client, invoice)
    export(fake_pleo, export_client, partial)

    record = record_of(partial)
    assert record.status == "exported", record.last_error
    [bill] = odoo_admin.read("account.move", [record_of(invoice).odoo_record_id],
                             ["name", "payment_state", "amount_residual"])
    assert bill["payment_state"] == "not_paid"
    said = record.attempt_log.last().message
    assert (f"Not matched with a bill: {bill['name']}: the bill is open for {bill['amount_residual']:.2f} EUR, "
            "the payment is 10.00 EUR") in said
    assert "Match it in Odoo" in said
    assert record.differences  # the record page says it stayed unmatched


def test_a_bill_paid_twice_is_matched_once_and_the_second_payment_says_so(export_client, fake_pleo, odoo_admin):
    invoice, payment = invoice_and_payment(fake_pleo)
    again = payment_copy(fake_pleo, payment, 2)
    export(fake_pleo, export_client, invoice)
    export(fake_pleo, export_client, payment)
    export(fake_pleo, export_client, again)

    [bill] = odoo_admin.read("account.move", [record_of(invoice).odoo_record_id], ["name", "payment_state"])
    assert bill["payment_state"] == "paid"
    assert "Matched with the vendor bill" in record_of(payment).attempt_log.last().message
    second = record_of(again)
    assert second.status == "exported", second.last_error
    assert f"Not matched with a bill: {bill['name']} is already paid" in second.attempt_log.last().message
