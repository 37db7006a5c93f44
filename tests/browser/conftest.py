"""Playwright driving Debian's Chromium against the portal on pytest-django's live_server.

The outside world (the client's emulated Odoo database, its Pleo company) is seeded in Python; what the
firm does happens in the browser. The browser is Debian's /usr/bin/chromium (the Makefile's `browser`
target installs it); Playwright's own browser download is never used.
"""
from pathlib import Path
from types import SimpleNamespace

import pytest

__all__ = ["CLIENT", "ODOO_COMPANY", "PASSWORD", "LAPTOP", "log_in", "screenshot", "choose_option_starting_with",
           "sideways_overflow"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"
ODOO_DATABASE = "bakkerij-odoo"
ODOO_COMPANY = "Bakkerij Jansen BV"
CLIENT = "Bakkerij Jansen BV"
# Most bookkeepers' laptops: every browser test runs at this size.
LAPTOP = {"width": 1366, "height": 768}


def screenshot(page, name: str) -> Path:
    """Saved by every run for a reviewer to look at (test-artifacts/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sideways_overflow(page) -> list[str]:
    """What on the page needs scrolling sideways at its width: the page itself, or any box that scrolls on its
    own (the admin puts lists in one, so a list too wide hides its last columns without widening the page)."""
    return page.evaluate("""() => {
        const found = [];
        const page = document.documentElement;
        if (page.scrollWidth > window.innerWidth) found.push(`the page: ${page.scrollWidth} px wide`);
        for (const element of document.querySelectorAll("body *")) {
            const style = getComputedStyle(element);
            if (!["auto", "scroll"].includes(style.overflowX) || element.clientWidth === 0) continue;
            if (element.scrollWidth > element.clientWidth + 1) {
                const name = element.id ? `#${element.id}` : `${element.tagName.toLowerCase()}.${element.className}`;
                found.push(`${name}: ${element.scrollWidth} px in ${element.clientWidth} px`);
            }
        }
        return found;
    }""")


def log_in(page, username: str) -> None:
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out")).wait_for()


def choose_option_starting_with(select, text: str) -> str:
    """Pick the option a person would recognise by its start (an account code), as they would in the list."""
    option = select.locator("option").filter(has_text=text).first
    label = option.inner_text().strip()
    assert label.startswith(text), label
    select.select_option(label=label)
    return label


@pytest.fixture
def chromium(monkeypatch):
    """Headless Chromium. Playwright's sync API runs an event loop in this thread, so Django's ORM, called by
    the test between browser steps, must be told that is fine (here only, not for the rest of the suite)."""
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Export now and Verify run inside the request here (tasks are synchronous in tests): give a busy CI time.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def page(request, chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=LAPTOP,
                                   accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    failed = f"failed-{request.node.name}"
    if getattr(request.node, "browser_test_failed", False):
        screenshot(page, failed)  # where it stopped, for whoever reads the failure
    else:
        (SCREENSHOTS / f"{failed}.png").unlink(missing_ok=True)  # an earlier run's, no longer true
    context.close()


@pytest.fixture(autouse=True)
def sandboxes_at_live_server(live_server, monkeypatch):
    """The portal reaches the sandboxes at live_server.url. On PostgreSQL it does so over HTTP. On SQLite the
    live server's threads share one in-memory connection, so a portal request that writes in a transaction
    and then asks the emulated Odoo (another request on that connection) finds the table locked: there the
    same URLs are answered in-process, in the portal request's own thread and transaction."""
    from django.db import connection

    if connection.vendor == "sqlite":
        from integrations import transport
        from sandbox.transport import in_process_session

        monkeypatch.setattr(transport, "http_session", lambda: in_process_session(live_server.url))


@pytest.fixture
def firm_admin(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(username="anna", is_superuser=True, password=PASSWORD)


@pytest.fixture
def outside_odoo(transactional_db, live_server):
    """The client's Odoo 17 database, as the emulator answers it over HTTP; its integration user (uid 6) was
    given every right but Settings, the way a client's IT often leaves it."""
    from sandbox.odoo.models import EmulatedRecord
    from sandbox.odoo.services import emulated_api_key, emulated_database_create, emulated_user_groups_set

    database = emulated_database_create(name=ODOO_DATABASE, version=17)
    # The client's own company carries its name, as it would in its Odoo.
    company = EmulatedRecord.objects.get(database=database, model="res.company", record_id=1)
    company.values = {**company.values, "name": ODOO_COMPANY}
    company.save(update_fields=["values"])
    emulated_user_groups_set(database=database, uid=6, add=["base.group_partner_manager"],
                             remove=["base.group_system"])
    return SimpleNamespace(database=database, name=ODOO_DATABASE, login="pleo@example.com",
                           url=f"{live_server.url}/sandbox/odoo/{ODOO_DATABASE}",
                           api_key=emulated_api_key(database=database, uid=6))


@pytest.fixture
def outside_pleo(transactional_db, live_server):
    """The client's Pleo company. Its first token may read exports but not report them; a second, full one is
    made later."""
    from sandbox.pleo.services import DEFAULT_SCOPE, sandbox_company_create

    company, token = sandbox_company_create(name="Bakkerij Jansen ApS",
                                            scope=DEFAULT_SCOPE.replace(" export-jobs:write", ""))
    return SimpleNamespace(company=company, company_id=str(company.uuid), token=token,
                           url=f"{live_server.url}/sandbox/pleo")


@pytest.fixture
def connected_client(outside_odoo, outside_pleo):
    """Bakkerij Jansen BV with both connections verified (the browser flow of test_connections, done in Python)."""
    from integrations.services import client_create, odoo_connection_save, pleo_connection_save
    from integrations.verify_odoo import odoo_company_choose, odoo_connection_verify
    from integrations.verify_pleo import pleo_connection_verify
    from sandbox.odoo.services import emulated_user_groups_set
    from sandbox.pleo.services import api_token_create

    emulated_user_groups_set(database=outside_odoo.database, uid=6, add=["base.group_system"])
    client = client_create(name=CLIENT)
    odoo = odoo_connection_save(client=client, api_key=outside_odoo.api_key, data={
        "url": outside_odoo.url, "database": outside_odoo.name, "login": outside_odoo.login})
    odoo_connection_verify(connection=odoo)
    odoo_company_choose(connection=odoo, company_id=1)
    assert odoo_connection_verify(connection=odoo).passed
    pleo = pleo_connection_save(client=client, api_token=api_token_create(company=outside_pleo.company),
                                data={"api_base_url": outside_pleo.url})
    assert pleo_connection_verify(connection=pleo).passed
    return client
