"""A bookkeeper sets a connected client up for exporting, exports, fixes a failed expense and retries it,
and downloads the history, all in the browser. Pleo's side (expenses waiting in the export queue) is the
outside world, made in Python."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLIENT, choose_option_starting_with, log_in, screenshot

# Both databases: on PostgreSQL the portal reaches the sandboxes over real HTTP, on SQLite in-process.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]

# Pleo categories of the expenses below and the Odoo expense account each is booked on.
CATEGORY_ACCOUNTS = {"6900 Bank fees": "400100", "6910 Interest expense": "400200",
                     "7150 Travel - mileage allowance": "401600"}
UNMAPPED = "7160 Travel - per diem allowance"


def open_client(page):
    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_role("link", name=CLIENT).click()


def dashboard_row(page):
    """The client's row on the firm's dashboard, the admin's home page."""
    row = page.locator("#client-dashboard").locator(f'tr[data-client="{CLIENT}"]')
    expect(row).to_be_visible()
    return row


def client_actions(page):
    return page.locator("#client-actions")


def press_and_wait(page, button: str) -> str:
    """Press a Run-now button of the client page and wait until the page shows the action finished."""
    page.get_by_role("button", name=button, exact=True).click()
    done = client_actions(page).locator("li").filter(has_text=button).first
    expect(done).to_have_attribute("data-status", re.compile("succeeded|failed"))
    return done.inner_text()


def map_category(page, category: str, account_code: str) -> None:
    row = page.get_by_role("row").filter(has_text=category)
    choose_option_starting_with(row.get_by_role("combobox").first, account_code)


def booking_settings_choose(page) -> None:
    page.get_by_role("link", name="Choose the accounts and journals").click()
    for label, code in (("Pleo wallet account", "106001"), ("Out-of-pocket account", "149000"),
                        ("Contra account for reimbursements", "135000"), ("Payables account", "130000")):
        choose_option_starting_with(page.get_by_label(label), code)
    choose_option_starting_with(page.get_by_label("Card-expense journal"), "MISC Miscellaneous Operations")
    choose_option_starting_with(page.get_by_label("Vendor-bill journal"), "BILL Vendor Bills")
    page.get_by_label("Card expenses exported as").select_option(label="Posted")
    page.get_by_label("Out-of-pocket expenses exported as").select_option(label="Posted")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def tag_group_pair(page) -> None:
    page.get_by_role("main").get_by_role("link", name="Tag groups").click()
    page.get_by_role("link", name="Add tag group pair").click()
    page.get_by_role("row").filter(has_text=CLIENT).get_by_role("link", name="Choose").click()
    page.get_by_label("Odoo analytic plan").select_option(index=0)
    choose_option_starting_with(page.get_by_label("Pleo tag group"), "Projects")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def expenses_waiting_in_pleo(company) -> list:
    """The client's staff export three expenses in Pleo: a bank fee, mileage and a per-diem allowance, tagged
    with the project tags the tag sync made (the sandbox's own seeded tags are archived, as the client would)."""
    from mappings.models import AnalyticTagMapping
    from sandbox.pleo.models import Tag
    from sandbox.pleo.scenarios import export_items_generate
    from sandbox.pleo.services import export_job_create

    synced = list(AnalyticTagMapping.objects.values_list("pleo_tag_id", flat=True))
    assert synced, "the tag sync made no tags in Pleo"
    Tag.objects.filter(group__company=company).exclude(uuid__in=synced).update(archived=True)
    items = export_items_generate(company=company, count=3, kinds=["fee", "mileage", "per_diem"], seed=3)
    export_job_create(company=company, items=items)
    return items


