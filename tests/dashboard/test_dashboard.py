"""The admin's home page is the firm's dashboard: rows, totals, order, filters, links, scoping, query count."""
import re
from html import unescape

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.sites import PortalAdminSite
from exports.choices import ExportRunStatus
from exports.models import ExportRun
from integrations.formats import moment
from tests.dashboard.conftest import client_make

# Both databases: Subqueries and conditional counts, a fixed number of queries.
pytestmark = pytest.mark.both_databases

ATTENTION_ORDER = [
    "Bravo Failing BV", "Charlie Refused BV", "Foxtrot Unverified BV",  # a connection to fix
    "Echo Failures BV",  # failures in the last 24 hours
    "Hotel Stuck BV",  # nothing exported for 9 days with 250 expenses waiting
    "Golf Old Failures BV",  # the last sync failed
    "Alpha Ok BV", "Delta Paused BV",  # nothing to do, by name
]


def _dashboard(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/admin/{query}")
    assert response.status_code == 200
    return response


def _names(response) -> list[str]:
    return [unescape(name) for name in re.findall(r'<tr data-client="([^"]+)"', response.content.decode())]


def _row_html(response, name: str) -> str:
    html = response.content.decode()
    start = html.index(f'<tr data-client="{name}"')
    return html[start:html.index("</tr>", start)]


def _row(response, name: str):
    return next(row for row in response.context["dashboard"].rows if row.name == name)


def _cell(response, name: str, cell: str) -> str:
    row = _row_html(response, name)
    start = row.index(f'data-cell="{cell}"')
    text = row[row.index(">", start) + 1:row.index("</td>", start)]
    return unescape(re.sub(r"<[^>]+>", " ", text)).split()


def test_every_admin_registration_lands_on_the_portal_site():
    from django.contrib.admin import sites

    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, PortalAdminSite)
    assert sites.site is admin.site
    registered = {model._meta.label for model in admin.site._registry}
    assert {"integrations.Client", "integrations.OdooConnection", "exports.ExportRecord", "exports.ExportRun",
            "mappings.SyncRun", "mappings.CategoryMapping", "auth.User", "django_q.Schedule"} <= registered


def test_rows_say_what_each_client_needs_in_words(client, superuser, firm):
    response = _dashboard(client, superuser)

    assert _row(response, "Alpha Ok BV").attention == []
    assert _cell(response, "Alpha Ok BV", "attention") == ["nothing"]
    assert _cell(response, "Alpha Ok BV", "odoo") == ["verified"]
    bravo = _row(response, "Bravo Failing BV")
    assert bravo.odoo.state == "failing"
    assert "Odoo did not answer within 60 seconds." in " ".join(_cell(response, "Bravo Failing BV", "odoo"))
    assert bravo.attention[0].startswith("Odoo: failing since ")
    charlie = " ".join(_cell(response, "Charlie Refused BV", "pleo"))
    assert charlie.startswith("key refused since ") and "exports skipped until new credentials" in charlie
    assert _cell(response, "Foxtrot Unverified BV", "odoo") == "not verified yet".split()
    assert _cell(response, "Foxtrot Unverified BV", "pleo") == "no connection".split()
    assert " ".join(_cell(response, "Foxtrot Unverified BV", "last-export")).endswith(
        "0 booked: the run failed last successful: never")
    assert _row(response, "Foxtrot Unverified BV").attention == [
        "Odoo: not verified yet", "Pleo: no connection", "no successful export yet"]
    assert _cell(response, "Delta Paused BV", "next-run") == ["paused"]
    assert _row(response, "Delta Paused BV").attention == []  # paused: an old export and 3 waiting are expected
    assert _cell(response, "Echo Failures BV", "failed-24h") == ["2"]
    assert _cell(response, "Echo Failures BV", "failed-7d") == ["4"]
    assert _row(response, "Echo Failures BV").attention == ["2 failed exports in the last 24 hours"]
    failures = reverse("admin:exports_exportrecord_failures") + f"?client__id__exact={firm['Echo Failures BV'].pk}"
    assert f'<a href="{failures}">2 failed exports in the last 24 hours</a>' in _row_html(response, "Echo Failures BV")
    assert _cell(response, "Golf Old Failures BV", "failed-24h") == ["0"]
    assert _cell(response, "Golf Old Failures BV", "failed-7d") == ["2"]
    assert _row(response, "Golf Old Failures BV").attention == ["the last sync failed"]
    assert _cell(response, "Hotel Stuck BV", "waiting") == ["250"]
    assert _row(response, "Hotel Stuck BV").attention[1] == "250 expenses waiting in Pleo"
    assert _row(response, "Hotel Stuck BV").attention[0].startswith("no successful export since ")
    assert re.fullmatch(r"\d\d-\d\d-\d{4}, \d\d:\d\d", " ".join(_cell(response, "Alpha Ok BV", "next-run")))


