"""API keys and tokens never reach logs, HTML, exception text, CSV, task results or export records.

One client with distinctive key and token values goes through what the portal does with them: Verify passing
and failing (refused keys, a broken Odoo), an export in which an item fails, an export whose Odoo refuses
the key, a retry. Then every admin page of the client is rendered, the CSV downloaded, and everything the
portal wrote or said is grepped for the secrets: every log line at DEBUG, every exception text, django-q2's
task rows, every stored row of the portal's own tables."""
import json
import logging

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import serializers
from django.urls import NoReverseMatch, reverse
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from exports.models import ExportRecord
from exports.services import export_queue_poll
from integrations.odoo.errors import OdooError
from integrations.pleo.errors import PleoError
from integrations.keys import encrypted_fields
from integrations.selectors import odoo_client_for, pleo_client_for
from integrations.services import odoo_connection_save, pleo_connection_save
from sandbox.odoo.models import EmulatedApiKey
from sandbox.odoo.services import emulated_fault_add, emulated_faults_clear
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import api_token_create, export_job_create

ODOO_KEY = "odoo-KEY-never-show-7f3a9c1e5b2d"
PLEO_TOKEN = "pleo-TOKEN-never-show-2d8e4b6f0a9c"
WRONG_KEY = "odoo-WRONG-key-never-show-c4e1a7"
WRONG_TOKEN = "pleo-WRONG-token-never-show-b9d2f3"
SECRETS = (ODOO_KEY, PLEO_TOKEN, WRONG_KEY, WRONG_TOKEN)

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("fake_odoo", [17], indirect=True)]


@pytest.fixture
def secret_client(export_client, fake_odoo, fake_pleo):
    """The exported client, its Odoo user's key and its Pleo token replaced by the distinctive values."""
    EmulatedApiKey.objects.filter(database=fake_odoo.database, uid=fake_odoo.uid).update(key=ODOO_KEY)
    api_token_create(company=fake_pleo.company, token=PLEO_TOKEN)
    odoo_connection_save(client=export_client, data={"url": fake_odoo.url, "database": fake_odoo.name,
                                                     "login": fake_odoo.login}, api_key=ODOO_KEY)
    pleo_connection_save(client=export_client, data={"api_base_url": fake_pleo.url}, api_token=PLEO_TOKEN)
    return export_client


def keys_set(client, *, odoo, pleo):
    odoo_connection_save(client=client, data={"url": client.odoo_connection.url,
                                              "database": client.odoo_connection.database,
                                              "login": client.odoo_connection.login}, api_key=odoo)
    pleo_connection_save(client=client, data={"api_base_url": client.pleo_connection.api_base_url}, api_token=pleo)
    client.refresh_from_db()


