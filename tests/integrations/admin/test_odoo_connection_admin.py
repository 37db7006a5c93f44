"""The Odoo connection page as a bookkeeper uses it: enter, Verify, pick the company, Verify again."""
import logging

import pytest
from django.urls import reverse

from integrations.models import OdooConnection
from sandbox.odoo.services import emulated_user_groups_set


@pytest.mark.django_db
def test_enter_verify_choose_company_and_verify_again(client, superuser, client_company, fake_odoo, caplog):
    caplog.set_level(logging.DEBUG)
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid,
                             add=["base.group_partner_manager", "account.group_account_manager"])
    client.force_login(superuser)
    form = {"client": client_company.pk, "url": fake_odoo.url, "database": fake_odoo.name,
            "login": fake_odoo.login, "new_api_key": fake_odoo.api_key, "company": ""}
    assert client.post(reverse("admin:integrations_odooconnection_add"), form).status_code == 302
    connection = OdooConnection.objects.get(client=client_company)
    change_url = reverse("admin:integrations_odooconnection_change", args=[connection.pk])
    verify_url = reverse("admin:integrations_odooconnection_verify", args=[connection.pk])

    page = client.post(verify_url, follow=True)
    html = page.content.decode()
    assert "The user is allowed in the chosen company" in html  # the failed check, shown in the message
    assert '<option value="1">Client A BV</option>' in html  # the live company list to choose from

    assert client.post(change_url, {**form, "new_api_key": "", "company": "1"}).status_code == 302
    page = client.post(verify_url, follow=True)
    html = page.content.decode()
    assert "every check passed" in html
    assert "✘" not in html
    connection.refresh_from_db()
    assert (connection.company_id, connection.company_name, connection.verification_passed) == (1, "Client A BV", True)
    assert fake_odoo.api_key not in html
    assert fake_odoo.api_key not in caplog.text


@pytest.mark.django_db
def test_verify_needs_a_post(client, superuser, odoo_connection):
    client.force_login(superuser)
    url = reverse("admin:integrations_odooconnection_verify", args=[odoo_connection.pk])
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_bulk_verify_reports_each_client(client, superuser, odoo_connection_to_sandbox):
    client.force_login(superuser)
    page = client.post(reverse("admin:integrations_client_changelist"), {
        "action": "verify_connections", "_selected_action": [odoo_connection_to_sandbox.client.pk]}, follow=True)
    html = page.content.decode()
    assert "Odoo of Client A BV" in html
    assert "no Pleo connection yet" in html
    odoo_connection_to_sandbox.refresh_from_db()
    assert odoo_connection_to_sandbox.verified_at is not None
