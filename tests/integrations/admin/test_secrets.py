"""API keys and tokens are write-only: never rendered, never logged, replaceable, encrypted at rest."""
import logging

import pytest
from django.contrib import admin
from django.db import connection as db_connection
from django.urls import NoReverseMatch, reverse

from integrations.models import OdooConnection, PleoConnection


def admin_pages(objects):
    """Every changelist, add page and the change and history pages of the given objects."""
    urls = [reverse("admin:index")]
    for model, _ in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:%s_%s_changelist" % info))
        urls.append(reverse("admin:%s_%s_add" % info))
    for obj in objects:
        info = obj._meta.app_label, obj._meta.model_name
        for view in ("change", "history", "delete"):
            try:
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]))
            except NoReverseMatch:
                pass
    return urls


@pytest.mark.django_db
def test_no_admin_page_shows_a_stored_key_or_token(client, superuser, odoo_connection, pleo_connection, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(superuser)
    secrets = [odoo_connection.api_key, pleo_connection.api_token]
    history = list(OdooConnection.history.all()) + list(PleoConnection.history.all())
    for url in admin_pages([odoo_connection, pleo_connection, odoo_connection.client, *history]):
        page = client.get(url)
        assert page.status_code in (200, 302, 403), url  # 403: a log-like model has no add page
        html = page.content.decode()
        for secret in secrets:
            assert secret not in html, url
    for secret in secrets:
        assert secret not in caplog.text


@pytest.mark.django_db
def test_keys_are_encrypted_at_rest(odoo_connection, pleo_connection):
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM integrations_odooconnection WHERE id = %s", [odoo_connection.pk])
        stored_key = cursor.fetchone()[0]
        cursor.execute("SELECT api_token FROM integrations_pleoconnection WHERE id = %s", [pleo_connection.pk])
        stored_token = cursor.fetchone()[0]
    assert odoo_connection.api_key not in stored_key
    assert pleo_connection.api_token not in stored_token
    assert OdooConnection.objects.get(pk=odoo_connection.pk).api_key == odoo_connection.api_key


@pytest.mark.django_db
def test_history_keeps_no_credential(odoo_connection, pleo_connection):
    assert "api_key" not in {f.name for f in OdooConnection.history.model._meta.fields}
    assert "api_token" not in {f.name for f in PleoConnection.history.model._meta.fields}


@pytest.mark.django_db
def test_empty_key_field_keeps_the_stored_key_and_a_new_one_replaces_it(client, superuser, odoo_connection):
    client.force_login(superuser)
    url = reverse("admin:integrations_odooconnection_change", args=[odoo_connection.pk])
    form = {"client": odoo_connection.client.pk, "url": odoo_connection.url, "database": "client",
            "login": odoo_connection.login, "new_api_key": "", "company": ""}
    old_key = odoo_connection.api_key
    assert client.post(url, form).status_code == 302
    odoo_connection.refresh_from_db()
    assert odoo_connection.api_key == old_key

    assert client.post(url, {**form, "new_api_key": "a-brand-new-key-0042"}).status_code == 302
    odoo_connection.refresh_from_db()
    assert odoo_connection.api_key == "a-brand-new-key-0042"
    assert odoo_connection.verification_passed is None  # a new key must be verified again


@pytest.mark.django_db
def test_new_connection_needs_a_key(client, superuser, client_company):
    client.force_login(superuser)
    page = client.post(reverse("admin:integrations_odooconnection_add"), {
        "client": client_company.pk, "url": "https://client.odoo.com", "database": "client",
        "login": "pleo@example.com", "new_api_key": ""})
    assert page.status_code == 200
    assert "This field is required" in page.content.decode()
    assert not OdooConnection.objects.exists()


@pytest.mark.django_db
def test_plain_http_address_is_refused_with_a_reason(client, superuser, client_company):
    client.force_login(superuser)
    page = client.post(reverse("admin:integrations_odooconnection_add"), {
        "client": client_company.pk, "url": "http://odoo.example.com", "database": "client",
        "login": "pleo@example.com", "new_api_key": "k-123456"})
    assert page.status_code == 200
    assert "plain http" in page.content.decode()
    assert not OdooConnection.objects.exists()
