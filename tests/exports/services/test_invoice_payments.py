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
    from mappings.services import booking_settings_update

    booking_settings_update(client=export_client, data={"kind_modes": {"invoice": "journal_entry"}})
    invoice, _ = invoice_and_payment(fake_pleo)
    export_job_create(company=fake_pleo.company, items=[invoice])
    export_queue_poll(client_id=export_client.pk)

    record = record_of(invoice)
    assert record.status == "exported" and record.odoo_values["move_type"] == "entry"
