"""The client page as a bookkeeper reads it: connections with their checks, health, booking settings,
mapping problems, the last runs and the links onwards; and what a staff member may not reach."""
import pytest
from django.urls import reverse

from exports.models import ExportRun
from integrations.models import ClientAction
from integrations.services import odoo_connection_save
from tests.factories import ClientFactory

OVERVIEW = "admin:integrations_client_overview"


def page_of(browser, client_id) -> str:
    page = browser.get(reverse(OVERVIEW, args=[client_id]))
    assert page.status_code == 200
    return page.content.decode()


@pytest.fixture
def admin_browser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.django_db
def test_page_after_a_real_export_shows_runs_settings_and_links(admin_browser, exported, export_client):
    run = ExportRun.objects.get(client=export_client)
    html = page_of(admin_browser, export_client.pk)
    assert "Odoo of Client A BV" in html and "Pleo of Client A BV" in html
    assert "Not verified yet: press Verify." in html
    assert "0 expenses waiting in Pleo's export queue" in html
    # the last export run with its counts and links to the run and its records
    assert reverse("admin:exports_exportrun_change", args=[run.pk]) in html
    assert f"run={run.pk}" in html
    assert f'<td class="number">{run.exported_count}</td>' in html
    assert f'<span class="bad">{run.failed_count}</span>' in html and "Finished with failures" in html
    # what the failures proved missing is a mapping problem, with the link that fixes it
    problems = html[html.index('class="mapping-problems"'):html.index("</ul>", html.index('class="mapping-problems"'))]
    assert run.failed_count == 1  # the fixture leaves the 0 % tax code unmapped
    assert "<strong>1 failed export</strong>: Pleo tax code “I0” (0 %) is not mapped" in problems
    assert ">Map tax code I0</a>" in problems
    assert "No mapping problems" not in html
    assert (reverse("admin:exports_exportrecord_failures") + f"?client__id__exact={export_client.pk}") in html
    # booking settings summary and the mapping screens, connections and history
    assert "Change booking settings" in html
    for url in (reverse("admin:mappings_categorymapping_map", args=[export_client.pk]),
                reverse("admin:integrations_odooconnection_change", args=[export_client.odoo_connection.pk]),
                reverse("admin:integrations_pleoconnection_change", args=[export_client.pleo_connection.pk]),
                reverse("admin:exports_exportrecord_changelist") + f"?client__id__exact={export_client.pk}"):
        assert url.replace("&", "&amp;") in html
    for kind, label in (("verify", "Verify"), ("sync", "Sync now"), ("export", "Export now")):
        assert f'name="kind" value="{kind}">{label}</button>' in html
    assert 'id="client-actions"' in html and "Nothing has been run from this page yet." in html


@pytest.mark.django_db
def test_failing_verify_shows_each_check_health_and_what_to_do(admin_browser, connected_client, fake_odoo):
    odoo_connection_save(client=connected_client, data={"url": fake_odoo.url, "database": fake_odoo.name,
                                                        "login": fake_odoo.login}, api_key="not-the-right-key")
    page = admin_browser.post(reverse("admin:integrations_client_action", args=[connected_client.pk]),
                              {"kind": "verify"}, follow=True)
    html = page.content.decode()
    assert "✘ Verify failed" in html
    assert "✘ failed" in html and "Login e-mail and API key are accepted" in html
    assert "– not checked" in html and "Not checked: an earlier check failed." in html
    assert "Failing since" in html and "refused the stored credentials" in html
    assert "not-the-right-key" not in html
    action = ClientAction.objects.get(client=connected_client)
    assert action.status == "failed" and "Login e-mail and API key are accepted" in action.outcome


@pytest.mark.django_db
def test_passing_verify_shows_every_check_passed(admin_browser, connected_client, fake_odoo):
    page = admin_browser.post(reverse("admin:integrations_client_action", args=[connected_client.pk]),
                              {"kind": "verify"}, follow=True)
    html = page.content.decode()
    assert "Odoo of Client A BV: every check passed." in html
    assert "Pleo of Client A BV: every check passed." in html
    assert "✔ Verified" in html and "✘ failed" not in html
    assert fake_odoo.api_key not in html


@pytest.mark.django_db
def test_client_without_settings_or_connections_says_what_to_set_up(admin_browser, db):
    client = ClientFactory(name="New Client BV")
    html = page_of(admin_browser, client.pk)
    assert "Set up Odoo" in html and "Set up Pleo" in html
    assert "New Client BV has no booking settings yet" in html
    assert "Choose the accounts and journals" in html
    assert "No export has run yet." in html and "No sync has run yet." in html


@pytest.mark.django_db
def test_changelist_name_and_change_form_lead_to_the_client_page(admin_browser, client_company):
    url = reverse(OVERVIEW, args=[client_company.pk])
    html = admin_browser.get(reverse("admin:integrations_client_changelist")).content.decode()
    assert f'<a href="{url}">Client A BV</a>' in html
    html = admin_browser.get(reverse("admin:integrations_client_change", args=[client_company.pk])).content.decode()
    assert f'href="{url}"' in html and "Client page" in html


@pytest.mark.django_db
def test_staff_member_reaches_only_their_clients_page_endpoint_and_buttons(client, staff_user, db):
    own, other = ClientFactory(name="Own Client BV"), ClientFactory(name="Other Client BV")
    own.staff.add(staff_user)
    client.force_login(staff_user)
    assert "Own Client BV" in page_of(client, own.pk)
    assert client.get(reverse(OVERVIEW, args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:integrations_client_actions_json", args=[other.pk])).status_code == 404
    assert client.post(reverse("admin:integrations_client_action", args=[other.pk]),
                       {"kind": "verify"}).status_code == 404
    assert not ClientAction.objects.filter(client=other).exists()
    html = client.get(reverse("admin:integrations_client_changelist")).content.decode()
    assert reverse(OVERVIEW, args=[other.pk]) not in html


@pytest.mark.django_db
def test_buttons_need_a_post(admin_browser, client_company):
    url = reverse("admin:integrations_client_action", args=[client_company.pk])
    assert admin_browser.get(url, {"kind": "verify"}).status_code == 405
    assert not ClientAction.objects.exists()
