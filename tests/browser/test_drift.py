"""A bookkeeper cancels an exported entry in Odoo; the portal's check of Odoo finds it, the dashboard and the
export history say so, and one action books the expense again. Odoo's and Pleo's side are made in Python."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLIENT, log_in, screenshot

# Both databases: on PostgreSQL the portal reaches the sandboxes over real HTTP, on SQLite in-process.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exported_then_cancelled(connected_client, outside_odoo, outside_pleo, live_server):
    """Two expenses exported and posted; the bookkeeper then cancels the first entry in Odoo."""
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
        items = export_items_generate(company=outside_pleo.company, count=2, seed=9, kinds=["card_purchase"],
                                      with_receipts=False)
        export_job_create(company=outside_pleo.company, items=items)
        export_queue_poll(client_id=connected_client.pk)
    cancelled = ExportRecord.objects.get(pleo_accounting_entry_id=str(items[0].uuid))
    assert cancelled.status == "exported", cancelled.last_error
    bookkeeper = OdooClient(OdooCredentials(url=outside_odoo.url, database=outside_odoo.name, login="admin",
                                            api_key=emulated_api_key(database=outside_odoo.database, uid=2)),
                            company_id=1, uid=2, session=in_process_session(live_server.url), max_retries=0)
    bookkeeper.execute_kw("account.move", "button_draft", [[cancelled.odoo_record_id]])
    bookkeeper.execute_kw("account.move", "button_cancel", [[cancelled.odoo_record_id]])
    return cancelled, bookkeeper


def test_an_entry_cancelled_in_odoo_is_found_listed_and_booked_again_in_one_action(page, firm_admin,
                                                                                  exported_then_cancelled):
    cancelled, bookkeeper = exported_then_cancelled
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, firm_admin.username)

    page.get_by_role("link", name=CLIENT).click()
    page.get_by_role("button", name="Check Odoo for changes", exact=True).click()
    done = page.locator("#client-actions li").filter(has_text="Check Odoo for changes").first
    expect(done).to_have_attribute("data-status", "failed")
    expect(done).to_contain_text("Read back 2 exported records from Odoo: 1 changed there since")

    page.goto("/admin/")
    row = page.locator("#client-dashboard").locator(f'tr[data-client="{CLIENT}"]')
    expect(row.locator('[data-cell="attention"]')).to_contain_text("1 exported record was changed in Odoo since")
    expect(page.locator('[data-total="changed-in-odoo"]')).to_have_text("1")
    page.get_by_role("link", name="exported records changed in Odoo since").click()
    listed = page.locator("#result_list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Cancelled in Odoo (found")
    screenshot(page, "export-history-changed-in-odoo")

    listed.first.locator("input.action-select").check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Book again the selected records changed in Odoo (via Pleo's export queue)")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 record(s) changed in Odoo sent back to Pleo")

    cancelled.refresh_from_db()
    assert cancelled.status == "exported" and cancelled.odoo_drift == ""
    moves = list(bookkeeper.search_read("account.move", [["ref", "=", cancelled.odoo_reference]], ["state"],
                                        order="id"))
    assert [m["state"] for m in moves] == ["cancel", "posted"] and cancelled.odoo_record_id == moves[1]["id"]
    page.goto("/admin/")
    expect(page.locator('[data-total="changed-in-odoo"]')).to_have_text("0")
