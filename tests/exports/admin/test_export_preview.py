"""Preview pending exports: every expense waiting in Pleo's queue and the exact Odoo record the export would
create, with Odoo's names, or the missing mapping named; nothing written anywhere."""
import html as html_lib

import pytest
from django.urls import reverse

from exports.models import ExportRecord, ExportRun
from exports.selectors import export_preview_entries
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from tests.factories import ClientFactory

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out


def preview_url(client):
    return reverse("admin:exports_exportrecord_preview", args=[client.pk])


def odoo_counts(fake_odoo) -> dict:
    return {model: EmulatedRecord.objects.filter(database=fake_odoo.database, model=model).count()
            for model in ("account.move", "account.move.line", "res.partner", "ir.attachment")}


def code_name(odoo_admin, model, record_id) -> str:
    row = odoo_admin.read(model, [record_id], ["code", "name"])[0]
    return f"{row['code']} {row['name']}"


@pytest.fixture
def pending(export_client, fake_pleo):
    """Eight pending expenses of every kind, in one Pleo export job nobody has started."""
    items = export_items_generate(company=fake_pleo.company, count=8, seed=1, with_receipts=False)
    return export_job_create(company=fake_pleo.company, items=items), items


@pytest.mark.django_db
def test_preview_shows_the_exact_journal_entry_of_each_pending_expense(admin_browser, pending, export_client,
                                                                      odoo_admin):
    job, items = pending
    page = admin_browser.get(preview_url(export_client))
    assert page.status_code == 200
    text = html_lib.unescape(page.content.decode())
    entries = page.context_data["entries"]
    assert {e.accounting_entry_id for e in entries} == {str(i.uuid) for i in items}
    booked = [e for e in entries if e.record_type]
    assert booked and all(e.record_type == "journal entry" and e.state_after_export == "posted" for e in booked)
    card_journal = code_name(odoo_admin, "account.journal", 3)
    assert all(e.journal == card_journal for e in booked) and card_journal in text
    for entry in booked:
        assert entry.reference in text
        for line in entry.lines:
            assert "not found in Odoo" not in line.account and line.account in text
    wallet = code_name(odoo_admin, "account.account", export_client.booking_settings.wallet_account_id)
    purchase = next(e for e in booked if e.summary.split()[1] == "card_purchase")
    assert purchase.lines[-1].account == wallet and purchase.lines[-1].credit == purchase.expected_total
    taxed = next(line for line in purchase.lines if line.taxes)
    tax_id = next(iter(taxed.taxes))
    odoo_tax_names = {t["name"] for t in odoo_admin.search_read("account.tax", [], ["name"])}
    assert set(taxed.taxes) <= odoo_tax_names and tax_id in text
    analytic_names = {f"{a['code'] or ''} {a['name']}".strip()
                      for a in odoo_admin.search_read("account.analytic.account", [], ["code", "name"])}
    assert taxed.analytic and all(a.rsplit(":", 1)[0] in analytic_names for a in taxed.analytic)
    assert all(a.rsplit(":", 1)[0] in text for a in taxed.analytic)
    foreign = next(e for e in booked if any(line.amount_in_currency is not None for line in e.lines))
    assert foreign.currency == "USD" and any(line.currency == "USD" for line in foreign.lines)
    employee = next(e for e in booked if e.summary.split()[1] == "out_of_pocket")
    assert employee.partner.startswith("employee ") and employee.partner in text


@pytest.mark.django_db
def test_preview_names_the_missing_mapping_of_an_expense_that_would_fail(admin_browser, pending, export_client):
    page = admin_browser.get(preview_url(export_client))
    refused = [e for e in page.context_data["entries"] if e.refusal]
    assert refused and all("tax code “I0”" in e.refusal for e in refused)
    assert not any(e.lines for e in refused)
    text = html_lib.unescape(page.content.decode())
    assert "Would fail:" in text and "Pleo tax code “I0” (0 %) is not mapped to an Odoo tax" in text