def test_a_run_that_booked_nothing_and_failed_is_not_a_successful_export(client, superuser, firm):
    """Its status and the dashboard say what happened; the last successful export stays the one before."""
    alpha = firm["Alpha Ok BV"]
    before = ExportRun.objects.get(client=alpha).finished_at
    ExportRun.objects.create(client=alpha, status=ExportRunStatus.WITH_FAILURES, triggered_by="schedule",
                             finished_at=timezone.now(), exported_count=0, failed_count=8)
    response = _dashboard(client, superuser)

    assert _row(response, "Alpha Ok BV").last_export_at == before
    cell = " ".join(_cell(response, "Alpha Ok BV", "last-export"))
    assert f"0 booked, 8 failed last successful: {moment(before)}" in cell
    assert 'class="run-failures"' in _row_html(response, "Alpha Ok BV")

    ExportRun.objects.create(client=alpha, status=ExportRunStatus.WITH_FAILURES, triggered_by="schedule",
                             finished_at=timezone.now(), exported_count=3, failed_count=1, skipped_count=2)
    response = _dashboard(client, superuser)
    assert " ".join(_cell(response, "Alpha Ok BV", "last-export")).endswith("3 booked, 1 failed, 2 skipped")


def test_firm_totals_count_every_visible_client(client, superuser, firm):
    response = _dashboard(client, superuser, "?paused=1")  # a filter narrows the table, not the firm's totals
    totals = response.context["dashboard"].totals
    assert totals == {"clients": 8, "active": 7, "paused": 1, "attention": 6, "connections_to_fix": 4,
                      "failed_24h": 2, "failed_7d": 6, "waiting": 253, "changed_in_odoo": 0}
    html = response.content.decode()
    block = html[html.index('id="firm-totals"'):html.index("</ul>", html.index('id="firm-totals"'))]
    assert '<strong data-total="failed-7d">6</strong>' in block
    assert '<strong data-total="attention">6</strong>' in block


def test_what_needs_attention_comes_first_then_by_name(client, superuser, firm):
    assert _names(_dashboard(client, superuser)) == ATTENTION_ORDER


def test_filters_needs_attention_and_paused(client, superuser, firm):
    assert _names(_dashboard(client, superuser, "?attention=1")) == ATTENTION_ORDER[:6]
    assert _names(_dashboard(client, superuser, "?paused=1")) == ["Delta Paused BV"]
    assert "Delta Paused BV" not in _names(_dashboard(client, superuser, "?paused=0"))
    assert _names(_dashboard(client, superuser, "?attention=1&paused=1")) == []
    assert _names(_dashboard(client, superuser, "?paused=maybe&staff=x")) == ATTENTION_ORDER  # ignored


def test_staff_filter_shows_the_clients_a_staff_member_handles(client, superuser, staff_user, firm):
    firm["Echo Failures BV"].staff.add(staff_user)
    firm["Alpha Ok BV"].staff.add(staff_user)
    response = _dashboard(client, superuser, f"?staff={staff_user.pk}")
    assert _names(response) == ["Echo Failures BV", "Alpha Ok BV"]
    assert (staff_user.pk, "bookkeeper") in response.context["dashboard"].staff_choices


