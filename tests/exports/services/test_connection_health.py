"""What the dashboard shows of each connection, written by the export runs: failing since when and why,
how many expenses wait in Pleo, and a client whose credentials were refused is skipped until fixed."""
import pytest

from exports.models import ExportRun
from exports.services import export_queue_poll
from integrations.odoo.errors import OdooAuthenticationError
from integrations.services import odoo_connection_save
from integrations.verify_odoo import odoo_connection_verify
from sandbox.odoo.models import EmulatedApiKey
from sandbox.odoo.services import emulated_api_key
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out


@pytest.mark.django_db
def test_a_refused_odoo_key_marks_the_client_and_the_schedule_skips_it_until_new_key(export_client, fake_odoo,
                                                                                     fake_pleo):
    items = export_items_generate(company=fake_pleo.company, count=3, seed=2, kinds=["card_purchase"],
                                  with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    EmulatedApiKey.objects.filter(database=fake_odoo.database, uid=fake_odoo.uid).update(key="revoked in Odoo")

    with pytest.raises(OdooAuthenticationError):
        export_queue_poll(client_id=export_client.pk)
    odoo = export_client.odoo_connection
    odoo.refresh_from_db()
    assert odoo.credentials_refused_at and odoo.failing_since
    assert "API key" in odoo.last_failure or "login" in odoo.last_failure.lower()
    export_client.pleo_connection.refresh_from_db()
    assert export_client.pleo_connection.queue_waiting == 3

    runs_before = ExportRun.objects.count()
    assert export_queue_poll(client_id=export_client.pk) == []  # skipped: no call to Odoo, no new run
    assert ExportRun.objects.count() == runs_before

    EmulatedApiKey.objects.filter(database=fake_odoo.database, uid=fake_odoo.uid).update(key="a new key")
    new_key = emulated_api_key(database=fake_odoo.database, uid=fake_odoo.uid)
    odoo_connection_save(client=export_client, data={"url": odoo.url, "database": odoo.database, "login": odoo.login},
                         api_key=new_key)
    runs = export_queue_poll(client_id=export_client.pk)
    assert runs and runs[0].status == "succeeded"
    odoo.refresh_from_db()
    assert odoo.credentials_refused_at is None and odoo.failing_since is None and odoo.last_failure == ""
    export_client.pleo_connection.refresh_from_db()
    assert export_client.pleo_connection.queue_waiting == 0


@pytest.mark.django_db
def test_verify_passing_clears_a_refusal_and_failing_notes_why(export_client, fake_odoo):
    odoo = export_client.odoo_connection
    key = EmulatedApiKey.objects.get(database=fake_odoo.database, uid=fake_odoo.uid)
    stored = key.key
    key.key = "something else"
    key.save()

    assert not odoo_connection_verify(connection=odoo).passed
    odoo.refresh_from_db()
    assert odoo.credentials_refused_at and odoo.last_failure.startswith("Verify failed:")

    key.key = stored
    key.save()
    assert odoo_connection_verify(connection=odoo).passed
    odoo.refresh_from_db()
    assert odoo.credentials_refused_at is None and odoo.failing_since is None
