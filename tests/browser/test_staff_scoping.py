"""A staff member assigned to one client cannot reach another client's pages, nor see it in any list."""
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

# Both databases: on PostgreSQL the portal reaches the sandboxes over real HTTP, on SQLite in-process.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]

OTHER = "Zuidas Advocaten BV"


@pytest.fixture
def two_clients(staff_user):
    """The staff member handles Bakkerij Jansen BV; Zuidas Advocaten BV, with a connection and a failed export,
    belongs to a colleague."""
    from django.utils import timezone

    from exports.models import ExportRecord, ExportRun
    from tests.factories import ClientFactory, OdooConnectionFactory, PleoConnectionFactory

    own, other = ClientFactory(name="Bakkerij Jansen BV"), ClientFactory(name=OTHER)
    own.staff.add(staff_user)
    for client in (own, other):
        OdooConnectionFactory(client=client, company_name=f"{client.name} (Odoo)")
        PleoConnectionFactory(client=client)
    run = ExportRun.objects.create(client=other, pleo_job_id="job-of-zuidas", status="succeeded",
                                   started_at=timezone.now(), finished_at=timezone.now(), triggered_by="schedule")
    record = ExportRecord.objects.create(
        client=other, pleo_accounting_entry_id="zuidas-entry-1", pleo_job_id="job-of-zuidas", export_run=run,
        kind="card_purchase", entry_date=date(2025, 3, 12), supplier="Zuidas Secret Supplier",
        amount=Decimal("77.70"), currency="EUR", status="failed", last_error="Zuidas's reason",
        pleo_payload={"accountingEntryId": "zuidas-entry-1"})
    return own, other, record


def assert_out_of_reach(page, path: str) -> None:
    response = page.goto(path)
    redirected = response.request.redirected_from is not None
    assert response.status in (403, 404) or redirected, f"{path} answered {response.status}"
    expect(page.locator("body")).not_to_contain_text(OTHER)
    expect(page.locator("body")).not_to_contain_text("Zuidas Secret Supplier")


def test_staff_member_sees_and_reaches_only_their_own_client(page, staff_user, two_clients):
    own, other, record = two_clients
    log_in(page, staff_user.username)
    dashboard = page.locator("#client-dashboard")
    expect(dashboard.locator(f'tr[data-client="{own.name}"]')).to_be_visible()
    expect(dashboard.locator(f'tr[data-client="{OTHER}"]')).to_have_count(0)
    expect(dashboard.locator("tr[data-client]")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text(OTHER)
    screenshot(page, "dashboard-staff")

    for path in (f"/admin/integrations/client/{other.pk}/overview/",
                 f"/admin/integrations/client/{other.pk}/change/",
                 f"/admin/integrations/odooconnection/{other.odoo_connection.pk}/change/",
                 f"/admin/integrations/pleoconnection/{other.pleo_connection.pk}/change/",
                 f"/admin/exports/exportrecord/{record.pk}/change/",
                 f"/admin/exports/exportrun/{record.export_run_id}/change/",
                 f"/admin/mappings/categorymapping/map/{other.pk}/"):
        assert_out_of_reach(page, path)

    for path in ("/admin/integrations/client/", "/admin/integrations/odooconnection/", "/admin/exports/exportrecord/",
                 "/admin/exports/exportrun/", f"/admin/exports/exportrecord/?client__id__exact={other.pk}"):
        page.goto(path)
        expect(page.locator("body")).not_to_contain_text(OTHER)
        expect(page.locator("body")).not_to_contain_text("Zuidas Secret Supplier")
    page.goto("/admin/integrations/client/")
    page.get_by_role("link", name=own.name).click()
    expect(page.get_by_role("heading", name=own.name)).to_be_visible()