def test_staff_member_sees_only_own_clients_and_the_filter_reveals_no_other(client, staff_user, firm):
    from tests.factories import UserFactory

    colleague = UserFactory(username="colleague")
    firm["Bravo Failing BV"].staff.add(staff_user)
    firm["Bravo Failing BV"].staff.add(colleague)
    firm["Charlie Refused BV"].staff.add(colleague)
    loner = UserFactory(username="loner")
    firm["Hotel Stuck BV"].staff.add(loner)

    response = _dashboard(client, staff_user)
    assert _names(response) == ["Bravo Failing BV"]
    assert response.context["dashboard"].totals["clients"] == 1
    assert response.context["dashboard"].totals["failed_7d"] == 0
    assert "Charlie Refused BV" not in response.content.decode()
    # Only people sharing one of the member's clients are offered; picking anyone shows no other client.
    assert {name for _, name in response.context["dashboard"].staff_choices} == {"bookkeeper", "colleague"}
    assert _names(_dashboard(client, staff_user, f"?staff={colleague.pk}")) == ["Bravo Failing BV"]
    assert _names(_dashboard(client, staff_user, f"?staff={loner.pk}")) == []


def test_each_figure_links_to_the_list_behind_it(client, superuser, firm):
    echo = firm["Echo Failures BV"]
    response = _dashboard(client, superuser)
    row = _row(response, "Echo Failures BV")
    html = _row_html(response, "Echo Failures BV")
    assert f'href="/admin/integrations/client/{echo.pk}/overview/"' in html
    assert f'href="/admin/integrations/odooconnection/{echo.odoo_connection.pk}/change/"' in html
    assert f'href="/admin/integrations/pleoconnection/{echo.pleo_connection.pk}/change/"' in html
    assert f'href="/admin/exports/exportrun/?client__id__exact={echo.pk}"' in html
    assert 'href="/admin/integrations/pleoconnection/add/?client=' in _row_html(response, "Foxtrot Unverified BV")

    # The failures lists hold exactly the records counted.
    for url, count in [(row.failed_24h_url, 2), (row.failed_7d_url, 4)]:
        assert unescape(url) in unescape(html)
        listed = client.get(url)
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == count
    totals = client.get(response.context["dashboard"].links["failed_7d"])
    assert totals.context["cl"].result_count == 6
    runs = client.get(f"/admin/exports/exportrun/?client__id__exact={echo.pk}")
    assert runs.context["cl"].result_count == 1


def test_the_app_list_stays_on_the_home_page(client, superuser, firm):
    response = _dashboard(client, superuser)
    assert 'href="/admin/exports/exportrecord/"' in response.content.decode()
    assert response.context["app_list"]


def _queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/admin/").status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_clients(superuser, staff_user):
    from django.test import Client as Browser

    def add(first, last):
        for number in range(first, last):
            client_instance = client_make(f"Client {number:02d} BV", odoo=["verified", "failing"][number % 2],
                                          failed_hours_ago=[2, 48][: number % 3])
            client_instance.staff.add(staff_user)

    admin_browser, staff_browser = Browser(), Browser()
    admin_browser.force_login(superuser)
    staff_browser.force_login(staff_user)
    add(0, 3)
    few, few_staff = _queries(admin_browser), _queries(staff_browser)
    add(3, 30)
    assert _queries(admin_browser) == few
    assert _queries(staff_browser) == few_staff
    assert len(_names(staff_browser.get("/admin/"))) == 30


@pytest.mark.django_db
def test_a_client_whose_odoo_key_expires_within_14_days_needs_attention_before_exports_stop(client, superuser):
    from datetime import timedelta

    from django.utils import timezone

    soon, later = client_make("India Key Soon BV"), client_make("Juliet Key Later BV")
    now = timezone.now()
    type(soon.odoo_connection).objects.filter(client=soon).update(key_expires_at=now + timedelta(days=9, hours=1))
    type(later.odoo_connection).objects.filter(client=later).update(key_expires_at=now + timedelta(days=60))

    response = _dashboard(client, superuser)

    india = _row(response, "India Key Soon BV")
    assert india.odoo.state == "key_expiring"
    assert india.attention[0].startswith("Odoo: API key expires in 9 days (")
    assert "make a new key in Odoo" in " ".join(_cell(response, "India Key Soon BV", "odoo"))
    assert _row(response, "Juliet Key Later BV").attention == []
    assert _names(response).index("India Key Soon BV") < _names(response).index("Juliet Key Later BV")
