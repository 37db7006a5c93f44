"""A bookkeeper's day on a 1366 x 768 laptop: the dashboard says why a client needs attention, the failures are
grouped by cause, the one cause is fixed where its link leads, all its expenses are retried together, the
client is healthy again and the CSV reads back. No page on the way scrolls sideways; each is saved as a
screenshot. The outside world (the client's Odoo and Pleo) is made in Python."""
import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLIENT, log_in, screenshot, sideways_overflow

# Both databases: on PostgreSQL the portal reaches the sandboxes over real HTTP, on SQLite in-process.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failed_for_want_of_a_tax(connected_client, outside_odoo, outside_pleo, live_server):
    """8 card purchases exported, half of them split over three taxes; those with Pleo's 0 % tax code “I0”
    fail, the Odoo chart having no 0 % purchase tax. The client's accountant then adds one in Odoo: the portal
    has yet to learn of it."""
    from exports.models import ExportRecord
    from exports.services import export_queue_poll
    from integrations.odoo.client import OdooClient, OdooCredentials
    from sandbox.demo import export_mappings_seed
    from sandbox.odoo.services import emulated_api_key
    from sandbox.pleo.scenarios import export_items_generate
    from sandbox.pleo.services import export_job_create
    from sandbox.transport import in_process_session, sandboxes_in_process

    with sandboxes_in_process(live_server.url):
        export_mappings_seed(client=connected_client, database=outside_odoo.database, company=outside_pleo.company)
        items = export_items_generate(company=outside_pleo.company, count=8, seed=1,
                                      kinds=["card_purchase", "card_purchase_split"], with_receipts=False)
        export_job_create(company=outside_pleo.company, items=items)
        export_queue_poll(client_id=connected_client.pk)
    failed = ExportRecord.objects.filter(client=connected_client, status="failed")
    assert failed.count() > 1 and {r.failure_reason_type for r in failed} == {"tax_code_unknown"}, [
        r.last_error for r in failed]
    accountant = OdooClient(OdooCredentials(url=outside_odoo.url, database=outside_odoo.name, login="admin",
                                            api_key=emulated_api_key(database=outside_odoo.database, uid=2)),
                            company_id=1, uid=2, session=in_process_session(live_server.url), max_retries=0)
    accountant.create("account.tax", {"name": "0% purchases", "amount": 0.0, "amount_type": "percent",
                                      "type_tax_use": "purchase", "company_id": 1})
    return failed.count()


def laptop_page(page, name: str) -> None:
    """Every page of the day: saved for a reviewer, and readable without scrolling sideways."""
    screenshot(page, f"day-{name}")
    assert sideways_overflow(page) == [], name


def test_a_bookkeepers_day_from_failures_to_a_healthy_client(page, firm_admin, failed_for_want_of_a_tax):
    failures = failed_for_want_of_a_tax
    log_in(page, firm_admin.username)

    # The dashboard: the client needs attention, and says why.
    row = page.locator("#client-dashboard").locator(f'tr[data-client="{CLIENT}"]')
    attention = row.locator('[data-cell="attention"]')
    expect(attention).to_contain_text(f"{failures} failed exports in the last 24 hours")
    expect(row.locator('[data-cell="last-export"]')).to_contain_text(f"booked, {failures} failed")
    laptop_page(page, "1-dashboard")

    # Its failures, grouped by cause: one cause, with where to fix it.
    attention.get_by_role("link", name=f"{failures} failed exports in the last 24 hours").click()
    cause = page.locator("#failure-causes tbody tr")
    expect(cause).to_have_count(1)
    expect(cause).to_contain_text(f"{failures} ×")
    expect(cause).to_contain_text("Pleo tax code “I0” (0 %) is not mapped to an Odoo tax")
    laptop_page(page, "2-failures-by-cause")

    # The fix, where the reason points: the Odoo tax for the Pleo tax code, read fresh from Odoo.
    cause.get_by_role("link", name="Map tax code I0").click()
    laptop_page(page, "3-tax-code")
    page.get_by_role("button", name=re.compile("Refresh the lists from Odoo")).click()
    odoo_tax = page.get_by_label("Odoo tax")
    odoo_tax.select_option(value=odoo_tax.locator("option").filter(has_text="0% purchases").get_attribute("value"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    laptop_page(page, "4-tax-codes-made-in-pleo")

    # Back to the causes: retry all of them at once.
    page.goto("/admin/")
    page.locator(f'tr[data-client="{CLIENT}"] [data-cell="attention"]').get_by_role("link").first.click()
    page.get_by_role("button", name=f"Retry all {failures}").click()
    expect(page.locator(".messagelist")).to_contain_text(str(failures))
    expect(page.locator("#failure-causes")).to_have_count(0)  # nothing left to fix
    laptop_page(page, "5-failures-fixed")

    # The client is healthy: nothing needs attention, the last export booked the retried expenses.
    page.goto("/admin/")
    row = page.locator(f'tr[data-client="{CLIENT}"]')
    expect(row.locator('[data-cell="attention"]')).to_have_text("nothing")
    expect(row.locator('[data-cell="last-export"]')).to_contain_text(f"{failures} booked")
    laptop_page(page, "6-dashboard-healthy")
    row.get_by_role("link", name=CLIENT).click()
    expect(page.locator(".client-page")).to_contain_text("No mapping problems and no failed exports")
    laptop_page(page, "7-client-page")

    # The export history as CSV, read back: every expense booked, to the cent, in the firm's time zone.
    page.get_by_role("main").get_by_role("link", name="Export history", exact=True).click()
    laptop_page(page, "8-export-history")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download CSV", re.IGNORECASE)).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    from exports.models import ExportRecord

    assert len(rows) == ExportRecord.objects.count() == 8
    statuses = {r["Status"] for r in rows}
    assert statuses <= {"Exported", "Skipped"}, statuses
    amount_column = next(name for name in rows[0] if name.startswith("Amount"))
    for r in rows:
        if r[amount_column]:
            amount = Decimal(r[amount_column])
            assert amount == amount.quantize(Decimal("0.01")), r[amount_column]
    time_column = next(name for name in rows[0] if "(Europe/Amsterdam)" in name)
    stamps = [datetime.datetime.fromisoformat(r[time_column]) for r in rows if r[time_column]]
    assert stamps and all(s.utcoffset() == datetime.timedelta(hours=1) for s in stamps)  # CET in December