def test_no_secret_in_logs_pages_errors_csv_tasks_or_records(secret_client, fake_odoo, fake_pleo, client, superuser,
                                                              caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.PORTAL_PUBLIC_URL = "https://portal.example"  # Verify subscribes to Pleo's webhook: its secret too
    said = []  # exception texts, admin messages and pages
    browser = client
    browser.force_login(superuser)

    def verify_both():
        for connection in (secret_client.odoo_connection, secret_client.pleo_connection):
            page = browser.post(reverse(f"admin:integrations_{connection._meta.model_name}_verify",
                                        args=[connection.pk]), follow=True)
            said.append(page.content.decode())

    # Verify passing, then with refused keys, then with an Odoo that breaks in the middle
    verify_both()
    secret_client.refresh_from_db()
    assert secret_client.odoo_connection.verification_passed and secret_client.pleo_connection.verification_passed
    webhook_secret = secret_client.pleo_connection.webhook_secret
    assert webhook_secret.startswith("whsec_")
    keys_set(secret_client, odoo=WRONG_KEY, pleo=WRONG_TOKEN)
    verify_both()
    secret_client.refresh_from_db()
    assert secret_client.odoo_connection.verification_passed is False
    assert secret_client.pleo_connection.verification_passed is False
    for call in (lambda: odoo_client_for(secret_client.odoo_connection).authenticate(),
                 lambda: pleo_client_for(secret_client.pleo_connection).introspect()):
        with pytest.raises((OdooError, PleoError)) as caught:
            call()
        said += [str(caught.value), repr(caught.value), json.dumps(getattr(caught.value, "extra", None), default=str)]
    keys_set(secret_client, odoo=ODOO_KEY, pleo=PLEO_TOKEN)
    emulated_fault_add(database=fake_odoo.database, kind="html_page", count=1)
    verify_both()
    emulated_faults_clear(database=fake_odoo.database)

    # An export in which an item fails, one whose Odoo refuses the key, then a retry from the admin
    export_job_create(company=fake_pleo.company,
                      items=export_items_generate(company=fake_pleo.company, count=8, seed=1, with_receipts=False))
    runs = export_queue_poll(client_id=secret_client.pk, triggered_by="test")
    assert runs and runs[0].failed_count >= 1
    export_job_create(company=fake_pleo.company,
                      items=export_items_generate(company=fake_pleo.company, count=2, seed=2, with_receipts=False))
    keys_set(secret_client, odoo=WRONG_KEY, pleo=PLEO_TOKEN)
    with pytest.raises(OdooError) as caught:  # a synchronous cluster raises what the task raised
        async_task("exports.tasks.export_queue_poll", secret_client.pk, "test")
    said += [str(caught.value), repr(caught.value), json.dumps(caught.value.extra, default=str)]
    keys_set(secret_client, odoo=ODOO_KEY, pleo=PLEO_TOKEN)
    failed = list(ExportRecord.objects.filter(status="failed").values_list("pk", flat=True))
    assert failed
    said.append(browser.post(reverse("admin:exports_exportrecord_changelist"),
                             {"action": "retry_selected", "_selected_action": failed}, follow=True).content.decode())

    # Every admin page: changelists, add pages, every row's change and history page, custom client pages, CSV
    pages = 0
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        for pk in model._default_manager.values_list("pk", flat=True):
            urls += [reverse(f"{info}_change", args=[pk]), reverse(f"{info}_history", args=[pk])]
        for target in urls:
            page = browser.get(target)
            assert page.status_code in (200, 302, 403), target
            said.append(page.content.decode())
            pages += 1
    for name in ("overview", "setup", "actions_json"):
        try:
            said.append(browser.get(reverse(f"admin:integrations_client_{name}",
                                            args=[secret_client.pk])).content.decode())
        except NoReverseMatch:
            pass
    csv_page = browser.get(reverse("admin:exports_exportrecord_csv"))
    said.append(b"".join(csv_page.streaming_content).decode())
    assert pages > 40

    # What was stored: django-q2's tasks (pickled: read back), and every row of the portal's own tables
    # except the encrypted fields themselves. The sandboxes are the services' side and hold the keys by design.
    stored = [repr((t.func, t.args, t.kwargs, t.result)) for t in Task.objects.all()]
    stored += [repr((s.func, s.args, s.kwargs)) for s in Schedule.objects.all()]
    stored += [repr(q.task) for q in OrmQ.objects.all()]
    assert Task.objects.exists()
    encrypted = {(model, f.name) for model, f in encrypted_fields()}
    for model in apps.get_models():
        if model._meta.app_label.startswith("sandbox") or model._meta.app_label == "django_q":
            continue
        fields = [f.name for f in model._meta.concrete_fields if (model, f.name) not in encrypted and not f.primary_key]
        stored.append(serializers.serialize("json", model._default_manager.all(), fields=fields))
    records = list(ExportRecord.objects.values_list("pleo_payload", "odoo_values", "last_error"))
    assert records and any(error for _, _, error in records)
    stored.append(json.dumps(records, default=str))

    everything = "\n".join([caplog.text, *said, *stored])
    assert "odoo" in caplog.text.lower() and "pleo" in caplog.text.lower()  # the calls were logged, at DEBUG
    for secret in (*SECRETS, webhook_secret):
        assert secret not in everything, secret
        # nor half of it, e.g. a key cut to fit a column
        assert secret[: len(secret) // 2 + 4] not in everything, secret