def test_set_up_export_retry_a_failed_expense_and_download_the_history(page, firm_admin, connected_client,
                                                                      outside_pleo):
    log_in(page, firm_admin.username)
    open_client(page)
    booking_settings_choose(page)
    open_client(page)
    tag_group_pair(page)

    # Sync now reads the categories from Pleo and sends Odoo's taxes and the plan's analytic accounts to Pleo.
    open_client(page)
    outcome = press_and_wait(page, "Sync now")
    assert "Succeeded" in outcome and re.search(r"Taxes: [1-9]\d* created", outcome), outcome
    assert re.search(r"Tags: [1-9]\d* created", outcome), outcome
    page.get_by_role("main").get_by_role("link", name="Tax mappings").click()
    expect(page.get_by_role("row").filter(has_text=CLIENT).first).to_be_visible()
    open_client(page)

    page.get_by_role("main").get_by_role("link", name="Map categories").click()
    for category, code in CATEGORY_ACCOUNTS.items():
        map_category(page, category, code)
    page.get_by_role("button", name="Save all").click()
    expect(page.locator(".messagelist")).to_contain_text("category mapping(s) saved")
    expect(page.get_by_role("row").filter(has_text=UNMAPPED)).to_contain_text("not mapped")

    expenses_waiting_in_pleo(outside_pleo.company)
    open_client(page)
    outcome = press_and_wait(page, "Export now")
    assert "1 export job from Pleo: 2 exported, 1 failed, 0 skipped." in outcome, outcome
    expect(page.locator("#export-runs")).to_contain_text("Export now by anna")

    # The morning dashboard puts the client first with its failure; the figure opens the failed expense.
    page.get_by_role("link", name="Home").click()
    row = dashboard_row(page)
    expect(row.locator('[data-cell="failed-24h"]')).to_have_text("1")
    expect(row.locator('[data-cell="last-export"]')).not_to_have_text("never")
    expect(page.locator("#firm-totals [data-total='failed-24h']")).to_have_text("1")
    screenshot(page, "dashboard-after-export")
    # The failed expense says why, in the bookkeeper's words.
    row.locator('[data-cell="failed-24h"]').get_by_role("link").click()
    failed_row = page.locator("#result_list").get_by_role("row").filter(has_text="Per diem")
    expect(failed_row).to_contain_text("Travel - per diem allowance")
    expect(failed_row).to_contain_text("is not mapped to an Odoo account")
    failed_row.get_by_role("link").first.click()
    record = page.locator("#export-record")
    expect(record).to_contain_text("Failed")
    screenshot(page, "export-record-failed")

    open_client(page)
    page.get_by_role("main").get_by_role("link", name="Map categories").click()
    map_category(page, UNMAPPED, "409000")
    page.get_by_role("button", name="Save all").click()
    expect(page.locator(".messagelist")).to_contain_text("1 category mapping(s) saved")

    open_client(page)
    page.get_by_role("main").get_by_role("link", name="Failed exports", exact=True).click()
    page.get_by_role("row").filter(has_text="Per diem").get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Retry the selected failed records")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 failed record queued for export again")
    expect(page.get_by_text("0 export records")).to_be_visible()

    open_client(page)
    page.get_by_role("main").get_by_role("link", name="Export history", exact=True).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    per_diem = rows.filter(has_text="Per diem")
    expect(per_diem).to_contain_text("Exported")
    per_diem.get_by_role("link").first.click()
    record = page.locator("#export-record")
    expect(record).to_contain_text("Exported")
    expect(record).to_contain_text("retry by anna")
    screenshot(page, "export-record")

    page.get_by_role("link", name="Home").click()
    expect(dashboard_row(page).locator('[data-cell="failed-24h"]')).to_have_text("0")
    expect(page.locator("#firm-totals [data-total='failed-24h']")).to_have_text("0")
    screenshot(page, "dashboard")

    open_client(page)
    page.get_by_role("main").get_by_role("link", name="Export history", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of this list").click()
    text = open(download.value.path(), encoding="utf-8").read()
    lines = list(csv.DictReader(io.StringIO(text)))
    assert len(lines) == 3, lines
    assert {line["Client"] for line in lines} == {CLIENT}
    assert {line["Status"] for line in lines} == {"Exported"}
    assert sorted(line["Kind"] for line in lines) == ["fee", "mileage allowance", "per diem allowance"]