@pytest.mark.django_db
def test_preview_shows_vendor_bill_lines_and_the_wallet_payment(admin_browser, export_client, fake_pleo, odoo_admin):
    from mappings.booking_settings import booking_settings_update

    booking_settings_update(client=export_client, data={"kind_modes": {"card_purchase": "vendor_bill"}})
    export_job_create(company=fake_pleo.company, items=export_items_generate(
        company=fake_pleo.company, count=4, seed=3, kinds=["card_purchase"], with_receipts=False))
    entries = admin_browser.get(preview_url(export_client)).context_data["entries"]
    bills = [e for e in entries if e.record_type == "vendor bill"]
    assert bills, [(e.summary, e.refusal) for e in entries]
    bill_journal = code_name(odoo_admin, "account.journal", 2)
    for bill in bills:
        assert bill.journal == bill_journal
        assert bill.partner.startswith("supplier ")
        assert all(line.unit_price is not None and line.debit is None for line in bill.lines)
        assert "reconciled with the bill" in bill.payment and str(bill.expected_total) in bill.payment


@pytest.mark.django_db
def test_preview_writes_nothing_in_odoo_pleo_or_the_portal(admin_browser, pending, export_client, fake_odoo):
    job, _ = pending
    before = odoo_counts(fake_odoo)
    assert admin_browser.get(preview_url(export_client)).status_code == 200
    assert export_preview_entries(client=export_client)
    assert odoo_counts(fake_odoo) == before
    assert not ExportRecord.objects.exists() and not ExportRun.objects.exists()
    job.refresh_from_db()
    assert job.status == "pending"
    assert set(job.items.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db
def test_preview_says_when_nothing_is_waiting(admin_browser, export_client):
    page = admin_browser.get(preview_url(export_client))
    assert page.status_code == 200 and "Nothing is waiting in Pleo" in html_lib.unescape(page.content.decode())


@pytest.mark.django_db
def test_preview_of_a_client_without_connections_explains_instead_of_failing(admin_browser):
    bare = ClientFactory(name="Bare Client BV")
    page = admin_browser.get(preview_url(bare))
    assert page.status_code == 200
    assert "has no Pleo connection yet" in html_lib.unescape(page.content.decode())


@pytest.mark.django_db
def test_preview_is_scoped_to_the_staff_members_clients(staff_browser, export_client, pending):
    other = ClientFactory(name="Other Client BV")
    assert staff_browser.get(preview_url(other)).status_code == 404
    assert staff_browser.get(reverse("admin:exports_exportrecord_preview", args=[999999])).status_code == 404
    page = staff_browser.get(reverse("admin:exports_exportrecord_preview_choose"))
    text = page.content.decode()
    assert export_client.name in text and "Other Client BV" not in text and preview_url(export_client) in text
    assert staff_browser.get(preview_url(export_client)).status_code == 200


@pytest.mark.django_db
def test_preview_needs_the_view_right_on_export_records(client, export_client):
    from tests.factories import UserFactory

    nobody = UserFactory(username="no-rights")
    export_client.staff.add(nobody)
    client.force_login(nobody)
    assert client.get(preview_url(export_client)).status_code == 404
    assert client.get(reverse("admin:exports_exportrecord_csv")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [
    pytest.param(lambda payload: payload.pop("accountingEntryId"), id="no-accountingEntryId"),
    pytest.param(lambda payload: payload.update(amount="12.50 EUR"), id="amount-as-text"),
])
def test_preview_shows_a_broken_item_as_refused_with_its_reason_and_the_rest_as_usual(admin_browser, pending,
                                                                                    export_client, broken):
    """Naive: the preview trusts each item's fields and the page crashes on the first broken one."""
    job, items = pending
    broken(items[0].payload)
    items[0].save()

    page = admin_browser.get(preview_url(export_client))

    assert page.status_code == 200
    text = html_lib.unescape(page.content.decode())
    assert str(items[0].uuid) in text
    rows = {row.accounting_entry_id: row for row in export_preview_entries(client=export_client)}
    assert rows[str(items[0].uuid)].refusal in text
    assert any(row.record_type for key, row in rows.items() if key != str(items[0].uuid))
