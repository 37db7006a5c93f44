"""A bookkeeper adds a client and connects its Odoo and Pleo in the browser, fixing what Verify reports."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLIENT, ODOO_COMPANY, log_in, screenshot

# Both databases: on PostgreSQL the portal reaches the sandboxes over real HTTP, on SQLite in-process.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]


def open_client(page):
    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_role("link", name=CLIENT).click()


def check_rows(page, result: str):
    return page.locator("table.check-report tbody tr").filter(has_text=result)


def test_add_a_client_and_connect_odoo_and_pleo_until_every_check_passes(page, firm_admin, outside_odoo,
                                                                         outside_pleo):
    from sandbox.odoo.services import emulated_user_groups_set
    from sandbox.pleo.services import api_token_create

    log_in(page, firm_admin.username)
    page.goto("/admin/integrations/client/")
    page.get_by_role("link", name="Add client").click()
    page.get_by_label("Name").fill(CLIENT)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text(f"The client “{CLIENT}” was added successfully")).to_be_visible()

    # Odoo: the address, database, login and key the client's IT handed over.
    page.get_by_role("link", name="Set up Odoo").click()
    page.get_by_label("Odoo URL").fill(outside_odoo.url)
    page.get_by_label("Database").fill(outside_odoo.name)
    page.get_by_label("Login e-mail").fill(outside_odoo.login)
    page.get_by_label("API key").fill(outside_odoo.api_key)
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Verify").click()
    # The user is allowed in two companies, so the company is chosen from the list Verify read.
    expect(check_rows(page, "✘ failed").filter(has_text="The user is allowed in the chosen company")).to_contain_text(
        "several companies")
    page.get_by_label("Odoo company").select_option(label=ODOO_COMPANY)
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Verify").click()
    failed = check_rows(page, "✘ failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("The user has Settings rights")
    expect(failed).to_contain_text("Administration: set “Settings”")
    expect(page.locator(".messagelist")).to_contain_text("The integration user has no Settings rights.")

    # The client's IT gives the integration user the Settings right in Odoo.
    emulated_user_groups_set(database=outside_odoo.database, uid=6, add=["base.group_system"])
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".messagelist")).to_contain_text("every check passed")
    expect(check_rows(page, "✘ failed")).to_have_count(0)
    expect(check_rows(page, "✔ passed").filter(has_text="The user is allowed in the chosen company")).to_contain_text(
        ODOO_COMPANY)
    screenshot(page, "odoo-connection-verified")

    # Pleo: the first token was made without the right to report exports.
    open_client(page)
    page.get_by_role("link", name="Set up Pleo").click()
    page.get_by_label("Pleo API URL").fill(outside_pleo.url)
    page.get_by_label("API token").fill(outside_pleo.token)
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Verify").click()
    failed = check_rows(page, "✘ failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("The token lacks the scopes")

    page.get_by_label("API token").fill(api_token_create(company=outside_pleo.company))
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".messagelist")).to_contain_text("every check passed")
    expect(check_rows(page, "✘ failed")).to_have_count(0)
    expect(page.get_by_label("Pleo company id")).to_have_value(outside_pleo.company_id)

    page.get_by_role("link", name="Clients", exact=True).first.click()
    row = page.get_by_role("row").filter(has_text=CLIENT)
    expect(row).to_contain_text(re.compile(r"✔ verified\s*" + re.escape(ODOO_COMPANY)))
    expect(row).to_contain_text(re.compile(r"✔ verified\s*Bakkerij Jansen ApS|✔ verified.*✔ verified"))
    expect(row).not_to_contain_text("failing")
    open_client(page)
    screenshot(page, "client-connected")
